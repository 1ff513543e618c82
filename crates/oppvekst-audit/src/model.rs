//! What the audit reads (the reader's view of every release) and what it reports.

use serde::Serialize;

use crate::Dimension;

/// The reader's view of one cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedCell {
    /// Key, one code per dimension.
    pub key: Vec<String>,
    /// The published value; None when hidden.
    pub value: Option<u64>,
    /// A published upper bound (the denominator n of a survey cell).
    pub upper: Option<u64>,
    /// The producer's requirement, never shown to a reader: this hidden cell must reach the
    /// required width (hidden by a primary rule, or protected in an earlier release). False
    /// for a complement, which passed every primary rule; its interval is reported only.
    pub protect: bool,
}

/// The reader's view of one table of one release: hierarchies, published values and the
/// hidden pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedTable {
    /// Name (with the release, for a table of an earlier release).
    pub name: String,
    /// Dimensions with their hierarchies.
    pub dimensions: Vec<Dimension>,
    /// Cells.
    pub cells: Vec<PublishedCell>,
}

/// A cell of a [`Publication`]: table index, cell index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct CellRef {
    /// Index of the table in [`Publication::tables`].
    pub table: usize,
    /// Index of the cell in its table.
    pub cell: usize,
}

/// Everything a reader has: the tables of this release and of every earlier one, and which
/// cells of different tables are one quantity (a cell unchanged between releases).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Publication {
    /// Tables.
    pub tables: Vec<PublishedTable>,
    /// Pairs of cells known to hold the same value.
    pub same: Vec<(CellRef, CellRef)>,
}

impl Publication {
    /// One table on its own.
    pub fn single(table: PublishedTable) -> Self {
        Publication {
            tables: vec![table],
            same: Vec::new(),
        }
    }
}

/// Required protection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditOptions {
    /// Smallest acceptable width (upper − lower) of a protected cell's interval; a cell whose
    /// upper bound is smaller needs the whole range [0, upper] instead. Never less than 1: a
    /// single value is always a failure.
    pub min_width: u64,
    /// Only pass or fail is wanted (while a pattern is chosen): a cell already seen wide
    /// enough at feasible points is not solved for, and its bounds are those points' range.
    pub screen: bool,
    /// Components of more hidden quantities than this are judged by the certificate alone
    /// when the producer offers one for their table ([`crate::EXACT_LIMIT`] by default).
    pub exact_limit: usize,
    /// A smaller component is judged from the certificate too when it proves every protected
    /// cell there (true by default: fast); false solves every component up to
    /// `exact_limit` exactly, so that its bounds are exact intervals.
    pub certificate_first: bool,
}

impl AuditOptions {
    /// The full audit with this width.
    pub fn width(min_width: u64) -> Self {
        AuditOptions {
            min_width,
            screen: false,
            exact_limit: crate::EXACT_LIMIT,
            certificate_first: true,
        }
    }
}

/// The interval a reader can derive for one hidden cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CellBounds {
    /// The cell.
    pub cell: CellRef,
    /// Smallest value it can take.
    pub lower: u64,
    /// Largest value it can take; None = unbounded.
    pub upper: Option<u64>,
    /// True: the interval itself, solved exactly. False: a range shown by a checked
    /// certificate to lie inside the interval (from near-true values: never publish it), or
    /// no proof at all (`lower == upper`).
    pub exact: bool,
}

/// Audit of one table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct TableAudit {
    /// Table name.
    pub table: String,
    /// Hidden cells.
    pub hidden: usize,
    /// Protected hidden cells.
    pub protected: usize,
    /// Protected hidden cells whose interval is too narrow (or unproven).
    pub failures: Vec<CellBounds>,
    /// Smallest interval width of a protected cell solved exactly (None: none solved, or
    /// every such interval unbounded).
    pub narrowest: Option<u64>,
    /// Protected cells of components too large to solve, shown wide enough by a checked
    /// certificate.
    pub proven: usize,
}

/// Audit result over a whole publication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct AuditReport {
    /// Per table, in the publication's order.
    pub tables: Vec<TableAudit>,
    /// Connected components of hidden quantities.
    pub components: usize,
    /// Largest component (hidden quantities).
    pub largest_component: usize,
    /// Bound problems solved.
    pub bounds_solved: usize,
    /// Interval of every hidden cell, in cell order.
    pub bounds: Vec<CellBounds>,
}

impl AuditReport {
    /// True when every protected cell of every table reaches the width.
    pub fn passed(&self) -> bool {
        self.tables.iter().all(|t| t.failures.is_empty())
    }

    /// Failures of every table.
    pub fn failures(&self) -> impl Iterator<Item = &CellBounds> {
        self.tables.iter().flat_map(|t| t.failures.iter())
    }
}

/// A table that passed the audit, with the view it was audited in. Only [`crate::gate`]
/// makes one, and only from an audit it ran itself and that passed: a report built by hand
/// cannot become a `Passed`, so the disclosure crate cannot publish without the audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passed {
    view: PublishedTable,
    audit: TableAudit,
    bounds: Vec<CellBounds>,
}

impl Passed {
    /// The reader's view that was audited.
    pub fn view(&self) -> &PublishedTable {
        &self.view
    }
    /// The table's audit.
    pub fn audit(&self) -> &TableAudit {
        &self.audit
    }
    /// The intervals of the table's hidden cells (cell indices of this table).
    pub fn bounds(&self) -> &[CellBounds] {
        &self.bounds
    }
}

/// The width a protected cell with this upper bound needs: the required width, or the whole
/// range [0, upper] when the bound is smaller; never less than 1.
pub fn required_width(min_width: u64, upper: Option<u64>) -> u64 {
    min_width.min(upper.unwrap_or(u64::MAX)).max(1)
}

/// Errors: the publication is not consistent. Messages name tables and cells by their codes,
/// never a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    /// A cell's key has a code its dimension does not list (or the wrong number of codes).
    #[error("table `{table}`: cell {key:?} has a code not in dimension `{dimension}`")]
    UnknownCode {
        /// Table.
        table: String,
        /// Key.
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
        /// Cell index of the second occurrence.
        cell: usize,
    },
    /// Published values contradict an additive relation (a total that is not the sum of its
    /// published parts), or a published value exceeds its published bound.
    #[error("table `{table}`: the published values around cell {key:?} contradict {what}")]
    Contradiction {
        /// Table.
        table: String,
        /// Key of the total (or of the cell).
        key: Vec<String>,
        /// Cell index.
        cell: usize,
        /// What is contradicted.
        what: &'static str,
    },
    /// A value or a sum of values too large to audit exactly.
    #[error("table `{table}`: cell {key:?} or a sum through it is too large to audit exactly")]
    Overflow {
        /// Table.
        table: String,
        /// Key.
        key: Vec<String>,
        /// Cell index.
        cell: usize,
    },
    /// A link between cells that do not exist.
    #[error("a link names a cell that is not in the publication")]
    BadLink,
    /// The LP solver failed (by kind: solver messages can quote numbers).
    #[error("audit solver failed: {0}")]
    Solver(&'static str),
}

/// The outcome of [`crate::gate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// Every protected cell of the publication reaches the width: the table may be
    /// published.
    Passed(Passed),
    /// Some protected cell does not (in this table or in an earlier release the table
    /// narrows); the report says which.
    Failed(AuditReport),
}

impl Passed {
    pub(crate) fn new(
        report: &AuditReport,
        publication: &Publication,
        table: usize,
    ) -> Option<Self> {
        if !report.passed() {
            return None;
        }
        Some(Passed {
            view: publication.tables.get(table)?.clone(),
            audit: report.tables.get(table)?.clone(),
            bounds: report
                .bounds
                .iter()
                .filter(|b| b.cell.table == table)
                .cloned()
                .collect(),
        })
    }
}
