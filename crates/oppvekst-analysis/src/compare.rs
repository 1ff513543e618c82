//! Comparisons for the latest survey wave: each municipality and the region against each
//! other and against a published reference (Ungdata's national figures, pooled years), and
//! direct standardisation by gender and grade so units with different pupil mixes compare
//! fairly.
//!
//! Standardisation uses only published cells: a unit whose gender × grade strata are not all
//! published gets no standardised figure (nothing is estimated back).

use std::collections::BTreeMap;

use oppvekst_schema::reference::ReferenceRow;
use polars::prelude::*;

use crate::AnalysisError;
use oppvekst_schema::dims::{GENDER_ALL, GENDERS, SchoolLevel};

use crate::stats::{normal_cdf, two_proportion_test};
use crate::survey::{IndicatorRow, SurveyAnalysis};

/// Grade groups and their grades (the school levels of the schema crate).
pub const GRADE_GROUPS: [(&str, [&str; 3]); 2] = [
    (
        SchoolLevel::Ungdomstrinn.code(),
        SchoolLevel::Ungdomstrinn.grades(),
    ),
    (
        SchoolLevel::Videregaende.code(),
        SchoolLevel::Videregaende.grades(),
    ),
];
const STRATA_GENDERS: [&str; 2] = GENDERS;

/// One unit's latest figure with its standardised value and the reference comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Indicator id.
    pub indicator: String,
    /// Municipality number or region code.
    pub municipality: String,
    /// Survey year (the unit's latest wave).
    pub survey_year: i32,
    /// Grade group code.
    pub grade: String,
    /// Gender code.
    pub gender: String,
    /// Percent (None when hidden).
    pub percent: Option<f64>,
    /// Wilson 95 % interval, percent.
    pub ci_low: Option<f64>,
    /// Upper bound.
    pub ci_high: Option<f64>,
    /// Valid answers.
    pub denominator: u32,
    /// Directly standardised percent (gender × grade, standard = all units' pupils together
    /// in that wave); only for gender `alle`, None when a stratum is hidden or off.
    pub percent_std: Option<f64>,
    /// Reference label, e.g. `Norge 2023–2025`.
    pub reference: Option<String>,
    /// Reference percent.
    pub reference_percent: Option<f64>,
    /// percent − reference, percentage points.
    pub difference: Option<f64>,
    /// Two-sided p-value of the difference (two-proportion test when the reference has n,
    /// else a one-sample test against the reference as a fixed level).
    pub p_value: Option<f64>,
    /// Benjamini–Hochberg adjusted p-value over every test of the release (see
    /// [`crate::adjust_for_many_tests`]); the raw p-value until then.
    pub p_adjusted: Option<f64>,
    /// Adjusted p < alpha (raw p < alpha until adjusted).
    pub significant: bool,
}

/// Comparisons, one row per indicator, municipality, grade and gender (sorted so);
/// [`Comparisons::frame`] is the frame of contract `comparisons`, built when it is written.
#[derive(Debug, Clone)]
pub struct Comparisons {
    /// Rows.
    pub rows: Vec<Comparison>,
}

impl Comparisons {
    /// The rows as the frame written to `comparisons.parquet`.
    pub fn frame(&self) -> Result<DataFrame, AnalysisError> {
        frame_of(&self.rows)
    }
}

/// Stratum (grade, gender) → share of the standard population.
type Weights = BTreeMap<(String, String), f64>;

/// Directly standardised percent of `unit` for `indicator`, `year` and grade group, with
/// stratum weights from `standard` (stratum → weight, summing to 1).
fn standardised(
    by_key: &BTreeMap<(&str, &str, i32, &str, &str), &IndicatorRow>,
    indicator: &str,
    unit: &str,
    year: i32,
    grades: &[&str; 3],
    standard: &Weights,
) -> Option<f64> {
    let mut sum = 0.0;
    for g in grades {
        for s in STRATA_GENDERS {
            let w = standard.get(&((*g).to_owned(), s.to_owned()))?;
            let p = by_key.get(&(indicator, unit, year, g, s))?.percent?;
            sum += w * p;
        }
    }
    Some(sum)
}

/// One-sample two-sided test of x/n against a fixed level p0: (z, p).
fn one_sample_test(x: u64, n: u64, p0: f64) -> Option<(f64, f64)> {
    if n == 0 || !(0.0 < p0 && p0 < 1.0) {
        return None;
    }
    let se = (p0 * (1.0 - p0) / n as f64).sqrt();
    let z = (x as f64 / n as f64 - p0) / se;
    Some((z, 2.0 * (1.0 - normal_cdf(z.abs()))))
}

/// Builds the comparisons for the latest wave of every unit. `standard_units` are the units
/// whose pupils together form the standard population (the municipalities, not the region,
/// which would count them twice); with `standardise` false no standardised figure is made.
pub fn compare(
    analysis: &SurveyAnalysis,
    reference: &[ReferenceRow],
    standard_units: &[String],
    standardise: bool,
    alpha: f64,
) -> Result<Comparisons, AnalysisError> {
    let rows = &analysis.rows;
    let by_key: BTreeMap<(&str, &str, i32, &str, &str), &IndicatorRow> = rows
        .iter()
        .map(|r| {
            (
                (
                    r.indicator.as_str(),
                    r.municipality.as_str(),
                    r.survey_year,
                    r.grade.as_str(),
                    r.gender.as_str(),
                ),
                r,
            )
        })
        .collect();
    // Latest year per (indicator, unit).
    let mut latest: BTreeMap<(&str, &str), i32> = BTreeMap::new();
    for r in rows {
        let e = latest
            .entry((&r.indicator, &r.municipality))
            .or_insert(r.survey_year);
        *e = (*e).max(r.survey_year);
    }
    // Standard population per (indicator, year, grade group): strata shares of all
    // standard units' valid answers (denominators are always published).
    let mut standard: BTreeMap<(&str, i32, &str), Weights> = BTreeMap::new();
    if standardise {
        let pairs: std::collections::BTreeSet<(&str, i32)> = latest
            .iter()
            .map(|(&(ind, _), &year)| (ind, year))
            .collect();
        for (ind, year) in pairs {
            for (group, grades) in GRADE_GROUPS {
                let mut counts = BTreeMap::new();
                let mut total = 0.0;
                for g in grades {
                    for s in STRATA_GENDERS {
                        let n: u32 = standard_units
                            .iter()
                            .filter_map(|u| by_key.get(&(ind, u.as_str(), year, g, s)))
                            .map(|r| r.denominator)
                            .sum();
                        counts.insert((g.to_owned(), s.to_owned()), f64::from(n));
                        total += f64::from(n);
                    }
                }
                if total > 0.0 {
                    for v in counts.values_mut() {
                        *v /= total;
                    }
                    standard.insert((ind, year, group), counts);
                }
            }
        }
    }
    let refs: BTreeMap<(&str, &str, &str), &ReferenceRow> = reference
        .iter()
        .map(|r| {
            (
                (r.indicator.as_str(), r.grade.as_str(), r.gender.as_str()),
                r,
            )
        })
        .collect();
    let mut out = Vec::new();
    for (&(ind, unit), &year) in &latest {
        for (group, grades) in GRADE_GROUPS {
            for gender in [GENDER_ALL, GENDERS[0], GENDERS[1]] {
                let Some(r) = by_key.get(&(ind, unit, year, group, gender)) else {
                    continue;
                };
                let percent_std = if gender == GENDER_ALL {
                    standard
                        .get(&(ind, year, group))
                        .and_then(|w| standardised(&by_key, ind, unit, year, &grades, w))
                } else {
                    None
                };
                let rf = refs.get(&(ind, group, gender));
                let test = match (rf, r.numerator) {
                    (Some(rf), Some(x)) => match rf.n {
                        Some(n0) => {
                            let x0 = (rf.percent / 100.0 * n0 as f64).round() as u64;
                            two_proportion_test(x0, n0, x.into(), r.denominator.into())
                        }
                        None => one_sample_test(x.into(), r.denominator.into(), rf.percent / 100.0),
                    },
                    _ => None,
                };
                out.push(Comparison {
                    indicator: ind.to_owned(),
                    municipality: unit.to_owned(),
                    survey_year: year,
                    grade: group.to_owned(),
                    gender: gender.to_owned(),
                    percent: r.percent,
                    ci_low: r.ci_low,
                    ci_high: r.ci_high,
                    denominator: r.denominator,
                    percent_std,
                    reference: rf.map(|x| x.label()),
                    reference_percent: rf.map(|x| x.percent),
                    difference: r.percent.zip(rf).map(|(p, x)| p - x.percent),
                    p_value: test.map(|t| t.1),
                    p_adjusted: test.map(|t| t.1),
                    significant: test.is_some_and(|t| t.1 < alpha),
                });
            }
        }
    }
    Ok(Comparisons { rows: out })
}

fn frame_of(rows: &[Comparison]) -> Result<DataFrame, AnalysisError> {
    let s = |f: fn(&Comparison) -> &str| rows.iter().map(f).collect::<Vec<&str>>();
    let o = |f: fn(&Comparison) -> Option<f64>| rows.iter().map(f).collect::<Vec<_>>();
    Ok(DataFrame::new(
        rows.len(),
        vec![
            Column::new("indicator".into(), s(|r| &r.indicator)),
            Column::new("municipality".into(), s(|r| &r.municipality)),
            Column::new(
                "survey_year".into(),
                rows.iter().map(|r| r.survey_year).collect::<Vec<_>>(),
            ),
            Column::new("grade".into(), s(|r| &r.grade)),
            Column::new("gender".into(), s(|r| &r.gender)),
            Column::new("percent".into(), o(|r| r.percent)),
            Column::new("ci_low".into(), o(|r| r.ci_low)),
            Column::new("ci_high".into(), o(|r| r.ci_high)),
            Column::new(
                "denominator".into(),
                rows.iter().map(|r| r.denominator).collect::<Vec<_>>(),
            ),
            Column::new("percent_std".into(), o(|r| r.percent_std)),
            Column::new(
                "reference".into(),
                rows.iter()
                    .map(|r| r.reference.as_deref())
                    .collect::<Vec<_>>(),
            ),
            Column::new("reference_percent".into(), o(|r| r.reference_percent)),
            Column::new("difference".into(), o(|r| r.difference)),
            Column::new("p_value".into(), o(|r| r.p_value)),
            Column::new("p_adjusted".into(), o(|r| r.p_adjusted)),
            Column::new(
                "significant".into(),
                rows.iter().map(|r| r.significant).collect::<Vec<_>>(),
            ),
        ],
    )?)
}
