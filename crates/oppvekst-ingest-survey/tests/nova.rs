//! Files in NOVA's layout, written by an independent writer (pyreadstat, see
//! fixtures/make_nova_fixtures.py): Klasse 1–6, Trener9 with six codes, `tidspunkt` 99,
//! `vekt2020` and `SOES`, numbers written `3,00` in the CSV; and a drifted copy whose value
//! labels follow the old 0–5 grade coding and a five-code Trener9.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::fixture;
use oppvekst_ingest_survey::{
    DriftKind, ReadOptions, aggregate, check_csv, check_sav, read_csv, read_sav,
};
use oppvekst_schema::{Catalogue, Harmoniser};

#[test]
fn grades_land_in_the_right_grade_from_csv_and_sav() {
    let cat = Catalogue::builtin().unwrap();
    let h = Harmoniser::builtin().unwrap();
    let opts = ReadOptions::default();
    let (csv, csv_rep, csv_q) = read_csv(
        "nova.csv",
        &fixture("nova.csv"),
        &cat,
        &h,
        &opts,
        &mut Default::default(),
    )
    .unwrap();
    let (sav, sav_rep, sav_q, labels) = read_sav(
        "nova.sav",
        &fixture("nova.sav"),
        &cat,
        &h,
        &opts,
        &mut Default::default(),
    )
    .unwrap();
    assert_eq!(labels.value_labels["Klasse"]["1"], "8. trinn");
    for (r, rep, q) in [(&csv, &csv_rep, &csv_q), (&sav, &sav_rep, &sav_q)] {
        assert!(q.is_empty(), "{q:?}");
        assert!(rep.reconciles());
        assert_eq!(rep.rows_accepted, 7);
        // n1..n6 are 8., 9., 10. trinn and VG1–VG3; n7 is in 10. trinn.
        assert_eq!(r.grade, vec![8, 9, 10, 11, 12, 13, 10]);
        assert!(rep.unknown_columns.is_empty(), "{:?}", rep.unknown_columns);
        // n7's beruset 7 is outside 1–5: that answer only.
        assert_eq!(rep.invalid_answers.len(), 1);
        assert_eq!(rep.invalid_answers[0].row, 8);
        assert_eq!(rep.invalid_answers[0].column.as_deref(), Some("beruset"));
    }
    let trening = cat.item_index("trening").unwrap();
    assert_eq!(csv.answers[trening].get(0), Some(6));
    assert_eq!(csv.answers[trening].to_vec(), sav.answers[trening].to_vec());
    let beruset = cat.item_index("beruset_12m").unwrap();
    assert_eq!(csv.answers[beruset].get(6), None);
    assert_eq!(
        csv.answers[trening].get(6),
        Some(6),
        "the rest of n7 counts"
    );
}

#[test]
fn a_pupil_who_trains_at_least_five_times_a_week_is_active() {
    let cat = Catalogue::builtin().unwrap();
    let h = Harmoniser::builtin().unwrap();
    let (r, _, _) = read_csv(
        "nova.csv",
        &fixture("nova.csv"),
        &cat,
        &h,
        &ReadOptions::default(),
        &mut Default::default(),
    )
    .unwrap();
    let cells = aggregate(&r, &cat);
    let get = |grade: &str, gender: &str| {
        cells
            .cells
            .iter()
            .find(|c| c.indicator == "lite_aktiv" && c.grade == grade && c.gender == gender)
            .map(|c| (c.numerator, c.denominator))
            .unwrap()
    };
    // n1 (8. trinn, boy) answered 6, "minst 5 ganger i uka": not "lite fysisk aktiv".
    assert_eq!(get("8", "gutt"), (0, 1));
    // n2 (9. trinn, girl) answered 3, "1–3 ganger i måneden": less than weekly.
    assert_eq!(get("9", "jente"), (1, 1));
    // n4 (VG1) answered 1, n6 (VG3) 2; n5 (VG2) 5.
    assert_eq!(get("videregaende", "alle"), (2, 3));
}

#[test]
fn the_check_passes_nova_files_and_catches_drifted_labels() {
    let cat = Catalogue::builtin().unwrap();
    let good = check_sav("nova.sav", std::io::Cursor::new(fixture("nova.sav")), &cat).unwrap();
    assert!(!good.changes_figures(), "{:#?}", good.findings);
    let csv = check_csv("nova.csv", fixture("nova.csv").as_slice(), &cat).unwrap();
    assert!(!csv.changes_figures(), "{:#?}", csv.findings);
    // The stray 7 is shown, and does not stop the file.
    assert!(csv.findings.iter().any(|f| f.kind == DriftKind::UnknownCode
        && f.variable == "beruset"
        && f.code == Some(7)
        && !f.changes_figures));

    // The table says there are stray codes, not which: a code one pupil used is an answer.
    let table = oppvekst_ingest_survey::drift_table(std::slice::from_ref(&csv), true);
    let line = table.lines().find(|l| l.contains("beruset")).unwrap();
    let cells: Vec<&str> = line
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    // file, variable, finding, then straight to what the file says: no code column.
    assert_eq!(cells[2], "unknown code", "{line}");
    assert_eq!(cells[3], "used in 1 of 7 rows (stray codes)", "{line}");

    let drifted = check_sav(
        "nova_drifted.sav",
        std::io::Cursor::new(fixture("nova_drifted.sav")),
        &cat,
    )
    .unwrap();
    assert!(drifted.changes_figures());
    let klasse1 = drifted
        .findings
        .iter()
        .find(|f| f.variable == "Klasse" && f.code == Some(1))
        .unwrap();
    assert_eq!(klasse1.kind, DriftKind::LabelDisagrees);
    assert_eq!(klasse1.file_says, "\"9. trinn\"");
    assert_eq!(klasse1.codebook_says, "\"8. trinn\"");
    assert!(drifted.findings.iter().any(|f| f.variable == "Klasse"
        && f.kind == DriftKind::UnknownCode
        && f.code == Some(0)
        && f.changes_figures));
    assert!(
        drifted
            .findings
            .iter()
            .any(|f| f.variable == "trener9" && f.kind == DriftKind::RangeDiffers)
    );
}
