//! Consistency across quarterly releases, judged by the independent audit over the union of
//! every release: each release a table of its own, a cell that did not change between two
//! releases one quantity in both (the reader is assumed to know which did not).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use oppvekst_audit::{AuditOptions, AuditReport, CellRef, Publication, PublishedTable, audit};
use oppvekst_disclosure::{
    Cell, Dimension, Ledger, ProtectedTable, Rule, Rules, Status, Table, protect, protect_release,
};

/// Municipalities A, B, C (⊂ Total) × the quarters given (⊂ the year 2025).
fn release(quarters: &[(&str, [u64; 3])]) -> Table {
    let q_edges: Vec<(&str, &str)> = quarters.iter().map(|(q, _)| (*q, "2025")).collect();
    let inner = quarters
        .iter()
        .flat_map(|(q, v)| {
            ["A", "B", "C"].iter().zip(v).map(move |(m, x)| Cell {
                key: vec![(*m).into(), (*q).into()],
                value: *x,
                denominator: None,
            })
        })
        .collect();
    Table::from_inner(
        "politi",
        vec![
            Dimension::hierarchy(
                "municipality",
                &[("A", "Total"), ("B", "Total"), ("C", "Total")],
            ),
            Dimension::hierarchy("quarter", &q_edges),
        ],
        inner,
    )
    .unwrap()
}

/// What a reader holding every release knows, audited: each release's published view, and
/// every cell whose true value is the same in two releases linked as one quantity. Built
/// here from the bundles' views and the true tables, not by the library.
fn union_audit(releases: &[(&Table, &ProtectedTable)], width: u64) -> AuditReport {
    let tables: Vec<PublishedTable> = releases
        .iter()
        .enumerate()
        .map(|(i, (_, p))| PublishedTable {
            name: format!("release {i}"),
            ..p.published_view().clone()
        })
        .collect();
    let mut same = Vec::new();
    for (i, (ti, _)) in releases.iter().enumerate() {
        for (j, (tj, _)) in releases.iter().enumerate().skip(i + 1) {
            for (a, ca) in ti.cells.iter().enumerate() {
                if let Some(b) = tj
                    .cells
                    .iter()
                    .position(|cb| cb.key == ca.key && cb.value == ca.value)
                {
                    same.push((CellRef { table: i, cell: a }, CellRef { table: j, cell: b }));
                }
            }
        }
    }
    audit(
        &Publication { tables, same },
        &AuditOptions::width(width),
        &[],
    )
    .unwrap()
}

fn status(p: &ProtectedTable, key: [&str; 2]) -> Status {
    p.cells().iter().find(|c| c.key() == key).unwrap().status()
}

#[test]
fn a_revision_leaks_without_the_ledger_and_not_with_it() {
    let rules = Rules {
        protection_width: 3,
        ..Rules::police_default()
    };
    let r1_table = release(&[("Q1", [2, 10, 11])]);
    let r1 = protect(&r1_table, &rules).unwrap();
    assert_eq!(status(&r1, ["A", "Q1"]), Status::Hidden(Rule::SmallCount));
    assert_eq!(status(&r1, ["B", "Q1"]), Status::Hidden(Rule::Secondary));
    assert_eq!(status(&r1, ["C", "Q1"]), Status::Published);

    // Next quarter: B's Q1 count is revised from 10 to 12, and C has fewer offences than B in
    // Q2, which makes C's row the cheaper complement.
    let r2_table = release(&[("Q1", [2, 12, 11]), ("Q2", [20, 30, 25])]);
    let alone = protect(&r2_table, &rules).unwrap();
    assert_eq!(status(&alone, ["C", "Q1"]), Status::Hidden(Rule::Secondary));
    // C's Q1 count was published in the first release and is unchanged: with it, C's Q2
    // count (hidden now) is C's year total minus 11, exactly.
    let attack = union_audit(&[(&r1_table, &r1), (&r2_table, &alone)], 3);
    assert!(
        !attack.passed(),
        "with the first release in hand a reader narrows a cell"
    );

    let mut ledger = Ledger::default();
    ledger.record("2025Q1", &r1_table, &r1);
    let consistent = protect_release(&r2_table, &rules, &ledger).unwrap();
    // B was a complement in the first release: kept hidden, and (a complement still) not
    // required to reach the width itself — an earlier release may already pin a complement.
    assert_eq!(
        status(&consistent, ["B", "Q1"]),
        Status::Hidden(Rule::EarlierComplement)
    );
    assert!(!status(&consistent, ["B", "Q1"]).is_protected());
    let attack = union_audit(&[(&r1_table, &r1), (&r2_table, &consistent)], 3);
    assert!(
        attack.passed(),
        "{:?}",
        attack.failures().collect::<Vec<_>>()
    );

    // The ledger remembers hidden cells across further releases, and re-running a release
    // sees only the releases before it, so it gives the same result.
    ledger.record("2025Q2", &r2_table, &consistent);
    assert_eq!(
        protect_release(&r2_table, &rules, &ledger.before("2025Q2")).unwrap(),
        consistent
    );
    assert!(ledger.was_hidden("politi", &["B".into(), "Q1".into()]));
    assert_eq!(
        ledger.published_value("politi", &["C".into(), "Q1".into()]),
        Some(11)
    );
    // The ledger file round-trips (it is JSON in the work folder).
    let json = serde_json::to_string(&ledger).unwrap();
    assert_eq!(serde_json::from_str::<Ledger>(&json).unwrap(), ledger);
}

/// The finding: a year total published as 12 with one quarter, then as 13 with the new
/// quarter hidden — the new quarter is 13 − 12 = 1 to anyone holding both bundles, unless the
/// ledger keeps what the first release published known in the second.
#[test]
fn a_year_total_published_twice_does_not_reveal_the_new_quarter() {
    let rules = Rules {
        protection_width: 3,
        ..Rules::police_default()
    };
    let r1_table = release(&[("Q1", [12, 20, 30])]);
    let r1 = protect(&r1_table, &rules).unwrap();
    assert_eq!(r1.summary().primary, 0);
    let r2_table = release(&[("Q1", [12, 20, 30]), ("Q2", [1, 20, 30])]);
    let alone = protect(&r2_table, &rules).unwrap();
    assert!(!union_audit(&[(&r1_table, &r1), (&r2_table, &alone)], 3).passed());

    let mut ledger = Ledger::default();
    ledger.record("2025Q1", &r1_table, &r1);
    let r2 = protect_release(&r2_table, &rules, &ledger).unwrap();
    assert!(union_audit(&[(&r1_table, &r1), (&r2_table, &r2)], 3).passed());
}

/// A growing quarterly table with a year total, released quarter by quarter, with and
/// without a revision of an old quarter: over the union of every release, no protected cell
/// is narrower than required.
#[test]
fn quarter_by_quarter_releases_with_a_year_total_stay_protected_together() {
    let rules = Rules {
        protection_width: 3,
        ..Rules::police_default()
    };
    let quarters: [(&str, [u64; 3]); 4] = [
        ("Q1", [12, 3, 30]),
        ("Q2", [1, 20, 31]),
        ("Q3", [9, 14, 2]),
        ("Q4", [4, 25, 17]),
    ];
    for revise in [false, true] {
        let mut ledger = Ledger::default();
        let mut tables = Vec::new();
        let mut protected = Vec::new();
        for k in 1..=quarters.len() {
            let mut q: Vec<(&str, [u64; 3])> = quarters[..k].to_vec();
            if revise && k >= 3 {
                // Q1 of B corrected from 3 to 5 in the third release.
                q[0].1[1] = 5;
            }
            let table = release(&q);
            let id = format!("2025Q{k}");
            let p = protect_release(&table, &rules, &ledger.before(&id)).unwrap();
            ledger.record(&id, &table, &p);
            tables.push(table);
            protected.push(p);
        }
        let all: Vec<(&Table, &ProtectedTable)> =
            tables.iter().zip(protected.iter().map(|p| &**p)).collect();
        let report = union_audit(&all, rules.protection_width);
        assert!(
            report.passed(),
            "revise {revise}: {:?}",
            report.failures().collect::<Vec<_>>()
        );
        // Every release hid something that needs protecting, so the test is not vacuous.
        assert!(report.tables.iter().all(|t| t.protected > 0));
    }
}

#[test]
fn a_cell_protected_before_stays_protected_and_a_complement_stays_a_complement() {
    let rules = Rules {
        protection_width: 3,
        ..Rules::police_default()
    };
    let r1_table = release(&[("Q1", [2, 10, 11])]);
    let r1 = protect(&r1_table, &rules).unwrap();
    let mut ledger = Ledger::default();
    ledger.record("2025Q1", &r1_table, &r1);
    // A is revised from 2 to 9: past every primary rule now, but protected before.
    let r2_table = release(&[("Q1", [9, 10, 11])]);
    let r2 = protect_release(&r2_table, &rules, &ledger).unwrap();
    assert_eq!(
        status(&r2, ["A", "Q1"]),
        Status::Hidden(Rule::EarlierRelease)
    );
    assert!(status(&r2, ["A", "Q1"]).is_protected());
    assert_eq!(
        status(&r2, ["B", "Q1"]),
        Status::Hidden(Rule::EarlierComplement)
    );
    assert!(!status(&r2, ["B", "Q1"]).is_protected());
}
