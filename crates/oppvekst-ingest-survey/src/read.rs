//! Reading one CSV export into canonical respondents with validation and quarantine.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use oppvekst_schema::text::{Encoding, decode, table_reader};
use oppvekst_schema::{Catalogue, Harmoniser};

use crate::{FileReport, IngestError, QuarantinedRow, Respondents};

/// Reports how far a read has come: `(bytes done, bytes in all)` of the decoded text, every
/// few thousand rows and once at the end (for a progress bar on large files).
#[derive(Clone)]
pub struct Progress(pub Arc<dyn Fn(u64, u64) + Send + Sync>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress")
    }
}

/// How to read a file; `None` means detect.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Declared encoding (when detection is ambiguous).
    pub encoding: Option<Encoding>,
    /// Declared separator.
    pub delimiter: Option<u8>,
    /// A file with more than this share of bad rows fails as a whole.
    pub max_bad_share: f64,
    /// Progress callback, if any.
    pub progress: Option<Progress>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            encoding: None,
            delimiter: None,
            max_bad_share: 0.5,
            progress: None,
        }
    }
}

/// Rows between two progress reports.
const PROGRESS_EVERY: u64 = 16 * 1024;

/// Respondent ids already accepted in this run: (survey year, id) → (file, row).
pub type SeenIds = BTreeMap<(i32, String), (String, u64)>;

struct Columns {
    id: usize,
    year: usize,
    municipality: usize,
    school_level: Option<usize>,
    grade: usize,
    gender: usize,
    /// Source column per codebook item (None when the file lacks the item).
    items: Vec<Option<usize>>,
    unknown: Vec<String>,
}

fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

fn map_columns(file: &str, header: &[String], cat: &Catalogue) -> Result<Columns, IngestError> {
    let cb = &cat.codebook;
    let mut used: BTreeMap<usize, String> = BTreeMap::new();
    let mut find =
        |variable: &str, names: &[String], required: bool| -> Result<Option<usize>, IngestError> {
            let wanted: BTreeSet<String> = names
                .iter()
                .map(|n| norm(n))
                .chain([norm(variable)])
                .collect();
            let hits: Vec<usize> = header
                .iter()
                .enumerate()
                .filter(|(_, h)| wanted.contains(&norm(h)))
                .map(|(i, _)| i)
                .collect();
            if hits.len() > 1 {
                return Err(IngestError::AmbiguousColumn {
                    file: file.to_owned(),
                    variable: variable.to_owned(),
                    first: header[hits[0]].clone(),
                    second: header[hits[1]].clone(),
                });
            }
            match hits.first() {
                Some(&i) => {
                    used.insert(i, variable.to_owned());
                    Ok(Some(i))
                }
                None if required => Err(IngestError::MissingColumn {
                    file: file.to_owned(),
                    variable: variable.to_owned(),
                    aliases: names.join(", "),
                }),
                None => Ok(None),
            }
        };
    // Invariant for the `unwrap_or(0)`s below: `find(.., true)` returns Some or an error.
    let id = find("respondent_id", &cb.respondent_id.aliases, true)?.unwrap_or(0);
    let year = find("survey_year", &cb.survey_year.aliases, true)?.unwrap_or(0);
    let municipality = find("municipality", &cb.municipality.aliases, true)?.unwrap_or(0);
    let school_level = find("school_level", &cb.school_level.aliases, false)?;
    let grade = find("grade", &cb.grade.aliases, true)?.unwrap_or(0);
    let gender = find("gender", &cb.gender.aliases, true)?.unwrap_or(0);
    let mut items = Vec::with_capacity(cb.items.len());
    for item in &cb.items {
        items.push(find(&item.id, &item.aliases, false)?);
    }
    let unknown = header
        .iter()
        .enumerate()
        .filter(|(i, h)| !used.contains_key(i) && !h.trim().is_empty())
        .map(|(_, h)| h.trim().to_owned())
        .collect();
    Ok(Columns {
        id,
        year,
        municipality,
        school_level,
        grade,
        gender,
        items,
        unknown,
    })
}

/// Reads one export. `seen` holds ids accepted earlier in the run; it is updated only when
/// the file is accepted.
pub fn read_csv(
    file: &str,
    bytes: &[u8],
    cat: &Catalogue,
    harmoniser: &Harmoniser,
    opts: &ReadOptions,
    seen: &mut SeenIds,
) -> Result<(Respondents, FileReport, Vec<QuarantinedRow>), IngestError> {
    let decoded = decode(bytes, opts.encoding);
    if decoded.text.trim().is_empty() {
        return Err(IngestError::Empty {
            file: file.to_owned(),
        });
    }
    let (mut rdr, header, delimiter) =
        table_reader(&decoded.text, opts.delimiter).map_err(|e| IngestError::Header {
            file: file.to_owned(),
            message: e.to_string(),
        })?;
    let cols = map_columns(file, &header, cat)?;
    let cb = &cat.codebook;
    let bad_lines: BTreeSet<u64> = decoded.bad_lines.iter().copied().collect();
    // The line a truncated file stops in (None when the file ends with a newline).
    let unfinished_line = (!decoded.text.ends_with('\n'))
        .then(|| decoded.text.bytes().filter(|b| *b == b'\n').count() as u64 + 1);

    let mut out = Respondents::new(&cb.items);
    let mut quarantine = Vec::new();
    let mut new_ids: SeenIds = BTreeMap::new();
    let mut rows_read = 0u64;
    let mut record = csv::StringRecord::new();
    let mut last_line = 1u64;
    loop {
        let more = match rdr.read_record(&mut record) {
            Ok(m) => m,
            Err(e) => {
                rows_read += 1;
                let line = e.position().map(|p| p.line()).unwrap_or(last_line + 1);
                last_line = line;
                quarantine.push(QuarantinedRow {
                    file: file.to_owned(),
                    row: line,
                    column: None,
                    reason: "unparseable CSV row (quoting)".into(),
                });
                continue;
            }
        };
        if !more {
            break;
        }
        rows_read += 1;
        if let Some(p) = opts
            .progress
            .as_ref()
            .filter(|_| rows_read.is_multiple_of(PROGRESS_EVERY))
        {
            (p.0)(
                record.position().map_or(0, |p| p.byte()),
                decoded.text.len() as u64,
            );
        }
        let line = record.position().map(|p| p.line()).unwrap_or(last_line + 1);
        last_line = line;
        let q = |column: Option<&str>, reason: String| QuarantinedRow {
            file: file.to_owned(),
            row: line,
            column: column.map(str::to_owned),
            reason,
        };
        if bad_lines.contains(&line) {
            quarantine.push(q(
                None,
                format!(
                    "text is not {} like the rest of the file (mixed encodings)",
                    decoded.encoding.name()
                ),
            ));
            continue;
        }
        if record.len() != header.len() {
            let truncated = unfinished_line == Some(line);
            quarantine.push(q(
                None,
                format!(
                    "expected {} fields, found {}{}",
                    header.len(),
                    record.len(),
                    if truncated {
                        " (file ends mid-row: truncated?)"
                    } else {
                        ""
                    }
                ),
            ));
            continue;
        }
        match validate_row(&record, &cols, cat, harmoniser) {
            Err((col, reason)) => quarantine.push(q(col.map(|c| header[c].as_str()), reason)),
            Ok(row) => {
                let key = (row.year, row.id.clone());
                if let Some((f, r)) = seen.get(&key).or_else(|| new_ids.get(&key)) {
                    quarantine.push(q(
                        Some(header[cols.id].as_str()),
                        format!("duplicated respondent id (first seen in {f} line {r})"),
                    ));
                    continue;
                }
                new_ids.insert(key, (file.to_owned(), line));
                out.respondent_id.push(row.id);
                out.source_file.push(file.to_owned());
                out.source_row.push(line);
                out.survey_year.push(row.year);
                out.municipality.push(row.municipality);
                out.municipality_source.push(row.municipality_source);
                out.grade.push(row.grade);
                out.gender.push(row.gender);
                for (dst, a) in out.answers.iter_mut().zip(row.answers) {
                    dst.push(a);
                }
            }
        }
    }
    if let Some(p) = &opts.progress {
        (p.0)(decoded.text.len() as u64, decoded.text.len() as u64);
    }
    let bad = quarantine.len() as u64;
    if rows_read > 0 && bad as f64 > opts.max_bad_share * rows_read as f64 {
        return Err(IngestError::MostlyInvalid {
            file: file.to_owned(),
            bad,
            read: rows_read,
        });
    }
    seen.extend(new_ids);
    let report = FileReport {
        file: file.to_owned(),
        encoding: decoded.encoding.name(),
        delimiter: delimiter as char,
        rows_read,
        rows_accepted: out.len() as u64,
        rows_quarantined: bad,
        unknown_columns: cols.unknown,
    };
    Ok((out, report, quarantine))
}

struct Row {
    id: String,
    year: i32,
    municipality: String,
    municipality_source: String,
    grade: i8,
    gender: String,
    answers: Vec<Option<i8>>,
}

type RowError = (Option<usize>, String);

fn int_field(record: &csv::StringRecord, col: usize) -> Result<Option<i64>, RowError> {
    let v = record.get(col).unwrap_or("").trim();
    if v.is_empty() {
        return Ok(None);
    }
    // Exports saved from Excel may write whole codes as `3,0` or `3.0`.
    let v = v
        .strip_suffix(",0")
        .or_else(|| v.strip_suffix(".0"))
        .unwrap_or(v);
    v.parse::<i64>()
        .map(Some)
        .map_err(|_| (Some(col), "not an integer code".to_owned()))
}

fn required(v: Option<i64>, col: usize, what: &str) -> Result<i64, RowError> {
    v.ok_or_else(|| (Some(col), format!("required value missing ({what})")))
}

fn validate_row(
    record: &csv::StringRecord,
    cols: &Columns,
    cat: &Catalogue,
    harmoniser: &Harmoniser,
) -> Result<Row, RowError> {
    let cb = &cat.codebook;
    let id = record.get(cols.id).unwrap_or("").trim().to_owned();
    if id.is_empty() {
        return Err((
            Some(cols.id),
            "required value missing (respondent id)".into(),
        ));
    }
    let year = required(int_field(record, cols.year)?, cols.year, "survey year")?;
    let (lo, hi) = (
        cb.survey_year.min.unwrap_or(1990),
        cb.survey_year.max.unwrap_or(2100),
    );
    if !(lo..=hi).contains(&year) {
        return Err((Some(cols.year), format!("survey year outside {lo}–{hi}")));
    }
    let m_src = record.get(cols.municipality).unwrap_or("").trim();
    if m_src.is_empty() {
        return Err((
            Some(cols.municipality),
            "required value missing (municipality)".into(),
        ));
    }
    if !(m_src.len() == 4 && m_src.bytes().all(|b| b.is_ascii_digit())) {
        return Err((
            Some(cols.municipality),
            "municipality number is not four digits".into(),
        ));
    }
    let municipality = harmoniser.current(m_src).ok_or_else(|| {
        (
            Some(cols.municipality),
            "municipality number was split; cannot harmonise".to_owned(),
        )
    })?;
    let grade_code = required(int_field(record, cols.grade)?, cols.grade, "grade")?;
    let grade = *cb.grade.codes.get(&grade_code.to_string()).ok_or_else(|| {
        (
            Some(cols.grade),
            "grade code not in the codebook".to_owned(),
        )
    })?;
    let level = match cols.school_level {
        Some(sc) => int_field(record, sc)?.map(|l| (sc, l)),
        None => None,
    };
    if let Some((sc, level)) = level {
        let label = cb
            .school_level
            .codes
            .get(&level.to_string())
            .ok_or_else(|| (Some(sc), "school level code not in the codebook".to_owned()))?;
        let allowed = if label == "ungdomsskole" {
            &cb.grade.ungdomsskole
        } else {
            &cb.grade.videregaende
        };
        if !allowed.contains(&grade) {
            return Err((
                Some(cols.grade),
                "grade impossible for the school level".into(),
            ));
        }
    }
    let gender_code = required(int_field(record, cols.gender)?, cols.gender, "gender")?;
    if cb.missing_codes.contains(&gender_code) {
        return Err((Some(cols.gender), "required value missing (gender)".into()));
    }
    let gender = cb
        .gender
        .codes
        .get(&gender_code.to_string())
        .cloned()
        .ok_or_else(|| {
            (
                Some(cols.gender),
                "gender code not in the codebook".to_owned(),
            )
        })?;
    let mut answers = Vec::with_capacity(cols.items.len());
    for (item, col) in cb.items.iter().zip(&cols.items) {
        let Some(col) = *col else {
            answers.push(None);
            continue;
        };
        let a = match int_field(record, col)? {
            None => None,
            Some(v) if cb.missing_codes.contains(&v) => None,
            Some(v) if (item.valid[0]..=item.valid[1]).contains(&v) => Some(v as i8),
            Some(_) => {
                return Err((
                    Some(col),
                    format!(
                        "answer code out of range {}–{}",
                        item.valid[0], item.valid[1]
                    ),
                ));
            }
        };
        answers.push(a);
    }
    Ok(Row {
        id,
        year: year as i32,
        municipality,
        municipality_source: m_src.to_owned(),
        grade: grade as i8,
        gender,
        answers,
    })
}

/// Reads cases that a binary reader (SPSS, Parquet) has laid out as UTF-8 `;`-separated text,
/// through exactly the validation of a CSV export; the report names the source `format`.
pub(crate) fn read_laid_out(
    file: &str,
    table: &[u8],
    cat: &Catalogue,
    harmoniser: &Harmoniser,
    opts: &ReadOptions,
    seen: &mut SeenIds,
    format: &'static str,
) -> Result<(Respondents, FileReport, Vec<QuarantinedRow>), IngestError> {
    let utf8 = ReadOptions {
        encoding: Some(Encoding::Utf8),
        delimiter: Some(b';'),
        ..opts.clone()
    };
    let (respondents, mut report, quarantine) =
        read_csv(file, table, cat, harmoniser, &utf8, seen)?;
    report.encoding = format;
    Ok((respondents, report, quarantine))
}
