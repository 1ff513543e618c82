//! Charts and `index.html`.

use std::collections::BTreeMap;
use std::path::Path;

use oppvekst_charts::{
    MunicipalityStyle, gender_grade_bars, police_rate, police_trend, render, render_bars,
    survey_trend,
};
use oppvekst_schema::codes::{OFFENCE_GROUPS, OFFENCE_TOTAL, offence_label};
use oppvekst_schema::dims::{GENDER_ALL, SchoolLevel};
use serde::Serialize;

use crate::{BundleError, BundleInput, municipality_name};

const INDEX: &str = include_str!("../templates/index.html");

/// Grade and gender of the report's main charts.
const MAIN_GRADE: (&str, &str) = (
    SchoolLevel::Ungdomstrinn.code(),
    SchoolLevel::Ungdomstrinn.label(),
);
const MAIN_GENDER: (&str, &str) = (GENDER_ALL, "begge kjønn");
/// Age band of the police charts by offence group.
const POLICE_AGE: (&str, &str) = ("alle", "Alle aldre");
/// Age band of the SLT target-group chart.
const TARGET_AGE: (&str, &str) = ("10-25", "Mistenkte 10–25 år");

/// Percent with one decimal and a decimal comma.
pub(crate) fn format_percent(p: f64) -> String {
    format!("{p:.1}").replace('.', ",")
}

/// Whole number with a non-breaking space as the thousands separator (same as the charts).
pub(crate) fn format_int(n: i64) -> String {
    oppvekst_charts::format_nb(n as f64)
}

pub(crate) struct ChartIds {
    survey: BTreeMap<String, String>,
    bars: BTreeMap<String, Vec<String>>,
    police: Vec<(String, String, String, String)>,
    rates: Vec<(String, String, String, String)>,
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

/// The reference level of an indicator for a grade group and gender, with its label.
fn reference_for(
    input: &BundleInput<'_>,
    indicator: &str,
    grade: &str,
    gender: &str,
) -> Option<(String, f64)> {
    input
        .reference
        .iter()
        .find(|r| r.indicator == indicator && r.grade == grade && r.gender == gender)
        .map(|r| (r.label(), r.percent))
}

/// Renders every chart into `dir`.
pub(crate) fn charts(input: &BundleInput<'_>, dir: &Path) -> Result<ChartIds, BundleError> {
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
        survey.insert(ind.id.clone(), chart.id);
        if let Some(year) = input
            .indicators
            .rows
            .iter()
            .filter(|r| r.indicator == ind.id)
            .map(|r| r.survey_year)
            .max()
        {
            for m in &municipalities {
                let b = gender_grade_bars(&input.indicators.rows, &ind.id, &ind.label, year, m);
                render_bars(&b, dir)?;
                bars.entry(ind.id.clone())
                    .or_insert_with(Vec::new)
                    .push(b.id);
            }
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
        police.push((
            chart.id,
            group.to_owned(),
            POLICE_AGE.0.to_owned(),
            format!("{label}, alle aldre"),
        ));
    }
    let chart = police_trend(
        &input.police_series.rows,
        OFFENCE_TOTAL,
        "alle lovbrudd",
        TARGET_AGE,
        &municipalities,
    );
    render(&chart, dir)?;
    police.push((
        chart.id,
        OFFENCE_TOTAL.to_owned(),
        TARGET_AGE.0.to_owned(),
        "Alle lovbrudd, mistenkte 10–25 år".into(),
    ));
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
            rates.push((
                chart.id,
                group.to_owned(),
                age.0.to_owned(),
                format!("{label} per 1 000 innbyggere, {}", age.1.to_lowercase()),
            ));
        }
    }
    Ok(ChartIds {
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
                hidden_inner_text: inner.map_or_else(
                    || "–".to_owned(),
                    |v| format_int(i64::try_from(v).unwrap_or(i64::MAX)),
                ),
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

#[derive(Serialize)]
struct IndicatorView {
    label: String,
    chart: String,
    bars: Vec<String>,
    rows: Vec<TableRow>,
    compare_year: String,
    compare: Vec<Vec<String>>,
}

#[derive(Serialize)]
struct AreaView {
    name: String,
    indicators: Vec<IndicatorView>,
}

#[derive(Serialize)]
struct PoliceView {
    label: String,
    chart: String,
    rows: Vec<TableRow>,
}

#[derive(Serialize)]
struct Page<'a> {
    title: &'a str,
    period_label: &'a str,
    release_date: Option<String>,
    municipality_names: String,
    municipalities: Vec<&'a str>,
    summary: Vec<String>,
    areas: Vec<AreaView>,
    police_summary: Vec<String>,
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

fn summary_sentences(input: &BundleInput<'_>) -> Vec<String> {
    let mut sig: Vec<_> = input
        .changes
        .iter()
        .filter(|c| {
            c.significant && c.gender == MAIN_GENDER.0 && SchoolLevel::from_code(&c.grade).is_some()
        })
        .filter(|c| is_municipality(input, &c.municipality))
        .collect();
    sig.sort_by(|a, b| {
        b.z.abs()
            .total_cmp(&a.z.abs())
            .then_with(|| a.indicator.cmp(&b.indicator))
    });
    let mut out: Vec<String> = sig
        .iter()
        .take(10)
        .map(|c| {
            let label = input
                .catalogue
                .indicator(&c.indicator)
                .map(|i| i.label.as_str())
                .unwrap_or(&c.indicator);
            let verb = if c.to_percent > c.from_percent {
                "økte"
            } else {
                "sank"
            };
            let level = if c.grade == SchoolLevel::Ungdomstrinn.code() {
                "på ungdomstrinnet"
            } else {
                "på videregående"
            };
            format!(
                "Andelen «{}» {verb} fra {} % til {} % {level} i {} fra {} til {}.",
                label.to_lowercase(),
                c.from_percent.round(),
                c.to_percent.round(),
                municipality_name(input, &c.municipality),
                c.from_year,
                c.to_year
            )
        })
        .collect();
    let mut above: Vec<_> = input
        .comparisons
        .rows
        .iter()
        .filter(|c| c.significant && c.gender == MAIN_GENDER.0 && c.grade == MAIN_GRADE.0)
        .filter(|c| is_municipality(input, &c.municipality))
        .collect();
    above.sort_by(|a, b| {
        a.p_value
            .unwrap_or(1.0)
            .total_cmp(&b.p_value.unwrap_or(1.0))
            .then_with(|| a.indicator.cmp(&b.indicator))
            .then_with(|| a.municipality.cmp(&b.municipality))
    });
    let reference_sentences: Vec<String> = above
        .iter()
        .take(5)
        .filter_map(|c| {
            let label = input.catalogue.indicator(&c.indicator)?.label.to_lowercase();
            Some(format!(
                "På ungdomstrinnet i {} ligger andelen «{label}» {} landsnivået ({}): {} % mot {} % i {}.",
                municipality_name(input, &c.municipality),
                if c.difference? > 0.0 { "over" } else { "under" },
                c.reference.as_deref()?,
                c.percent?.round(),
                c.reference_percent?.round(),
                c.survey_year
            ))
        })
        .collect();
    if out.is_empty() {
        out.push("Ingen statistisk sikre endringer mellom de to siste undersøkelsene.".into());
    } else {
        out.push(format!(
            "Bare endringer og forskjeller som er statistisk sikre er nevnt: tosidig test, og p-verdien korrigert for at {} sammenligninger er gjort (Benjamini–Hochberg, høyst 5 % falske funn); {} av {} endringer mellom de to siste undersøkelsene holder.",
            crate::report::format_int(input.tests as i64),
            input.changes.iter().filter(|c| c.significant).count(),
            crate::report::format_int(input.changes.len() as i64)
        ));
    }
    out.extend(reference_sentences);
    out
}

fn police_sentences(input: &BundleInput<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for m in &input.municipalities {
        let series: Vec<_> = input
            .police_series
            .rows
            .iter()
            .filter(|r| {
                r.municipality == m.code
                    && r.offence_group == OFFENCE_TOTAL
                    && r.age_band == POLICE_AGE.0
            })
            .collect();
        let Some(last) = series.last() else { continue };
        let earlier = series.len().checked_sub(5).map(|i| series[i]);
        match (last.rolling_4q, earlier.and_then(|e| e.rolling_4q.map(|v| (e, v)))) {
            (Some(now), Some((e, before))) => out.push(format!(
                "I {} ble det anmeldt {} lovbrudd de siste fire kvartalene til og med {}, mot {} i de fire kvartalene til og med {}.",
                m.name,
                format_int(now.into()),
                crate::sentences::quarter_words(last.quarter),
                format_int(before.into()),
                crate::sentences::quarter_words(e.quarter)
            )),
            (Some(now), None) => out.push(format!(
                "I {} ble det anmeldt {} lovbrudd de siste fire kvartalene til og med {}.",
                m.name,
                format_int(now.into()),
                crate::sentences::quarter_words(last.quarter)
            )),
            _ => {}
        }
    }
    out
}

fn method(input: &BundleInput<'_>) -> Vec<String> {
    let s = input.survey_rules;
    let p = input.police_rules;
    let mut v = vec![format!(
        "Svarene i Ungdata og politiets tall er taushetsbelagte. Før noe publiseres, skjules tall som kan si noe om enkeltpersoner. \
         En andel fra Ungdata vises ikke når {} eller færre har svart ja{}{}.",
        s.max_small_count,
        s.max_small_complement
            .map(|t| format!(", når {t} eller færre har svart nei"))
            .unwrap_or_default(),
        s.max_small_denominator
            .map(|n| format!(", eller når gruppen har {n} eller færre svar"))
            .unwrap_or_default(),
    )];
    if let Some(g) = &s.gender {
        v.push(format!(
            "Tall for jenter og gutter vises ikke hver for seg når gruppen har færre enn {} svar eller ett av kjønnene færre enn {}.",
            g.min_group, g.min_each
        ));
    }
    if let Some(sr) = &s.series {
        v.push(format!(
            "Når mer enn {} % av tallene i en tidsserie (samme gruppe over undersøkelsesårene) er skjult, skjules hele serien.",
            (sr.max_hidden_share * 100.0).round()
        ));
    }
    v.push(if p.protect_zeros {
        format!("Politiets tall fra 0 til {} skjules.", p.max_small_count)
    } else {
        format!(
            "Politiets tall fra 1 til {} skjules; 0 vises, for der er det ingen person å beskytte.",
            p.max_small_count
        )
    });
    v.push(
        "I tillegg skjules andre tall (sekundær skjuling) slik at et skjult tall ikke kan regnes ut fra summer, for eksempel \
         jenter + gutter = alle eller 8. + 9. + 10. trinn = ungdomstrinnet. Symbolet : betyr at tallet er skjult av hensyn til taushetsplikt. \
         Tall som trenger et skjult tall (en andel, en sum for fire kvartaler eller en endring) vises heller ikke."
            .into(),
    );
    v.push(
        "Hvilke tall som skjules i tillegg, velges med to metoder, eliminasjon (som SSBs GaussSuppression) og hyperkuber, \
         og den som skjuler minst, brukes. Oppsummeringen viser for hver tabell hvor mange tall som er skjult, og summen av de \
         skjulte tallene på laveste nivå. Den summen kan enhver leser regne ut selv (totalen minus de publiserte tallene under \
         den), så den røper ingenting nytt; summen av alle skjulte tall, også skjulte summer, publiseres ikke."
            .into(),
    );
    v.push(format!(
        "Skjulingen er kontrollert av en egen kontroll som ikke bruker skjulingens kode: for hvert skjult tall er det vist \
         (med lineær programmering, eller med to tabeller som stemmer med alt som er publisert) hvor langt tallet minst kan variere \
         for en leser som kjenner alt denne og tidligere utgivelser har publisert — alle tall, alle antall svar, alle summer, at tallene er hele tall som ikke er negative, og \
         grensene som står i denne metodeteksten. Et tall som er skjult fordi det er lite, kan en slik leser ikke \
         komme nærmere enn et spenn på minst {} (Ungdata) eller {} (politiets tall), for eksempel «et sted mellom 0 og {}», så det \
         aldri kan bestemmes eksakt. Tall som er skjult bare for å beskytte andre tall, kunne vært publisert alene og har ikke \
         noe slikt krav. Et skjult tall er merket med : og ingenting annet; hvorfor det enkelte tallet \
         er skjult, står bare i analytikerens fortrolige arbeidsmappe. Kontrollen gikk gjennom uten funn; ellers hadde denne \
         rapporten ikke blitt laget.",
        s.protection_width, p.protection_width, s.protection_width
    ));
    if let Some(c) = &s.coverage {
        v.push(format!(
            "Tall for en region vises bare når kommunene med tall dekker minst {} % av ungdommene i regionen (FHIs dekningsregel).",
            (c.min_share * 100.0).round()
        ));
    }
    v.push(
        "Standardisert andel er justert for kjønn og trinn (direkte standardisering): hver kommune får samme fordeling av gutter og \
         jenter på hvert trinn som kommunene har til sammen. Da kan kommuner med ulik elevsammensetning sammenlignes. \
         Landstall er publiserte tall for flere år slått sammen, og perioden står i navnet (for eksempel «Norge 2023–2025»). \
         En forskjell fra landsnivået omtales bare når den er statistisk sikker."
            .into(),
    );
    if let Some(note) = &input.population_note {
        v.push(format!(
            "Rater per 1 000 innbyggere er antall lovbrudd de siste fire kvartalene delt på antall innbyggere i aldersgruppen per 1. januar \
             samme år ({note}). Finnes ikke befolkningstall for året ennå, brukes nærmeste år, og året står i tabellen."
        ));
    }
    v.push(
        "Andeler vises med 95 % konfidensintervall (Wilson). En endring mellom to undersøkelser omtales bare når den er statistisk sikker \
         (tosidig test for to andeler, p < 0,05). Dataene i denne demoen er syntetiske."
            .into(),
    );
    v
}

/// Tables under each police chart: the last eight quarters, one column per unit.
fn police_views(
    input: &BundleInput<'_>,
    charts: &[(String, String, String, String)],
    units: &[MunicipalityStyle],
    value: impl Fn(&oppvekst_analysis::PoliceRow) -> String,
) -> Vec<PoliceView> {
    charts
        .iter()
        .map(|(chart, group, age, label)| {
            let sel: Vec<_> = input
                .police_series
                .rows
                .iter()
                .filter(|r| &r.offence_group == group && &r.age_band == age)
                .collect();
            let mut quarters: Vec<oppvekst_schema::quarter::Quarter> =
                sel.iter().map(|r| r.quarter).collect();
            quarters.sort_unstable();
            quarters.dedup();
            let recent = &quarters[quarters.len().saturating_sub(8)..];
            PoliceView {
                label: label.clone(),
                chart: chart.clone(),
                rows: recent
                    .iter()
                    .rev()
                    .map(|q| TableRow {
                        year: q.to_string(),
                        cells: units
                            .iter()
                            .map(|m| {
                                sel.iter()
                                    .find(|r| r.quarter == *q && r.municipality == m.code)
                                    .map(|r| value(r))
                                    .unwrap_or_else(|| ".".into())
                            })
                            .collect(),
                    })
                    .collect(),
            }
        })
        .collect()
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
                    format_percent(p),
                    format_percent(lo),
                    format_percent(hi)
                ),
                _ => ":".into(),
            };
            let std = c
                .percent_std
                .map(|p| format!("{} %", format_percent(p)))
                .unwrap_or_else(|| "–".into());
            let diff = match (c.difference, &c.reference) {
                (Some(d), Some(r)) if c.significant => format!(
                    "{} prosentpoeng {} {r}",
                    format_percent(d.abs()),
                    if d > 0.0 { "over" } else { "under" }
                ),
                (Some(_), Some(r)) => format!("ingen sikker forskjell fra {r}"),
                _ => "–".into(),
            };
            out.push(vec![
                grade_label.to_owned(),
                m.name.clone(),
                pct,
                format_int(c.denominator.into()),
                std,
                diff,
            ]);
        }
        if let Some((label, p)) = reference_for(input, indicator, grade, MAIN_GENDER.0) {
            out.push(vec![
                grade_label.to_owned(),
                label,
                format!("{} %", format_percent(p)),
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
                format_percent(p),
                format_percent(lo),
                format_percent(hi),
                format_int(r.denominator.into())
            ),
            _ => format!(": (n = {})", format_int(r.denominator.into())),
        },
    }
}

/// Renders `index.html`.
pub(crate) fn html(input: &BundleInput<'_>, charts: &ChartIds) -> Result<String, BundleError> {
    let rows = &input.indicators.rows;
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
        let view = IndicatorView {
            compare_year,
            compare,
            label: ind.label.clone(),
            chart: charts.survey.get(&ind.id).cloned().unwrap_or_default(),
            bars: charts.bars.get(&ind.id).cloned().unwrap_or_default(),
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
                        .collect(),
                })
                .collect(),
        };
        match areas.iter_mut().find(|a| a.name == ind.focus_area) {
            Some(a) => a.indicators.push(view),
            None => areas.push(AreaView {
                name: ind.focus_area.clone(),
                indicators: vec![view],
            }),
        }
    }
    let police_units = without_region(input);
    let police = police_views(input, &charts.police, &police_units, |r| {
        r.count
            .map(|c| format_int(c.into()))
            .unwrap_or_else(|| ":".into())
    });
    let rates = police_views(input, &charts.rates, &input.municipalities, |r| {
        match (r.rate_per_1000, r.rolling_4q) {
            (Some(x), _) => format_percent(x),
            (None, None) => ":".into(),
            (None, Some(_)) => ".".into(),
        }
    });
    let names: Vec<&str> = input
        .municipalities
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    let municipality_names: Vec<&str> = police_units.iter().map(|m| m.name.as_str()).collect();
    let mut env = minijinja::Environment::new();
    env.add_template("index.html", INDEX)
        .map_err(|e| BundleError::Template(e.to_string()))?;
    let tmpl = env
        .get_template("index.html")
        .map_err(|e| BundleError::Template(e.to_string()))?;
    let (flags, flag_names) = flag_views(input);
    let page = Page {
        title: &input.title,
        period_label: &input.period_label,
        release_date: input
            .release_date
            .as_deref()
            .map(crate::sentences::date_words),
        municipality_names: municipality_names.join(", "),
        municipalities: names.clone(),
        summary: summary_sentences(input),
        areas,
        police_summary: police_sentences(input),
        police,
        rates,
        region_note: input.region.as_ref().map(|r| r.1.as_str()),
        population_note: input.population_note.as_deref(),
        police_names: police_units.iter().map(|m| m.name.as_str()).collect(),
        method: method(input),
        flags,
        flag_names,
        protection: protection_rows(input),
        reconciliation: &input.reconciliation,
        answers_note: crate::sentences::answers_sentence(&input.reconciliation),
        official_note: input
            .official
            .as_ref()
            .map(|rows| crate::sentences::official_sentence(!rows.is_empty())),
        official: official_rows(input),
    };
    tmpl.render(minijinja::value::Serde(&page))
        .map_err(|e| BundleError::Template(e.to_string()))
}
