//! The report's standard charts, built from analysis rows.

use std::collections::BTreeMap;

use oppvekst_schema::quarter::Quarter;

use oppvekst_analysis::{IndicatorRow, PoliceRow};

use crate::render::format_nb;
use crate::{LineChart, Point, Series};

/// Name and fixed colour of a municipality.
#[derive(Debug, Clone, PartialEq)]
pub struct MunicipalityStyle {
    /// Municipality number.
    pub code: String,
    /// Name.
    pub name: String,
    /// RGB colour, the same in every chart.
    pub colour: (u8, u8, u8),
}

/// Okabe–Ito colours, colour-blind safe, assigned to municipalities in config order.
pub const PALETTE: [(u8, u8, u8); 6] = [
    (0, 114, 178),
    (230, 159, 0),
    (0, 158, 115),
    (204, 121, 167),
    (86, 180, 233),
    (213, 94, 0),
];

/// Trend of one indicator for `grade` and `gender`, one line per municipality (and region),
/// with Wilson 95 % intervals as error bars, hidden waves marked `:`, and a published
/// reference level (label, percent) as a dashed line.
pub fn survey_trend(
    rows: &[IndicatorRow],
    indicator: &str,
    label: &str,
    grade: (&str, &str),
    gender: (&str, &str),
    municipalities: &[MunicipalityStyle],
    reference: Option<(String, f64)>,
) -> LineChart {
    let sel: Vec<&IndicatorRow> = rows
        .iter()
        .filter(|r| r.indicator == indicator && r.grade == grade.0 && r.gender == gender.0)
        .collect();
    let mut years: Vec<i32> = sel.iter().map(|r| r.survey_year).collect();
    years.sort_unstable();
    years.dedup();
    let latest = years.last().copied();
    let mut n_note = Vec::new();
    let series = municipalities
        .iter()
        .map(|m| {
            let points = years
                .iter()
                .enumerate()
                .filter_map(|(xi, y)| {
                    let r = sel
                        .iter()
                        .find(|r| r.municipality == m.code && r.survey_year == *y)?;
                    Some(Point {
                        x: xi,
                        y: r.percent,
                        ci: r.ci_low.zip(r.ci_high),
                    })
                })
                .collect();
            if let Some(r) = sel
                .iter()
                .find(|r| Some(r.survey_year) == latest && r.municipality == m.code)
            {
                n_note.push(format!("{} {}", m.name, format_nb(r.denominator.into())));
            }
            Series {
                name: m.name.clone(),
                colour: m.colour,
                points,
                thick: true,
            }
        })
        .collect();
    LineChart {
        id: format!("{indicator}_{}_{}", grade.0, gender.0),
        title: label.to_owned(),
        subtitle: format!(
            "{}, {}. Prosent med 95 % konfidensintervall",
            grade.1, gender.1
        ),
        y_label: "Prosent".into(),
        x_labels: years.iter().map(|y| y.to_string()).collect(),
        series,
        source: format!(
            "Kilde: Ungdata-undersøkelsen (demodata). Antall svar (n) {}: {}",
            latest.map(|y| y.to_string()).unwrap_or_default(),
            n_note.join(", ")
        ),
        y_max: None,
        reference,
    }
}

/// Quarterly police counts for one offence group and age band, one thin line per
/// municipality, with the four-quarter moving average as a thick line.
pub fn police_trend(
    rows: &[PoliceRow],
    group: &str,
    group_label: &str,
    age: (&str, &str),
    municipalities: &[MunicipalityStyle],
) -> LineChart {
    let sel = select(rows, group, age.0);
    let quarters = quarters_of(&sel, |_| true);
    let xi = x_index(&quarters);
    let mut series = Vec::new();
    let mut totals = Vec::new();
    for m in municipalities {
        let mine: Vec<&&PoliceRow> = sel.iter().filter(|r| r.municipality == m.code).collect();
        series.push(Series {
            name: format!("{}, kvartal", m.name),
            colour: m.colour,
            points: mine
                .iter()
                .map(|r| Point {
                    x: xi[&r.quarter],
                    y: r.count.map(f64::from),
                    ci: None,
                })
                .collect(),
            thick: false,
        });
        series.push(Series {
            name: format!("{}, snitt 4 kv.", m.name),
            colour: m.colour,
            points: mine
                .iter()
                .filter_map(|r| {
                    Some(Point {
                        x: xi[&r.quarter],
                        y: Some(f64::from(r.rolling_4q?) / 4.0),
                        ci: None,
                    })
                })
                .collect(),
            thick: true,
        });
        if let Some(last) = mine
            .iter()
            .rev()
            .find_map(|r| r.rolling_4q.map(|v| (r.quarter, v)))
        {
            totals.push(format!(
                "{} {} (siste fire kvartaler til {})",
                m.name,
                format_nb(last.1.into()),
                last.0
            ));
        }
    }
    LineChart {
        id: format!("politi_{group}_{}", age.0),
        title: format!("Anmeldte lovbrudd: {group_label}"),
        subtitle: format!(
            "{}. Antall per kvartal og glidende snitt for fire kvartaler",
            age.1
        ),
        y_label: "Antall lovbrudd".into(),
        x_labels: year_ticks(&quarters),
        series,
        source: format!(
            "Kilde: Politiets lokale uttrekk (demodata). Antall: {}",
            totals.join(", ")
        ),
        y_max: None,
        reference: None,
    }
}

/// Reported offences per 1,000 inhabitants of the age band over the last four quarters, one
/// line per municipality (and region); `population_note` names the population table used.
pub fn police_rate(
    rows: &[PoliceRow],
    group: &str,
    group_label: &str,
    age: (&str, &str),
    municipalities: &[MunicipalityStyle],
    population_note: &str,
) -> LineChart {
    let sel = select(rows, group, age.0);
    // Start where the first four-quarter sum exists.
    let first = sel
        .iter()
        .filter(|r| r.rate_per_1000.is_some())
        .map(|r| r.quarter)
        .min();
    let quarters = quarters_of(&sel, |q| first.is_none_or(|f| q >= f));
    let xi = x_index(&quarters);
    let mut latest = Vec::new();
    let series = municipalities
        .iter()
        .map(|m| {
            let mine: Vec<&&PoliceRow> = sel
                .iter()
                .filter(|r| r.municipality == m.code && xi.contains_key(&r.quarter))
                .collect();
            if let Some((q, v)) = mine
                .iter()
                .rev()
                .find_map(|r| r.rate_per_1000.map(|v| (r.quarter, v)))
            {
                latest.push(format!("{} {} ({})", m.name, format_nb_1(v), q));
            }
            Series {
                name: m.name.clone(),
                colour: m.colour,
                points: mine
                    .iter()
                    .map(|r| Point {
                        x: xi[&r.quarter],
                        y: r.rate_per_1000,
                        ci: None,
                    })
                    .collect(),
                thick: true,
            }
        })
        .collect();
    LineChart {
        id: format!("politi_rate_{group}_{}", age.0),
        title: format!("Anmeldte lovbrudd per 1 000 innbyggere: {group_label}"),
        subtitle: format!(
            "{}. Siste fire kvartaler per 1 000 innbyggere i aldersgruppen",
            age.1
        ),
        y_label: "Per 1 000 innbyggere".into(),
        x_labels: year_ticks(&quarters),
        series,
        source: format!(
            "Kilde: Politiets lokale uttrekk (demodata), {population_note}. Siste: {}",
            latest.join(", ")
        ),
        y_max: None,
        reference: None,
    }
}

/// The rows of one offence group and age band.
fn select<'a>(rows: &'a [PoliceRow], group: &str, age: &str) -> Vec<&'a PoliceRow> {
    rows.iter()
        .filter(|r| r.offence_group == group && r.age_band == age)
        .collect()
}

/// The distinct quarters of `sel` that `keep` accepts, in order.
fn quarters_of(sel: &[&PoliceRow], keep: impl Fn(Quarter) -> bool) -> Vec<Quarter> {
    let mut quarters: Vec<Quarter> = sel.iter().map(|r| r.quarter).filter(|q| keep(*q)).collect();
    quarters.sort_unstable();
    quarters.dedup();
    quarters
}

/// Quarter → x position.
fn x_index(quarters: &[Quarter]) -> BTreeMap<Quarter, usize> {
    quarters.iter().enumerate().map(|(i, q)| (*q, i)).collect()
}

/// X labels for quarters: the year under each first quarter, nothing under the others.
fn year_ticks(quarters: &[Quarter]) -> Vec<String> {
    quarters
        .iter()
        .map(|q| {
            if q.number() == 1 {
                q.year().to_string()
            } else {
                String::new()
            }
        })
        .collect()
}

/// A number with one decimal and a decimal comma.
fn format_nb_1(v: f64) -> String {
    format!("{v:.1}").replace('.', ",")
}
