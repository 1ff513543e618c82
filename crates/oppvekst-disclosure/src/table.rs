//! Hierarchical tables and the additive relations derived from their hierarchies.

use std::collections::HashMap;

use crate::DisclosureError;

pub use oppvekst_schema::hierarchy::Dimension;

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

/// Packs a key (one code per dimension) into one integer whose order is the key's order:
/// each dimension's codes are ranked in string order and the ranks read as digits, the first
/// dimension the most significant.
pub(crate) struct KeyCoder<'a> {
    rank: Vec<HashMap<&'a str, u32>>,
    sorted: Vec<Vec<&'a str>>,
    stride: Vec<u128>,
}

impl<'a> KeyCoder<'a> {
    pub(crate) fn new(dimensions: &'a [Dimension]) -> Self {
        let mut sorted: Vec<Vec<&str>> = dimensions
            .iter()
            .map(|d| d.codes.iter().map(String::as_str).collect())
            .collect();
        for s in &mut sorted {
            s.sort_unstable();
            s.dedup();
        }
        let rank = sorted
            .iter()
            .map(|s| s.iter().enumerate().map(|(i, c)| (*c, i as u32)).collect())
            .collect();
        let mut stride = vec![1u128; dimensions.len()];
        for d in (0..dimensions.len().saturating_sub(1)).rev() {
            // Saturating: a table whose code space passes 2^128 is not built; codes would
            // collide only beyond that.
            stride[d] = stride[d + 1].saturating_mul(sorted[d + 1].len().max(1) as u128);
        }
        KeyCoder {
            rank,
            sorted,
            stride,
        }
    }

    /// Number of codes of dimension `d`.
    pub(crate) fn codes(&self, d: usize) -> usize {
        self.sorted[d].len()
    }

    /// Rank of a code in dimension `d`.
    pub(crate) fn rank(&self, d: usize, code: &str) -> Option<u32> {
        self.rank[d].get(code).copied()
    }

    /// The packed key; Err(dimension) for an unknown code (or `dimensions.len()` when the
    /// key has the wrong number of codes).
    pub(crate) fn encode<S: AsRef<str>>(&self, key: &[S]) -> Result<u128, usize> {
        if key.len() != self.rank.len() {
            return Err(self.rank.len());
        }
        key.iter().enumerate().try_fold(0u128, |acc, (d, c)| {
            let r = self.rank(d, c.as_ref()).ok_or(d)?;
            Ok(acc + u128::from(r) * self.stride[d])
        })
    }

    /// The packed key with dimension `d`'s rank replaced.
    pub(crate) fn with(&self, code: u128, d: usize, old: u32, new: u32) -> u128 {
        code - u128::from(old) * self.stride[d] + u128::from(new) * self.stride[d]
    }

    fn decode(&self, mut code: u128) -> Vec<String> {
        let mut key = Vec::with_capacity(self.stride.len());
        for (d, s) in self.stride.iter().enumerate() {
            let r = (code / s) as usize;
            code %= s;
            key.push(
                self.sorted[d]
                    .get(r)
                    .copied()
                    .unwrap_or_default()
                    .to_owned(),
            );
        }
        key
    }
}

/// An error naming the dimension of an unknown code (or the wrong number of codes).
fn unknown_code(
    table: &str,
    dimensions: &[Dimension],
    key: &[String],
    d: usize,
) -> DisclosureError {
    DisclosureError::UnknownCode {
        table: table.to_owned(),
        key: key.to_vec(),
        dimension: dimensions
            .get(d)
            .map_or_else(|| "(number of dimensions)".into(), |x| x.name.clone()),
    }
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
        let cells = {
            let coder = KeyCoder::new(&dimensions);
            // Per dimension and code rank: the ranks of the code and its ancestors (None when
            // an ancestor is not among the dimension's codes).
            let chains: Vec<Vec<Option<Vec<u32>>>> = dimensions
                .iter()
                .enumerate()
                .map(|(d, dim)| {
                    coder.sorted[d]
                        .iter()
                        .map(|code| {
                            let mut chain = vec![*code];
                            while let Some(p) = chain.last().and_then(|c| dim.parent.get(*c)) {
                                if chain.contains(&p.as_str()) || chain.len() > 32 {
                                    break; // a cycle; relations() reports the inconsistency
                                }
                                chain.push(p.as_str());
                            }
                            chain.iter().map(|c| coder.rank(d, c)).collect()
                        })
                        .collect()
                })
                .collect();
            let mut leaves = std::collections::HashSet::with_capacity(inner.len());
            let mut sums: HashMap<u128, (u64, Option<u64>)> = HashMap::new();
            let mut combos: Vec<u128> = Vec::new();
            for cell in &inner {
                let code = coder
                    .encode(&cell.key)
                    .map_err(|d| unknown_code(name, &dimensions, &cell.key, d))?;
                if !leaves.insert(code) {
                    return Err(DisclosureError::DuplicateCell {
                        table: name.to_owned(),
                        key: cell.key.clone(),
                    });
                }
                combos.clear();
                combos.push(code);
                for (d, c) in cell.key.iter().enumerate() {
                    // Known: encode() found every code of the key.
                    let Some(r) = coder.rank(d, c) else { continue };
                    let Some(chain) = &chains[d][r as usize] else {
                        return Err(unknown_code(name, &dimensions, &cell.key, d));
                    };
                    let n = combos.len();
                    for &up in chain.iter().skip(1) {
                        for k in 0..n {
                            combos.push(coder.with(combos[k], d, r, up));
                        }
                    }
                }
                for &k in &combos {
                    let e = sums.entry(k).or_insert((0, cell.denominator.map(|_| 0)));
                    e.0 += cell.value;
                    if let (Some(a), Some(b)) = (e.1.as_mut(), cell.denominator) {
                        *a += b;
                    }
                }
            }
            let mut sums: Vec<(u128, (u64, Option<u64>))> = sums.into_iter().collect();
            sums.sort_unstable_by_key(|(k, _)| *k);
            sums.into_iter()
                .map(|(code, (value, denominator))| Cell {
                    key: coder.decode(code),
                    value,
                    denominator,
                })
                .collect()
        };
        // Every key is built from known codes, and once: no check is needed.
        Ok(Table {
            name: name.to_owned(),
            dimensions,
            cells,
        })
    }

    /// Every additive relation implied by the hierarchies, checked against the values.
    pub fn relations(&self) -> Result<Vec<Relation>, DisclosureError> {
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
/// into `keys`). Errors on a code its dimension does not list, a key given twice, or a total
/// lacking one of its children.
pub fn relations_of(
    name: &str,
    dimensions: &[Dimension],
    keys: &[&[String]],
) -> Result<Vec<Relation>, DisclosureError> {
    let coder = KeyCoder::new(dimensions);
    let codes: Vec<u128> = keys
        .iter()
        .map(|k| {
            coder
                .encode(k)
                .map_err(|d| unknown_code(name, dimensions, k, d))
        })
        .collect::<Result<_, _>>()?;
    let mut idx: HashMap<u128, usize> = HashMap::with_capacity(codes.len());
    for (i, k) in codes.iter().enumerate() {
        if idx.insert(*k, i).is_some() {
            return Err(DisclosureError::DuplicateCell {
                table: name.to_owned(),
                key: keys[i].to_vec(),
            });
        }
    }
    // Per dimension and code rank: the children's ranks, in the dimension's code order.
    let children: Vec<Vec<Vec<u32>>> = dimensions
        .iter()
        .enumerate()
        .map(|(d, dim)| {
            let mut kids = vec![Vec::new(); coder.sorted[d].len()];
            for c in &dim.codes {
                if let (Some(p), Some(r)) = (dim.parent.get(c), coder.rank(d, c))
                    && let Some(pr) = coder.rank(d, p)
                    && !kids[pr as usize].contains(&r)
                {
                    kids[pr as usize].push(r);
                }
            }
            kids
        })
        .collect();
    let mut out = Vec::new();
    for (i, key0) in keys.iter().enumerate() {
        for (d, code) in key0.iter().enumerate() {
            let Some(r) = coder.rank(d, code) else {
                continue;
            };
            let kids = &children[d][r as usize];
            if kids.is_empty() {
                continue;
            }
            // A child combination that does not occur (a sparse table) is a structural
            // zero: the total is the sum of the children present.
            let parts: Vec<usize> = kids
                .iter()
                .filter_map(|&k| idx.get(&coder.with(codes[i], d, r, k)).copied())
                .collect();
            if parts.is_empty() {
                let mut child = key0.to_vec();
                child[d] = coder.sorted[d][kids[0] as usize].to_owned();
                return Err(DisclosureError::MissingChild {
                    table: name.to_owned(),
                    key: key0.to_vec(),
                    child,
                });
            }
            out.push(Relation { total: i, parts });
        }
    }
    Ok(out)
}
