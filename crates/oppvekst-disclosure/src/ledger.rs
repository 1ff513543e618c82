//! What earlier releases published: the memory that keeps quarterly releases consistent.
//!
//! The ledger records every release: per table, its dimensions and, per cell, the value it
//! had, whether it was published, whether it was protected (hidden by a primary rule or kept
//! hidden from an earlier release) and its published upper bound. Every value a release
//! published stays known to the reader afterwards, with the release it came from — also
//! after a revision changes it: an earlier release is a table of its own in the audit, and a
//! cell whose value did not change between two releases is one quantity in both. A cell
//! hidden in any earlier release stays hidden.
//!
//! The ledger holds the true values of hidden cells (to tell which cells a revision changed):
//! it is confidential and lives in the work folder beside the history store, never in a
//! bundle. When release R is protected, only releases before R count, so re-running a
//! release gives the same result.

use std::collections::{BTreeMap, HashMap};

use oppvekst_audit::{CellRef, PublishedCell, PublishedTable};
use serde::{Deserialize, Serialize};

use crate::{Dimension, ProtectedTable, Status, Table};

/// One cell of a recorded release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleasedCell {
    /// Key, one code per dimension.
    pub key: Vec<String>,
    /// The cell's value in that release (confidential when hidden).
    pub value: u64,
    /// Published (else hidden, shown as `:`).
    pub published: bool,
    /// Hidden and required to reach the protection width.
    pub protect: bool,
    /// Published upper bound (a survey cell's n).
    pub upper: Option<u64>,
}

/// One table of a recorded release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleasedTable {
    /// Dimensions with their hierarchies, as published.
    pub dimensions: Vec<Dimension>,
    /// Cells.
    pub cells: Vec<ReleasedCell>,
}

/// Every recorded release: release id (sortable, e.g. `2025Q4`) → table name → table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ledger {
    /// Format of the file (2: tables with dimensions and every cell's value).
    pub format: u32,
    /// Releases in id order.
    pub releases: BTreeMap<String, BTreeMap<String, ReleasedTable>>,
}

/// The ledger's file format.
pub const LEDGER_FORMAT: u32 = 2;

/// A cell as earlier releases left it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct LedgerEntry {
    /// Hidden in at least one earlier release.
    pub(crate) hidden: bool,
    /// Protected (hidden and required to reach the width) in at least one earlier release.
    pub(crate) protected: bool,
    /// Published earlier with the value it has now: known to the reader.
    pub(crate) known: bool,
}

/// Earlier releases of one table as the audit reads them.
#[derive(Debug, Clone, Default)]
pub(crate) struct History {
    /// One published table per earlier release, oldest first.
    pub(crate) tables: Vec<PublishedTable>,
    /// Cells of earlier releases that are one quantity.
    pub(crate) same: Vec<(CellRef, CellRef)>,
    /// (cell of the current table, cell of an earlier release) that are one quantity.
    pub(crate) to_current: Vec<(usize, CellRef)>,
    /// Per cell of the current table.
    pub(crate) prior: Vec<LedgerEntry>,
}

impl Ledger {
    /// The ledger as seen by release `release`: only releases with a smaller id.
    pub fn before(&self, release: &str) -> Ledger {
        Ledger {
            format: LEDGER_FORMAT,
            releases: self
                .releases
                .iter()
                .filter(|(k, _)| k.as_str() < release)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    /// True when the cell was hidden in any recorded release.
    pub fn was_hidden(&self, table: &str, key: &[String]) -> bool {
        self.releases.values().any(|t| {
            t.get(table)
                .is_some_and(|t| t.cells.iter().any(|c| c.key == key && !c.published))
        })
    }

    /// The latest value a recorded release published for the cell.
    pub fn published_value(&self, table: &str, key: &[String]) -> Option<u64> {
        self.releases.values().rev().find_map(|t| {
            t.get(table)?
                .cells
                .iter()
                .find(|c| c.key == key && c.published)
                .map(|c| c.value)
        })
    }

    /// Records (or replaces) a table of a release: `truth` is the table as protected, with
    /// its values; `protected` what was published of it.
    pub fn record(&mut self, release: &str, truth: &Table, protected: &ProtectedTable) {
        self.format = LEDGER_FORMAT;
        let cells = truth
            .cells
            .iter()
            .zip(protected.cells())
            .map(|(t, p)| ReleasedCell {
                key: t.key.clone(),
                value: t.value,
                published: p.status() == Status::Published,
                protect: p.status().is_protected(),
                upper: t.denominator,
            })
            .collect();
        self.releases.entry(release.to_owned()).or_default().insert(
            truth.name.clone(),
            ReleasedTable {
                dimensions: truth.dimensions.clone(),
                cells,
            },
        );
    }

    /// Earlier releases of `table` as the audit reads them, linked to `table`'s cells.
    pub(crate) fn history(&self, table: &Table) -> History {
        let mut h = History {
            prior: vec![LedgerEntry::default(); table.cells.len()],
            ..Default::default()
        };
        let current: HashMap<&[String], usize> = table
            .cells
            .iter()
            .enumerate()
            .map(|(i, c)| (c.key.as_slice(), i))
            .collect();
        // Per key: (value, cell) of each distinct value seen in earlier releases.
        let mut seen: HashMap<&[String], Vec<(u64, CellRef)>> = HashMap::new();
        for (release, tables) in &self.releases {
            let Some(t) = tables.get(&table.name) else {
                continue;
            };
            let ti = h.tables.len();
            h.tables.push(PublishedTable {
                name: format!("{release}/{}", table.name),
                dimensions: t.dimensions.clone(),
                cells: t
                    .cells
                    .iter()
                    .map(|c| PublishedCell {
                        key: c.key.clone(),
                        value: c.published.then_some(c.value),
                        upper: c.upper,
                        protect: !c.published && c.protect,
                    })
                    .collect(),
            });
            for (ci, c) in t.cells.iter().enumerate() {
                let here = CellRef {
                    table: ti,
                    cell: ci,
                };
                let versions = seen.entry(c.key.as_slice()).or_default();
                match versions.iter().find(|(v, _)| *v == c.value) {
                    Some(&(_, first)) => h.same.push((first, here)),
                    None => versions.push((c.value, here)),
                }
                if let Some(&i) = current.get(c.key.as_slice()) {
                    let p = &mut h.prior[i];
                    p.hidden |= !c.published;
                    p.protected |= !c.published && c.protect;
                    p.known |= c.published && c.value == table.cells[i].value;
                }
            }
        }
        for (i, c) in table.cells.iter().enumerate() {
            if let Some(&(_, r)) = seen
                .get(c.key.as_slice())
                .and_then(|v| v.iter().find(|(v, _)| *v == c.value))
            {
                h.to_current.push((i, r));
            }
        }
        h
    }
}
