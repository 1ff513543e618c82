//! SPSS `.sav` exports: fixtures written by an independent writer (pyreadstat/ReadStat, see
//! fixtures/make_sav_fixtures.py) read to exactly the same table as the CSV of the same data,
//! in every compression; broken files fail as a whole with one clear error.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{assert_same_as_csv, fixture, fixture_csv};
use oppvekst_ingest_survey::{IngestError, ReadOptions, read_sav};
use oppvekst_schema::{Catalogue, Harmoniser};

#[test]
fn sav_in_every_compression_reads_like_the_csv_of_the_same_data() {
    let cat = Catalogue::builtin().unwrap();
    let h = Harmoniser::builtin().unwrap();
    let opts = ReadOptions::default();
    let (csv_r, csv_rep, csv_q) = fixture_csv(&cat, &h);
    assert_eq!(csv_rep.rows_read, 6);
    // Case a5 has kjønn 7 and case a6 an impossible grade for videregående.
    assert_eq!(csv_r.len(), 4, "{csv_q:?}");
    for name in ["survey.sav", "survey_rows.sav", "survey.zsav"] {
        let (r, rep, q, labels) = read_sav(
            name,
            &fixture(name),
            &cat,
            &h,
            &opts,
            &mut Default::default(),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            (rep.rows_read, rep.rows_accepted, rep.rows_quarantined),
            (6, 4, 2),
            "{name}"
        );
        assert_eq!(rep.encoding, "SPSS");
        assert_same_as_csv(name, &cat, (&csv_r, &csv_rep, &csv_q), (&r, &rep, &q));
        // Labels kept as metadata, æøå intact.
        assert_eq!(labels.file_label, "Ungdata testfil");
        assert_eq!(labels.variable_labels["kjønn"], "Kjønn");
        assert_eq!(labels.value_labels["skolenivå"]["2"], "Videregående");
        assert_eq!(labels.missing_codes["beruset"], vec!["98", "99"]);
    }
}

#[test]
fn broken_sav_files_fail_whole_with_the_file_named() {
    let cat = Catalogue::builtin().unwrap();
    let h = Harmoniser::builtin().unwrap();
    let opts = ReadOptions::default();
    let full = fixture("survey.sav");
    let cases = [
        ("cut.sav", full[..full.len() - 40].to_vec()),
        ("header.sav", full[..200].to_vec()),
        ("csv.sav", fixture("survey.csv")),
        ("empty.sav", Vec::new()),
    ];
    for (name, bytes) in cases {
        let e = read_sav(name, &bytes, &cat, &h, &opts, &mut Default::default())
            .err()
            .unwrap_or_else(|| panic!("{name} was accepted"));
        assert!(matches!(e, IngestError::Unusable { .. }), "{name}: {e:?}");
        assert!(e.to_string().starts_with(&format!("{name}: ")), "{e}");
    }
}

mod generated {
    //! Cases with every kind of answer — codes in and out of range, missing codes, blanks,
    //! fractions, negative and large numbers — written as `.sav` (by ambers) and as CSV:
    //! both read to the same respondents and the same quarantine, row for row, so the
    //! codes a `.sav` hands over without text are judged exactly as their text would be.

    use super::*;
    use arrow57::array::{ArrayRef, Float64Array, RecordBatch, StringArray};
    use arrow57::datatypes::{DataType, Field, Schema};
    use proptest::prelude::*;
    use std::sync::Arc;

    const ANSWERS: [Option<f64>; 12] = [
        None,
        Some(1.0),
        Some(2.0),
        Some(4.0),
        Some(5.0),
        Some(0.0),
        Some(6.0),
        Some(98.0),
        Some(99.0),
        Some(2.5),
        Some(-3.0),
        Some(120.0),
    ];

    fn csv_number(v: Option<f64>) -> String {
        v.map(|v| {
            if v.fract() == 0.0 {
                format!("{}", v as i64)
            } else {
                format!("{v}")
            }
        })
        .unwrap_or_default()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn sav_answers_are_judged_as_their_csv_text(
            rows in proptest::collection::vec(
                (0usize..3, proptest::collection::vec(0usize..ANSWERS.len(), 2)),
                1..40,
            )
        ) {
            let cat = Catalogue::builtin().unwrap();
            let h = Harmoniser::builtin().unwrap();
            let header = ["ID", "år", "kommune", "skolenivå", "Klasse", "kjønn", "beruset", "ensom"];
            let mut csv = header.join(";") + "\n";
            let mut ids = Vec::new();
            let mut num: Vec<Vec<Option<f64>>> = vec![Vec::new(); header.len() - 1];
            for (i, (grade, answers)) in rows.iter().enumerate() {
                let a: Vec<Option<f64>> = answers.iter().map(|&k| ANSWERS[k]).collect();
                let fixed = [Some(2025.0), Some(3107.0), Some(1.0), Some(*grade as f64), Some(1.0)];
                let all: Vec<Option<f64>> = fixed.into_iter().chain(a).collect();
                let texts: Vec<String> = all.iter().map(|v| csv_number(*v)).collect();
                csv.push_str(&format!("r{i};{}\n", texts.join(";")));
                ids.push(format!("r{i}"));
                for (c, v) in all.into_iter().enumerate() {
                    num[c].push(v);
                }
            }
            let mut fields = vec![Field::new("ID", DataType::Utf8, true)];
            let mut cols: Vec<ArrayRef> = vec![Arc::new(StringArray::from(ids))];
            for (name, col) in header[1..].iter().zip(num) {
                fields.push(Field::new(*name, DataType::Float64, true));
                cols.push(Arc::new(Float64Array::from(col)));
            }
            let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).unwrap();
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("g.sav");
            ambers::write_sav(&path, &batch, &ambers::SpssMetadata::default(), ambers::Compression::Bytecode, None).unwrap();
            let opts = ReadOptions { max_bad_share: 1.0, ..ReadOptions::default() };
            let from_csv = oppvekst_ingest_survey::read_csv("g.csv", csv.as_bytes(), &cat, &h, &opts, &mut Default::default()).unwrap();
            let from_sav = read_sav("g.sav", &std::fs::read(&path).unwrap(), &cat, &h, &opts, &mut Default::default()).unwrap();
            assert_same_as_csv(
                "g.sav",
                &cat,
                (&from_csv.0, &from_csv.1, &from_csv.2),
                (&from_sav.0, &from_sav.1, &from_sav.2),
            );
        }
    }
}
