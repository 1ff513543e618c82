//! How a file is read (declared encoding and separator, progress) and where its accepted
//! rows go (the sink). A leaf module: it imports nothing else of this crate but the
//! respondent table and the errors.

use std::sync::Arc;

use oppvekst_schema::text::Encoding;

use crate::{IngestError, Respondents};

/// Reports how far a read has come: `(done, all)` — bytes of a CSV source, cases of an SPSS
/// or Parquet export — every few thousand rows (every 2 MB of a CSV) and once at the end
/// (for a progress bar on large files).
#[derive(Clone)]
pub struct Progress(pub Arc<dyn Fn(u64, u64) + Send + Sync>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress")
    }
}

/// What an answer outside its item's valid codes costs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InvalidAnswer {
    /// The answer is read as missing for that item and listed in the quarantine; the rest
    /// of the row counts.
    #[default]
    Item,
    /// The whole row is quarantined.
    Row,
}

/// How to read a file; `None` means detect.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Declared encoding (when detection is ambiguous).
    pub encoding: Option<Encoding>,
    /// Declared separator.
    pub delimiter: Option<u8>,
    /// A file with more than this share of bad rows fails as a whole.
    pub max_bad_share: f64,
    /// Progress callback, if any.
    pub progress: Option<Progress>,
    /// What an invalid answer costs.
    pub on_invalid_answer: InvalidAnswer,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            encoding: None,
            delimiter: None,
            max_bad_share: 0.5,
            progress: None,
            on_invalid_answer: InvalidAnswer::Item,
        }
    }
}

/// Accepted rows are handed to the sink in chunks of at most this many rows.
pub const CHUNK_ROWS: usize = 8 * 1024;

/// Where accepted rows go, chunk by chunk (for example a Parquet writer and an aggregator).
/// The sink may hand back an emptied table whose buffers the reader fills next (so memory
/// is reused rather than asked of the system for every chunk). An error from the sink stops
/// the read and is returned as it is.
pub type Sink<'a> = dyn FnMut(Respondents) -> Result<Option<Respondents>, IngestError> + 'a;
