//! Tables as CSV for Norwegian Excel: UTF-8 with BOM, `;` separator, decimal comma, `:` for
//! hidden values.

use std::path::Path;

use crate::report::{format_percent, quarter_nb};
use crate::{BundleError, BundleInput, write_file};

fn csv_bytes(header: &[&str], rows: Vec<Vec<String>>) -> Vec<u8> {
    let mut out = vec![0xEF, 0xBB, 0xBF];
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail except on a bug in csv; fall back to an empty table then.
    let _ = w.write_record(header);
    for r in rows {
        let _ = w.write_record(&r);
    }
    out.extend(w.into_inner().unwrap_or_default());
    out
}

fn opt_pct(v: Option<f64>) -> String {
    v.map(format_percent).unwrap_or_else(|| ":".into())
}

fn name<'a>(input: &'a BundleInput<'_>, code: &'a str) -> &'a str {
    input
        .municipalities
        .iter()
        .find(|m| m.code == code)
        .map(|m| m.name.as_str())
        .unwrap_or(code)
}

pub(crate) fn write_tables(input: &BundleInput<'_>, dir: &Path) -> Result<(), BundleError> {
    let ind_rows = input
        .indicators
        .rows
        .iter()
        .map(|r| {
            vec![
                r.indicator.clone(),
                input
                    .catalogue
                    .indicator(&r.indicator)
                    .map(|i| i.label.clone())
                    .unwrap_or_default(),
                r.focus_area.clone(),
                r.municipality.clone(),
                name(input, &r.municipality).to_owned(),
                r.survey_year.to_string(),
                r.grade.clone(),
                r.gender.clone(),
                opt_pct(r.percent),
                opt_pct(r.ci_low),
                opt_pct(r.ci_high),
                r.numerator
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| ":".into()),
                r.denominator.to_string(),
            ]
        })
        .collect();
    write_file(
        &dir.join("indikatorer.csv"),
        &csv_bytes(
            &[
                "indikator",
                "indikatornavn",
                "fokusområde",
                "kommunenr",
                "kommune",
                "år",
                "trinn",
                "kjønn",
                "andel_prosent",
                "ki_nedre",
                "ki_øvre",
                "antall_ja",
                "antall_svar",
            ],
            ind_rows,
        ),
    )?;
    let pol_rows = input
        .police_series
        .rows
        .iter()
        .map(|r| {
            vec![
                r.municipality.clone(),
                name(input, &r.municipality).to_owned(),
                r.offence_group.clone(),
                r.age_band.clone(),
                quarter_nb(&r.quarter),
                r.count.map(|n| n.to_string()).unwrap_or_else(|| ":".into()),
                r.rolling_4q
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| ":".into()),
                r.change_yoy
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| ":".into()),
            ]
        })
        .collect();
    write_file(
        &dir.join("politi.csv"),
        &csv_bytes(
            &[
                "kommunenr",
                "kommune",
                "lovbruddsgruppe",
                "aldersgruppe",
                "kvartal",
                "antall",
                "sum_siste_4_kvartaler",
                "endring_fra_i_fjor",
            ],
            pol_rows,
        ),
    )?;
    let change_rows = input
        .changes
        .iter()
        .map(|c| {
            vec![
                c.indicator.clone(),
                name(input, &c.municipality).to_owned(),
                c.grade.clone(),
                c.gender.clone(),
                c.from_year.to_string(),
                c.to_year.to_string(),
                format_percent(c.from_percent),
                format_percent(c.to_percent),
                format!("{:.4}", c.p_value).replace('.', ","),
                if c.significant { "ja" } else { "nei" }.to_owned(),
            ]
        })
        .collect();
    write_file(
        &dir.join("endringer.csv"),
        &csv_bytes(
            &[
                "indikator",
                "kommune",
                "trinn",
                "kjønn",
                "fra_år",
                "til_år",
                "fra_prosent",
                "til_prosent",
                "p_verdi",
                "statistisk_sikker",
            ],
            change_rows,
        ),
    )?;
    // The attacker interval of each hidden cell: derivable by anyone from the published
    // figures, and shown only because the audit proved every one wide enough.
    let mut log = Vec::new();
    for t in [input.survey, input.police] {
        let bounds: std::collections::HashMap<usize, &oppvekst_disclosure::CellBounds> =
            t.audit().bounds.iter().map(|b| (b.cell, b)).collect();
        for (i, c) in t.cells().iter().enumerate() {
            let Some(rule) = c.status().rule() else {
                continue;
            };
            let b = bounds.get(&i);
            log.push(vec![
                t.name().to_owned(),
                c.key().join("|"),
                rule.code().to_owned(),
                rule.label_nb().to_owned(),
                b.map(|b| b.lower.to_string()).unwrap_or_default(),
                b.and_then(|b| b.upper)
                    .map(|u| u.to_string())
                    .unwrap_or_else(|| "ubegrenset".into()),
            ]);
        }
    }
    write_file(
        &dir.join("skjulte_celler.csv"),
        &csv_bytes(
            &[
                "tabell",
                "celle",
                "regel",
                "forklaring",
                "kan_utledes_fra",
                "kan_utledes_til",
            ],
            log,
        ),
    )
}
