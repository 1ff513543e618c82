//! Protection: the pattern (primary rules, earlier releases, secondary suppression,
//! screening), then the independent audit of this release together with every earlier one,
//! and the gate.

use std::collections::{BTreeSet, HashMap, HashSet};

use oppvekst_audit::{
    AuditOptions, AuditReport, CellRef, Certificate, EXACT_LIMIT, Gate, Move, Publication,
    PublishedCell, PublishedTable, required_width,
};

pub(crate) use crate::ledger::History;
use crate::{
    DisclosureError, Ledger, Method, Protected, ProtectedCell, ProtectedTable, Relation, Rule,
    Rules, SecondaryCost, Status, Summary, Table, certify, gauss, hypercube, modular, primary,
    secondary,
};

/// Rounds that protect sums of hidden cells before falling back to widening cell by cell.
const SUM_ROUNDS: usize = 12;

/// Tables with more cells than this choose their secondary cells by hypercubes alone
/// ([`hypercube`]) when they fit a grid, else block by block ([`modular`]): elimination
/// over the whole table fills its basis.
const MODULAR_ABOVE: usize = 100_000;

/// Work allowed for elimination when a proven hypercube pattern is the alternative, in
/// entries of eliminated vectors written (see `gauss::Budget`).
/// (Measured: t2 at width 3 writes 50 million over all its rounds.)
const ELIMINATION_BUDGET: u64 = 200_000_000;
/// Screening rounds allowed to elimination in the same case: a pattern its first screen
/// does not pass takes seconds more to finish than the hypercube pattern (t2 at width 3:
/// 6.9 s against 0.14 s).
const ELIMINATION_ROUNDS: usize = 1;

/// Rounds of extra hypercubes around the cells the proof could not show (large tables).
const HYPERCUBE_ROUNDS: usize = 8;
/// Re-proofs allowed per protected cell, on average, while a hypercube pattern is thinned,
/// at a required width of 1; a proof of a wider interval takes longer (it needs more
/// hypercubes), so the count is divided by the width.
const THINNING_PROOFS: usize = 16;
/// A secondary cell moved by more proofs than this stays hidden while a pattern is thinned
/// (each would have to be found again): at a required width of 1, and above it.
const THINNING_USERS: usize = 32;
const THINNING_USERS_WIDE: usize = 8;

/// The grid of a table for the hypercube method (absent combinations of a sparse table as
/// known zeros); None when it is too sparse to lay out.
fn hypercube_grid(table: &Table) -> Option<certify::Grid> {
    #[cfg(test)]
    if crate::HYPERCUBES_OFF_TEST.with(std::cell::Cell::get) {
        return None;
    }
    certify::Grid::new(
        &table.dimensions,
        table.cells.iter().map(|c| c.key.as_slice()),
    )
}

fn modular_above() -> usize {
    #[cfg(test)]
    if let Some(n) = crate::MODULAR_ABOVE_TEST.with(std::cell::Cell::get) {
        return n;
    }
    MODULAR_ABOVE
}

/// A suppression pattern: every cell's status, the method that chose it, and how many
/// screening rounds it took.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    /// Status per cell, in the table's cell order.
    pub status: Vec<Status>,
    /// Screening rounds (screen the pattern, strengthen it, screen again) until it passed.
    pub rounds: usize,
    /// The method whose pattern this is ([`Method::Elimination`] or [`Method::Hypercube`];
    /// never `Auto`).
    pub method: Method,
    /// The proofs the hypercube method kept (per protected cell, the changes of the true
    /// table reached up and down): the certificate the audit checks. Empty for elimination.
    proofs: Vec<Move>,
}

/// A table's values, upper bounds and the cells the reader knows, with one more entry for
/// the grid's absent position: a known zero.
struct Padded {
    values: Vec<u64>,
    upper: Vec<Option<u64>>,
    known: Vec<bool>,
}

impl Padded {
    fn new(table: &Table, known: &[bool]) -> Padded {
        let mut values: Vec<u64> = table.cells.iter().map(|c| c.value).collect();
        let mut upper: Vec<Option<u64>> = table.cells.iter().map(|c| c.denominator).collect();
        let mut known = known.to_vec();
        values.push(0);
        upper.push(Some(0));
        known.push(true);
        Padded {
            values,
            upper,
            known,
        }
    }
}

/// What a pattern loses, as secondary suppression weighs it: (sum of hidden values, hidden
/// cells) for [`SecondaryCost::Value`], the other way round for [`SecondaryCost::Cells`].
fn loss(table: &Table, status: &[Status], cost: SecondaryCost) -> (u64, u64) {
    let (mut value, mut cells) = (0u64, 0u64);
    for (c, s) in table.cells.iter().zip(status) {
        if *s != Status::Published {
            value = value.saturating_add(c.value);
            cells += 1;
        }
    }
    match cost {
        SecondaryCost::Value => (value, cells),
        SecondaryCost::Cells => (cells, value),
    }
}

/// The reader's view of `table` under a pattern: published values, upper bounds, and which
/// hidden cells must reach the width — what the audit reads (for the benchmark and for
/// auditing a pattern on its own).
pub fn published_view(table: &Table, status: &[Status]) -> PublishedTable {
    view(table, status)
}

pub(crate) fn view(table: &Table, status: &[Status]) -> PublishedTable {
    PublishedTable {
        name: table.name.clone(),
        dimensions: table.dimensions.clone(),
        cells: table
            .cells
            .iter()
            .zip(status)
            .map(|(c, s)| PublishedCell {
                key: c.key.clone(),
                value: (*s == Status::Published).then_some(c.value),
                upper: c.denominator,
                protect: s.is_protected(),
            })
            .collect(),
    }
}

/// This release's view with every earlier release; returns it and the index of this
/// release's table in it.
fn publication(table: &Table, status: &[Status], history: &History) -> (Publication, usize) {
    let current = history.tables.len();
    let mut tables = history.tables.clone();
    tables.push(view(table, status));
    let mut same = history.same.clone();
    same.extend(history.to_current.iter().map(|&(i, r)| {
        (
            CellRef {
                table: current,
                cell: i,
            },
            r,
        )
    }));
    (Publication { tables, same }, current)
}

fn audit_error(table: &Table) -> impl FnOnce(oppvekst_audit::AuditError) -> DisclosureError + '_ {
    move |source| DisclosureError::Audit {
        table: table.name.clone(),
        source,
    }
}

/// Protects a table: primary rules, then secondary suppression, then the audit (see
/// [`protect_release`]). Hidden values are dropped from the result.
pub fn protect(table: &Table, rules: &Rules) -> Result<Protected<ProtectedTable>, DisclosureError> {
    protect_release(table, rules, &Ledger::default())
}

/// As [`protect`], for a release that follows earlier ones recorded in `ledger`: a cell hidden
/// in an earlier release stays hidden (also when its value was revised), every value an
/// earlier release published stays known to the reader (in the audit, each earlier release
/// is a table of its own, and a cell unchanged since is one quantity in both), so no new
/// pattern can combine with an old release to reveal a hidden cell.
pub fn protect_release(
    table: &Table,
    rules: &Rules,
    ledger: &Ledger,
) -> Result<Protected<ProtectedTable>, DisclosureError> {
    protect_linked(table, rules, ledger, &[])
}

/// As [`protect_release`], for a table linked to another by inequalities rather than sums
/// (each cell at most a cell of the other table, such as flagged offences ≤ offences): a cell
/// whose bounding cell the other table hides is hidden as well (`linked_hidden[i]`, rule
/// [`Rule::LinkedTotal`]), so nothing published here narrows a hidden cell there. The cell's
/// `denominator` carries the bound, which the audit treats as known (the safe side).
///
/// The result exists only if the independent audit of this release with every earlier one
/// passed; otherwise [`DisclosureError::ProtectionFailed`].
pub fn protect_linked(
    table: &Table,
    rules: &Rules,
    ledger: &Ledger,
    linked_hidden: &[bool],
) -> Result<Protected<ProtectedTable>, DisclosureError> {
    let relations = table.relations()?;
    let history = ledger.history(table);
    let found = pattern(table, rules, &relations, &history, linked_hidden)?;
    let (publication, current) = publication(table, &found.status, &history);
    let certificates = certificate_of(table, &found, current);
    let Pattern {
        status,
        rounds,
        method,
        ..
    } = found;
    let passed =
        match oppvekst_audit::gate(&publication, &final_options(rules), &certificates, current)
            .map_err(audit_error(table))?
        {
            Gate::Passed(passed) => passed,
            Gate::Failed(report) => {
                return Err(DisclosureError::ProtectionFailed {
                    table: table.name.clone(),
                    cells: report.failures().count(),
                });
            }
        };
    let mut summary = Summary {
        cells: table.cells.len(),
        relations: relations.len(),
        audit_rounds: rounds,
        method,
        ..Default::default()
    };
    let cells = table
        .cells
        .iter()
        .zip(&status)
        .map(|(c, s)| {
            match s {
                Status::Hidden(
                    Rule::Secondary | Rule::EarlierRelease | Rule::EarlierComplement,
                ) => summary.secondary += 1,
                Status::Hidden(_) => summary.primary += 1,
                Status::Published => {}
            }
            ProtectedCell {
                key: c.key.clone(),
                value: matches!(s, Status::Published).then_some(c.value),
                denominator: c.denominator,
                status: *s,
            }
        })
        .collect();
    let cells: Vec<ProtectedCell> = cells;
    // What is published is exactly what was audited (same keys, values and bounds).
    let audited = passed.view();
    let same = audited.cells.len() == cells.len()
        && audited
            .cells
            .iter()
            .zip(&cells)
            .all(|(a, c)| a.key == c.key && a.value == c.value && a.upper == c.denominator);
    if !same {
        return Err(DisclosureError::ProtectionFailed {
            table: table.name.clone(),
            cells: cells.len(),
        });
    }
    Ok(Protected(ProtectedTable {
        name: table.name.clone(),
        dimensions: table.dimensions.iter().map(|d| d.name.clone()).collect(),
        hierarchy: table.dimensions.clone(),
        cells,
        summary,
        passed,
    }))
}

/// Chooses which cells to hide, without the final audit (see [`protect_release`]).
pub fn suppression_pattern(
    table: &Table,
    rules: &Rules,
    ledger: &Ledger,
) -> Result<Pattern, DisclosureError> {
    let relations = table.relations()?;
    pattern(table, rules, &relations, &ledger.history(table), &[])
}

/// The final audit of a pattern of one stand-alone table as protection runs it (with the
/// certificate of a hypercube pattern): for the benchmark.
#[doc(hidden)]
pub fn bench_audit_pattern(
    table: &Table,
    pattern: &Pattern,
    rules: &Rules,
) -> Result<AuditReport, DisclosureError> {
    let status = &pattern.status;
    let history = History {
        prior: vec![Default::default(); table.cells.len()],
        ..Default::default()
    };
    let (publication, current) = publication(table, status, &history);
    let certificates = certificate_of(table, pattern, current);
    oppvekst_audit::audit(&publication, &final_options(rules), &certificates)
        .map_err(audit_error(table))
}

/// The options of the final audit.
fn final_options(rules: &Rules) -> AuditOptions {
    #[allow(unused_mut)]
    let mut opts = AuditOptions {
        certificate_first: !rules.exact_bounds,
        ..AuditOptions::width(rules.protection_width)
    };
    #[cfg(test)]
    if let Some(n) = crate::EXACT_LIMIT_TEST.with(std::cell::Cell::get) {
        opts.exact_limit = n;
    }
    opts
}

/// The certificate of a pattern: for a hypercube pattern, the true table as the base and
/// the proofs it kept; none for elimination. Checked by the audit, never written anywhere.
fn certificate_of(table: &Table, pattern: &Pattern, current: usize) -> Vec<Certificate> {
    if pattern.method != Method::Hypercube {
        return Vec::new();
    }
    vec![Certificate {
        table: current,
        base: table.cells.iter().map(|c| c.value).collect(),
        moves: pattern.proofs.clone(),
    }]
}

/// A proof as a certificate's move.
fn to_move(cell: usize, p: certify::Proven) -> Move {
    let sorted = |m: hashbrown::HashMap<usize, i64>| {
        let mut v: Vec<(usize, i64)> = m.into_iter().collect();
        v.sort_unstable();
        v
    };
    Move {
        cell,
        up: sorted(p.moved_up),
        down: sorted(p.moved_down),
    }
}

/// The certificate of any pattern on a table's grid, found by searching again: the true
/// table as the base, and for each protected cell the alternative tables its proof reached.
/// Checked by the audit, never written anywhere.
#[cfg(test)]
pub(crate) fn certificates(
    table: &Table,
    status: &[Status],
    history: &History,
    rules: &Rules,
    current: usize,
) -> Vec<Certificate> {
    let Some(grid) = hypercube_grid(table) else {
        return Vec::new();
    };
    let known: Vec<bool> = history.prior.iter().map(|p| p.known).collect();
    let pad = Padded::new(table, &known);
    let mut padded_status = status.to_vec();
    padded_status.push(Status::Published);
    let targets: Vec<(usize, u64)> = status
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_protected())
        .map(|(i, _)| (i, required_width(rules.protection_width, pad.upper[i])))
        .collect();
    let proven = grid.prove(
        &targets,
        &hypercube::reader_hidden(&padded_status, &pad.known),
        &pad.values,
        &pad.upper,
    );
    let mut values = pad.values;
    values.truncate(table.cells.len());
    vec![Certificate {
        table: current,
        base: values,
        moves: targets
            .iter()
            .zip(proven)
            .map(|(&(cell, _), p)| to_move(cell, p))
            .collect(),
    }]
}

/// The cells of this release to strengthen for each failure of a screening audit: the cell
/// itself, or for a cell of an earlier release, this release's cell with the same key.
fn failing_here(
    report: &AuditReport,
    publication: &Publication,
    current: usize,
    by_key: &HashMap<&[String], usize>,
) -> Vec<oppvekst_audit::CellBounds> {
    let mut out: Vec<oppvekst_audit::CellBounds> = Vec::new();
    let mut seen = HashSet::new();
    for f in report.failures() {
        let cell = if f.cell.table == current {
            Some(f.cell.cell)
        } else {
            let key = &publication.tables[f.cell.table].cells[f.cell.cell].key;
            by_key.get(key.as_slice()).copied()
        };
        if let Some(i) = cell
            && seen.insert(i)
        {
            out.push(oppvekst_audit::CellBounds {
                cell: CellRef {
                    table: current,
                    cell: i,
                },
                ..f.clone()
            });
        }
    }
    out
}

fn pattern(
    table: &Table,
    rules: &Rules,
    relations: &[Relation],
    history: &History,
    linked_hidden: &[bool],
) -> Result<Pattern, DisclosureError> {
    let mut status = primary::apply(table, rules)?;
    for (s, _) in status
        .iter_mut()
        .zip(linked_hidden)
        .filter(|(_, hidden)| **hidden)
    {
        if *s == Status::Published {
            *s = Status::Hidden(Rule::LinkedTotal);
        }
    }
    for (p, s) in history.prior.iter().zip(status.iter_mut()) {
        if *s == Status::Published && p.hidden {
            // A cell protected before stays protected; a complement before stays hidden and,
            // as any complement, needs no width (an earlier release may already pin it).
            *s = Status::Hidden(if p.protected {
                Rule::EarlierRelease
            } else {
                Rule::EarlierComplement
            });
        }
    }
    let known: Vec<bool> = history.prior.iter().map(|p| p.known).collect();
    let large = table.cells.len() > modular_above();
    let grid = match rules.method {
        Method::Elimination => None,
        Method::Auto | Method::Hypercube => hypercube_grid(table),
    };
    let cubes = |status: Vec<Status>| {
        grid.as_ref()
            .map(|g| hypercube_pattern(g, table, rules, status, &known))
    };
    // Hypercubes when asked for, and for a large table (elimination over the whole table
    // fills its basis); without a grid, elimination (block by block when large).
    if (rules.method == Method::Hypercube || (rules.method == Method::Auto && large))
        && let Some((p, _)) = cubes(status.clone())
    {
        return Ok(p);
    }
    let cube = (rules.method == Method::Auto && !large)
        .then(|| cubes(status.clone()))
        .flatten();
    // With a proven hypercube pattern to fall back on, elimination gets a work budget: on
    // a large table of many dimensions its fill-in grows past any useful time.
    let proven_cube = cube.filter(|(_, left)| *left == 0).map(|(p, _)| p);
    let mut budget = match proven_cube {
        Some(_) => gauss::Budget::of(ELIMINATION_BUDGET, ELIMINATION_ROUNDS),
        None => gauss::Budget::unlimited(),
    };
    let elimination = elimination_pattern(
        table,
        rules,
        relations,
        history,
        status,
        &known,
        &mut budget,
    )?;
    // Chosen by measurement: the pattern that loses less.
    Ok(match (elimination, proven_cube) {
        (Some(e), Some(c)) => {
            if loss(table, &c.status, rules.cost) < loss(table, &e.status, rules.cost) {
                c
            } else {
                e
            }
        }
        (Some(e), None) => e,
        (None, Some(c)) => c,
        // Unreachable in practice: the budget is unlimited without a hypercube pattern.
        (None, None) => {
            return Err(DisclosureError::ProtectionFailed {
                table: table.name.clone(),
                cells: 0,
            });
        }
    })
}

/// Hidden cells (not known to the reader) in the largest group linked through relations: the
/// size of the audit's largest linear program.
fn largest_component(relations: &[Relation], status: &[Status], known: &[bool]) -> usize {
    let hidden = |i: usize| status[i] != Status::Published && !known[i];
    let mut parent: Vec<usize> = (0..status.len()).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for r in relations {
        let mut members = std::iter::once(r.total)
            .chain(r.parts.iter().copied())
            .filter(|&i| hidden(i));
        if let Some(first) = members.next() {
            for m in members {
                let (a, b) = (find(&mut parent, first), find(&mut parent, m));
                if a != b {
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
    }
    let mut size = vec![0usize; status.len()];
    for i in (0..status.len()).filter(|&i| hidden(i)) {
        size[find(&mut parent, i)] += 1;
    }
    size.into_iter().max().unwrap_or(0)
}

/// The elimination pattern: GaussSuppression's method over the whole table (block by block
/// when large), screened by the audit and strengthened until the screen passes.
fn elimination_pattern(
    table: &Table,
    rules: &Rules,
    relations: &[Relation],
    history: &History,
    mut status: Vec<Status>,
    known: &[bool],
    budget: &mut gauss::Budget,
) -> Result<Option<Pattern>, DisclosureError> {
    let first = status.clone();
    let values: Vec<u64> = table.cells.iter().map(|c| c.value).collect();
    let large = table.cells.len() > modular_above();
    if large {
        modular::apply(table, relations, &mut status, known, rules.cost);
    } else {
        if !gauss::apply(
            &values,
            relations,
            &mut status,
            known,
            rules.cost,
            &[],
            budget,
        ) {
            return Ok(None);
        }
    }
    // Screening and the final audit solve each component of hidden cells exactly: one
    // larger than the audit can solve makes the pattern too slow to use when there is an
    // alternative (the 5-D benchmark table of 79,596 cells was still in its first screen
    // after 10 minutes).
    if budget.is_limited() && largest_component(relations, &status, known) > EXACT_LIMIT {
        return Ok(None);
    }
    let opts = AuditOptions {
        screen: true,
        ..AuditOptions::width(rules.protection_width)
    };
    let by_key: HashMap<&[String], usize> = table
        .cells
        .iter()
        .enumerate()
        .map(|(i, c)| (c.key.as_slice(), i))
        .collect();
    // The earlier releases are copied into the publication once; each round replaces only
    // this release's view.
    let (mut published, current) = publication(table, &status, history);
    let mut screen =
        |status: &[Status],
         previous: Option<(&AuditReport, &HashSet<CellRef>)>|
         -> Result<(AuditReport, Vec<oppvekst_audit::CellBounds>), DisclosureError> {
            published.tables[current] = view(table, status);
            let report = oppvekst_audit::audit_incremental(&published, &opts, &[], previous)
                .map_err(audit_error(table))?;
            let failing = failing_here(&report, &published, current, &by_key);
            Ok((report, failing))
        };
    let (mut report, mut failing) = screen(&status, None)?;
    let mut rounds = 1;
    let mut by_cell: Vec<Vec<usize>> = vec![Vec::new(); table.cells.len()];
    for (ri, r) in relations.iter().enumerate() {
        for i in std::iter::once(r.total).chain(r.parts.iter().copied()) {
            by_cell[i].push(ri);
        }
    }
    // Cells whose status changed, with every cell sharing a relation with one: components
    // clear of them are as before, and their screening is reused.
    let near = |a: &[Status], b: &[Status]| -> HashSet<CellRef> {
        let mut out = HashSet::new();
        let mut add = |i: usize| {
            out.insert(CellRef {
                table: current,
                cell: i,
            });
        };
        for i in (0..a.len()).filter(|&i| a[i] != b[i]) {
            add(i);
            for &ri in &by_cell[i] {
                let r = &relations[ri];
                add(r.total);
                r.parts.iter().for_each(|&p| add(p));
            }
        }
        out
    };
    // A protected cell pinned to a narrow interval (not a linear function of published cells,
    // but bounded by small non-negative partners, or by an earlier release): protect the sum
    // of the hidden members of each of its relations too, and choose the secondary cells
    // again. Stop when that stops helping.
    let mut sums: BTreeSet<Vec<usize>> = BTreeSet::new();
    let mut best = failing.len();
    let mut stale = 0;
    // (A large table skips this: each round would choose its secondary cells afresh.)
    while !large && !failing.is_empty() && rounds <= SUM_ROUNDS && stale < 2 {
        let mut added = false;
        for f in &failing {
            for &ri in &by_cell[f.cell.cell] {
                let r = &relations[ri];
                let mut hidden: Vec<usize> = std::iter::once(r.total)
                    .chain(r.parts.iter().copied())
                    .filter(|&i| status[i] != Status::Published)
                    .collect();
                if hidden.len() >= 2 {
                    hidden.sort_unstable();
                    added |= sums.insert(hidden);
                }
            }
        }
        if !added {
            break;
        }
        let before = std::mem::replace(&mut status, first.clone());
        let extra: Vec<Vec<usize>> = sums.iter().cloned().collect();
        if !gauss::apply(
            &values,
            relations,
            &mut status,
            known,
            rules.cost,
            &extra,
            budget,
        ) {
            return Ok(None);
        }
        (report, failing) = screen(&status, Some((&report, &near(&before, &status))))?;
        rounds += 1;
        if rounds > budget.rounds && !failing.is_empty() {
            return Ok(None);
        }
        if failing.len() < best {
            best = failing.len();
            stale = 0;
        } else {
            stale += 1;
        }
    }
    // Whatever is left: hide one more cell next to each failing cell, until the screen passes.
    while !failing.is_empty() && rounds <= 1000 {
        let before = status.clone();
        let shortfalls: Vec<(usize, u64, u64)> = failing
            .iter()
            .map(|f| {
                let i = f.cell.cell;
                let need = required_width(rules.protection_width, table.cells[i].denominator);
                let width = f.upper.map_or(u64::MAX, |u| u.saturating_sub(f.lower));
                (i, need.saturating_sub(width), need)
            })
            .collect();
        if !secondary::widen(table, relations, &shortfalls, &mut status) {
            break;
        }
        secondary::apply(table, relations, &mut status);
        (report, failing) = screen(&status, Some((&report, &near(&before, &status))))?;
        rounds += 1;
        if rounds > budget.rounds && !failing.is_empty() {
            return Ok(None);
        }
    }
    Ok(Some(Pattern {
        status,
        rounds,
        method: Method::Elimination,
        proofs: Vec::new(),
    }))
}

/// The pattern with every secondary cell published again that can be, and the proofs that
/// still hold. First every secondary cell no proof moves (each alternative table keeps it
/// at its true value, so publishing it changes none of them); then, cell by cell, the
/// costliest first (largest value, or cell order for [`SecondaryCost::Cells`]), a cell is
/// published when every protected cell whose proof moves it can be proven again without it
/// (the new proof replacing the old). The proofs returned are exactly the certificate the
/// audit will check, so nothing rests on the search finding them again.
fn thinned(
    grid: &certify::Grid,
    mut status: Vec<Status>,
    targets: &[(usize, u64)],
    pad: &Padded,
    cost: SecondaryCost,
    mut proofs: Vec<certify::Proven>,
) -> (Vec<Status>, Vec<certify::Proven>) {
    // Per cell, the targets whose proof moves it (entries may be stale: re-proving a
    // target whose proof no longer moves the cell costs time, never correctness).
    let mut users: Vec<Vec<u32>> = vec![Vec::new(); status.len()];
    let add = |users: &mut Vec<Vec<u32>>, t: usize, p: &certify::Proven| {
        for &c in p.moved_up.keys().chain(p.moved_down.keys()) {
            // Target numbers fit u32: fewer targets than cells, cells index a u32 grid.
            users[c].push(t as u32);
        }
    };
    for (t, p) in proofs.iter().enumerate() {
        add(&mut users, t, p);
    }
    for (s, u) in status.iter_mut().zip(&users) {
        if *s == Status::Hidden(Rule::Secondary) && u.is_empty() {
            *s = Status::Published;
        }
    }
    let mut hidden = hypercube::reader_hidden(&status, &pad.known);
    let mut candidates: Vec<usize> = (0..status.len())
        .filter(|&i| status[i] == Status::Hidden(Rule::Secondary))
        .collect();
    match cost {
        SecondaryCost::Value => {
            candidates
                .sort_unstable_by_key(|&i| (std::cmp::Reverse(pad.values[i]), users[i].len(), i));
        }
        SecondaryCost::Cells => candidates.sort_unstable(),
    }
    // Work allowed: re-proofs, counted (not timed, so the result is the same on every run).
    let widest = targets.iter().map(|t| t.1).max().unwrap_or(1).max(1) as usize;
    let mut budget = targets.len().saturating_mul(THINNING_PROOFS) / widest;
    let users_cap = if widest <= 1 {
        THINNING_USERS
    } else {
        THINNING_USERS_WIDE
    };
    for c in candidates {
        if budget == 0 {
            break;
        }
        let mut affected = std::mem::take(&mut users[c]);
        affected.sort_unstable();
        affected.dedup();
        if affected.len() > users_cap {
            users[c] = affected;
            continue;
        }
        budget = budget.saturating_sub(affected.len());
        hidden[c] = false;
        let mut again = Vec::with_capacity(affected.len());
        let ok = affected.iter().all(|&t| {
            let (cell, need) = targets[t as usize];
            let p = grid.prove_one(cell, need, &hidden, &pad.values, &pad.upper, false);
            let proven = p.up.is_none_or(|u| u + p.down >= need);
            again.push(p);
            proven
        });
        if ok {
            status[c] = Status::Published;
            for (&t, p) in affected.iter().zip(again) {
                add(&mut users, t as usize, &p);
                proofs[t as usize] = p;
            }
        } else {
            hidden[c] = true;
            users[c] = affected;
        }
    }
    (status, proofs)
}

/// The secondary cells of a table on its grid: hypercubes around every protected cell;
/// every protected cell proven once; then more hypercubes around those that fail, and only
/// those proven again, while that helps (hiding more never undoes a proof: its alternative
/// tables move hidden cells only, so a cell proven stays proven); then the pattern thinned.
/// The audit that follows judges the certificate of the final proofs.
fn hypercube_pattern(
    grid: &certify::Grid,
    table: &Table,
    rules: &Rules,
    mut status: Vec<Status>,
    known: &[bool],
) -> (Pattern, usize) {
    let pad = Padded::new(table, known);
    let (values, upper, known) = (&pad.values, &pad.upper, &pad.known);
    status.push(Status::Published);
    // The protected cells and the width each needs.
    let targets: Vec<(usize, u64)> = status
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_protected())
        .map(|(i, _)| (i, required_width(rules.protection_width, upper[i])))
        .collect();
    let pass = |cells: &[(usize, u64)], thorough: bool, status: &mut [Status]| -> usize {
        let t = hypercube::Targets {
            values,
            upper,
            known,
            cells,
            cost: rules.cost,
            thorough,
        };
        hypercube::apply(grid, &t, status)
    };
    let prove = |cells: &[(usize, u64)], status: &[Status]| -> Vec<certify::Proven> {
        grid.prove(
            cells,
            &hypercube::reader_hidden(status, known),
            values,
            upper,
        )
    };
    let holds =
        |(_, need): &(usize, u64), p: &certify::Proven| p.up.is_none_or(|u| u + p.down >= *need);
    pass(&targets, false, &mut status);
    let mut proofs = prove(&targets, &status);
    let mut failing: Vec<usize> = (0..targets.len())
        .filter(|&i| !holds(&targets[i], &proofs[i]))
        .collect();
    let mut rounds = 1;
    while !failing.is_empty() && rounds <= HYPERCUBE_ROUNDS {
        let cells: Vec<(usize, u64)> = failing.iter().map(|&i| targets[i]).collect();
        if pass(&cells, true, &mut status) == 0 {
            break;
        }
        rounds += 1;
        for (&i, p) in failing.iter().zip(prove(&cells, &status)) {
            proofs[i] = p;
        }
        let before = failing.len();
        failing.retain(|&i| !holds(&targets[i], &proofs[i]));
        if failing.len() >= before {
            break;
        }
    }
    let left = failing.len();
    if left == 0 {
        (status, proofs) = thinned(grid, status, &targets, &pad, rules.cost, proofs);
    }
    status.truncate(table.cells.len());
    let proofs = targets
        .iter()
        .zip(proofs)
        .map(|(&(cell, _), p)| to_move(cell, p))
        .collect();
    (
        Pattern {
            status,
            rounds,
            method: Method::Hypercube,
            proofs,
        },
        left,
    )
}
