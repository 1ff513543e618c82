//! The reader's linear programs: one variable per hidden quantity (cells known to be the same
//! quantity are one variable), one row per additive relation with the published values moved
//! to the right-hand side, each variable in `[0, upper]`. Work is reduced as the design note
//! asks: connected components of hidden quantities are solved on their own (in parallel), and
//! per component one factorised solution is reused for every bound by adding a single row
//! `t = ±x_i` and re-optimising with the warm-started dual simplex (microlp).

use std::collections::{BTreeMap, HashMap, HashSet};

use microlp::{ComparisonOp, LinearExpr, OptimizationDirection, Problem, SolveOutcome};
use rayon::prelude::*;

use crate::certificate::{Certificate, Checker};
use crate::model::{
    AuditError, AuditOptions, AuditReport, CellBounds, CellRef, Gate, Passed, Publication,
    TableAudit, required_width,
};
use crate::system::{Solved, System, find, system, union};

/// Largest component (hidden quantities) solved exactly when a certificate is offered for it.
pub const EXACT_LIMIT: usize = 5_000;
/// A value no count reaches: stands in for "unbounded" inside the LPs.
const BIG: f64 = 1.0e9;
const EPS: f64 = 1.0e-6;

/// One LP row: (unknown quantity, coefficient) pairs and the right-hand side.
type Row = (Vec<(usize, i64)>, i128);

/// The rows of every relation over the unknown quantities; a relation with none left must
/// hold exactly among the published values.
fn rows(p: &Publication, s: &System) -> Result<Vec<Row>, AuditError> {
    let mut out = Vec::new();
    for (t, rels) in s.relations.iter().enumerate() {
        for r in rels {
            let mut coef: BTreeMap<usize, i64> = BTreeMap::new();
            let mut rhs: i128 = 0;
            for (i, c) in std::iter::once((r.total, -1i64)).chain(r.parts.iter().map(|&j| (j, 1))) {
                let q = s.quantity[s.offset[t] + i];
                match s.known[q] {
                    Some(v) => rhs -= i128::from(c) * i128::from(v),
                    None => *coef.entry(q).or_insert(0) += c,
                }
            }
            coef.retain(|_, c| *c != 0);
            if coef.is_empty() {
                if rhs != 0 {
                    let c = &p.tables[t].cells[r.total];
                    return Err(AuditError::Contradiction {
                        table: p.tables[t].name.clone(),
                        key: c.key.clone(),
                        cell: r.total,
                        what: "the additive relations (a total is not the sum of its parts)",
                    });
                }
                continue;
            }
            out.push((coef.into_iter().collect(), rhs));
        }
    }
    Ok(out)
}

struct Component {
    /// Unknown quantities.
    vars: Vec<usize>,
    /// Rows, in local variable numbers.
    rows: Vec<(Vec<(usize, f64)>, f64)>,
}

/// Audits a publication: a component of a table with a certificate is judged from it first
/// (see [`AuditOptions::certificate_first`]); what it leaves short, and every component
/// without one, is solved exactly, up to [`EXACT_LIMIT`] hidden quantities when a
/// certificate was offered (a larger one it leaves short fails). Errors only when the
/// publication itself is inconsistent.
pub fn audit(
    p: &Publication,
    opts: &AuditOptions,
    certificates: &[Certificate],
) -> Result<AuditReport, AuditError> {
    audit_incremental(p, opts, certificates, None)
}

/// Audits `publication` (as [`audit`]) and lets table `table` through only when every
/// protected cell of the whole publication reaches the width. The only maker of a
/// [`Passed`].
pub fn gate(
    p: &Publication,
    opts: &AuditOptions,
    certificates: &[Certificate],
    table: usize,
) -> Result<Gate, AuditError> {
    let report = audit(p, opts, certificates)?;
    Ok(match Passed::new(&report, p, table) {
        Some(passed) => Gate::Passed(passed),
        None => Gate::Failed(report),
    })
}

/// As [`audit`], reusing an earlier audit of the same publication: with `previous` (that
/// report and the cells whose status changed since), a component holding no changed cell is
/// exactly as before, and so are its bounds.
pub fn audit_incremental(
    p: &Publication,
    opts: &AuditOptions,
    certificates: &[Certificate],
    previous: Option<(&AuditReport, &HashSet<CellRef>)>,
) -> Result<AuditReport, AuditError> {
    let s = system(p)?;
    let all_rows = rows(p, &s)?;
    let nq = s.members.len();
    let unknown: Vec<bool> = s.known.iter().map(Option::is_none).collect();
    // Components of unknown quantities.
    let mut parent: Vec<usize> = (0..nq).collect();
    for (coef, _) in &all_rows {
        for w in coef.windows(2) {
            union(&mut parent, w[0].0, w[1].0);
        }
    }
    let mut comps: BTreeMap<usize, Component> = BTreeMap::new();
    for q in (0..nq).filter(|&q| unknown[q]) {
        let root = find(&mut parent, q);
        comps
            .entry(root)
            .or_insert_with(|| Component {
                vars: Vec::new(),
                rows: Vec::new(),
            })
            .vars
            .push(q);
    }
    let local: HashMap<usize, usize> = comps
        .values()
        .flat_map(|c| c.vars.iter().enumerate().map(|(li, &q)| (q, li)))
        .collect();
    for (coef, rhs) in all_rows {
        let root = find(&mut parent, coef[0].0);
        if let Some(c) = comps.get_mut(&root) {
            c.rows.push((
                coef.iter().map(|&(q, k)| (local[&q], k as f64)).collect(),
                rhs as f64,
            ));
        }
    }
    let comps: Vec<Component> = comps.into_values().collect();

    // What each quantity needs: the largest need of its protected members.
    let need: Vec<u64> = (0..nq)
        .map(|q| {
            s.members[q]
                .iter()
                .filter_map(|&g| {
                    let r = s.cell_ref(g);
                    let c = &p.tables[r.table].cells[r.cell];
                    c.protect
                        .then(|| required_width(opts.min_width, s.upper[q]))
                })
                .max()
                .unwrap_or(0)
        })
        .collect();
    let upper: Vec<f64> = s
        .upper
        .iter()
        .map(|u| u.map_or(BIG, |u| u as f64))
        .collect();

    let checkers: Vec<Checker<'_>> = (0..p.tables.len())
        .filter_map(|t| Checker::new(p, &s, t, certificates))
        .collect();
    let old: HashMap<CellRef, &CellBounds> = previous
        .map(|(r, _)| r.bounds.iter().map(|b| (b.cell, b)).collect())
        .unwrap_or_default();
    let reuse = |c: &Component| match previous {
        Some((_, changed)) => c.vars.iter().all(|&q| {
            s.members[q].iter().all(|&g| {
                let r = s.cell_ref(g);
                !changed.contains(&r) && old.contains_key(&r)
            })
        }),
        None => false,
    };
    let results: Vec<Result<(Solved, usize), AuditError>> = comps
        .par_iter()
        .map(|c| {
            if reuse(c) {
                let b = c
                    .vars
                    .iter()
                    .map(|&q| {
                        let o = old[&s.cell_ref(s.members[q][0])];
                        (q, o.lower, o.upper, o.exact)
                    })
                    .collect();
                return Ok((b, 0));
            }
            // A component with a certificate is judged from it first: a protected quantity
            // its checked alternative tables show wide enough is settled. A component too
            // large to solve is judged from the certificate alone; a smaller one the
            // certificate leaves short is solved exactly. Without a certificate a component
            // is solved exactly however long that takes.
            let table = s.cell_ref(s.members[c.vars[0]][0]).table;
            let large = c.vars.len() > opts.exact_limit;
            if let Some(k) = checkers
                .iter()
                .find(|k| k.table() == table)
                .filter(|_| opts.certificate_first || large)
            {
                let checked = k.check(p, &s, &c.vars);
                let settled = checked.iter().all(|&(q, lo, hi, _)| {
                    need[q] == 0 || hi.is_some_and(|h| h.saturating_sub(lo) >= need[q])
                });
                if settled || large {
                    return Ok((checked, 0));
                }
            } else if large && certificates.iter().any(|k| k.table == table) {
                // A certificate whose base does not check out proves nothing.
                return Ok((c.vars.iter().map(|&q| (q, 0, Some(0), false)).collect(), 0));
            }
            let need = opts
                .screen
                .then(|| c.vars.iter().map(|&q| need[q]).collect::<Vec<_>>());
            solve_component(c, &upper, need.as_deref())
        })
        .collect();
    let mut by_quantity: HashMap<usize, (u64, Option<u64>, bool)> = HashMap::new();
    let mut report = AuditReport {
        components: comps.len(),
        largest_component: comps.iter().map(|c| c.vars.len()).max().unwrap_or(0),
        ..Default::default()
    };
    for r in results {
        let (b, solved) = r?;
        report.bounds_solved += solved;
        for (q, lo, hi, exact) in b {
            by_quantity.insert(q, (lo, hi, exact));
        }
    }
    report.tables = p
        .tables
        .iter()
        .map(|t| TableAudit {
            table: t.name.clone(),
            ..Default::default()
        })
        .collect();
    for (t, table) in p.tables.iter().enumerate() {
        for (i, c) in table.cells.iter().enumerate() {
            let q = s.quantity[s.offset[t] + i];
            if c.value.is_some() {
                continue;
            }
            let audit = &mut report.tables[t];
            audit.hidden += 1;
            // A hidden cell whose quantity is published elsewhere (an earlier release, an
            // unchanged value) is known exactly.
            let (lower, upper, exact) = match s.known[q] {
                Some(v) => (v, Some(v), true),
                None => by_quantity.get(&q).copied().unwrap_or((0, Some(0), false)),
            };
            let b = CellBounds {
                cell: CellRef { table: t, cell: i },
                lower,
                upper,
                exact,
            };
            if c.protect {
                audit.protected += 1;
                let need = required_width(opts.min_width, s.upper[q]);
                let width = upper.map(|u| u.saturating_sub(lower));
                if !exact && width.is_some_and(|w| w >= need) {
                    audit.proven += 1;
                }
                if let Some(w) = width {
                    if exact {
                        audit.narrowest = Some(audit.narrowest.map_or(w, |m| m.min(w)));
                    }
                    if w < need {
                        audit.failures.push(b.clone());
                    }
                }
            }
            report.bounds.push(b);
        }
    }
    Ok(report)
}

/// Solver errors by kind only: some solver messages quote the numbers of the problem.
fn lp_error(e: microlp::Error) -> AuditError {
    AuditError::Solver(match e {
        microlp::Error::Infeasible => {
            "the published values contradict the additive relations and bounds"
        }
        microlp::Error::Unbounded => "unbounded bound problem",
        _ => "internal solver error",
    })
}

/// Min and max of every quantity of one component, and how many bound problems were solved.
/// Every solution found is a feasible point; the range of values seen across them lies inside
/// each quantity's interval. A quantity seen at 0 has its minimum (counts are ≥ 0) and one
/// seen at its upper bound its maximum, without solving. With `need` (screening), a quantity
/// whose seen range is already wide enough is not solved at all.
fn solve_component(
    c: &Component,
    upper: &[f64],
    need: Option<&[u64]>,
) -> Result<(Solved, usize), AuditError> {
    let mut p = Problem::new(OptimizationDirection::Maximize);
    let vars: Vec<_> = c
        .vars
        .iter()
        .map(|&q| p.add_var(0.0, (0.0, upper[q])))
        .collect();
    let t = p.add_var(1.0, (-BIG, BIG));
    for (coeffs, rhs) in &c.rows {
        let mut e = LinearExpr::empty();
        for &(li, coef) in coeffs {
            e.add(vars[li], coef);
        }
        p.add_constraint(e, ComparisonOp::Eq, *rhs);
    }
    let interrupted = || AuditError::Solver("solver interrupted");
    let base = match p.solve().map_err(lp_error)? {
        SolveOutcome::Solution(s) => s,
        SolveOutcome::Interrupted(_) => return Err(interrupted()),
    };
    let mut lo_seen: Vec<f64> = vars.iter().map(|&v| base.var_value(v)).collect();
    let mut hi_seen = lo_seen.clone();
    let mut solved = 0;
    let mut out = Vec::with_capacity(c.vars.len());
    for (li, &q) in c.vars.iter().enumerate() {
        let wide_enough = |lo: f64, hi: f64| {
            need.is_some_and(|n| {
                let (l, h) = ((lo - EPS).ceil().max(0.0), (hi + EPS).floor());
                h >= BIG * 0.5 || h - l >= n[li] as f64
            })
        };
        let mut bound =
            |sign: f64, lo_seen: &mut [f64], hi_seen: &mut [f64]| -> Result<f64, AuditError> {
                let mut e = LinearExpr::empty();
                e.add(t, 1.0);
                e.add(vars[li], -sign);
                solved += 1;
                match base
                    .clone()
                    .add_constraint(e, ComparisonOp::Eq, 0.0)
                    .map_err(lp_error)?
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
            out.push(bounds_of(q, lo_seen[li], hi_seen[li]));
            continue;
        }
        let hi = if hi_seen[li] >= upper[q] - EPS {
            upper[q]
        } else {
            bound(1.0, &mut lo_seen, &mut hi_seen)?
        };
        let lo = if lo_seen[li] <= EPS || wide_enough(lo_seen[li], hi) {
            lo_seen[li]
        } else {
            bound(-1.0, &mut lo_seen, &mut hi_seen)?
        };
        out.push(bounds_of(q, lo, hi));
    }
    Ok((out, solved))
}

/// Integer bounds of a quantity from real ones (`BIG` and above: unbounded).
fn bounds_of(q: usize, lo: f64, hi: f64) -> (usize, u64, Option<u64>, bool) {
    (
        q,
        (lo - EPS).ceil().max(0.0) as u64,
        (hi < BIG * 0.5).then(|| (hi + EPS).floor().max(0.0) as u64),
        true,
    )
}
