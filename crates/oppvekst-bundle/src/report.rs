//! Charts and `index.html`.

use std::collections::BTreeMap;
use std::path::Path;

use oppvekst_charts::{
    GenderGradeBars, LineChart, MunicipalityStyle, nice_max, render, render_bars,
};
use oppvekst_schema::reference::ReferenceRow;

use crate::chart_specs::{
    DataTable, gender_grade_bars, latest_points, line_table, police_rate, police_trend,
    survey_trend,
};
use crate::sentences as w;
use oppvekst_schema::codes::{AGE_ALL, AGE_TARGET, OFFENCE_GROUPS, OFFENCE_TOTAL, offence_label};
use oppvekst_schema::dims::{GENDER_ALL, SchoolLevel};
use serde::Serialize;

use crate::{BundleError, BundleInput, municipality_name};

const INDEX: &str = include_str!("../templates/index.html");
const POLICE: &str = include_str!("../templates/police.html");
const MACROS: &str = include_str!("../templates/macros.html");

/// Grade and gender of the report's main charts.
const MAIN_GRADE: (&str, &str) = (
    SchoolLevel::Ungdomstrinn.code(),
    SchoolLevel::Ungdomstrinn.label(),
);
const MAIN_GENDER: (&str, &str) = (GENDER_ALL, w::BOTH_GENDERS);
/// Age band of the police charts by offence group.
const POLICE_AGE: (&str, &str) = (AGE_ALL, w::ALL_AGES);
/// Age band of the SLT target-group chart.
pub(crate) const TARGET_AGE: (&str, &str) = (AGE_TARGET, w::TARGET_AGES);

/// A police chart with what it shows.
pub(crate) struct PoliceChart {
    chart: LineChart,
    group: String,
    age: String,
    label: String,
}

/// Every chart of the report, as drawn.
pub(crate) struct Charts {
    survey: BTreeMap<String, LineChart>,
    bars: BTreeMap<String, Vec<GenderGradeBars>>,
    police: Vec<PoliceChart>,
    rates: Vec<PoliceChart>,
}

/// True for a configured municipality (not the region).
fn is_municipality(input: &BundleInput<'_>, code: &str) -> bool {
    input.municipalities.iter().any(|m| m.code == code)
        && input.region.as_ref().is_none_or(|(r, _)| r != code)
}

/// The municipalities without the region (police count charts draw two lines per unit).
fn without_region(input: &BundleInput<'_>) -> Vec<MunicipalityStyle> {
    input
        .municipalities
        .iter()
        .filter(|m| {
            input
                .region
                .as_ref()
                .is_none_or(|(code, _)| &m.code != code)
        })
        .cloned()
        .collect()
}

/// The reference level of an indicator for a grade group and gender.
fn reference_for<'a>(
    input: &'a BundleInput<'_>,
    indicator: &str,
    grade: &str,
    gender: &str,
) -> Option<&'a ReferenceRow> {
    input
        .reference
        .iter()
        .find(|r| r.indicator == indicator && r.grade == grade && r.gender == gender)
}

/// Renders every chart into `dir`.
pub(crate) fn charts(input: &BundleInput<'_>, dir: &Path) -> Result<Charts, BundleError> {
    let mut survey = BTreeMap::new();
    let mut bars = BTreeMap::new();
    let municipalities = without_region(input);
    for ind in &input.catalogue.indicators {
        let chart = survey_trend(
            &input.indicators.rows,
            &ind.id,
            &ind.label,
            MAIN_GRADE,
            MAIN_GENDER,
            &input.municipalities,
            reference_for(input, &ind.id, MAIN_GRADE.0, MAIN_GENDER.0),
        );
        render(&chart, dir)?;
        survey.insert(ind.id.clone(), chart);
        if let Some(year) = input
            .indicators
            .rows
            .iter()
            .filter(|r| r.indicator == ind.id)
            .map(|r| r.survey_year)
            .max()
        {
            let mut set: Vec<GenderGradeBars> = municipalities
                .iter()
                .map(|m| gender_grade_bars(&input.indicators.rows, &ind.id, &ind.label, year, m))
                .collect();
            // Bars shown side by side are compared: one y scale for all of them.
            let top = nice_max(set.iter().map(|b| b.data_max()).fold(0.0, f64::max));
            for b in &mut set {
                b.y_max = Some(top);
                render_bars(b, dir)?;
            }
            bars.insert(ind.id.clone(), set);
        }
    }
    let mut police = Vec::new();
    let groups = std::iter::once(OFFENCE_TOTAL).chain(OFFENCE_GROUPS.iter().map(|g| g.0));
    for group in groups {
        let label = offence_label(group);
        let chart = police_trend(
            &input.police_series.rows,
            group,
            label,
            POLICE_AGE,
            &municipalities,
        );
        render(&chart, dir)?;
        police.push(PoliceChart {
            chart,
            group: group.to_owned(),
            age: POLICE_AGE.0.to_owned(),
            label: w::police_section(label, POLICE_AGE.1),
        });
    }
    let chart = police_trend(
        &input.police_series.rows,
        OFFENCE_TOTAL,
        offence_label(OFFENCE_TOTAL),
        TARGET_AGE,
        &municipalities,
    );
    render(&chart, dir)?;
    police.push(PoliceChart {
        chart,
        group: OFFENCE_TOTAL.to_owned(),
        age: TARGET_AGE.0.to_owned(),
        label: w::police_section(offence_label(OFFENCE_TOTAL), TARGET_AGE.1),
    });
    let mut rates = Vec::new();
    if let Some(note) = &input.population_note {
        for (group, age) in [
            (OFFENCE_TOTAL, TARGET_AGE),
            ("vold", TARGET_AGE),
            (OFFENCE_TOTAL, POLICE_AGE),
        ] {
            let label = offence_label(group);
            let chart = police_rate(
                &input.police_series.rows,
                group,
                label,
                age,
                &input.municipalities,
                note,
            );
            if chart.series.iter().all(|s| s.points.is_empty()) {
                continue;
            }
            render(&chart, dir)?;
            rates.push(PoliceChart {
                chart,
                group: group.to_owned(),
                age: age.0.to_owned(),
                label: w::rate_section(label, age.1),
            });
        }
    }
    Ok(Charts {
        survey,
        bars,
        police,
        rates,
    })
}

/// One row of the public protection summary (report and manifest). It counts hidden cells
/// but does not split them into primary cells and complements, and gives no interval: "k of
/// these are primary", or "the narrowest protected interval is w" while a reader can compute
/// narrower ones, would tell which hidden cells are complements (T < x < n − T) — something
/// the audit's reader does not know. The split and the intervals are in the analyst's
/// confidential rule log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProtectionRow {
    /// Table.
    pub name: String,
    /// Cells.
    pub cells: usize,
    /// Hidden cells (each shown as `:`).
    pub hidden: usize,
    /// Share of the cells hidden.
    pub hidden_share: f64,
    /// The share as the report shows it (`16,7 %`).
    pub hidden_percent: String,
    /// Information lost at the finest level: the sum of the hidden inner cells, which every
    /// reader can compute from the published cells (None when a top-level total is hidden).
    /// The sum of every hidden value is not published (see the method note).
    pub hidden_inner_value: Option<u64>,
    /// The same as the report shows it (`1 234`, or `–`).
    pub hidden_inner_text: String,
    /// Additive relations checked.
    pub relations: usize,
    /// Required width of a protected cell's interval (as the method note states).
    pub required_width: u64,
    /// Protected cells with a too-narrow interval (0 in any published bundle).
    pub audit_failures: usize,
}

pub(crate) fn protection_rows(input: &BundleInput<'_>) -> Vec<ProtectionRow> {
    input
        .protected_tables()
        .iter()
        .map(|(t, rules)| {
            let s = t.summary();
            let inner = t.hidden_inner_value();
            ProtectionRow {
                name: t.name().to_owned(),
                cells: s.cells,
                hidden: s.hidden(),
                hidden_share: (s.hidden_share() * 10_000.0).round() / 10_000.0,
                hidden_percent: format!("{:.1} %", s.hidden_share() * 100.0).replace('.', ","),
                hidden_inner_value: inner,
                hidden_inner_text: inner.map_or_else(|| "–".to_owned(), w::thousands),
                relations: s.relations,
                required_width: rules.protection_width,
                audit_failures: t.audit().failures.len(),
            }
        })
        .collect()
}

#[derive(Serialize)]
struct TableRow {
    year: String,
    cells: Vec<String>,
}

/// A chart in the page: file stem and text alternative.
#[derive(Serialize)]
struct ChartView {
    id: String,
    alt: String,
}

#[derive(Serialize)]
struct IndicatorView {
    anchor: String,
    label: String,
    chart: ChartView,
    rows: Vec<TableRow>,
    compare_year: String,
    compare: Vec<Vec<String>>,
    bars: Vec<ChartView>,
    bars_table: Option<DataTable>,
    /// The reference drawn in the chart (its column in the table).
    reference: Option<String>,
}

#[derive(Serialize)]
struct AreaView {
    anchor: String,
    name: String,
    indicators: Vec<IndicatorView>,
}

#[derive(Serialize)]
struct PoliceView {
    anchor: String,
    label: String,
    chart: ChartView,
    /// The last eight quarters, newest first.
    recent: DataTable,
    /// Every point of the chart.
    all: DataTable,
}

/// One item of the first screen, linking to its section.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct SummaryItem {
    pub text: String,
    pub href: String,
}

/// The first screen: what changed, what differs from the country, police 10–25.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct FirstScreen {
    pub changes: Vec<SummaryItem>,
    pub differences: Vec<SummaryItem>,
    pub tested: String,
    pub police: Vec<SummaryItem>,
}

#[derive(Serialize)]
struct Page<'a> {
    t: BTreeMap<&'static str, &'static str>,
    no_changes: &'static str,
    no_differences: &'static str,
    title: &'a str,
    period_label: &'a str,
    release_date: Option<String>,
    municipality_names: String,
    municipalities: Vec<&'a str>,
    first: FirstScreen,
    areas: Vec<AreaView>,
    police: Vec<PoliceView>,
    rates: Vec<PoliceView>,
    region_note: Option<&'a str>,
    population_note: Option<&'a str>,
    police_names: Vec<&'a str>,
    method: Vec<String>,
    flags: Vec<FlagView>,
    flag_names: Vec<String>,
    protection: Vec<ProtectionRow>,
    reconciliation: &'a [crate::Reconciliation],
    answers_note: Option<String>,
    official_note: Option<String>,
    official: Vec<Vec<String>>,
}

/// The plausibility check's rows as the report shows them: municipality, period, offence
/// group, the local figure, SSB's, and the difference in percent.
fn official_rows(input: &BundleInput<'_>) -> Vec<Vec<String>> {
    let one_decimal = |x: f64| format!("{x:.1}").replace('.', ",");
    input
        .official
        .iter()
        .flatten()
        .map(|c| {
            let local = c.local.map_or_else(|| ":".to_owned(), one_decimal);
            let ssb = c
                .ssb
                .map_or_else(|| c.ssb_symbol.unwrap_or("..").to_owned(), one_decimal);
            let diff = match (c.local, c.ssb) {
                (Some(l), Some(s)) if s > 0.0 => {
                    format!(
                        "{} %",
                        format!("{:+.0}", 100.0 * (l - s) / s).replace('-', "−")
                    )
                }
                _ => "–".to_owned(),
            };
            vec![
                c.municipality.clone(),
                c.period.clone(),
                oppvekst_schema::codes::offence_label(&c.group).to_owned(),
                local,
                ssb,
                diff,
            ]
        })
        .collect()
}

/// One flag (vold i nære relasjoner, hatkriminalitet, uteliv): all offence groups, the last
/// eight quarters, one column per municipality.
#[derive(Serialize)]
struct FlagView {
    label: &'static str,
    rows: Vec<TableRow>,
}

/// The flag tables of the report and their municipality names (columns).
fn flag_views(input: &BundleInput<'_>) -> (Vec<FlagView>, Vec<String>) {
    let Some((flags, _)) = input.police_flags else {
        return (Vec::new(), Vec::new());
    };
    let cells: std::collections::BTreeMap<(&str, &str, &str), Option<u64>> = flags
        .cells()
        .iter()
        .filter(|c| c.key()[2] == oppvekst_schema::codes::OFFENCE_TOTAL)
        .map(|c| {
            let k = c.key();
            ((k[0].as_str(), k[1].as_str(), k[3].as_str()), c.value())
        })
        .collect();
    let muns: Vec<&crate::MunicipalityStyle> = input
        .municipalities
        .iter()
        .filter(|m| cells.keys().any(|k| k.0 == m.code))
        .collect();
    let quarters: std::collections::BTreeSet<&str> = cells.keys().map(|k| k.1).collect();
    let last: Vec<&str> = quarters.iter().rev().take(8).rev().copied().collect();
    let views = oppvekst_schema::codes::FLAGS
        .iter()
        .filter(|f| cells.keys().any(|k| k.2 == f.0))
        .map(|f| FlagView {
            label: f.1,
            rows: last
                .iter()
                .map(|q| TableRow {
                    year: oppvekst_schema::quarter::display_code(q),
                    cells: muns
                        .iter()
                        .map(|m| match cells.get(&(m.code.as_str(), *q, f.0)) {
                            Some(Some(v)) => v.to_string(),
                            Some(None) => ":".to_owned(),
                            None => ".".to_owned(),
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    (views, muns.iter().map(|m| m.name.clone()).collect())
}

/// Anchor of an indicator's section.
fn indicator_anchor(id: &str) -> String {
    format!("ind-{id}")
}

/// Anchor of a police chart's section.
fn police_anchor(group: &str, age: &str) -> String {
    format!("politi-{group}-{age}")
}

/// How many items of each kind the first screen names at most.
const FIRST_CHANGES: usize = 5;
const FIRST_DIFFERENCES: usize = 3;

/// The first screen. Changes and differences are those the Benjamini–Hochberg correction
/// over every test of the release keeps (`significant`), for both genders together, in a
/// municipality, largest first; police is ages 10–25, one sentence per municipality.
pub(crate) fn first_screen(input: &BundleInput<'_>) -> FirstScreen {
    let label = |id: &str| {
        input
            .catalogue
            .indicator(id)
            .map_or_else(|| id.to_owned(), |i| i.label.clone())
    };
    // Ungdomstrinn or videregående as a whole (not one grade).
    let level = |grade: &str| SchoolLevel::from_code(grade).is_some();
    let mut sig: Vec<_> = input
        .changes
        .iter()
        .filter(|c| c.significant && c.gender == MAIN_GENDER.0 && level(&c.grade))
        .filter(|c| is_municipality(input, &c.municipality))
        .collect();
    sig.sort_by(|a, b| {
        (b.to_percent - b.from_percent)
            .abs()
            .total_cmp(&(a.to_percent - a.from_percent).abs())
            .then_with(|| a.indicator.cmp(&b.indicator))
            .then_with(|| a.municipality.cmp(&b.municipality))
            .then_with(|| a.grade.cmp(&b.grade))
    });
    let changes = sig
        .iter()
        .take(FIRST_CHANGES)
        .map(|c| SummaryItem {
            text: w::change_sentence(&w::ChangeWords {
                indicator: &label(&c.indicator),
                municipality: municipality_name(input, &c.municipality),
                upper_secondary: c.grade != SchoolLevel::Ungdomstrinn.code(),
                from_percent: c.from_percent,
                to_percent: c.to_percent,
                from_year: c.from_year,
                to_year: c.to_year,
            }),
            href: format!("#{}", indicator_anchor(&c.indicator)),
        })
        .collect();
    let mut diffs: Vec<_> = input
        .comparisons
        .rows
        .iter()
        .filter(|c| c.significant && c.gender == MAIN_GENDER.0 && level(&c.grade))
        .filter(|c| is_municipality(input, &c.municipality))
        .filter(|c| c.difference.is_some() && c.reference.is_some())
        .collect();
    diffs.sort_by(|a, b| {
        b.difference
            .unwrap_or(0.0)
            .abs()
            .total_cmp(&a.difference.unwrap_or(0.0).abs())
            .then_with(|| a.indicator.cmp(&b.indicator))
            .then_with(|| a.municipality.cmp(&b.municipality))
            .then_with(|| a.grade.cmp(&b.grade))
    });
    let differences = diffs
        .iter()
        .take(FIRST_DIFFERENCES)
        .filter_map(|c| {
            Some(SummaryItem {
                text: w::difference_sentence(&w::DifferenceWords {
                    indicator: &label(&c.indicator),
                    municipality: municipality_name(input, &c.municipality),
                    upper_secondary: c.grade != SchoolLevel::Ungdomstrinn.code(),
                    percent: c.percent?,
                    reference: c.reference.as_deref()?,
                    reference_percent: c.reference_percent?,
                    year: c.survey_year,
                }),
                href: format!("#{}", indicator_anchor(&c.indicator)),
            })
        })
        .collect();
    let tested = w::tested_sentence(
        input.tests,
        input.changes.iter().filter(|c| c.significant).count(),
        input.changes.len(),
        input
            .comparisons
            .rows
            .iter()
            .filter(|c| c.significant)
            .count(),
        input
            .comparisons
            .rows
            .iter()
            .filter(|c| c.p_value.is_some())
            .count(),
    );
    let href = format!("#{}", police_anchor(OFFENCE_TOTAL, TARGET_AGE.0));
    let police = without_region(input)
        .iter()
        .filter_map(|m| {
            let series: Vec<_> = input
                .police_series
                .rows
                .iter()
                .filter(|r| {
                    r.municipality == m.code
                        && r.offence_group == OFFENCE_TOTAL
                        && r.age_band == TARGET_AGE.0
                })
                .collect();
            let last = series.last()?;
            let year_before = last.quarter.prev().prev().prev().prev();
            let before = series
                .iter()
                .find(|r| r.quarter == year_before)
                .and_then(|r| r.rolling_4q);
            Some(SummaryItem {
                text: w::police_target_sentence(&m.name, last.quarter, last.rolling_4q, before),
                href: href.clone(),
            })
        })
        .collect();
    FirstScreen {
        changes,
        differences,
        tested,
        police,
    }
}

/// The section of a police chart: its text alternative, the last eight quarters and every
/// point it draws, both from the chart itself.
fn police_view(c: &PoliceChart, rate: bool) -> PoliceView {
    let value = move |v: f64| {
        if rate {
            w::one_decimal(v)
        } else {
            oppvekst_charts::format_nb(v)
        }
    };
    let chart = &c.chart;
    let mut all = line_table(
        chart,
        format!("{}, {}", c.label, w::ALL_QUARTERS),
        w::QUARTER,
        value,
    );
    all.rows.reverse();
    let recent = DataTable {
        caption: format!("{}, {}", c.label, w::RECENT_QUARTERS),
        header: all.header.clone(),
        rows: all.rows.iter().take(8).cloned().collect(),
    };
    let span = chart.x_names.first().zip(chart.x_names.last());
    PoliceView {
        anchor: if rate {
            format!("rate-{}-{}", c.group, c.age)
        } else {
            police_anchor(&c.group, &c.age)
        },
        label: c.label.clone(),
        chart: ChartView {
            id: chart.id.clone(),
            alt: w::line_alt(
                &chart.title,
                &chart.subtitle,
                span.map(|(a, b)| (a.as_str(), b.as_str())),
                &latest_points(chart, Some(4)),
                None,
                &value,
            ),
        },
        recent,
        all,
    }
}

/// The latest wave of each unit for an indicator (ungdomstrinn and videregående, both
/// genders): percent with interval, standardised percent and the reference difference.
fn compare_rows(input: &BundleInput<'_>, indicator: &str) -> (String, Vec<Vec<String>>) {
    let rows: Vec<_> = input
        .comparisons
        .rows
        .iter()
        .filter(|c| c.indicator == indicator && c.gender == MAIN_GENDER.0)
        .collect();
    let years: std::collections::BTreeSet<i32> = rows.iter().map(|c| c.survey_year).collect();
    let year = years
        .iter()
        .map(|y| y.to_string())
        .collect::<Vec<_>>()
        .join("/");
    let mut out = Vec::new();
    for (grade, grade_label) in SchoolLevel::ALL.map(|l| (l.code(), l.label())) {
        for m in &input.municipalities {
            let Some(c) = rows
                .iter()
                .find(|c| c.grade == grade && c.municipality == m.code)
            else {
                continue;
            };
            let pct = match (c.percent, c.ci_low, c.ci_high) {
                (Some(p), Some(lo), Some(hi)) => format!(
                    "{} % ({}–{})",
                    w::one_decimal(p),
                    w::one_decimal(lo),
                    w::one_decimal(hi)
                ),
                _ => ":".into(),
            };
            let std = c
                .percent_std
                .map(w::percent_words)
                .unwrap_or_else(|| "–".into());
            let diff = match (c.difference, &c.reference) {
                (Some(d), Some(r)) => w::difference_cell(d, r, c.significant),
                _ => "–".into(),
            };
            out.push(vec![
                grade_label.to_owned(),
                m.name.clone(),
                pct,
                w::thousands(c.denominator.into()),
                std,
                diff,
            ]);
        }
        if let Some(r) = reference_for(input, indicator, grade, MAIN_GENDER.0) {
            out.push(vec![
                grade_label.to_owned(),
                r.label(),
                w::percent_words(r.percent),
                String::new(),
                String::new(),
                String::new(),
            ]);
        }
    }
    (year, out)
}

fn cell_text(r: Option<&oppvekst_analysis::IndicatorRow>) -> String {
    match r {
        None => ".".into(),
        Some(r) => match (r.percent, r.ci_low, r.ci_high) {
            (Some(p), Some(lo), Some(hi)) => format!(
                "{} % ({}–{}), n = {}",
                w::one_decimal(p),
                w::one_decimal(lo),
                w::one_decimal(hi),
                w::thousands(r.denominator.into())
            ),
            _ => format!(": (n = {})", w::thousands(r.denominator.into())),
        },
    }
}

/// The text alternative of a survey trend chart.
fn survey_alt(chart: &LineChart) -> String {
    let pct = |v: f64| w::percent_words(v);
    let span = chart.x_names.first().zip(chart.x_names.last());
    w::line_alt(
        &chart.title,
        &chart.subtitle,
        span.map(|(a, b)| (a.as_str(), b.as_str())),
        &latest_points(chart, None),
        chart
            .reference
            .as_ref()
            .filter(|r| r.span.is_some())
            .map(|r| (r.label.as_str(), pct(r.level))),
        &pct,
    )
}

/// One table of the gender and grade bars of all municipalities: a row per grade, girls
/// and boys per municipality — the points of the bar charts.
fn bars_table(label: &str, bars: &[GenderGradeBars], names: &[MunicipalityStyle]) -> DataTable {
    let mut header = vec![w::GRADE.to_owned()];
    for m in names.iter().take(bars.len()) {
        header.push(format!("{}, {}", m.name, w::GIRLS.to_lowercase()));
        header.push(format!("{}, {}", m.name, w::BOYS.to_lowercase()));
    }
    let cell = |v: Option<f64>| v.map_or_else(|| ":".to_owned(), w::percent_words);
    let rows = crate::chart_specs::GRADES
        .iter()
        .enumerate()
        .map(|(i, (_, grade))| {
            let mut row = vec![(*grade).to_owned()];
            for b in bars {
                let (_, g, boy) = b.bars.get(i).cloned().unwrap_or_default();
                row.push(cell(g));
                row.push(cell(boy));
            }
            row
        })
        .collect();
    DataTable {
        caption: w::bars_table_caption(label),
        header,
        rows,
    }
}

/// Renders `index.html`.
pub(crate) fn html(input: &BundleInput<'_>, charts: &Charts) -> Result<String, BundleError> {
    let rows = &input.indicators.rows;
    let police_units = without_region(input);
    let mut areas: Vec<AreaView> = Vec::new();
    for ind in &input.catalogue.indicators {
        let sel: Vec<_> = rows
            .iter()
            .filter(|r| {
                r.indicator == ind.id && r.grade == MAIN_GRADE.0 && r.gender == MAIN_GENDER.0
            })
            .collect();
        let mut years: Vec<i32> = sel.iter().map(|r| r.survey_year).collect();
        years.sort_unstable();
        years.dedup();
        let (compare_year, compare) = compare_rows(input, &ind.id);
        let bars = charts.bars.get(&ind.id);
        let survey_chart = charts.survey.get(&ind.id);
        let reference = survey_chart
            .and_then(|c| c.reference.as_ref())
            .filter(|r| r.span.is_some());
        let view = IndicatorView {
            anchor: indicator_anchor(&ind.id),
            compare_year,
            compare,
            label: ind.label.clone(),
            chart: charts
                .survey
                .get(&ind.id)
                .map(|c| ChartView {
                    id: c.id.clone(),
                    alt: survey_alt(c),
                })
                .ok_or_else(|| BundleError::Template(format!("no chart for {}", ind.id)))?,
            bars: bars
                .into_iter()
                .flatten()
                .map(|b| ChartView {
                    id: b.id.clone(),
                    alt: w::bars_alt(b),
                })
                .collect(),
            bars_table: bars.map(|b| bars_table(&ind.label, b, &police_units)),
            reference: reference.map(|r| r.label.clone()),
            rows: years
                .iter()
                .map(|y| TableRow {
                    year: y.to_string(),
                    cells: input
                        .municipalities
                        .iter()
                        .map(|m| {
                            cell_text(
                                sel.iter()
                                    .find(|r| r.survey_year == *y && r.municipality == m.code)
                                    .copied(),
                            )
                        })
                        // The reference where the chart draws it (its own period).
                        .chain(reference.map(|r| {
                            let x = survey_chart.map_or(&[][..], |c| &c.x_names[..]);
                            let at = x.iter().position(|n| *n == y.to_string());
                            match (r.span, at) {
                                (Some((a, b)), Some(i)) if (a..=b).contains(&i) => {
                                    w::percent_words(r.level)
                                }
                                _ => String::new(),
                            }
                        }))
                        .collect(),
                })
                .collect(),
        };
        match areas.iter_mut().find(|a| a.name == ind.focus_area) {
            Some(a) => a.indicators.push(view),
            None => areas.push(AreaView {
                anchor: format!("omr-{}", areas.len() + 1),
                name: ind.focus_area.clone(),
                indicators: vec![view],
            }),
        }
    }
    let police = charts
        .police
        .iter()
        .map(|c| police_view(c, false))
        .collect();
    let rates = charts.rates.iter().map(|c| police_view(c, true)).collect();
    let names: Vec<&str> = input
        .municipalities
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    let municipality_names: Vec<&str> = police_units.iter().map(|m| m.name.as_str()).collect();
    let mut env = minijinja::Environment::new();
    env.add_template("index.html", INDEX)
        .and_then(|_| env.add_template("police", POLICE))
        .and_then(|_| env.add_template("macros", MACROS))
        .map_err(|e| BundleError::Template(e.to_string()))?;
    // The chart files' sizes and the phone version's name, as the charts crate draws them.
    env.add_global(
        "wide_size",
        minijinja::Value::from_iter([oppvekst_charts::PNG_SIZE.0, oppvekst_charts::PNG_SIZE.1]),
    );
    env.add_global(
        "narrow_size",
        minijinja::Value::from_iter([
            oppvekst_charts::NARROW_SIZE.0,
            oppvekst_charts::NARROW_SIZE.1,
        ]),
    );
    env.add_global("narrow_suffix", oppvekst_charts::NARROW_SUFFIX);
    let tmpl = env
        .get_template("index.html")
        .map_err(|e| BundleError::Template(e.to_string()))?;
    let (flags, flag_names) = flag_views(input);
    let page = Page {
        t: w::PAGE.iter().copied().collect(),
        no_changes: w::NO_CHANGES,
        no_differences: w::NO_DIFFERENCES,
        title: &input.title,
        period_label: &input.period_label,
        release_date: input.release_date.as_deref().map(w::date_words),
        municipality_names: municipality_names.join(", "),
        municipalities: names.clone(),
        first: first_screen(input),
        areas,
        police,
        rates,
        region_note: input.region.as_ref().map(|r| r.1.as_str()),
        population_note: input.population_note.as_deref(),
        police_names: police_units.iter().map(|m| m.name.as_str()).collect(),
        method: w::method(input),
        flags,
        flag_names,
        protection: protection_rows(input),
        reconciliation: &input.reconciliation,
        answers_note: w::answers_sentence(&input.reconciliation),
        official_note: input
            .official
            .as_ref()
            .map(|rows| w::official_sentence(!rows.is_empty())),
        official: official_rows(input),
    };
    tmpl.render(minijinja::value::Serde(&page))
        .map_err(|e| BundleError::Template(e.to_string()))
}
