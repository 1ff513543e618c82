//! Survey ingest: Ungdata-style respondent exports → the canonical respondent table →
//! aggregated survey cells ready for disclosure control.
//!
//! - [`read_csv`] reads one export (`;` or `,`, UTF-8 with/without BOM or Windows-1252),
//!   maps its columns through the codebook (aliases for names that drift between years),
//!   harmonises municipality numbers, validates every value and sends every bad row to the
//!   quarantine with file, row, column and reason. Every file reconciles:
//!   rows read = rows accepted + rows quarantined.
//! - [`read_sav`] reads SPSS `.sav`/`.zsav` exports (labels kept as metadata) through the
//!   same validation as CSV; [`read_parquet`] does the same for Parquet exports.
//! - The `stream_*` forms of the readers take a file (any `Read + Seek` source) and hand
//!   accepted rows to a [`Sink`] in chunks of [`CHUNK_ROWS`], so a national-size export is
//!   never held in memory: the CLI writes each chunk to the respondents Parquet file
//!   ([`RespondentsWriter`]) and adds it to an [`Aggregator`].
//! - CSV and SPSS rows are checked on every core: the calling thread reads the file a
//!   unit at a time (2 MB of whole CSV records, 2,048 SPSS cases), worker threads split and
//!   check the rows, and the calling thread takes them back in file order, so the duplicate
//!   check, the quarantine and the chunks are the same as one thread would make them.
//! - [`aggregate`] turns respondents into numerator/denominator cells per
//!   indicator × municipality × survey year × grade × gender, totals included.
//! - [`read_reference`] reads published reference levels (national figures) to compare with.
//! - [`check_csv`] and [`check_sav`] compare a file's variables, codes and value labels with
//!   the codebook before it is imported (codebook drift).
//!
//! This crate must not depend on the police ingest, must not protect or publish anything,
//! and must never put an answer value in an error, a log line or the quarantine file.

// Leaf modules first, front ends last: options, sink, seen ids and columns import nothing
// of each other; `check` uses them; `parallel` runs `check` on every core; `split` cuts CSV
// bodies for it; the CSV, SPSS and Parquet front ends sit on top.
mod aggregate;
mod check;
mod columns;
mod csv_in;
mod drift;
mod options;
mod parallel;
mod parquet_in;
mod reference;
mod sav;
mod seen;
mod sink;
mod split;
mod table;

pub use aggregate::{Aggregator, GENDERS, GRADES, SurveyCell, SurveyCells, aggregate, grade_label};
pub use csv_in::{read_csv, stream_csv};
pub use drift::{DriftKind, DriftReport, Finding, check_csv, check_sav, drift_table};
pub use options::{CHUNK_ROWS, InvalidAnswer, Progress, ReadOptions, Sink};
pub use parquet_in::{read_parquet, stream_parquet};
pub use reference::read_reference;
pub use sav::{SavLabels, read_sav, stream_sav};
pub use seen::SeenIds;
pub use sink::with_background_sink;
pub use table::{AnswerColumn, Respondents, RespondentsWriter, TextColumn};

pub use oppvekst_schema::quarantine::QuarantinedRow;

/// Per-file accounting for the run summary.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileReport {
    /// File name.
    pub file: String,
    /// Encoding detected or declared.
    pub encoding: &'static str,
    /// Field separator.
    pub delimiter: char,
    /// Data rows read (header excluded).
    pub rows_read: u64,
    /// Rows accepted into the respondent table.
    pub rows_accepted: u64,
    /// Rows sent to quarantine.
    pub rows_quarantined: u64,
    /// Source columns the codebook does not know (reported, not imported).
    pub unknown_columns: Vec<String>,
    /// Per codebook item the file holds, the answers of its accepted rows.
    pub answers: Vec<AnswerCount>,
    /// Answers outside their item's valid codes, read as missing (file, row, column,
    /// reason; never the value), in file order. Their rows are accepted.
    #[serde(skip)]
    pub invalid_answers: Vec<QuarantinedRow>,
}

impl FileReport {
    /// rows read = rows accepted + rows quarantined, and for every item
    /// answers read = valid + missing + invalid.
    pub fn reconciles(&self) -> bool {
        self.rows_read == self.rows_accepted + self.rows_quarantined
            && self.answers.iter().all(AnswerCount::reconciles)
            && self.answers.iter().map(|a| a.invalid).sum::<u64>()
                == self.invalid_answers.len() as u64
    }
}

/// The answers one item received in the accepted rows of a file (or a run).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct AnswerCount {
    /// Codebook item id.
    pub item: String,
    /// Answers read: one per accepted row.
    pub read: u64,
    /// Answers within the item's valid codes.
    pub valid: u64,
    /// Blank or a missing code.
    pub missing: u64,
    /// Outside the valid codes: read as missing and listed in the quarantine.
    pub invalid: u64,
}

impl AnswerCount {
    /// answers read = valid + missing + invalid.
    pub fn reconciles(&self) -> bool {
        self.read == self.valid + self.missing + self.invalid
    }
}

/// A file that cannot be used at all. Nothing of it is imported.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The file has no header line.
    #[error("{file}: the file is empty (no header line)")]
    Empty {
        /// File name.
        file: String,
    },
    /// A required variable is absent.
    #[error("{file}: required column missing: {variable} (looked for {aliases})")]
    MissingColumn {
        /// File name.
        file: String,
        /// Canonical variable.
        variable: String,
        /// Aliases tried.
        aliases: String,
    },
    /// Two source columns map to the same canonical variable.
    #[error("{file}: columns `{first}` and `{second}` both map to `{variable}`")]
    AmbiguousColumn {
        /// File name.
        file: String,
        /// Canonical variable.
        variable: String,
        /// First source column.
        first: String,
        /// Second source column.
        second: String,
    },
    /// The header itself could not be parsed.
    #[error("{file}: line 1: unreadable header: {message}")]
    Header {
        /// File name.
        file: String,
        /// Parser message.
        message: String,
    },
    /// The file cannot be read at all (not the declared format, truncated, damaged).
    #[error("{file}: {message}")]
    Unusable {
        /// File name.
        file: String,
        /// What is wrong (structure, never values).
        message: String,
    },
    /// What the accepted rows were handed to (a stage file, an aggregation) failed.
    #[error("{message}")]
    Stage {
        /// What failed (never values).
        message: String,
    },
    /// Too many rows are bad for the file to be trusted.
    #[error(
        "{file}: {bad} of {read} rows failed validation; the file looks wrong as a whole (wrong export, wrong separator or wrong encoding?)"
    )]
    MostlyInvalid {
        /// File name.
        file: String,
        /// Bad rows.
        bad: u64,
        /// Rows read.
        read: u64,
    },
}
