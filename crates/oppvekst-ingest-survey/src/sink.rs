//! Running a sink on a thread of its own, and collecting a stream into one table. A leaf
//! module beside [`crate::options`].

use oppvekst_schema::Catalogue;

use crate::options::Sink;
use crate::{IngestError, Respondents};

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
