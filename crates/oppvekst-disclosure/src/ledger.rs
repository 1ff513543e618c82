//! What earlier releases published: the memory that keeps quarterly releases consistent.
//!
//! The ledger records every release: per table and cell key, the published value or that the
//! cell was hidden. When release R is protected, only releases before R count (so re-running
//! a release gives the same result): a cell hidden in any of them stays hidden, and the
//! latest value published for a cell counts as known to the attacker. It is kept with the
//! history store (confidential folder) by the caller; this module only builds and queries it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ProtectedTable;

/// One table of one release: cell key (codes joined by `|`) → published value (None = hidden).
pub type ReleaseTable = BTreeMap<String, Option<u64>>;

/// Every recorded release: release id (sortable, e.g. `2025Q4`) → table name → cells.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    /// Releases in id order.
    pub releases: BTreeMap<String, BTreeMap<String, ReleaseTable>>,
}

/// A cell as earlier releases left it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerEntry {
    /// Hidden in at least one earlier release.
    pub hidden: bool,
    /// The latest value published, if any.
    pub published: Option<u64>,
}

fn join(key: &[String]) -> String {
    key.join("|")
}

impl Ledger {
    /// The ledger as seen by release `release`: only releases with a smaller id.
    pub fn before(&self, release: &str) -> Ledger {
        Ledger {
            releases: self
                .releases
                .iter()
                .filter(|(k, _)| k.as_str() < release)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    /// What earlier releases say about a cell.
    pub fn entry(&self, table: &str, key: &[String]) -> LedgerEntry {
        let k = join(key);
        let mut e = LedgerEntry {
            hidden: false,
            published: None,
        };
        for tables in self.releases.values() {
            match tables.get(table).and_then(|t| t.get(&k)) {
                Some(None) => e.hidden = true,
                Some(Some(v)) => e.published = Some(*v),
                None => {}
            }
        }
        e
    }

    /// True when the cell was hidden in any recorded release.
    pub fn was_hidden(&self, table: &str, key: &[String]) -> bool {
        self.entry(table, key).hidden
    }

    /// The latest value a recorded release published for the cell.
    pub fn published_value(&self, table: &str, key: &[String]) -> Option<u64> {
        self.entry(table, key).published
    }

    /// Records (or replaces) a table of a release.
    pub fn record(&mut self, release: &str, table: &ProtectedTable) {
        let cells = table
            .cells()
            .iter()
            .map(|c| (join(c.key()), c.value()))
            .collect();
        self.releases
            .entry(release.to_owned())
            .or_default()
            .insert(table.name().to_owned(), cells);
    }
}
