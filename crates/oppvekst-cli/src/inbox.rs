//! File discovery: which files of an inbox folder the run reads.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use oppvekst_bundle::NotRead;
use oppvekst_release::inputs::{
    Inbox, NamedFile, OFFICIAL_EXTENSIONS, POLICE_EXTENSIONS, POPULATION_EXTENSIONS,
    REFERENCE_EXTENSIONS, SURVEY_EXTENSIONS,
};

/// The source folders of an inbox: folder, what it holds (for messages), the extensions read.
const SOURCES: [(&str, &str, &[&str]); 5] = [
    ("survey", "survey exports", SURVEY_EXTENSIONS),
    ("police", "police extracts", POLICE_EXTENSIONS),
    ("population", "population tables", POPULATION_EXTENSIONS),
    ("reference", "reference levels", REFERENCE_EXTENSIONS),
    (
        "official",
        "SSB tables (StatBank's wide CSV or XLSX)",
        OFFICIAL_EXTENSIONS,
    ),
];

/// A hidden file or one an editor leaves while a document is open (`.DS_Store`, `~$x.xlsx`).
fn hidden_or_temporary(name: &str) -> bool {
    name.starts_with('.') || name.starts_with("~$") || name.ends_with('~') || name == "Thumbs.db"
}

/// The entries of a folder, sorted (an unreadable entry is an error, not skipped).
fn entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut v = Vec::new();
    for e in fs::read_dir(dir).with_context(|| format!("{}: cannot list folder", dir.display()))? {
        v.push(
            e.with_context(|| format!("{}: cannot list folder", dir.display()))?
                .path(),
        );
    }
    v.sort();
    Ok(v)
}

/// Every input file of an inbox folder; every other entry listed as not read (outside the
/// source folders, hidden, temporary) or, in a source folder, as unreadable by that source.
pub fn discover(inbox: &Path) -> Result<Inbox> {
    let name_of = |p: &Path| {
        p.strip_prefix(inbox)
            .unwrap_or(p)
            .to_string_lossy()
            .replace('\\', "/")
    };
    let mut found: [Vec<NamedFile>; 5] = Default::default();
    let mut not_read = Vec::new();
    let mut unreadable = Vec::new();
    let skip = |p: &Path, reason: &str| NotRead {
        file: name_of(p),
        reason: reason.to_owned(),
    };
    if inbox.is_dir() {
        for top in entries(inbox)? {
            let file_name = top.file_name().map(|n| n.to_string_lossy().into_owned());
            let file_name = file_name.unwrap_or_default();
            let source = SOURCES.iter().position(|(dir, _, _)| *dir == file_name);
            match source {
                Some(k) if top.is_dir() => {
                    let (_, what, extensions) = SOURCES[k];
                    for p in entries(&top)? {
                        let n = p.file_name().map(|n| n.to_string_lossy().into_owned());
                        let n = n.unwrap_or_default();
                        let readable = p
                            .extension()
                            .is_some_and(|e| extensions.iter().any(|x| e.eq_ignore_ascii_case(x)));
                        if hidden_or_temporary(&n) {
                            not_read.push(skip(&p, "hidden or temporary file"));
                        } else if p.is_dir() {
                            not_read.push(skip(&p, "a folder inside a source folder is not read"));
                        } else if readable {
                            found[k].push(NamedFile {
                                name: name_of(&p),
                                path: p,
                            });
                        } else {
                            unreadable.push(skip(
                                &p,
                                &format!(
                                    "not one of the {what} this folder holds (only .{} files are read here)",
                                    extensions.join(", .")
                                ),
                            ));
                        }
                    }
                }
                _ if hidden_or_temporary(&file_name) => {
                    not_read.push(skip(&top, "hidden or temporary file"));
                }
                _ => not_read.push(skip(
                    &top,
                    "not in a source folder (survey/, police/, population/, reference/, official/)",
                )),
            }
        }
    }
    let [survey, police, population, reference, official] = found;
    Ok(Inbox {
        root: inbox.to_owned(),
        survey,
        police,
        population,
        reference,
        official,
        not_read,
        unreadable,
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
