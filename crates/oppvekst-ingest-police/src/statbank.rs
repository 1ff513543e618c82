//! SSB's wide StatBank tables as people download them — CSV or XLSX from the StatBank or
//! PxWebApi v2, or the same layout written by R — read as official reference data: one row
//! per region and period, one column per offence group (08487) or per age (07459), a title
//! line or two above the header, and SSB's symbols (`..`, `...`, `:`, `-`, `.`) or R's `NA`
//! for what is not a number. A symbol becomes its status ([`SsbValue`]); `NA` and a blank are
//! missing; nothing that is not a number is ever read as one, and anything else is an error
//! naming the file, line and column (never the text).
//!
//! Periods are kept as SSB writes them, a year (`2024`) or a two-year interval (`2023-2024`,
//! also written `23-24` or `2023–2024`), normalised to `YYYY` or `YYYY-YYYY`.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use oppvekst_schema::codes::offence_group;
use oppvekst_schema::text::{decode, detect_delimiter, parse_decimal};

use crate::ssb::{SsbError, SsbValue};

/// One value of a wide table.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WideValue {
    /// Today's four-digit municipality number, when the region is one (None: the country,
    /// a county, a police district).
    pub municipality: Option<String>,
    /// The region as written (`3107 Fredrikstad`, `K-3107`, `0 Hele landet`).
    pub region: String,
    /// `YYYY` or `YYYY-YYYY`.
    pub period: String,
    /// The offence group (code of SSB's 2015 classification, `alle` for all groups), when a
    /// column header or a row label names one.
    pub group: Option<String>,
    /// What is counted: the other labels of the row and the column (`Anmeldte lovbrudd per
    /// 1 000 innbyggere`, `15 år`), joined with ` / `; empty when nothing else is said.
    pub measure: String,
    /// The value or its status.
    pub value: SsbValue,
}

fn err(file: &str, m: impl Into<String>) -> SsbError {
    SsbError {
        file: file.to_owned(),
        message: m.into(),
    }
}

/// `2023-2024`, `23-24`, `2023–2024` → `2023-2024`; `2024` → `2024`; else None.
pub fn period(text: &str) -> Option<String> {
    let t = text.trim().replace(['–', '—'], "-");
    let year = |s: &str| -> Option<i32> {
        let s = s.trim();
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        match s.len() {
            4 => s.parse().ok(),
            2 => s.parse::<i32>().ok().map(|y| 2000 + y),
            _ => None,
        }
    };
    match t.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (year(a)?, year(b)?);
            (b > a && b - a <= 10).then(|| format!("{a}-{b}"))
        }
        None if t.len() == 4 => year(&t).map(|y| y.to_string()),
        None => None,
    }
}

/// The four-digit municipality number a region label starts with (`3107 Fredrikstad`,
/// `K-3107 Fredrikstad`, `3107`); None for the country, counties and the like.
fn municipality_of(region: &str) -> Option<String> {
    let t = region.trim();
    let t = t.strip_prefix("K-").unwrap_or(t);
    let digits: String = t.chars().take_while(char::is_ascii_digit).collect();
    let rest = &t[digits.len()..];
    (digits.len() == 4 && (rest.is_empty() || rest.starts_with(' '))).then_some(digits)
}

/// A cell: a number (decimal comma or point), an SSB symbol, or `NA`/blank (missing).
fn value(raw: &str) -> Option<SsbValue> {
    let t = raw.trim().trim_matches('"');
    if t.is_empty() || t.eq_ignore_ascii_case("na") {
        return Some(SsbValue::Missing);
    }
    if let Some(s) = SsbValue::from_symbol(t) {
        return Some(s);
    }
    let numeric = t
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b',' | b'.' | b' ' | b'-'));
    numeric
        .then(|| parse_decimal(t))
        .flatten()
        .map(SsbValue::Number)
}

/// The offence group a label names: a code, `alle` for all groups, or None.
fn group_of(label: &str) -> Option<String> {
    let h = label.trim();
    let lower = h.to_lowercase();
    if let Some(g) = offence_group(h) {
        return Some(g.to_owned());
    }
    if lower.starts_with("alle lovbrudd") || lower.starts_with("lovbrudd i alt") {
        return Some(oppvekst_schema::codes::OFFENCE_TOTAL.to_owned());
    }
    // A contents prefix before the group (`Anmeldte lovbrudd: Vold og mishandling`).
    h.rsplit_once([':', '|'])
        .and_then(|(_, tail)| offence_group(tail))
        .map(str::to_owned)
}

/// Reads a wide table from rows of text cells (CSV fields or spreadsheet cells).
fn from_rows(file: &str, rows: Vec<(u64, Vec<String>)>) -> Result<Vec<WideValue>, SsbError> {
    // The header is the first row with three or more non-blank cells; title lines above it
    // have one.
    let filled = |r: &[String]| r.iter().filter(|c| !c.trim().is_empty()).count();
    let h = rows
        .iter()
        .position(|(_, r)| filled(r) >= 3)
        .ok_or_else(|| err(file, "no header row (a row with three or more columns)"))?;
    let header: Vec<String> = rows[h].1.iter().map(|c| c.trim().to_owned()).collect();
    let body: Vec<&(u64, Vec<String>)> = rows[h + 1..]
        .iter()
        .filter(|(_, r)| filled(r) > 0)
        .collect();
    if body.is_empty() {
        return Err(err(file, "no rows under the header"));
    }
    // Label columns: those where most rows hold text that is no value; the rest hold values
    // (a value column with a stray word is still one, and the word an error).
    let is_label = |c: usize| {
        let text = body
            .iter()
            .filter(|(_, r)| r.get(c).is_some_and(|x| value(x).is_none()))
            .count();
        // A column headed by an offence group holds values, whatever its cells say.
        group_of(&header[c]).is_none() && 2 * text > body.len()
    };
    let labels: Vec<usize> = (0..header.len()).filter(|&c| is_label(c)).collect();
    let cell = |r: &[String], c: usize| r.get(c).map_or("", String::as_str).trim().to_owned();
    let named = |c: usize, words: &[&str]| {
        let l = header[c].to_lowercase();
        words.iter().any(|w| l.contains(w))
    };
    let region_col = labels
        .iter()
        .copied()
        .find(|&c| body.iter().all(|(_, r)| period(&cell(r, c)).is_none()))
        .or_else(|| {
            // A region written as a bare number reads as a value: take the header's word.
            (0..header.len()).find(|&c| named(c, &["region", "gjerningssted", "kommune", "scene"]))
        })
        .ok_or_else(|| err(file, "no region column"))?;
    let period_col = labels
        .iter()
        .copied()
        .find(|&c| c != region_col && body.iter().all(|(_, r)| period(&cell(r, c)).is_some()))
        .or_else(|| {
            // A period written as a plain year reads as a number: take the header's word.
            (0..header.len()).find(|&c| {
                c != region_col
                    && named(c, &["år", "tid", "year", "interval", "periode"])
                    && body.iter().all(|(_, r)| period(&cell(r, c)).is_some())
            })
        })
        .ok_or_else(|| err(file, "no period column (years such as 2024 or 2023-2024)"))?;
    let measures: Vec<usize> = labels
        .iter()
        .copied()
        .filter(|&c| c != region_col && c != period_col)
        .collect();
    // A label column that names offence groups (the StatBank's long layout) is the group.
    let group_col = measures
        .iter()
        .copied()
        .find(|&c| body.iter().all(|(_, r)| group_of(&cell(r, c)).is_some()));
    let measures: Vec<usize> = measures
        .into_iter()
        .filter(|&c| Some(c) != group_col)
        .collect();
    let values: Vec<usize> = (0..header.len())
        .filter(|c| *c != region_col && *c != period_col && Some(*c) != group_col)
        .filter(|c| !measures.contains(c))
        .filter(|&c| !header[c].is_empty())
        .collect();
    if values.is_empty() {
        return Err(err(file, "no value columns"));
    }
    let mut out = Vec::with_capacity(body.len() * values.len());
    for (line, r) in body {
        let region = cell(r, region_col);
        let per = period(&cell(r, period_col))
            .ok_or_else(|| err(file, format!("line {line}: the period is not a year")))?;
        let labels: Vec<String> = measures.iter().map(|&c| cell(r, c)).collect();
        let row_group = group_col.and_then(|c| group_of(&cell(r, c)));
        for &c in &values {
            let v = value(r.get(c).map_or("", String::as_str)).ok_or_else(|| {
                err(
                    file,
                    format!(
                        "line {line}, column `{}`: neither a number nor an SSB symbol nor NA",
                        header[c]
                    ),
                )
            })?;
            let column_group = group_of(&header[c]);
            let mut measure = labels.clone();
            if column_group.is_none() {
                measure.push(header[c].clone());
            }
            out.push(WideValue {
                municipality: municipality_of(&region),
                region: region.clone(),
                period: per.clone(),
                group: column_group.or_else(|| row_group.clone()),
                measure: measure.join(" / "),
                value: v,
            });
        }
    }
    Ok(out)
}

/// Reads a wide StatBank table saved as CSV (`;` or `,`, UTF-8 or Windows-1252, quoted or
/// not, with or without title lines).
pub fn read_wide_csv(file: &str, bytes: &[u8]) -> Result<Vec<WideValue>, SsbError> {
    let text = decode(bytes, None).text;
    // The delimiter that cuts the most rows into three fields or more (a title line, which
    // may hold commas, is one row against the table's many).
    let rows_of = |d: u8| {
        csv::ReaderBuilder::new()
            .delimiter(d)
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes())
            .records()
            .filter(|r| r.as_ref().is_ok_and(|r| r.len() >= 3))
            .count()
    };
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let delimiter = [b';', b',', b'\t']
        .into_iter()
        .max_by_key(|&d| (rows_of(d), d == detect_delimiter(first)))
        .unwrap_or(b';');
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            err(file, format!("line {line}: unreadable CSV (quoting)"))
        })?;
        let line = rec.position().map_or(0, |p| p.line());
        rows.push((line, rec.iter().map(str::to_owned).collect()));
    }
    from_rows(file, rows)
}

/// Reads a wide StatBank table saved as XLSX (its first sheet).
pub fn read_wide_xlsx(file: &str, bytes: &[u8]) -> Result<Vec<WideValue>, SsbError> {
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|_| err(file, "not a readable Excel workbook"))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| err(file, "the workbook has no sheet"))?
        .map_err(|_| err(file, "the first sheet cannot be read"))?;
    let (top, _) = range.start().unwrap_or((0, 0));
    let rows = range
        .rows()
        .enumerate()
        .map(|(i, r)| {
            let cells = r
                .iter()
                .map(|d| match d {
                    Data::Empty => String::new(),
                    Data::String(s) => s.clone(),
                    Data::Int(i) => i.to_string(),
                    Data::Float(f) => f.to_string(),
                    Data::Bool(b) => b.to_string(),
                    Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
                    // Neither a number nor a symbol: the reader names its position.
                    Data::DateTime(_) | Data::Error(_) => "#".into(),
                })
                .collect();
            (u64::from(top) + i as u64 + 1, cells)
        })
        .collect();
    from_rows(file, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_and_regions_as_ssb_and_r_write_them() {
        assert_eq!(period("2020-2021").as_deref(), Some("2020-2021"));
        assert_eq!(period("20-21").as_deref(), Some("2020-2021"));
        assert_eq!(period("2023–2024").as_deref(), Some("2023-2024"));
        assert_eq!(period("2024").as_deref(), Some("2024"));
        assert_eq!(period("Fredrikstad"), None);
        assert_eq!(period("2024-2020"), None);
        assert_eq!(municipality_of("3107 Fredrikstad").as_deref(), Some("3107"));
        assert_eq!(municipality_of("K-3105 Sarpsborg").as_deref(), Some("3105"));
        assert_eq!(municipality_of("0 Hele landet"), None);
        assert_eq!(municipality_of("31 Østfold"), None);
        assert_eq!(value("NA"), Some(SsbValue::Missing));
        assert_eq!(value(":"), Some(SsbValue::Hidden));
        assert_eq!(value("9,6"), Some(SsbValue::Number(9.6)));
        assert_eq!(value("tolv"), None);
    }
}
