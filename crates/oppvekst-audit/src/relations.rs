//! The additive relations of a published table, derived here from its dimensions'
//! hierarchies (independently of the suppression's own derivation): for every cell and every
//! dimension in which its code has children, the cell is the sum of the cells with that code
//! replaced by each child.

use std::collections::HashMap;

use crate::model::{AuditError, PublishedTable};

/// `cells[total] = Σ cells[parts]`, as cell indices of one table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Relation {
    /// The total.
    pub total: usize,
    /// Its parts.
    pub parts: Vec<usize>,
}

/// Every additive relation of `table`. Errors on a code a dimension does not list, a key
/// given twice, or a total lacking one of its children.
pub fn relations(table: &PublishedTable) -> Result<Vec<Relation>, AuditError> {
    let dims = &table.dimensions;
    let index: Vec<HashMap<&str, u32>> = dims
        .iter()
        .map(|d| {
            d.codes
                .iter()
                .enumerate()
                .map(|(i, c)| (c.as_str(), i as u32))
                .collect()
        })
        .collect();
    // Per dimension and code: its children (as code indices), in the dimension's order.
    let children: Vec<Vec<Vec<u32>>> = dims
        .iter()
        .zip(&index)
        .map(|(d, idx)| {
            let mut kids = vec![Vec::new(); d.codes.len()];
            for (ci, c) in d.codes.iter().enumerate() {
                if let Some(&pi) = d.parent.get(c).and_then(|p| idx.get(p.as_str())) {
                    let list: &mut Vec<u32> = &mut kids[pi as usize];
                    if !list.contains(&(ci as u32)) {
                        list.push(ci as u32);
                    }
                }
            }
            kids
        })
        .collect();
    let mut coded: Vec<Vec<u32>> = Vec::with_capacity(table.cells.len());
    for c in &table.cells {
        if c.key.len() != dims.len() {
            return Err(AuditError::UnknownCode {
                table: table.name.clone(),
                key: c.key.clone(),
                dimension: "(number of dimensions)".into(),
            });
        }
        let mut k = Vec::with_capacity(dims.len());
        for (d, code) in c.key.iter().enumerate() {
            match index[d].get(code.as_str()) {
                Some(&i) => k.push(i),
                None => {
                    return Err(AuditError::UnknownCode {
                        table: table.name.clone(),
                        key: c.key.clone(),
                        dimension: dims[d].name.clone(),
                    });
                }
            }
        }
        coded.push(k);
    }
    let mut at: HashMap<&[u32], usize> = HashMap::with_capacity(coded.len());
    for (i, k) in coded.iter().enumerate() {
        if at.insert(k.as_slice(), i).is_some() {
            return Err(AuditError::DuplicateCell {
                table: table.name.clone(),
                key: table.cells[i].key.clone(),
                cell: i,
            });
        }
    }
    let mut out = Vec::new();
    let mut probe: Vec<u32> = Vec::with_capacity(dims.len());
    for (i, k) in coded.iter().enumerate() {
        for d in 0..dims.len() {
            let kids = &children[d][k[d] as usize];
            if kids.is_empty() {
                continue;
            }
            // A child combination absent from the table (a sparse table) is read as a
            // structural zero the reader knows: the total is the sum of the children
            // present. Knowing more than a reader might is the safe side.
            let mut parts = Vec::with_capacity(kids.len());
            for &child in kids {
                probe.clear();
                probe.extend_from_slice(k);
                probe[d] = child;
                if let Some(&j) = at.get(probe.as_slice()) {
                    parts.push(j);
                }
            }
            out.push(Relation { total: i, parts });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::{Dimension, PublishedCell};

    fn cell(key: &[&str]) -> PublishedCell {
        PublishedCell {
            key: key.iter().map(|s| (*s).to_owned()).collect(),
            value: Some(1),
            upper: None,
            protect: false,
        }
    }

    #[test]
    fn relations_follow_every_hierarchy() {
        let t = PublishedTable {
            name: "t".into(),
            dimensions: vec![
                Dimension::hierarchy("g", &[("a", "T"), ("b", "T")]),
                Dimension::hierarchy("h", &[("x", "S"), ("y", "S")]),
            ],
            cells: ["a", "b", "T"]
                .iter()
                .flat_map(|g| ["x", "y", "S"].iter().map(move |h| cell(&[g, h])))
                .collect(),
        };
        let r = relations(&t).unwrap();
        // Three totals along g (one per h code) and three along h.
        assert_eq!(r.len(), 6);
        assert!(r.iter().all(|r| r.parts.len() == 2));
        // An absent combination is a structural zero: its totals sum the children present.
        let mut missing = t.clone();
        missing.cells.remove(0);
        let r = relations(&missing).unwrap();
        assert_eq!(r.len(), 6);
        assert_eq!(r.iter().filter(|r| r.parts.len() == 1).count(), 2);
        let mut twice = t.clone();
        twice.cells.push(cell(&["a", "x"]));
        assert!(matches!(
            relations(&twice),
            Err(AuditError::DuplicateCell { cell: 9, .. })
        ));
        let mut unknown = t;
        unknown.cells[0].key[1] = "z".into();
        assert!(matches!(
            relations(&unknown),
            Err(AuditError::UnknownCode { .. })
        ));
    }
}
