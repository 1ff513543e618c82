//! Certificates for components too large to solve: alternative tables, checked by
//! arithmetic alone.
//!
//! A reader's interval for a hidden cell holds every value the cell takes in some table that
//! agrees with everything published. So two such tables in which a cell differs by the
//! required width prove the cell protected. A certificate gives one base table and, per
//! protected cell, two changes of it (sparse: cell → change); the audit checks that the base
//! and every changed table keep every published value, every additive relation and every
//! bound `[0, upper]`, and takes the cell's values in them as a range inside its interval.

use std::collections::{BTreeSet, HashMap};

use crate::model::Publication;
use crate::system::System;

/// Alternative tables for the large components of one table of a publication.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Certificate {
    /// Index of the table in the publication.
    pub table: usize,
    /// A value for every cell of the table (published cells at their published value).
    pub base: Vec<u64>,
    /// Changes of the base, per protected cell.
    pub moves: Vec<Move>,
}

/// Two alternative tables for one cell: the base changed by `up`, and by `down`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Move {
    /// The cell.
    pub cell: usize,
    /// Changes (cell, amount) giving a table where the cell is higher.
    pub up: Vec<(usize, i64)>,
    /// Changes giving a table where the cell is lower.
    pub down: Vec<(usize, i64)>,
}

/// The checked range of every quantity of one component: from a certificate whose tables
/// all check out, else nothing (`(base, base)` or `(0, 0)`, not exact, failing any
/// protected cell).
pub(crate) fn check(
    p: &Publication,
    s: &System,
    vars: &[usize],
    certificates: &[Certificate],
) -> crate::system::Solved {
    let none = || vars.iter().map(|&q| (q, 0, Some(0), false)).collect();
    // The component must lie in one table, each quantity a single cell (a cell linked to an
    // earlier release would have to move there too: not certified, so it fails).
    let Some(&first) = vars.first() else {
        return Vec::new();
    };
    let table = s.cell_ref(s.members[first][0]).table;
    if vars
        .iter()
        .any(|&q| s.members[q].len() != 1 || s.cell_ref(s.members[q][0]).table != table)
    {
        return none();
    }
    let Some(cert) = certificates.iter().find(|c| c.table == table) else {
        return none();
    };
    let t = &p.tables[table];
    let rels = &s.relations[table];
    if cert.base.len() != t.cells.len() {
        return none();
    }
    // The base: every published value kept, every bound and every relation holds.
    for (c, &b) in t.cells.iter().zip(&cert.base) {
        if c.value.is_some_and(|v| v != b) || c.upper.is_some_and(|u| b > u) {
            return none();
        }
    }
    for r in rels {
        let sum: u128 = r.parts.iter().map(|&j| u128::from(cert.base[j])).sum();
        if sum != u128::from(cert.base[r.total]) {
            return none();
        }
    }
    let mut touching: HashMap<usize, Vec<usize>> = HashMap::new();
    let in_component: BTreeSet<usize> = vars
        .iter()
        .map(|&q| s.members[q][0] - s.offset[table])
        .collect();
    for (ri, r) in rels.iter().enumerate() {
        for i in std::iter::once(r.total).chain(r.parts.iter().copied()) {
            if in_component.contains(&i) {
                touching.entry(i).or_default().push(ri);
            }
        }
    }
    // One changed table: the cell's value in it, or None when it does not check out.
    let alternative = |cell: usize, delta: &[(usize, i64)]| -> Option<u64> {
        let mut d: HashMap<usize, i64> = HashMap::new();
        for &(i, k) in delta {
            *d.entry(i).or_insert(0) += k;
        }
        d.retain(|_, k| *k != 0);
        let mut relations = BTreeSet::new();
        for (&i, &k) in &d {
            let c = t.cells.get(i)?;
            // Only hidden cells of this component may move.
            if c.value.is_some() || !in_component.contains(&i) {
                return None;
            }
            let v = i128::from(cert.base[i]) + i128::from(k);
            if v < 0 || c.upper.is_some_and(|u| v > i128::from(u)) {
                return None;
            }
            relations.extend(touching.get(&i).into_iter().flatten().copied());
        }
        for ri in relations {
            let r = &rels[ri];
            let change = |i: usize| i128::from(d.get(&i).copied().unwrap_or(0));
            let parts: i128 = r.parts.iter().map(|&j| change(j)).sum();
            if parts != change(r.total) {
                return None;
            }
        }
        u64::try_from(i128::from(cert.base[cell]) + i128::from(d.get(&cell).copied().unwrap_or(0)))
            .ok()
    };
    let moves: HashMap<usize, &Move> = cert.moves.iter().map(|m| (m.cell, m)).collect();
    vars.iter()
        .map(|&q| {
            let cell = s.members[q][0] - s.offset[table];
            let base = cert.base[cell];
            let Some(m) = moves.get(&cell) else {
                return (q, base, Some(base), false);
            };
            match (alternative(cell, &m.up), alternative(cell, &m.down)) {
                (Some(hi), Some(lo)) => {
                    (q, lo.min(hi).min(base), Some(hi.max(lo).max(base)), false)
                }
                _ => (q, base, Some(base), false),
            }
        })
        .collect()
}
