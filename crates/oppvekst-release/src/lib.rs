//! The release: what a quarter publishes and how, as a library the `oppvekst` binary only
//! calls.
//!
//! - [`config`]: the settings of a run (paths, municipalities, region, thresholds, report),
//!   parsed from TOML text with unknown keys as errors.
//! - [`inputs`]: reading the inbox's survey exports, police extracts, population and
//!   reference files, with quarantine and reconciliation (rows read = accepted +
//!   quarantined), and importing police extracts into the history store.
//! - [`tables`]: the tables a quarter publishes (survey, police, flags) with their
//!   hierarchies, the region plan and its coverage, and which police quarters are complete.
//! - [`run`]: the whole run — [`run::run_demo`] for a stand-alone release and
//!   [`run::run_quarter`] for the analyst's quarterly job — protecting every table
//!   consistently with the ledger of earlier releases, analysing, and writing the bundle.
//!   Both return a typed [`run::RunSummary`].
//!
//! Progress and messages go through a [`Reporter`]; this crate never prints. It must not
//! hold statistics or disclosure logic of its own (those are the analysis, disclosure and
//! audit crates), and it never puts a respondent's answer or a confidential cell value in a
//! message or an error.

pub mod config;
pub mod inputs;
pub mod ledger_store;
pub mod lock;
pub mod official;
pub mod preflight;
pub mod run;
pub mod tables;

use std::path::PathBuf;

pub use config::Config;
pub use run::{QuarterRun, RunSummary, run_demo, run_quarter};

/// Where a run reports progress and messages (the CLI draws bars and prints lines). Every
/// method has a default that does nothing, so a test can pass [`Silent`].
pub trait Reporter: Sync {
    /// A line for the analyst: counts, file names and positions, never a data value.
    fn line(&self, _text: &str) {}
    /// A step over `files` files starts (`what`: "survey", "police").
    fn begin(&self, _what: &str, _files: usize) {}
    /// One file of the current step is done.
    fn advance(&self) {}
    /// The current step is done.
    fn end(&self) {}
    /// Progress through one large file; `bytes`: `done` and `all` are bytes, else rows.
    /// Returns the callback that receives `(done, all)`, or None for no progress.
    fn file(&self, _name: &str, _bytes: bool) -> Option<FileProgress> {
        None
    }
}

/// Progress through one file: `update(done, all)` while it is read, `finish()` at the end.
pub struct FileProgress {
    /// Called with `(done, all)`.
    pub update: std::sync::Arc<dyn Fn(u64, u64) + Send + Sync>,
    /// Called once the file is read.
    pub finish: Box<dyn FnOnce() + Send>,
}

/// A reporter that reports nothing.
pub struct Silent;

impl Reporter for Silent {}

/// Release failures. Messages name files, tables and cells by position or code, never a
/// confidential value.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// The configuration is invalid.
    #[error("{0}")]
    Config(String),
    /// A file could not be read or written.
    #[error("{path}: {message}")]
    File {
        /// File concerned.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The inputs cannot make a release (no files, a missing quarter, nothing publishable).
    #[error("{0}")]
    Input(String),
    /// Another process holds the work folder's lock.
    #[error("{0}")]
    Busy(String),
    /// Rows read ≠ rows accepted + rows quarantined.
    #[error("{what}: rows read ({read}) ≠ accepted ({accepted}) + quarantined ({quarantined})")]
    Reconciliation {
        /// Source.
        what: String,
        /// Rows read.
        read: u64,
        /// Rows accepted.
        accepted: u64,
        /// Rows quarantined.
        quarantined: u64,
    },
    /// Survey files coded otherwise than the codebook says: nothing is imported.
    #[error(
        "survey files disagree with the codebook in ways that would change figures; nothing was imported (see `oppvekst codebook check FILE…`):\n{}",
        oppvekst_ingest_survey::drift_table(.0, false)
    )]
    CodebookDrift(Vec<oppvekst_ingest_survey::DriftReport>),
    /// Survey ingest.
    #[error(transparent)]
    Survey(#[from] oppvekst_ingest_survey::IngestError),
    /// Police ingest.
    #[error(transparent)]
    Police(#[from] oppvekst_ingest_police::PoliceError),
    /// Population tables.
    #[error(transparent)]
    Population(#[from] oppvekst_ingest_police::ssb::SsbError),
    /// The history store.
    #[error(transparent)]
    Store(#[from] oppvekst_ingest_police::history::StoreError),
    /// Disclosure control, including a protection that cannot reach the requirement.
    #[error(transparent)]
    Disclosure(#[from] oppvekst_disclosure::DisclosureError),
    /// Analysis.
    #[error(transparent)]
    Analysis(#[from] oppvekst_analysis::AnalysisError),
    /// Writing the bundle.
    #[error(transparent)]
    Bundle(#[from] oppvekst_bundle::BundleError),
    /// Catalogue.
    #[error(transparent)]
    Catalogue(#[from] oppvekst_schema::CatalogueError),
    /// Municipality code list.
    #[error(transparent)]
    Municipality(#[from] oppvekst_schema::MunicipalityError),
    /// Atomic file writes.
    #[error(transparent)]
    Io(#[from] oppvekst_schema::io::IoError),
}

/// An I/O error on `path` as a [`ReleaseError`].
pub(crate) fn file_err(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> ReleaseError + '_ {
    move |e| ReleaseError::File {
        path: path.to_owned(),
        message: e.to_string(),
    }
}
