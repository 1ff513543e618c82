//! The one place this crate talks to polars' I/O (its Rust API changes between versions).

use std::path::Path;

use polars::prelude::*;

use crate::AnalysisError;

/// Writes a DataFrame as Parquet atomically, through the workspace's one Parquet writer
/// (`oppvekst_schema::io`: arrow-rs, zstd, deterministic bytes): the frame's columns become
/// Arrow arrays of the same type, every field nullable as polars writes them.
pub fn write_parquet(df: &DataFrame, path: &Path) -> Result<(), AnalysisError> {
    let err = |m: String| AnalysisError::Write {
        path: path.display().to_string(),
        message: m,
    };
    let (schema, batch) = record_batch(df).map_err(|e| err(e.to_string()))?;
    oppvekst_schema::io::write_parquet(path, schema, &[batch]).map_err(|e| err(e.to_string()))
}

/// A DataFrame as one Arrow record batch (the column types the analysis writes).
fn record_batch(
    df: &DataFrame,
) -> Result<
    (
        std::sync::Arc<arrow::datatypes::Schema>,
        arrow::array::RecordBatch,
    ),
    AnalysisError,
> {
    use arrow::array::{
        ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, StringArray, UInt32Array,
        UInt64Array,
    };
    use arrow::datatypes::{DataType as A, Field, Schema};
    use std::sync::Arc;
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for col in df.columns() {
        let name = col.name().as_str();
        let (dt, array): (A, ArrayRef) = match col.dtype() {
            DataType::Int32 => (
                A::Int32,
                Arc::new(col.i32()?.iter().collect::<Int32Array>()),
            ),
            DataType::Int64 => (
                A::Int64,
                Arc::new(col.i64()?.iter().collect::<Int64Array>()),
            ),
            DataType::UInt32 => (
                A::UInt32,
                Arc::new(col.u32()?.iter().collect::<UInt32Array>()),
            ),
            DataType::UInt64 => (
                A::UInt64,
                Arc::new(col.u64()?.iter().collect::<UInt64Array>()),
            ),
            DataType::Float64 => (
                A::Float64,
                Arc::new(col.f64()?.iter().collect::<Float64Array>()),
            ),
            DataType::Boolean => (
                A::Boolean,
                Arc::new(col.bool()?.iter().collect::<BooleanArray>()),
            ),
            DataType::String => (
                A::Utf8,
                Arc::new(col.str()?.iter().collect::<StringArray>()),
            ),
            other => {
                return Err(AnalysisError::Write {
                    path: String::new(),
                    message: format!("column `{name}`: type {other} is not written"),
                });
            }
        };
        fields.push(Field::new(name, dt, true));
        arrays.push(array);
    }
    let schema = Arc::new(Schema::new(fields));
    let batch = arrow::array::RecordBatch::try_new(schema.clone(), arrays).map_err(|e| {
        AnalysisError::Write {
            path: String::new(),
            message: e.to_string(),
        }
    })?;
    Ok((schema, batch))
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
