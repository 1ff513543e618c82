//! The audit: what can a reader of everything oppvekst has published learn about each hidden
//! cell? It depends on no other oppvekst crate but the schema, shares no code with the
//! suppression, and takes no true values.
//!
//! # The attacker model
//!
//! The reader knows, for this release and every earlier one:
//! - every published value and every published n (a survey cell's denominator, published
//!   with hidden cells too), as an upper bound of the cell's count;
//! - that counts are non-negative integers;
//! - every additive relation the table's hierarchies imply (gutt + jente = alle,
//!   8 + 9 + 10 = ungdomstrinn, offence groups, age bands, municipalities ⊂ region), which
//!   this crate derives itself from the published dimensions;
//! - which cells of different releases are the same quantity (a cell not revised between
//!   two releases; the worst case: the reader is assumed to know);
//! - the thresholds stated in the method note. These say only that a *hidden* cell is small
//!   **or** hidden as a complement, which constrains nothing, since a complement may take
//!   any value; the bundle marks a hidden cell with `:` alone and says nothing else per cell.
//!
//! For every hidden cell the audit computes the interval the cell can take under all of
//! that — two linear programs per cell over the hidden cells of its connected component,
//! with the published values fixed — and a protected cell (hidden by a primary rule or in
//! an earlier release) fails when its interval is narrower than the required width. Which
//! cells are protected is the producer's statement ([`PublishedCell::protect`]); a reader
//! never learns it.
//!
//! When the producer hands over a [`Certificate`] for a table — a table that agrees with
//! everything published, and for each protected cell two changes of it that move the cell
//! apart by the required width — every component of that table is judged from it first; a
//! component it leaves short is solved exactly when it has at most [`EXACT_LIMIT`] hidden
//! quantities, and fails otherwise (with [`AuditOptions::certificate_first`] off, every
//! component up to that size is solved exactly). The audit checks each alternative table by arithmetic alone
//! — every published cell unchanged, every relation kept, every count within
//! `[0, upper]` — and trusts nothing it did not check; a cell without a checked proof fails.
//! The certificate holds near-true values: it is checked in memory and never written.
//!
//! This crate is pure: no file I/O, no logging, and no cell value in an error message.

mod certificate;
mod exact;
mod model;
mod relations;
mod system;

pub use certificate::{Certificate, Move};
pub use model::{
    AuditError, AuditOptions, AuditReport, CellBounds, CellRef, Gate, Passed, Publication,
    PublishedCell, PublishedTable, TableAudit, required_width,
};
pub use relations::{Relation, relations};

pub use exact::{EXACT_LIMIT, audit, audit_incremental, gate};

/// Dimensions and their hierarchies, as the schema crate defines them.
pub use oppvekst_schema::hierarchy::Dimension;
