//! Where the ledger of earlier releases lives: `ledger.json` in the history store's current
//! generation (`work/store/gen-NNNNNN/`, confidential: it says which cells every release
//! hid), so that a run's new revisions and its release record become visible together.

use std::path::{Path, PathBuf};

use oppvekst_disclosure::Ledger;

use crate::{ReleaseError, file_err};

/// The ledger's file in a store generation's folder.
pub fn path(generation: &Path) -> PathBuf {
    generation.join("ledger.json")
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
