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

/// For each failing hidden cell, hides the cheapest published cell that shares a relation
/// with it (same preference order as [`apply`]). Returns false when nothing could be added.
pub(crate) fn widen(
    table: &Table,
    relations: &[Relation],
    failing: &[usize],
    status: &mut [Status],
) -> bool {
    let mut changed = false;
    for &f in failing {
        let choice = relations
            .iter()
            .filter(|r| r.total == f || r.parts.contains(&f))
            .flat_map(|r| {
                std::iter::once(r.total)
                    .chain(r.parts.iter().copied())
                    .map(move |i| (i, i == r.total))
            })
            .filter(|&(i, _)| status[i] == Status::Published)
            .min_by_key(|&(i, is_total)| {
                let v = table.cells[i].value;
                (is_total, v == 0, v, i)
            });
        if let Some((i, _)) = choice {
            status[i] = Status::Hidden(Rule::Secondary);
            changed = true;
        }
    }
    changed
}
