//! The audit: what can an attacker who knows every published cell, every additive relation,
//! that counts are non-negative, and each cell's published denominator (an upper bound)
//! learn about each hidden cell? For every hidden cell it computes the minimum and maximum
//! the cell can take, by linear programming (microlp), and fails the release when an
//! interval is narrower than the required protection.
//!
//! Written independently of the suppression code: it sees only a [`PublishedTable`] — the
//! reader's view — so it can audit a pattern produced by any tool.
//!
//! Work is reduced as the design note asks: each LP holds only the hidden cells and the
//! relations that touch them, split into connected components (solved in parallel); per
//! component one factorised base solution is reused for every bound by adding a single
//! row `t = ±x_i` and re-optimising with the warm-started dual simplex.
//!
//! A component of more than [`EXACT_LIMIT`] hidden cells (a national table's run to hundreds
//! of thousands) is beyond one LP per bound. When the audit runs inside protection (the true
//! values known) and the table is complete, each protected cell of such a component is
//! instead *proven* wide enough by alternative tables (see `certify.rs`): a sound inner
//! range of its interval, marked not exact, never shown to readers. A cell that cannot be
//! proven fails, even if it may in fact be protected.

use std::collections::{BTreeMap, HashMap, HashSet};

use microlp::{ComparisonOp, LinearExpr, OptimizationDirection, Problem, SolveOutcome};
use rayon::prelude::*;
use serde::Serialize;

use crate::DisclosureError;
use crate::certify::Grid;
use crate::table::{Dimension, Relation, relations_of};

/// The reader's view of one cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedCell {
    /// Key, one code per dimension.
    pub key: Vec<String>,
    /// The published value; None when hidden.
    pub value: Option<u64>,
    /// A published upper bound (the denominator n of a survey cell).
    pub upper: Option<u64>,
    /// Hidden only as a complement, as the suppression log tells the reader. Its value passed
    /// every primary rule, so its interval is reported but need not reach the width; false
    /// (every hidden cell protected) when the pattern does not say.
    pub secondary: bool,
}

/// The reader's view of a table: hierarchies, published values and the hidden pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedTable {
    /// Name.
    pub name: String,
    /// Dimensions with their hierarchies.
    pub dimensions: Vec<Dimension>,
    /// Cells.
    pub cells: Vec<PublishedCell>,
}

/// Required protection.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditOptions {
    /// Smallest acceptable width (upper − lower) of a hidden cell's interval; a cell whose
    /// published upper bound is smaller needs the whole range [0, upper] instead. Never less
    /// than 1: a single value is always a failure.
    pub min_width: u64,
}

/// The interval an attacker can derive for one hidden cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellBounds {
    /// Index of the cell in the table.
    pub cell: usize,
    /// Smallest value it can take (integer).
    pub lower: u64,
    /// Largest value it can take; None = unbounded.
    pub upper: Option<u64>,
    /// True: the interval itself, solved exactly. False: a range proven to lie inside the
    /// interval (a component too large to solve); it is computed from the true values, so
    /// it must never be published.
    pub exact: bool,
}

/// Audit result.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct AuditReport {
    /// Table name.
    pub table: String,
    /// Hidden cells audited.
    pub hidden: usize,
    /// Connected components of hidden cells.
    pub components: usize,
    /// Largest component (cells).
    pub largest_component: usize,
    /// Bound problems solved (at most two per hidden cell audited afresh: a bound already
    /// reached by a feasible point is not solved for).
    pub bounds_solved: usize,
    /// Protected cells of components too large to solve exactly, proven by alternative
    /// tables instead (their bounds are not exact).
    pub proven: usize,
    /// Protected hidden cells whose interval is too narrow.
    pub failures: Vec<CellBounds>,
    /// Smallest interval width of a protected hidden cell solved exactly (None if every such
    /// interval is unbounded or no such cell is solved).
    pub narrowest: Option<u64>,
    /// Interval of every hidden cell, by cell index.
    pub bounds: Vec<CellBounds>,
}

impl AuditReport {
    /// True when every hidden cell is protected.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// A value no count reaches: stands in for "unbounded" inside the LPs.
const BIG: f64 = 1.0e9;
const EPS: f64 = 1.0e-6;
/// Largest component (hidden cells) solved exactly when a proof by alternative tables is
/// possible instead.
pub(crate) const EXACT_LIMIT: usize = 5_000;

#[cfg(test)]
thread_local! {
    /// Tests lower the component size above which cells are proven rather than solved.
    pub(crate) static EXACT_LIMIT_TEST: std::cell::Cell<Option<usize>> =
        const { std::cell::Cell::new(None) };
}

fn exact_limit() -> usize {
    #[cfg(test)]
    if let Some(n) = EXACT_LIMIT_TEST.with(std::cell::Cell::get) {
        return n;
    }
    EXACT_LIMIT
}

struct Component {
    cells: Vec<usize>,
    /// (coefficient per local variable, right-hand side)
    rows: Vec<(Vec<(usize, f64)>, f64)>,
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

/// Audits a published table, solving every component exactly (without the true values there
/// is nothing to prove from). Errors only when the table itself is inconsistent.
pub fn audit(table: &PublishedTable, opts: &AuditOptions) -> Result<AuditReport, DisclosureError> {
    let keys: Vec<&[String]> = table.cells.iter().map(|c| c.key.as_slice()).collect();
    let relations = relations_of(&table.name, &table.dimensions, &keys)?;
    audit_with(table, &relations, opts, None, false, None)
}

/// The audit with precomputed relations. With `previous` (an earlier audit of the same table
/// and the cells hidden since), only components holding a newly hidden cell are solved again:
/// any other component is exactly as before, and so are its bounds.
///
/// With `screen`, only pass or fail is wanted (while a pattern is being chosen): a cell whose
/// interval is already known to be wide enough from feasible points found so far is not
/// solved for, and its reported bounds are those points' range (inside the true interval).
///
/// With `truth` (every cell's true value, known inside protection), components of more than
/// [`EXACT_LIMIT`] hidden cells in a complete table are proven rather than solved.
pub(crate) fn audit_with(
    table: &PublishedTable,
    relations: &[Relation],
    opts: &AuditOptions,
    previous: Option<(&AuditReport, &HashSet<usize>)>,
    screen: bool,
    truth: Option<&[u64]>,
) -> Result<AuditReport, DisclosureError> {
    let hidden: Vec<bool> = table.cells.iter().map(|c| c.value.is_none()).collect();
    let n = table.cells.len();

    // Union-find over hidden cells linked by a relation.
    let mut parent: Vec<usize> = (0..n).collect();
    let mut touching = Vec::new();
    for r in relations {
        let members: Vec<usize> = std::iter::once(r.total)
            .chain(r.parts.iter().copied())
            .filter(|&i| hidden[i])
            .collect();
        if members.is_empty() {
            continue;
        }
        for w in members.windows(2) {
            let (a, b) = (find(&mut parent, w[0]), find(&mut parent, w[1]));
            if a != b {
                parent[a.max(b)] = a.min(b);
            }
        }
        touching.push(r);
    }
    let mut comps: BTreeMap<usize, Component> = BTreeMap::new();
    for i in (0..n).filter(|&i| hidden[i]) {
        let root = find(&mut parent, i);
        comps
            .entry(root)
            .or_insert_with(|| Component {
                cells: Vec::new(),
                rows: Vec::new(),
            })
            .cells
            .push(i);
    }
    let local: BTreeMap<usize, usize> = comps
        .values()
        .flat_map(|c| c.cells.iter().enumerate().map(|(li, &g)| (g, li)))
        .collect();
    for r in touching {
        let mut coeffs = Vec::new();
        let mut rhs = 0.0;
        let mut root = None;
        for (i, coef) in std::iter::once((r.total, -1.0)).chain(r.parts.iter().map(|&p| (p, 1.0))) {
            match table.cells[i].value {
                Some(v) => rhs -= coef * v as f64,
                None => {
                    coeffs.push((local[&i], coef));
                    root = Some(find(&mut parent, i));
                }
            }
        }
        if let Some(c) = root.and_then(|root| comps.get_mut(&root)) {
            c.rows.push((coeffs, rhs));
        }
    }

    let upper: Vec<f64> = table
        .cells
        .iter()
        .map(|c| c.upper.map(|u| u as f64).unwrap_or(BIG))
        .collect();
    let comps: Vec<Component> = comps.into_values().collect();
    let limit = exact_limit();
    let large = |c: &Component| c.cells.len() > limit;
    let proof = match truth {
        Some(truth) if comps.iter().any(large) => Grid::new(
            &table.dimensions,
            table.cells.iter().map(|c| c.key.as_slice()),
        )
        .map(|g| (g, truth)),
        _ => None,
    };
    let old: HashMap<usize, &CellBounds> = previous
        .map(|(r, _)| r.bounds.iter().map(|b| (b.cell, b)).collect())
        .unwrap_or_default();
    let reuse = |c: &Component| match previous {
        Some((_, changed)) => {
            !c.cells.iter().any(|i| changed.contains(i))
                && c.cells.iter().all(|i| old.contains_key(i))
        }
        None => false,
    };
    type Solved = (Vec<CellBounds>, usize);
    let results: Vec<Result<(Solved, bool), DisclosureError>> = comps
        .par_iter()
        .filter(|c| proof.is_none() || !large(c))
        .map(|c| {
            if reuse(c) {
                Ok(((c.cells.iter().map(|i| old[i].clone()).collect(), 0), false))
            } else {
                let need: Option<Vec<u64>> = screen.then(|| {
                    c.cells
                        .iter()
                        .map(|&g| required(&table.cells[g], opts))
                        .collect()
                });
                solve_component(&table.name, c, &upper, need.as_deref()).map(|b| (b, true))
            }
        })
        .collect();
    let mut report = AuditReport {
        table: table.name.clone(),
        hidden: hidden.iter().filter(|h| **h).count(),
        components: comps.len(),
        largest_component: comps.iter().map(|c| c.cells.len()).max().unwrap_or(0),
        ..Default::default()
    };
    for r in results {
        let (bounds, solved) = r?;
        if solved {
            report.bounds_solved += bounds.1;
        }
        report.bounds.extend(bounds.0);
    }
    if let Some((grid, truth)) = &proof {
        let targets: Vec<(usize, u64)> = comps
            .iter()
            .filter(|c| large(c))
            .flat_map(|c| c.cells.iter().copied())
            .map(|i| (i, required(&table.cells[i], opts)))
            .filter(|&(_, need)| need > 0)
            .collect();
        let bounded: Vec<Option<u64>> = table.cells.iter().map(|c| c.upper).collect();
        let proven = grid.prove(&targets, &hidden, truth, &bounded);
        report.proven = targets.len();
        report
            .bounds
            .extend(targets.iter().zip(proven).map(|(&(i, _), p)| CellBounds {
                cell: i,
                lower: truth[i] - p.down.min(truth[i]),
                upper: p.up.map(|u| truth[i] + u),
                exact: false,
            }));
    }
    report.bounds.sort_by_key(|b| b.cell);
    for b in report
        .bounds
        .iter()
        .filter(|b| !table.cells[b.cell].secondary)
    {
        let need = required(&table.cells[b.cell], opts);
        let width = b.upper.map(|u| u.saturating_sub(b.lower));
        if let Some(w) = width {
            if b.exact {
                report.narrowest = Some(report.narrowest.map_or(w, |m| m.min(w)));
            }
            if w < need {
                report.failures.push(b.clone());
            }
        }
    }
    Ok(report)
}

/// The width a hidden cell's interval must reach: the required width, or the whole range
/// [0, upper] when its published upper bound is smaller; never less than 1. A secondary
/// cell needs nothing.
fn required(cell: &PublishedCell, opts: &AuditOptions) -> u64 {
    if cell.secondary {
        return 0;
    }
    required_width(opts.min_width, cell.upper)
}

/// The width a protected cell with this upper bound needs (see [`required`]).
pub(crate) fn required_width(min_width: u64, upper: Option<u64>) -> u64 {
    min_width.min(upper.unwrap_or(u64::MAX)).max(1)
}

/// Solver errors by kind only: some solver messages quote the numbers of the problem.
fn lp_error(table: &str, e: microlp::Error) -> DisclosureError {
    let message = match e {
        microlp::Error::Infeasible => "the published values contradict the additive relations",
        microlp::Error::Unbounded => "unbounded bound problem",
        _ => "internal solver error",
    };
    DisclosureError::Solver {
        table: table.to_owned(),
        message: message.to_owned(),
    }
}

/// Min and max of every hidden cell of one component, and how many bound problems were
/// solved. Every solution found is a feasible point; the range of values seen across them
/// lies inside each cell's interval. A cell seen at 0 has its minimum (counts are ≥ 0) and a
/// cell seen at its upper bound its maximum, without solving. With `need` (screening), a
/// cell whose seen range is already wide enough is not solved at all.
fn solve_component(
    table: &str,
    c: &Component,
    upper: &[f64],
    need: Option<&[u64]>,
) -> Result<(Vec<CellBounds>, usize), DisclosureError> {
    let mut p = Problem::new(OptimizationDirection::Maximize);
    let vars: Vec<_> = c
        .cells
        .iter()
        .map(|&g| p.add_var(0.0, (0.0, upper[g])))
        .collect();
    let t = p.add_var(1.0, (-BIG, BIG));
    for (coeffs, rhs) in &c.rows {
        let mut e = LinearExpr::empty();
        for &(li, coef) in coeffs {
            e.add(vars[li], coef);
        }
        p.add_constraint(e, ComparisonOp::Eq, *rhs);
    }
    let interrupted = || DisclosureError::Solver {
        table: table.to_owned(),
        message: "solver interrupted".into(),
    };
    let base = match p.solve().map_err(|e| lp_error(table, e))? {
        SolveOutcome::Solution(s) => s,
        SolveOutcome::Interrupted(_) => return Err(interrupted()),
    };
    let mut lo_seen: Vec<f64> = vars.iter().map(|&v| base.var_value(v)).collect();
    let mut hi_seen = lo_seen.clone();
    let mut solved = 0;
    let mut out = Vec::with_capacity(c.cells.len());
    for (li, &g) in c.cells.iter().enumerate() {
        let wide_enough = |lo: f64, hi: f64| {
            need.is_some_and(|n| {
                let (l, h) = ((lo - EPS).ceil().max(0.0), (hi + EPS).floor());
                h >= BIG * 0.5 || h - l >= n[li] as f64
            })
        };
        let mut bound =
            |sign: f64, lo_seen: &mut [f64], hi_seen: &mut [f64]| -> Result<f64, DisclosureError> {
                let mut e = LinearExpr::empty();
                e.add(t, 1.0);
                e.add(vars[li], -sign);
                solved += 1;
                match base
                    .clone()
                    .add_constraint(e, ComparisonOp::Eq, 0.0)
                    .map_err(|e| lp_error(table, e))?
                {
                    SolveOutcome::Solution(s) => {
                        for (k, &v) in vars.iter().enumerate() {
                            let x = s.var_value(v);
                            lo_seen[k] = lo_seen[k].min(x);
                            hi_seen[k] = hi_seen[k].max(x);
                        }
                        Ok(sign * s.objective())
                    }
                    SolveOutcome::Interrupted(_) => Err(interrupted()),
                }
            };
        if wide_enough(lo_seen[li], hi_seen[li]) {
            out.push(bounds_of(g, lo_seen[li], hi_seen[li]));
            continue;
        }
        let hi = if hi_seen[li] >= upper[g] - EPS {
            upper[g]
        } else {
            bound(1.0, &mut lo_seen, &mut hi_seen)?
        };
        let lo = if lo_seen[li] <= EPS || wide_enough(lo_seen[li], hi) {
            lo_seen[li]
        } else {
            bound(-1.0, &mut lo_seen, &mut hi_seen)?
        };
        out.push(bounds_of(g, lo, hi));
    }
    Ok((out, solved))
}

/// Integer bounds of a cell from real ones (`BIG` and above: unbounded).
fn bounds_of(cell: usize, lo: f64, hi: f64) -> CellBounds {
    CellBounds {
        cell,
        lower: (lo - EPS).ceil().max(0.0) as u64,
        upper: (hi < BIG * 0.5).then(|| (hi + EPS).floor().max(0.0) as u64),
        exact: true,
    }
}
