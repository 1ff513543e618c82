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

/// Strings of a column.
pub(crate) fn strs(df: &DataFrame, name: &str) -> Result<Vec<String>, AnalysisError> {
    Ok(df
        .column(name)?
        .str()?
        .iter()
        .map(|s| s.unwrap_or_default().to_owned())
        .collect())
}

/// Optional u32s of a column.
pub(crate) fn u32s(df: &DataFrame, name: &str) -> Result<Vec<Option<u32>>, AnalysisError> {
    Ok(df.column(name)?.u32()?.iter().collect())
}

/// Optional f64s of a column.
pub(crate) fn f64s(df: &DataFrame, name: &str) -> Result<Vec<Option<f64>>, AnalysisError> {
    Ok(df.column(name)?.f64()?.iter().collect())
}

/// Optional i32s of a column.
pub(crate) fn i32s(df: &DataFrame, name: &str) -> Result<Vec<Option<i32>>, AnalysisError> {
    Ok(df.column(name)?.i32()?.iter().collect())
}

/// Optional i64s of a column.
pub(crate) fn i64s(df: &DataFrame, name: &str) -> Result<Vec<Option<i64>>, AnalysisError> {
    Ok(df.column(name)?.i64()?.iter().collect())
}
