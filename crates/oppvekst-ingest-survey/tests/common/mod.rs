//! Shared by the format tests: fixtures, and the check that a binary export reads to the
//! same respondents and quarantine as the CSV of the same data.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use oppvekst_ingest_survey::{FileReport, QuarantinedRow, ReadOptions, Respondents, read_csv};
use oppvekst_schema::{Catalogue, Harmoniser};

pub fn fixture(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// `survey.csv`, the CSV every binary fixture is compared with, read the ordinary way.
pub fn fixture_csv(
    cat: &Catalogue,
    h: &Harmoniser,
) -> (Respondents, FileReport, Vec<QuarantinedRow>) {
    read_csv(
        "survey.csv",
        &fixture("survey.csv"),
        cat,
        h,
        &ReadOptions::default(),
        &mut Default::default(),
    )
    .unwrap()
}

/// The same respondents value for value (source file aside), the same accounting, unknown
/// columns and quarantine (file name aside).
pub fn assert_same_as_csv(
    name: &str,
    cat: &Catalogue,
    csv: (&Respondents, &FileReport, &[QuarantinedRow]),
    got: (&Respondents, &FileReport, &[QuarantinedRow]),
) {
    let a = csv.0.to_record_batch(&cat.codebook.items).unwrap().1;
    let b = got.0.to_record_batch(&cat.codebook.items).unwrap().1;
    assert_eq!(a.num_rows(), b.num_rows(), "{name}");
    for (i, field) in a.schema().fields().iter().enumerate() {
        if field.name() == "source_file" {
            continue;
        }
        assert_eq!(a.column(i), b.column(i), "{name}: column {}", field.name());
    }
    let counts = |r: &FileReport| (r.rows_read, r.rows_accepted, r.rows_quarantined);
    assert_eq!(counts(got.1), counts(csv.1), "{name}");
    assert!(got.1.reconciles(), "{name}");
    assert_eq!(got.1.unknown_columns, csv.1.unknown_columns, "{name}");
    let strip = |q: &[QuarantinedRow]| {
        q.iter()
            .map(|x| (x.row, x.column.clone(), x.reason.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(got.2), strip(csv.2), "{name}");
}
