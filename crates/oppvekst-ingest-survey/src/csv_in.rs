//! The CSV front end: one export read as a stream from any `Read + Seek` source (a file on
//! disk is never held in memory as a whole): encoding and separator detected, the header
//! mapped, the body cut into pieces checked on every core ([`crate::split`]), accepted rows
//! leaving in chunks of [`crate::CHUNK_ROWS`] through a sink, so memory stays flat however
//! large the export.

use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};

use encoding_rs::WINDOWS_1252;
use oppvekst_schema::text::{Encoding, detect_delimiter, majority};
use oppvekst_schema::{Catalogue, Harmoniser};

use crate::check::{Checker, Validator};
use crate::options::{ReadOptions, Sink};
use crate::seen::SeenIds;
use crate::sink::collect;
use crate::{FileReport, IngestError, QuarantinedRow, Respondents};

/// Decodes header text or a field in the file's encoding (invalid bytes become U+FFFD).
fn decode_bytes(b: &[u8], encoding: Encoding) -> Cow<'_, str> {
    match encoding {
        Encoding::Utf8 => String::from_utf8_lossy(b),
        Encoding::Windows1252 => WINDOWS_1252.decode_without_bom_handling(b).0,
    }
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

/// Reads one CSV export from `src` record by record, in one pass over the body: detects the
/// encoding (unless declared or marked by a BOM: from a non-ASCII header, else from the
/// first piece of the body that holds non-ASCII bytes — the rows before it are ASCII and
/// read the same either way) and the separator, maps the columns, validates every value
/// and sends accepted rows to `sink` in chunks. A file that fails as a whole
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
    let declared = match (opts.encoding, has_bom) {
        (Some(e), _) => Some(e),
        (None, true) => Some(Encoding::Utf8),
        (None, false) => None,
    };
    // The first non-blank line is the header; it decides the separator (and the encoding,
    // when it is not ASCII and none is declared).
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
    let encoding = declared.or_else(|| (!first.is_ascii()).then(|| majority(&first)));
    let first = decode_bytes(&first, encoding.unwrap_or(Encoding::Utf8));
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
            .map(|h| decode_bytes(h, encoding.unwrap_or(Encoding::Utf8)).into_owned())
            .collect();
        // Where the body starts: the byte after the header record, and its line (the
        // reader counts every line break it consumed, blank lines before the header too).
        let end = rdr.position();
        (header, (end.byte(), end.line()))
    };
    let mut v = Validator::new(
        Checker::new(
            file,
            header,
            encoding,
            cat,
            harmoniser,
            opts.on_invalid_answer,
        )?,
        seen,
    );
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
    let encoding = v.encoding().name();
    v.finish(unfinished, encoding, delimiter as char, opts, sink)
}
