//! The audit on hand-made patterns whose reader intervals are known, on publications of
//! several releases, on inconsistent publications, and on certificates.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use oppvekst_audit::{
    AuditError, AuditOptions, CellRef, Certificate, Dimension, Move, Publication, PublishedCell,
    PublishedTable, audit,
};

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
                protect: h,
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
    let r = audit(
        &Publication::single(t.clone()),
        &AuditOptions::width(min_width),
        &[],
    )
    .unwrap();
    let i = t
        .cells
        .iter()
        .position(|c| c.key == [key.0, key.1])
        .unwrap();
    let b = r.bounds.iter().find(|b| b.cell.cell == i).unwrap();
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

#[test]
fn published_values_that_contradict_a_relation_are_an_error() {
    let mut t = two_by_two([[3, 10], [20, 30]], &[("r1", "c1"), ("r2", "c2")], None);
    // The grand total off by one.
    let g = t.cells.iter().position(|c| c.key == ["R", "C"]).unwrap();
    t.cells[g].value = Some(64);
    let e = audit(&Publication::single(t), &AuditOptions::width(1), &[]).unwrap_err();
    assert!(
        matches!(e, AuditError::Contradiction { cell, .. } if cell == g),
        "{e:?}"
    );
    // A value above the audit's range is refused, not rounded.
    let mut t = two_by_two([[3, 10], [20, 30]], &[("r1", "c1")], None);
    t.cells[8].value = Some(u64::MAX);
    assert!(matches!(
        audit(&Publication::single(t), &AuditOptions::width(1), &[]),
        Err(AuditError::Overflow { cell: 8, .. })
    ));
}

/// A year (total `Y`) of quarters `q1`, `q2`: a one-dimensional table.
fn year(values: &[(&str, u64)], hidden: &[&str], protect: &[&str]) -> PublishedTable {
    let quarters: Vec<(&str, &str)> = values
        .iter()
        .filter(|(q, _)| *q != "Y")
        .map(|(q, _)| (*q, "Y"))
        .collect();
    PublishedTable {
        name: "t".into(),
        dimensions: vec![Dimension::hierarchy("quarter", &quarters)],
        cells: values
            .iter()
            .map(|(q, v)| PublishedCell {
                key: vec![(*q).into()],
                value: (!hidden.contains(q)).then_some(*v),
                upper: None,
                protect: protect.contains(q),
            })
            .collect(),
    }
}

#[test]
fn an_earlier_release_narrows_a_cell_only_through_the_same_quantity() {
    // Release 1: q1 = 12 (so Y = 12), q1 hidden as a complement, Y published.
    let r1 = year(&[("q1", 12), ("Y", 12)], &["q1"], &[]);
    // Release 2: q2 = 1 hidden (protected), q1 hidden as its complement, Y = 13 published.
    let r2 = year(&[("q1", 12), ("q2", 1), ("Y", 13)], &["q1", "q2"], &["q2"]);
    let opts = AuditOptions::width(3);
    // Each release alone passes.
    for t in [&r1, &r2] {
        let r = audit(&Publication::single(t.clone()), &opts, &[]).unwrap();
        assert!(r.passed(), "{r:?}");
    }
    // Together, with q1 unchanged between them (one quantity), q2 = 13 − 12 exactly.
    let q1 = |table| CellRef { table, cell: 0 };
    let both = Publication {
        tables: vec![r1.clone(), r2.clone()],
        same: vec![(q1(0), q1(1))],
    };
    let r = audit(&both, &opts, &[]).unwrap();
    assert!(!r.passed());
    let f: Vec<_> = r.failures().collect();
    assert_eq!(f.len(), 1);
    assert_eq!(
        (f[0].cell, f[0].lower, f[0].upper),
        (CellRef { table: 1, cell: 1 }, 1, Some(1))
    );
    // Had q1 been revised, the two q1 are different quantities and the old release says
    // nothing about q2.
    let revised = Publication {
        tables: vec![r1, r2],
        same: vec![],
    };
    assert!(audit(&revised, &opts, &[]).unwrap().passed());
}

/// An n × n table, every inner cell hidden and equal to `v`, the margins published: one
/// component of n² hidden cells, beyond the exact limit when n² > 5,000.
fn big(n: usize, v: u64) -> PublishedTable {
    let codes: Vec<String> = (0..n).map(|i| format!("{i:03}")).collect();
    let edges: Vec<(&str, &str)> = codes.iter().map(|c| (c.as_str(), "T")).collect();
    let mut cells = Vec::new();
    for r in codes.iter().map(String::as_str).chain(["T"]) {
        for c in codes.iter().map(String::as_str).chain(["T"]) {
            let inner = r != "T" && c != "T";
            let value = match (r == "T", c == "T") {
                (false, false) => v,
                (true, true) => v * (n * n) as u64,
                _ => v * n as u64,
            };
            cells.push(PublishedCell {
                key: vec![r.into(), c.into()],
                value: (!inner).then_some(value),
                upper: None,
                protect: inner,
            });
        }
    }
    PublishedTable {
        name: "big".into(),
        dimensions: vec![
            Dimension::hierarchy("row", &edges),
            Dimension::hierarchy("col", &edges),
        ],
        cells,
    }
}

#[test]
fn a_component_too_large_to_solve_is_judged_by_its_checked_certificate() {
    let n = 72; // 5,184 hidden cells
    let v = 5;
    let t = big(n, v);
    let w = n + 1;
    let at = |r: usize, c: usize| r * w + c;
    let base: Vec<u64> = t.cells.iter().map(|c| c.value.unwrap_or(v)).collect();
    // Each inner cell moves ±v along a 2 × 2 rectangle with its neighbour (wrapping).
    let rect = |r: usize, c: usize, sign: i64| {
        let (r2, c2) = ((r + 1) % n, (c + 1) % n);
        vec![
            (at(r, c), sign * v as i64),
            (at(r, c2), -sign * v as i64),
            (at(r2, c), -sign * v as i64),
            (at(r2, c2), sign * v as i64),
        ]
    };
    let moves: Vec<Move> = (0..n)
        .flat_map(|r| (0..n).map(move |c| (r, c)))
        .map(|(r, c)| Move {
            cell: at(r, c),
            up: rect(r, c, 1),
            down: rect(r, c, -1),
        })
        .collect();
    let p = Publication::single(t);
    let good = Certificate {
        table: 0,
        base: base.clone(),
        moves: moves.clone(),
    };
    let opts = AuditOptions::width(3);
    let r = audit(&p, &opts, &[good]).unwrap();
    assert!(r.passed(), "{:?}", r.tables[0].failures.len());
    assert_eq!(r.tables[0].proven, n * n);
    assert_eq!(r.bounds_solved, 0, "nothing solved: checked by arithmetic");
    assert!(
        r.bounds
            .iter()
            .all(|b| !b.exact && b.lower == 0 && b.upper == Some(2 * v))
    );

    // A move that breaks a relation proves nothing: that cell fails, the others pass.
    let mut broken = moves.clone();
    broken[7].up.pop();
    let r = audit(
        &p,
        &opts,
        &[Certificate {
            table: 0,
            base: base.clone(),
            moves: broken,
        }],
    )
    .unwrap();
    let f: Vec<_> = r.failures().map(|b| b.cell.cell).collect();
    assert_eq!(f, vec![at(0, 7)]);

    // A base that changes a published value proves nothing at all.
    let mut wrong = base.clone();
    wrong[at(n, n)] += 1;
    let r = audit(
        &p,
        &opts,
        &[Certificate {
            table: 0,
            base: wrong,
            moves: moves.clone(),
        }],
    )
    .unwrap();
    assert_eq!(r.tables[0].failures.len(), n * n);

    // A move below zero is no table: rejected.
    let mut negative = moves;
    for (_, k) in &mut negative[0].down {
        *k *= 2;
    }
    let r = audit(
        &p,
        &opts,
        &[Certificate {
            table: 0,
            base,
            moves: negative,
        }],
    )
    .unwrap();
    assert_eq!(
        r.failures().map(|b| b.cell.cell).collect::<Vec<_>>(),
        vec![at(0, 0)]
    );
}

#[test]
fn the_gate_lets_a_table_through_only_when_the_whole_publication_passes() {
    use oppvekst_audit::{Gate, gate};
    let r1 = year(&[("q1", 12), ("Y", 12)], &["q1"], &[]);
    let r2 = year(&[("q1", 12), ("q2", 1), ("Y", 13)], &["q1", "q2"], &["q2"]);
    let opts = AuditOptions::width(3);
    match gate(&Publication::single(r2.clone()), &opts, &[], 0).unwrap() {
        Gate::Passed(p) => {
            assert_eq!(p.view(), &r2);
            assert_eq!(p.audit().protected, 1);
            assert!(p.bounds().iter().all(|b| b.cell.table == 0));
        }
        Gate::Failed(r) => panic!("{r:?}"),
    }
    // With the earlier release in hand the same table fails.
    let both = Publication {
        tables: vec![r1, r2],
        same: vec![(CellRef { table: 0, cell: 0 }, CellRef { table: 1, cell: 0 })],
    };
    match gate(&both, &opts, &[], 1).unwrap() {
        Gate::Failed(r) => assert_eq!(r.failures().count(), 1),
        Gate::Passed(_) => panic!("a release that narrows a cell passed"),
    }
}
