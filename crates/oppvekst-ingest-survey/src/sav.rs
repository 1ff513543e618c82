//! SPSS `.sav` / `.zsav` exports (the data archive's format), read with the `ambers` crate:
//! uncompressed, bytecode-compressed and zlib-compressed files, with variable and value
//! labels kept as metadata.
//!
//! The cases are laid out as a UTF-8 table in memory and validated by exactly the same code
//! as a CSV export ([`crate::read_csv`]), so a `.sav` and the CSV of the same data give the
//! same respondents, the same quarantine and the same reconciliation. Values declared
//! user-missing in the file (for example 98/99 "Vet ikke"/"Ikke svart") and system-missing
//! values become blanks (missing). Rows in the quarantine are counted like the CSV's lines:
//! case k is row k + 1.

use std::collections::BTreeMap;
use std::io::Cursor;

use ambers::MissingSpec;
use arrow57::array::{Array, AsArray};
use arrow57::datatypes::{DataType, Float64Type};
use oppvekst_schema::{Catalogue, Harmoniser};

use crate::read::{ReadOptions, SeenIds, read_laid_out};
use crate::{FileReport, IngestError, QuarantinedRow, Respondents};

/// Labels a `.sav` file carries, kept for the run's metadata (never answers).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct SavLabels {
    /// The file label.
    pub file_label: String,
    /// Variable → label.
    pub variable_labels: BTreeMap<String, String>,
    /// Variable → code → value label.
    pub value_labels: BTreeMap<String, BTreeMap<String, String>>,
    /// Variable → user-missing codes declared in the file.
    pub missing_codes: BTreeMap<String, Vec<String>>,
}

pub(crate) fn number_text(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// The kind of a reader error, never its text: some messages quote bytes of the file (a
/// CSV passed as `.sav` would put answers into the "magic number").
fn sav_error_kind(e: &ambers::error::SpssError) -> &'static str {
    use ambers::error::SpssError as E;
    match e {
        E::Io(_) | E::TruncatedFile { .. } => "truncated or unreadable",
        E::InvalidMagic { .. } => "no SPSS signature",
        E::UnsupportedCompression(_) | E::Unsupported(_) => "unsupported SPSS feature",
        E::Zlib(_) => "damaged compressed data",
        E::Encoding(_) => "undecodable text",
        _ => "damaged file structure",
    }
}

fn is_user_missing(v: f64, specs: &[MissingSpec]) -> bool {
    specs.iter().any(|s| match s {
        MissingSpec::Value(m) => *m == v,
        MissingSpec::Range { lo, hi } => *lo <= v && v <= *hi,
        MissingSpec::StringValue(_) => false,
    })
}

/// Reads one `.sav` or `.zsav` export. A file that is not SPSS, or is truncated or damaged,
/// fails as a whole with one error naming the file (nothing of it is imported).
pub fn read_sav(
    file: &str,
    bytes: &[u8],
    cat: &Catalogue,
    harmoniser: &Harmoniser,
    opts: &ReadOptions,
    seen: &mut SeenIds,
) -> Result<(Respondents, FileReport, Vec<QuarantinedRow>, SavLabels), IngestError> {
    let unusable = |message: String| IngestError::Unusable {
        file: file.to_owned(),
        message,
    };
    let (batch, meta) = ambers::read_sav_from_reader(Cursor::new(bytes))
        .map_err(|e| unusable(format!("not a readable SPSS file ({})", sav_error_kind(&e))))?;
    if !meta.warnings.is_empty() {
        return Err(unusable(
            "damaged SPSS file (its header disagrees with its contents)".into(),
        ));
    }
    if let Some(n) = meta.number_rows
        && n >= 0
        && n as usize != batch.num_rows()
    {
        return Err(unusable(format!(
            "truncated SPSS file: the header promises {n} cases, {} were found",
            batch.num_rows()
        )));
    }
    let names: Vec<String> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    let csv_err = |_: csv::Error| unusable("cannot lay out the cases".into());
    w.write_record(&names).map_err(csv_err)?;
    let no_specs = Vec::new();
    let mut row = vec![String::new(); names.len()];
    for i in 0..batch.num_rows() {
        for (c, col) in batch.columns().iter().enumerate() {
            let specs = meta
                .variable_missing_values
                .get(&names[c])
                .unwrap_or(&no_specs);
            row[c] = if col.is_null(i) {
                String::new()
            } else {
                match col.data_type() {
                    DataType::Float64 => {
                        let v = col.as_primitive::<Float64Type>().value(i);
                        if is_user_missing(v, specs) {
                            String::new()
                        } else {
                            number_text(v)
                        }
                    }
                    DataType::Utf8View => col.as_string_view().value(i).trim_end().to_owned(),
                    DataType::Utf8 => col.as_string::<i32>().value(i).trim_end().to_owned(),
                    DataType::LargeUtf8 => col.as_string::<i64>().value(i).trim_end().to_owned(),
                    // Dates and durations are not survey answers; an unknown column with
                    // them is reported by name like any other and never imported.
                    _ => String::new(),
                }
            };
        }
        w.write_record(&row).map_err(csv_err)?;
    }
    let table = w
        .into_inner()
        .map_err(|_| unusable("cannot lay out the cases".into()))?;
    let (respondents, report, quarantine) =
        read_laid_out(file, &table, cat, harmoniser, opts, seen, "SPSS")?;
    let labels = SavLabels {
        file_label: meta.file_label.clone(),
        variable_labels: meta
            .variable_labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        value_labels: meta
            .variable_value_labels
            .iter()
            .map(|(var, labels)| {
                let codes = labels
                    .iter()
                    .map(|(code, label)| {
                        let code = match code {
                            ambers::Value::Numeric(v) => number_text(*v),
                            ambers::Value::String(s) => s.trim_end().to_owned(),
                        };
                        (code, label.clone())
                    })
                    .collect();
                (var.clone(), codes)
            })
            .collect(),
        missing_codes: meta
            .variable_missing_values
            .iter()
            .map(|(var, specs)| {
                let codes = specs
                    .iter()
                    .map(|s| match s {
                        MissingSpec::Value(v) => number_text(*v),
                        MissingSpec::Range { lo, hi } => {
                            format!("{}–{}", number_text(*lo), number_text(*hi))
                        }
                        MissingSpec::StringValue(s) => s.trim_end().to_owned(),
                    })
                    .collect();
                (var.clone(), codes)
            })
            .collect(),
    };
    Ok((respondents, report, quarantine, labels))
}
