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
//! Secondary cells are chosen by measurement ([`Method::Auto`]): hypercubes around every
//! protected cell (proven by alternative tables, then pruned to the cells those proofs
//! move) and elimination over the whole table (GaussSuppression's method, screened by the
//! audit) both run, elimination under a work budget counted in fill-in and screening rounds
//! (so the choice is the same on every run), and the pattern that loses less is kept. A
//! table of more than 100,000 cells gets hypercubes alone (elimination over it fills its
//! basis). A sparse table (combinations that do not occur) is laid out on its grid with the
//! absent combinations as structural zeros the reader knows; a table too sparse for a grid
//! is protected by elimination (block by block when large). A total is the sum of the
//! children present: an absent child is a structural zero.
//!
//! # The gate
//!
//! A [`ProtectedTable`] exists only with a passing [`oppvekst_audit::Passed`] for exactly
//! the view it publishes. The audit is the `oppvekst-audit` crate, which shares no code with
//! this one: it derives the additive relations itself and takes no true values. It audits
//! the union of this release and every earlier one in the [`Ledger`] (each earlier release a
//! table of its own, cells unchanged since then one quantity), so what earlier bundles said
//! is part of what the reader knows. A hypercube pattern hands the audit a certificate: the
//! proofs the pattern kept (alternative tables), checked by the audit by arithmetic alone;
//! what they leave short is solved exactly, or fails when too large to solve. When protection cannot reach the requirement, [`protect`] returns
//! [`DisclosureError::ProtectionFailed`] naming the table and how many cells fall short.
//!
//! # What the reader knows (the attacker model)
//!
//! A reader of this and every earlier bundle knows every published value and n (a survey
//! cell's denominator, published with hidden cells too), the thresholds stated in the
//! method note, that counts are non-negative integers, every additive relation the
//! hierarchies imply, and which cells did not change between releases. The bundle marks a
//! hidden cell with `:` alone: which rule hid a cell is written only to the confidential
//! work folder, since "too few with the trait" says x ≤ T, "too few without" says
//! x ≥ n − T, and "complement" says T < x < n − T — each, with the published totals, would
//! pin cells the audit does not model.
//!
//! This crate is pure: no file I/O, no logging, no formatting of cell values in errors.

mod certify;
pub mod csvtable;
mod gauss;
mod hypercube;
mod ledger;
mod modular;
mod primary;
mod protect;
mod secondary;
mod table;
#[cfg(test)]
mod testdata;

pub use ledger::{LEDGER_FORMAT, Ledger, ReleasedCell, ReleasedTable};
pub use oppvekst_audit::{
    AuditOptions, AuditReport, CellBounds, CellRef, Passed, Publication, PublishedCell,
    PublishedTable, TableAudit,
};
pub use primary::{CoverageRule, GenderRule, Method, Rules, SecondaryCost, SeriesRule};
pub use protect::{
    Pattern, bench_audit_pattern, protect, protect_linked, protect_release, published_view,
    suppression_pattern,
};
pub use table::{Cell, Dimension, Relation, Table};

use serde::Serialize;

#[cfg(test)]
thread_local! {
    /// Tests lower the size above which tables are protected block by block (or by
    /// hypercubes, when complete).
    pub(crate) static MODULAR_ABOVE_TEST: std::cell::Cell<Option<usize>> =
        const { std::cell::Cell::new(None) };
    /// Tests protect a large complete table block by block, as one that is not complete.
    pub(crate) static HYPERCUBES_OFF_TEST: std::cell::Cell<bool> =
        const { std::cell::Cell::new(false) };
    /// Tests lower the component size above which the final audit judges a certificate.
    pub(crate) static EXACT_LIMIT_TEST: std::cell::Cell<Option<usize>> =
        const { std::cell::Cell::new(None) };
}

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
    /// Protected in an earlier release, and kept hidden so it stays protected.
    EarlierRelease,
    /// A complement in an earlier release (hidden to protect other cells, itself past every
    /// primary rule), kept hidden; like any complement it needs no width of its own.
    EarlierComplement,
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
            Rule::EarlierComplement => "earlier_complement",
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
            Rule::EarlierComplement => {
                "Skjult i en tidligere utgivelse for at andre skjulte tall ikke skal kunne regnes ut, og holdes skjult"
            }
            Rule::LinkedTotal => "Tallet det er en del av, er skjult i hovedtabellen",
        }
    }

    /// True for the primary rules.
    pub fn is_primary(self) -> bool {
        !matches!(
            self,
            Rule::Secondary | Rule::EarlierRelease | Rule::EarlierComplement
        )
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

    /// Hidden and required to reach the protection width: every hidden cell but a
    /// complement (of this release or an earlier one).
    pub fn is_protected(self) -> bool {
        matches!(self, Status::Hidden(r) if r != Rule::Secondary && r != Rule::EarlierComplement)
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
    /// The method whose pattern was kept.
    pub method: Method,
}

impl Summary {
    /// Hidden cells.
    pub fn hidden(&self) -> usize {
        self.primary + self.secondary
    }

    /// Share of the cells hidden (0 for an empty table).
    pub fn hidden_share(&self) -> f64 {
        if self.cells == 0 {
            0.0
        } else {
            self.hidden() as f64 / self.cells as f64
        }
    }
}

/// A table after disclosure control. Holds no hidden value, and exists only with the
/// passing audit of exactly what it publishes.
#[derive(Debug, Clone, PartialEq)]
pub struct ProtectedTable {
    name: String,
    dimensions: Vec<String>,
    hierarchy: Vec<Dimension>,
    cells: Vec<ProtectedCell>,
    summary: Summary,
    passed: Passed,
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
    /// What a reader of the release sees — the published values, the hierarchies, each
    /// cell's denominator as an upper bound — and which hidden cells must reach the width.
    /// This is what the audit passed.
    pub fn published_view(&self) -> &PublishedTable {
        self.passed.view()
    }
    /// The table's audit (counts; the reader's interval of every hidden cell is in
    /// [`ProtectedTable::bounds`]).
    pub fn audit(&self) -> &TableAudit {
        self.passed.audit()
    }
    /// The interval a reader can derive for each hidden cell (by cell index), under the full
    /// model: every release, every relation. A range marked not exact comes from a
    /// certificate of near-true values and must never be shown.
    pub fn bounds(&self) -> &[CellBounds] {
        self.passed.bounds()
    }
    /// The sum of the hidden inner cells (the finest cells, every code a leaf): what the
    /// table loses at its finest level, and a figure every reader can compute from the
    /// published cells (each top-level total minus its published inner cells), so it can be
    /// published. None when a top-level total (every code a root) is hidden: then it could
    /// not be computed and says something new. The sum of all hidden values, totals
    /// included, cannot be computed by a reader and stays in the confidential work folder.
    pub fn hidden_inner_value(&self) -> Option<u64> {
        let dims = &self.hierarchy;
        let parents: Vec<std::collections::HashSet<&str>> = dims
            .iter()
            .map(|d| d.parent.values().map(String::as_str).collect())
            .collect();
        let root = |d: usize, code: &str| -> String {
            let mut c = code;
            // Hierarchies are trees: a chain of parents ends within the dimension's codes.
            for _ in 0..=dims[d].codes.len() {
                match dims[d].parent.get(c) {
                    Some(p) => c = p,
                    None => break,
                }
            }
            c.to_owned()
        };
        let mut published_inner: std::collections::BTreeMap<Vec<String>, u64> =
            std::collections::BTreeMap::new();
        let mut roots: Vec<&ProtectedCell> = Vec::new();
        for c in &self.cells {
            let is_root = c
                .key
                .iter()
                .enumerate()
                .all(|(d, k)| !dims[d].parent.contains_key(k));
            if is_root {
                roots.push(c);
            }
            let is_inner = c
                .key
                .iter()
                .enumerate()
                .all(|(d, k)| !parents[d].contains(k.as_str()));
            if is_inner {
                let top: Vec<String> = c.key.iter().enumerate().map(|(d, k)| root(d, k)).collect();
                let sum = published_inner.entry(top).or_insert(0);
                *sum = sum.saturating_add(c.value.unwrap_or(0));
            }
        }
        let mut hidden = 0u64;
        for r in roots {
            let total = r.value?;
            let published = published_inner.get(&r.key).copied().unwrap_or(0);
            hidden = hidden.saturating_add(total.saturating_sub(published));
        }
        Some(hidden)
    }

    /// The confidential rule log's rows: every hidden cell with the rule that hid it and the
    /// reader's interval when the audit solved it exactly (a range from a certificate is
    /// never given). For the work folder only.
    pub fn hidden_log(&self) -> Vec<(&ProtectedCell, Rule, Option<&CellBounds>)> {
        let exact: std::collections::HashMap<usize, &CellBounds> = self
            .bounds()
            .iter()
            .filter(|b| b.exact)
            .map(|b| (b.cell.cell, b))
            .collect();
        self.cells
            .iter()
            .enumerate()
            .filter_map(|(i, c)| Some((c, c.status.rule()?, exact.get(&i).copied())))
            .collect()
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
    /// The audit could not judge the publication (inconsistent values or relations).
    #[error("table `{table}`: {source}")]
    Audit {
        /// Table.
        table: String,
        /// What the audit found.
        source: oppvekst_audit::AuditError,
    },
    /// Protection could not reach the requirement: the release must not be published.
    #[error(
        "table `{table}`: {cells} protected cells can still be narrowed below the required width \
         (with this and the earlier releases); nothing may be published"
    )]
    ProtectionFailed {
        /// Table.
        table: String,
        /// Protected cells that fall short.
        cells: usize,
    },
    /// A CSV table could not be read (position and reason, never a value).
    #[error("{table}: row {row}{}: {message}", if column.is_empty() { String::new() } else { format!(", column `{column}`") })]
    Input {
        /// Table (the file name).
        table: String,
        /// 1-based row (header = 1; 0 = not tied to a row).
        row: u64,
        /// The column, when one is to blame (else empty).
        column: String,
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
