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
use arrow57::array::{Array, AsArray, RecordBatch};
use arrow57::buffer::NullBuffer;
use arrow57::datatypes::{DataType, Float64Type};
use oppvekst_schema::{Catalogue, Harmoniser};

use crate::check::{CODE_BLANK, Checker, Record, Validator};
use crate::options::{ReadOptions, Sink};
use crate::parallel::{Rows, check_in_order};
use crate::seen::SeenIds;
use crate::sink::collect;
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

/// One column of a batch of cases, typed once per batch (not once per value).
enum SavColumn<'b> {
    /// Numbers, with the codes the file declares user-missing.
    Number {
        values: &'b [f64],
        nulls: Option<&'b NullBuffer>,
        specs: &'b [MissingSpec],
        /// An item's answers: whole codes 0..=99 go to the record as codes, not text.
        answer: bool,
    },
    /// Text.
    Text(&'b dyn Array),
    /// Dates and durations are not survey answers; an unknown column with them is
    /// reported by name like any other and never imported.
    Other,
}

impl<'b> SavColumn<'b> {
    fn new(col: &'b dyn Array, specs: &'b [MissingSpec], answer: bool) -> Self {
        match col.data_type() {
            DataType::Float64 => SavColumn::Number {
                values: col.as_primitive::<Float64Type>().values(),
                nulls: col.nulls(),
                specs,
                answer,
            },
            DataType::Utf8View | DataType::Utf8 | DataType::LargeUtf8 => SavColumn::Text(col),
            _ => SavColumn::Other,
        }
    }

    /// Adds cases `start..` of this column to `cases` (one record per case), as an export
    /// would write them (nothing for a missing value); whole answer codes as codes.
    fn push(&self, start: usize, cases: &mut [Record]) {
        match *self {
            SavColumn::Number {
                values,
                nulls,
                specs,
                answer,
            } => {
                let values = values.get(start..).unwrap_or(&[]);
                for (j, (rec, &x)) in cases.iter_mut().zip(values).enumerate() {
                    // A whole code 0..=99 (most values), written without formatting.
                    let small = x as u8;
                    let blank = nulls.is_some_and(|n| n.is_null(start + j))
                        || (!specs.is_empty() && is_user_missing(x, specs));
                    let whole = f64::from(small) == x && small < 100;
                    match (answer, blank, whole) {
                        (true, true, _) => rec.push_code(CODE_BLANK),
                        (true, false, true) => rec.push_code(small),
                        (false, true, _) => rec.push_field(b""),
                        (false, false, true) if small < 10 => rec.push_field(&[b'0' + small]),
                        (false, false, true) => {
                            rec.push_field(&[b'0' + small / 10, b'0' + small % 10]);
                        }
                        (_, false, false) => {
                            let mut text = String::new();
                            number_text(&mut text, x);
                            rec.push_field(text.as_bytes());
                        }
                    }
                }
            }
            SavColumn::Text(col) => {
                for (j, rec) in cases.iter_mut().enumerate() {
                    let i = start + j;
                    let text = if col.is_null(i) {
                        ""
                    } else {
                        match col.data_type() {
                            DataType::Utf8View => col.as_string_view().value(i),
                            DataType::Utf8 => col.as_string::<i32>().value(i),
                            _ => col.as_string::<i64>().value(i),
                        }
                    };
                    rec.push_field(text.trim_end().as_bytes());
                }
            }
            SavColumn::Other => cases.iter_mut().for_each(|rec| rec.push_field(b"")),
        }
    }
}

/// Cases laid out as rows together.
const CASE_BLOCK: usize = 64;

/// Cases per batch read from a `.sav` file. Measured on the ingest benchmark: batches of
/// 10,240 cases (which ambers lays out on every core), three out at a time, were slower
/// and took 12 % more memory.
const SAV_BATCH: usize = 2 * 1024;

/// Batches read and not yet taken back, at most.
const BATCHES_IN_FLIGHT: usize = 8;

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
    let mut v = Validator::new(Checker::binary(file, &names, cat, harmoniser, opts)?, seen);
    let answers = v.parts().0.item_columns();
    let total = meta.number_rows.map(|n| n.max(0) as u64);
    let mut case = 0u64;
    check_in_order(
        file,
        BATCHES_IN_FLIGHT,
        &mut v,
        sink,
        |_spent| {
            let batch = scanner.next_batch().map_err(unreadable)?;
            Ok(batch.map(|batch| {
                let first = case;
                case += batch.num_rows() as u64;
                (first, batch)
            }))
        },
        || {
            // Cases are laid out as rows a block at a time, column by column: the values
            // of one column lie together, those of one case 155 columns apart.
            let mut block = vec![Record::default(); CASE_BLOCK];
            let (specs, answers) = (&specs, &answers);
            move |(first, batch): &(u64, RecordBatch), rows: &mut Rows<'_>| {
                let columns: Vec<SavColumn<'_>> = batch
                    .columns()
                    .iter()
                    .zip(specs)
                    .zip(answers)
                    .map(|((c, specs), &answer)| SavColumn::new(c.as_ref(), specs, answer))
                    .collect();
                for start in (0..batch.num_rows()).step_by(CASE_BLOCK) {
                    let cases = &mut block[..CASE_BLOCK.min(batch.num_rows() - start)];
                    cases.iter_mut().for_each(Record::clear);
                    for c in &columns {
                        c.push(start, cases);
                    }
                    for (j, rec) in cases.iter().enumerate() {
                        // Case k of the file (1-based) is row k + 1, as in its CSV form.
                        rows(first + (start + j) as u64 + 2, rec.view());
                    }
                }
            }
        },
        |(first, batch)| {
            if let Some(p) = &opts.progress {
                let done = first + batch.num_rows() as u64;
                (p.0)(done, total.map_or(done, |n| n.max(done)));
            }
        },
    )?;
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
    let labels = sav_labels(&meta);
    Ok((report, quarantine, labels))
}

/// The labels and user-missing codes a file's dictionary declares.
pub(crate) fn sav_labels(meta: &ambers::SpssMetadata) -> SavLabels {
    SavLabels {
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
    }
}
