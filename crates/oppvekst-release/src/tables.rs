//! The tables a quarter publishes and how they are built: the survey table (indicator ×
//! municipality (⊂ region) × survey year × grade (⊂ school level) × gender (⊂ alle)), the
//! police table (municipality (⊂ region) × quarter × offence group (⊂ alle) × age band
//! (⊂ 10–25 ⊂ alle)) and the flag table bounded by it; the region plan and its coverage;
//! and which police quarters are complete enough to publish.

use std::collections::{BTreeMap, BTreeSet};

use oppvekst_disclosure::{Cell, CoverageRule, Dimension, Protected, ProtectedTable, Rules, Table};
use oppvekst_ingest_police::PoliceCounts;
use oppvekst_ingest_survey::SurveyCells;
use oppvekst_schema::Catalogue;
use oppvekst_schema::codes::{
    AGE_ALL, AGE_BANDS, AGE_OTHER, AGE_TARGET, FLAGS, OFFENCE_GROUPS, OFFENCE_TOTAL,
};
use oppvekst_schema::dims::{self, GENDER_ALL, GENDERS};
use oppvekst_schema::population::{AgeRange, Population};
use oppvekst_schema::quarter::Quarter;

use crate::ReleaseError;
use crate::config::Config;

type Result<T> = std::result::Result<T, ReleaseError>;

/// The region as this run can show it: the members that have data, and FHI's coverage.
#[derive(Debug, Clone)]
pub struct RegionPlan {
    /// The region's code.
    pub code: String,
    /// The region's name.
    pub name: String,
    /// Members with data.
    pub with_data: Vec<String>,
    /// Share of the region's youth (13–18 for the survey, 10–25 for police) living in the
    /// members with data; None when the population is unknown.
    pub survey_coverage: Option<f64>,
    /// As `survey_coverage`, for 10–25.
    pub police_coverage: Option<f64>,
    /// Population year behind the shares.
    pub year: Option<i32>,
}

/// Plans the region: it needs at least two members with data (one member alone would just
/// repeat that municipality).
pub fn plan_region(
    cfg: &Config,
    with_data: &BTreeSet<&str>,
    pop: &Population,
) -> Option<RegionPlan> {
    let r = &cfg.region;
    let have: Vec<String> = r
        .members
        .iter()
        .filter(|m| with_data.contains(m.as_str()))
        .cloned()
        .collect();
    if have.len() < 2 {
        return None;
    }
    let year = pop.latest_year();
    let cover = |band: AgeRange| {
        if have.len() == r.members.len() {
            return Some(1.0);
        }
        pop.coverage(&r.members, &have, year?, band)
    };
    Some(RegionPlan {
        code: r.code.clone(),
        name: r.name.clone(),
        survey_coverage: cover(AgeRange {
            from: 13,
            to: Some(18),
        }),
        police_coverage: cover(AgeRange {
            from: 10,
            to: Some(25),
        }),
        with_data: have,
        year,
    })
}

/// The municipality dimension: every municipality, and the region above its members.
fn municipality_dimension(muns: &BTreeSet<&str>, region: Option<&RegionPlan>) -> Dimension {
    let mut d = Dimension::flat(dims::MUNICIPALITY, &muns.iter().collect::<Vec<_>>());
    if let Some(r) = region {
        d.codes.push(r.code.clone());
        for m in &r.with_data {
            d.parent.insert(m.clone(), r.code.clone());
        }
    }
    d
}

/// Adds FHI's coverage rule for the region to a table's rules.
pub fn with_coverage(
    rules: Rules,
    region: Option<&RegionPlan>,
    share: fn(&RegionPlan) -> Option<f64>,
    min: f64,
) -> Rules {
    match region {
        Some(r) => Rules {
            coverage: Some(CoverageRule {
                dimension: dims::MUNICIPALITY.into(),
                min_share: min,
                // Unknown coverage is not proven coverage: the region stays hidden.
                shares: [(r.code.clone(), share(r).unwrap_or(0.0))].into(),
            }),
            ..rules
        },
        None => rules,
    }
}

/// The survey cells as a disclosure table (indicator × municipality (⊂ region) × year ×
/// grade (⊂ ungdomstrinn, videregående) × gender (⊂ alle)); totals come from the leaves.
pub fn survey_table(
    cells: &SurveyCells,
    cat: &Catalogue,
    region: Option<&RegionPlan>,
) -> Result<Table> {
    let muns: BTreeSet<&str> = cells
        .cells
        .iter()
        .map(|c| c.municipality.as_str())
        .collect();
    let years: BTreeSet<String> = cells
        .cells
        .iter()
        .map(|c| c.survey_year.to_string())
        .collect();
    let ids: Vec<&str> = cat.indicators.iter().map(|i| i.id.as_str()).collect();
    let grade_edges = dims::grade_edges();
    let gender_edges: Vec<(&str, &str)> = GENDERS.iter().map(|g| (*g, GENDER_ALL)).collect();
    let dimensions = vec![
        Dimension::flat(dims::INDICATOR, &ids),
        municipality_dimension(&muns, region),
        Dimension::flat(dims::SURVEY_YEAR, &years.into_iter().collect::<Vec<_>>()),
        Dimension::hierarchy(dims::GRADE, &grade_edges),
        Dimension::hierarchy(dims::GENDER, &gender_edges),
    ];
    // The leaves: single grades and single genders; every total comes from them.
    let leaves = cells
        .cells
        .iter()
        .filter(|c| grade_edges.iter().any(|(g, _)| *g == c.grade) && c.gender != GENDER_ALL)
        .map(|c| Cell {
            key: vec![
                c.indicator.clone(),
                c.municipality.clone(),
                c.survey_year.to_string(),
                c.grade.clone(),
                c.gender.clone(),
            ],
            value: c.numerator.into(),
            denominator: Some(c.denominator.into()),
        })
        .collect();
    Ok(Table::from_inner(dims::SURVEY_TABLE, dimensions, leaves)?)
}

/// A police-shaped table: municipality (⊂ region, when given) × quarter × offence group
/// (⊂ alle) × `last`, from one count per inner cell `(municipality, quarter, group, last code)`.
fn quarterly_table<'a>(
    name: &str,
    region: Option<&RegionPlan>,
    last: Dimension,
    inner: impl Iterator<Item = (&'a str, Quarter, &'a str, &'a str, u32)> + Clone,
) -> Result<Table> {
    let muns: BTreeSet<&str> = inner.clone().map(|c| c.0).collect();
    let quarters: BTreeSet<String> = inner.clone().map(|c| c.1.code()).collect();
    let dimensions = vec![
        municipality_dimension(&muns, region),
        Dimension::flat(dims::QUARTER, &quarters.into_iter().collect::<Vec<_>>()),
        offence_dimension(),
        last,
    ];
    let cells = inner
        .map(|(m, q, g, l, count)| Cell {
            key: vec![m.to_owned(), q.code(), g.to_owned(), l.to_owned()],
            value: count.into(),
            denominator: None,
        })
        .collect();
    Ok(Table::from_inner(name, dimensions, cells)?)
}

/// The police counts as a disclosure table with every total (municipality ⊂ region;
/// offence groups ⊂ alle; age bands ⊂ 10–25 ⊂ alle, andre ⊂ alle).
pub fn police_table(counts: &PoliceCounts, region: Option<&RegionPlan>) -> Result<Table> {
    let mut age: Vec<(&str, &str)> = AGE_BANDS.iter().map(|b| (*b, AGE_TARGET)).collect();
    age.push((AGE_TARGET, AGE_ALL));
    age.push((AGE_OTHER, AGE_ALL));
    quarterly_table(
        dims::POLICE_TABLE,
        region,
        Dimension::hierarchy(dims::AGE_BAND, &age),
        counts.rows.iter().map(|r| {
            (
                r.municipality.as_str(),
                r.quarter,
                r.offence_group.as_str(),
                r.age_band.as_str(),
                r.count,
            )
        }),
    )
}

/// SSB's offence groups under their total, shared by the police and the flag table.
fn offence_dimension() -> Dimension {
    let offence: Vec<(&str, &str)> = OFFENCE_GROUPS
        .iter()
        .map(|g| (g.0, OFFENCE_TOTAL))
        .collect();
    Dimension::hierarchy(dims::OFFENCE_GROUP, &offence)
}

/// Keeps only the quarters whose police counts are complete for every municipality with
/// police data (every offence group with every age band: quarantined rows can leave a group
/// out, and an extract may lack a municipality) — otherwise the region's total for the
/// quarter would silently be a partial sum. Flags are kept for the municipality-quarters
/// whose flags cover every group. What is left out is named in the returned lines, for the
/// run summary; the quarantine file says why.
pub fn complete_quarters(counts: &mut PoliceCounts) -> Vec<String> {
    let per_quarter = OFFENCE_GROUPS.len() * (AGE_BANDS.len() + 1);
    let muns: BTreeSet<String> = counts.rows.iter().map(|r| r.municipality.clone()).collect();
    let mut cells: BTreeMap<(Quarter, String), usize> = BTreeMap::new();
    for r in &counts.rows {
        *cells
            .entry((r.quarter, r.municipality.clone()))
            .or_default() += 1;
    }
    let quarters: BTreeSet<Quarter> = cells.keys().map(|k| k.0).collect();
    let mut lines = Vec::new();
    let mut dropped = BTreeSet::new();
    for q in &quarters {
        let lacking: Vec<&str> = muns
            .iter()
            .filter(|m| cells.get(&(*q, (*m).clone())) != Some(&per_quarter))
            .map(String::as_str)
            .collect();
        if !lacking.is_empty() {
            lines.push(format!(
                "police {}: incomplete for {} (offence groups quarantined or not in the extract); the quarter is left out",
                q,
                lacking.join(", ")
            ));
            dropped.insert(*q);
        }
    }
    let mut flags: BTreeMap<(String, Quarter), BTreeMap<&str, usize>> = BTreeMap::new();
    for f in &counts.flags {
        *flags
            .entry((f.municipality.clone(), f.quarter))
            .or_default()
            .entry(f.flag.as_str())
            .or_default() += 1;
    }
    let flags_incomplete: BTreeSet<(String, Quarter)> = flags
        .into_iter()
        .filter(|(_, by_flag)| by_flag.values().any(|n| *n != OFFENCE_GROUPS.len()))
        .map(|(k, _)| k)
        .collect();
    for (m, q) in &flags_incomplete {
        if !dropped.contains(q) {
            lines.push(format!(
                "police {m} {q}: flags missing for some offence groups; the flag table leaves it out"
            ));
        }
    }
    counts.rows.retain(|r| !dropped.contains(&r.quarter));
    counts.flags.retain(|f| {
        !dropped.contains(&f.quarter)
            && !flags_incomplete.contains(&(f.municipality.clone(), f.quarter))
    });
    lines
}

/// The flag table (vold i nære relasjoner, hatkriminalitet, uteliv): municipality × quarter ×
/// offence group (with its total) × flag, each cell bounded by the police count it is part
/// of (same municipality, quarter and group, all ages). Flags overlap, so the flag
/// dimension has no total; the region is left out (extracts without flag columns would
/// make its sum partial). Returns the table and, per cell, whether the police table hides
/// the count that bounds it. None when no extract had flag columns.
pub fn flag_table(
    counts: &PoliceCounts,
    police: &Protected<ProtectedTable>,
) -> Result<Option<(Table, Vec<bool>)>> {
    if counts.flags.is_empty() {
        return Ok(None);
    }
    let flags: Vec<&str> = FLAGS.iter().map(|f| f.0).collect();
    let mut table = quarterly_table(
        dims::FLAG_TABLE,
        None,
        Dimension::flat(dims::FLAG, &flags),
        counts.flags.iter().map(|f| {
            (
                f.municipality.as_str(),
                f.quarter,
                f.offence_group.as_str(),
                f.flag.as_str(),
                f.count,
            )
        }),
    )?;
    // What a reader knows of each bounding police count: its value when published, else
    // the upper end of the interval a reader can derive for it (the police table's audit,
    // under the full model) — never a hidden value. A range proven without solving (a police table
    // too large to solve exactly) comes from the true values and must not become a bound.
    if police.bounds().iter().any(|b| !b.exact) {
        return Err(ReleaseError::Input(format!(
            "table `{}`: the audit proved its hidden cells without solving their intervals \
             exactly (the table is very large), so they cannot bound the flagged offences",
            police.name()
        )));
    }
    let upper: BTreeMap<usize, Option<u64>> = police
        .bounds()
        .iter()
        .map(|b| (b.cell.cell, b.upper))
        .collect();
    let known: BTreeMap<&[String], (bool, Option<u64>)> = police
        .cells()
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let bound = match c.value() {
                Some(v) => Some(v),
                None => upper.get(&i).copied().flatten(),
            };
            (c.key(), (c.value().is_none(), bound))
        })
        .collect();
    let mut linked = Vec::with_capacity(table.cells.len());
    for c in &mut table.cells {
        let key = [
            c.key[0].clone(),
            c.key[1].clone(),
            c.key[2].clone(),
            AGE_ALL.to_owned(),
        ];
        // A bound the police table does not have counts as hidden and unbounded.
        let (hidden, bound) = known.get(&key[..]).copied().unwrap_or((true, None));
        c.denominator = bound;
        linked.push(hidden);
    }
    Ok(Some((table, linked)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use oppvekst_ingest_police::{FlagCount, PoliceCount};

    fn quarter(m: &str, q: &str, groups: usize) -> Vec<PoliceCount> {
        let mut bands: Vec<&str> = AGE_BANDS.to_vec();
        bands.push(AGE_OTHER);
        OFFENCE_GROUPS[..groups]
            .iter()
            .flat_map(|g| {
                bands.iter().map(move |b| PoliceCount {
                    municipality: m.into(),
                    quarter: q.parse().unwrap(),
                    offence_group: g.0.into(),
                    age_band: (*b).into(),
                    count: 1,
                })
            })
            .collect()
    }

    fn flags(m: &str, q: &str, groups: usize) -> Vec<FlagCount> {
        OFFENCE_GROUPS[..groups]
            .iter()
            .map(|g| FlagCount {
                municipality: m.into(),
                quarter: q.parse().unwrap(),
                offence_group: g.0.into(),
                flag: "uteliv".into(),
                count: 0,
            })
            .collect()
    }

    #[test]
    fn incomplete_quarters_and_flags_are_left_out_and_named() {
        let all = OFFENCE_GROUPS.len();
        let mut counts = PoliceCounts::default();
        counts.rows.extend(quarter("3105", "2025Q3", all));
        counts.rows.extend(quarter("3107", "2025Q3", all - 1));
        counts.rows.extend(quarter("3105", "2025Q4", all));
        counts.rows.extend(quarter("3107", "2025Q4", all));
        counts.flags.extend(flags("3105", "2025Q4", all));
        counts.flags.extend(flags("3107", "2025Q4", all - 2));
        let lines = complete_quarters(&mut counts);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[0].contains("2025K3: incomplete for 3107"),
            "{}",
            lines[0]
        );
        assert!(
            lines[1].contains("3107 2025K4: flags missing"),
            "{}",
            lines[1]
        );
        assert!(counts.rows.iter().all(|r| r.quarter.code() == "2025Q4"));
        assert_eq!(counts.rows.len(), 2 * all * (AGE_BANDS.len() + 1));
        assert!(counts.flags.iter().all(|f| f.municipality == "3105"));
        // Complete data is left as it is.
        let before = counts.clone();
        assert!(complete_quarters(&mut counts).is_empty());
        assert_eq!(counts, before);
    }
}
