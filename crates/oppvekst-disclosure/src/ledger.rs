//! What earlier releases published: the memory that keeps quarterly releases consistent.
//!
//! The ledger records, per table and cell key, whether the cell was published and with which
//! value. It is kept with the history store (confidential folder) by the caller; this module
//! only builds and queries it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ProtectedTable;

/// One cell as last released.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// Release that last showed the cell.
    pub release: String,
    /// The published value; None when it was hidden.
    pub published: Option<u64>,
}

/// Earlier releases: table → cell key → entry. Once hidden, a cell is remembered as hidden.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    /// Entries by table name and key (codes joined with `|`).
    pub tables: BTreeMap<String, BTreeMap<String, LedgerEntry>>,
}

fn join(key: &[String]) -> String {
    key.join("|")
}

impl Ledger {
    /// True when the cell was hidden in any earlier release.
    pub fn was_hidden(&self, table: &str, key: &[String]) -> bool {
        self.tables
            .get(table)
            .and_then(|t| t.get(&join(key)))
            .is_some_and(|e| e.published.is_none())
    }

    /// The value an earlier release published for the cell, if any.
    pub fn published_value(&self, table: &str, key: &[String]) -> Option<u64> {
        self.tables
            .get(table)
            .and_then(|t| t.get(&join(key)))
            .and_then(|e| e.published)
    }

    /// Records a release. A cell hidden before stays recorded as hidden; a published value
    /// replaces an earlier published one (a revision is public once released).
    pub fn record(&mut self, release: &str, table: &ProtectedTable) {
        let t = self.tables.entry(table.name().to_owned()).or_default();
        for c in table.cells() {
            let k = join(c.key());
            let hidden_before = t.get(&k).is_some_and(|e| e.published.is_none());
            if hidden_before {
                continue;
            }
            t.insert(
                k,
                LedgerEntry {
                    release: release.to_owned(),
                    published: c.value(),
                },
            );
        }
    }
}
