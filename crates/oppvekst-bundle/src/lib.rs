//! The chart bundle the SLT arbeidsutvalg opens: `index.html` (Norwegian bokmål, offline,
//! no external resources), charts in PNG and SVG, tables as CSV for Norwegian Excel
//! (UTF-8 with BOM, `;`, decimal comma), Parquet for notebooks and
//! `manifest.json` with the SHA-256 of every file and every input, and `oppvekst-pakke.zip`
//! holding all of it.
//!
//! [`write_bundle`] accepts only [`Protected`] tables and re-checks the primary rules before
//! it writes anything. It assembles the bundle in a `.partial` sibling folder and renames it
//! into place at the end, so a crash never leaves a half-written bundle under the final
//! name. Output is deterministic: no clock, sorted maps, fixed fonts.
//!
//! This crate must not compute statistics (that is the analysis stage) nor see a hidden value.

mod chart_specs;
mod csv_out;
mod gaps;
mod report;
pub mod sentences;

pub use csv_out::suppression_log_csv;

use std::fs;
use std::path::{Path, PathBuf};

use oppvekst_analysis::{
    Change, Comparisons, Denominators, PoliceAnalysis, SurveyAnalysis, protected_frame,
    write_parquet,
};
use oppvekst_charts::MunicipalityStyle;
use oppvekst_disclosure::{Protected, ProtectedTable, Rules, check_primary};
use oppvekst_schema::Catalogue;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// An input file, listed in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputFile {
    /// Name (relative path in the inbox).
    pub name: String,
    /// SHA-256, hex.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
}

impl InputFile {
    /// Describes a file from its bytes.
    pub fn from_bytes(name: &str, bytes: &[u8]) -> Self {
        InputFile {
            name: name.to_owned(),
            sha256: sha256_hex(bytes),
            bytes: bytes.len() as u64,
        }
    }

    /// A reader of `inner` that hashes the file as it is read, so that a reader going through
    /// the file once (a parser) also gives its digest: see [`HashingReader::finish`].
    pub fn hashing<R: std::io::Read + std::io::Seek>(name: &str, inner: R) -> HashingReader<R> {
        HashingReader {
            name: name.to_owned(),
            inner,
            pos: 0,
            hashed: 0,
            hasher: Sha256::new(),
        }
    }
}

/// A reader that hashes the bytes it reads in file order (the stretch from the start up
/// to the furthest byte read without a gap); bytes it skipped are read at
/// [`HashingReader::finish`], so the digest is always of the whole file, and a parser that
/// reads the file once from the start reads it only once.
pub struct HashingReader<R> {
    name: String,
    inner: R,
    /// Where the next read starts.
    pos: u64,
    /// Bytes hashed so far: the file's first `hashed` bytes.
    hashed: u64,
    hasher: Sha256,
}

impl<R: std::io::Read + std::io::Seek> std::io::Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let (start, end) = (self.pos, self.pos + n as u64);
        if start <= self.hashed && end > self.hashed {
            // `hashed - start` < n: the new bytes continue the hashed stretch.
            let skip = (self.hashed - start) as usize;
            self.hasher.update(&buf[skip..n]);
            self.hashed = end;
        }
        self.pos = end;
        Ok(n)
    }
}

impl<R: std::io::Read + std::io::Seek> std::io::Seek for HashingReader<R> {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        self.pos = self.inner.seek(to)?;
        Ok(self.pos)
    }
}

impl<R: std::io::Read + std::io::Seek> HashingReader<R> {
    /// The file's description: the bytes not yet hashed are read now (none after a parser
    /// that read to the end).
    pub fn finish(mut self) -> std::io::Result<InputFile> {
        self.inner.seek(std::io::SeekFrom::Start(self.hashed))?;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = match self.inner.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            self.hasher.update(&buf[..n]);
            self.hashed += n as u64;
        }
        Ok(InputFile {
            name: self.name,
            sha256: hex::encode(self.hasher.finalize()),
            bytes: self.hashed,
        })
    }
}

/// A file of the inbox the run did not read, and why (a file outside the source folders,
/// a hidden or temporary file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotRead {
    /// Name relative to the inbox.
    pub file: String,
    /// Why it was not read.
    pub reason: String,
}

/// One line of the plausibility check against SSB's official 08487.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfficialComparison {
    /// Municipality name.
    pub municipality: String,
    /// SSB's period (`2024`, `2024-2025`).
    pub period: String,
    /// Offence group code (`alle` for all groups).
    pub group: String,
    /// The local extract's offences reported, average per year, from published cells only
    /// (None: a quarter of the period is hidden).
    pub local: Option<f64>,
    /// SSB's figure, when it is a number.
    pub ssb: Option<f64>,
    /// SSB's symbol when it is not (`:`, `..`, `.`).
    pub ssb_symbol: Option<&'static str>,
}

/// Reconciliation of one input source (survey or police).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reconciliation {
    /// `Ungdata` or `Politi`.
    pub source: String,
    /// Files read.
    pub files: u64,
    /// Rows read.
    pub read: u64,
    /// Rows accepted.
    pub accepted: u64,
    /// Rows quarantined.
    pub quarantined: u64,
    /// Survey only: per questionnaire item, the answers of the accepted rows (read = valid +
    /// missing + invalid; an invalid answer is read as missing and listed in the
    /// quarantine). Empty for other sources.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<AnswerReconciliation>,
}

/// The answers one questionnaire item received in the accepted rows of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AnswerReconciliation {
    /// Codebook item id.
    pub item: String,
    /// Answers read (one per accepted row of a file that has the item).
    pub read: u64,
    /// Within the item's valid codes.
    pub valid: u64,
    /// Blank or a missing code.
    pub missing: u64,
    /// Outside the valid codes.
    pub invalid: u64,
}

impl Reconciliation {
    /// An empty account for a source.
    pub fn new(source: &str) -> Self {
        Reconciliation {
            source: source.to_owned(),
            files: 0,
            read: 0,
            accepted: 0,
            quarantined: 0,
            answers: Vec::new(),
        }
    }

    /// Adds one file's answers to an item's account (items kept in first-seen order).
    pub fn add_answers(&mut self, item: &str, read: u64, valid: u64, missing: u64, invalid: u64) {
        let i = match self.answers.iter().position(|a| a.item == item) {
            Some(i) => i,
            None => {
                self.answers.push(AnswerReconciliation {
                    item: item.to_owned(),
                    ..AnswerReconciliation::default()
                });
                self.answers.len() - 1
            }
        };
        let a = &mut self.answers[i];
        a.read += read;
        a.valid += valid;
        a.missing += missing;
        a.invalid += invalid;
    }

    /// Adds one file's rows.
    pub fn add_file(&mut self, read: u64, accepted: u64, quarantined: u64) {
        self.files += 1;
        self.read += read;
        self.accepted += accepted;
        self.quarantined += quarantined;
    }

    /// rows read = rows accepted + rows quarantined, and for every item answers read =
    /// valid + missing + invalid.
    pub fn reconciles(&self) -> bool {
        self.read == self.accepted + self.quarantined
            && self
                .answers
                .iter()
                .all(|a| a.read == a.valid + a.missing + a.invalid)
    }
}

/// The display name of a municipality code (the code itself when it is not configured).
pub(crate) fn municipality_name<'a>(input: &'a BundleInput<'_>, code: &'a str) -> &'a str {
    input
        .municipalities
        .iter()
        .find(|m| m.code == code)
        .map(|m| m.name.as_str())
        .unwrap_or(code)
}

/// Everything the bundle shows.
pub struct BundleInput<'a> {
    /// Report title.
    pub title: String,
    /// What period the data cover, e.g. "Data t.o.m. 2025K4".
    pub period_label: String,
    /// Release date from the config (never the clock).
    pub release_date: Option<String>,
    /// Municipalities in display order with their fixed colours.
    pub municipalities: Vec<MunicipalityStyle>,
    /// Indicator catalogue.
    pub catalogue: &'a Catalogue,
    /// Protected survey cells.
    pub survey: &'a Protected<ProtectedTable>,
    /// Protected police cells.
    pub police: &'a Protected<ProtectedTable>,
    /// Protected flagged police counts (vold i nære relasjoner, hatkriminalitet, uteliv) with
    /// their rules, when the extracts had flag columns.
    pub police_flags: Option<(&'a Protected<ProtectedTable>, &'a Rules)>,
    /// Rules the survey table was protected with (re-checked here).
    pub survey_rules: &'a Rules,
    /// Rules the police table was protected with (re-checked here).
    pub police_rules: &'a Rules,
    /// Survey indicators.
    pub indicators: &'a SurveyAnalysis,
    /// Changes between waves.
    pub changes: &'a [Change],
    /// Police series.
    pub police_series: &'a PoliceAnalysis,
    /// Latest-wave comparisons with the region and the reference.
    pub comparisons: &'a Comparisons,
    /// How many tests the release made (changes and differences from the reference), the
    /// family their Benjamini–Hochberg correction is over.
    pub tests: usize,
    /// Published reference levels (national figures).
    pub reference: &'a [oppvekst_schema::reference::ReferenceRow],
    /// Code of the region among `municipalities` (drawn in survey charts and tables, left out
    /// of the police count charts), with a sentence on what it covers.
    pub region: Option<(String, String)>,
    /// Where the population behind rates comes from (None: no rates).
    pub population_note: Option<String>,
    /// Inputs for the manifest.
    pub inputs: Vec<InputFile>,
    /// Files of the inbox that were not read, with the reason.
    pub not_read: Vec<NotRead>,
    /// The plausibility check against SSB's 08487 (empty without official tables); None
    /// when no official table was given.
    pub official: Option<Vec<OfficialComparison>>,
    /// Row accounting per source.
    pub reconciliation: Vec<Reconciliation>,
}

/// One file of the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManifestFile {
    /// Path relative to the bundle.
    pub path: String,
    /// SHA-256, hex.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Manifest {
    /// Producer and version.
    pub generator: String,
    /// Report title.
    pub title: String,
    /// Period covered.
    pub period: String,
    /// Release date (config).
    pub release_date: Option<String>,
    /// Files of the bundle (manifest.json itself excluded), sorted by path.
    pub files: Vec<ManifestFile>,
    /// Inputs, sorted by name.
    pub inputs: Vec<InputFile>,
    /// Files of the inbox that were not read, with the reason, sorted by name.
    pub not_read: Vec<NotRead>,
    /// Rows read, accepted, quarantined.
    pub reconciliation: Vec<Reconciliation>,
    /// Protection summary per table.
    pub protection: Vec<report::ProtectionRow>,
}

/// Bundle failures.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// A published cell breaks a primary rule: refuse to write.
    #[error(
        "table `{table}`: {cells} published cells break the primary suppression rules; nothing was written"
    )]
    Unprotected {
        /// Table.
        table: String,
        /// How many cells.
        cells: usize,
    },
    /// The audit found hidden cells an attacker can narrow too far: refuse to write.
    #[error(
        "table `{table}`: the audit found {cells} hidden cells that published figures pin down too narrowly; nothing was written"
    )]
    AuditFailed {
        /// Table.
        table: String,
        /// How many cells.
        cells: usize,
    },
    /// File system.
    #[error("{path}: {message}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Message.
        message: String,
    },
    /// A chart failed.
    #[error(transparent)]
    Chart(#[from] oppvekst_charts::ChartError),
    /// Analysis/polars failure while writing Parquet.
    #[error(transparent)]
    Analysis(#[from] oppvekst_analysis::AnalysisError),
    /// Template failure.
    #[error("index.html: {0}")]
    Template(String),
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> BundleError + '_ {
    move |e| BundleError::Io {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

/// SHA-256 as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), BundleError> {
    oppvekst_schema::io::write_atomic(path, bytes).map_err(|e| BundleError::Io {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

impl<'a> BundleInput<'a> {
    /// Every protected table of the bundle with the rules it was protected with.
    pub fn protected_tables(&self) -> Vec<(&'a Protected<ProtectedTable>, &'a Rules)> {
        let mut v = vec![
            (self.survey, self.survey_rules),
            (self.police, self.police_rules),
        ];
        v.extend(self.police_flags);
        v
    }
}

/// Writes the bundle to `out` (replacing an earlier bundle there only once the new one is
/// complete) and returns its manifest.
pub fn write_bundle(input: &BundleInput<'_>, out: &Path) -> Result<Manifest, BundleError> {
    for (table, rules) in input.protected_tables() {
        // A protected table carries the audit it passed; check it again before writing.
        let failures = table.audit().failures.len();
        if failures > 0 || table.audit().table != table.name() {
            return Err(BundleError::AuditFailed {
                table: table.name().to_owned(),
                cells: failures,
            });
        }
        let bad = check_primary(table, rules);
        if !bad.is_empty() {
            return Err(BundleError::Unprotected {
                table: table.name().to_owned(),
                cells: bad.len(),
            });
        }
    }
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bundle".into());
    let tmp = out.with_file_name(format!("{name}.partial"));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(io_err(&tmp))?;
    }
    for sub in ["charts", "tabeller", "data"] {
        let d = tmp.join(sub);
        fs::create_dir_all(&d).map_err(io_err(&d))?;
    }

    let charts = report::charts(input, &tmp.join("charts"))?;
    let tables = csv_out::tables(input);
    csv_out::write_csvs(&tables, &tmp.join("tabeller"))?;
    write_file(
        &tmp.join("tabeller/tabeller.xlsx"),
        &csv_out::xlsx(&tables, input.release_date.as_deref())?,
    )?;
    write_parquet(
        &input.indicators.frame()?,
        &tmp.join("data/indicators.parquet"),
    )?;
    write_parquet(
        &input.police_series.frame()?,
        &tmp.join("data/police_series.parquet"),
    )?;
    write_parquet(
        &input.comparisons.frame()?,
        &tmp.join("data/comparisons.parquet"),
    )?;
    write_parquet(
        &oppvekst_analysis::changes_frame(input.changes)?,
        &tmp.join("data/changes.parquet"),
    )?;
    write_parquet(
        &protected_frame(
            input.survey,
            &["survey_year"],
            "numerator",
            Denominators::Published,
        )?,
        &tmp.join("data/protected_survey_cells.parquet"),
    )?;
    write_parquet(
        &protected_frame(input.police, &[], "count", Denominators::Omitted)?,
        &tmp.join("data/protected_police_cells.parquet"),
    )?;
    if let Some((flags, _)) = input.police_flags {
        // The bounds the flag table was audited with are the police table's counts (its own
        // file); this file has the contract's columns only.
        write_parquet(
            &protected_frame(flags, &[], "count", Denominators::Omitted)?,
            &tmp.join("data/protected_police_flags.parquet"),
        )?;
    }
    let html = report::html(input, &charts)?;
    write_file(&tmp.join("index.html"), html.as_bytes())?;

    // Every file is read once: for its hash here and for the zip below.
    let mut tree = Vec::new();
    read_tree(&tmp, &tmp, &mut tree)?;
    let files = tree
        .iter()
        .map(|(path, bytes)| ManifestFile {
            path: path.clone(),
            sha256: sha256_hex(bytes),
            bytes: bytes.len() as u64,
        })
        .collect();
    let mut inputs = input.inputs.clone();
    inputs.sort_by(|a, b| a.name.cmp(&b.name));
    let manifest = Manifest {
        generator: format!("oppvekst {}", env!("CARGO_PKG_VERSION")),
        title: input.title.clone(),
        period: input.period_label.clone(),
        release_date: input.release_date.clone(),
        files,
        inputs,
        not_read: {
            let mut v = input.not_read.clone();
            v.sort_by(|a, b| a.file.cmp(&b.file));
            v
        },
        reconciliation: input.reconciliation.clone(),
        protection: report::protection_rows(input),
    };
    let json = serde_json::to_string_pretty(&manifest)
        .map_err(|e| BundleError::Template(e.to_string()))?;
    let json = format!("{json}\n").into_bytes();
    write_file(&tmp.join("manifest.json"), &json)?;
    // Everything above as one zip inside the bundle, for e-mail and archives. It is written
    // before the swap, so the whole bundle appears at once.
    tree.push(("manifest.json".to_owned(), json));
    tree.sort();
    let zip_bytes = zip_files(&tmp, &name, &tree)?;
    write_file(&tmp.join(ZIP_NAME), &zip_bytes)?;

    // Swap into place: the old bundle is removed only after the new one is complete.
    let old = out.with_file_name(format!("{name}.old"));
    if old.exists() {
        fs::remove_dir_all(&old).map_err(io_err(&old))?;
    }
    if out.exists() {
        fs::rename(out, &old).map_err(io_err(out))?;
    }
    fs::rename(&tmp, out).map_err(io_err(out))?;
    if old.exists() {
        fs::remove_dir_all(&old).map_err(io_err(&old))?;
    }
    Ok(manifest)
}

/// Name of the zip inside the bundle (not listed in the manifest; it holds every listed file
/// and the manifest).
pub const ZIP_NAME: &str = "oppvekst-pakke.zip";

/// Files as a deterministic zip under `name/`: given order, fixed 1980 timestamps and
/// permissions, deflate.
fn zip_files(dir: &Path, name: &str, files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, BundleError> {
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    let z = |e: zip::result::ZipError| BundleError::Io {
        path: dir.to_owned(),
        message: e.to_string(),
    };
    let opts = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (path, bytes) in files {
        w.start_file(format!("{name}/{path}"), opts).map_err(z)?;
        w.write_all(bytes).map_err(io_err(dir))?;
    }
    Ok(w.finish().map_err(z)?.into_inner())
}

/// Every file below `dir` as (path relative to `root`, bytes), in path order.
fn read_tree(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) -> Result<(), BundleError> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(io_err(dir))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io_err(dir))?;
    entries.sort();
    for p in entries {
        if p.is_dir() {
            read_tree(root, &p, out)?;
        } else {
            let bytes = fs::read(&p).map_err(io_err(&p))?;
            let rel = p
                .strip_prefix(root)
                .unwrap_or(&p)
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, bytes));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::io::{Cursor, Read, Seek, SeekFrom};

    /// Counts the bytes read from the inner reader.
    struct Counting<R> {
        inner: R,
        read: u64,
    }
    impl<R: Read> Read for Counting<R> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.read += n as u64;
            Ok(n)
        }
    }
    impl<R: Seek> Seek for Counting<R> {
        fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
            self.inner.seek(to)
        }
    }

    #[test]
    fn a_hashing_reader_gives_the_whole_files_digest_however_it_was_read() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let whole = InputFile::from_bytes("f", &data);
        // Read once from the start: nothing is read again at finish.
        let mut r = InputFile::hashing(
            "f",
            Counting {
                inner: Cursor::new(data.clone()),
                read: 0,
            },
        );
        let mut sink = Vec::new();
        r.read_to_end(&mut sink).unwrap();
        let read = r.inner.read;
        assert_eq!(read, data.len() as u64);
        assert_eq!(r.finish().unwrap(), whole);
        // The way the CSV reader goes: the last byte, back to the start, the header, then
        // the body from where the header ended.
        let mut r = InputFile::hashing("f", Cursor::new(data.clone()));
        r.seek(SeekFrom::End(-1)).unwrap();
        r.read_exact(&mut [0u8; 1]).unwrap();
        r.seek(SeekFrom::Start(0)).unwrap();
        r.read_exact(&mut [0u8; 3]).unwrap();
        r.seek(SeekFrom::Start(0)).unwrap();
        r.read_exact(&mut [0u8; 8192]).unwrap();
        r.seek(SeekFrom::Start(100)).unwrap();
        let mut rest = Vec::new();
        r.read_to_end(&mut rest).unwrap();
        assert_eq!(r.finish().unwrap(), whole);
        // Read only in part (or not at all): the rest is read at finish.
        let mut r = InputFile::hashing("f", Cursor::new(data.clone()));
        r.seek(SeekFrom::Start(5000)).unwrap();
        r.read_exact(&mut [0u8; 10]).unwrap();
        assert_eq!(r.finish().unwrap(), whole);
        let r = InputFile::hashing("f", Cursor::new(data));
        assert_eq!(r.finish().unwrap(), whole);
    }
}
