//! A table dimension with its hierarchy: the shape the suppression, the audit and the ledger
//! agree on. Data only: each stage derives what it needs from it (the disclosure crate and
//! the audit crate each derive the additive relations themselves).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One dimension of a table, with an optional hierarchy (child → parent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dimension {
    /// Name (for example `gender`).
    pub name: String,
    /// Every code, totals included.
    pub codes: Vec<String>,
    /// Child code → parent code.
    pub parent: BTreeMap<String, String>,
}

impl Dimension {
    /// A dimension without totals (no relations along it).
    pub fn flat<S: AsRef<str>>(name: &str, codes: &[S]) -> Self {
        Dimension {
            name: name.to_owned(),
            codes: codes.iter().map(|c| c.as_ref().to_owned()).collect(),
            parent: BTreeMap::new(),
        }
    }

    /// A dimension with a hierarchy given as (child, parent) pairs; codes are every child and
    /// parent, in the order they first appear.
    pub fn hierarchy(name: &str, edges: &[(&str, &str)]) -> Self {
        let mut codes: Vec<String> = Vec::new();
        for (c, p) in edges {
            for x in [c, p] {
                if !codes.iter().any(|k| k == x) {
                    codes.push((*x).to_owned());
                }
            }
        }
        Dimension {
            name: name.to_owned(),
            codes,
            parent: edges
                .iter()
                .map(|(c, p)| ((*c).to_owned(), (*p).to_owned()))
                .collect(),
        }
    }

    /// Children of a code, in code order.
    pub fn children(&self, code: &str) -> Vec<&str> {
        self.codes
            .iter()
            .filter(|c| self.parent.get(*c).is_some_and(|p| p == code))
            .map(String::as_str)
            .collect()
    }
}
