//! Municipality code harmonisation driven by a KLASS-style change list.
//!
//! A municipality keeps its identity through renumbering (Sarpsborg 0105 → 3003 → 3105).
//! The change list is data: rows of `fromCode, changeOccurred, toCode` (SSB KLASS 131
//! `changes`, or the `oldCode, newCode, date` spelling). [`Harmoniser::current`] follows
//! the chain of changes forward to today's code.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

/// A municipality number as an input file writes it, as four digits: a three-digit number
/// gets back the leading zero a numeric SPSS variable or a spreadsheet drops (`105` is
/// Sarpsborg's old 0105). None when it is not a number of three or four digits.
pub fn municipality_number(raw: &str) -> Option<Cow<'_, str>> {
    let raw = raw.trim();
    if !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match raw.len() {
        4 => Some(Cow::Borrowed(raw)),
        3 => Some(Cow::Owned(format!("0{raw}"))),
        _ => None,
    }
}

/// Errors reading a change list. They name the source and the row, never a value.
#[derive(Debug, thiserror::Error)]
pub enum MunicipalityError {
    /// The CSV could not be parsed.
    #[error("{source_name}: row {row}: malformed change-list row: {message}")]
    Csv {
        /// File or resource name.
        source_name: String,
        /// 1-based row number (header is row 1).
        row: u64,
        /// What the CSV parser said.
        message: String,
    },
    /// A required column is missing from the header.
    #[error(
        "{source_name}: missing column `{column}` (expected fromCode/oldCode, toCode/newCode, changeOccurred/date)"
    )]
    MissingColumn {
        /// File or resource name.
        source_name: String,
        /// The column that is absent.
        column: &'static str,
    },
    /// A field is empty or not a code/date.
    #[error("{source_name}: row {row}, column `{column}`: invalid value")]
    InvalidField {
        /// File or resource name.
        source_name: String,
        /// 1-based row number.
        row: u64,
        /// Column name.
        column: &'static str,
    },
}

/// One municipality code change.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CodeChange {
    /// Date the change took effect, `YYYY-MM-DD`.
    pub date: String,
    /// Old code.
    pub from: String,
    /// New code.
    pub to: String,
}

/// Maps historical municipality codes to their current code.
#[derive(Debug, Clone, Default)]
pub struct Harmoniser {
    /// Outgoing changes per old code, sorted by date.
    edges: BTreeMap<String, Vec<CodeChange>>,
    /// Latest known name per code.
    names: BTreeMap<String, String>,
    /// Every code the change list names (old or new) and every code added by
    /// [`Harmoniser::know`].
    known: BTreeSet<String>,
}

/// Why a municipality number has no current number to count under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unharmonised {
    /// The number was split into several; its series stops (it never follows one of them).
    #[error(
        "municipality number was split into several; its series stops here (it is not followed into one of the new numbers)"
    )]
    Split,
    /// Neither the change list nor the configuration knows the number.
    #[error("municipality number not in the KLASS change list nor in the configuration")]
    Unknown,
}

const BUILTIN: &str = include_str!("../../../data-schema/municipality_changes.csv");

impl Harmoniser {
    /// The change list shipped in `data-schema/municipality_changes.csv`.
    pub fn builtin() -> Result<Self, MunicipalityError> {
        Self::from_reader("data-schema/municipality_changes.csv", BUILTIN.as_bytes())
    }

    /// Reads a change list in KLASS (`fromCode, fromLabel, changeOccurred, toCode, toLabel`)
    /// or short (`oldCode, newCode, date`) form.
    pub fn from_reader<R: Read>(source_name: &str, reader: R) -> Result<Self, MunicipalityError> {
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(false)
            .from_reader(reader);
        let headers = rdr
            .headers()
            .map_err(|e| MunicipalityError::Csv {
                source_name: source_name.to_owned(),
                row: 1,
                message: e.to_string(),
            })?
            .clone();
        let find = |names: &[&str], column: &'static str| {
            headers
                .iter()
                .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
                .ok_or(MunicipalityError::MissingColumn {
                    source_name: source_name.to_owned(),
                    column,
                })
        };
        let from_i = find(&["fromCode", "oldCode"], "fromCode")?;
        let to_i = find(&["toCode", "newCode"], "toCode")?;
        let date_i = find(&["changeOccurred", "date"], "changeOccurred")?;
        let from_label = headers.iter().position(|h| h.trim() == "fromLabel");
        let to_label = headers.iter().position(|h| h.trim() == "toLabel");

        let mut h = Harmoniser::default();
        for (i, rec) in rdr.records().enumerate() {
            let row = i as u64 + 2;
            let rec = rec.map_err(|e| MunicipalityError::Csv {
                source_name: source_name.to_owned(),
                row,
                message: e.to_string(),
            })?;
            let field = |idx: usize, column: &'static str| {
                let v = rec.get(idx).unwrap_or("").trim();
                if v.is_empty() {
                    Err(MunicipalityError::InvalidField {
                        source_name: source_name.to_owned(),
                        row,
                        column,
                    })
                } else {
                    Ok(v.to_owned())
                }
            };
            let from = field(from_i, "fromCode")?;
            let to = field(to_i, "toCode")?;
            let date = field(date_i, "changeOccurred")?;
            if !is_date(&date) {
                return Err(MunicipalityError::InvalidField {
                    source_name: source_name.to_owned(),
                    row,
                    column: "changeOccurred",
                });
            }
            if let Some(l) = to_label.and_then(|i| rec.get(i)) {
                h.names.insert(to.clone(), l.trim().to_owned());
            }
            if let Some(l) = from_label.and_then(|i| rec.get(i)) {
                h.names
                    .entry(from.clone())
                    .or_insert_with(|| l.trim().to_owned());
            }
            h.add(CodeChange { date, from, to });
        }
        Ok(h)
    }

    /// Adds numbers the configuration knows (municipalities that never changed number).
    pub fn know<'a>(&mut self, codes: impl IntoIterator<Item = &'a str>) {
        self.known
            .extend(codes.into_iter().map(|c| c.trim().to_owned()));
    }

    /// Whether the change list or the configuration knows `code`.
    pub fn knows(&self, code: &str) -> bool {
        self.known.contains(code.trim())
    }

    /// Today's number for `code` when it is known and was never split; see
    /// [`Harmoniser::current`].
    pub fn harmonise(&self, code: &str) -> Result<String, Unharmonised> {
        if !self.knows(code) {
            return Err(Unharmonised::Unknown);
        }
        self.current(code).ok_or(Unharmonised::Split)
    }

    fn add(&mut self, change: CodeChange) {
        self.known.insert(change.from.clone());
        self.known.insert(change.to.clone());
        if change.from == change.to {
            return; // a name-only change (KLASS self-edge)
        }
        let list = self.edges.entry(change.from.clone()).or_default();
        if !list.contains(&change) {
            list.push(change);
            list.sort();
        }
    }

    /// Number of (non-self) changes known.
    pub fn len(&self) -> usize {
        self.edges.values().map(Vec::len).sum()
    }

    /// True when no change is known.
    pub fn is_empty(&self) -> bool {
        self.edges.is_empty()
    }

    /// Today's code for `code`: follows changes forward in date order. When a code was
    /// split into several on the same date, the chain cannot continue unambiguously and
    /// `None` is returned. Codes with no known change map to themselves.
    pub fn current(&self, code: &str) -> Option<String> {
        let mut code = code.trim().to_owned();
        let mut since = String::new();
        // A change list is a DAG in time; the step limit guards against a malformed cycle.
        for _ in 0..64 {
            let Some(changes) = self.edges.get(&code) else {
                return Some(code);
            };
            let later: Vec<&CodeChange> = changes.iter().filter(|c| c.date >= since).collect();
            let Some(first) = later.first() else {
                return Some(code);
            };
            let same_day: Vec<&&CodeChange> =
                later.iter().filter(|c| c.date == first.date).collect();
            if same_day.len() > 1 {
                return None;
            }
            since = first.date.clone();
            code = first.to.clone();
        }
        None
    }

    /// The latest name known for a code, if the change list carries labels.
    pub fn name(&self, code: &str) -> Option<&str> {
        self.names.get(code).map(String::as_str)
    }
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_sarpsborg_and_fredrikstad_through_both_changes() {
        let h = Harmoniser::builtin().unwrap();
        for code in ["0105", "3003", "3105"] {
            assert_eq!(h.current(code).as_deref(), Some("3105"));
        }
        for code in ["0106", "3004", "3107"] {
            assert_eq!(h.current(code).as_deref(), Some("3107"));
        }
        assert_eq!(h.current("0301").as_deref(), Some("0301"));
        assert_eq!(h.name("3107"), Some("Fredrikstad"));
    }

    #[test]
    fn short_header_form_and_errors() {
        let h =
            Harmoniser::from_reader("t.csv", "oldCode,newCode,date\n1,2,2020-01-01\n".as_bytes())
                .unwrap();
        assert_eq!(h.current("1").as_deref(), Some("2"));
        let e = Harmoniser::from_reader("t.csv", "oldCode,newCode\n1,2\n".as_bytes()).unwrap_err();
        assert!(e.to_string().contains("changeOccurred"), "{e}");
        let e = Harmoniser::from_reader("t.csv", "oldCode,newCode,date\n1,2,2020\n".as_bytes())
            .unwrap_err();
        assert!(e.to_string().contains("row 2"), "{e}");
    }

    #[test]
    fn split_is_ambiguous() {
        let h = Harmoniser::from_reader(
            "t.csv",
            "oldCode,newCode,date\n1,2,2020-01-01\n1,3,2020-01-01\n".as_bytes(),
        )
        .unwrap();
        assert_eq!(h.current("1"), None);
    }
}
