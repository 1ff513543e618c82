//! The quarantine record shared by both ingest crates: where a rejected row is and why,
//! never its values.

/// One quarantined row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QuarantinedRow {
    /// File name.
    pub file: String,
    /// 1-based line number in the file (the header is line 1).
    pub row: u64,
    /// Source column concerned, when one is.
    pub column: Option<String>,
    /// Why the row was set aside.
    pub reason: String,
}
