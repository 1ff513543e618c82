//! The one place this crate talks to polars' I/O (its Rust API changes between versions).

use std::path::Path;

use polars::prelude::*;

use crate::AnalysisError;

/// Writes a DataFrame as Parquet (zstd) atomically: temporary sibling, then rename.
pub fn write_parquet(df: &DataFrame, path: &Path) -> Result<(), AnalysisError> {
    let err = |m: String| AnalysisError::Write {
        path: path.display().to_string(),
        message: m,
    };
    let mut buf: Vec<u8> = Vec::new();
    let mut df = df.clone();
    ParquetWriter::new(&mut buf)
        .with_compression(ParquetCompression::Zstd(None))
        .finish(&mut df)?;
    oppvekst_schema::io::write_atomic(path, &buf).map_err(|e| err(e.to_string()))
}

/// A count as the u32 of the published columns; a count too large is an error, never
/// truncated.
pub(crate) fn count32(table: &str, v: u64) -> Result<u32, AnalysisError> {
    u32::try_from(v).map_err(|_| AnalysisError::TooLarge {
        table: table.to_owned(),
    })
}

/// What a table's denominators are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denominators {
    /// Published n (survey cells): written as the `denominator` column.
    Published,
    /// None, or bounds the audit used that are another table's business (the flag table's
    /// bounds are the police table's counts): no column.
    Omitted,
}

/// A protected table as a DataFrame: one column per dimension (those in `int_dims` as
/// Int32), then `value_name` (null when hidden), `denominator` when `denominators` says so,
/// and `status` (never the rule that hid a cell). Used for the protected Parquet files of the
/// bundle.
pub fn protected_frame(
    table: &oppvekst_disclosure::Protected<oppvekst_disclosure::ProtectedTable>,
    int_dims: &[&str],
    value_name: &str,
    denominators: Denominators,
) -> Result<DataFrame, AnalysisError> {
    let cells = table.cells();
    let mut cols = Vec::new();
    for (d, name) in table.dimensions().iter().enumerate() {
        if int_dims.contains(&name.as_str()) {
            let mut v = Vec::with_capacity(cells.len());
            for c in cells {
                v.push(
                    c.key()[d]
                        .parse::<i32>()
                        .map_err(|_| AnalysisError::BadCode {
                            table: table.name().to_owned(),
                            dimension: "integer dimension",
                        })?,
                );
            }
            cols.push(Column::new(name.as_str().into(), v));
        } else {
            cols.push(Column::new(
                name.as_str().into(),
                cells
                    .iter()
                    .map(|c| c.key()[d].as_str())
                    .collect::<Vec<_>>(),
            ));
        }
    }
    let name = table.name();
    let values = cells
        .iter()
        .map(|c| c.value().map(|v| count32(name, v)).transpose())
        .collect::<Result<Vec<Option<u32>>, _>>()?;
    cols.push(Column::new(value_name.into(), values));
    if denominators == Denominators::Published {
        // Every cell of a table with denominators has one; a cell without is an error,
        // never a silent 0.
        let dens = cells
            .iter()
            .map(|c| {
                c.denominator()
                    .ok_or_else(|| AnalysisError::MissingDenominator {
                        table: name.to_owned(),
                    })
                    .and_then(|d| count32(name, d))
            })
            .collect::<Result<Vec<u32>, _>>()?;
        cols.push(Column::new("denominator".into(), dens));
    }
    cols.push(Column::new(
        "status".into(),
        cells.iter().map(|c| c.status().code()).collect::<Vec<_>>(),
    ));
    Ok(DataFrame::new(cells.len(), cols)?)
}
