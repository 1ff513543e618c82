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
    col_err(name, row, "", message)
}

fn col_err(name: &str, row: u64, column: &str, message: String) -> DisclosureError {
    DisclosureError::Input {
        table: name.to_owned(),
        row,
        column: column.to_owned(),
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
        .ok_or_else(|| col_err(name, 1, col, "column not found".into()))
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
            if let Some(k) = codes.iter().position(|c| c.is_empty()) {
                return Err(col_err(
                    name,
                    row,
                    &spec.dimensions[d][k],
                    "empty dimension code".into(),
                ));
            }
            for (k, code) in codes.iter().enumerate() {
                let parent = codes.get(k + 1).copied().unwrap_or(TOTAL);
                match edges[d].iter().find(|(c, _)| c == code) {
                    Some((_, p)) if p != parent => {
                        return Err(col_err(
                            name,
                            row,
                            &spec.dimensions[d][k],
                            format!("code `{code}` has two parents"),
                        ));
                    }
                    Some(_) => {}
                    None => edges[d].push(((*code).to_owned(), parent.to_owned())),
                }
            }
            key.push(codes[0].to_owned());
        }
        let parse = |col: usize, column: &str| {
            rec.get(col)
                .unwrap_or("")
                .trim()
                .parse::<u64>()
                .map_err(|_| {
                    col_err(
                        name,
                        row,
                        column,
                        "not a whole number ≥ 0 (or too large)".into(),
                    )
                })
        };
        inner.push(Cell {
            key,
            value: parse(value, &spec.value)?,
            denominator: den
                .map(|d| parse(d, spec.denominator.as_deref().unwrap_or_default()))
                .transpose()?,
        });
    }
    if inner.is_empty() {
        return Err(csv_err(
            name,
            1,
            "no cells: the file has a header and no rows".into(),
        ));
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

/// A published pattern read from CSV: the reader's view of the structure's cells, and the
/// file row each cell came from (for errors that name a cell).
#[derive(Debug, Clone, PartialEq)]
pub struct PatternFile {
    /// The reader's view, in the structure's cell order.
    pub table: PublishedTable,
    /// The pattern file's row (header = 1) of each cell.
    pub rows: Vec<u64>,
}

/// Reads a published pattern: one row per publishable cell, keyed by the finest column of
/// each dimension (holding a code of any level), with the value and a hidden flag
/// (`TRUE`/`true`/`1`/`:` = hidden). Hidden rows' values are ignored. With
/// `primary_column`, a hidden cell not flagged there is a complement (its interval need not
/// reach the width); without it every hidden cell is protected.
///
/// Refused, with the file's row and column: a file with no rows, a row naming a cell the
/// structure does not have, the same cell twice with a different status or value, a
/// published value that is not a whole number, and a cell of the structure with no row.
pub fn published_pattern(
    name: &str,
    structure: &Table,
    text: &str,
    spec: &CsvSpec,
    hidden_column: &str,
    primary_column: Option<&str>,
) -> Result<PatternFile, DisclosureError> {
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
    let index: HashMap<&[String], usize> = structure
        .cells
        .iter()
        .enumerate()
        .map(|(i, c)| (c.key.as_slice(), i))
        .collect();
    // Per cell of the structure: (row, value, protected).
    let mut pattern: Vec<Option<(u64, Option<u64>, bool)>> = vec![None; structure.cells.len()];
    let mut rows = 0u64;
    for (i, rec) in rdr.records().enumerate() {
        let row = i as u64 + 2;
        rows += 1;
        let rec = rec.map_err(|e| csv_err(name, row, e.to_string()))?;
        let key: Vec<String> = keys
            .iter()
            .map(|&c| rec.get(c).unwrap_or("").trim().to_owned())
            .collect();
        let Some(&cell) = index.get(key.as_slice()) else {
            // Name the first column whose code the structure's dimension does not know.
            let column = structure
                .dimensions
                .iter()
                .zip(&key)
                .position(|(d, k)| !d.codes.contains(k))
                .map_or(spec.dimensions[0][0].as_str(), |d| {
                    spec.dimensions[d][0].as_str()
                });
            return Err(col_err(
                name,
                row,
                column,
                "this cell is not in the structure".into(),
            ));
        };
        let flag = rec.get(hidden).unwrap_or("").trim();
        let is_hidden = is_flag(flag);
        let protect = is_hidden && primary.is_none_or(|p| is_flag(rec.get(p).unwrap_or("").trim()));
        let v = if is_hidden {
            None
        } else {
            Some(
                rec.get(value)
                    .unwrap_or("")
                    .trim()
                    .parse::<u64>()
                    .map_err(|_| {
                        col_err(
                            name,
                            row,
                            &spec.value,
                            "published value is not a whole number ≥ 0 (or too large)".into(),
                        )
                    })?,
            )
        };
        match pattern[cell] {
            Some((first, v0, p0)) if (v0, p0) != (v, protect) => {
                return Err(col_err(
                    name,
                    row,
                    hidden_column,
                    format!("the same cell as row {first} with a different status or value"),
                ));
            }
            Some(_) => {}
            None => pattern[cell] = Some((row, v, protect)),
        }
    }
    if rows == 0 {
        return Err(csv_err(
            name,
            1,
            "no cells: the file has a header and no rows".into(),
        ));
    }
    let mut out_rows = Vec::with_capacity(structure.cells.len());
    let cells = structure
        .cells
        .iter()
        .zip(&pattern)
        .map(|(c, p)| {
            let (row, value, protect) = p.ok_or_else(|| {
                csv_err(
                    name,
                    0,
                    format!(
                        "cell {:?} of the structure has no row in the pattern",
                        c.key
                    ),
                )
            })?;
            out_rows.push(row);
            Ok(PublishedCell {
                key: c.key.clone(),
                value,
                upper: c.denominator,
                protect,
            })
        })
        .collect::<Result<_, DisclosureError>>()?;
    Ok(PatternFile {
        table: PublishedTable {
            name: name.to_owned(),
            dimensions: structure.dimensions.clone(),
            cells,
        },
        rows: out_rows,
    })
}

/// A true flag in a pattern file.
fn is_flag(s: &str) -> bool {
    matches!(s, "TRUE" | "true" | "1" | ":" | "hidden")
}

/// A protected table as CSV for publication: dimension codes, value (`:` when hidden), the
/// denominator when the table has one, and the status (`published` or `hidden`). Which rule
/// hid a cell is not said: see [`rules_csv`].
pub fn protected_csv(t: &ProtectedTable) -> String {
    let has_den = t.cells().iter().any(|c| c.denominator().is_some());
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<&str> = t.dimensions().iter().map(String::as_str).collect();
    header.push("value");
    if has_den {
        header.push("denominator");
    }
    header.push("status");
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
        let _ = w.write_record(&rec);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The confidential rule log of a protected table: every hidden cell's codes, the rule that
/// hid it, whether it is protected, and the reader's interval under the full model (exact
/// intervals only). For the work folder, never for publication: a rule per cell tells a
/// reader on which side of the threshold the cell lies.
pub fn rules_csv(t: &ProtectedTable) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<&str> = t.dimensions().iter().map(String::as_str).collect();
    header.extend(["rule", "protected", "reader_lower", "reader_upper"]);
    let _ = w.write_record(&header);
    for (c, rule, b) in t.hidden_log() {
        let mut rec: Vec<String> = c.key().to_vec();
        rec.push(rule.code().to_owned());
        rec.push(c.status().is_protected().to_string());
        rec.push(b.map(|b| b.lower.to_string()).unwrap_or_default());
        rec.push(
            b.map(|b| {
                b.upper
                    .map_or_else(|| "unbounded".to_owned(), |u| u.to_string())
            })
            .unwrap_or_default(),
        );
        let _ = w.write_record(&rec);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
