//! The history store: every quarter ever imported, as a folder of Parquet files that polars
//! and any Parquet tool can read (`police/<quarter>/r<NNN>.parquet`, contract
//! `police_counts`), with `police/log.csv` recording every revision: what changed, when, and
//! from which file.
//!
//! Re-importing the same extract (same bytes) changes nothing, even after a correction has
//! superseded it; an extract with the same content as the newest revision is not stored
//! again either. A corrected extract for an old quarter
//! becomes a new revision and the newest revision is used.
//!
//! A run changes the store as a whole ([`Store::begin`], [`Transaction::commit`]): the store
//! lives in generations, `store/gen-NNNNNN/` (the police files and whatever the caller keeps
//! beside them, such as the ledger of releases), and `store/CURRENT` names the current one.
//! A run builds the next generation beside it (unchanged files as hard links, new revisions,
//! the log and the ledger written there), and one atomic rename of `CURRENT` makes all of it
//! visible at once. A kill at any moment leaves `CURRENT` naming either the old generation or
//! the new one, complete; a generation `CURRENT` does not name is left-over work, removed by
//! the next run. A store of the older layout (no `CURRENT`: `store/police/` and
//! `store/ledger.json` directly) is read as it is and becomes the first generation at the
//! next run.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray};
use arrow::datatypes::UInt32Type;

use oppvekst_schema::quarter::Quarter;

use crate::{FlagCount, PoliceCount, PoliceCounts};

/// Store errors name the path.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct StoreError {
    /// Path concerned.
    pub path: PathBuf,
    /// What went wrong.
    pub message: String,
}

fn serr(path: &Path, m: impl ToString) -> StoreError {
    StoreError {
        path: path.to_owned(),
        message: m.to_string(),
    }
}

/// The rows of a `police_counts` or `police_flags` file: the four key columns named in
/// `keys` (text) and `count` (uint32), found by name, so a file whose columns are in another
/// order still reads and a damaged or older file is an error naming the file and the column,
/// never a panic.
fn read_keyed(path: &Path, keys: [&str; 4]) -> Result<Vec<([String; 4], u32)>, StoreError> {
    let (_, batches) = oppvekst_schema::io::read_parquet(path).map_err(|e| serr(path, e))?;
    let mut out = Vec::new();
    for b in batches {
        let column = |name: &str| {
            b.column_by_name(name)
                .ok_or_else(|| serr(path, format!("column `{name}` is missing")))
        };
        let mut text = Vec::with_capacity(4);
        for name in keys {
            let c = column(name)?;
            // Text as written by this store (Utf8) or by another Parquet tool (Utf8View,
            // large strings): cast to Utf8, which keeps every value.
            let c = arrow::compute::cast(c, &arrow::datatypes::DataType::Utf8)
                .map_err(|_| serr(path, format!("column `{name}` is not text")))?;
            let a = c.as_string::<i32>();
            if a.null_count() > 0 {
                return Err(serr(path, format!("column `{name}` has empty values")));
            }
            text.push(
                (0..a.len())
                    .map(|k| a.value(k).to_owned())
                    .collect::<Vec<_>>(),
            );
        }
        let c = column("count")?
            .as_primitive_opt::<UInt32Type>()
            .ok_or_else(|| serr(path, "column `count` is not uint32"))?;
        if c.null_count() > 0 {
            return Err(serr(path, "column `count` has empty values"));
        }
        let mut cols = text.into_iter();
        let (Some(k0), Some(k1), Some(k2), Some(k3)) =
            (cols.next(), cols.next(), cols.next(), cols.next())
        else {
            return Err(serr(path, "not a police_counts or police_flags file"));
        };
        for (i, (((a, q), g), d)) in k0.into_iter().zip(k1).zip(k2).zip(k3).enumerate() {
            out.push(([a, q, g, d], c.value(i)));
        }
    }
    Ok(out)
}

/// A quarter code read from a store file.
fn quarter_of(path: &Path, code: &str) -> Result<Quarter, StoreError> {
    code.parse()
        .map_err(|_| serr(path, "column `quarter` holds a value that is not a quarter"))
}

/// A revision's cells keyed (municipality, group, age band or flag, is a flag), to count
/// what a correction changed.
fn cell_map(t: &PoliceCounts) -> BTreeMap<(&str, &str, &str, bool), u32> {
    t.rows
        .iter()
        .map(|c| {
            let k = (&*c.municipality, &*c.offence_group, &*c.age_band, false);
            (k, c.count)
        })
        .chain(t.flags.iter().map(|f| {
            (
                (&*f.municipality, &*f.offence_group, &*f.flag, true),
                f.count,
            )
        }))
        .collect()
}

/// One line of the revision log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// Quarter.
    pub quarter: Quarter,
    /// Revision number (1 = first import).
    pub revision: u32,
    /// Source file name.
    pub source: String,
    /// SHA-256 of the source file.
    pub source_sha256: String,
    /// Cells in the revision.
    pub cells: usize,
    /// Cells whose count differs from the previous revision (all cells for revision 1).
    pub changed: usize,
    /// When it was imported (as given by the caller).
    pub imported_at: String,
}

/// What an import did to one quarter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// First data for the quarter.
    New,
    /// Same content as the newest revision: nothing written.
    Unchanged,
    /// A correction: a new revision with this many changed cells.
    Revised(usize),
}

/// A history store rooted at a folder.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

const HEADER: &str = "quarter,revision,source,source_sha256,cells,changed,imported_at";
const HEADER_NAMES: [&str; 7] = [
    "quarter",
    "revision",
    "source",
    "source_sha256",
    "cells",
    "changed",
    "imported_at",
];

/// The file naming the current generation of a store.
const CURRENT: &str = "CURRENT";

/// The generation `CURRENT` names (None: a store of the older layout, or no store yet).
fn current_generation(root: &Path) -> Result<Option<u32>, StoreError> {
    let p = root.join(CURRENT);
    if !p.exists() {
        return Ok(None);
    }
    let text = fs::read_to_string(&p).map_err(|e| serr(&p, e))?;
    generation_number(text.trim())
        .map(Some)
        .ok_or_else(|| serr(&p, "does not name a generation (gen-NNNNNN)"))
}

fn generation_name(n: u32) -> String {
    format!("gen-{n:06}")
}

fn generation_number(name: &str) -> Option<u32> {
    let digits = name.strip_prefix("gen-")?;
    (digits.len() == 6).then(|| digits.parse().ok()).flatten()
}

/// Links (or, across file systems, copies) every file under `from` into `to`, leaving out
/// temporary files of interrupted writes.
fn link_tree(from: &Path, to: &Path) -> Result<(), StoreError> {
    fs::create_dir_all(to).map_err(|e| serr(to, e))?;
    let mut entries: Vec<PathBuf> = fs::read_dir(from)
        .map_err(|e| serr(from, e))?
        .map(|e| e.map(|e| e.path()).map_err(|e| serr(from, e)))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for src in entries {
        let Some(name) = src.file_name() else {
            continue;
        };
        let dst = to.join(name);
        if src.is_dir() {
            link_tree(&src, &dst)?;
        } else if !name.to_string_lossy().ends_with(".partial") {
            link_file(&src, &dst)?;
        }
    }
    Ok(())
}

/// Links `src` as `dst` (a copy across file systems); files of a generation are never
/// changed in place, so a link is as good as a copy.
fn link_file(src: &Path, dst: &Path) -> Result<(), StoreError> {
    if fs::hard_link(src, dst).is_err() {
        fs::copy(src, dst).map_err(|e| serr(dst, e))?;
    }
    oppvekst_schema::io::durable_step();
    Ok(())
}

/// Whether two folders hold the same files with the same bytes.
fn same_tree(a: &Path, b: &Path) -> Result<bool, StoreError> {
    fn files(
        root: &Path,
        dir: &Path,
        out: &mut BTreeMap<PathBuf, Vec<u8>>,
    ) -> Result<(), StoreError> {
        for e in fs::read_dir(dir).map_err(|e| serr(dir, e))? {
            let p = e.map_err(|e| serr(dir, e))?.path();
            if p.is_dir() {
                files(root, &p, out)?;
            } else {
                let bytes = fs::read(&p).map_err(|e| serr(&p, e))?;
                out.insert(p.strip_prefix(root).unwrap_or(&p).to_owned(), bytes);
            }
        }
        Ok(())
    }
    let (mut x, mut y) = (BTreeMap::new(), BTreeMap::new());
    files(a, a, &mut x)?;
    files(b, b, &mut y)?;
    Ok(x == y)
}

/// The next generation of a store, being built; see [`Store::begin`].
#[derive(Debug)]
pub struct Transaction {
    root: PathBuf,
    generation: u32,
    dir: PathBuf,
    /// What the commit retires: the previous generation, or the older layout's files.
    previous: Previous,
    committed: bool,
}

#[derive(Debug)]
enum Previous {
    None,
    Generation(PathBuf),
    OlderLayout,
}

impl Transaction {
    /// The store as this transaction will leave it (write revisions here).
    pub fn store(&self) -> Store {
        Store {
            root: self.dir.clone(),
        }
    }

    /// The generation's folder, for files kept beside the police store (the ledger).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Makes the generation current in one atomic rename of `CURRENT`, then retires the
    /// previous one. A generation with the same files as the current one (a run that
    /// changed nothing, such as the same run again) is dropped instead, so `CURRENT` stays.
    pub fn commit(mut self) -> Result<(), StoreError> {
        if let Previous::Generation(prev) = &self.previous
            && same_tree(prev, &self.dir)?
        {
            return Ok(()); // dropped: the new folder is removed
        }
        let current = self.root.join(CURRENT);
        let name = generation_name(self.generation);
        oppvekst_schema::io::write_atomic(&current, format!("{name}\n").as_bytes())
            .map_err(|e| serr(&current, e))?;
        self.committed = true;
        // Retiring is tidying: a kill from here on leaves files `CURRENT` does not name,
        // which the next run removes.
        match &self.previous {
            Previous::None => {}
            Previous::Generation(dir) => {
                fs::remove_dir_all(dir).map_err(|e| serr(dir, e))?;
                oppvekst_schema::io::durable_step();
            }
            Previous::OlderLayout => {
                for old in [self.root.join("police"), self.root.join("ledger.json")] {
                    if old.is_dir() {
                        fs::remove_dir_all(&old).map_err(|e| serr(&old, e))?;
                    } else if old.exists() {
                        fs::remove_file(&old).map_err(|e| serr(&old, e))?;
                    }
                    oppvekst_schema::io::durable_step();
                }
            }
        }
        Ok(())
    }
}

impl Drop for Transaction {
    /// A transaction dropped without a commit (the run failed) leaves nothing behind.
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

impl Store {
    /// Opens a store for reading: its current generation (or a store of the older layout;
    /// an empty store when there is none yet).
    pub fn open(root: &Path) -> Result<Store, StoreError> {
        let dir = match current_generation(root)? {
            Some(g) => root.join(generation_name(g)),
            None => root.to_owned(),
        };
        fs::create_dir_all(dir.join("police")).map_err(|e| serr(&dir, e))?;
        Ok(Store { root: dir })
    }

    /// Whether a store with at least one revision exists at `root`.
    pub fn exists(root: &Path) -> bool {
        match current_generation(root) {
            Ok(Some(g)) => root
                .join(generation_name(g))
                .join("police/log.csv")
                .exists(),
            Ok(None) => root.join("police/log.csv").exists(),
            Err(_) => true,
        }
    }

    /// Starts the next generation of the store at `root`: a copy of the current one (hard
    /// links), in which the run writes; nothing is visible until [`Transaction::commit`].
    /// Generations left by runs that ended before their commit are removed first.
    pub fn begin(root: &Path) -> Result<Transaction, StoreError> {
        fs::create_dir_all(root).map_err(|e| serr(root, e))?;
        let current = current_generation(root)?;
        for e in fs::read_dir(root).map_err(|e| serr(root, e))? {
            let p = e.map_err(|e| serr(root, e))?.path();
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            if let Some(g) = name.as_deref().and_then(generation_number)
                && Some(g) != current
                && p.is_dir()
            {
                fs::remove_dir_all(&p).map_err(|e| serr(&p, e))?;
                oppvekst_schema::io::durable_step();
            }
        }
        let generation = current.map_or(1, |g| g + 1);
        let dir = root.join(generation_name(generation));
        let previous = match current {
            Some(g) => {
                let prev = root.join(generation_name(g));
                link_tree(&prev, &dir)?;
                Previous::Generation(prev)
            }
            None => {
                let police = root.join("police");
                let ledger = root.join("ledger.json");
                if police.exists() || ledger.exists() {
                    if police.exists() {
                        link_tree(&police, &dir.join("police"))?;
                    }
                    if ledger.exists() {
                        fs::create_dir_all(&dir).map_err(|e| serr(&dir, e))?;
                        link_file(&ledger, &dir.join("ledger.json"))?;
                    }
                    Previous::OlderLayout
                } else {
                    Previous::None
                }
            }
        };
        fs::create_dir_all(dir.join("police")).map_err(|e| serr(&dir, e))?;
        Ok(Transaction {
            root: root.to_owned(),
            generation,
            dir,
            previous,
            committed: false,
        })
    }

    fn log_path(&self) -> PathBuf {
        self.root.join("police/log.csv")
    }

    fn revision_path(&self, quarter: Quarter, revision: u32) -> PathBuf {
        self.root
            .join(format!("police/{}/r{revision:03}.parquet", quarter.code()))
    }

    /// The revision log.
    pub fn log(&self) -> Result<Vec<LogEntry>, StoreError> {
        let p = self.log_path();
        if !p.exists() {
            return Ok(Vec::new());
        }
        let mut rdr = csv::Reader::from_path(&p).map_err(|e| serr(&p, e))?;
        // Columns by name: a log written by an older version, or edited, still reads when
        // its columns are all there, and a missing one is named.
        let header = rdr.headers().map_err(|e| serr(&p, e))?.clone();
        let mut at = [0usize; 7];
        for (slot, name) in at.iter_mut().zip(HEADER.split(',')) {
            *slot = header
                .iter()
                .position(|h| h.trim() == name)
                .ok_or_else(|| serr(&p, format!("column `{name}` is missing")))?;
        }
        let mut out = Vec::new();
        for (i, rec) in rdr.records().enumerate() {
            let r = rec.map_err(|e| serr(&p, e))?;
            let line = i + 2;
            let field = |k: usize| r.get(at[k]).unwrap_or("");
            let num = |k: usize| {
                field(k).parse::<usize>().map_err(|_| {
                    serr(
                        &p,
                        format!("line {line}, column `{}`: not a number", HEADER_NAMES[k]),
                    )
                })
            };
            let quarter = field(0)
                .parse()
                .map_err(|_| serr(&p, format!("line {line}, column `quarter`: not a quarter")))?;
            out.push(LogEntry {
                quarter,
                revision: u32::try_from(num(1)?)
                    .map_err(|_| serr(&p, format!("line {line}, column `revision`: too large")))?,
                source: field(2).to_owned(),
                source_sha256: field(3).to_owned(),
                cells: num(4)?,
                changed: num(5)?,
                imported_at: field(6).to_owned(),
            });
        }
        Ok(out)
    }

    fn write_log(&self, log: &[LogEntry]) -> Result<(), StoreError> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(HEADER.split(','));
        for e in log {
            let _ = w.write_record([
                e.quarter.code().as_str(),
                &e.revision.to_string(),
                &e.source,
                &e.source_sha256,
                &e.cells.to_string(),
                &e.changed.to_string(),
                &e.imported_at,
            ]);
        }
        let bytes = w.into_inner().map_err(|e| serr(&self.log_path(), e))?;
        oppvekst_schema::io::write_atomic(&self.log_path(), &bytes)
            .map_err(|e| serr(&self.log_path(), e))
    }

    /// Newest revision number per quarter, from the log.
    fn newest(log: &[LogEntry]) -> BTreeMap<Quarter, u32> {
        let mut m = BTreeMap::new();
        for e in log {
            let r = m.entry(e.quarter).or_insert(0);
            *r = (*r).max(e.revision);
        }
        m
    }

    fn flags_path(&self, quarter: Quarter, revision: u32) -> PathBuf {
        self.revision_path(quarter, revision)
            .with_extension("flags.parquet")
    }

    /// One revision: its counts and, when its extract had flag columns, its flagged counts.
    fn read_revision(&self, quarter: Quarter, revision: u32) -> Result<PoliceCounts, StoreError> {
        let path = self.revision_path(quarter, revision);
        let mut rows = Vec::new();
        for ([municipality, q, offence_group, age_band], count) in read_keyed(
            &path,
            ["municipality", "quarter", "offence_group", "age_band"],
        )? {
            rows.push(PoliceCount {
                municipality,
                quarter: quarter_of(&path, &q)?,
                offence_group,
                age_band,
                count,
            });
        }
        let flags_path = self.flags_path(quarter, revision);
        let mut flags = Vec::new();
        if flags_path.exists() {
            for ([municipality, q, offence_group, flag], count) in read_keyed(
                &flags_path,
                ["municipality", "quarter", "offence_group", "flag"],
            )? {
                flags.push(FlagCount {
                    municipality,
                    quarter: quarter_of(&flags_path, &q)?,
                    offence_group,
                    flag,
                    count,
                });
            }
        }
        Ok(PoliceCounts { rows, flags })
    }

    /// The newest revision of every quarter.
    pub fn latest(&self) -> Result<PoliceCounts, StoreError> {
        let mut out = PoliceCounts::default();
        for (q, r) in Self::newest(&self.log()?) {
            let rev = self.read_revision(q, r)?;
            out.rows.extend(rev.rows);
            out.flags.extend(rev.flags);
        }
        out.rows.sort();
        out.flags.sort();
        Ok(out)
    }

    /// Imports the counts of one source file (any number of quarters).
    pub fn import(
        &self,
        source: &str,
        sha256: &str,
        counts: &PoliceCounts,
        when: &str,
    ) -> Result<Vec<(Quarter, Outcome)>, StoreError> {
        self.import_inner(source, sha256, counts, when, false)
    }

    fn import_inner(
        &self,
        source: &str,
        sha256: &str,
        counts: &PoliceCounts,
        when: &str,
        crash_before_commit: bool,
    ) -> Result<Vec<(Quarter, Outcome)>, StoreError> {
        let mut log = self.log()?;
        if log.iter().any(|e| e.source_sha256 == sha256) {
            // This very file was imported before: importing it again changes nothing, even
            // when a later correction has superseded it.
            let mut quarters: Vec<Quarter> = counts.rows.iter().map(|r| r.quarter).collect();
            quarters.dedup();
            return Ok(quarters
                .into_iter()
                .map(|q| (q, Outcome::Unchanged))
                .collect());
        }
        let newest = Self::newest(&log);
        let mut by_quarter: BTreeMap<Quarter, PoliceCounts> = BTreeMap::new();
        for r in &counts.rows {
            by_quarter
                .entry(r.quarter)
                .or_default()
                .rows
                .push(r.clone());
        }
        for f in &counts.flags {
            by_quarter
                .entry(f.quarter)
                .or_default()
                .flags
                .push(f.clone());
        }
        let mut outcomes = Vec::new();
        for (q, mut table) in by_quarter {
            table.rows.sort();
            table.flags.sort();
            let rows = &table.rows;
            let (outcome, revision) = match newest.get(&q) {
                None => (Outcome::New, 1),
                Some(&r) => {
                    let old_table = self.read_revision(q, r)?;
                    if old_table == table {
                        outcomes.push((q, Outcome::Unchanged));
                        continue;
                    }
                    let old_map = cell_map(&old_table);
                    let new_map = cell_map(&table);
                    let changed = new_map
                        .iter()
                        .filter(|(k, v)| old_map.get(*k) != Some(*v))
                        .count()
                        + old_map.keys().filter(|k| !new_map.contains_key(*k)).count();
                    (Outcome::Revised(changed), r + 1)
                }
            };
            // The flags file first, then the counts: the log (written last) is the commit.
            let path = self.revision_path(q, revision);
            let flags_path = self.flags_path(q, revision);
            if table.flags.is_empty() {
                if flags_path.exists() {
                    // Left by an import that crashed before its commit.
                    fs::remove_file(&flags_path).map_err(|e| serr(&flags_path, e))?;
                }
            } else {
                let (schema, batch) = table
                    .flags_record_batch()
                    .map_err(|e| serr(&self.root, e))?;
                oppvekst_schema::io::write_parquet(&flags_path, schema, &[batch])
                    .map_err(|e| serr(&flags_path, e))?;
            }
            let (schema, batch) = table.to_record_batch().map_err(|e| serr(&self.root, e))?;
            oppvekst_schema::io::write_parquet(&path, schema, &[batch])
                .map_err(|e| serr(&path, e))?;
            log.push(LogEntry {
                quarter: q,
                revision,
                source: source.to_owned(),
                source_sha256: sha256.to_owned(),
                cells: rows.len() + table.flags.len(),
                changed: match outcome {
                    Outcome::Revised(n) => n,
                    _ => rows.len() + table.flags.len(),
                },
                imported_at: when.to_owned(),
            });
            outcomes.push((q, outcome));
        }
        if crash_before_commit {
            return Err(serr(&self.root, "simulated crash before commit"));
        }
        if outcomes.iter().any(|(_, o)| *o != Outcome::Unchanged) {
            self.write_log(&log)?;
        }
        Ok(outcomes)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use arrow::array::{ArrayRef, StringArray, UInt32Array, UInt64Array};
    use arrow::datatypes::{Field, Schema};
    use arrow::record_batch::RecordBatch;
    use std::sync::Arc;

    /// Overwrites a stored revision with these columns (name, values as text or u32/u64).
    fn damage(path: &Path, columns: Vec<(&str, ArrayRef)>) {
        let schema = Arc::new(Schema::new(
            columns
                .iter()
                .map(|(n, a)| Field::new(*n, a.data_type().clone(), false))
                .collect::<Vec<_>>(),
        ));
        let batch =
            RecordBatch::try_new(schema.clone(), columns.into_iter().map(|c| c.1).collect())
                .unwrap();
        oppvekst_schema::io::write_parquet(path, schema, &[batch]).unwrap();
    }

    #[test]
    fn damaged_or_reordered_store_files_are_read_by_column_name() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store
            .import("a.csv", "sha-a", &counts("2025Q1", &[1, 2, 3, 4, 5]), "t")
            .unwrap();
        let file = dir.path().join("police/2025Q1/r001.parquet");
        let text = |v: &[&str]| Arc::new(StringArray::from(v.to_vec())) as ArrayRef;
        // Columns in another order (as another Parquet tool may write them) read the same.
        damage(
            &file,
            vec![
                ("count", Arc::new(UInt32Array::from(vec![7])) as ArrayRef),
                ("age_band", text(&["andre"])),
                ("offence_group", text(&["vold"])),
                ("quarter", text(&["2025Q1"])),
                ("municipality", text(&["3105"])),
            ],
        );
        let rows = store.latest().unwrap().rows;
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].age_band.as_str(), rows[0].count), ("andre", 7));
        // A missing column, a count of the wrong type, a quarter that is not one: each an
        // error naming the file and the column, never a panic.
        let cases: Vec<(Vec<(&str, ArrayRef)>, &str)> = vec![
            (
                vec![
                    ("municipality", text(&["3105"])),
                    ("quarter", text(&["2025Q1"])),
                    ("offence_group", text(&["vold"])),
                    ("count", Arc::new(UInt32Array::from(vec![7])) as ArrayRef),
                ],
                "column `age_band` is missing",
            ),
            (
                vec![
                    ("municipality", text(&["3105"])),
                    ("quarter", text(&["2025Q1"])),
                    ("offence_group", text(&["vold"])),
                    ("age_band", text(&["andre"])),
                    ("count", Arc::new(UInt64Array::from(vec![7])) as ArrayRef),
                ],
                "column `count` is not uint32",
            ),
            (
                vec![
                    ("municipality", text(&["3105"])),
                    ("quarter", text(&["2025-1"])),
                    ("offence_group", text(&["vold"])),
                    ("age_band", text(&["andre"])),
                    ("count", Arc::new(UInt32Array::from(vec![7])) as ArrayRef),
                ],
                "column `quarter` holds a value that is not a quarter",
            ),
        ];
        for (columns, message) in cases {
            damage(&file, columns);
            let e = store.latest().unwrap_err().to_string();
            assert!(e.contains("r001.parquet") && e.contains(message), "{e}");
        }
        // A damaged log: a column missing.
        fs::write(
            dir.path().join("police/log.csv"),
            "quarter,revision\n2025Q1,1\n",
        )
        .unwrap();
        let e = store.log().unwrap_err().to_string();
        assert!(
            e.contains("log.csv") && e.contains("column `source` is missing"),
            "{e}"
        );
    }

    fn counts(quarter: &str, values: &[u32]) -> PoliceCounts {
        PoliceCounts {
            rows: values
                .iter()
                .enumerate()
                .map(|(i, v)| PoliceCount {
                    municipality: "3105".into(),
                    quarter: quarter.parse().unwrap(),
                    offence_group: "vold".into(),
                    age_band: ["10-14", "15-17", "18-20", "21-25", "andre"][i].into(),
                    count: *v,
                })
                .collect(),
            flags: Vec::new(),
        }
    }

    fn flag(quarter: &str, flag: &str, count: u32) -> FlagCount {
        FlagCount {
            municipality: "3105".into(),
            quarter: quarter.parse().unwrap(),
            offence_group: "vold".into(),
            flag: flag.into(),
            count,
        }
    }

    #[test]
    fn flags_are_kept_with_their_revision() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut q1 = counts("2025Q1", &[1, 2, 3, 4, 50]);
        q1.flags = vec![
            flag("2025Q1", "hatkriminalitet", 1),
            flag("2025Q1", "naere_relasjoner", 12),
        ];
        store.import("a.csv", "aa", &q1, "t1").unwrap();
        assert_eq!(store.latest().unwrap(), q1);
        assert!(dir.path().join("police/2025Q1/r001.flags.parquet").exists());
        // A correction of a flag alone is a revision with one changed cell.
        let mut fixed = q1.clone();
        fixed.flags[1].count = 13;
        assert_eq!(
            store.import("a-korr.csv", "bb", &fixed, "t2").unwrap(),
            vec![("2025Q1".parse().unwrap(), Outcome::Revised(1))]
        );
        assert_eq!(store.latest().unwrap(), fixed);
        // A later extract without flag columns: the quarter's newest revision has none.
        let plain = counts("2025Q1", &[1, 2, 3, 4, 50]);
        store.import("a-uten.csv", "cc", &plain, "t3").unwrap();
        assert_eq!(store.latest().unwrap(), plain);
    }

    #[test]
    fn a_transaction_is_invisible_until_its_commit_and_an_older_store_becomes_a_generation() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // A store of the older layout: police/ and ledger.json directly in the root.
        let legacy = Store::open(root).unwrap();
        let q1 = counts("2025Q1", &[1, 2, 3, 4, 50]);
        legacy.import("a.csv", "aa", &q1, "t1").unwrap();
        fs::write(root.join("ledger.json"), b"{}").unwrap();
        assert!(Store::exists(root));

        let tx = Store::begin(root).unwrap();
        let q2 = counts("2025Q2", &[9, 9, 9, 9, 9]);
        tx.store().import("b.csv", "bb", &q2, "t2").unwrap();
        fs::write(tx.dir().join("ledger.json"), b"{\"x\":1}").unwrap();
        // Not committed: a reader still sees the store as it was.
        assert_eq!(Store::open(root).unwrap().latest().unwrap(), q1);
        drop(tx);
        assert_eq!(Store::open(root).unwrap().latest().unwrap(), q1);
        assert!(
            !root.join("gen-000001").exists(),
            "a dropped generation leaves nothing"
        );

        let tx = Store::begin(root).unwrap();
        tx.store().import("b.csv", "bb", &q2, "t2").unwrap();
        fs::write(tx.dir().join("ledger.json"), b"{\"x\":1}").unwrap();
        tx.commit().unwrap();
        let mut both = q1.clone();
        both.extend(q2.clone());
        let now = Store::open(root).unwrap();
        assert_eq!(now.latest().unwrap(), both);
        assert_eq!(
            fs::read_to_string(root.join("CURRENT")).unwrap(),
            "gen-000001\n"
        );
        assert_eq!(
            fs::read(root.join("gen-000001/ledger.json")).unwrap(),
            b"{\"x\":1}"
        );
        assert!(!root.join("police").exists() && !root.join("ledger.json").exists());

        // A generation left by a killed run is removed by the next; a run that changes
        // nothing leaves CURRENT as it is.
        fs::create_dir_all(root.join("gen-000002/police")).unwrap();
        let tx = Store::begin(root).unwrap();
        assert_eq!(tx.dir(), root.join("gen-000002"));
        assert!(!tx.dir().join("police/2025Q9").exists());
        tx.store().import("b.csv", "bb", &q2, "t3").unwrap();
        tx.commit().unwrap();
        assert_eq!(
            fs::read_to_string(root.join("CURRENT")).unwrap(),
            "gen-000001\n"
        );
        assert!(!root.join("gen-000002").exists());
        // The old generation's files were linked, not changed: a new revision in the next
        // generation leaves the current one's bytes alone.
        let before = fs::read(root.join("gen-000001/police/log.csv")).unwrap();
        let tx = Store::begin(root).unwrap();
        let fixed = counts("2025Q1", &[1, 2, 5, 4, 50]);
        tx.store().import("a-korr.csv", "cc", &fixed, "t4").unwrap();
        assert_eq!(
            fs::read(root.join("gen-000001/police/log.csv")).unwrap(),
            before
        );
        tx.commit().unwrap();
        assert_eq!(
            fs::read_to_string(root.join("CURRENT")).unwrap(),
            "gen-000002\n"
        );
        assert!(!root.join("gen-000001").exists());
    }

    #[test]
    fn idempotent_imports_revisions_and_crash_safety() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let q1 = counts("2025Q1", &[1, 2, 3, 4, 50]);
        assert_eq!(
            store.import("a.csv", "aa", &q1, "t1").unwrap(),
            vec![("2025Q1".parse().unwrap(), Outcome::New)]
        );
        let log_before = fs::read(store.log_path()).unwrap();
        // Same extract again: nothing changes, not even the log.
        assert_eq!(
            store.import("a.csv", "aa", &q1, "t2").unwrap(),
            vec![("2025Q1".parse().unwrap(), Outcome::Unchanged)]
        );
        assert_eq!(fs::read(store.log_path()).unwrap(), log_before);
        // A correction becomes revision 2 and is what `latest` returns; the superseded file,
        // imported again, changes nothing.
        let fixed = counts("2025Q1", &[1, 2, 5, 4, 50]);
        assert_eq!(
            store.import("a-korr.csv", "bb", &fixed, "t3").unwrap(),
            vec![("2025Q1".parse().unwrap(), Outcome::Revised(1))]
        );
        assert_eq!(
            store.import("a.csv", "aa", &q1, "t3b").unwrap(),
            vec![("2025Q1".parse().unwrap(), Outcome::Unchanged)]
        );
        assert_eq!(store.latest().unwrap(), fixed);
        let log = store.log().unwrap();
        assert_eq!(
            (
                log[1].revision,
                log[1].source.as_str(),
                log[1].changed,
                log[1].imported_at.as_str()
            ),
            (2, "a-korr.csv", 1, "t3")
        );
        // A crash after the data file but before the log: the store is as it was.
        let q2 = counts("2025Q2", &[9, 9, 9, 9, 9]);
        let again = counts("2025Q1", &[7, 7, 7, 7, 7]);
        let mut both = q2.clone();
        both.extend(again);
        assert!(
            store
                .import_inner("b.csv", "cc", &both, "t4", true)
                .is_err()
        );
        assert_eq!(store.latest().unwrap(), fixed);
        assert_eq!(store.log().unwrap().len(), 2);
        // The next real import overwrites the orphaned files and commits.
        assert_eq!(
            store.import("b.csv", "cc", &q2, "t5").unwrap(),
            vec![("2025Q2".parse().unwrap(), Outcome::New)]
        );
        let mut all = fixed.clone();
        all.extend(q2);
        assert_eq!(store.latest().unwrap(), all);
    }
}
