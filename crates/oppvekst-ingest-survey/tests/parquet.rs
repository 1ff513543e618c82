//! Parquet exports: fixtures written by an independent writer (Apache Arrow C++ through
//! pyarrow, see fixtures/make_parquet_fixtures.py) read to exactly the same table as the CSV
//! of the same data, with integer or floating-point codes; broken files fail as a whole.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};

use common::{assert_same_as_csv, fixture, fixture_csv};
use oppvekst_ingest_survey::{IngestError, Progress, ReadOptions, read_csv, read_parquet};
use oppvekst_schema::{Catalogue, Harmoniser};

#[test]
fn parquet_reads_like_the_csv_of_the_same_data() {
    let cat = Catalogue::builtin().unwrap();
    let h = Harmoniser::builtin().unwrap();
    let opts = ReadOptions::default();
    let (csv_r, csv_rep, csv_q) = fixture_csv(&cat, &h);
    for name in ["survey.parquet", "survey_float.parquet"] {
        let (r, rep, q) = read_parquet(
            name,
            &fixture(name),
            &cat,
            &h,
            &opts,
            &mut Default::default(),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(rep.rows_accepted, 4, "{name}");
        assert_eq!(rep.encoding, "Parquet");
        assert_same_as_csv(name, &cat, (&csv_r, &csv_rep, &csv_q), (&r, &rep, &q));
    }
}

#[test]
fn broken_parquet_files_fail_whole_with_the_file_named() {
    let cat = Catalogue::builtin().unwrap();
    let h = Harmoniser::builtin().unwrap();
    let opts = ReadOptions::default();
    let full = fixture("survey.parquet");
    let cases = [
        ("cut.parquet", full[..full.len() - 30].to_vec()),
        ("head.parquet", full[..100].to_vec()),
        ("csv.parquet", fixture("survey.csv")),
        ("empty.parquet", Vec::new()),
    ];
    for (name, bytes) in cases {
        let e = read_parquet(name, &bytes, &cat, &h, &opts, &mut Default::default())
            .err()
            .unwrap_or_else(|| panic!("{name} was accepted"));
        assert!(matches!(e, IngestError::Unusable { .. }), "{name}: {e:?}");
        assert!(e.to_string().starts_with(&format!("{name}: ")), "{e}");
    }
}

#[test]
fn progress_reaches_the_end_of_the_file() {
    let cat = Catalogue::builtin().unwrap();
    let h = Harmoniser::builtin().unwrap();
    // 300,000 rows (9 MB): enough for reports along the way, not only at the end.
    let mut text = String::from("ID;år;kommune;skolenivå;Klasse;kjønn;beruset\n");
    for i in 0..300_000 {
        text.push_str(&format!("r{i};2025;3107;1;{};{};1\n", 1 + i % 3, 1 + i % 2));
    }
    let seen: Arc<Mutex<Vec<(u64, u64)>>> = Arc::default();
    let sink = Arc::clone(&seen);
    let opts = ReadOptions {
        progress: Some(Progress(Arc::new(move |done, all| {
            sink.lock().unwrap().push((done, all));
        }))),
        ..ReadOptions::default()
    };
    let (r, rep, _) = read_csv(
        "big.csv",
        text.as_bytes(),
        &cat,
        &h,
        &opts,
        &mut Default::default(),
    )
    .unwrap();
    assert_eq!((r.len(), rep.rows_read), (300_000, 300_000));
    let seen = seen.lock().unwrap();
    assert!(seen.len() >= 3, "{} reports", seen.len());
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "never goes back");
    assert_eq!(seen.last(), Some(&(text.len() as u64, text.len() as u64)));
}
