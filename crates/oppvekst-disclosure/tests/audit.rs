//! The audit on hand-made patterns whose attacker intervals are known.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use oppvekst_disclosure::{AuditOptions, Dimension, PublishedCell, PublishedTable, audit};

/// A 2 × 2 table with all totals: rows r1, r2 (total R), columns c1, c2 (total C).
fn two_by_two(
    values: [[u64; 2]; 2],
    hidden: &[(&str, &str)],
    upper: Option<u64>,
) -> PublishedTable {
    let rows = ["r1", "r2", "R"];
    let cols = ["c1", "c2", "C"];
    let mut cells = Vec::new();
    for (ri, r) in rows.iter().enumerate() {
        for (ci, c) in cols.iter().enumerate() {
            let v: u64 = (0..2)
                .filter(|i| ri == 2 || *i == ri)
                .flat_map(|i| {
                    (0..2)
                        .filter(move |j| ci == 2 || *j == ci)
                        .map(move |j| (i, j))
                })
                .map(|(i, j)| values[i][j])
                .sum();
            let h = hidden.contains(&(*r, *c));
            cells.push(PublishedCell {
                key: vec![(*r).into(), (*c).into()],
                value: (!h).then_some(v),
                upper,
                secondary: false,
            });
        }
    }
    PublishedTable {
        name: "t".into(),
        dimensions: vec![
            Dimension::hierarchy("row", &[("r1", "R"), ("r2", "R")]),
            Dimension::hierarchy("col", &[("c1", "C"), ("c2", "C")]),
        ],
        cells,
    }
}

fn bounds(t: &PublishedTable, key: (&str, &str), min_width: u64) -> (u64, Option<u64>, bool) {
    let r = audit(t, &AuditOptions { min_width }).unwrap();
    let i = t
        .cells
        .iter()
        .position(|c| c.key == [key.0, key.1])
        .unwrap();
    let b = r.bounds.iter().find(|b| b.cell == i).unwrap();
    (b.lower, b.upper, r.passed())
}

#[test]
fn a_lone_hidden_cell_is_recovered_exactly() {
    let t = two_by_two([[3, 10], [20, 30]], &[("r1", "c1")], None);
    assert_eq!(bounds(&t, ("r1", "c1"), 1), (3, Some(3), false));
}

#[test]
fn the_classic_four_cell_pattern_gives_the_textbook_intervals() {
    // Hiding r1c1, r1c2, r2c1, r2c2 with all margins published: x11 ∈ [max(0, R1 − C2), min(R1, C1)].
    let t = two_by_two(
        [[3, 10], [20, 30]],
        &[("r1", "c1"), ("r1", "c2"), ("r2", "c1"), ("r2", "c2")],
        None,
    );
    // R1 = 13, C1 = 23, C2 = 40 → x11 ∈ [0, 13]
    assert_eq!(bounds(&t, ("r1", "c1"), 4), (0, Some(13), true));
    // x22 ∈ [max(0, R2 − C1) = 27, min(R2, C2) = 40]
    assert_eq!(bounds(&t, ("r2", "c2"), 4), (27, Some(40), true));
}

#[test]
fn zeros_and_ones_next_to_a_known_total_are_caught() {
    // r1 = 1 + 0 with r1's total published: x ∈ [0, 1], too narrow for a threshold of 4.
    let t = two_by_two(
        [[1, 0], [20, 30]],
        &[("r1", "c1"), ("r1", "c2"), ("r2", "c1"), ("r2", "c2")],
        None,
    );
    let (lo, hi, passed) = bounds(&t, ("r1", "c1"), 4);
    assert_eq!((lo, hi), (0, Some(1)));
    assert!(!passed);
}

#[test]
fn published_denominators_bound_hidden_counts() {
    // Hiding a whole row including its total looks safe along the row, but column c1's
    // published total gives r1c1 = C1 − r2c1 exactly: the audit finds the leak.
    let t = two_by_two(
        [[3, 10], [20, 30]],
        &[("r1", "c1"), ("r1", "c2"), ("r1", "C")],
        None,
    );
    let (lo, hi, passed) = bounds(&t, ("r1", "c1"), 4);
    assert_eq!((lo, hi, passed), (3, Some(3), false));
    // Hiding the r1 row and the R row leaves r1c1 unbounded above by the relations; a
    // published n of 5 for each r1 cell caps the interval at [0, 5].
    let mut t = two_by_two(
        [[3, 1], [20, 30]],
        &[
            ("r1", "c1"),
            ("r1", "c2"),
            ("r1", "C"),
            ("R", "c1"),
            ("R", "c2"),
            ("R", "C"),
        ],
        None,
    );
    for c in t
        .cells
        .iter_mut()
        .filter(|c| c.key[0] == "r1" && c.key[1] != "C")
    {
        c.upper = Some(5);
    }
    let (lo, hi, passed) = bounds(&t, ("r1", "c1"), 4);
    assert_eq!((lo, hi, passed), (0, Some(5), true));
}
