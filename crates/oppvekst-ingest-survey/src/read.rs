//! Reading one export into canonical respondents with validation and quarantine.
//!
//! The reader streams: a CSV export is parsed record by record from any `Read + Seek`
//! source (a file on disk is never held in memory as a whole), and accepted rows leave in
//! chunks of [`CHUNK_ROWS`] through a sink, so memory stays flat however large the export.
//! SPSS and Parquet readers feed their cases through the same [`Validator`].

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::BuildHasher;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::sync::Arc;

use csv::ByteRecord;
use encoding_rs::WINDOWS_1252;
use oppvekst_schema::municipality::municipality_number;
use oppvekst_schema::text::{Encoding, detect_delimiter, looks_utf8_multibyte};
use oppvekst_schema::{Catalogue, Harmoniser};

use crate::{FileReport, IngestError, QuarantinedRow, Respondents};

/// Reports how far a read has come: `(done, all)` — bytes of a CSV source, cases of an SPSS
/// or Parquet export — every few thousand rows and once at the end (for a progress bar on
/// large files).
#[derive(Clone)]
pub struct Progress(pub Arc<dyn Fn(u64, u64) + Send + Sync>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress")
    }
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
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            encoding: None,
            delimiter: None,
            max_bad_share: 0.5,
            progress: None,
        }
    }
}

/// Rows between two progress reports.
const PROGRESS_EVERY: u64 = 16 * 1024;

/// Accepted rows are handed to the sink in chunks of at most this many rows.
pub const CHUNK_ROWS: usize = 8 * 1024;

/// Where accepted rows go, chunk by chunk (for example a Parquet writer and an aggregator).
/// The sink may hand back an emptied table whose buffers the reader fills next (so memory
/// is reused rather than asked of the system for every chunk). An error from the sink stops
/// the read and is returned as it is.
pub type Sink<'a> = dyn FnMut(Respondents) -> Result<Option<Respondents>, IngestError> + 'a;

/// Respondent ids already accepted in this run: (survey year, id) → (file, row). Lookup
/// only (never iterated), so hashing keeps the output deterministic. Compact, since a
/// national run holds millions: the ids' bytes in one buffer, and per id one 32-byte entry.
#[derive(Default)]
pub struct SeenIds {
    files: Vec<Arc<str>>,
    bytes: Vec<u8>,
    entries: hashbrown::HashTable<SeenId>,
    state: hashbrown::DefaultHashBuilder,
}

/// One accepted id: where its bytes are, its year, and the file and row that had it.
#[derive(Clone, Copy)]
struct SeenId {
    start: usize,
    row: u64,
    len: u32,
    year: i32,
    file: u32,
}

impl std::fmt::Debug for SeenIds {
    /// Counts only: the ids themselves are never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeenIds")
            .field("ids", &self.entries.len())
            .finish()
    }
}

impl SeenIds {
    /// Records `id` of survey year `year` as seen in `file` at `row`; when it was seen
    /// before, records nothing and returns the file and row that first had it.
    pub(crate) fn first_or_insert(
        &mut self,
        year: i32,
        id: &str,
        file: &Arc<str>,
        row: u64,
    ) -> Option<(&str, u64)> {
        let bytes = &self.bytes;
        let key = move |e: &SeenId| (e.year, &bytes[e.start..e.start + e.len as usize]);
        let state = &self.state;
        let entry = self.entries.entry(
            state.hash_one((year, id.as_bytes())),
            |e| key(e) == (year, id.as_bytes()),
            |e| state.hash_one(key(e)),
        );
        let vacant = match entry {
            hashbrown::hash_table::Entry::Occupied(o) => {
                let e = *o.get();
                return Some((&self.files[e.file as usize], e.row));
            }
            hashbrown::hash_table::Entry::Vacant(v) => v,
        };
        if !self
            .files
            .last()
            .is_some_and(|last| Arc::ptr_eq(last, file))
        {
            self.files.push(Arc::clone(file));
        }
        vacant.insert(SeenId {
            start: self.bytes.len(),
            row,
            // An id longer than 4 GiB cannot be read as one CSV field.
            len: u32::try_from(id.len()).unwrap_or(u32::MAX),
            year,
            file: u32::try_from(self.files.len() - 1).unwrap_or(u32::MAX),
        });
        self.bytes.extend_from_slice(id.as_bytes());
        None
    }

    /// Forgets every id a file brought (a file rejected as a whole imports nothing).
    fn forget(&mut self, file: &Arc<str>) {
        let files = &self.files;
        self.entries
            .retain(|e| !Arc::ptr_eq(&files[e.file as usize], file));
    }
}

struct Columns {
    id: usize,
    year: usize,
    municipality: usize,
    school_level: Option<usize>,
    grade: usize,
    gender: usize,
    /// Source column per codebook item (None when the file lacks the item).
    items: Vec<Option<usize>>,
    unknown: Vec<String>,
}

fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

fn map_columns(file: &str, header: &[String], cat: &Catalogue) -> Result<Columns, IngestError> {
    let cb = &cat.codebook;
    let mut used: BTreeMap<usize, String> = BTreeMap::new();
    let mut find =
        |variable: &str, names: &[String], required: bool| -> Result<Option<usize>, IngestError> {
            let wanted: BTreeSet<String> = names
                .iter()
                .map(|n| norm(n))
                .chain([norm(variable)])
                .collect();
            let hits: Vec<usize> = header
                .iter()
                .enumerate()
                .filter(|(_, h)| wanted.contains(&norm(h)))
                .map(|(i, _)| i)
                .collect();
            if hits.len() > 1 {
                return Err(IngestError::AmbiguousColumn {
                    file: file.to_owned(),
                    variable: variable.to_owned(),
                    first: header[hits[0]].clone(),
                    second: header[hits[1]].clone(),
                });
            }
            match hits.first() {
                Some(&i) => {
                    used.insert(i, variable.to_owned());
                    Ok(Some(i))
                }
                None if required => Err(IngestError::MissingColumn {
                    file: file.to_owned(),
                    variable: variable.to_owned(),
                    aliases: names.join(", "),
                }),
                None => Ok(None),
            }
        };
    // Invariant for the `unwrap_or(0)`s below: `find(.., true)` returns Some or an error.
    let id = find("respondent_id", &cb.respondent_id.aliases, true)?.unwrap_or(0);
    let year = find("survey_year", &cb.survey_year.aliases, true)?.unwrap_or(0);
    let municipality = find("municipality", &cb.municipality.aliases, true)?.unwrap_or(0);
    let school_level = find("school_level", &cb.school_level.aliases, false)?;
    let grade = find("grade", &cb.grade.aliases, true)?.unwrap_or(0);
    let gender = find("gender", &cb.gender.aliases, true)?.unwrap_or(0);
    let mut items = Vec::with_capacity(cb.items.len());
    for item in &cb.items {
        items.push(find(&item.id, &item.aliases, false)?);
    }
    let unknown = header
        .iter()
        .enumerate()
        .filter(|(i, h)| !used.contains_key(i) && !h.trim().is_empty())
        .map(|(_, h)| h.trim().to_owned())
        .collect();
    Ok(Columns {
        id,
        year,
        municipality,
        school_level,
        grade,
        gender,
        items,
        unknown,
    })
}

/// Decodes header text or a field in the file's encoding (invalid bytes become U+FFFD).
fn decode_bytes(b: &[u8], encoding: Encoding) -> Cow<'_, str> {
    match encoding {
        Encoding::Utf8 => String::from_utf8_lossy(b),
        Encoding::Windows1252 => WINDOWS_1252.decode_without_bom_handling(b).0,
    }
}

/// Detects the encoding of a file without a BOM in one streaming pass: UTF-8 when every line
/// is valid UTF-8, otherwise the encoding of most non-ASCII lines (Windows-1252 on a tie).
/// Stretches of pure ASCII are skipped without looking at their lines.
fn detect_encoding<R: Read>(mut src: R) -> std::io::Result<Encoding> {
    let (mut utf8, mut other) = (0usize, 0usize);
    let mut count = |line: &[u8]| {
        if !line.is_ascii() {
            if std::str::from_utf8(line).is_ok() {
                utf8 += 1;
            } else {
                other += 1;
            }
        }
    };
    let mut buf = vec![0u8; 1 << 20];
    // A line that began in an earlier chunk and holds non-ASCII bytes.
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let n = match src.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let mut rest = &buf[..n];
        if !carry.is_empty() {
            match rest.iter().position(|b| *b == b'\n') {
                Some(p) => {
                    carry.extend_from_slice(&rest[..p]);
                    count(&carry);
                    carry.clear();
                    rest = &rest[p + 1..];
                }
                None => {
                    carry.extend_from_slice(rest);
                    continue;
                }
            }
        }
        // An ASCII head of a line never changes whether the rest of it is valid UTF-8.
        if rest.is_ascii() {
            continue;
        }
        let mut lines = rest.split(|b| *b == b'\n').peekable();
        while let Some(line) = lines.next() {
            if lines.peek().is_some() {
                count(line);
            } else if !line.is_ascii() {
                carry.extend_from_slice(line);
            }
        }
    }
    count(&carry);
    Ok(if other == 0 || utf8 > other {
        Encoding::Utf8
    } else {
        Encoding::Windows1252
    })
}

/// The codebook's code lists keyed by number, looked up once per row without allocating.
/// Codes in the codebook that are not whole numbers can never match an integer field and
/// are left out.
struct Codes {
    grade: HashMap<i64, i64>,
    gender: HashMap<i64, String>,
    /// School level code → whether it is ungdomsskole.
    school_level: HashMap<i64, bool>,
    /// The missing codes below 128 as bits (checked for every answer).
    missing_small: u128,
    /// Every missing code.
    missing: Vec<i64>,
}

impl Codes {
    fn new(cat: &Catalogue) -> Self {
        let cb = &cat.codebook;
        let num = |k: &String| k.trim().parse::<i64>().ok();
        Codes {
            grade: cb
                .grade
                .codes
                .iter()
                .filter_map(|(k, v)| num(k).map(|k| (k, *v)))
                .collect(),
            gender: cb
                .gender
                .codes
                .iter()
                .filter_map(|(k, v)| num(k).map(|k| (k, v.clone())))
                .collect(),
            school_level: cb
                .school_level
                .codes
                .iter()
                .filter_map(|(k, v)| num(k).map(|k| (k, v == "ungdomsskole")))
                .collect(),
            missing_small: cb
                .missing_codes
                .iter()
                .filter(|&&c| (0..128).contains(&c))
                .fold(0, |m, &c| m | 1 << c),
            missing: cb.missing_codes.clone(),
        }
    }

    fn is_missing(&self, code: i64) -> bool {
        if (0..128).contains(&code) {
            self.missing_small & (1 << code) != 0
        } else {
            self.missing.contains(&code)
        }
    }
}

/// The fields of one record, decoded on access. Records whose bytes do not fit the file's
/// encoding are quarantined before any field is read.
struct Fields<'r> {
    rec: &'r ByteRecord,
    encoding: Encoding,
}

impl<'r> Fields<'r> {
    fn get(&self, col: usize) -> Cow<'r, str> {
        let b = self.rec.get(col).unwrap_or(b"");
        match self.encoding {
            Encoding::Utf8 => Cow::Borrowed(std::str::from_utf8(b).unwrap_or("")),
            Encoding::Windows1252 => WINDOWS_1252.decode_without_bom_handling(b).0,
        }
    }
}

/// Validates the rows of one file, hands accepted rows to a sink in chunks and keeps the
/// quarantine and the counts for the file's report.
pub(crate) struct Validator<'a> {
    file: Arc<str>,
    cat: &'a Catalogue,
    harmoniser: &'a Harmoniser,
    header: Vec<String>,
    cols: Columns,
    encoding: Encoding,
    chunk: Respondents,
    quarantine: Vec<QuarantinedRow>,
    rows_read: u64,
    accepted: u64,
    /// Quarantine index of the last row when it had the wrong number of fields.
    last_short: Option<usize>,
    seen: &'a mut SeenIds,
    /// Source municipality number → today's number (None: split, cannot harmonise).
    municipalities: HashMap<String, Option<String>>,
    /// Answers of the row being checked, one per codebook item.
    answers: Vec<Option<i8>>,
    /// The record [`Validator::cases`] lays each case out in, and the cases read so far.
    case: ByteRecord,
    cases_read: u64,
    codes: Codes,
}

impl<'a> Validator<'a> {
    /// Maps the header through the codebook; fails when a required column is missing.
    pub(crate) fn new(
        file: &str,
        header: Vec<String>,
        encoding: Encoding,
        cat: &'a Catalogue,
        harmoniser: &'a Harmoniser,
        seen: &'a mut SeenIds,
    ) -> Result<Self, IngestError> {
        let cols = map_columns(file, &header, cat)?;
        Ok(Validator {
            file: Arc::from(file),
            cat,
            harmoniser,
            header,
            cols,
            encoding,
            chunk: Respondents::with_capacity(&cat.codebook.items, CHUNK_ROWS),
            quarantine: Vec::new(),
            rows_read: 0,
            accepted: 0,
            last_short: None,
            seen,
            municipalities: HashMap::new(),
            answers: vec![None; cat.codebook.items.len()],
            case: ByteRecord::new(),
            cases_read: 0,
            codes: Codes::new(cat),
        })
    }

    fn reject(&mut self, line: u64, column: Option<usize>, reason: String) {
        self.quarantine.push(QuarantinedRow {
            file: self.file.to_string(),
            row: line,
            column: column.map(|c| self.header[c].clone()),
            reason,
        });
    }

    /// A row the reader could not split into fields.
    pub(crate) fn unreadable(&mut self, line: u64, reason: &str) {
        self.rows_read += 1;
        self.last_short = None;
        self.reject(line, None, reason.to_owned());
    }

    /// Validates one row (at 1-based `line`) and accepts or quarantines it.
    pub(crate) fn row(
        &mut self,
        line: u64,
        rec: &ByteRecord,
        sink: &mut Sink<'_>,
    ) -> Result<(), IngestError> {
        self.rows_read += 1;
        self.last_short = None;
        if !rec.as_slice().is_ascii() {
            let odd = match self.encoding {
                Encoding::Utf8 => rec.iter().any(|f| std::str::from_utf8(f).is_err()),
                Encoding::Windows1252 => rec.iter().any(looks_utf8_multibyte),
            };
            if odd {
                let reason = format!(
                    "text is not {} like the rest of the file (mixed encodings)",
                    self.encoding.name()
                );
                self.reject(line, None, reason);
                return Ok(());
            }
        }
        if rec.len() != self.header.len() {
            let reason = format!("expected {} fields, found {}", self.header.len(), rec.len());
            self.reject(line, None, reason);
            self.last_short = Some(self.quarantine.len() - 1);
            return Ok(());
        }
        let fields = Fields {
            rec,
            encoding: self.encoding,
        };
        let head = match validate_row(
            &fields,
            &self.cols,
            self.cat,
            &self.codes,
            self.harmoniser,
            &mut self.municipalities,
            &mut self.answers,
        ) {
            Ok(head) => head,
            Err((col, reason)) => {
                self.reject(line, col, reason);
                return Ok(());
            }
        };
        if let Some((f, r)) = self
            .seen
            .first_or_insert(head.year, &head.id, &self.file, line)
        {
            let reason = format!("duplicated respondent id (first seen in {f} line {r})");
            self.reject(line, Some(self.cols.id), reason);
            return Ok(());
        }
        let out = &mut self.chunk;
        out.respondent_id.push(head.id);
        out.source_file.push(self.file.to_string());
        out.source_row.push(line);
        out.survey_year.push(head.year);
        out.municipality.push(head.municipality);
        out.municipality_source.push(head.municipality_source);
        out.grade.push(head.grade);
        out.gender.push(head.gender);
        for (dst, a) in out.answers.iter_mut().zip(&self.answers) {
            dst.push(*a);
        }
        self.accepted += 1;
        if self.chunk.len() >= CHUNK_ROWS {
            let full = std::mem::take(&mut self.chunk);
            let items = self.cat.codebook.items.len();
            // A table the sink hands back is reused only when it is empty and as wide.
            self.chunk = match sink(full)? {
                Some(spent) if spent.is_empty() && spent.answers.len() == items => spent,
                _ => Respondents::with_capacity(&self.cat.codebook.items, CHUNK_ROWS),
            };
        }
        Ok(())
    }

    /// Validates the next `n` cases of a binary export (SPSS, Parquet) laid out field by
    /// field: `field(i, c, out)` writes column `c` of case `i` of this batch as text to `out`
    /// (nothing for a missing value). Case k of the file is row k + 1, as in its CSV form.
    /// Returns the cases read so far.
    pub(crate) fn cases(
        &mut self,
        n: usize,
        mut field: impl FnMut(usize, usize, &mut String),
        sink: &mut Sink<'_>,
    ) -> Result<u64, IngestError> {
        let mut rec = std::mem::take(&mut self.case);
        let mut text = String::new();
        for i in 0..n {
            rec.clear();
            for c in 0..self.header.len() {
                text.clear();
                field(i, c, &mut text);
                rec.push_field(text.as_bytes());
            }
            self.cases_read += 1;
            self.row(self.cases_read + 1, &rec, sink)?;
        }
        self.case = rec;
        Ok(self.cases_read)
    }

    /// Ends the file: a file with too many bad rows fails as a whole (and its ids are
    /// forgotten again); otherwise the last chunk goes to the sink. `unfinished` says the
    /// source does not end with a line break (a short last row then looks truncated).
    pub(crate) fn finish(
        mut self,
        unfinished: bool,
        encoding: &'static str,
        delimiter: char,
        opts: &ReadOptions,
        sink: &mut Sink<'_>,
    ) -> Result<(FileReport, Vec<QuarantinedRow>), IngestError> {
        if let (true, Some(i)) = (unfinished, self.last_short) {
            self.quarantine[i]
                .reason
                .push_str(" (file ends mid-row: truncated?)");
        }
        let bad = self.quarantine.len() as u64;
        if self.rows_read > 0 && bad as f64 > opts.max_bad_share * self.rows_read as f64 {
            let file = Arc::clone(&self.file);
            self.seen.forget(&file);
            return Err(IngestError::MostlyInvalid {
                file: file.to_string(),
                bad,
                read: self.rows_read,
            });
        }
        if !self.chunk.is_empty() {
            sink(std::mem::take(&mut self.chunk))?;
        }
        let report = FileReport {
            file: self.file.to_string(),
            encoding,
            delimiter,
            rows_read: self.rows_read,
            rows_accepted: self.accepted,
            rows_quarantined: bad,
            unknown_columns: self.cols.unknown,
        };
        Ok((report, self.quarantine))
    }
}

/// Runs `consume` on a thread of its own for every chunk `read` sends to its sink, so that
/// reading and validating overlap with what happens to the rows (Parquet writing,
/// aggregation) on a machine with two cores. At most two chunks wait between the two. An
/// error from `consume` stops the read and is the one returned.
pub fn with_background_sink<R, E>(
    consume: impl FnMut(&Respondents) -> Result<(), IngestError> + Send,
    read: impl FnOnce(&mut Sink<'_>) -> Result<R, E>,
) -> Result<R, E>
where
    E: From<IngestError>,
{
    let mut consume = consume;
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Respondents>(4);
        // Spent chunks go back, emptied, for the reader to fill again.
        let (back_tx, back_rx) = std::sync::mpsc::sync_channel::<Respondents>(4);
        let worker = scope.spawn(move || -> Result<(), IngestError> {
            for mut chunk in rx {
                consume(&chunk)?;
                chunk.clear();
                // The reader may have finished; then the chunk is simply dropped.
                let _ = back_tx.try_send(chunk);
            }
            Ok(())
        });
        let stopped = || IngestError::Stage {
            message: "the row consumer stopped".into(),
        };
        let result = read(&mut |chunk| {
            tx.send(chunk).map_err(|_| stopped())?;
            Ok(back_rx.try_recv().ok())
        });
        drop(tx);
        let consumed = worker.join().unwrap_or_else(|_| {
            Err(IngestError::Stage {
                message: "the row consumer panicked".into(),
            })
        });
        match consumed {
            Err(e) => Err(E::from(e)),
            Ok(()) => result,
        }
    })
}

/// Collects everything a streaming reader accepts into one table.
pub(crate) fn collect<T>(
    cat: &Catalogue,
    read: impl FnOnce(&mut Sink<'_>) -> Result<T, IngestError>,
) -> Result<(Respondents, T), IngestError> {
    let mut all = Respondents::new(&cat.codebook.items);
    let t = read(&mut |chunk| {
        all.append(chunk);
        Ok(None)
    })?;
    Ok((all, t))
}

/// Reads one CSV export held in memory; see [`stream_csv`]. `seen` holds ids accepted
/// earlier in the run and gains this file's ids when the file is accepted.
pub fn read_csv(
    file: &str,
    bytes: &[u8],
    cat: &Catalogue,
    harmoniser: &Harmoniser,
    opts: &ReadOptions,
    seen: &mut SeenIds,
) -> Result<(Respondents, FileReport, Vec<QuarantinedRow>), IngestError> {
    let (r, (report, q)) = collect(cat, |sink| {
        stream_csv(
            file,
            std::io::Cursor::new(bytes),
            cat,
            harmoniser,
            opts,
            seen,
            sink,
        )
    })?;
    Ok((r, report, q))
}

/// Reads one CSV export from `src` record by record: detects the encoding (one streaming
/// pass, unless declared or marked by a BOM) and the separator, maps the columns, validates
/// every value and sends accepted rows to `sink` in chunks. A file that fails as a whole
/// returns an error after some chunks may have reached the sink; the caller discards them
/// (the pipeline writes its stage files atomically, so nothing of the file is imported).
pub fn stream_csv<R: Read + Seek>(
    file: &str,
    mut src: R,
    cat: &Catalogue,
    harmoniser: &Harmoniser,
    opts: &ReadOptions,
    seen: &mut SeenIds,
    sink: &mut Sink<'_>,
) -> Result<(FileReport, Vec<QuarantinedRow>), IngestError> {
    let io = |_: std::io::Error| IngestError::Unusable {
        file: file.to_owned(),
        message: "cannot read the file".into(),
    };
    let len = src.seek(SeekFrom::End(0)).map_err(io)?;
    let mut last = [0u8; 1];
    if len > 0 {
        src.seek(SeekFrom::End(-1)).map_err(io)?;
        src.read_exact(&mut last).map_err(io)?;
    }
    let unfinished = last[0] != b'\n';
    src.seek(SeekFrom::Start(0)).map_err(io)?;
    let mut bom = [0u8; 3];
    let has_bom = len >= 3 && src.read_exact(&mut bom).is_ok() && bom == [0xEF, 0xBB, 0xBF];
    let start = if has_bom { 3 } else { 0 };
    let encoding = match (opts.encoding, has_bom) {
        (Some(e), _) => e,
        (None, true) => Encoding::Utf8,
        (None, false) => {
            src.seek(SeekFrom::Start(0)).map_err(io)?;
            detect_encoding(&mut src).map_err(io)?
        }
    };
    // The first non-blank line is the header; it decides the separator.
    src.seek(SeekFrom::Start(start)).map_err(io)?;
    let mut first = Vec::new();
    {
        let mut lines = BufReader::new(&mut src).take(16 << 20);
        while first.iter().all(u8::is_ascii_whitespace) {
            first.clear();
            if lines.read_until(b'\n', &mut first).map_err(io)? == 0 {
                break;
            }
        }
    }
    let first = decode_bytes(&first, encoding);
    if first.trim().is_empty() {
        return Err(IngestError::Empty {
            file: file.to_owned(),
        });
    }
    let delimiter = opts.delimiter.unwrap_or_else(|| detect_delimiter(&first));
    src.seek(SeekFrom::Start(start)).map_err(io)?;
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .buffer_capacity(1 << 20)
        .from_reader(src);
    let header: Vec<String> = rdr
        .byte_headers()
        .map_err(|e| IngestError::Header {
            file: file.to_owned(),
            message: e.to_string(),
        })?
        .iter()
        .map(|h| decode_bytes(h, encoding).into_owned())
        .collect();
    let mut v = Validator::new(file, header, encoding, cat, harmoniser, seen)?;
    let mut rec = ByteRecord::new();
    let mut last_line = 1u64;
    let mut rows = 0u64;
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                return Err(IngestError::Unusable {
                    file: file.to_owned(),
                    message: "cannot read the file".into(),
                });
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(last_line + 1);
                last_line = line;
                v.unreadable(line, "unparseable CSV row (quoting)");
                continue;
            }
        }
        let line = rec.position().map(|p| p.line()).unwrap_or(last_line + 1);
        last_line = line;
        v.row(line, &rec, sink)?;
        rows += 1;
        if let Some(p) = opts
            .progress
            .as_ref()
            .filter(|_| rows.is_multiple_of(PROGRESS_EVERY))
        {
            (p.0)(start + rec.position().map_or(0, |p| p.byte()), len);
        }
    }
    if let Some(p) = &opts.progress {
        (p.0)(len, len);
    }
    v.finish(unfinished, encoding.name(), delimiter as char, opts, sink)
}

/// The identifying part of a valid row; its answers are left in the validator's buffer.
struct Head {
    id: String,
    year: i32,
    municipality: String,
    municipality_source: String,
    grade: i8,
    gender: String,
}

type RowError = (Option<usize>, String);

/// An integer code straight from the field's bytes (digits, sign and the separators are
/// ASCII in both encodings): `Err` when the field is not an integer this way.
fn code_bytes(b: &[u8]) -> Result<Option<i64>, ()> {
    let b = b.trim_ascii();
    if b.is_empty() {
        return Ok(None);
    }
    // Exports saved from Excel may write whole codes as `3,0` or `3.0`.
    let b = b
        .strip_suffix(b",0")
        .or_else(|| b.strip_suffix(b".0"))
        .unwrap_or(b);
    let (negative, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 18 {
        return Err(());
    }
    let mut v = 0i64;
    for d in digits {
        if !d.is_ascii_digit() {
            return Err(());
        }
        v = v * 10 + i64::from(d - b'0');
    }
    Ok(Some(if negative { -v } else { v }))
}

fn int_field(fields: &Fields<'_>, col: usize) -> Result<Option<i64>, RowError> {
    let raw = fields.rec.get(col).unwrap_or(b"");
    // Most codes (every answer) are one or two plain digits: read without the general parser.
    match raw {
        [] => return Ok(None),
        [d @ b'0'..=b'9'] => return Ok(Some(i64::from(d - b'0'))),
        [a @ b'0'..=b'9', b @ b'0'..=b'9'] => {
            return Ok(Some(i64::from((a - b'0') * 10 + (b - b'0'))));
        }
        _ => {}
    }
    if let Ok(v) = code_bytes(raw) {
        return Ok(v);
    }
    if raw.is_ascii() {
        return Err((Some(col), "not an integer code".to_owned()));
    }
    // Non-ASCII: decoded, so that any Unicode space around the code is trimmed too.
    code_bytes(fields.get(col).trim().as_bytes())
        .map_err(|()| (Some(col), "not an integer code".to_owned()))
}

fn required(v: Option<i64>, col: usize, what: &str) -> Result<i64, RowError> {
    v.ok_or_else(|| (Some(col), format!("required value missing ({what})")))
}

fn validate_row(
    fields: &Fields<'_>,
    cols: &Columns,
    cat: &Catalogue,
    codes: &Codes,
    harmoniser: &Harmoniser,
    municipalities: &mut HashMap<String, Option<String>>,
    answers: &mut [Option<i8>],
) -> Result<Head, RowError> {
    let cb = &cat.codebook;
    let id = fields.get(cols.id).trim().to_owned();
    if id.is_empty() {
        return Err((
            Some(cols.id),
            "required value missing (respondent id)".into(),
        ));
    }
    let year = required(int_field(fields, cols.year)?, cols.year, "survey year")?;
    let (lo, hi) = (
        cb.survey_year.min.unwrap_or(1990),
        cb.survey_year.max.unwrap_or(2100),
    );
    if !(lo..=hi).contains(&year) {
        return Err((Some(cols.year), format!("survey year outside {lo}–{hi}")));
    }
    let m_field = fields.get(cols.municipality);
    let m_src = m_field.trim();
    if m_src.is_empty() {
        return Err((
            Some(cols.municipality),
            "required value missing (municipality)".into(),
        ));
    }
    let Some(m_src) = municipality_number(m_src) else {
        return Err((
            Some(cols.municipality),
            "municipality number is not four digits".into(),
        ));
    };
    let m_src = m_src.as_ref();
    let municipality = match municipalities.get(m_src) {
        Some(known) => known.clone(),
        None => {
            let now = harmoniser.current(m_src);
            municipalities.insert(m_src.to_owned(), now.clone());
            now
        }
    }
    .ok_or_else(|| {
        (
            Some(cols.municipality),
            "municipality number was split; cannot harmonise".to_owned(),
        )
    })?;
    let grade_code = required(int_field(fields, cols.grade)?, cols.grade, "grade")?;
    let grade = *codes.grade.get(&grade_code).ok_or_else(|| {
        (
            Some(cols.grade),
            "grade code not in the codebook".to_owned(),
        )
    })?;
    let level = match cols.school_level {
        Some(sc) => int_field(fields, sc)?.map(|l| (sc, l)),
        None => None,
    };
    if let Some((sc, level)) = level {
        let ungdomsskole = *codes
            .school_level
            .get(&level)
            .ok_or_else(|| (Some(sc), "school level code not in the codebook".to_owned()))?;
        let allowed = if ungdomsskole {
            &cb.grade.ungdomsskole
        } else {
            &cb.grade.videregaende
        };
        if !allowed.contains(&grade) {
            return Err((
                Some(cols.grade),
                "grade impossible for the school level".into(),
            ));
        }
    }
    let gender_code = required(int_field(fields, cols.gender)?, cols.gender, "gender")?;
    if codes.is_missing(gender_code) {
        return Err((Some(cols.gender), "required value missing (gender)".into()));
    }
    let gender = codes.gender.get(&gender_code).cloned().ok_or_else(|| {
        (
            Some(cols.gender),
            "gender code not in the codebook".to_owned(),
        )
    })?;
    for ((item, col), slot) in cb.items.iter().zip(&cols.items).zip(answers.iter_mut()) {
        let Some(col) = *col else {
            *slot = None;
            continue;
        };
        let a = match int_field(fields, col)? {
            None => None,
            Some(v) if codes.is_missing(v) => None,
            // Valid ranges fit in i8: the catalogue refuses wider ones when it loads.
            Some(v) if (item.valid[0]..=item.valid[1]).contains(&v) => Some(v as i8),
            Some(_) => {
                return Err((
                    Some(col),
                    format!(
                        "answer code out of range {}–{}",
                        item.valid[0], item.valid[1]
                    ),
                ));
            }
        };
        *slot = a;
    }
    Ok(Head {
        id,
        year: year as i32,
        municipality,
        municipality_source: m_src.to_owned(),
        grade: grade as i8,
        gender,
    })
}
