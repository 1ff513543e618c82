//! The history store: every quarter ever imported, as a folder of Parquet files that polars
//! and any Parquet tool can read (`police/<quarter>/r<NNN>.parquet`, contract
//! `police_counts`), with `police/log.csv` recording every revision: what changed, when, and
//! from which file.
//!
//! Re-importing the same extract (same bytes) changes nothing, even after a correction has
//! superseded it; an extract with the same content as the newest revision is not stored
//! again either. A corrected extract for an old quarter
//! becomes a new revision and the newest revision is used. The log is the commit point: a
//! revision file is written first (atomically), the log is rewritten (atomically) after it,
//! and a revision file the log does not list is ignored — so a crash during import leaves
//! the store as it was.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray};
use arrow::datatypes::UInt32Type;

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

/// The rows of a `police_counts` or `police_flags` file: four key columns and a count.
fn read_keyed(path: &Path) -> Result<Vec<([String; 4], u32)>, StoreError> {
    let (_, batches) = oppvekst_schema::io::read_parquet(path).map_err(|e| serr(path, e))?;
    let mut out = Vec::new();
    for b in batches {
        let s = |i: usize| {
            b.column(i).as_string_opt::<i32>().map(|a| {
                (0..a.len())
                    .map(|k| a.value(k).to_owned())
                    .collect::<Vec<_>>()
            })
        };
        let (Some(m), Some(q), Some(g), Some(a)) = (s(0), s(1), s(2), s(3)) else {
            return Err(serr(path, "not a police_counts or police_flags file"));
        };
        let c = b
            .column(4)
            .as_primitive_opt::<UInt32Type>()
            .ok_or_else(|| serr(path, "count column is not uint32"))?;
        for (i, (((m, q), g), a)) in m.into_iter().zip(q).zip(g).zip(a).enumerate() {
            out.push(([m, q, g, a], c.value(i)));
        }
    }
    Ok(out)
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
    pub quarter: String,
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

impl Store {
    /// Opens (creating if needed) a store.
    pub fn open(root: &Path) -> Result<Store, StoreError> {
        fs::create_dir_all(root.join("police")).map_err(|e| serr(root, e))?;
        Ok(Store {
            root: root.to_owned(),
        })
    }

    fn log_path(&self) -> PathBuf {
        self.root.join("police/log.csv")
    }

    fn revision_path(&self, quarter: &str, revision: u32) -> PathBuf {
        self.root
            .join(format!("police/{quarter}/r{revision:03}.parquet"))
    }

    /// The revision log.
    pub fn log(&self) -> Result<Vec<LogEntry>, StoreError> {
        let p = self.log_path();
        if !p.exists() {
            return Ok(Vec::new());
        }
        let mut rdr = csv::Reader::from_path(&p).map_err(|e| serr(&p, e))?;
        let mut out = Vec::new();
        for (i, rec) in rdr.records().enumerate() {
            let r = rec.map_err(|e| serr(&p, e))?;
            let num = |k: usize| {
                r.get(k)
                    .unwrap_or("")
                    .parse::<usize>()
                    .map_err(|_| serr(&p, format!("line {}: bad number", i + 2)))
            };
            out.push(LogEntry {
                quarter: r.get(0).unwrap_or("").to_owned(),
                revision: num(1)? as u32,
                source: r.get(2).unwrap_or("").to_owned(),
                source_sha256: r.get(3).unwrap_or("").to_owned(),
                cells: num(4)?,
                changed: num(5)?,
                imported_at: r.get(6).unwrap_or("").to_owned(),
            });
        }
        Ok(out)
    }

    fn write_log(&self, log: &[LogEntry]) -> Result<(), StoreError> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(HEADER.split(','));
        for e in log {
            let _ = w.write_record([
                e.quarter.as_str(),
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
    fn newest(log: &[LogEntry]) -> BTreeMap<String, u32> {
        let mut m = BTreeMap::new();
        for e in log {
            let r = m.entry(e.quarter.clone()).or_insert(0);
            *r = (*r).max(e.revision);
        }
        m
    }

    fn flags_path(&self, quarter: &str, revision: u32) -> PathBuf {
        self.revision_path(quarter, revision)
            .with_extension("flags.parquet")
    }

    /// One revision: its counts and, when its extract had flag columns, its flagged counts.
    fn read_revision(&self, quarter: &str, revision: u32) -> Result<PoliceCounts, StoreError> {
        let rows = read_keyed(&self.revision_path(quarter, revision))?
            .into_iter()
            .map(
                |([municipality, quarter, offence_group, age_band], count)| PoliceCount {
                    municipality,
                    quarter,
                    offence_group,
                    age_band,
                    count,
                },
            )
            .collect();
        let flags_path = self.flags_path(quarter, revision);
        let flags = if flags_path.exists() {
            read_keyed(&flags_path)?
                .into_iter()
                .map(
                    |([municipality, quarter, offence_group, flag], count)| FlagCount {
                        municipality,
                        quarter,
                        offence_group,
                        flag,
                        count,
                    },
                )
                .collect()
        } else {
            Vec::new()
        };
        Ok(PoliceCounts { rows, flags })
    }

    /// The newest revision of every quarter.
    pub fn latest(&self) -> Result<PoliceCounts, StoreError> {
        let mut out = PoliceCounts::default();
        for (q, r) in Self::newest(&self.log()?) {
            let rev = self.read_revision(&q, r)?;
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
    ) -> Result<Vec<(String, Outcome)>, StoreError> {
        self.import_inner(source, sha256, counts, when, false)
    }

    fn import_inner(
        &self,
        source: &str,
        sha256: &str,
        counts: &PoliceCounts,
        when: &str,
        crash_before_commit: bool,
    ) -> Result<Vec<(String, Outcome)>, StoreError> {
        let mut log = self.log()?;
        if log.iter().any(|e| e.source_sha256 == sha256) {
            // This very file was imported before: importing it again changes nothing, even
            // when a later correction has superseded it.
            let mut quarters: Vec<String> = counts.rows.iter().map(|r| r.quarter.clone()).collect();
            quarters.dedup();
            return Ok(quarters
                .into_iter()
                .map(|q| (q, Outcome::Unchanged))
                .collect());
        }
        let newest = Self::newest(&log);
        let mut by_quarter: BTreeMap<&str, PoliceCounts> = BTreeMap::new();
        for r in &counts.rows {
            by_quarter
                .entry(r.quarter.as_str())
                .or_default()
                .rows
                .push(r.clone());
        }
        for f in &counts.flags {
            by_quarter
                .entry(f.quarter.as_str())
                .or_default()
                .flags
                .push(f.clone());
        }
        let mut outcomes = Vec::new();
        for (q, mut table) in by_quarter {
            table.rows.sort();
            table.flags.sort();
            let rows = &table.rows;
            let (outcome, revision) = match newest.get(q) {
                None => (Outcome::New, 1),
                Some(&r) => {
                    let old_table = self.read_revision(q, r)?;
                    if old_table == table {
                        outcomes.push((q.to_owned(), Outcome::Unchanged));
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
                quarter: q.to_owned(),
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
            outcomes.push((q.to_owned(), outcome));
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
    use super::*;

    fn counts(quarter: &str, values: &[u32]) -> PoliceCounts {
        PoliceCounts {
            rows: values
                .iter()
                .enumerate()
                .map(|(i, v)| PoliceCount {
                    municipality: "3105".into(),
                    quarter: quarter.into(),
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
            quarter: quarter.into(),
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
            vec![("2025Q1".into(), Outcome::Revised(1))]
        );
        assert_eq!(store.latest().unwrap(), fixed);
        // A later extract without flag columns: the quarter's newest revision has none.
        let plain = counts("2025Q1", &[1, 2, 3, 4, 50]);
        store.import("a-uten.csv", "cc", &plain, "t3").unwrap();
        assert_eq!(store.latest().unwrap(), plain);
    }

    #[test]
    fn idempotent_imports_revisions_and_crash_safety() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let q1 = counts("2025Q1", &[1, 2, 3, 4, 50]);
        assert_eq!(
            store.import("a.csv", "aa", &q1, "t1").unwrap(),
            vec![("2025Q1".into(), Outcome::New)]
        );
        let log_before = fs::read(store.log_path()).unwrap();
        // Same extract again: nothing changes, not even the log.
        assert_eq!(
            store.import("a.csv", "aa", &q1, "t2").unwrap(),
            vec![("2025Q1".into(), Outcome::Unchanged)]
        );
        assert_eq!(fs::read(store.log_path()).unwrap(), log_before);
        // A correction becomes revision 2 and is what `latest` returns; the superseded file,
        // imported again, changes nothing.
        let fixed = counts("2025Q1", &[1, 2, 5, 4, 50]);
        assert_eq!(
            store.import("a-korr.csv", "bb", &fixed, "t3").unwrap(),
            vec![("2025Q1".into(), Outcome::Revised(1))]
        );
        assert_eq!(
            store.import("a.csv", "aa", &q1, "t3b").unwrap(),
            vec![("2025Q1".into(), Outcome::Unchanged)]
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
            vec![("2025Q2".into(), Outcome::New)]
        );
        let mut all = fixed.clone();
        all.extend(q2);
        assert_eq!(store.latest().unwrap(), all);
    }
}
