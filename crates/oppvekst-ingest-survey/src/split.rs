//! The body of a CSV export read in parallel: one thread cuts the file into pieces of
//! whole records, several threads split and check the records of a piece each, and the
//! calling thread takes the checked pieces back in file order ([`crate::check::Validator`]).
//!
//! Records are split by `csv_core`, the csv crate's own parser, with the same settings as
//! the header. A piece always ends just after a line break that ends a record (outside any
//! quoted field, by the same quoting rules), so each piece starts where the parser would be
//! at the start of a record. Memory stays flat: at most [`IN_FLIGHT`] pieces are cut ahead
//! of the one being taken.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use csv_core::ReadRecordResult;

use crate::check::{Checked, Checker, Fields, Record, Scratch, Spare, Validator};
use crate::read::{Progress, Sink};
use crate::{CHUNK_ROWS, IngestError};

/// Bytes per piece (a piece holds whole records, so it may be a little longer).
const PIECE_BYTES: usize = 2 << 20;

/// Pieces cut but not yet taken back, at most.
const IN_FLIGHT: usize = 8;

/// Threads that split and check records.
fn workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 8))
}

/// Whole records cut from the body.
struct Piece {
    /// Position in the file order.
    index: u64,
    bytes: Vec<u8>,
    /// Line of the piece's first byte (1-based).
    first_line: u64,
    /// Byte offset in the file just past the piece.
    end: u64,
}

/// A piece's rows, checked, in batches of at most [`CHUNK_ROWS`] rows read.
struct Done {
    index: u64,
    batches: Vec<Checked>,
    end: u64,
    /// The piece's buffer, to be filled again.
    bytes: Vec<u8>,
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

/// Cuts `src` into pieces of whole records and sends them. Each piece needs a ticket, the
/// spent buffer of a piece taken back, so that no more than [`IN_FLIGHT`] are out and
/// their buffers are reused. Returns how many pieces were sent.
fn cut<R: Read>(
    mut src: R,
    delimiter: u8,
    mut first_line: u64,
    mut offset: u64,
    piece_bytes: usize,
    pieces: &SyncSender<Piece>,
    tickets: &Receiver<Vec<u8>>,
) -> std::io::Result<u64> {
    let mut sent = 0;
    let mut buf: Vec<u8> = Vec::with_capacity(piece_bytes + (64 << 10));
    let mut want = piece_bytes;
    for index in 0.. {
        let eof = {
            let need = want.saturating_sub(buf.len()) as u64;
            let got = src.by_ref().take(need).read_to_end(&mut buf)?;
            (got as u64) < need
        };
        if buf.is_empty() {
            break;
        }
        let end = if eof {
            buf.len()
        } else {
            match last_record_end(&buf, delimiter) {
                Some(end) => end,
                None => {
                    // One record longer than a piece (a long quoted field): read on.
                    want = want.saturating_mul(2);
                    continue;
                }
            }
        };
        want = piece_bytes;
        let Ok(mut next) = tickets.recv() else {
            break; // the reader stopped
        };
        next.clear();
        next.reserve(piece_bytes + (64 << 10));
        next.extend_from_slice(&buf[end..]);
        buf.truncate(end);
        let lines = memchr::memchr_iter(b'\n', &buf).count() as u64;
        offset += end as u64;
        let piece = Piece {
            index,
            bytes: std::mem::replace(&mut buf, next),
            first_line,
            end: offset,
        };
        first_line += lines;
        if pieces.send(piece).is_err() {
            break;
        }
        sent += 1;
        if eof {
            break;
        }
    }
    Ok(sent)
}

/// Whether every line break of `bytes` ends a record and every field is its bytes as they
/// are: no quotes, no `\r` but in `\r\n`, and a separator that is neither.
fn plain(bytes: &[u8], delimiter: u8) -> bool {
    !matches!(delimiter, b'"' | b'\r' | b'\n')
        && memchr::memchr(b'"', bytes).is_none()
        && memchr::memchr_iter(b'\r', bytes).all(|i| bytes.get(i + 1) == Some(&b'\n'))
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
    fn rows(&mut self, input: &[u8], first_line: u64, each: &mut impl FnMut(u64, Fields<'_>)) {
        if plain(input, self.delimiter) {
            self.plain_rows(input, first_line, each);
        } else {
            self.parsed_rows(input, first_line, each);
        }
    }

    /// The rows of a plain piece: each line a record, each separator a field end, exactly
    /// as the parser would split them (blank lines skipped, `\r\n` one line break).
    fn plain_rows(
        &mut self,
        input: &[u8],
        first_line: u64,
        each: &mut impl FnMut(u64, Fields<'_>),
    ) {
        let ends = &mut self.ends;
        ends.clear();
        let (mut start, mut line) = (0, first_line);
        let mut emit = |start: usize, end: usize, line: u64, ends: &mut Vec<usize>| {
            if end > start || !ends.is_empty() {
                ends.push(end - start);
                each(line, Fields::separated(&input[start..end], ends));
            }
            ends.clear();
        };
        for pos in memchr::memchr2_iter(self.delimiter, b'\n', input) {
            if input[pos] == self.delimiter {
                ends.push(pos - start);
                continue;
            }
            let end = if pos > start && input[pos - 1] == b'\r' {
                pos - 1
            } else {
                pos
            };
            emit(start, end, line, ends);
            start = pos + 1;
            line += 1;
        }
        if start < input.len() {
            emit(start, input.len(), line, ends);
        }
    }

    /// The rows of a piece with quotes (or lone `\r`s), split by `csv_core`.
    fn parsed_rows(
        &mut self,
        input: &[u8],
        first_line: u64,
        each: &mut impl FnMut(u64, Fields<'_>),
    ) {
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

/// Checks the rows a worker splits and collects them in batches of at most [`CHUNK_ROWS`]
/// rows read.
struct Batcher<'c, 'a> {
    check: &'c Checker<'a>,
    spare: &'c Spare,
    scratch: Scratch,
    batches: Vec<Checked>,
    batch: Option<Checked>,
}

impl Batcher<'_, '_> {
    /// Checks one row and starts a new batch when this one is full.
    fn row(&mut self, line: u64, fields: Fields<'_>) {
        let batch = self
            .batch
            .get_or_insert_with(|| self.check.batch(self.spare));
        self.check.row(line, fields, batch, &mut self.scratch);
        if batch.rows_read >= CHUNK_ROWS as u64
            && let Some(full) = self.batch.take()
        {
            self.batches.push(full);
        }
    }

    /// The batches so far.
    fn take(&mut self) -> Vec<Checked> {
        let mut batches = std::mem::take(&mut self.batches);
        batches.extend(self.batch.take());
        batches
    }
}

/// Reads the records of a CSV body from `src` (positioned at `offset`, the start of line
/// `first_line`, just after the header record), checks them in parallel and hands them to
/// the validator in file order.
#[allow(clippy::too_many_arguments)]
pub(crate) fn read_body<R: Read + Send>(
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
    let unreadable = || IngestError::Unusable {
        file: file.to_owned(),
        message: "cannot read the file".into(),
    };
    let (check, taker) = v.parts();
    let spare = Arc::clone(taker.spare());
    let (piece_tx, piece_rx) = sync_channel::<Piece>(IN_FLIGHT);
    let piece_rx = Mutex::new(piece_rx);
    let (ticket_tx, ticket_rx) = sync_channel::<Vec<u8>>(IN_FLIGHT);
    for _ in 0..IN_FLIGHT {
        // The channel holds IN_FLIGHT tickets; the receiver is alive.
        let _ = ticket_tx.send(Vec::new());
    }
    let (done_tx, done_rx) = sync_channel::<Done>(IN_FLIGHT);
    std::thread::scope(|scope| {
        let cutter = scope.spawn(move || {
            cut(
                src,
                delimiter,
                first_line,
                offset,
                PIECE_BYTES,
                &piece_tx,
                &ticket_rx,
            )
        });
        for _ in 0..workers() {
            let (done_tx, piece_rx, spare) = (done_tx.clone(), &piece_rx, &spare);
            scope.spawn(move || {
                let mut splitter = Splitter::new(delimiter);
                let mut batcher = Batcher {
                    check,
                    spare,
                    scratch: Scratch::default(),
                    batches: Vec::new(),
                    batch: None,
                };
                loop {
                    // A poisoned lock means another worker panicked: stop too.
                    let next = match piece_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => break,
                    };
                    let Ok(piece) = next else { break };
                    splitter.rows(&piece.bytes, piece.first_line, &mut |line, fields| {
                        batcher.row(line, fields)
                    });
                    let done = Done {
                        index: piece.index,
                        batches: batcher.take(),
                        end: piece.end,
                        bytes: piece.bytes,
                    };
                    if done_tx.send(done).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        // Take the pieces back in file order.
        let mut waiting: BTreeMap<u64, Done> = BTreeMap::new();
        let mut next = 0u64;
        let taken = (|| -> Result<(), IngestError> {
            for done in &done_rx {
                waiting.insert(done.index, done);
                while let Some(done) = waiting.remove(&next) {
                    for batch in done.batches {
                        taker.take(check, batch, sink)?;
                    }
                    next += 1;
                    let _ = ticket_tx.send(done.bytes);
                    if let Some(p) = progress {
                        (p.0)(done.end, len);
                    }
                }
            }
            Ok(())
        })();
        // Stop the cutter and the workers when taking failed.
        drop(done_rx);
        drop(ticket_tx);
        let cut = cutter.join();
        taken?;
        match cut {
            // Every piece cut was taken (none lost with a failed thread).
            Ok(Ok(sent)) if sent == next && waiting.is_empty() => Ok(()),
            Ok(Ok(_)) => Err(IngestError::Stage {
                message: format!("{file}: a thread checking rows stopped"),
            }),
            Ok(Err(_)) | Err(_) => Err(unreadable()),
        }
    })
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
        let (piece_tx, piece_rx) = sync_channel(data.len() + 1);
        let (ticket_tx, ticket_rx) = sync_channel(data.len() + 1);
        for _ in 0..=data.len() {
            ticket_tx.send(Vec::new()).unwrap();
        }
        let sent = cut(data, delimiter, 1, 0, piece_bytes, &piece_tx, &ticket_rx).unwrap();
        drop(piece_tx);
        let mut splitter = Splitter::new(delimiter);
        let mut out = Vec::new();
        let mut pieces = 0;
        for piece in piece_rx {
            pieces += 1;
            splitter.rows(&piece.bytes, piece.first_line, &mut |line, f| {
                out.push((line, f.iter().map(<[u8]>::to_vec).collect()));
            });
        }
        assert_eq!(pieces, sent);
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
