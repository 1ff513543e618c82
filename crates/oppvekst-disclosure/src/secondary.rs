//! Secondary (complementary) suppression.
//!
//! Repeats until no relation has exactly one hidden member: for such a relation, the hidden
//! member would equal the total minus the published parts (or the sum of the parts). The
//! complement chosen is the published member with the least information loss: prefer a
//! part over the total, then a non-zero value (an attacker knows counts are ≥ 0, so hiding a
//! zero next to a small cell narrows little), then the smallest value, then the lowest index
//! (deterministic).

use crate::table::Relation;
use crate::{Rule, Status, Table};

pub(crate) fn apply(table: &Table, relations: &[Relation], status: &mut [Status]) {
    let hidden = |s: &Status| !matches!(s, Status::Published);
    loop {
        let mut changed = false;
        for r in relations {
            let members = std::iter::once(r.total).chain(r.parts.iter().copied());
            let n_hidden = members.clone().filter(|&i| hidden(&status[i])).count();
            if n_hidden != 1 {
                continue;
            }
            let choice = members.filter(|&i| !hidden(&status[i])).min_by_key(|&i| {
                let v = table.cells[i].value;
                (i == r.total, v == 0, v, i)
            });
            if let Some(i) = choice {
                status[i] = Status::Hidden(Rule::Secondary);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
}

/// For each failing hidden cell (index and how much its interval falls short of the required
/// width, and the width it needs), hides the cheapest published cell that shares a relation
/// with it and is at least as large as the width needed (else the largest); when every cell of its relations is
/// hidden already, searches outwards through relations of hidden cells (breadth first) and
/// takes the cheapest published cell at the nearest distance. Returns false when nothing
/// could be added.
pub(crate) fn widen(
    table: &Table,
    relations: &[Relation],
    failing: &[(usize, u64, u64)],
    status: &mut [Status],
) -> bool {
    let mut by_cell: Vec<Vec<usize>> = vec![Vec::new(); table.cells.len()];
    for (ri, r) in relations.iter().enumerate() {
        for i in std::iter::once(r.total).chain(r.parts.iter().copied()) {
            by_cell[i].push(ri);
        }
    }
    let mut changed = false;
    for &(f, short, need) in failing {
        let mut frontier = vec![f];
        let mut seen = std::collections::HashSet::from([f]);
        let mut choice = None;
        while choice.is_none() && !frontier.is_empty() {
            let mut next = Vec::new();
            for &c in &frontier {
                for &ri in &by_cell[c] {
                    let r = &relations[ri];
                    for i in std::iter::once(r.total).chain(r.parts.iter().copied()) {
                        if status[i] == Status::Published {
                            let v = table.cells[i].value;
                            // Smaller than the width needed: the larger the better.
                            let small = v < need.max(short);
                            let size = if small { u64::MAX - v } else { v };
                            let cost = (small, i == r.total, v == 0, size, i);
                            if choice.is_none_or(|(best, _)| cost < best) {
                                choice = Some((cost, i));
                            }
                        } else if seen.insert(i) {
                            next.push(i);
                        }
                    }
                }
            }
            frontier = next;
        }
        if let Some((_, i)) = choice {
            status[i] = Status::Hidden(Rule::Secondary);
            changed = true;
        }
    }
    changed
}
