//! Secondary suppression for large tables, block by block: the modular idea of τ-Argus's
//! HiTaS, with the elimination of [`crate::gauss`] inside each block.
//!
//! Eliminating over a whole national table fills the basis the elimination keeps (its large
//! totals sit in hundreds of thousands of vectors), so a large table is cut into blocks:
//! one per choice of a *group* in every dimension, a group being a code with children and
//! those children (county + its municipalities, year + its quarters, alle + offence groups).
//! Every relation lies inside a block. Each cell is *decided* in its first block (the one
//! where its codes are children wherever they can be, the highest of its blocks); blocks are
//! taken from the top of the hierarchies down, and a block sees the cells decided above it as
//! fixed: published ones are known to the reader (never hidden here), hidden ones must stay
//! protected. Blocks at the same depth share only decided cells, so they run in parallel.
//!
//! Protection inside every block does not by itself prove protection across blocks; the
//! audit that follows checks the whole table and the pattern is widened where it fails.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::table::{KeyCoder, Relation};
use crate::{SecondaryCost, Status, Table};

/// Chooses secondary cells block by block. `status` holds the primary pattern; `known` the
/// cells published earlier. Falls back to elimination over the whole table when a key holds
/// a code its dimension does not list (not expected: the table was checked before).
pub(crate) fn apply(
    table: &Table,
    relations: &[Relation],
    status: &mut [Status],
    known: &[bool],
    cost: SecondaryCost,
) {
    let values: Vec<u64> = table.cells.iter().map(|c| c.value).collect();
    let Some(layout) = Layout::new(table, relations) else {
        crate::gauss::apply(
            &values,
            relations,
            status,
            known,
            cost,
            &[],
            &mut crate::gauss::Budget::unlimited(),
        );
        return;
    };
    let mut levels: Vec<&Block> = layout.blocks.values().collect();
    levels.sort_by_key(|b| (b.depth, b.id));
    for level in levels.chunk_by(|a, b| a.depth == b.depth) {
        let changes: Vec<Vec<(usize, Status)>> = level
            .par_iter()
            .map(|b| solve_block(b, &layout.first, relations, &values, status, known, cost))
            .collect();
        for (i, s) in changes.into_iter().flatten() {
            status[i] = s;
        }
    }
}

struct Block {
    /// Position in the deterministic order of blocks.
    id: usize,
    depth: u32,
    /// Global indices of its cells, ascending.
    cells: Vec<usize>,
    /// Indices of its relations.
    relations: Vec<usize>,
}

struct Layout {
    blocks: HashMap<Vec<u32>, Block>,
    /// Id of each cell's first block.
    first: Vec<usize>,
}

impl Layout {
    fn new(table: &Table, relations: &[Relation]) -> Option<Layout> {
        let coder = KeyCoder::new(&table.dimensions);
        let ranks: Vec<Vec<u32>> = table
            .cells
            .iter()
            .map(|c| {
                c.key
                    .iter()
                    .enumerate()
                    .map(|(d, k)| coder.rank(d, k))
                    .collect::<Option<Vec<u32>>>()
            })
            .collect::<Option<_>>()?;
        // Per dimension and code rank: parent rank, whether it has children, depth.
        let mut parent: Vec<HashMap<u32, u32>> = Vec::new();
        let mut has_children: Vec<HashMap<u32, bool>> = Vec::new();
        for (d, dim) in table.dimensions.iter().enumerate() {
            let mut p = HashMap::new();
            let mut h = HashMap::new();
            for (c, par) in &dim.parent {
                if let (Some(c), Some(par)) = (coder.rank(d, c), coder.rank(d, par)) {
                    p.insert(c, par);
                    h.insert(par, true);
                }
            }
            parent.push(p);
            has_children.push(h);
        }
        let depth = |d: usize, mut c: u32| {
            let mut n = 0;
            while let Some(&p) = parent[d].get(&c) {
                c = p;
                n += 1;
                if n > 64 {
                    break; // a cycle; relations() rejects such a table before this runs
                }
            }
            n
        };
        // The groups a code can belong to: its parent's (as a child), its own (as a total).
        let options = |d: usize, c: u32| -> Vec<u32> {
            let mut o = Vec::with_capacity(2);
            if let Some(&p) = parent[d].get(&c) {
                o.push(p);
            }
            if has_children[d].contains_key(&c) || o.is_empty() {
                o.push(c);
            }
            o
        };
        let product = |opts: &[Vec<u32>]| -> Vec<Vec<u32>> {
            let mut out: Vec<Vec<u32>> = vec![Vec::with_capacity(opts.len())];
            for o in opts {
                out = out
                    .into_iter()
                    .flat_map(|k| {
                        o.iter().map(move |&g| {
                            let mut k = k.clone();
                            k.push(g);
                            k
                        })
                    })
                    .collect();
            }
            out
        };
        let mut members: HashMap<Vec<u32>, Vec<usize>> = HashMap::new();
        let mut first_key: Vec<Vec<u32>> = Vec::with_capacity(ranks.len());
        for (i, r) in ranks.iter().enumerate() {
            let opts: Vec<Vec<u32>> = r.iter().enumerate().map(|(d, &c)| options(d, c)).collect();
            first_key.push(opts.iter().map(|o| o[0]).collect());
            for key in product(&opts) {
                members.entry(key).or_default().push(i);
            }
        }
        let mut rel_of: HashMap<Vec<u32>, Vec<usize>> = HashMap::new();
        for (ri, rel) in relations.iter().enumerate() {
            let Some(&p0) = rel.parts.first() else {
                continue;
            };
            let (t, p) = (&ranks[rel.total], &ranks[p0]);
            let Some(dr) = (0..t.len()).find(|&d| t[d] != p[d]) else {
                continue;
            };
            let opts: Vec<Vec<u32>> = t
                .iter()
                .enumerate()
                .map(|(d, &c)| if d == dr { vec![c] } else { options(d, c) })
                .collect();
            for key in product(&opts) {
                rel_of.entry(key).or_default().push(ri);
            }
        }
        let mut keys: Vec<Vec<u32>> = members.keys().cloned().collect();
        keys.sort_unstable();
        let id: HashMap<&Vec<u32>, usize> = keys.iter().enumerate().map(|(i, k)| (k, i)).collect();
        let first: Vec<usize> = first_key
            .iter()
            .map(|k| id.get(k).copied().unwrap_or(usize::MAX))
            .collect();
        let mut blocks = HashMap::with_capacity(keys.len());
        for (key, cells) in members {
            let b = Block {
                id: id.get(&key).copied().unwrap_or(usize::MAX),
                depth: key.iter().enumerate().map(|(d, &g)| depth(d, g)).sum(),
                cells,
                relations: rel_of.remove(&key).unwrap_or_default(),
            };
            blocks.insert(key, b);
        }
        Some(Layout { blocks, first })
    }
}

/// Secondary cells of one block: the statuses of its own (first-decided) cells that change.
fn solve_block(
    b: &Block,
    first: &[usize],
    relations: &[Relation],
    values: &[u64],
    status: &[Status],
    known: &[bool],
    cost: SecondaryCost,
) -> Vec<(usize, Status)> {
    if b.relations.is_empty() {
        return Vec::new();
    }
    let local = |g: usize| b.cells.binary_search(&g).ok();
    let rels: Vec<Relation> = b
        .relations
        .iter()
        .filter_map(|&ri| {
            let r = &relations[ri];
            Some(Relation {
                total: local(r.total)?,
                parts: r.parts.iter().map(|&p| local(p)).collect::<Option<_>>()?,
            })
        })
        .collect();
    let vals: Vec<u64> = b.cells.iter().map(|&g| values[g]).collect();
    let mut st: Vec<Status> = b.cells.iter().map(|&g| status[g]).collect();
    // Cells decided in an earlier block and published there are known to the reader.
    let kn: Vec<bool> = b
        .cells
        .iter()
        .map(|&g| known[g] || (first[g] != b.id && status[g] == Status::Published))
        .collect();
    crate::gauss::apply(
        &vals,
        &rels,
        &mut st,
        &kn,
        cost,
        &[],
        &mut crate::gauss::Budget::unlimited(),
    );
    b.cells
        .iter()
        .zip(st)
        .filter(|&(&g, s)| s != status[g])
        .map(|(&g, s)| (g, s))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::testdata::exact_audit;
    use crate::{HYPERCUBES_OFF_TEST, MODULAR_ABOVE_TEST, Rules};

    fn table() -> Table {
        crate::testdata::police_like(7)
    }

    #[test]
    fn every_cell_is_decided_in_one_block_and_no_relation_has_a_single_hidden_member() {
        let t = table();
        let rels = t.relations().unwrap();
        let layout = Layout::new(&t, &rels).unwrap();
        // Every relation lies in some block; every cell has a first block holding it.
        let mut in_block = vec![false; rels.len()];
        for b in layout.blocks.values() {
            for &r in &b.relations {
                in_block[r] = true;
            }
        }
        assert!(in_block.iter().all(|x| *x));
        for (i, &f) in layout.first.iter().enumerate() {
            let b = layout.blocks.values().find(|b| b.id == f).unwrap();
            assert!(b.cells.binary_search(&i).is_ok());
        }
        let rules = Rules::police_default();
        let mut status = crate::primary::apply(&t, &rules).unwrap();
        let primary = status.clone();
        apply(
            &t,
            &rels,
            &mut status,
            &vec![false; t.cells.len()],
            rules.cost,
        );
        for (p, s) in primary.iter().zip(&status) {
            if *p != Status::Published {
                assert_eq!(p, s, "a primary cell kept its rule");
            }
        }
        assert!(
            status.iter().filter(|s| **s != Status::Published).count()
                > primary.iter().filter(|s| **s != Status::Published).count()
        );
        for r in &rels {
            let hidden = std::iter::once(r.total)
                .chain(r.parts.iter().copied())
                .filter(|&i| status[i] != Status::Published)
                .count();
            assert_ne!(hidden, 1, "a relation with one hidden member");
        }
        // On this table the blocks alone leave no hidden cell a linear function of published
        // cells (the whole-table audit finds every interval at least 1 wide).
        let hide: Vec<bool> = status.iter().map(|s| *s != Status::Published).collect();
        let report = exact_audit(&crate::testdata::hidden_view(&t, &hide), 1);
        assert!(
            report.passed(),
            "{} cells pinned",
            report.failures().count()
        );
    }

    #[test]
    fn a_table_protected_block_by_block_passes_the_exact_audit() {
        let t = table();
        let rules = Rules::police_default();
        // Block by block, as a large table that is not complete would be.
        MODULAR_ABOVE_TEST.with(|c| c.set(Some(0)));
        HYPERCUBES_OFF_TEST.with(|c| c.set(true));
        let p = crate::protect(&t, &rules).unwrap();
        HYPERCUBES_OFF_TEST.with(|c| c.set(false));
        MODULAR_ABOVE_TEST.with(|c| c.set(None));
        assert!(p.audit().failures.is_empty());
        assert!(p.summary().secondary > 0);
        // And on its own again, every component solved:
        let again = exact_audit(p.published_view(), rules.protection_width);
        assert!(again.passed());
        assert_eq!(
            again.tables[0].hidden,
            p.summary().primary + p.summary().secondary
        );
    }
}
