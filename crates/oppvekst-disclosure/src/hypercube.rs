//! Secondary suppression on a table's grid (complete, or sparse with its absent
//! combinations as known zeros): the hypercube method (the idea of
//! Repsilber's GHMITER in τ-Argus), with the protection width checked as it goes.
//!
//! For each protected cell, hide the cheapest *hypercube* around it: one signed vector per
//! dimension that keeps that dimension's sums (the cell and a sibling at ±1, or the cell with
//! its ancestors and a chain down to a leaf, see `certify.rs`), their product being the
//! corners. Adding any multiple of such a product to the table changes no total, so with
//! every corner hidden the cell can move as far as its corners' values allow: up by the
//! smallest value on the corners that go down, down by the smallest on the corners that go
//! up. Hypercubes are added until those moves reach the required width. A cell the hidden
//! cells already protect (proven the same way the audit proves it) gets nothing new.
//!
//! Cheap and local where elimination over a national table is not. Protection then
//! thins the pattern (`protect.rs`): every secondary cell no proof moves is published, and
//! then, costliest first, each one whose dependent proofs can be found again without it.
//! The proofs kept are the certificate the independent audit checks.

use hashbrown::HashMap;
use rayon::prelude::*;

use crate::certify::{Candidates, Grid, Slack, shifted};
use crate::{Rule, SecondaryCost, Status};

/// Candidate vectors per dimension, before the best are kept.
const CANDIDATES: usize = 256;
/// Candidate vectors per dimension combined into hypercubes, for a cell that needs a width
/// of 1 (one hypercube) and for wider ones (several hypercubes, each search costlier).
const BEST: usize = 12;
const BEST_WIDE: usize = 5;
/// The same for the cells a first pass left unproven.
const BEST_THOROUGH: usize = 24;
/// What hiding one more cell weighs in the hypercube search, in units of value.
const CELL_WEIGHT: u64 = 8;
/// Hypercubes added per cell at most, in one pass.
const CUBES_PER_CELL: usize = 4;

/// The input of one pass.
pub(crate) struct Targets<'a> {
    /// Cell values.
    pub(crate) values: &'a [u64],
    /// Published upper bounds (denominators).
    pub(crate) upper: &'a [Option<u64>],
    /// Cells published in an earlier release: never hidden now.
    pub(crate) known: &'a [bool],
    /// (cell, width it needs).
    pub(crate) cells: &'a [(usize, u64)],
    /// What to lose least of.
    pub(crate) cost: SecondaryCost,
    /// Try more vectors per dimension (for the few cells a first pass left unproven).
    pub(crate) thorough: bool,
}

/// Hides hypercubes around each target cell until its proven width reaches what it needs.
/// Returns how many cells it hid.
pub(crate) fn apply(grid: &Grid, t: &Targets<'_>, status: &mut [Status]) -> usize {
    let mut hidden = reader_hidden(status, t.known);
    let mut order: Vec<(usize, usize, u64)> = t
        .cells
        .iter()
        .map(|&(cell, need)| {
            let coords = grid.coords(grid.pos(cell));
            let leaves = (0..grid.dims())
                .filter(|&d| grid.is_leaf(d, coords[d]))
                .count();
            (leaves, cell, need)
        })
        .collect();
    // Totals first: their hypercubes hide cells the finer cells below can use.
    order.sort_unstable_by_key(|&(l, c, n)| (l, std::cmp::Reverse(t.values[c]), c, n));
    let mut added = 0;
    for batch in order.chunks(BATCH) {
        // Which cells of the batch the hidden cells already protect, proven in parallel on
        // the pattern as the batch begins. Hiding more never undoes a proof, so such a cell
        // needs nothing when its turn comes; the others are proven again on the pattern as
        // it is then. (The quick search is not monotone itself — with more cells hidden it
        // may pick other witnesses — so the pattern can differ slightly from one cell after
        // another; every cell is proven again afterwards, and the audit judges the result.)
        let done: Vec<bool> = batch
            .par_iter()
            .map(|&(_, cell, need)| {
                let p = grid.prove_one(cell, need, &hidden, t.values, t.upper, t.thorough);
                p.up.is_none_or(|up| up + p.down >= need)
            })
            .collect();
        for (&(_, cell, need), done) in batch.iter().zip(done) {
            if !done {
                added += cover(grid, t, status, &mut hidden, cell, need);
            }
        }
    }
    added
}

/// Cells proven at a time in parallel before they are covered one by one.
const BATCH: usize = 512;

/// Hypercubes around one cell until its proven width reaches `need` (or no hypercube adds
/// anything); returns how many cells it hid.
fn cover(
    grid: &Grid,
    t: &Targets<'_>,
    status: &mut [Status],
    hidden: &mut [bool],
    cell: usize,
    need: u64,
) -> usize {
    let mut added = 0;
    let mut used: Vec<Vec<usize>> = Vec::new();
    loop {
        // What the hidden cells prove now, exactly as the audit will prove it.
        // (The quick search alone in the first pass: the audit's own, longer search only
        // ever proves more.)
        let proven = grid.prove_one(cell, need, hidden, t.values, t.upper, t.thorough);
        let Some(up) = proven.up else { break };
        if up + proven.down >= need || used.len() >= CUBES_PER_CELL {
            break;
        }
        let now = Moves {
            up,
            down: proven.down,
            need,
            moved_up: &proven.moved_up,
            moved_down: &proven.moved_down,
        };
        let Some(cube) = best_cube(grid, t, hidden, cell, &now, &used) else {
            break;
        };
        for &i in &cube {
            if !hidden[i] {
                hidden[i] = true;
                status[i] = Status::Hidden(Rule::Secondary);
                added += 1;
            }
        }
        used.push(cube);
    }
    added
}

/// The cells the reader does not know, as the audit sees them: hidden now and not
/// published in an earlier release.
pub(crate) fn reader_hidden(status: &[Status], known: &[bool]) -> Vec<bool> {
    status
        .iter()
        .zip(known)
        .map(|(s, k)| *s != Status::Published && !k)
        .collect()
}

/// How far the target is proven to move, what it needs, and the alternative tables the
/// proof reached: a new hypercube adds what it allows from there.
struct Moves<'a> {
    up: u64,
    down: u64,
    need: u64,
    moved_up: &'a HashMap<usize, i64>,
    moved_down: &'a HashMap<usize, i64>,
}

/// What a partial hypercube allows from the table reached upward, and from the one reached
/// downward.
#[derive(Clone, Copy)]
struct Reach {
    up: Slack,
    down: Slack,
}

impl Moves<'_> {
    /// The target alone.
    fn start(&self, t: &Targets<'_>, cell: usize) -> Reach {
        Reach {
            up: Slack::target(shifted(t.values, self.moved_up, cell), t.upper[cell]),
            down: Slack::target(shifted(t.values, self.moved_down, cell), t.upper[cell]),
        }
    }

    /// With one more corner.
    fn corner(&self, t: &Targets<'_>, r: Reach, i: usize, sign: i8) -> Reach {
        Reach {
            up: r
                .up
                .with(shifted(t.values, self.moved_up, i), t.upper[i], sign),
            down: r
                .down
                .with(shifted(t.values, self.moved_down, i), t.upper[i], sign),
        }
    }

    /// The width proven with one more hypercube.
    fn with(&self, r: &Reach) -> u64 {
        (self.up.saturating_add(r.up.up())).saturating_add(self.down.saturating_add(r.down.down()))
    }
}

/// The corners (sorted) of the cheapest hypercube through `cell` that brings its proven
/// width to what it needs, else of the one bringing it furthest; none when no hypercube
/// adds anything.
fn best_cube(
    grid: &Grid,
    t: &Targets<'_>,
    hidden: &[bool],
    cell: usize,
    now: &Moves<'_>,
    used: &[Vec<usize>],
) -> Option<Vec<usize>> {
    let p = grid.pos(cell);
    let coords = grid.coords(p);
    // A cell already hidden costs nothing more; otherwise its value (information lost) and
    // CELL_WEIGHT for the cell itself, so that a hypercube of many small cells does not beat
    // one of a few slightly larger ones (on the national benchmark table, the value weighed
    // 64 times the cell hid 7 % more secondary cells for 5 % less value).
    let cost_of = |i: usize| -> u64 {
        if hidden[i] {
            0
        } else {
            match t.cost {
                SecondaryCost::Value => t.values[i].saturating_add(CELL_WEIGHT),
                SecondaryCost::Cells => 1,
            }
        }
    };
    let keep = |i: usize| (!t.known[i]).then(|| t.values[i]);
    let mut cands: Vec<Candidates> = Vec::with_capacity(grid.dims());
    for (d, &c) in coords.iter().enumerate() {
        let mut list = grid.candidates(d, p, c, &keep, CANDIDATES);
        let best = match (t.thorough, now.need) {
            (true, _) => BEST_THOROUGH,
            (false, 0 | 1) => BEST,
            (false, _) => BEST_WIDE,
        };
        // Rank each vector by what it gives and costs on the target's own line.
        let score = |v: &Vec<(isize, i8)>| {
            let mut slack = now.start(t, cell);
            let mut cost = 0u64;
            for &(o, s) in &v[1..] {
                let i = grid.cell(p.wrapping_add_signed(o));
                slack = now.corner(t, slack, i, s);
                cost = cost.saturating_add(cost_of(i));
            }
            (std::cmp::Reverse(now.with(&slack).min(now.need)), cost)
        };
        list.sort_by_cached_key(score);
        list.truncate(best);
        if list.is_empty() {
            return None;
        }
        cands.push(list);
    }
    let mut best: Best = None;
    let start = now.start(t, cell);
    search(
        &mut Search {
            grid,
            t,
            p,
            cands: &cands,
            cost_of: &cost_of,
            now,
            used,
            best: &mut best,
        },
        0,
        &[(0, 1)],
        start,
        cost_of(cell),
    );
    best.map(|(_, _, _, corners)| corners)
}

/// The best hypercube so far: (gives enough, width it brings, cost, sorted corners).
type Best = Option<(bool, u64, u64, Vec<usize>)>;

struct Search<'s, 't> {
    grid: &'s Grid,
    t: &'s Targets<'t>,
    p: usize,
    cands: &'s [Candidates],
    cost_of: &'s dyn Fn(usize) -> u64,
    now: &'s Moves<'s>,
    used: &'s [Vec<usize>],
    best: &'s mut Best,
}

/// Depth-first over one candidate per dimension, pruned by cost once a hypercube giving
/// enough width is known.
fn search(s: &mut Search<'_, '_>, d: usize, partial: &[(isize, i8)], slack: Reach, cost: u64) {
    if let Some((true, _, best_cost, _)) = s.best
        && cost >= *best_cost
    {
        return;
    }
    // Corners only narrow what a product allows: stop when it can add nothing.
    let width = s.now.with(&slack);
    let current = s.now.up + s.now.down;
    if width <= current {
        return;
    }
    if d == s.cands.len() {
        let enough = width >= s.now.need;
        let mut corners: Vec<usize> = partial
            .iter()
            .map(|&(o, _)| s.grid.cell(s.p.wrapping_add_signed(o)))
            .collect();
        corners.sort_unstable();
        if s.used.contains(&corners) {
            return;
        }
        let better = match s.best {
            None => true,
            Some((true, _, c, _)) => enough && cost < *c,
            Some((false, w, c, _)) => enough || width > *w || (width == *w && cost < *c),
        };
        if better {
            *s.best = Some((enough, width, cost, corners));
        }
        return;
    }
    'cands: for cand in &s.cands[d] {
        let mut next = Vec::with_capacity(partial.len() * cand.len());
        let mut slack = slack;
        let mut cost = cost;
        next.extend_from_slice(partial);
        for &(o, sign) in partial {
            for &(o2, sign2) in &cand[1..] {
                let i = s.grid.cell(s.p.wrapping_add_signed(o + o2));
                // A cell published in an earlier release cannot be hidden now.
                if s.t.known[i] {
                    continue 'cands;
                }
                slack = s.now.corner(s.t, slack, i, sign * sign2);
                cost = cost.saturating_add((s.cost_of)(i));
                next.push((o + o2, sign * sign2));
            }
        }
        search(s, d + 1, &next, slack, cost);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use crate::testdata::{exact_audit, police_like};
    use crate::{EXACT_LIMIT_TEST, MODULAR_ABOVE_TEST, Rules, Status, protect};

    /// Protects as a large complete table (hypercubes), with components above `exact`
    /// hidden cells judged by the certificate rather than solved.
    fn protect_large(seed: u64, exact: Option<usize>) -> crate::Protected<crate::ProtectedTable> {
        MODULAR_ABOVE_TEST.with(|c| c.set(Some(0)));
        EXACT_LIMIT_TEST.with(|c| c.set(exact));
        let p = protect(&police_like(seed), &Rules::police_default());
        MODULAR_ABOVE_TEST.with(|c| c.set(None));
        EXACT_LIMIT_TEST.with(|c| c.set(None));
        p.unwrap()
    }

    #[test]
    fn a_table_protected_by_hypercubes_passes_the_exact_audit() {
        for seed in [7, 11] {
            let p = protect_large(seed, None);
            assert!(p.summary().primary > 0 && p.summary().secondary > 0);
            assert!(p.audit().failures.is_empty());
            // Again on its own, every component solved:
            let again = exact_audit(p.published_view(), Rules::police_default().protection_width);
            assert!(
                again.passed(),
                "{} cells too narrow",
                again.failures().count()
            );
        }
    }

    /// `police_like` without the inner cells whose count is zero: a sparse table.
    fn sparse(seed: u64) -> crate::Table {
        let full = police_like(seed);
        let leaf = |d: usize, c: &str| !full.dimensions[d].parent.values().any(|p| p == c);
        let inner: Vec<crate::Cell> = full
            .cells
            .iter()
            .filter(|c| c.value > 0 && c.key.iter().enumerate().all(|(d, k)| leaf(d, k)))
            .cloned()
            .collect();
        crate::Table::from_inner("sparse", full.dimensions.clone(), inner).unwrap()
    }

    #[test]
    fn a_sparse_table_is_protected_on_its_grid_and_passes_the_exact_audit() {
        for seed in [7, 11] {
            let table = sparse(seed);
            assert!(
                table.cells.len() < police_like(seed).cells.len(),
                "absent combinations"
            );
            let rules = Rules {
                method: crate::Method::Hypercube,
                ..Rules::police_default()
            };
            let p = protect(&table, &rules).unwrap();
            assert_eq!(p.summary().method, crate::Method::Hypercube);
            assert!(p.summary().secondary > 0);
            let again = exact_audit(p.published_view(), rules.protection_width);
            assert!(
                again.passed(),
                "{} cells too narrow",
                again.failures().count()
            );
        }
    }

    #[test]
    fn auto_keeps_the_pattern_that_loses_less_and_the_same_on_every_run() {
        let table = police_like(7);
        let lost = |m: crate::Method| {
            let rules = Rules {
                method: m,
                ..Rules::police_default()
            };
            let p = crate::suppression_pattern(&table, &rules, &crate::Ledger::default()).unwrap();
            let lost: u64 = table
                .cells
                .iter()
                .zip(&p.status)
                .filter(|(_, s)| **s != Status::Published)
                .map(|(c, _)| c.value)
                .sum();
            (lost, p)
        };
        let (auto, first) = lost(crate::Method::Auto);
        let (elimination, _) = lost(crate::Method::Elimination);
        let (cubes, _) = lost(crate::Method::Hypercube);
        assert!(auto <= cubes, "never more than the hypercube pattern");
        assert!(auto == elimination || auto == cubes);
        // Deterministic: the same pattern again, cell for cell.
        let (_, second) = lost(crate::Method::Auto);
        assert_eq!(first.status, second.status);
        assert_eq!(first.method, second.method);
    }

    #[test]
    fn a_large_component_is_judged_by_its_certificate_and_its_ranges_are_not_shown_as_exact() {
        let p = protect_large(7, Some(0));
        let protected = p
            .cells()
            .iter()
            .filter(|c| c.status().is_protected())
            .count();
        assert_eq!(p.audit().proven, protected);
        assert!(p.audit().failures.is_empty());
        assert!(p.bounds().iter().all(|b| !b.exact));
    }

    #[test]
    fn the_certificate_of_a_deliberately_weakened_pattern_does_not_pass() {
        let table = police_like(7);
        let rules = Rules::police_default();
        let p = protect_large(7, Some(0));
        // Publish every complement again: the primary cells alone are not protected.
        let weak: Vec<Status> = p
            .cells()
            .iter()
            .map(|c| {
                if c.status().is_protected() {
                    c.status()
                } else {
                    Status::Published
                }
            })
            .collect();
        MODULAR_ABOVE_TEST.with(|c| c.set(Some(0)));
        let history = crate::protect::History {
            prior: vec![Default::default(); table.cells.len()],
            ..Default::default()
        };
        let certificates = crate::protect::certificates(&table, &weak, &history, &rules, 0);
        MODULAR_ABOVE_TEST.with(|c| c.set(None));
        assert_eq!(certificates.len(), 1);
        let view = crate::protect::view(&table, &weak);
        let publication = oppvekst_audit::Publication::single(view.clone());
        let report = oppvekst_audit::audit(
            &publication,
            &oppvekst_audit::AuditOptions {
                exact_limit: 0,
                ..oppvekst_audit::AuditOptions::width(rules.protection_width)
            },
            &certificates,
        )
        .unwrap();
        assert!(!report.passed());
        // The exact audit agrees the weakened pattern fails.
        assert!(!exact_audit(&view, rules.protection_width).passed());
    }
}
