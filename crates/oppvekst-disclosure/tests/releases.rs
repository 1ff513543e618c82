//! Consistency across quarterly releases: a sequence in which protecting each release on its
//! own leaks a hidden cell through an earlier release, and the ledger prevents it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use oppvekst_disclosure::{
    AuditOptions, Cell, Dimension, Ledger, ProtectedTable, PublishedTable, Rule, Rules, Status,
    Table, audit, protect, protect_release,
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

/// What an attacker holding both releases knows about the second: its published cells, plus
/// every cell the first release published with the value it still has.
fn combined_view(second: &ProtectedTable, truth: &Table, first: &ProtectedTable) -> PublishedTable {
    let mut v = second.published_view();
    for (cell, t) in v.cells.iter_mut().zip(&truth.cells) {
        let earlier = first
            .cells()
            .iter()
            .find(|c| c.key() == t.key.as_slice())
            .and_then(|c| c.value());
        if cell.value.is_none() && earlier == Some(t.value) {
            cell.value = Some(t.value);
        }
    }
    v
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
    assert!(r1.audit().passed());
    assert_eq!(status(&r1, ["A", "Q1"]), Status::Hidden(Rule::SmallCount));
    assert_eq!(status(&r1, ["B", "Q1"]), Status::Hidden(Rule::Secondary));
    assert_eq!(status(&r1, ["C", "Q1"]), Status::Published);

    // Next quarter: B's Q1 count is revised from 10 to 12, and C has fewer offences than B in
    // Q2, which makes C's row the cheaper complement.
    let r2_table = release(&[("Q1", [2, 12, 11]), ("Q2", [20, 30, 25])]);
    let opts = AuditOptions { min_width: 3 };

    let alone = protect(&r2_table, &rules).unwrap();
    assert!(
        alone.audit().passed(),
        "on its own the second release looks safe"
    );
    assert_eq!(status(&alone, ["C", "Q1"]), Status::Hidden(Rule::Secondary));
    // C's Q1 count was published in the first release and is unchanged: with it, C's Q2
    // count (hidden now) is C's year total minus 11, exactly.
    let attack = audit(&combined_view(&alone, &r2_table, &r1), &opts).unwrap();
    let c_q2 = r2_table
        .cells
        .iter()
        .position(|c| c.key == ["C", "Q2"])
        .unwrap();
    let pinned = attack.bounds.iter().find(|b| b.cell == c_q2).unwrap();
    assert_eq!(
        pinned.upper,
        Some(pinned.lower),
        "with the first release in hand an attacker pins C's Q2 count"
    );
    assert!(!attack.passed());

    let mut ledger = Ledger::default();
    ledger.record("2025Q1", &r1);
    let consistent = protect_release(&r2_table, &rules, &ledger).unwrap();
    assert!(consistent.audit().passed());
    assert_eq!(
        status(&consistent, ["B", "Q1"]),
        Status::Hidden(Rule::EarlierRelease)
    );
    let attack = audit(&combined_view(&consistent, &r2_table, &r1), &opts).unwrap();
    assert!(
        attack.passed(),
        "the ledger keeps A's Q1 count protected: {:?}",
        attack.failures
    );

    // The ledger remembers hidden cells across further releases, and re-running a release
    // sees only the releases before it, so it gives the same result.
    ledger.record("2025Q2", &consistent);
    assert_eq!(
        protect_release(&r2_table, &rules, &ledger.before("2025Q2")).unwrap(),
        consistent
    );
    assert!(ledger.was_hidden("politi", &["B".into(), "Q1".into()]));
    assert_eq!(
        ledger.published_value("politi", &["C".into(), "Q1".into()]),
        Some(11)
    );
}
