//! Reading one export into canonical respondents with validation and quarantine.
//!
//! The reader streams: a CSV export is parsed record by record from any `Read + Seek`
//! source (a file on disk is never held in memory as a whole), and accepted rows leave in
//! chunks of [`CHUNK_ROWS`] through a sink, so memory stays flat however large the export.
//! SPSS and Parquet readers feed their cases through the same [`Validator`].

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::hash::BuildHasher;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::sync::Arc;

use encoding_rs::WINDOWS_1252;
use oppvekst_schema::text::{Encoding, detect_delimiter};
use oppvekst_schema::{Catalogue, Harmoniser};

use crate::check::{Checker, Validator};
use crate::{FileReport, IngestError, QuarantinedRow, Respondents};

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
    pub(crate) fn forget(&mut self, file: &Arc<str>) {
        let files = &self.files;
        self.entries
            .retain(|e| !Arc::ptr_eq(&files[e.file as usize], file));
    }
}

pub(crate) struct Columns {
    pub(crate) id: usize,
    pub(crate) year: usize,
    pub(crate) municipality: usize,
    pub(crate) school_level: Option<usize>,
    pub(crate) grade: usize,
    pub(crate) gender: usize,
    /// Source column per codebook item (None when the file lacks the item).
    pub(crate) items: Vec<Option<usize>>,
    pub(crate) unknown: Vec<String>,
}

fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

pub(crate) fn map_columns(
    file: &str,
    header: &[String],
    cat: &Catalogue,
) -> Result<Columns, IngestError> {
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
    let (header, header_end) = {
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_reader(&mut src);
        let header: Vec<String> = rdr
            .byte_headers()
            .map_err(|e| IngestError::Header {
                file: file.to_owned(),
                message: e.to_string(),
            })?
            .iter()
            .map(|h| decode_bytes(h, encoding).into_owned())
            .collect();
        // Where the body starts: the byte after the header record, and its line (the
        // reader counts every line break it consumed, blank lines before the header too).
        let end = rdr.position();
        (header, (end.byte(), end.line()))
    };
    let mut v = Validator::new(Checker::new(file, header, encoding, cat, harmoniser)?, seen);
    let (header_bytes, first_line) = header_end;
    let body = start + header_bytes;
    src.seek(SeekFrom::Start(body)).map_err(io)?;
    crate::split::read_body(
        file,
        src,
        delimiter,
        first_line,
        body,
        len,
        opts.progress.as_ref(),
        &mut v,
        sink,
    )?;
    if let Some(p) = &opts.progress {
        (p.0)(len, len);
    }
    v.finish(unfinished, encoding.name(), delimiter as char, opts, sink)
}
