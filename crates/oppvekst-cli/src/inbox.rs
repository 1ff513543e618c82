//! File discovery: which files of an inbox folder the run reads.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};
use oppvekst_release::inputs::{
    Inbox, NamedFile, POLICE_EXTENSIONS, POPULATION_EXTENSIONS, REFERENCE_EXTENSIONS,
    SURVEY_EXTENSIONS,
};

/// The files of `inbox/dir` with these extensions, sorted, named relative to the inbox.
fn named(inbox: &Path, dir: &str, extensions: &[&str]) -> Result<Vec<NamedFile>> {
    let dir = inbox.join(dir);
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut v: Vec<_> = fs::read_dir(&dir)
        .with_context(|| format!("{}: cannot list folder", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|e| extensions.iter().any(|x| e.eq_ignore_ascii_case(x)))
        })
        .collect();
    v.sort();
    Ok(v.into_iter()
        .map(|p| NamedFile {
            name: p
                .strip_prefix(inbox)
                .unwrap_or(&p)
                .to_string_lossy()
                .replace('\\', "/"),
            path: p,
        })
        .collect())
}

/// Every input file of an inbox folder.
pub fn discover(inbox: &Path) -> Result<Inbox> {
    Ok(Inbox {
        root: inbox.to_owned(),
        survey: named(inbox, "survey", SURVEY_EXTENSIONS)?,
        police: named(inbox, "police", POLICE_EXTENSIONS)?,
        population: named(inbox, "population", POPULATION_EXTENSIONS)?,
        reference: named(inbox, "reference", REFERENCE_EXTENSIONS)?,
    })
}

/// Files given on the command line, named as given.
pub fn given(files: &[std::path::PathBuf]) -> Vec<NamedFile> {
    files
        .iter()
        .map(|p| NamedFile {
            name: p.display().to_string(),
            path: p.clone(),
        })
        .collect()
}
