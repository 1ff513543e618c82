//! SPSS `.sav` / `.zsav` exports (the data archive's format), read with the `ambers` crate:
//! uncompressed, bytecode-compressed and zlib-compressed files, with variable and value
//! labels kept as metadata.
//!
//! The cases are read in batches and each is validated by exactly the same code as a CSV
//! export's row ([`crate::read_csv`]), so a `.sav` and the CSV of the same data give the
//! same respondents, the same quarantine and the same reconciliation. Values declared
//! user-missing in the file (for example 98/99 "Vet ikke"/"Ikke svart") and system-missing
//! values become blanks (missing). Rows in the quarantine are counted like the CSV's lines:
//! case k is row k + 1.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Seek};

use ambers::MissingSpec;
use arrow57::array::{Array, AsArray};
use arrow57::datatypes::{DataType, Float64Type};
use oppvekst_schema::{Catalogue, Harmoniser};

use oppvekst_schema::text::Encoding;

use crate::check::Validator;
use crate::read::{ReadOptions, SeenIds, Sink, collect};
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

/// Writes a number as an export would: whole numbers without a trailing `.0`.
pub(crate) fn number_text(out: &mut String, v: f64) {
    use std::fmt::Write;
    // Writing to a String cannot fail.
    let _ = if v.fract() == 0.0 && v.abs() < 1e15 {
        write!(out, "{}", v as i64)
    } else {
        write!(out, "{v}")
    };
}

fn number_string(v: f64) -> String {
    let mut s = String::new();
    number_text(&mut s, v);
    s
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

/// Reads one `.sav` or `.zsav` export held in memory; see [`stream_sav`].
pub fn read_sav(
    file: &str,
    bytes: &[u8],
    cat: &Catalogue,
    harmoniser: &Harmoniser,
    opts: &ReadOptions,
    seen: &mut SeenIds,
) -> Result<(Respondents, FileReport, Vec<QuarantinedRow>, SavLabels), IngestError> {
    let (r, (report, q, labels)) = collect(cat, |sink| {
        stream_sav(file, Cursor::new(bytes), cat, harmoniser, opts, seen, sink)
    })?;
    Ok((r, report, q, labels))
}

/// Cases per batch read from a `.sav` file.
const SAV_BATCH: usize = 4 * 1024;

/// Reads one `.sav` or `.zsav` export batch by batch and validates its cases like a CSV
/// export's rows, sending accepted rows to `sink`. A file that is not SPSS, or is truncated
/// or damaged, fails as a whole with one error naming the file (the caller discards what
/// reached the sink, as for [`crate::stream_csv`]).
pub fn stream_sav<R: Read + Seek>(
    file: &str,
    src: R,
    cat: &Catalogue,
    harmoniser: &Harmoniser,
    opts: &ReadOptions,
    seen: &mut SeenIds,
    sink: &mut Sink<'_>,
) -> Result<(FileReport, Vec<QuarantinedRow>, SavLabels), IngestError> {
    let unusable = |message: String| IngestError::Unusable {
        file: file.to_owned(),
        message,
    };
    let unreadable = |e: ambers::error::SpssError| {
        unusable(format!("not a readable SPSS file ({})", sav_error_kind(&e)))
    };
    let mut scanner = ambers::scan_sav_from_reader(src, SAV_BATCH).map_err(unreadable)?;
    let names: Vec<String> = scanner
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let meta = scanner.metadata().clone();
    let no_specs = Vec::new();
    let specs: Vec<&Vec<MissingSpec>> = names
        .iter()
        .map(|n| meta.variable_missing_values.get(n).unwrap_or(&no_specs))
        .collect();
    let mut v = Validator::new(file, names.clone(), Encoding::Utf8, cat, harmoniser, seen)?;
    let mut case = 0u64;
    while let Some(batch) = scanner.next_batch().map_err(unreadable)? {
        let columns = batch.columns();
        case = v.cases(
            batch.num_rows(),
            |i, c, out| {
                let col = &columns[c];
                if col.is_null(i) {
                    return;
                }
                match col.data_type() {
                    DataType::Float64 => {
                        let x = col.as_primitive::<Float64Type>().value(i);
                        if !is_user_missing(x, specs[c]) {
                            number_text(out, x);
                        }
                    }
                    DataType::Utf8View => out.push_str(col.as_string_view().value(i).trim_end()),
                    DataType::Utf8 => out.push_str(col.as_string::<i32>().value(i).trim_end()),
                    DataType::LargeUtf8 => out.push_str(col.as_string::<i64>().value(i).trim_end()),
                    // Dates and durations are not survey answers; an unknown column with
                    // them is reported by name like any other and never imported.
                    _ => {}
                }
            },
            sink,
        )?;
        if let Some(p) = &opts.progress {
            (p.0)(
                case,
                meta.number_rows
                    .map_or(case, |n| (n.max(0) as u64).max(case)),
            );
        }
    }
    if !scanner.metadata().warnings.is_empty() {
        return Err(unusable(
            "damaged SPSS file (its header disagrees with its contents)".into(),
        ));
    }
    if let Some(n) = meta.number_rows
        && n >= 0
        && n as u64 != case
    {
        return Err(unusable(format!(
            "truncated SPSS file: the header promises {n} cases, {case} were found"
        )));
    }
    let (report, quarantine) = v.finish(false, "SPSS", ';', opts, sink)?;
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
                            ambers::Value::Numeric(v) => number_string(*v),
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
                        MissingSpec::Value(v) => number_string(*v),
                        MissingSpec::Range { lo, hi } => {
                            format!("{}–{}", number_string(*lo), number_string(*hi))
                        }
                        MissingSpec::StringValue(s) => s.trim_end().to_owned(),
                    })
                    .collect();
                (var.clone(), codes)
            })
            .collect(),
    };
    Ok((report, quarantine, labels))
}
