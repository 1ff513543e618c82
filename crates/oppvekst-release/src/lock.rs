//! One run at a time in a work folder: `work/oppvekst.lock`, held with the operating system's
//! file lock (`flock` on Linux) for as long as a run, an import or a demo writes the folder,
//! and shared by `status` while it reads. The kernel releases the lock when its process ends,
//! however it ends, so a lock left by a killed run is never in the way: the next run takes it
//! and says whose it was. The file holds who has the lock (process id, command, start time)
//! for the message a second run prints.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::ReleaseError;

/// Who holds (or held) the lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// Process id.
    pub pid: u32,
    /// What it runs (`run --quarter 2025Q4`).
    pub command: String,
    /// When it started (RFC 3339, UTC).
    pub started: String,
}

impl Holder {
    /// This process, running `command`, started at `started`.
    pub fn me(command: &str, started: &str) -> Self {
        Holder {
            pid: std::process::id(),
            command: command.to_owned(),
            started: started.to_owned(),
        }
    }

    fn to_text(&self) -> String {
        format!(
            "pid={}\ncommand={}\nstarted={}\n",
            self.pid, self.command, self.started
        )
    }

    fn parse(text: &str) -> Option<Holder> {
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
                .map(str::to_owned)
        };
        Some(Holder {
            pid: field("pid")?.parse().ok()?,
            command: field("command")?,
            started: field("started")?,
        })
    }

    fn describe(&self) -> String {
        format!(
            "`oppvekst {}` (process {}, started {})",
            self.command, self.pid, self.started
        )
    }
}

/// The lock on a work folder; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct WorkLock {
    _file: File,
    /// The earlier holder whose lock this run took over (its process had ended), if any.
    pub took_over: Option<Holder>,
}

/// The lock file of a work folder.
pub fn lock_path(work: &Path) -> PathBuf {
    work.join("oppvekst.lock")
}

fn open(work: &Path) -> Result<File, ReleaseError> {
    let path = lock_path(work);
    std::fs::create_dir_all(work).map_err(crate::file_err(work))?;
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(crate::file_err(&path))
}

fn holder_of(file: &mut File) -> Option<Holder> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut text).ok()?;
    Holder::parse(&text)
}

fn busy(work: &Path, holder: Option<Holder>, what: &str) -> ReleaseError {
    ReleaseError::Busy(format!(
        "{}: another oppvekst is writing this work folder — {}; {what} refused (run it again when that one has finished)",
        work.display(),
        holder.map_or_else(
            || "its details are not readable".to_owned(),
            |h| h.describe()
        )
    ))
}

impl WorkLock {
    /// The exclusive lock, for a run that writes the work folder; refused with a message
    /// naming the holder when another process has it.
    pub fn exclusive(work: &Path, me: &Holder) -> Result<WorkLock, ReleaseError> {
        let mut file = open(work)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(busy(
                    work,
                    holder_of(&mut file),
                    &format!("`oppvekst {}`", me.command),
                ));
            }
            Err(TryLockError::Error(e)) => return Err(crate::file_err(&lock_path(work))(e)),
        }
        // Whoever held it before has ended (the kernel released its lock).
        let took_over = holder_of(&mut file);
        let path = lock_path(work);
        file.set_len(0).map_err(crate::file_err(&path))?;
        file.seek(SeekFrom::Start(0))
            .map_err(crate::file_err(&path))?;
        file.write_all(me.to_text().as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(crate::file_err(&path))?;
        Ok(WorkLock {
            _file: file,
            took_over,
        })
    }

    /// The shared lock, for a command that only reads the work folder (`status`): several
    /// readers at once, none while a run writes.
    pub fn shared(work: &Path, what: &str) -> Result<WorkLock, ReleaseError> {
        let mut file = open(work)?;
        match file.try_lock_shared() {
            Ok(()) => Ok(WorkLock {
                _file: file,
                took_over: None,
            }),
            Err(TryLockError::WouldBlock) => Err(busy(work, holder_of(&mut file), what)),
            Err(TryLockError::Error(e)) => Err(crate::file_err(&lock_path(work))(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused_with_the_holder_and_the_lock_returns_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let me = Holder::me("run --quarter 2025Q4", "2026-12-01T16:00:00Z");
        let first = WorkLock::exclusive(dir.path(), &me).unwrap();
        assert_eq!(first.took_over, None);
        let other = Holder {
            pid: 1,
            command: "ingest survey".into(),
            started: "2026-12-01T16:01:00Z".into(),
        };
        let e = WorkLock::exclusive(dir.path(), &other)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(&format!("process {}", std::process::id())),
            "{e}"
        );
        assert!(e.contains("started 2026-12-01T16:00:00Z"), "{e}");
        assert!(e.contains("`oppvekst ingest survey` refused"), "{e}");
        assert!(WorkLock::shared(dir.path(), "`oppvekst status`").is_err());
        drop(first);
        // The next one takes the lock over and learns whose it was.
        let second = WorkLock::exclusive(dir.path(), &other).unwrap();
        assert_eq!(second.took_over, Some(me));
        drop(second);
        let a = WorkLock::shared(dir.path(), "status").unwrap();
        let b = WorkLock::shared(dir.path(), "status").unwrap();
        assert!(WorkLock::exclusive(dir.path(), &other).is_err());
        drop((a, b));
    }
}
