//! Hierarchical tables and the additive relations derived from their hierarchies.

use std::collections::{BTreeMap, HashMap};

use crate::DisclosureError;

/// One dimension of a table, with an optional hierarchy (child → parent).
#[derive(Debug, Clone, PartialEq)]
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

    /// A dimension with a hierarchy given as (child, parent) pairs; codes are every child and parent.
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

/// A cell: its key (one code per dimension), count and optional denominator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// One code per dimension.
    pub key: Vec<String>,
    /// The count to protect.
    pub value: u64,
    /// The denominator (survey cells), published as n.
    pub denominator: Option<u64>,
}

/// A table to protect.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Name, used in errors and logs.
    pub name: String,
    /// Dimensions, in key order.
    pub dimensions: Vec<Dimension>,
    /// Cells; totals must be present with their children.
    pub cells: Vec<Cell>,
}

/// An additive relation: `cells[total] = Σ cells[parts]`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Relation {
    /// Index of the total cell.
    pub total: usize,
    /// Indices of the parts.
    pub parts: Vec<usize>,
}

impl Table {
    /// Builds a table from its inner (leaf) cells, adding every total the hierarchies imply:
    /// each combination of a leaf's codes and their ancestors gets the leaf's value.
    /// Leaf keys must be unique; cells come out sorted by key.
    pub fn from_inner(
        name: &str,
        dimensions: Vec<Dimension>,
        inner: Vec<Cell>,
    ) -> Result<Table, DisclosureError> {
        let mut sums: BTreeMap<Vec<String>, (u64, Option<u64>)> = BTreeMap::new();
        let mut leaves = std::collections::BTreeSet::new();
        for cell in &inner {
            if !leaves.insert(cell.key.clone()) {
                return Err(DisclosureError::DuplicateCell {
                    table: name.to_owned(),
                    key: cell.key.clone(),
                });
            }
            let mut combos: Vec<Vec<String>> = vec![Vec::new()];
            for (d, code) in dimensions.iter().zip(&cell.key) {
                let mut chain = vec![code.clone()];
                while let Some(p) = d.parent.get(chain.last().map(String::as_str).unwrap_or("")) {
                    if chain.contains(p) || chain.len() > 32 {
                        break; // a cycle in a hierarchy; relations() reports the inconsistency
                    }
                    chain.push(p.clone());
                }
                combos = combos
                    .into_iter()
                    .flat_map(|k| {
                        chain.iter().map(move |c| {
                            let mut k = k.clone();
                            k.push(c.clone());
                            k
                        })
                    })
                    .collect();
            }
            for k in combos {
                let e = sums.entry(k).or_insert((0, cell.denominator.map(|_| 0)));
                e.0 += cell.value;
                if let (Some(a), Some(b)) = (e.1.as_mut(), cell.denominator) {
                    *a += b;
                }
            }
        }
        let table = Table {
            name: name.to_owned(),
            dimensions,
            cells: sums
                .into_iter()
                .map(|(key, (value, denominator))| Cell {
                    key,
                    value,
                    denominator,
                })
                .collect(),
        };
        table.index()?;
        Ok(table)
    }

    /// Index of every cell by key; errors on unknown codes or duplicates.
    pub(crate) fn index(&self) -> Result<HashMap<&[String], usize>, DisclosureError> {
        let mut idx = HashMap::with_capacity(self.cells.len());
        for (i, c) in self.cells.iter().enumerate() {
            for (d, code) in self.dimensions.iter().zip(&c.key) {
                if !d.codes.contains(code) {
                    return Err(DisclosureError::UnknownCode {
                        table: self.name.clone(),
                        key: c.key.clone(),
                        dimension: d.name.clone(),
                    });
                }
            }
            if c.key.len() != self.dimensions.len() {
                return Err(DisclosureError::UnknownCode {
                    table: self.name.clone(),
                    key: c.key.clone(),
                    dimension: "(number of dimensions)".into(),
                });
            }
            if idx.insert(c.key.as_slice(), i).is_some() {
                return Err(DisclosureError::DuplicateCell {
                    table: self.name.clone(),
                    key: c.key.clone(),
                });
            }
        }
        Ok(idx)
    }

    /// Every additive relation implied by the hierarchies, checked against the values.
    pub fn relations(&self) -> Result<Vec<Relation>, DisclosureError> {
        self.index()?;
        let keys: Vec<&[String]> = self.cells.iter().map(|c| c.key.as_slice()).collect();
        let out = relations_of(&self.name, &self.dimensions, &keys)?;
        for r in &out {
            let cell = &self.cells[r.total];
            let sum: u64 = r.parts.iter().map(|&j| self.cells[j].value).sum();
            let den_ok = match cell.denominator {
                Some(n) => {
                    r.parts
                        .iter()
                        .map(|&j| self.cells[j].denominator.unwrap_or(0))
                        .sum::<u64>()
                        == n
                }
                None => true,
            };
            if sum != cell.value || !den_ok {
                let d = (0..self.dimensions.len())
                    .find(|&d| self.cells[r.parts[0]].key[d] != cell.key[d])
                    .unwrap_or(0);
                return Err(DisclosureError::NotAdditive {
                    table: self.name.clone(),
                    key: cell.key.clone(),
                    dimension: self.dimensions[d].name.clone(),
                });
            }
        }
        Ok(out)
    }
}

/// The additive relations implied by the hierarchies for cells with these keys (indices
/// into `keys`). Errors when a total lacks one of its children.
pub fn relations_of(
    name: &str,
    dimensions: &[Dimension],
    keys: &[&[String]],
) -> Result<Vec<Relation>, DisclosureError> {
    {
        let idx: HashMap<&[String], usize> =
            keys.iter().enumerate().map(|(i, k)| (*k, i)).collect();
        let children: Vec<BTreeMap<&str, Vec<&str>>> = dimensions
            .iter()
            .map(|d| {
                d.codes
                    .iter()
                    .map(|c| (c.as_str(), d.children(c)))
                    .filter(|(_, ch)| !ch.is_empty())
                    .collect()
            })
            .collect();
        let mut out = Vec::new();
        for (i, key0) in keys.iter().enumerate() {
            for (d, _dim) in dimensions.iter().enumerate() {
                let Some(kids) = children[d].get(key0[d].as_str()) else {
                    continue;
                };
                let mut parts = Vec::with_capacity(kids.len());
                let mut key = key0.to_vec();
                for k in kids {
                    key[d] = (*k).to_owned();
                    match idx.get(key.as_slice()) {
                        Some(&j) => parts.push(j),
                        None => {
                            return Err(DisclosureError::MissingChild {
                                table: name.to_owned(),
                                key: key0.to_vec(),
                                child: key,
                            });
                        }
                    }
                }
                out.push(Relation { total: i, parts });
            }
        }
        Ok(out)
    }
}
