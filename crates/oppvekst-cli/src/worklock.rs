//! Taking the work folder's lock for a command, and saying so when it was left by a run
//! that ended without letting go (killed).

use std::path::Path;

use anyhow::Result;
use oppvekst_release::lock::{Holder, WorkLock};

/// This command line as the lock records it (without the program's path).
fn command() -> String {
    std::env::args().skip(1).collect::<Vec<_>>().join(" ")
}

/// The exclusive lock on `work` for a command that writes it.
pub fn exclusive(work: &Path) -> Result<WorkLock> {
    let started = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let lock = WorkLock::exclusive(work, &Holder::me(&command(), &started))?;
    if let Some(h) = &lock.took_over {
        eprintln!(
            "note: took over the lock of `oppvekst {}` (process {}, started {}), which ended without releasing it",
            h.command, h.pid, h.started
        );
    }
    Ok(lock)
}

/// The shared lock on `work` for a command that only reads it.
pub fn shared(work: &Path) -> Result<WorkLock> {
    Ok(WorkLock::shared(
        work,
        &format!("`oppvekst {}`", command()),
    )?)
}
