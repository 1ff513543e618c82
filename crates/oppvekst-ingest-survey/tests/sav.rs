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
