//! The publication as one system of quantities: global cell numbers, cells known to be one
//! quantity merged, each quantity's published value and bound, and each table's relations.
//! A leaf module: the exact solver and the certificate check both read it.

use rayon::prelude::*;

use crate::model::{AuditError, CellRef, Publication};
use crate::relations::{Relation, relations};

/// Per quantity of a component: (quantity, lower, upper, exact).
pub(crate) type Solved = Vec<(usize, u64, Option<u64>, bool)>;

/// Counts up to this size are audited (far above any count of people or offences, and far
/// below where the solver's floating point loses whole numbers).
const MAX_VALUE: u64 = 100_000_000;

pub(crate) fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

pub(crate) fn union(parent: &mut [usize], a: usize, b: usize) {
    let (a, b) = (find(parent, a), find(parent, b));
    if a != b {
        parent[a.max(b)] = a.min(b);
    }
}

/// The publication as one system: global cell numbers, quantities (classes of cells known
/// to be equal), their known values and bounds, and the relations.
pub(crate) struct System {
    /// Global number of each table's first cell.
    pub(crate) offset: Vec<usize>,
    /// Global cell → quantity.
    pub(crate) quantity: Vec<usize>,
    /// Quantity → members (global cells).
    pub(crate) members: Vec<Vec<usize>>,
    /// Quantity → published value.
    pub(crate) known: Vec<Option<u64>>,
    /// Quantity → upper bound.
    pub(crate) upper: Vec<Option<u64>>,
    /// Relations, per table.
    pub(crate) relations: Vec<Vec<Relation>>,
}

impl System {
    pub(crate) fn cell_ref(&self, g: usize) -> CellRef {
        let table = self.offset.partition_point(|&o| o <= g) - 1;
        CellRef {
            table,
            cell: g - self.offset[table],
        }
    }
}

pub(crate) fn system(p: &Publication) -> Result<System, AuditError> {
    let relations: Vec<Vec<Relation>> = p
        .tables
        .par_iter()
        .map(relations)
        .collect::<Result<_, _>>()?;
    let mut offset = Vec::with_capacity(p.tables.len());
    let mut n = 0;
    for t in &p.tables {
        offset.push(n);
        n += t.cells.len();
    }
    let cell = |g: usize| {
        let table = offset.partition_point(|&o| o <= g) - 1;
        (table, g - offset[table])
    };
    let mut parent: Vec<usize> = (0..n).collect();
    for (a, b) in &p.same {
        let valid = |r: &CellRef| {
            p.tables
                .get(r.table)
                .is_some_and(|t| r.cell < t.cells.len())
        };
        if !valid(a) || !valid(b) {
            return Err(AuditError::BadLink);
        }
        union(
            &mut parent,
            offset[a.table] + a.cell,
            offset[b.table] + b.cell,
        );
    }
    let mut id = vec![usize::MAX; n];
    let mut members: Vec<Vec<usize>> = Vec::new();
    for g in 0..n {
        let root = find(&mut parent, g);
        if id[root] == usize::MAX {
            id[root] = members.len();
            members.push(Vec::new());
        }
        id[g] = id[root];
        members[id[g]].push(g);
    }
    let mut known = vec![None; members.len()];
    let mut upper: Vec<Option<u64>> = vec![None; members.len()];
    for (q, m) in members.iter().enumerate() {
        for &g in m {
            let (t, i) = cell(g);
            let c = &p.tables[t].cells[i];
            let table = &p.tables[t].name;
            let contradiction = |what| AuditError::Contradiction {
                table: table.clone(),
                key: c.key.clone(),
                cell: i,
                what,
            };
            if let Some(v) = c.value {
                if v > MAX_VALUE {
                    return Err(AuditError::Overflow {
                        table: table.clone(),
                        key: c.key.clone(),
                        cell: i,
                    });
                }
                match known[q] {
                    Some(k) if k != v => {
                        return Err(contradiction("the value published for the same quantity"));
                    }
                    _ => known[q] = Some(v),
                }
            }
            if let Some(u) = c.upper {
                upper[q] = Some(upper[q].map_or(u, |x: u64| x.min(u)));
            }
        }
        if let (Some(v), Some(u)) = (known[q], upper[q])
            && v > u
        {
            let (t, i) = cell(m[0]);
            return Err(AuditError::Contradiction {
                table: p.tables[t].name.clone(),
                key: p.tables[t].cells[i].key.clone(),
                cell: i,
                what: "its published upper bound",
            });
        }
    }
    Ok(System {
        offset,
        quantity: id,
        members,
        known,
        upper,
        relations,
    })
}
