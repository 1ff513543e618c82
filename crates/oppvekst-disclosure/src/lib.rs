//! Disclosure control (taushetsplikt): the only place a [`Protected`] table can be made.
//!
//! Input is a [`Table`]: cells keyed by one code per [`Dimension`], where each dimension may
//! carry a hierarchy (girls + boys = alle; 8 + 9 + 10 = ungdomstrinn; offence groups ⊂ alle).
//! The additive relations (each total = the sum of its children) are derived from those
//! hierarchies, never listed by hand, and checked against the data.
//!
//! [`protect`] applies the primary rules of [`Rules`] (small count, small complement,
//! small denominator, NOVA's gender-split rule; zeros as configured), then secondary
//! suppression so that no hidden cell is the only hidden member of any relation. Hidden
//! values are dropped from the result: a [`ProtectedTable`] does not hold them, so nothing
//! downstream can leak them. Every hidden cell records the rule that hid it.
//!
//! Secondary cells are chosen by elimination over the whole table; a table of more than
//! 100,000 cells (national size) gets the hypercube method when it is complete (every
//! combination of codes present), and elimination block by block otherwise. The audit
//! solves each connected component of hidden cells exactly; a component of more than 5,000
//! hidden cells (one LP per bound is then out of reach) has its protected cells *proven*
//! instead, by alternative tables built from the true values (sound: a proven range lies
//! inside the true interval; such ranges are marked not exact and are never published).
//!
//! This crate is pure: no file I/O, no logging, no formatting of cell values in errors.

mod audit;
mod certify;
pub mod csvtable;
mod gauss;
mod hypercube;
mod ledger;
mod modular;
mod primary;
mod secondary;
mod table;
#[cfg(test)]
mod testdata;

pub use audit::{AuditOptions, AuditReport, CellBounds, PublishedCell, PublishedTable, audit};
pub use ledger::{Ledger, LedgerEntry};
pub use primary::{CoverageRule, GenderRule, Rules, SecondaryCost, SeriesRule};
pub use table::{Cell, Dimension, Relation, Table};

use std::collections::{BTreeSet, HashSet};

use serde::Serialize;

/// Why a cell is hidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// count ≤ T.
    SmallCount,
    /// denominator − count ≤ T (nearly everyone shares the trait).
    SmallComplement,
    /// denominator ≤ N.
    SmallDenominator,
    /// NOVA: no gender split when the group < 40 or a gender < 15.
    GenderSplit,
    /// FHI: the whole series is hidden because too many of its points are.
    Series,
    /// FHI: a regional aggregate whose members with data cover too little of its youth.
    Coverage,
    /// Complementary cell hidden so a primary cell cannot be computed from totals.
    Secondary,
    /// Hidden in an earlier release, and kept hidden so it stays protected.
    EarlierRelease,
    /// Linked tables: the total of another table that bounds this cell is hidden (a published
    /// part of a hidden total would tell the reader something about that total).
    LinkedTotal,
}

impl Rule {
    /// Stable code used in files.
    pub fn code(self) -> &'static str {
        match self {
            Rule::SmallCount => "small_count",
            Rule::SmallComplement => "small_complement",
            Rule::SmallDenominator => "small_denominator",
            Rule::GenderSplit => "gender_split",
            Rule::Series => "series",
            Rule::Coverage => "coverage",
            Rule::Secondary => "secondary",
            Rule::EarlierRelease => "earlier_release",
            Rule::LinkedTotal => "linked_total",
        }
    }

    /// Norwegian explanation for the suppression log.
    pub fn label_nb(self) -> &'static str {
        match self {
            Rule::SmallCount => "For få med kjennetegnet",
            Rule::SmallComplement => "For få uten kjennetegnet",
            Rule::SmallDenominator => "For få svar i gruppen",
            Rule::GenderSplit => "Gruppen er for liten til å deles på kjønn",
            Rule::Series => "For mange tall i tidsserien er skjult, så hele serien skjules",
            Rule::Coverage => "Kommunene med tall dekker for lite av regionens ungdom",
            Rule::Secondary => "Skjult for at andre skjulte tall ikke skal kunne regnes ut",
            Rule::EarlierRelease => "Skjult i en tidligere utgivelse og holdes skjult",
            Rule::LinkedTotal => "Tallet det er en del av, er skjult i hovedtabellen",
        }
    }

    /// True for the primary rules.
    pub fn is_primary(self) -> bool {
        !matches!(self, Rule::Secondary | Rule::EarlierRelease)
    }
}

/// Publication status of a protected cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Status {
    /// The value is published.
    Published,
    /// The value is hidden (shown as `:`).
    Hidden(Rule),
}

impl Status {
    /// `published` or `hidden`.
    pub fn code(self) -> &'static str {
        match self {
            Status::Published => "published",
            Status::Hidden(_) => "hidden",
        }
    }

    /// The rule, when hidden.
    pub fn rule(self) -> Option<Rule> {
        match self {
            Status::Published => None,
            Status::Hidden(r) => Some(r),
        }
    }
}

/// A cell after protection: a hidden cell has no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectedCell {
    key: Vec<String>,
    value: Option<u64>,
    denominator: Option<u64>,
    status: Status,
}

impl ProtectedCell {
    /// Dimension codes, in the table's dimension order.
    pub fn key(&self) -> &[String] {
        &self.key
    }
    /// The published value; None when hidden.
    pub fn value(&self) -> Option<u64> {
        self.value
    }
    /// The denominator (published with every cell, also hidden ones, as n).
    pub fn denominator(&self) -> Option<u64> {
        self.denominator
    }
    /// Publication status.
    pub fn status(&self) -> Status {
        self.status
    }
}

/// Counts of the protection, for the bundle's summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Cells in the table.
    pub cells: usize,
    /// Cells hidden by a primary rule.
    pub primary: usize,
    /// Cells hidden by secondary suppression.
    pub secondary: usize,
    /// Additive relations derived from the hierarchies.
    pub relations: usize,
    /// Audit rounds (audit, widen the pattern, audit again) until the audit passed.
    pub audit_rounds: usize,
}

/// A table after disclosure control. Holds no hidden value.
#[derive(Debug, Clone, PartialEq)]
pub struct ProtectedTable {
    name: String,
    dimensions: Vec<String>,
    hierarchy: Vec<Dimension>,
    cells: Vec<ProtectedCell>,
    summary: Summary,
    audit: AuditReport,
}

impl ProtectedTable {
    /// Table name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Dimension names, in key order.
    pub fn dimensions(&self) -> &[String] {
        &self.dimensions
    }
    /// Position of a dimension in the key.
    pub fn dimension_index(&self, name: &str) -> Option<usize> {
        self.dimensions.iter().position(|d| d == name)
    }
    /// All cells, sorted by key.
    pub fn cells(&self) -> &[ProtectedCell] {
        &self.cells
    }
    /// What a reader of the release sees: the published values, the hierarchies, and each
    /// cell's denominator as an upper bound. This is the input of [`audit`].
    pub fn published_view(&self) -> PublishedTable {
        PublishedTable {
            name: self.name.clone(),
            dimensions: self.hierarchy.clone(),
            cells: self
                .cells
                .iter()
                .map(|c| PublishedCell {
                    key: c.key.clone(),
                    value: c.value,
                    upper: c.denominator,
                    secondary: c.status == Status::Hidden(Rule::Secondary),
                })
                .collect(),
        }
    }
    /// The audit of the published pattern (attacker intervals of every hidden cell).
    pub fn audit(&self) -> &AuditReport {
        &self.audit
    }
    /// Protection counts.
    pub fn summary(&self) -> &Summary {
        &self.summary
    }
}

/// A value that passed disclosure control. Only this crate can construct one, so analysis,
/// charts and the bundle cannot be handed unprotected data.
#[derive(Debug, Clone, PartialEq)]
pub struct Protected<T>(T);

impl<T> std::ops::Deref for Protected<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Errors: the table is not consistent. Messages name cells by their codes, never values.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DisclosureError {
    /// A cell's key does not fit the dimensions.
    #[error("table `{table}`: cell {key:?} has a code not in dimension `{dimension}`")]
    UnknownCode {
        /// Table.
        table: String,
        /// Cell key.
        key: Vec<String>,
        /// Dimension.
        dimension: String,
    },
    /// The same key twice.
    #[error("table `{table}`: cell {key:?} appears twice")]
    DuplicateCell {
        /// Table.
        table: String,
        /// Key.
        key: Vec<String>,
    },
    /// A total exists but one of its children does not.
    #[error("table `{table}`: total {key:?} lacks child cell {child:?}")]
    MissingChild {
        /// Table.
        table: String,
        /// Total's key.
        key: Vec<String>,
        /// Missing child's key.
        child: Vec<String>,
    },
    /// A total is not the sum of its children.
    #[error("table `{table}`: total {key:?} is not the sum of its children along `{dimension}`")]
    NotAdditive {
        /// Table.
        table: String,
        /// Total's key.
        key: Vec<String>,
        /// Dimension.
        dimension: String,
    },
    /// The LP solver failed (the message is the solver's, and holds no cell value).
    #[error("table `{table}`: audit solver failed: {message}")]
    Solver {
        /// Table.
        table: String,
        /// Solver message.
        message: String,
    },
    /// A CSV table could not be read (position and reason, never a value).
    #[error("table `{table}`: row {row}: {message}")]
    Input {
        /// Table.
        table: String,
        /// 1-based row (header = 1; 0 = not tied to a row).
        row: u64,
        /// What is wrong.
        message: String,
    },
    /// A count exceeds its denominator.
    #[error("table `{table}`: cell {key:?} has a count above its denominator")]
    CountAboveDenominator {
        /// Table.
        table: String,
        /// Key.
        key: Vec<String>,
    },
}

/// Re-checks a protected table against the primary rules: returns the keys of published
/// cells that a primary rule would hide (empty when the table is safe to publish). The
/// bundle calls this before it writes anything.
pub fn check_primary(table: &ProtectedTable, rules: &Rules) -> Vec<Vec<String>> {
    // Rebuild a table of what is published; hidden values are unknown here and set to 0,
    // which affects only the hidden cells' own status (the gender rule reads denominators).
    let shadow = Table {
        name: table.name.clone(),
        dimensions: table
            .dimensions
            .iter()
            .map(|d| {
                let codes: std::collections::BTreeSet<&str> = table
                    .cells
                    .iter()
                    .filter_map(|c| table.dimension_index(d).map(|i| c.key[i].as_str()))
                    .collect();
                Dimension::flat(d, &codes.into_iter().collect::<Vec<_>>())
            })
            .collect(),
        cells: table
            .cells
            .iter()
            .map(|c| Cell {
                key: c.key.clone(),
                value: c.value.unwrap_or(0),
                denominator: c.denominator,
            })
            .collect(),
    };
    // The series rule depends on which cells the other primary rules hid, which the shadow
    // (hidden values set to 0) cannot tell; it is checked below from the recorded rules.
    let without_series = Rules {
        series: None,
        ..rules.clone()
    };
    let mut bad_series: Vec<Vec<String>> = Vec::new();
    if let Some((sr, d)) = rules
        .series
        .as_ref()
        .and_then(|sr| table.dimension_index(&sr.dimension).map(|d| (sr, d)))
    {
        for members in
            primary::series_groups(table.cells.iter().map(|c| c.key.as_slice()), d).values()
        {
            let primary_hidden = members
                .iter()
                .filter(|&&i| table.cells[i].status.rule().is_some_and(Rule::is_primary))
                .count();
            if primary_hidden as f64 > sr.max_hidden_share * members.len() as f64 {
                bad_series.extend(
                    members
                        .iter()
                        .filter(|&&i| table.cells[i].status == Status::Published)
                        .map(|&i| table.cells[i].key.clone()),
                );
            }
        }
    }
    // The gender rule needs the hierarchy only to find the genders: every non-total code.
    let status = match primary::apply_with_parts(&shadow, &without_series, |dim, total| {
        table
            .dimension_index(dim)
            .map(|i| {
                let mut v: Vec<String> = table
                    .cells
                    .iter()
                    .map(|c| c.key[i].clone())
                    .filter(|c| c != total)
                    .collect();
                v.sort();
                v.dedup();
                v
            })
            .unwrap_or_default()
    }) {
        Ok(s) => s,
        Err(_) => return table.cells.iter().map(|c| c.key.clone()).collect(),
    };
    let mut bad: Vec<Vec<String>> = table
        .cells
        .iter()
        .zip(status)
        .filter(|(c, s)| c.status == Status::Published && *s != Status::Published)
        .map(|(c, _)| c.key.clone())
        .collect();
    bad.extend(bad_series);
    bad
}

/// Rounds that protect sums of hidden cells before falling back to widening cell by cell.
const SUM_ROUNDS: usize = 12;

/// Tables with more cells than this choose their secondary cells by hypercubes
/// ([`hypercube`]) when complete, else block by block ([`modular`]): elimination over the
/// whole table fills its basis.
const MODULAR_ABOVE: usize = 100_000;

/// Rounds of extra hypercubes around the cells the audit could not prove (large tables).
const HYPERCUBE_ROUNDS: usize = 8;
/// Full proofs of a large table while its hypercubes are chosen (the audit that follows
/// is one more).
const FULL_SCREENS: usize = 2;

/// The targets whose proven range is narrower than they need.
fn unproven(targets: Vec<(usize, u64)>, proven: Vec<certify::Proven>) -> Vec<(usize, u64)> {
    targets
        .into_iter()
        .zip(proven)
        .filter(|((_, need), p)| p.up.is_some_and(|u| u + p.down < *need))
        .map(|(t, _)| t)
        .collect()
}

#[cfg(test)]
thread_local! {
    /// Tests lower the size above which tables are protected block by block (or by
    /// hypercubes, when complete).
    pub(crate) static MODULAR_ABOVE_TEST: std::cell::Cell<Option<usize>> =
        const { std::cell::Cell::new(None) };
    /// Tests protect a large complete table block by block, as one that is not complete.
    pub(crate) static HYPERCUBES_OFF_TEST: std::cell::Cell<bool> =
        const { std::cell::Cell::new(false) };
}

/// The grid of a large table for the hypercube method; None when it is not complete.
fn hypercube_grid(table: &Table) -> Option<certify::Grid> {
    #[cfg(test)]
    if HYPERCUBES_OFF_TEST.with(std::cell::Cell::get) {
        return None;
    }
    certify::Grid::new(
        &table.dimensions,
        table.cells.iter().map(|c| c.key.as_slice()),
    )
}

fn modular_above() -> usize {
    #[cfg(test)]
    if let Some(n) = MODULAR_ABOVE_TEST.with(std::cell::Cell::get) {
        return n;
    }
    MODULAR_ABOVE
}

/// Protects a table: primary rules, then secondary suppression and the audit (see
/// [`suppression_pattern`]). Hidden values are dropped from the result. The result carries
/// the final audit, solved exactly; a release must not be published unless
/// [`AuditReport::passed`].
pub fn protect(table: &Table, rules: &Rules) -> Result<Protected<ProtectedTable>, DisclosureError> {
    protect_release(table, rules, &Ledger::default())
}

/// A suppression pattern: every cell's status, and how many audit rounds chose it.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    /// Status per cell, in the table's cell order.
    pub status: Vec<Status>,
    /// Audit rounds (screen the pattern, strengthen it, screen again) until it passed.
    pub rounds: usize,
}

/// Chooses which cells to hide, without the final audit: primary rules; cells hidden in an
/// earlier release of `ledger` stay hidden; secondary suppression by elimination (no hidden
/// cell a linear function of published cells); then, while a screening audit finds a
/// protected cell an attacker can narrow below `rules.protection_width`, the sums of the
/// hidden members of its relations are protected too and the secondary cells chosen again,
/// and as a last resort one more cell next to it is hidden. A large complete table instead
/// gets hypercubes around each protected cell, and more around any cell the screening
/// cannot prove.
pub fn suppression_pattern(
    table: &Table,
    rules: &Rules,
    ledger: &Ledger,
) -> Result<Pattern, DisclosureError> {
    let relations = table.relations()?;
    let prior = prior_entries(table, ledger);
    pattern(table, rules, &relations, &prior, &[])
}

/// The audit of a suppression pattern as protection runs it (true values known, so the
/// components too large to solve are proven instead): for the benchmark of large tables.
#[doc(hidden)]
pub fn bench_audit_pattern(
    table: &Table,
    status: &[Status],
    rules: &Rules,
) -> Result<AuditReport, DisclosureError> {
    let relations = table.relations()?;
    let prior = prior_entries(table, &Ledger::default());
    audit_pattern(table, &relations, status, &prior, rules)
}

/// What earlier releases say about each cell.
fn prior_entries(table: &Table, ledger: &Ledger) -> Vec<LedgerEntry> {
    table
        .cells
        .iter()
        .map(|c| ledger.entry(&table.name, &c.key))
        .collect()
}

fn pattern(
    table: &Table,
    rules: &Rules,
    relations: &[Relation],
    prior: &[LedgerEntry],
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
    for (p, s) in prior.iter().zip(status.iter_mut()) {
        if *s == Status::Published && p.hidden {
            *s = Status::Hidden(Rule::EarlierRelease);
        }
    }
    let known: Vec<bool> = table
        .cells
        .iter()
        .zip(prior)
        .map(|(c, p)| p.published == Some(c.value))
        .collect();
    let opts = AuditOptions {
        min_width: rules.protection_width,
    };
    let first = status.clone();
    let values: Vec<u64> = table.cells.iter().map(|c| c.value).collect();
    let large = table.cells.len() > modular_above();
    if let Some(grid) = large.then(|| hypercube_grid(table)).flatten() {
        return Ok(hypercube_pattern(
            &grid, table, rules, status, &known, &values,
        ));
    }
    if large {
        modular::apply(table, relations, &mut status, &known, rules.cost);
    } else {
        gauss::apply(&values, relations, &mut status, &known, rules.cost, &[]);
    }
    let screen = |status: &[Status], previous: Option<(&AuditReport, &HashSet<usize>)>| {
        audit::audit_with(
            &view(table, status, prior),
            relations,
            &opts,
            previous,
            true,
            Some(&values),
        )
    };
    let mut report = screen(&status, None)?;
    let mut rounds = 1;
    let mut by_cell: Vec<Vec<usize>> = vec![Vec::new(); table.cells.len()];
    for (ri, r) in relations.iter().enumerate() {
        for i in std::iter::once(r.total).chain(r.parts.iter().copied()) {
            by_cell[i].push(ri);
        }
    }
    // Cells whose status changed, with every cell sharing a relation with one: components
    // clear of them are as before, and their screening is reused.
    let near = |a: &[Status], b: &[Status]| -> HashSet<usize> {
        let mut out = HashSet::new();
        for i in (0..a.len()).filter(|&i| a[i] != b[i]) {
            out.insert(i);
            for &ri in &by_cell[i] {
                let r = &relations[ri];
                out.extend(std::iter::once(r.total).chain(r.parts.iter().copied()));
            }
        }
        out
    };
    // A protected cell pinned to a narrow interval (not a linear function of published cells,
    // but bounded by small non-negative partners): protect the sum of the hidden members of
    // each of its relations too, and choose the secondary cells again. Stop when that stops
    // helping.
    let mut sums: BTreeSet<Vec<usize>> = BTreeSet::new();
    let mut best = report.failures.len();
    let mut stale = 0;
    // (A large table skips this: each round would choose its secondary cells afresh.)
    while !large && !report.passed() && rounds <= SUM_ROUNDS && stale < 2 {
        let mut added = false;
        for f in &report.failures {
            for &ri in &by_cell[f.cell] {
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
        gauss::apply(&values, relations, &mut status, &known, rules.cost, &extra);
        report = screen(&status, Some((&report, &near(&before, &status))))?;
        rounds += 1;
        if report.failures.len() < best {
            best = report.failures.len();
            stale = 0;
        } else {
            stale += 1;
        }
    }
    // Whatever is left: hide one more cell next to each failing cell, until the audit passes.
    while !report.passed() && rounds <= 1000 {
        let before = status.clone();
        let failing: Vec<(usize, u64, u64)> = report
            .failures
            .iter()
            .map(|f| {
                let need =
                    audit::required_width(rules.protection_width, table.cells[f.cell].denominator);
                let width = f.upper.map_or(u64::MAX, |u| u.saturating_sub(f.lower));
                (f.cell, need.saturating_sub(width), need)
            })
            .collect();
        if !secondary::widen(table, relations, &failing, &mut status) {
            break;
        }
        secondary::apply(table, relations, &mut status);
        report = screen(&status, Some((&report, &near(&before, &status))))?;
        rounds += 1;
    }
    Ok(Pattern { status, rounds })
}

/// The secondary cells of a large complete table: hypercubes around every protected cell;
/// then, up to [`FULL_SCREENS`] times, every protected cell proven (cells hidden since the
/// last proof can change how another's proof goes) and more hypercubes around those that
/// fail, while that helps. The audit that follows in protection proves every cell again.
fn hypercube_pattern(
    grid: &certify::Grid,
    table: &Table,
    rules: &Rules,
    mut status: Vec<Status>,
    known: &[bool],
    values: &[u64],
) -> Pattern {
    let upper: Vec<Option<u64>> = table.cells.iter().map(|c| c.denominator).collect();
    // The protected cells and the width each needs.
    let protected = |status: &[Status]| -> Vec<(usize, u64)> {
        status
            .iter()
            .enumerate()
            .filter(|(_, s)| !matches!(s, Status::Published | Status::Hidden(Rule::Secondary)))
            .map(|(i, _)| {
                let need =
                    audit::required_width(rules.protection_width, table.cells[i].denominator);
                (i, need)
            })
            .collect()
    };
    let pass = |cells: &[(usize, u64)], thorough: bool, status: &mut [Status]| -> usize {
        let t = hypercube::Targets {
            values,
            upper: &upper,
            known,
            cells,
            cost: rules.cost,
            thorough,
        };
        hypercube::apply(grid, &t, status)
    };
    let prove = |cells: Vec<(usize, u64)>, status: &[Status]| -> Vec<(usize, u64)> {
        let proven = grid.prove(
            &cells,
            &hypercube::reader_hidden(status, known),
            values,
            &upper,
        );
        unproven(cells, proven)
    };
    let cells = protected(&status);
    pass(&cells, false, &mut status);
    let mut rounds = 0;
    for _ in 0..FULL_SCREENS {
        rounds += 1;
        let mut failing = prove(protected(&status), &status);
        let mut left = failing.len();
        let mut widened = false;
        while !failing.is_empty() && rounds <= HYPERCUBE_ROUNDS {
            if pass(&failing, true, &mut status) == 0 {
                break;
            }
            widened = true;
            rounds += 1;
            failing = prove(failing, &status);
            if failing.len() >= left {
                break;
            }
            left = failing.len();
        }
        if !widened {
            break;
        }
    }
    Pattern { status, rounds }
}

/// The audit of a chosen pattern as protection runs it: every hidden cell's interval, with
/// the true values known (so the components too large to solve are proven instead).
fn audit_pattern(
    table: &Table,
    relations: &[Relation],
    status: &[Status],
    prior: &[LedgerEntry],
    rules: &Rules,
) -> Result<AuditReport, DisclosureError> {
    let values: Vec<u64> = table.cells.iter().map(|c| c.value).collect();
    audit::audit_with(
        &view(table, status, prior),
        relations,
        &AuditOptions {
            min_width: rules.protection_width,
        },
        None,
        false,
        Some(&values),
    )
}

/// As [`protect`], for a release that follows earlier ones recorded in `ledger`: a cell hidden
/// in an earlier release stays hidden (also when its value was revised), and a value
/// published earlier and unchanged counts as known to the attacker in the audit, so no new
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
pub fn protect_linked(
    table: &Table,
    rules: &Rules,
    ledger: &Ledger,
    linked_hidden: &[bool],
) -> Result<Protected<ProtectedTable>, DisclosureError> {
    let relations = table.relations()?;
    let prior = prior_entries(table, ledger);
    let Pattern { status, rounds } = pattern(table, rules, &relations, &prior, linked_hidden)?;
    let report = audit_pattern(table, &relations, &status, &prior, rules)?;
    let mut summary = Summary {
        cells: table.cells.len(),
        relations: relations.len(),
        audit_rounds: rounds,
        ..Default::default()
    };
    let cells = table
        .cells
        .iter()
        .zip(&status)
        .map(|(c, s)| {
            match s {
                Status::Hidden(Rule::Secondary | Rule::EarlierRelease) => summary.secondary += 1,
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
    Ok(Protected(ProtectedTable {
        name: table.name.clone(),
        dimensions: table.dimensions.iter().map(|d| d.name.clone()).collect(),
        hierarchy: table.dimensions.clone(),
        cells,
        summary,
        audit: report,
    }))
}

/// The reader's view of `table` under a suppression pattern, with what earlier releases
/// published (unchanged values) counted as known.
fn view(table: &Table, status: &[Status], prior: &[LedgerEntry]) -> PublishedTable {
    PublishedTable {
        name: table.name.clone(),
        dimensions: table.dimensions.clone(),
        cells: table
            .cells
            .iter()
            .zip(status)
            .zip(prior)
            .map(|((c, s), p)| PublishedCell {
                key: c.key.clone(),
                value: (*s == Status::Published || p.published == Some(c.value)).then_some(c.value),
                upper: c.denominator,
                secondary: *s == Status::Hidden(Rule::Secondary),
            })
            .collect(),
    }
}
