//! The report's charts described from analysis rows: what each chart plots, so that its
//! text alternative and data table can be made from the very same points. Every word comes
//! from [`crate::sentences`].

use std::collections::BTreeMap;

use oppvekst_analysis::{IndicatorRow, PoliceRow};
use oppvekst_charts::{
    GenderGradeBars, LineChart, MunicipalityStyle, Point, Reference, Series, format_nb,
};
use oppvekst_schema::quarter::Quarter;
use oppvekst_schema::reference::ReferenceRow;

use crate::gaps::SeriesQuarters;
use crate::sentences::{self as w, SeriesLatest};

/// Trend of one indicator for `grade` and `gender`, one line per municipality (and region),
/// with Wilson 95 % intervals as error bars, hidden waves marked `:`, and a published
/// reference level drawn over the waves its period covers.
pub(crate) fn survey_trend(
    rows: &[IndicatorRow],
    indicator: &str,
    label: &str,
    grade: (&str, &str),
    gender: (&str, &str),
    municipalities: &[MunicipalityStyle],
    reference: Option<&ReferenceRow>,
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
                look: m.look,
                points,
                thick: true,
            }
        })
        .collect();
    let reference = reference.map(|r| {
        let inside: Vec<usize> = match r.years() {
            Some((from, to)) => years
                .iter()
                .enumerate()
                .filter(|(_, y)| (from..=to).contains(*y))
                .map(|(i, _)| i)
                .collect(),
            None => Vec::new(),
        };
        Reference {
            label: r.label(),
            level: r.percent,
            span: inside.first().zip(inside.last()).map(|(a, b)| (*a, *b)),
        }
    });
    let names: Vec<String> = years.iter().map(|y| y.to_string()).collect();
    LineChart {
        id: format!("{indicator}_{}_{}", grade.0, gender.0),
        title: label.to_owned(),
        subtitle: w::survey_chart_subtitle(grade.1, gender.1),
        y_label: w::PERCENT.into(),
        x_labels: names.clone(),
        x_names: names,
        series,
        source: w::survey_chart_source(latest, &n_note),
        y_max: None,
        reference,
        hidden_note: w::HIDDEN_NOTE.into(),
    }
}

/// Quarterly police counts for one offence group and age band: per municipality a thin line
/// of the count in each quarter and a thick line of the mean per quarter over the last four.
pub(crate) fn police_trend(
    rows: &[PoliceRow],
    group: &str,
    group_label: &str,
    age: (&str, &str),
    municipalities: &[MunicipalityStyle],
) -> LineChart {
    let sel = select(rows, group, age.0);
    let gaps = SeriesQuarters::new(rows);
    let quarters = quarters_of(&sel, |_| true);
    let xi = x_index(&quarters);
    let mut series = Vec::new();
    let mut latest = Vec::new();
    for m in municipalities {
        let mine: Vec<&&PoliceRow> = sel.iter().filter(|r| r.municipality == m.code).collect();
        series.push(Series {
            name: w::police_quarter_series(&m.name),
            look: m.look,
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
            name: w::police_mean_series(&m.name),
            look: m.look,
            points: mine
                .iter()
                .filter_map(|r| match r.rolling_4q {
                    Some(sum) => Some(Point {
                        x: xi[&r.quarter],
                        y: Some(f64::from(sum) / 4.0),
                        ci: None,
                    }),
                    // A sum over four quarters the series has is hidden (`:`); one that
                    // reaches a quarter it lacks does not exist (no point, `.`).
                    None if gaps.four_quarters(r) => Some(Point {
                        x: xi[&r.quarter],
                        y: None,
                        ci: None,
                    }),
                    None => None,
                })
                .collect(),
            thick: true,
        });
        if let Some((q, sum)) = mine
            .iter()
            .rev()
            .find_map(|r| r.rolling_4q.map(|v| (r.quarter, v)))
        {
            latest.push((m.name.clone(), q, f64::from(sum) / 4.0));
        }
    }
    quarterly(
        format!("politi_{group}_{}", age.0),
        [
            w::police_chart_title(group_label),
            w::police_chart_subtitle(age.1),
            w::POLICE_Y.into(),
            w::police_chart_source(&latest),
        ],
        &quarters,
        series,
    )
}

/// A chart over quarters: `words` are its title, subtitle, y-axis label and source line.
fn quarterly(
    id: String,
    words: [String; 4],
    quarters: &[Quarter],
    series: Vec<Series>,
) -> LineChart {
    let [title, subtitle, y_label, source] = words;
    LineChart {
        id,
        title,
        subtitle,
        y_label,
        x_labels: year_ticks(quarters),
        x_names: quarters.iter().map(|q| q.to_string()).collect(),
        series,
        source,
        y_max: None,
        reference: None,
        hidden_note: w::HIDDEN_NOTE.into(),
    }
}

/// Reported offences per 1,000 inhabitants of the age band over the last four quarters, one
/// line per municipality (and region); `population_note` names the population table used.
pub(crate) fn police_rate(
    rows: &[PoliceRow],
    group: &str,
    group_label: &str,
    age: (&str, &str),
    municipalities: &[MunicipalityStyle],
    population_note: &str,
) -> LineChart {
    let sel = select(rows, group, age.0);
    let gaps = SeriesQuarters::new(rows);
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
                latest.push((m.name.clone(), q, v));
            }
            Series {
                name: m.name.clone(),
                look: m.look,
                points: mine
                    .iter()
                    .filter_map(|r| match (r.rate_per_1000, r.rolling_4q) {
                        (Some(rate), _) => Some(Point {
                            x: xi[&r.quarter],
                            y: Some(rate),
                            ci: None,
                        }),
                        // The sum is hidden: so is its rate.
                        (None, None) if gaps.four_quarters(r) => Some(Point {
                            x: xi[&r.quarter],
                            y: None,
                            ci: None,
                        }),
                        // No sum (the series lacks a quarter) or no population: no rate.
                        _ => None,
                    })
                    .collect(),
                thick: true,
            }
        })
        .collect();
    quarterly(
        format!("politi_rate_{group}_{}", age.0),
        [
            w::rate_chart_title(group_label),
            w::rate_chart_subtitle(age.1),
            w::RATE_Y.into(),
            w::rate_chart_source(population_note, &latest),
        ],
        &quarters,
        series,
    )
}

/// The genders of the schema crate, girls first as the bars show them.
const GIRL: &str = oppvekst_schema::dims::GENDERS[1];
const BOY: &str = oppvekst_schema::dims::GENDERS[0];

/// Grades shown, with labels.
pub(crate) const GRADES: [(&str, &str); 6] = [
    ("8", "8."),
    ("9", "9."),
    ("10", "10."),
    ("VG1", "VG1"),
    ("VG2", "VG2"),
    ("VG3", "VG3"),
];

/// Girls and boys by grade for `indicator` in `municipality` and `year`.
pub(crate) fn gender_grade_bars(
    rows: &[IndicatorRow],
    indicator: &str,
    label: &str,
    year: i32,
    m: &MunicipalityStyle,
) -> GenderGradeBars {
    let get = |g: &str, s: &str| {
        rows.iter().find(|r| {
            r.indicator == indicator
                && r.municipality == m.code
                && r.survey_year == year
                && r.grade == g
                && r.gender == s
        })
    };
    let n: u32 = GRADES
        .iter()
        .flat_map(|(g, _)| [GIRL, BOY].map(|s| get(g, s).map_or(0, |r| r.denominator)))
        .sum();
    GenderGradeBars {
        id: format!("{indicator}_{}_kjonn_trinn", m.code),
        title: format!("{label}: {}", m.name),
        subtitle: w::bars_subtitle(year),
        y_label: w::PERCENT.into(),
        bars: GRADES
            .iter()
            .map(|(g, l)| {
                (
                    (*l).to_owned(),
                    get(g, GIRL).and_then(|r| r.percent),
                    get(g, BOY).and_then(|r| r.percent),
                )
            })
            .collect(),
        names: (w::GIRLS.into(), w::BOYS.into()),
        colour: m.look.colour,
        source: w::bars_source(n),
        y_max: None,
        hidden_note: w::HIDDEN_NOTE.into(),
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

/// A data table as the report shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) struct DataTable {
    /// Caption.
    pub caption: String,
    /// Column names.
    pub header: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<String>>,
}

/// A chart's points as a table: one row per x position, one column per series (and the
/// reference over its period) — every point the chart draws and nothing else. A hidden
/// point is `:`, a position without a point `.`.
pub(crate) fn line_table(
    chart: &LineChart,
    caption: String,
    x_header: &str,
    value: impl Fn(f64) -> String,
) -> DataTable {
    let mut header = vec![x_header.to_owned()];
    header.extend(chart.series.iter().map(|s| s.name.clone()));
    let reference = chart
        .reference
        .as_ref()
        .and_then(|r| r.span.map(|s| (r, s)));
    if let Some((r, _)) = reference {
        header.push(r.label.clone());
    }
    let rows = chart
        .x_names
        .iter()
        .enumerate()
        .map(|(x, name)| {
            let mut row = vec![name.clone()];
            row.extend(
                chart
                    .series
                    .iter()
                    .map(|s| match s.points.iter().find(|p| p.x == x) {
                        None => ".".to_owned(),
                        Some(p) => match (p.y, p.ci) {
                            (None, _) => ":".to_owned(),
                            (Some(y), Some((lo, hi))) => {
                                format!("{} ({}–{})", value(y), value(lo), value(hi))
                            }
                            (Some(y), None) => value(y),
                        },
                    }),
            );
            if let Some((r, (from, to))) = reference {
                row.push(if (from..=to).contains(&x) {
                    value(r.level)
                } else {
                    String::new()
                });
            }
            row
        })
        .collect();
    DataTable {
        caption,
        header,
        rows,
    }
}

/// The latest point of every thick series of `chart` and the point `lag` positions before
/// it (None: the previous published point).
pub(crate) fn latest_points(chart: &LineChart, lag: Option<usize>) -> Vec<SeriesLatest> {
    let name = |x: usize| chart.x_names.get(x).cloned().unwrap_or_default();
    chart
        .series
        .iter()
        .filter(|s| s.thick)
        .filter_map(|s| {
            let published: Vec<(usize, f64)> =
                s.points.iter().filter_map(|p| Some((p.x, p.y?))).collect();
            let (x, y) = *published.last()?;
            let before = match lag {
                Some(l) => x
                    .checked_sub(l)
                    .and_then(|bx| published.iter().find(|(px, _)| *px == bx)),
                None => published.iter().rev().nth(1),
            };
            Some(SeriesLatest {
                name: s.name.clone(),
                now: (name(x), y),
                before: before.map(|(bx, by)| (name(*bx), *by)),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use oppvekst_charts::LOOKS;

    fn style(code: &str, name: &str, i: usize) -> MunicipalityStyle {
        MunicipalityStyle {
            code: code.into(),
            name: name.into(),
            look: LOOKS[i],
        }
    }

    fn police(mun: &str, q: &str, count: Option<u32>, rolling: Option<u32>) -> PoliceRow {
        PoliceRow {
            municipality: mun.into(),
            offence_group: "alle".into(),
            age_band: "alle".into(),
            quarter: q.parse().unwrap(),
            count,
            rolling_4q: rolling,
            change_yoy: None,
            rate_per_1000: None,
            population_year: None,
            status: if count.is_some() {
                "published"
            } else {
                "hidden"
            }
            .into(),
        }
    }

    #[test]
    fn a_hidden_four_quarter_sum_is_colon_and_a_sum_that_cannot_exist_is_dot() {
        // 2016K1–K3 have no four-quarter sum (the series starts there): not available.
        // 2017K2's sum is hidden because 2017K1 is: `:`. 2018K1 comes after a quarter with
        // no extract (2017K4): its sum does not exist.
        let mut rows = vec![
            police("1", "2016Q1", Some(10), None),
            police("1", "2016Q2", Some(11), None),
            police("1", "2016Q3", Some(12), None),
            police("1", "2016Q4", Some(13), Some(46)),
            police("1", "2017Q1", None, None),
            police("1", "2017Q2", Some(14), None),
            police("1", "2017Q3", Some(15), None),
            police("1", "2018Q1", Some(16), None),
        ];
        rows.sort_by_key(|r| r.quarter);
        let chart = police_trend(
            &rows,
            "alle",
            "Alle lovbrudd",
            ("alle", "Alle aldre"),
            &[style("1", "A", 0)],
        );
        let t = line_table(&chart, "c".into(), "Kvartal", format_nb);
        let at = |q: &str| t.rows.iter().find(|r| r[0] == q).unwrap().clone();
        assert_eq!(
            t.header,
            [
                "Kvartal",
                "A, hvert kvartal",
                "A, snitt siste fire kvartaler"
            ]
        );
        assert_eq!(at("2016K1"), ["2016K1", "10", "."]);
        assert_eq!(at("2016K4"), ["2016K4", "13", "11,5"]);
        assert_eq!(at("2017K1"), ["2017K1", ":", ":"]);
        assert_eq!(at("2017K2"), ["2017K2", "14", ":"]);
        assert_eq!(at("2018K1"), ["2018K1", "16", "."]);
        // The text alternative compares the latest published mean with the one a year before.
        let latest = latest_points(&chart, Some(4));
        assert_eq!(latest.len(), 1);
        assert_eq!(latest[0].now, ("2016K4".to_owned(), 11.5));
        assert_eq!(latest[0].before, None);
    }

    fn indicator(mun: &str, year: i32, percent: Option<f64>) -> IndicatorRow {
        IndicatorRow {
            indicator: "beruset".into(),
            focus_area: "Rus".into(),
            municipality: mun.into(),
            survey_year: year,
            grade: "ungdomstrinn".into(),
            gender: "alle".into(),
            numerator: percent.map(|p| p as u32),
            denominator: 100,
            percent,
            ci_low: percent.map(|p| p - 2.0),
            ci_high: percent.map(|p| p + 2.0),
            status: "published".into(),
        }
    }

    #[test]
    fn the_reference_is_drawn_over_its_own_period_and_tabled_only_there() {
        let rows = vec![
            indicator("1", 2016, Some(20.0)),
            indicator("1", 2019, None),
            indicator("1", 2022, Some(14.0)),
            indicator("1", 2025, Some(18.0)),
        ];
        let reference = ReferenceRow {
            indicator: "beruset".into(),
            area: "Norge".into(),
            period: "2023–2025".into(),
            grade: "ungdomstrinn".into(),
            gender: "alle".into(),
            percent: 14.0,
            n: None,
        };
        let chart = survey_trend(
            &rows,
            "beruset",
            "Vært beruset",
            ("ungdomstrinn", "Ungdomstrinnet"),
            ("alle", "begge kjønn"),
            &[style("1", "A", 0)],
            Some(&reference),
        );
        // Only the 2025 wave lies in 2023–2025 (before: a flat line back to 2016).
        assert_eq!(chart.reference.as_ref().unwrap().span, Some((3, 3)));
        let t = line_table(&chart, "c".into(), "År", |v| format!("{v:.0}"));
        assert_eq!(t.header, ["År", "A", "Norge 2023–2025"]);
        assert_eq!(t.rows[0], ["2016", "20 (18–22)", ""]);
        assert_eq!(t.rows[1], ["2019", ":", ""]);
        assert_eq!(t.rows[3], ["2025", "18 (16–20)", "14"]);
        // Latest against the previous published wave (2019 is hidden).
        let l = &latest_points(&chart, None)[0];
        assert_eq!(
            (l.now.clone(), l.before.clone()),
            (("2025".into(), 18.0), Some(("2022".into(), 14.0)))
        );
        // A period none of the waves lie in is not drawn at all.
        let old = ReferenceRow {
            period: "2010–2012".into(),
            ..reference
        };
        let chart = survey_trend(
            &rows,
            "beruset",
            "Vært beruset",
            ("ungdomstrinn", "Ungdomstrinnet"),
            ("alle", "begge kjønn"),
            &[style("1", "A", 0)],
            Some(&old),
        );
        assert_eq!(chart.reference.unwrap().span, None);
    }
}
