//! Checking rows on every core: the calling thread reads the export unit by unit (a piece
//! of a CSV file, a batch of SPSS cases), worker threads turn each unit into rows and check
//! them, and the calling thread takes the checked rows back in file order (duplicate ids,
//! the sink). At most `in_flight` units are out at a time, so memory stays flat; spent
//! units come back to the reader to be filled again.

use std::collections::BTreeMap;
use std::sync::mpsc::{RecvTimeoutError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::check::{Checked, Checker, Fields, Scratch, Spare, Validator};
use crate::options::Sink;
use crate::{CHUNK_ROWS, IngestError};

/// Threads that check rows.
fn workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 8))
}

/// Where a worker hands each row of a unit: the row's line and its fields.
pub(crate) type Rows<'r> = dyn FnMut(u64, Fields<'_>) + 'r;

/// Checks the rows a worker hands over and collects them in batches of at most
/// [`CHUNK_ROWS`] rows read.
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

/// Reads units with `read` (handed a spent unit to reuse, when there is one; None at the
/// end), has every row of each checked on a worker thread — each worker makes its own
/// `rows_of` with `worker` and calls it for each unit — and takes the checked rows back in
/// file order through the validator, calling `taken` after each unit. At most `in_flight`
/// units are read and not yet taken.
#[allow(clippy::too_many_arguments)]
pub(crate) fn check_in_order<U, F>(
    file: &str,
    in_flight: usize,
    v: &mut Validator<'_>,
    sink: &mut Sink<'_>,
    mut read: impl FnMut(Option<U>) -> Result<Option<U>, IngestError>,
    worker: impl Fn() -> F + Sync,
    mut taken: impl FnMut(&U),
) -> Result<(), IngestError>
where
    U: Send,
    F: FnMut(&U, &mut Rows<'_>),
{
    let stopped = || IngestError::Stage {
        message: format!("{file}: a thread checking rows stopped"),
    };
    let (check, taker) = v.parts();
    let spare = Arc::clone(taker.spare());
    let in_flight = in_flight.max(1);
    let (work_tx, work_rx) = sync_channel::<(u64, U)>(in_flight);
    let work_rx = Mutex::new(work_rx);
    let (done_tx, done_rx) = sync_channel::<(u64, Vec<Checked>, U)>(in_flight);
    std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for _ in 0..workers() {
            let (done_tx, work_rx, spare, worker) = (done_tx.clone(), &work_rx, &spare, &worker);
            handles.push(scope.spawn(move || {
                let mut rows_of = worker();
                let mut batcher = Batcher {
                    check,
                    spare,
                    scratch: Scratch::default(),
                    batches: Vec::new(),
                    batch: None,
                };
                loop {
                    // A poisoned lock means another worker panicked: stop too.
                    let next = match work_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => break,
                    };
                    let Ok((index, unit)) = next else { break };
                    rows_of(&unit, &mut |line, fields| batcher.row(line, fields));
                    if done_tx.send((index, batcher.take(), unit)).is_err() {
                        break;
                    }
                }
            }));
        }
        drop(done_tx);
        let result = (|| -> Result<(), IngestError> {
            let mut waiting = BTreeMap::new();
            let mut spent: Vec<U> = Vec::new();
            let (mut sent, mut next) = (0u64, 0u64);
            let mut ended = false;
            loop {
                if !ended && sent - next < in_flight as u64 {
                    match read(spent.pop())? {
                        Some(unit) => {
                            // Never blocks: at most `in_flight` units are out.
                            work_tx.send((sent, unit)).map_err(|_| stopped())?;
                            sent += 1;
                        }
                        None => ended = true,
                    }
                    while let Ok(done) = done_rx.try_recv() {
                        waiting.insert(done.0, done);
                    }
                } else if sent == next {
                    return Ok(());
                } else {
                    match done_rx.recv_timeout(Duration::from_millis(100)) {
                        Ok(done) => {
                            waiting.insert(done.0, done);
                        }
                        // A worker that ends while units are out has failed.
                        Err(RecvTimeoutError::Timeout) => {
                            if handles.iter().any(|h| h.is_finished()) {
                                return Err(stopped());
                            }
                        }
                        Err(RecvTimeoutError::Disconnected) => return Err(stopped()),
                    }
                }
                while let Some((_, batches, unit)) = waiting.remove(&next) {
                    for batch in batches {
                        taker.take(check, batch, sink)?;
                    }
                    taken(&unit);
                    spent.push(unit);
                    next += 1;
                }
            }
        })();
        // The workers end when the channel closes (also when reading or taking failed).
        // Joined here, a worker that panicked is an error, not a panic of the caller.
        drop(work_tx);
        let mut result = result;
        for handle in handles {
            if handle.join().is_err() && result.is_ok() {
                result = Err(stopped());
            }
        }
        result
    })
}
