//! Police ingest: the local quarterly police extract → canonical police counts.
//!
//! The extract (format in `data-schema/contracts/police_extract.toml`) has one row per
//! municipality × quarter × offence group (SSB 2015) × suspect age band, plus an all-ages
//! row. [`read_extract`] validates every row, harmonises municipality numbers through the
//! shared KLASS change list, and derives the inner cells the disclosure stage needs: the
//! four SLT age bands and `andre` (all ages minus the bands), so that every published total
//! is the sum of its parts. Bad rows go to the quarantine with file, row, column and reason;
//! every file reconciles: rows read = rows accepted + rows quarantined.
//!
//! Optional flag columns (vold i nære relasjoner, hatkriminalitet, uteliv) give, on each
//! all-ages row, how many of its offences carry the flag; they become [`FlagCount`]s.
//!
//! [`read_extract_xlsx`] reads the same extract saved as an Excel workbook.
//!
//! [`ssb`] reads SSB's StatBank tables (JSON-stat 1.x/2.0, `.px`, PxWeb CSV) with SSB's
//! table symbols mapped to explicit statuses; [`population`] turns SSB's population tables
//! (07459, 01222) into the denominators of rates per 1,000.
//!
//! This crate must not depend on the survey ingest, must not protect or publish anything and
//! must never put a count in an error or the quarantine.

pub mod history;
pub mod population;
pub mod ssb;
pub mod statbank;
mod xlsx;

pub use xlsx::read_extract_xlsx;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arrow::array::{ArrayRef, StringArray, UInt32Array};
use arrow::datatypes::Schema;
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use oppvekst_schema::Harmoniser;
use oppvekst_schema::codes::{AGE_ALL, AGE_BANDS, AGE_OTHER, FLAGS, age_band, offence_group};
use oppvekst_schema::contracts::{police_counts_schema, police_flags_schema};
use oppvekst_schema::municipality::municipality_number;
use oppvekst_schema::quarter::Quarter;
use oppvekst_schema::text::{Encoding, decode, table_reader, whole_count};

/// One inner police cell.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PoliceCount {
    /// Today's municipality number.
    pub municipality: String,
    /// Quarter (stored as `YYYYQn`).
    pub quarter: Quarter,
    /// Offence group code.
    pub offence_group: String,
    /// Age band code (`10-14` … `21-25`, or `andre`).
    pub age_band: String,
    /// Number of offences.
    pub count: u32,
}

/// How many of the offences of one municipality × quarter × offence group (all ages) carry
/// a flag (see [`oppvekst_schema::codes::FLAGS`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FlagCount {
    /// Today's municipality number.
    pub municipality: String,
    /// Quarter (stored as `YYYYQn`).
    pub quarter: Quarter,
    /// Offence group code.
    pub offence_group: String,
    /// Flag code.
    pub flag: String,
    /// Flagged offences (never more than the offences of the group, all ages).
    pub count: u32,
}

/// Canonical police counts, sorted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PoliceCounts {
    /// Inner cells.
    pub rows: Vec<PoliceCount>,
    /// Flagged counts, for the quarters whose extract has flag columns.
    pub flags: Vec<FlagCount>,
}

impl PoliceCounts {
    /// Adds rows and keeps the table sorted.
    pub fn extend(&mut self, other: PoliceCounts) {
        self.rows.extend(other.rows);
        self.rows.sort();
        self.flags.extend(other.flags);
        self.flags.sort();
    }

    /// The flagged counts in Arrow form (contract `police_flags`).
    pub fn flags_record_batch(&self) -> Result<(Arc<Schema>, RecordBatch), ArrowError> {
        let quarters: Vec<String> = self.flags.iter().map(|x| x.quarter.code()).collect();
        keyed_counts(
            police_flags_schema(),
            self.flags.iter().zip(&quarters).map(|(x, q)| {
                (
                    [x.municipality.as_str(), q, &x.offence_group, &x.flag],
                    x.count,
                )
            }),
        )
    }

    /// Arrow form with the contract schema.
    pub fn to_record_batch(&self) -> Result<(Arc<Schema>, RecordBatch), ArrowError> {
        let quarters: Vec<String> = self.rows.iter().map(|x| x.quarter.code()).collect();
        keyed_counts(
            police_counts_schema(),
            self.rows.iter().zip(&quarters).map(|(x, q)| {
                (
                    [x.municipality.as_str(), q, &x.offence_group, &x.age_band],
                    x.count,
                )
            }),
        )
    }
}

/// A batch of four key columns and a count (the layout of both police contracts).
fn keyed_counts<'a>(
    schema: Schema,
    rows: impl Iterator<Item = ([&'a str; 4], u32)> + Clone,
) -> Result<(Arc<Schema>, RecordBatch), ArrowError> {
    let schema = Arc::new(schema);
    let mut cols: Vec<ArrayRef> = (0..4)
        .map(|k| Arc::new(StringArray::from_iter_values(rows.clone().map(|r| r.0[k]))) as ArrayRef)
        .collect();
    cols.push(Arc::new(UInt32Array::from_iter_values(rows.map(|r| r.1))));
    Ok((schema.clone(), RecordBatch::try_new(schema, cols)?))
}

pub use oppvekst_schema::quarantine::QuarantinedRow;

/// Accounting for one file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileReport {
    /// File name.
    pub file: String,
    /// Encoding detected or declared.
    pub encoding: &'static str,
    /// Data rows read.
    pub rows_read: u64,
    /// Rows accepted.
    pub rows_accepted: u64,
    /// Rows quarantined.
    pub rows_quarantined: u64,
}

impl FileReport {
    /// rows read = rows accepted + rows quarantined.
    pub fn reconciles(&self) -> bool {
        self.rows_read == self.rows_accepted + self.rows_quarantined
    }
}

/// A file unusable as a whole.
#[derive(Debug, thiserror::Error)]
pub enum PoliceError {
    /// The file cannot be read at all (not the declared format, damaged).
    #[error("{file}: {message}")]
    Unusable {
        /// File.
        file: String,
        /// What is wrong (structure, never values).
        message: String,
    },
    /// No header.
    #[error("{file}: the file is empty (no header line)")]
    Empty {
        /// File.
        file: String,
    },
    /// Required column absent.
    #[error("{file}: required column missing: {column} (looked for {aliases})")]
    MissingColumn {
        /// File.
        file: String,
        /// Column.
        column: &'static str,
        /// Names tried.
        aliases: &'static str,
    },
    /// Header unreadable.
    #[error("{file}: line 1: unreadable header: {message}")]
    Header {
        /// File.
        file: String,
        /// Parser message.
        message: String,
    },
}

/// Keys already accepted in this run: (municipality, quarter, group, age) → file.
pub type SeenKeys = BTreeMap<(String, Quarter, String, String), String>;

const COLUMNS: [(&str, &[&str], &str); 5] = [
    (
        "municipality",
        &["kommunenr", "kommunenummer", "knr"],
        "kommunenr, kommunenummer, knr",
    ),
    ("quarter", &["kvartal", "periode"], "kvartal, periode"),
    (
        "offence_group",
        &["lovbruddsgruppe", "lovbrudd"],
        "lovbruddsgruppe, lovbrudd",
    ),
    (
        "age_band",
        &["aldersgruppe", "alder"],
        "aldersgruppe, alder",
    ),
    ("count", &["antall", "anmeldte"], "antall, anmeldte"),
];

/// Rows of one municipality × quarter × offence group, by age band.
type Block = BTreeMap<String, (u32, Parsed)>;

struct Parsed {
    line: u64,
    key: (String, Quarter, String, String),
    /// Flag values of an all-ages row, one per flag column of the file.
    flags: Vec<u32>,
}

/// Reads one extract. `seen` holds keys accepted earlier in the run.
pub fn read_extract(
    file: &str,
    bytes: &[u8],
    harmoniser: &Harmoniser,
    encoding: Option<Encoding>,
    seen: &mut SeenKeys,
) -> Result<(PoliceCounts, FileReport, Vec<QuarantinedRow>), PoliceError> {
    let decoded = decode(bytes, encoding);
    if decoded.text.trim().is_empty() {
        return Err(PoliceError::Empty {
            file: file.to_owned(),
        });
    }
    let (mut rdr, header, _) =
        table_reader(&decoded.text, None).map_err(|e| PoliceError::Header {
            file: file.to_owned(),
            message: e.to_string(),
        })?;
    let header: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    let mut idx = [0usize; 5];
    for (k, (name, aliases, list)) in COLUMNS.iter().enumerate() {
        idx[k] = header
            .iter()
            .position(|h| aliases.contains(&h.as_str()))
            .ok_or(PoliceError::MissingColumn {
                file: file.to_owned(),
                column: name,
                aliases: list,
            })?;
    }
    // Optional flag columns: (flag code, column index).
    let flag_cols: Vec<(&str, usize)> = FLAGS
        .iter()
        .filter_map(|(code, _, names)| {
            header
                .iter()
                .position(|h| names.contains(&h.as_str()))
                .map(|i| (*code, i))
        })
        .collect();
    let bad_lines: BTreeSet<u64> = decoded.bad_lines.iter().copied().collect();
    let mut quarantine = Vec::new();
    let mut rows_read = 0u64;
    // (mun, quarter, group) → age → (count, parsed row)
    let mut groups: BTreeMap<(String, Quarter, String), Block> = BTreeMap::new();
    for rec in rdr.records() {
        rows_read += 1;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                quarantine.push(QuarantinedRow {
                    file: file.to_owned(),
                    row: e.position().map(|p| p.line()).unwrap_or(0),
                    column: None,
                    reason: "unparseable CSV row (quoting)".into(),
                });
                continue;
            }
        };
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let mut q = |column: Option<usize>, reason: &str| {
            quarantine.push(QuarantinedRow {
                file: file.to_owned(),
                row: line,
                column: column.map(|c| header[c].clone()),
                reason: reason.to_owned(),
            })
        };
        if bad_lines.contains(&line) {
            q(
                None,
                "text encoding differs from the rest of the file (mixed encodings)",
            );
            continue;
        }
        if rec.len() != header.len() {
            q(None, "wrong number of fields");
            continue;
        }
        let get = |k: usize| rec.get(idx[k]).unwrap_or("").trim();
        let Some(m_src) = municipality_number(get(0)) else {
            q(Some(idx[0]), "municipality number is not four digits");
            continue;
        };
        let mun = match harmoniser.harmonise(&m_src) {
            Ok(mun) => mun,
            Err(e) => {
                q(Some(idx[0]), &e.to_string());
                continue;
            }
        };
        let Ok(quarter) = get(1).parse::<Quarter>() else {
            q(Some(idx[1]), "quarter is not of the form YYYYKn or YYYYQn");
            continue;
        };
        let Some(group) = offence_group(get(2)) else {
            q(
                Some(idx[2]),
                "offence group not in SSB's 2015 classification",
            );
            continue;
        };
        let Some(age) = age_band(get(3)) else {
            q(
                Some(idx[3]),
                "age band not one of 10–14, 15–17, 18–20, 21–25, alle",
            );
            continue;
        };
        // Counts are plain whole numbers: `1e2`, `2,5` or `0x10` are refused with what is
        // wrong, never read as something else.
        let count = match whole_count(get(4)) {
            Ok(Some(v)) if v <= u64::from(u32::MAX) => v as u32,
            Ok(Some(_)) => {
                q(Some(idx[4]), "count is too large");
                continue;
            }
            Ok(None) => {
                q(Some(idx[4]), "count missing");
                continue;
            }
            Err(reason) => {
                q(Some(idx[4]), reason);
                continue;
            }
        };
        let mut flags = Vec::with_capacity(flag_cols.len());
        let mut flag_error = None;
        for &(_, c) in &flag_cols {
            let v = rec.get(c).unwrap_or("").trim();
            // Blank is told apart from text that is not a number (which is never ignored).
            let problem = match (age == AGE_ALL, v.is_empty(), whole_count(v)) {
                (false, true, _) => None,
                (false, false, _) => Some("flags are counted on the all-ages row only"),
                (true, true, _) => Some("flag value missing (the file has this flag column)"),
                (true, false, Ok(Some(f))) if f <= u64::from(count) => {
                    // At most the count, which fits in u32.
                    flags.push(f as u32);
                    None
                }
                (true, false, _) => {
                    Some("flag is not a whole number between 0 and the row's count")
                }
            };
            if let Some(p) = problem {
                flag_error = Some((c, p));
                break;
            }
        }
        if let Some((c, reason)) = flag_error {
            q(Some(c), reason);
            continue;
        }
        let key = (mun.clone(), quarter, group.to_owned(), age.to_owned());
        if let Some(f) = seen.get(&key) {
            q(
                None,
                &format!("duplicate of a row already imported from {f}"),
            );
            continue;
        }
        let slot = groups.entry((mun, quarter, group.to_owned())).or_default();
        if let Some((_, first)) = slot.get(age) {
            let reason = format!("duplicate of line {} in this file", first.line);
            q(None, &reason);
            continue;
        }
        slot.insert(age.to_owned(), (count, Parsed { line, key, flags }));
    }
    let mut out = PoliceCounts::default();
    let mut accepted = 0u64;
    for ((mun, quarter, group), ages) in groups {
        let reject = |ages: &Block, reason: &str, quarantine: &mut Vec<QuarantinedRow>| {
            for (_, p) in ages.values() {
                quarantine.push(QuarantinedRow {
                    file: file.to_owned(),
                    row: p.line,
                    column: None,
                    reason: reason.to_owned(),
                });
            }
        };
        let Some((all, all_row)) = ages.get(AGE_ALL) else {
            reject(
                &ages,
                "no all-ages row for this municipality, quarter and offence group",
                &mut quarantine,
            );
            continue;
        };
        if AGE_BANDS.iter().any(|b| !ages.contains_key(*b)) {
            reject(
                &ages,
                "age band rows incomplete for this municipality, quarter and offence group",
                &mut quarantine,
            );
            continue;
        }
        let in_bands: u64 = AGE_BANDS.iter().map(|b| u64::from(ages[*b].0)).sum();
        if in_bands > u64::from(*all) {
            reject(
                &ages,
                "age bands add up to more than all ages",
                &mut quarantine,
            );
            continue;
        }
        for b in AGE_BANDS {
            out.rows.push(PoliceCount {
                municipality: mun.clone(),
                quarter,
                offence_group: group.clone(),
                age_band: b.to_owned(),
                count: ages[b].0,
            });
        }
        out.rows.push(PoliceCount {
            municipality: mun.clone(),
            quarter,
            offence_group: group.clone(),
            age_band: AGE_OTHER.to_owned(),
            count: all - in_bands as u32,
        });
        for ((flag, _), f) in flag_cols.iter().zip(&all_row.flags) {
            out.flags.push(FlagCount {
                municipality: mun.clone(),
                quarter,
                offence_group: group.clone(),
                flag: (*flag).to_owned(),
                count: *f,
            });
        }
        for (_, p) in ages.values() {
            seen.insert(p.key.clone(), file.to_owned());
        }
        accepted += ages.len() as u64;
    }
    quarantine.sort_by_key(|q| q.row);
    out.rows.sort();
    out.flags.sort();
    let report = FileReport {
        file: file.to_owned(),
        encoding: decoded.encoding.name(),
        rows_read,
        rows_accepted: accepted,
        rows_quarantined: quarantine.len() as u64,
    };
    Ok((out, report, quarantine))
}
