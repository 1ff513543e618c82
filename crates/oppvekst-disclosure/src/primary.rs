//! Primary suppression rules.

use std::collections::{BTreeMap, HashMap};

use crate::{DisclosureError, Rule, Status, Table};

/// NOVA's rule for splitting by gender: no split when the group (both genders) has fewer
/// than `min_group` answers, or either gender fewer than `min_each`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenderRule {
    /// Dimension holding gender.
    pub dimension: String,
    /// Code of the both-genders total.
    pub total: String,
    /// Smallest group that may be split.
    pub min_group: u64,
    /// Smallest gender that may be shown.
    pub min_each: u64,
}

/// FHI's series rule: hide a whole time series when more than `max_hidden_share` of its
/// points are hidden by the other primary rules. A series is every cell that shares all
/// codes but the one of `dimension`.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesRule {
    /// The time dimension.
    pub dimension: String,
    /// Largest share of hidden points a published series may have (FHI: 0.2).
    pub max_hidden_share: f64,
}

/// FHI's coverage rule: an aggregate (a region) built from members that cover less than
/// `min_share` of its young people is not published. `shares` gives, per aggregate code of
/// `dimension`, the share of the aggregate's youth living in members that have data.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageRule {
    /// The dimension whose codes are aggregates (municipality ⊂ region).
    pub dimension: String,
    /// Smallest share an aggregate may cover (FHI: 0.5).
    pub min_share: f64,
    /// Aggregate code → covered share of its youth (0–1).
    pub shares: BTreeMap<String, f64>,
}

/// Primary rules. Every threshold is configuration; see [`Rules::survey_default`] and
/// [`Rules::police_default`] for the safe defaults of DESIGN.md §3.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// Hide when count ≤ T.
    pub max_small_count: u64,
    /// Hide when denominator − count ≤ T (None: rule off).
    pub max_small_complement: Option<u64>,
    /// Hide when denominator ≤ N (None: rule off).
    pub max_small_denominator: Option<u64>,
    /// Whether a zero count is protected like any small count.
    pub protect_zeros: bool,
    /// NOVA's gender-split rule.
    pub gender: Option<GenderRule>,
    /// FHI's series rule.
    pub series: Option<SeriesRule>,
    /// FHI's coverage rule for regional aggregates.
    pub coverage: Option<CoverageRule>,
    /// Required width of every hidden cell's audit interval (never below 1: a hidden cell
    /// must never be pinned to a single value). Defaults to the small-count threshold.
    pub protection_width: u64,
    /// What secondary suppression minimises.
    pub cost: SecondaryCost,
    /// How secondary cells are chosen.
    pub method: Method,
    /// The final audit solves every component it can exactly, also where a certificate
    /// proves it, so that [`crate::ProtectedTable::bounds`] are exact intervals (for a table
    /// whose hidden cells bound another table's cells).
    pub exact_bounds: bool,
}

/// How secondary cells are chosen. Whatever the method, the independent audit judges the
/// pattern, and a pattern it fails is never published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Chosen by measurement: every method that suits the table within its work budget,
    /// keeping the pattern that loses least (value, then cells).
    #[default]
    Auto,
    /// Elimination over the whole table (GaussSuppression's method, in exact integers); a
    /// table too large for it goes block by block.
    Elimination,
    /// Hypercubes around every protected cell, proven by alternative tables (grid tables).
    Hypercube,
}

/// What secondary suppression tries to lose least of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecondaryCost {
    /// Hide the smallest values (least information lost), then the fewest cells.
    #[default]
    Value,
    /// Hide the fewest and finest cells, whatever their values.
    Cells,
}

impl Rules {
    /// Survey cells: x ≤ 6, n − x ≤ 6, n ≤ 20 (FHI), zeros protected, NOVA's 40/15 gender rule,
    /// FHI's 20 % series rule over survey years.
    pub fn survey_default() -> Self {
        Rules {
            max_small_count: 6,
            max_small_complement: Some(6),
            max_small_denominator: Some(20),
            protect_zeros: true,
            gender: Some(GenderRule {
                dimension: "gender".into(),
                total: "alle".into(),
                min_group: 40,
                min_each: 15,
            }),
            series: Some(SeriesRule {
                dimension: "survey_year".into(),
                max_hidden_share: 0.2,
            }),
            coverage: None,
            protection_width: 6,
            cost: SecondaryCost::Value,
            method: Method::Auto,
            exact_bounds: false,
        }
    }

    /// Police counts: published only when > 4 (SSB 08487); an exact zero is not a person. The
    /// series rule is off: quarterly counts of small offence groups would lose whole series.
    pub fn police_default() -> Self {
        Rules {
            max_small_count: 4,
            max_small_complement: None,
            max_small_denominator: None,
            protect_zeros: false,
            gender: None,
            series: None,
            coverage: None,
            protection_width: 4,
            cost: SecondaryCost::Value,
            method: Method::Auto,
            exact_bounds: false,
        }
    }
}

/// The first primary rule that hides each cell.
pub(crate) fn apply(table: &Table, rules: &Rules) -> Result<Vec<Status>, DisclosureError> {
    apply_with_parts(table, rules, |dim, total| {
        table
            .dimensions
            .iter()
            .find(|d| d.name == dim)
            .map(|d| d.children(total).into_iter().map(str::to_owned).collect())
            .unwrap_or_default()
    })
}

/// As [`apply`], with the gender codes given by `parts(dimension, total)`.
pub(crate) fn apply_with_parts(
    table: &Table,
    rules: &Rules,
    parts: impl Fn(&str, &str) -> Vec<String>,
) -> Result<Vec<Status>, DisclosureError> {
    let mut status = Vec::with_capacity(table.cells.len());
    for c in &table.cells {
        let x = c.value;
        let mut s = Status::Published;
        if let Some(n) = c.denominator {
            if x > n {
                return Err(DisclosureError::CountAboveDenominator {
                    table: table.name.clone(),
                    key: c.key.clone(),
                });
            }
            if rules.max_small_denominator.is_some_and(|t| n <= t) {
                s = Status::Hidden(Rule::SmallDenominator);
            } else if rules.max_small_complement.is_some_and(|t| n - x <= t) {
                s = Status::Hidden(Rule::SmallComplement);
            }
        }
        if s == Status::Published && x <= rules.max_small_count && (x > 0 || rules.protect_zeros) {
            s = Status::Hidden(Rule::SmallCount);
        }
        status.push(s);
    }
    if let Some(cr) = &rules.coverage {
        coverage_rule(table, cr, &mut status);
    }
    if let Some(g) = &rules.gender {
        let genders = parts(&g.dimension, &g.total);
        gender_rule(table, g, &genders, &mut status);
    }
    if let Some(sr) = &rules.series {
        series_rule(table, sr, &mut status);
    }
    Ok(status)
}

fn coverage_rule(table: &Table, cr: &CoverageRule, status: &mut [Status]) {
    let Some(d) = table.dimensions.iter().position(|x| x.name == cr.dimension) else {
        return;
    };
    for (i, c) in table.cells.iter().enumerate() {
        let low = cr
            .shares
            .get(&c.key[d])
            .is_some_and(|&share| share < cr.min_share);
        if low && status[i] == Status::Published {
            status[i] = Status::Hidden(Rule::Coverage);
        }
    }
}

/// Key of a cell's series: its codes with the time dimension blanked.
pub(crate) fn series_groups<'a>(
    keys: impl Iterator<Item = &'a [String]>,
    d: usize,
) -> HashMap<Vec<&'a str>, Vec<usize>> {
    let mut groups: HashMap<Vec<&str>, Vec<usize>> = HashMap::new();
    for (i, key) in keys.enumerate() {
        let mut k: Vec<&str> = key.iter().map(String::as_str).collect();
        k[d] = "";
        groups.entry(k).or_default().push(i);
    }
    groups
}

fn series_rule(table: &Table, sr: &SeriesRule, status: &mut [Status]) {
    let Some(d) = table.dimensions.iter().position(|x| x.name == sr.dimension) else {
        return;
    };
    for members in series_groups(table.cells.iter().map(|c| c.key.as_slice()), d).values() {
        let hidden = members
            .iter()
            .filter(|&&i| status[i] != Status::Published)
            .count();
        if hidden as f64 > sr.max_hidden_share * members.len() as f64 {
            for &i in members {
                if status[i] == Status::Published {
                    status[i] = Status::Hidden(Rule::Series);
                }
            }
        }
    }
}

fn gender_rule(table: &Table, g: &GenderRule, genders: &[String], status: &mut [Status]) {
    let Some(d) = table.dimensions.iter().position(|x| x.name == g.dimension) else {
        return;
    };
    let parts: Vec<&str> = genders.iter().map(String::as_str).collect();
    // Group cells by their key without the gender code.
    let mut groups: HashMap<Vec<&str>, Vec<usize>> = HashMap::new();
    for (i, c) in table.cells.iter().enumerate() {
        let mut k: Vec<&str> = c.key.iter().map(String::as_str).collect();
        k[d] = "";
        groups.entry(k).or_default().push(i);
    }
    for members in groups.values() {
        let n = |code: &str| {
            members
                .iter()
                .find(|&&i| table.cells[i].key[d] == code)
                .map(|&i| table.cells[i].denominator.unwrap_or(table.cells[i].value))
        };
        let Some(total) = n(&g.total) else { continue };
        let too_small =
            total < g.min_group || parts.iter().any(|p| n(p).is_some_and(|v| v < g.min_each));
        if too_small {
            for &i in members {
                if parts.contains(&table.cells[i].key[d].as_str()) && status[i] == Status::Published
                {
                    status[i] = Status::Hidden(Rule::GenderSplit);
                }
            }
        }
    }
}
