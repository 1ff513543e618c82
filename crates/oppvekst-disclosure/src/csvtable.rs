//! Tables as CSV text, for `oppvekst protect` and `oppvekst audit` and for tables made by
//! other tools. Pure parsing and formatting of text; the caller reads and writes files.
//!
//! A table is described by its dimensions, each a list of columns from finest to coarsest
//! (`mun,county` means municipalities nested in counties); every dimension gets a `Total`
//! on top. Inner cells come one per row with a value column and, optionally, a denominator.

use std::collections::HashMap;

use crate::{
    Cell, Dimension, DisclosureError, ProtectedTable, PublishedCell, PublishedTable, Table,
};

/// Code of the grand total added on top of every dimension.
pub const TOTAL: &str = "Total";

/// How to read a table from CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvSpec {
    /// Per dimension, its columns from finest to coarsest.
    pub dimensions: Vec<Vec<String>>,
    /// Column holding the count.
    pub value: String,
    /// Column holding the denominator, if any.
    pub denominator: Option<String>,
}

fn csv_err(name: &str, row: u64, message: String) -> DisclosureError {
    DisclosureError::Input {
        table: name.to_owned(),
        row,
        message,
    }
}

fn header_index(
    name: &str,
    header: &csv::StringRecord,
    col: &str,
) -> Result<usize, DisclosureError> {
    header
        .iter()
        .position(|h| h.trim() == col)
        .ok_or_else(|| csv_err(name, 1, format!("column `{col}` not found")))
}

/// Reads inner cells and builds the table with every total.
pub fn inner_table(name: &str, text: &str, spec: &CsvSpec) -> Result<Table, DisclosureError> {
    let mut rdr = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header = rdr
        .headers()
        .map_err(|e| csv_err(name, 1, e.to_string()))?
        .clone();
    let cols: Vec<Vec<usize>> = spec
        .dimensions
        .iter()
        .map(|d| d.iter().map(|c| header_index(name, &header, c)).collect())
        .collect::<Result<_, _>>()?;
    let value = header_index(name, &header, &spec.value)?;
    let den = spec
        .denominator
        .as_deref()
        .map(|d| header_index(name, &header, d))
        .transpose()?;
    let mut edges: Vec<Vec<(String, String)>> = vec![Vec::new(); cols.len()];
    let mut inner = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let row = i as u64 + 2;
        let rec = rec.map_err(|e| csv_err(name, row, e.to_string()))?;
        let mut key = Vec::with_capacity(cols.len());
        for (d, dcols) in cols.iter().enumerate() {
            let codes: Vec<&str> = dcols
                .iter()
                .map(|&c| rec.get(c).unwrap_or("").trim())
                .collect();
            if codes.iter().any(|c| c.is_empty()) {
                return Err(csv_err(name, row, "empty dimension code".into()));
            }
            for (k, code) in codes.iter().enumerate() {
                let parent = codes.get(k + 1).copied().unwrap_or(TOTAL);
                match edges[d].iter().find(|(c, _)| c == code) {
                    Some((_, p)) if p != parent => {
                        return Err(csv_err(name, row, format!("code `{code}` has two parents")));
                    }
                    Some(_) => {}
                    None => edges[d].push(((*code).to_owned(), parent.to_owned())),
                }
            }
            key.push(codes[0].to_owned());
        }
        let parse = |col: usize, what: &str| {
            rec.get(col)
                .unwrap_or("")
                .trim()
                .parse::<u64>()
                .map_err(|_| csv_err(name, row, format!("{what} is not a whole number ≥ 0")))
        };
        inner.push(Cell {
            key,
            value: parse(value, "value")?,
            denominator: den.map(|d| parse(d, "denominator")).transpose()?,
        });
    }
    let dims = spec
        .dimensions
        .iter()
        .zip(&edges)
        .map(|(d, e)| {
            let refs: Vec<(&str, &str)> = e.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            Dimension::hierarchy(&d[0], &refs)
        })
        .collect();
    Table::from_inner(name, dims, inner)
}

/// Reads a published pattern: one row per publishable cell, keyed by the finest column of
/// each dimension (holding a code of any level), with the value and a hidden flag
/// (`TRUE`/`true`/`1`/`:` = hidden). Hidden rows' values are ignored. With
/// `primary_column`, a hidden cell not flagged there is secondary (its interval need not
/// reach the width); without it every hidden cell is protected.
pub fn published_pattern(
    name: &str,
    structure: &Table,
    text: &str,
    spec: &CsvSpec,
    hidden_column: &str,
    primary_column: Option<&str>,
) -> Result<PublishedTable, DisclosureError> {
    let mut rdr = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header = rdr
        .headers()
        .map_err(|e| csv_err(name, 1, e.to_string()))?
        .clone();
    let keys: Vec<usize> = spec
        .dimensions
        .iter()
        .map(|d| header_index(name, &header, &d[0]))
        .collect::<Result<_, _>>()?;
    let value = header_index(name, &header, &spec.value)?;
    let hidden = header_index(name, &header, hidden_column)?;
    let primary = primary_column
        .map(|c| header_index(name, &header, c))
        .transpose()?;
    let mut pattern: HashMap<Vec<String>, (Option<u64>, bool)> = HashMap::new();
    for (i, rec) in rdr.records().enumerate() {
        let row = i as u64 + 2;
        let rec = rec.map_err(|e| csv_err(name, row, e.to_string()))?;
        let key: Vec<String> = keys
            .iter()
            .map(|&c| rec.get(c).unwrap_or("").trim().to_owned())
            .collect();
        let flag = rec.get(hidden).unwrap_or("").trim();
        let is_hidden = is_flag(flag);
        let secondary =
            is_hidden && primary.is_some_and(|p| !is_flag(rec.get(p).unwrap_or("").trim()));
        let v = if is_hidden {
            None
        } else {
            Some(
                rec.get(value)
                    .unwrap_or("")
                    .trim()
                    .parse::<u64>()
                    .map_err(|_| {
                        csv_err(
                            name,
                            row,
                            "published value is not a whole number ≥ 0".into(),
                        )
                    })?,
            )
        };
        pattern.insert(key, (v, secondary));
    }
    let cells = structure
        .cells
        .iter()
        .map(|c| {
            let v = pattern.get(&c.key).ok_or_else(|| {
                csv_err(
                    name,
                    0,
                    format!("cell {:?} is missing from the pattern", c.key),
                )
            })?;
            Ok(PublishedCell {
                key: c.key.clone(),
                value: v.0,
                upper: c.denominator,
                secondary: v.1,
            })
        })
        .collect::<Result<_, DisclosureError>>()?;
    Ok(PublishedTable {
        name: name.to_owned(),
        dimensions: structure.dimensions.clone(),
        cells,
    })
}

/// A true flag in a pattern file.
fn is_flag(s: &str) -> bool {
    matches!(s, "TRUE" | "true" | "1" | ":" | "hidden")
}

/// A protected table as CSV: dimension codes, value (`:` when hidden), denominator when the
/// table has one, status and rule.
pub fn protected_csv(t: &ProtectedTable) -> String {
    let has_den = t.cells().iter().any(|c| c.denominator().is_some());
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<&str> = t.dimensions().iter().map(String::as_str).collect();
    header.push("value");
    if has_den {
        header.push("denominator");
    }
    header.extend(["status", "rule"]);
    // Writing into a Vec cannot fail.
    let _ = w.write_record(&header);
    for c in t.cells() {
        let mut rec: Vec<String> = c.key().to_vec();
        rec.push(
            c.value()
                .map(|v| v.to_string())
                .unwrap_or_else(|| ":".into()),
        );
        if has_den {
            rec.push(c.denominator().map(|v| v.to_string()).unwrap_or_default());
        }
        rec.push(c.status().code().to_owned());
        rec.push(
            c.status()
                .rule()
                .map(|r| r.code().to_owned())
                .unwrap_or_default(),
        );
        let _ = w.write_record(&rec);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
