//! Where the ledger of earlier releases lives: `work/store/ledger.json`, in the confidential
//! work folder beside the history store (it says which cells every release hid).

use std::path::{Path, PathBuf};

use oppvekst_disclosure::Ledger;

use crate::{ReleaseError, file_err};

/// The ledger's file in a work folder.
pub fn path(work: &Path) -> PathBuf {
    work.join("store/ledger.json")
}

/// Reads a ledger; a file that does not exist is an empty ledger (the first release).
pub fn load(path: &Path) -> Result<Ledger, ReleaseError> {
    if !path.exists() {
        return Ok(Ledger::default());
    }
    let text = std::fs::read(path).map_err(file_err(path))?;
    serde_json::from_slice(&text).map_err(|e| ReleaseError::File {
        path: path.to_owned(),
        message: format!("not a ledger: {e}"),
    })
}

/// Writes a ledger atomically.
pub fn save(path: &Path, ledger: &Ledger) -> Result<(), ReleaseError> {
    let json = serde_json::to_string(ledger).map_err(|e| ReleaseError::File {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    oppvekst_schema::io::write_atomic(path, json.as_bytes())?;
    Ok(())
}
