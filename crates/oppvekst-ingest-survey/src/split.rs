//! The body of a CSV export cut into pieces of whole records, for checking on every core
//! ([`crate::parallel`]).
//!
//! Records are split by `csv_core`, the csv crate's own parser, with the same settings as
//! the header; a piece without quotes is split in place by the same rules, without copying
//! its fields. A piece always ends just after a line break that ends a record (outside any
//! quoted field, by the same quoting rules), so each piece starts where the parser would be
//! at the start of a record.

use std::io::Read;

use csv_core::ReadRecordResult;

use crate::IngestError;
use crate::check::{Fields, Record, Validator};
use crate::options::{Progress, Sink};
use crate::parallel::{Rows, check_in_order};

/// Bytes per piece, about: a piece ends after the last whole record that fits (or after
/// the first record, when one record is longer).
const PIECE_BYTES: usize = 2 << 20;

/// Pieces read and not yet taken back, at most.
const PIECES_IN_FLIGHT: usize = 8;

/// Whole records cut from the body.
struct Piece {
    bytes: Vec<u8>,
    /// Line of the piece's first byte (1-based).
    first_line: u64,
    /// Byte offset in the file just past the piece.
    end: u64,
}

/// Where the parser stands with respect to quoting, as `csv_core` decides it.
#[derive(Clone, Copy, PartialEq)]
enum Quoting {
    /// At the start of a field (or a record).
    FieldStart,
    /// In a field that did not start with a quote.
    Plain,
    /// In a quoted field.
    Quoted,
    /// Just after a quote inside a quoted field (the field's end, or the first of two).
    AfterQuote,
}

/// The end of the last whole record in `buf` (just past the line break that ends it),
/// reading from the start of a record; None when no record ends in `buf`. Follows the
/// quoting rules of `csv_core` (quote `"`, doubled to escape, no escape character; `\r`,
/// `\n` and `\r\n` end a record).
fn last_record_end(buf: &[u8], delimiter: u8) -> Option<usize> {
    if memchr::memchr(b'"', buf).is_none() {
        return memchr::memrchr(b'\n', buf).map(|p| p + 1);
    }
    let mut state = Quoting::FieldStart;
    let mut last = None;
    for (i, &b) in buf.iter().enumerate() {
        state = match state {
            Quoting::Quoted => {
                if b == b'"' {
                    Quoting::AfterQuote
                } else {
                    Quoting::Quoted
                }
            }
            Quoting::FieldStart if b == b'"' => Quoting::Quoted,
            Quoting::AfterQuote if b == b'"' => Quoting::Quoted,
            _ if b == delimiter || b == b'\r' => Quoting::FieldStart,
            _ if b == b'\n' => {
                last = Some(i + 1);
                Quoting::FieldStart
            }
            _ => Quoting::Plain,
        };
    }
    last
}

/// Cuts a source into pieces of whole records.
struct Cutter<R> {
    src: R,
    delimiter: u8,
    piece_bytes: usize,
    /// Bytes read and not yet cut (the start of the next piece).
    buf: Vec<u8>,
    first_line: u64,
    offset: u64,
    ended: bool,
}

impl<R: Read> Cutter<R> {
    fn new(src: R, delimiter: u8, first_line: u64, offset: u64, piece_bytes: usize) -> Self {
        Cutter {
            src,
            delimiter,
            piece_bytes,
            buf: Vec::with_capacity(piece_bytes + (64 << 10)),
            first_line,
            offset,
            ended: false,
        }
    }

    /// The next piece (in `spent`'s buffer when given), or None at the end.
    fn next(&mut self, spent: Option<Piece>) -> std::io::Result<Option<Piece>> {
        let mut want = self.piece_bytes;
        while !self.ended {
            let need = want.saturating_sub(self.buf.len()) as u64;
            let got = self.src.by_ref().take(need).read_to_end(&mut self.buf)?;
            self.ended = (got as u64) < need;
            let end = if self.ended {
                self.buf.len()
            } else {
                match last_record_end(&self.buf, self.delimiter) {
                    Some(end) => end,
                    None => {
                        // One record longer than a piece (a long quoted field): read on.
                        want = want.saturating_mul(2);
                        continue;
                    }
                }
            };
            if end == 0 {
                break;
            }
            let mut next = spent.map(|p| p.bytes).unwrap_or_default();
            next.clear();
            next.reserve(self.piece_bytes + (64 << 10));
            next.extend_from_slice(&self.buf[end..]);
            self.buf.truncate(end);
            let bytes = std::mem::replace(&mut self.buf, next);
            let first_line = self.first_line;
            self.first_line += memchr::memchr_iter(b'\n', &bytes).count() as u64;
            self.offset += end as u64;
            return Ok(Some(Piece {
                bytes,
                first_line,
                end: self.offset,
            }));
        }
        Ok(None)
    }
}

/// Whether every line break of `bytes` ends a record and every field is its bytes as they
/// are: no quotes, no `\r` but in `\r\n`, and a separator that is neither.
fn plain(bytes: &[u8], delimiter: u8) -> bool {
    !matches!(delimiter, b'"' | b'\r' | b'\n')
        && memchr::memchr(b'"', bytes).is_none()
        && memchr::memchr_iter(b'\r', bytes).all(|i| bytes.get(i + 1) == Some(&b'\n'))
}

/// The end of every field of a line without quotes or line breaks: each separator's
/// position, then the line's length. Separators are found 64 bytes at a time as a bit mask
/// (which the compiler turns into vector compares), fields being one or two bytes long.
fn field_ends(row: &[u8], delimiter: u8, ends: &mut Vec<usize>) {
    ends.clear();
    let mut chunks = row.chunks_exact(64);
    let mut base = 0;
    for chunk in chunks.by_ref() {
        let mut mask = chunk
            .iter()
            .enumerate()
            .fold(0u64, |m, (i, &b)| m | (u64::from(b == delimiter) << i));
        while mask != 0 {
            ends.push(base + mask.trailing_zeros() as usize);
            mask &= mask - 1;
        }
        base += 64;
    }
    for (i, &b) in chunks.remainder().iter().enumerate() {
        if b == delimiter {
            ends.push(base + i);
        }
    }
    ends.push(row.len());
}

/// Splits pieces into records, as `csv_core` does; keeps its buffers between pieces.
struct Splitter {
    delimiter: u8,
    parser: csv_core::Reader,
    rec: Record,
    /// Field ends of a plain row.
    ends: Vec<usize>,
}

impl Splitter {
    fn new(delimiter: u8) -> Self {
        Splitter {
            delimiter,
            parser: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            rec: Record::default(),
            ends: Vec::new(),
        }
    }

    /// Hands every record of `input` (whole records, starting on line `first_line`) to
    /// `each` with the line of its first byte.
    fn rows(&mut self, input: &[u8], first_line: u64, each: &mut Rows<'_>) {
        if plain(input, self.delimiter) {
            self.plain_rows(input, first_line, each);
        } else {
            self.parsed_rows(input, first_line, each);
        }
    }

    /// The rows of a plain piece: each line a record, each separator a field end, exactly
    /// as the parser would split them (blank lines skipped, `\r\n` one line break).
    fn plain_rows(&mut self, input: &[u8], first_line: u64, each: &mut Rows<'_>) {
        let ends = &mut self.ends;
        let (mut start, mut line) = (0, first_line);
        while start < input.len() {
            let stop = memchr::memchr(b'\n', &input[start..]).map_or(input.len(), |p| start + p);
            let end = if stop > start && input[stop - 1] == b'\r' && stop < input.len() {
                stop - 1
            } else {
                stop
            };
            // A blank line is no record.
            if end > start {
                let row = &input[start..end];
                field_ends(row, self.delimiter, ends);
                each(line, Fields::separated(row, ends));
            }
            start = stop + 1;
            line += 1;
        }
    }

    /// The rows of a piece with quotes (or lone `\r`s), split by `csv_core`.
    fn parsed_rows(&mut self, input: &[u8], first_line: u64, each: &mut Rows<'_>) {
        let rec = &mut self.rec;
        self.parser.reset();
        let mut pos = 0;
        let mut line = first_line;
        loop {
            // Line breaks before the record (blank lines, the `\n` of a `\r\n`) are skipped by
            // the parser too; a record's line is the line of its first byte.
            let lead = input[pos..]
                .iter()
                .take_while(|&&b| b == b'\r' || b == b'\n')
                .count();
            let newlines = memchr::memchr_iter(b'\n', &input[pos..pos + lead]).count() as u64;
            let at = pos + lead;
            if at == input.len() {
                break;
            }
            let record_line = line + newlines;
            let (mut nbytes, mut nends) = (0, 0);
            let mut done = false;
            while !done {
                // The buffers only grow (to the longest record so far), never per record.
                if rec.bytes.len() < nbytes + 256 {
                    rec.bytes.resize((nbytes + 256).max(rec.bytes.len() * 2), 0);
                }
                if rec.ends.len() < nends + 16 {
                    rec.ends.resize((nends + 16).max(rec.ends.len() * 2), 0);
                }
                let (res, nin, nout, nend) = self.parser.read_record(
                    &input[pos..],
                    &mut rec.bytes[nbytes..],
                    &mut rec.ends[nends..],
                );
                // The line breaks consumed (a quoted field may hold some).
                line += memchr::memchr_iter(b'\n', &input[pos..pos + nin]).count() as u64;
                pos += nin;
                nbytes += nout;
                nends += nend;
                done = match res {
                    ReadRecordResult::Record | ReadRecordResult::End => true,
                    // The input ends inside the record (the last piece of a file without a
                    // final line break): an empty input tells the parser the data ended.
                    ReadRecordResult::InputEmpty => {
                        let (res, _, nout, nend) = self.parser.read_record(
                            &[],
                            &mut rec.bytes[nbytes..],
                            &mut rec.ends[nends..],
                        );
                        nbytes += nout;
                        nends += nend;
                        !matches!(
                            res,
                            ReadRecordResult::OutputFull | ReadRecordResult::OutputEndsFull
                        )
                    }
                    ReadRecordResult::OutputFull | ReadRecordResult::OutputEndsFull => false,
                };
            }
            // Field ends are relative to the record's first byte.
            rec.fields = nends;
            each(record_line, rec.view());
        }
    }
}

/// Reads the records of a CSV body from `src` (positioned at `offset`, the start of line
/// `first_line`, just after the header record), checks them on every core and hands them
/// to the validator in file order.
#[allow(clippy::too_many_arguments)]
pub(crate) fn read_body<R: Read>(
    file: &str,
    src: R,
    delimiter: u8,
    first_line: u64,
    offset: u64,
    len: u64,
    progress: Option<&Progress>,
    v: &mut Validator<'_>,
    sink: &mut Sink<'_>,
) -> Result<(), IngestError> {
    let mut cutter = Cutter::new(src, delimiter, first_line, offset, PIECE_BYTES);
    let encoding = v.encoding_cell();
    check_in_order(
        file,
        PIECES_IN_FLIGHT,
        v,
        sink,
        |spent| {
            let piece = cutter.next(spent).map_err(|_| IngestError::Unusable {
                file: file.to_owned(),
                message: "cannot read the file".into(),
            })?;
            // The first piece with non-ASCII bytes decides an undeclared encoding, here,
            // before it goes to a checking thread (the channel orders the two).
            if let Some(p) = &piece
                && encoding.get().is_none()
                && !p.bytes.is_ascii()
            {
                let _ = encoding.set(oppvekst_schema::text::majority(&p.bytes));
            }
            Ok(piece)
        },
        || {
            let mut splitter = Splitter::new(delimiter);
            move |piece: &Piece, rows: &mut Rows<'_>| {
                splitter.rows(&piece.bytes, piece.first_line, rows);
            }
        },
        |piece| {
            if let Some(p) = progress {
                (p.0)(piece.end, len);
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every record of `data` as the csv crate reads it, with the line of its first byte.
    fn reference(data: &[u8], delimiter: u8) -> Vec<(u64, Vec<Vec<u8>>)> {
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .has_headers(false)
            .from_reader(data);
        let mut out = Vec::new();
        let mut rec = csv::ByteRecord::new();
        while rdr.read_byte_record(&mut rec).unwrap() {
            // The position is where the reader stood; the record starts after line breaks.
            let mut first = rec.position().unwrap().byte() as usize;
            while matches!(data.get(first), Some(b'\r' | b'\n')) {
                first += 1;
            }
            let line = 1 + data[..first].iter().filter(|&&b| b == b'\n').count() as u64;
            out.push((line, rec.iter().map(<[u8]>::to_vec).collect()));
        }
        out
    }

    /// Every record of `data` cut into pieces of about `piece_bytes` and split piece by
    /// piece, as the reader does.
    fn split(data: &[u8], delimiter: u8, piece_bytes: usize) -> Vec<(u64, Vec<Vec<u8>>)> {
        let mut cutter = Cutter::new(data, delimiter, 1, 0, piece_bytes);
        let mut splitter = Splitter::new(delimiter);
        let mut out = Vec::new();
        let mut end = 0;
        while let Some(piece) = cutter.next(None).unwrap() {
            assert!(piece.end > end, "a piece is never empty");
            end = piece.end;
            splitter.rows(&piece.bytes, piece.first_line, &mut |line, f| {
                out.push((line, f.iter().map(<[u8]>::to_vec).collect()));
            });
        }
        assert_eq!(end, data.len() as u64);
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Cut into pieces anywhere and split, with or without quotes, blank lines, `\r\n`
        /// or lone `\r`: the same records on the same lines as the csv crate reads them.
        #[test]
        fn pieces_split_as_the_csv_crate_reads(
            data in proptest::collection::vec(
                prop_oneof![
                    4 => Just(b'a'), 4 => Just(b'1'), 4 => Just(b';'), 1 => Just(b'"'),
                    1 => Just(b'\r'), 2 => Just(b'\n'), 1 => Just(b' '), 1 => Just(0xE6u8),
                ],
                0..160,
            ),
            piece_bytes in 1usize..40,
        ) {
            prop_assert_eq!(split(&data, b';', piece_bytes), reference(&data, b';'));
        }
    }

    proptest! {
        /// Field ends found 64 bytes at a time are each separator's position, then the end.
        #[test]
        fn field_ends_are_the_separators_then_the_end(
            row in proptest::collection::vec(prop_oneof![Just(b';'), Just(b'1'), Just(b'a')], 0..300)
        ) {
            let mut ends = Vec::new();
            field_ends(&row, b';', &mut ends);
            let mut expected: Vec<usize> = (0..row.len()).filter(|&i| row[i] == b';').collect();
            expected.push(row.len());
            prop_assert_eq!(ends, expected);
        }
    }

    #[test]
    fn plain_rows_are_split_in_place() {
        let data = b"a;1\r\n\r\nb;;2\n;\nc";
        assert!(plain(data, b';'));
        let rows = split(data, b';', 4);
        assert_eq!(rows, reference(data, b';'));
        assert_eq!(rows[1], (3, vec![b"b".to_vec(), vec![], b"2".to_vec()]));
        assert_eq!(rows.last().unwrap(), &(5, vec![b"c".to_vec()]));
    }

    #[test]
    fn a_piece_ends_after_the_last_record_outside_quotes() {
        assert_eq!(last_record_end(b"a;b\nc;d\ne", b';'), Some(8));
        assert_eq!(last_record_end(b"a;b", b';'), None);
        // The line break inside the quoted field does not end a record.
        assert_eq!(last_record_end(b"a;\"x\ny\"\nc", b';'), Some(8));
        assert_eq!(last_record_end(b"a;\"x\ny", b';'), None);
        // A doubled quote stays inside the field; a quote inside a plain field is text.
        assert_eq!(last_record_end(b"\"a\"\"\nb\"\nc", b';'), Some(8));
        assert_eq!(last_record_end(b"a\"b\nc", b';'), Some(4));
        // `\r\n`: the record ends at `\r`, the piece after `\n`.
        assert_eq!(last_record_end(b"\"a\"\r\nb", b';'), Some(5));
    }
}
