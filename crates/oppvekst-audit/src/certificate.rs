//! Certificates for components too large to solve: alternative tables, checked by
//! arithmetic alone.
//!
//! A reader's interval for a hidden cell holds every value the cell takes in some table that
//! agrees with everything published. So two such tables in which a cell differs by the
//! required width prove the cell protected. A certificate gives one base table and, per
//! protected cell, two changes of it (sparse: cell → change); the audit checks that the base
//! and every changed table keep every published value, every additive relation and every
//! bound `[0, upper]`, and takes the cell's values in them as a range inside its interval.

use rayon::prelude::*;
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

/// One certificate, checked once where it does not depend on the component: its table, its
/// base (every published value kept, every bound and every relation holds), the relations
/// touching each cell, and its moves by cell.
pub(crate) struct Checker<'a> {
    table: usize,
    base: &'a [u64],
    /// Relations touching each cell of the table.
    touching: Vec<Vec<u32>>,
    moves: HashMap<usize, &'a Move>,
}

impl<'a> Checker<'a> {
    /// The checker of table `table`'s certificate, or None when there is none or its base
    /// does not check out (then nothing it says is used).
    pub(crate) fn new(
        p: &'a Publication,
        s: &'a System,
        table: usize,
        certificates: &'a [Certificate],
    ) -> Option<Checker<'a>> {
        let cert = certificates.iter().find(|c| c.table == table)?;
        let t = p.tables.get(table)?;
        let rels = s.relations.get(table)?;
        if cert.base.len() != t.cells.len() {
            return None;
        }
        for (c, &b) in t.cells.iter().zip(&cert.base) {
            if c.value.is_some_and(|v| v != b) || c.upper.is_some_and(|u| b > u) {
                return None;
            }
        }
        let mut touching: Vec<Vec<u32>> = vec![Vec::new(); t.cells.len()];
        for (ri, r) in rels.iter().enumerate() {
            let sum: u128 = r.parts.iter().map(|&j| u128::from(cert.base[j])).sum();
            if sum != u128::from(cert.base[r.total]) {
                return None;
            }
            // Relation numbers fit u32: a table's relations are fewer than its cells, and
            // cell indices of the LPs are far below 2^32.
            let ri = u32::try_from(ri).ok()?;
            for i in std::iter::once(r.total).chain(r.parts.iter().copied()) {
                touching[i].push(ri);
            }
        }
        Some(Checker {
            table,
            base: &cert.base,
            touching,
            moves: cert.moves.iter().map(|m| (m.cell, m)).collect(),
        })
    }

    /// The table the certificate is for.
    pub(crate) fn table(&self) -> usize {
        self.table
    }

    /// The checked range of every quantity of one component of this table: from the two
    /// alternative tables of its move when both check out, else only its base value (not
    /// exact, failing a protected cell).
    pub(crate) fn check(
        &self,
        p: &Publication,
        s: &System,
        vars: &[usize],
    ) -> crate::system::Solved {
        let table = self.table;
        let t = &p.tables[table];
        let rels = &s.relations[table];
        // The component must lie in this table, each quantity a single cell (a cell linked to
        // an earlier release would have to move there too: not certified, so it fails).
        if vars
            .iter()
            .any(|&q| s.members[q].len() != 1 || s.cell_ref(s.members[q][0]).table != table)
        {
            return vars.iter().map(|&q| (q, 0, Some(0), false)).collect();
        }
        let in_component: BTreeSet<usize> = vars
            .iter()
            .map(|&q| s.members[q][0] - s.offset[table])
            .collect();
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
                let v = i128::from(self.base[i]) + i128::from(k);
                if v < 0 || c.upper.is_some_and(|u| v > i128::from(u)) {
                    return None;
                }
                relations.extend(self.touching[i].iter().copied());
            }
            for ri in relations {
                let r = &rels[ri as usize];
                let change = |i: usize| i128::from(d.get(&i).copied().unwrap_or(0));
                let parts: i128 = r.parts.iter().map(|&j| change(j)).sum();
                if parts != change(r.total) {
                    return None;
                }
            }
            u64::try_from(
                i128::from(self.base[cell]) + i128::from(d.get(&cell).copied().unwrap_or(0)),
            )
            .ok()
        };
        // Every quantity's two alternative tables are checked on their own: in parallel (a
        // national table's hidden cells can form one component of hundreds of thousands).
        vars.par_iter()
            .map(|&q| {
                let cell = s.members[q][0] - s.offset[table];
                let base = self.base[cell];
                let Some(m) = self.moves.get(&cell) else {
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
}
