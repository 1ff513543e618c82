//! Tables for the unit tests.

#![allow(clippy::unwrap_used)]

use crate::{Cell, Dimension, Table};

/// A seeded generator (an LCG): the same numbers on every run.
pub(crate) fn lcg(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        seed >> 33
    }
}

/// Municipalities in two counties × quarters in two years × three offence groups, with small
/// seeded counts (many below the threshold).
pub(crate) fn police_like(seed: u64) -> Table {
    let mut next = lcg(seed);
    let muns: Vec<(String, String)> = (0..12)
        .map(|i| (format!("K{i:02}"), format!("F{}", i / 6)))
        .collect();
    let quarters: Vec<(String, String)> = (0..8)
        .map(|q| (format!("Q{q}"), format!("Y{}", q / 4)))
        .collect();
    let mut inner = Vec::new();
    for (m, _) in &muns {
        for (q, _) in &quarters {
            for g in ["G1", "G2", "G3"] {
                let size = 1 + m[1..].parse::<u64>().unwrap() % 4 * 3;
                inner.push(Cell {
                    key: vec![m.clone(), q.clone(), g.to_owned()],
                    value: next() % (2 * size + 1),
                    denominator: None,
                });
            }
        }
    }
    let mut m_edges: Vec<(&str, &str)> =
        muns.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    m_edges.extend([("F0", "alle"), ("F1", "alle")]);
    let mut q_edges: Vec<(&str, &str)> = quarters
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    q_edges.extend([("Y0", "alle"), ("Y1", "alle")]);
    let dims = vec![
        Dimension::hierarchy("municipality", &m_edges),
        Dimension::hierarchy("quarter", &q_edges),
        Dimension::hierarchy("offence", &[("G1", "alle"), ("G2", "alle"), ("G3", "alle")]),
    ];
    Table::from_inner("t", dims, inner).unwrap()
}

/// The reader's view of `table` with the cells `hide` chose hidden (all protected).
pub(crate) fn hidden_view(table: &crate::Table, hide: &[bool]) -> oppvekst_audit::PublishedTable {
    let status: Vec<crate::Status> = hide
        .iter()
        .map(|&h| {
            if h {
                crate::Status::Hidden(crate::Rule::SmallCount)
            } else {
                crate::Status::Published
            }
        })
        .collect();
    crate::protect::view(table, &status)
}

/// The independent audit of one published table, every component solved exactly.
pub(crate) fn exact_audit(
    view: &oppvekst_audit::PublishedTable,
    min_width: u64,
) -> oppvekst_audit::AuditReport {
    oppvekst_audit::audit(
        &oppvekst_audit::Publication::single(view.clone()),
        &oppvekst_audit::AuditOptions {
            exact_limit: usize::MAX,
            ..oppvekst_audit::AuditOptions::width(min_width)
        },
        &[],
    )
    .expect("a consistent view")
}
