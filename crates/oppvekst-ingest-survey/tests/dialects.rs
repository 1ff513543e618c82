//! Property test: any respondent table written as CSV in each dialect seen in Norway
//! (`;` or `,`; UTF-8, UTF-8 with BOM or Windows-1252; LF or CRLF; old or new variable
//! names) reads back unchanged.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use oppvekst_ingest_survey::{ReadOptions, read_csv};
use oppvekst_schema::{Catalogue, Harmoniser};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Row {
    year: i32,
    mun: &'static str,
    grade_code: i64,
    girl: bool,
    answers: Vec<Option<i64>>,
}

fn rows(n_items: usize) -> impl Strategy<Value = Vec<Row>> {
    let row = (
        prop::sample::select(vec![2016, 2019, 2022, 2025]),
        prop::sample::select(vec!["0105", "0106", "3003", "3004", "3105", "3107"]),
        1i64..7,
        any::<bool>(),
        prop::collection::vec(prop::option::weighted(0.9, 1i64..4), n_items),
    )
        .prop_map(|(year, mun, grade_code, girl, answers)| Row {
            year,
            mun,
            grade_code,
            girl,
            answers,
        });
    prop::collection::vec(row, 1..40)
}

#[derive(Debug, Clone, Copy)]
struct Dialect {
    delimiter: char,
    encoding: u8, // 0 UTF-8, 1 UTF-8 + BOM, 2 Windows-1252
    crlf: bool,
    old_names: bool,
    missing_as_code: bool,
}

fn dialects() -> impl Strategy<Value = Dialect> {
    (
        prop::sample::select(vec![';', ',']),
        0u8..3,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(delimiter, encoding, crlf, old_names, missing_as_code)| Dialect {
                delimiter,
                encoding,
                crlf,
                old_names,
                missing_as_code,
            },
        )
}

fn write(rows: &[Row], d: Dialect, cat: &Catalogue) -> Vec<u8> {
    let cb = &cat.codebook;
    let mut header: Vec<String> = if d.old_names {
        vec![
            "ID".into(),
            "aar".into(),
            "Kommune".into(),
            "skoleniva".into(),
            "Klasse".into(),
            "KJONN".into(),
        ]
    } else {
        vec![
            "ID".into(),
            "år".into(),
            "kommune".into(),
            "skolenivå".into(),
            "Klasse".into(),
            "kjønn".into(),
        ]
    };
    header.extend(cb.items.iter().map(|i| {
        if d.old_names {
            i.aliases[0].clone()
        } else {
            i.id.clone()
        }
    }));
    let eol = if d.crlf { "\r\n" } else { "\n" };
    let sep = d.delimiter.to_string();
    let mut text = header.join(&sep) + eol;
    for (i, r) in rows.iter().enumerate() {
        let mut f = vec![
            format!("R{i}"),
            r.year.to_string(),
            r.mun.to_owned(),
            if r.grade_code <= 3 { "1" } else { "2" }.to_owned(),
            r.grade_code.to_string(),
            if r.girl { "2" } else { "1" }.to_owned(),
        ];
        f.extend(r.answers.iter().map(|a| match a {
            Some(v) => v.to_string(),
            None if d.missing_as_code => "99".into(),
            None => String::new(),
        }));
        text.push_str(&(f.join(&sep) + eol));
    }
    match d.encoding {
        0 => text.into_bytes(),
        1 => [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat(),
        _ => encoding_rs::WINDOWS_1252.encode(&text).0.into_owned(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn every_dialect_reads_back_unchanged(d in dialects(), rows in rows(24)) {
        let cat = Catalogue::builtin().unwrap();
        let h = Harmoniser::builtin().unwrap();
        prop_assume!(cat.codebook.items.len() == 24);
        let bytes = write(&rows, d, &cat);
        let (r, rep, q) = read_csv("p.csv", &bytes, &cat, &h, &ReadOptions::default(), &mut Default::default()).unwrap();
        prop_assert!(q.is_empty(), "{:?}", q);
        prop_assert_eq!(rep.rows_read as usize, rows.len());
        prop_assert_eq!(rep.delimiter, d.delimiter);
        for (i, row) in rows.iter().enumerate() {
            prop_assert_eq!(r.respondent_id.get(i).map(str::to_owned), Some(format!("R{i}")));
            prop_assert_eq!(r.survey_year[i], row.year);
            prop_assert_eq!(r.municipality_source.get(i), Some(row.mun));
            prop_assert_eq!(r.municipality.get(i).map(str::to_owned), h.current(row.mun));
            prop_assert_eq!(i64::from(r.grade[i]), row.grade_code + 7);
            prop_assert_eq!(r.gender.get(i), Some(if row.girl { "jente" } else { "gutt" }));
            for (k, a) in row.answers.iter().enumerate() {
                prop_assert_eq!(r.answers[k].get(i).map(i64::from), *a);
            }
        }
    }
}
