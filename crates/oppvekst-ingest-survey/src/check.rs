//! Checking rows: every value of a row against the codebook ([`Checker`], shared by the
//! threads that check a file's rows in parallel), then, in file order, the duplicate check
//! and the hand-over of accepted rows to the sink ([`Validator`]). CSV, SPSS and Parquet
//! exports all pass through these two, so a value is judged the same whatever the format.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use encoding_rs::WINDOWS_1252;
use oppvekst_schema::municipality::{Unharmonised, municipality_number};
use oppvekst_schema::text::{Encoding, looks_utf8_multibyte};
use oppvekst_schema::{Catalogue, Harmoniser};

use crate::columns::{Columns, map_columns};
use crate::options::InvalidAnswer;
use crate::options::{ReadOptions, Sink};
use crate::seen::SeenIds;
use crate::{
    AnswerColumn, AnswerCount, CHUNK_ROWS, FileReport, IngestError, QuarantinedRow, Respondents,
};

/// In [`Record::push_code`]: a field that is blank (a missing value).
pub(crate) const CODE_BLANK: u8 = 100;
/// In a record's codes: a field to be read from its text.
const CODE_TEXT: u8 = u8::MAX;

/// One row's fields as bytes: the fields back to back, and where each ends. The buffers
/// keep their size from row to row (only `fields` of `ends` count), so a parser can write
/// into them without clearing or growing them for every row. A binary export can give an
/// answer as a whole code 0..=99 ([`Record::push_code`]) instead of its text.
// No Debug: a record holds a respondent's answers.
#[derive(Default, Clone)]
pub(crate) struct Record {
    pub(crate) bytes: Vec<u8>,
    pub(crate) ends: Vec<usize>,
    pub(crate) fields: usize,
    /// Per field pushed: its code, [`CODE_BLANK`] or [`CODE_TEXT`] (empty when the fields
    /// were written by a parser, which gives text only).
    codes: Vec<u8>,
}

impl Record {
    pub(crate) fn clear(&mut self) {
        self.fields = 0;
        self.codes.clear();
    }

    /// Adds an answer field given as a whole code 0..=99 or [`CODE_BLANK`] (no text).
    pub(crate) fn push_code(&mut self, code: u8) {
        self.end_field(self.used());
        self.codes.push(code);
    }

    /// Ends the next field at byte `end`.
    fn end_field(&mut self, end: usize) {
        if self.ends.len() <= self.fields {
            self.ends
                .resize((self.fields + 1).max(2 * self.ends.len()), 0);
        }
        self.ends[self.fields] = end;
        self.fields += 1;
    }

    /// Where the last field ends.
    fn used(&self) -> usize {
        match self.fields {
            0 => 0,
            n => self.ends.get(n - 1).copied().unwrap_or(0),
        }
    }

    pub(crate) fn push_field(&mut self, field: &[u8]) {
        self.push_text(field);
        self.codes.push(CODE_TEXT);
    }

    fn push_text(&mut self, field: &[u8]) {
        let start = self.used();
        let end = start + field.len();
        if self.bytes.len() < end {
            self.bytes.resize(end.max(2 * self.bytes.len()), 0);
        }
        self.bytes[start..end].copy_from_slice(field);
        self.end_field(end);
    }

    /// The record's fields.
    pub(crate) fn view(&self) -> Fields<'_> {
        // `fields <= ends.len()` always (push_field and the parser grow `ends` first).
        let ends = self.ends.get(..self.fields).unwrap_or(&[]);
        let codes = if self.codes.len() == self.fields {
            &self.codes[..]
        } else {
            &[]
        };
        Fields {
            bytes: &self.bytes,
            ends,
            gap: 0,
            codes,
        }
    }
}

/// The fields of one row, borrowed: the bytes they lie in, where each ends (relative to
/// the first byte) and how many bytes separate two fields. A row of a CSV piece without
/// quotes is checked straight from the piece (fields one separator apart), without copying
/// its fields.
// No Debug: the fields are a respondent's answers.
#[derive(Clone, Copy)]
pub(crate) struct Fields<'r> {
    bytes: &'r [u8],
    ends: &'r [usize],
    gap: usize,
    /// Codes given instead of text, per field (empty: text only).
    codes: &'r [u8],
}

impl<'r> Fields<'r> {
    /// Fields as they lie in a line, one separator apart.
    pub(crate) fn separated(line: &'r [u8], ends: &'r [usize]) -> Self {
        Fields {
            bytes: line,
            ends,
            gap: 1,
            codes: &[],
        }
    }

    /// The code given for field `i` instead of its text, if one was.
    fn code(&self, i: usize) -> Option<u8> {
        self.codes.get(i).copied().filter(|&c| c != CODE_TEXT)
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    /// Every byte of the fields.
    fn content(&self) -> &'r [u8] {
        let end = self.ends.last().copied().unwrap_or(0);
        self.bytes.get(..end).unwrap_or(b"")
    }

    /// Field `i` (empty past the last field).
    fn get(&self, i: usize) -> &'r [u8] {
        let end = match self.ends.get(i) {
            Some(&end) => end,
            None => return b"",
        };
        let start = match i {
            0 => 0,
            _ => self.ends[i - 1] + self.gap,
        };
        self.bytes.get(start..end).unwrap_or(b"")
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &'r [u8]> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

/// The codebook's code lists keyed by number, looked up once per row without allocating.
/// Codes in the codebook that are not whole numbers can never match an integer field and
/// are left out.
struct Codes {
    grade: HashMap<i64, i64>,
    gender: HashMap<i64, String>,
    /// School level code → whether it is ungdomsskole.
    school_level: HashMap<i64, bool>,
    /// The missing codes below 128 as bits.
    missing_small: u128,
    /// Every missing code.
    missing: Vec<i64>,
    /// Every code from this one up is missing.
    missing_from: Option<i64>,
}

impl Codes {
    fn new(cat: &Catalogue) -> Self {
        let cb = &cat.codebook;
        let num = |k: &String| k.trim().parse::<i64>().ok();
        Codes {
            grade: cb
                .grade
                .codes
                .iter()
                .filter_map(|(k, v)| num(k).map(|k| (k, *v)))
                .collect(),
            gender: cb
                .gender
                .codes
                .iter()
                .filter_map(|(k, v)| num(k).map(|k| (k, v.clone())))
                .collect(),
            school_level: cb
                .school_level
                .codes
                .iter()
                .filter_map(|(k, v)| num(k).map(|k| (k, v == "ungdomsskole")))
                .collect(),
            missing_small: (0..128i64)
                .filter(|&c| cb.is_missing(c))
                .fold(0, |m, c| m | 1 << c),
            missing: cb.missing_codes.clone(),
            missing_from: cb.missing_from,
        }
    }

    fn is_missing(&self, code: i64) -> bool {
        if (0..128).contains(&code) {
            self.missing_small & (1 << code) != 0
        } else {
            self.missing.contains(&code) || self.missing_from.is_some_and(|m| code >= m)
        }
    }
}

/// A code in [`CodeTable::small`] that is neither valid for the item nor a missing code.
const INVALID: i16 = i16::MIN;

/// How one codebook item is read from a row: its source column (None when the file lacks
/// the item) and its valid codes (an index into [`Checker::ranges`]).
struct ItemCheck {
    col: Option<usize>,
    range: usize,
}

/// The codes of items with one valid range (most items share one, so the tables stay in
/// the fastest cache).
struct CodeTable {
    /// Inclusive valid code range.
    valid: [i64; 2],
    /// What each code 0..=99 (every one- or two-digit field) means: the answer,
    /// [`AnswerColumn::MISSING`], or [`INVALID`]. One lookup per answer.
    small: [i16; 100],
}

type RowError = (Option<usize>, String);

/// Everything needed to check one row against the codebook. Immutable, so the threads
/// that check a file's rows in parallel share one.
pub(crate) struct Checker<'a> {
    file: Arc<str>,
    cat: &'a Catalogue,
    harmoniser: &'a Harmoniser,
    header: Vec<String>,
    cols: Columns,
    /// The file's encoding, set once: at construction when it is known (declared, a BOM, a
    /// non-ASCII header, a binary format), otherwise by the CSV reader from the first piece
    /// of the body that holds non-ASCII bytes, before that piece reaches a checking thread.
    /// Rows before it are ASCII, which reads the same in either encoding.
    encoding: Arc<OnceLock<Encoding>>,
    codes: Codes,
    items: Vec<ItemCheck>,
    ranges: Vec<CodeTable>,
    on_invalid: InvalidAnswer,
}

/// Rows one thread has checked, in file order: the rows that passed (not yet checked
/// against the ids seen before them) and the quarantined ones.
pub(crate) struct Checked {
    /// The rows that passed; their last answers may still wait in `block`.
    pub(crate) rows: Respondents,
    /// Answers of the last accepted rows, row by row (one byte per item), moved into the
    /// answer columns [`BLOCK_ROWS`] rows at a time: a row's 150 answers written straight
    /// into 150 columns would touch 150 cache lines.
    block: Vec<i8>,
    pub(crate) quarantine: Vec<QuarantinedRow>,
    /// Answers of accepted rows outside their item's valid codes (read as missing), with
    /// the codebook item of each, in file order.
    pub(crate) invalid: Vec<(QuarantinedRow, usize)>,
    /// Per codebook item, the answers of accepted rows: read, valid, missing, invalid.
    pub(crate) answers: Vec<[u64; 4]>,
    pub(crate) rows_read: u64,
    /// Whether the last row read had the wrong number of fields (it is then the last entry
    /// of the quarantine).
    pub(crate) last_short: bool,
}

/// Rows whose answers wait in [`Checked::block`] before they go into the columns.
const BLOCK_ROWS: usize = 64;

impl Checked {
    /// Moves the answers waiting in the block into the answer columns.
    pub(crate) fn flush(&mut self) {
        let items = self.rows.answers.len();
        if items == 0 || self.block.is_empty() {
            self.block.clear();
            return;
        }
        let rows = self.block.len() / items;
        for (k, column) in self.rows.answers.iter_mut().enumerate() {
            column.extend_raw((0..rows).map(|r| self.block[r * items + k]));
        }
        self.block.clear();
    }
}

/// What a thread keeps between the rows it checks.
#[derive(Default)]
pub(crate) struct Scratch {
    /// Source municipality number → today's number (or why there is none).
    municipalities: HashMap<String, Result<String, Unharmonised>>,
    /// The answers of the row being checked, one stored byte per codebook item.
    answers: Vec<i8>,
    /// The items of the row being checked whose answer was invalid (read as missing), with
    /// the reason.
    invalid: Vec<(usize, String)>,
}

/// Emptied tables, ready to be filled again (so that memory is reused rather than asked
/// of the system for every chunk).
#[derive(Default)]
pub(crate) struct Spare(Mutex<Vec<Respondents>>);

impl Spare {
    fn take(&self, cat: &Catalogue) -> Respondents {
        let items = cat.codebook.items.len();
        self.0
            .lock()
            .ok()
            .and_then(|mut v| v.pop())
            .filter(|t| t.is_empty() && t.answers.len() == items)
            .unwrap_or_else(|| Respondents::with_capacity(&cat.codebook.items, CHUNK_ROWS))
    }

    pub(crate) fn give(&self, table: Respondents) {
        if let Ok(mut v) = self.0.lock()
            && v.len() < 8
        {
            v.push(table);
        }
    }
}

impl<'a> Checker<'a> {
    /// Maps the header through the codebook; fails when a required column is missing.
    pub(crate) fn new(
        file: &str,
        header: Vec<String>,
        encoding: Option<Encoding>,
        cat: &'a Catalogue,
        harmoniser: &'a Harmoniser,
        on_invalid: InvalidAnswer,
    ) -> Result<Self, IngestError> {
        let cell = OnceLock::new();
        if let Some(e) = encoding {
            let _ = cell.set(e);
        }
        let cols = map_columns(file, &header, cat)?;
        let codes = Codes::new(cat);
        let mut ranges: Vec<CodeTable> = Vec::new();
        let mut items = Vec::with_capacity(cols.items.len());
        for (item, col) in cat.codebook.items.iter().zip(&cols.items) {
            let range = match ranges.iter().position(|r| r.valid == item.valid) {
                Some(r) => r,
                None => {
                    let mut small = [INVALID; 100];
                    for (code, slot) in small.iter_mut().enumerate() {
                        let code = code as i64;
                        if codes.is_missing(code) {
                            *slot = i16::from(AnswerColumn::MISSING);
                        } else if (item.valid[0]..=item.valid[1]).contains(&code) {
                            *slot = code as i16;
                        }
                    }
                    ranges.push(CodeTable {
                        valid: item.valid,
                        small,
                    });
                    ranges.len() - 1
                }
            };
            items.push(ItemCheck { col: *col, range });
        }
        Ok(Checker {
            file: Arc::from(file),
            cat,
            harmoniser,
            header,
            cols,
            encoding: Arc::new(cell),
            codes,
            items,
            ranges,
            on_invalid,
        })
    }

    /// The checker of a binary export (SPSS, Parquet): columns named by `names`, text in
    /// UTF-8.
    pub(crate) fn binary(
        file: &str,
        names: &[String],
        cat: &'a Catalogue,
        harmoniser: &'a Harmoniser,
        opts: &ReadOptions,
    ) -> Result<Self, IngestError> {
        Self::new(
            file,
            names.to_vec(),
            Some(Encoding::Utf8),
            cat,
            harmoniser,
            opts.on_invalid_answer,
        )
    }

    /// Where the file's encoding is set once it is known (see [`Checker::encoding`]).
    pub(crate) fn encoding_cell(&self) -> Arc<OnceLock<Encoding>> {
        Arc::clone(&self.encoding)
    }

    /// The file's encoding; UTF-8 while none is set, which only ASCII rows (the same in
    /// either encoding) are read under.
    pub(crate) fn encoding(&self) -> Encoding {
        self.encoding.get().copied().unwrap_or(Encoding::Utf8)
    }

    /// For each column of the file, whether it holds a codebook item's answers.
    pub(crate) fn item_columns(&self) -> Vec<bool> {
        let mut items = vec![false; self.header.len()];
        for col in self.cols.items.iter().flatten() {
            if let Some(flag) = items.get_mut(*col) {
                *flag = true;
            }
        }
        items
    }

    /// An empty batch of checked rows, in a table from `spare` when it has one.
    pub(crate) fn batch(&self, spare: &Spare) -> Checked {
        Checked {
            rows: spare.take(self.cat),
            block: Vec::with_capacity(BLOCK_ROWS * self.items.len()),
            quarantine: Vec::new(),
            invalid: Vec::new(),
            answers: vec![[0; 4]; self.items.len()],
            rows_read: 0,
            last_short: false,
        }
    }

    fn quarantined(&self, line: u64, column: Option<usize>, reason: String) -> QuarantinedRow {
        QuarantinedRow {
            file: self.file.to_string(),
            row: line,
            column: column.map(|c| self.header[c].clone()),
            reason,
        }
    }

    /// Checks one row (at 1-based `line`) and adds it to `out`, accepted or quarantined.
    pub(crate) fn row(&self, line: u64, rec: Fields<'_>, out: &mut Checked, scratch: &mut Scratch) {
        out.rows_read += 1;
        out.last_short = false;
        if !rec.content().is_ascii() {
            let odd = match self.encoding() {
                Encoding::Utf8 => rec.iter().any(|f| std::str::from_utf8(f).is_err()),
                Encoding::Windows1252 => rec.iter().any(looks_utf8_multibyte),
            };
            if odd {
                let reason = format!(
                    "text is not {} like the rest of the file (mixed encodings)",
                    self.encoding().name()
                );
                out.quarantine.push(self.quarantined(line, None, reason));
                return;
            }
        }
        if rec.len() != self.header.len() {
            let reason = format!("expected {} fields, found {}", self.header.len(), rec.len());
            out.quarantine.push(self.quarantined(line, None, reason));
            out.last_short = true;
            return;
        }
        if let Err((col, reason)) = self.validate(line, rec, scratch, out) {
            out.quarantine.push(self.quarantined(line, col, reason));
        }
    }

    /// The field's text in the file's encoding (rows whose bytes do not fit the encoding
    /// are quarantined before any field is read).
    fn text<'r>(&self, rec: Fields<'r>, col: usize) -> Cow<'r, str> {
        let b = rec.get(col);
        match self.encoding() {
            Encoding::Utf8 => Cow::Borrowed(std::str::from_utf8(b).unwrap_or("")),
            Encoding::Windows1252 => WINDOWS_1252.decode_without_bom_handling(b).0,
        }
    }

    fn int(&self, rec: Fields<'_>, col: usize) -> Result<Option<i64>, RowError> {
        let raw = rec.get(col);
        if let Ok(v) = code_bytes(raw) {
            return Ok(v);
        }
        if raw.is_ascii() {
            return Err((Some(col), "not an integer code".to_owned()));
        }
        // Non-ASCII: decoded, so that any Unicode space around the code is trimmed too.
        code_bytes(self.text(rec, col).trim().as_bytes())
            .map_err(|()| (Some(col), "not an integer code".to_owned()))
    }

    /// Checks every value of a row; a valid row goes into `out` (line `line`).
    fn validate(
        &self,
        line: u64,
        rec: Fields<'_>,
        scratch: &mut Scratch,
        out: &mut Checked,
    ) -> Result<(), RowError> {
        let cb = &self.cat.codebook;
        let cols = &self.cols;
        let Scratch {
            municipalities,
            answers,
            invalid,
        } = scratch;
        invalid.clear();
        let id_field = self.text(rec, cols.id);
        let id = id_field.trim();
        if id.is_empty() {
            return Err((
                Some(cols.id),
                "required value missing (respondent id)".into(),
            ));
        }
        let year = required(self.int(rec, cols.year)?, cols.year, "survey year")?;
        let (lo, hi) = (
            cb.survey_year.min.unwrap_or(1990),
            cb.survey_year.max.unwrap_or(2100),
        );
        if !(lo..=hi).contains(&year) {
            return Err((Some(cols.year), format!("survey year outside {lo}–{hi}")));
        }
        let m_field = self.text(rec, cols.municipality);
        let m_src = m_field.trim();
        if m_src.is_empty() {
            return Err((
                Some(cols.municipality),
                "required value missing (municipality)".into(),
            ));
        }
        let Some(m_src) = municipality_number(m_src) else {
            return Err((
                Some(cols.municipality),
                "municipality number is not four digits".into(),
            ));
        };
        let m_src = m_src.as_ref();
        if !municipalities.contains_key(m_src) {
            municipalities.insert(m_src.to_owned(), self.harmoniser.harmonise(m_src));
        }
        let municipality = match municipalities.get(m_src) {
            Some(Ok(m)) => m.as_str(),
            Some(Err(e)) => return Err((Some(cols.municipality), e.to_string())),
            // Inserted just above.
            None => return Err((Some(cols.municipality), Unharmonised::Unknown.to_string())),
        };
        let grade_code = required(self.int(rec, cols.grade)?, cols.grade, "grade")?;
        let grade = *self.codes.grade.get(&grade_code).ok_or_else(|| {
            (
                Some(cols.grade),
                "grade code not in the codebook".to_owned(),
            )
        })?;
        let level = match cols.school_level {
            Some(sc) => self.int(rec, sc)?.map(|l| (sc, l)),
            None => None,
        };
        if let Some((sc, level)) = level {
            let ungdomsskole =
                *self.codes.school_level.get(&level).ok_or_else(|| {
                    (Some(sc), "school level code not in the codebook".to_owned())
                })?;
            let allowed = if ungdomsskole {
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
        let gender_code = required(self.int(rec, cols.gender)?, cols.gender, "gender")?;
        if self.codes.is_missing(gender_code) {
            return Err((Some(cols.gender), "required value missing (gender)".into()));
        }
        let gender = self.codes.gender.get(&gender_code).ok_or_else(|| {
            (
                Some(cols.gender),
                "gender code not in the codebook".to_owned(),
            )
        })?;
        // One slot per item, written in place (no length to keep up per answer).
        answers.resize(self.items.len(), AnswerColumn::MISSING);
        for (k, (item, slot)) in self.items.iter().zip(answers.iter_mut()).enumerate() {
            let Some(col) = item.col else {
                *slot = AnswerColumn::MISSING;
                continue;
            };
            // `range` indexes `ranges` by construction.
            let range = &self.ranges[item.range];
            // Most answers are one or two plain digits (or given as a code): one lookup.
            let a = match (rec.code(col), rec.get(col)) {
                (Some(CODE_BLANK), _) => i16::from(AnswerColumn::MISSING),
                (Some(code), _) => range
                    .small
                    .get(usize::from(code))
                    .copied()
                    .unwrap_or(INVALID),
                (None, []) => i16::from(AnswerColumn::MISSING),
                (None, [d @ b'0'..=b'9']) => range.small[usize::from(d - b'0')],
                (None, [a @ b'0'..=b'9', b @ b'0'..=b'9']) => {
                    range.small[usize::from((a - b'0') * 10 + (b - b'0'))]
                }
                (None, _) => match self.int(rec, col).ok() {
                    None => INVALID,
                    Some(None) => i16::from(AnswerColumn::MISSING),
                    Some(Some(v)) if self.codes.is_missing(v) => i16::from(AnswerColumn::MISSING),
                    // Valid ranges fit in i8: the catalogue refuses wider ones when it loads.
                    Some(Some(v)) if (range.valid[0]..=range.valid[1]).contains(&v) => v as i16,
                    Some(Some(_)) => INVALID,
                },
            };
            if a == INVALID {
                let reason = if rec.code(col).is_none() && self.int(rec, col).is_err() {
                    "answer is not an integer code".to_owned()
                } else {
                    format!(
                        "answer code out of range {}–{}",
                        range.valid[0], range.valid[1]
                    )
                };
                match self.on_invalid {
                    InvalidAnswer::Row => return Err((Some(col), reason)),
                    InvalidAnswer::Item => {
                        invalid.push((k, reason));
                        *slot = AnswerColumn::MISSING;
                        continue;
                    }
                }
            }
            // Every entry of `small` and every code kept above is within i8.
            *slot = a as i8;
        }
        let t = &mut out.rows;
        t.respondent_id.push(id);
        t.source_file.push(&self.file);
        t.source_row.push(line);
        t.survey_year.push(year as i32);
        t.municipality.push(municipality);
        t.municipality_source.push(m_src);
        t.grade.push(grade as i8);
        t.gender.push(gender);
        out.block.extend_from_slice(answers);
        if out.block.len() >= BLOCK_ROWS * self.items.len() {
            out.flush();
        }
        // The row is accepted: account for each of its answers.
        for (k, (item, slot)) in self.items.iter().zip(answers.iter()).enumerate() {
            if item.col.is_none() {
                continue;
            }
            let c = &mut out.answers[k];
            c[0] += 1;
            if *slot != AnswerColumn::MISSING {
                c[1] += 1;
            } else if !invalid.iter().any(|(i, _)| *i == k) {
                c[2] += 1;
            }
        }
        for (k, reason) in invalid.drain(..) {
            out.answers[k][3] += 1;
            let col = self.items[k].col;
            out.invalid.push((self.quarantined(line, col, reason), k));
        }
        Ok(())
    }
}

/// An integer code straight from the field's bytes (digits, sign and the separators are
/// ASCII in both encodings): `Err` when the field is not an integer this way.
pub(crate) fn code_bytes(b: &[u8]) -> Result<Option<i64>, ()> {
    let b = b.trim_ascii();
    if b.is_empty() {
        return Ok(None);
    }
    // Exports write whole codes with a decimal part of zeros: `3,0` (Excel), `3,00` or
    // `3.00` (SPSS's CSV export). `3,5` is not a whole code and stays an error.
    let b = match b.iter().rposition(|c| *c == b',' || *c == b'.') {
        Some(p) if p + 1 < b.len() && b[p + 1..].iter().all(|c| *c == b'0') => &b[..p],
        _ => b,
    };
    let (negative, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 18 {
        return Err(());
    }
    let mut v = 0i64;
    for d in digits {
        if !d.is_ascii_digit() {
            return Err(());
        }
        v = v * 10 + i64::from(d - b'0');
    }
    Ok(Some(if negative { -v } else { v }))
}

fn required(v: Option<i64>, col: usize, what: &str) -> Result<i64, RowError> {
    v.ok_or_else(|| (Some(col), format!("required value missing ({what})")))
}

/// Takes checked rows in file order: checks each accepted row's id against the ids seen
/// before it, hands accepted rows to the sink, and keeps the quarantine and the counts for
/// the file's report.
pub(crate) struct Taker<'a> {
    seen: &'a mut SeenIds,
    quarantine: Vec<QuarantinedRow>,
    /// Invalid answers of accepted rows (each read as missing), in file order.
    invalid: Vec<QuarantinedRow>,
    /// Per codebook item: answers read, valid, missing, invalid (accepted rows only).
    answers: Vec<[u64; 4]>,
    rows_read: u64,
    accepted: u64,
    /// Quarantine index of the last row when it had the wrong number of fields.
    last_short: Option<usize>,
    /// Tables the sink handed back, for the checking threads to fill again.
    spare: Arc<Spare>,
}

impl Taker<'_> {
    /// Where the sink's spent tables go, for the checking threads.
    pub(crate) fn spare(&self) -> &Arc<Spare> {
        &self.spare
    }

    /// Takes the next rows of the file, checked by `check`: duplicate ids are quarantined
    /// (the first row with an id in a survey year wins), the rest go to the sink.
    pub(crate) fn take(
        &mut self,
        check: &Checker<'_>,
        mut checked: Checked,
        sink: &mut Sink<'_>,
    ) -> Result<(), IngestError> {
        if checked.rows_read == 0 {
            self.spare.give(checked.rows);
            return Ok(());
        }
        checked.flush();
        self.rows_read += checked.rows_read;
        let rows = &checked.rows;
        let mut keep = vec![true; rows.len()];
        let mut dups = Vec::new();
        for (r, flag) in keep.iter_mut().enumerate() {
            let line = rows.source_row[r];
            if let Some((f, first)) = self.seen.first_or_insert(
                rows.survey_year[r],
                rows.respondent_id.get(r).unwrap_or(""),
                &check.file,
                line,
            ) {
                let reason = format!("duplicated respondent id (first seen in {f} line {first})");
                dups.push(check.quarantined(line, Some(check.cols.id), reason));
                *flag = false;
            }
        }
        if !dups.is_empty() {
            // A duplicate row leaves the file as a whole: its answers are not counted.
            for (r, _) in keep.iter().enumerate().filter(|(_, k)| !**k) {
                let line = rows.source_row[r];
                for (k, item) in check.items.iter().enumerate() {
                    if item.col.is_none() {
                        continue;
                    }
                    let c = &mut checked.answers[k];
                    c[0] -= 1;
                    if rows.answers[k].get(r).is_some() {
                        c[1] -= 1;
                    } else if let Some(i) = checked
                        .invalid
                        .iter()
                        .position(|(q, item)| q.row == line && *item == k)
                    {
                        checked.invalid.remove(i);
                        c[3] -= 1;
                    } else {
                        c[2] -= 1;
                    }
                }
            }
        }
        if self.answers.is_empty() {
            self.answers = vec![[0; 4]; checked.answers.len()];
        }
        for (total, c) in self.answers.iter_mut().zip(&checked.answers) {
            for (t, v) in total.iter_mut().zip(c) {
                *t += v;
            }
        }
        self.invalid
            .extend(checked.invalid.drain(..).map(|(q, _)| q));
        if dups.is_empty() {
            self.quarantine.append(&mut checked.quarantine);
        } else {
            checked.rows.retain_rows(&keep);
            // Both lists are in file order; so is the quarantine.
            let mut all = std::mem::take(&mut checked.quarantine);
            all.append(&mut dups);
            all.sort_by_key(|q| q.row);
            self.quarantine.append(&mut all);
        }
        self.last_short = checked.last_short.then(|| self.quarantine.len() - 1);
        self.accepted += checked.rows.len() as u64;
        if checked.rows.is_empty() {
            self.spare.give(checked.rows);
        } else if let Some(spent) = sink(checked.rows)? {
            self.spare.give(spent);
        }
        Ok(())
    }
}

/// Checks the rows of one file as they come, one by one or from threads that checked them
/// in parallel ([`Validator::parts`]), and accounts for every row.
pub(crate) struct Validator<'a> {
    check: Checker<'a>,
    taker: Taker<'a>,
    /// Rows checked by [`Validator::cases`] and not yet taken.
    pending: Option<Checked>,
    scratch: Scratch,
    /// The record [`Validator::cases`] lays each case out in, and the cases read so far.
    case: Record,
    cases_read: u64,
}

impl<'a> Validator<'a> {
    /// Takes the rows `check` checks; `seen` holds the ids accepted before this file.
    pub(crate) fn new(check: Checker<'a>, seen: &'a mut SeenIds) -> Self {
        Validator {
            check,
            taker: Taker {
                seen,
                quarantine: Vec::new(),
                invalid: Vec::new(),
                answers: Vec::new(),
                rows_read: 0,
                accepted: 0,
                last_short: None,
                spare: Arc::default(),
            },
            pending: None,
            scratch: Scratch::default(),
            case: Record::default(),
            cases_read: 0,
        }
    }

    /// The checker's encoding cell (see [`Checker::encoding`]).
    pub(crate) fn encoding_cell(&self) -> Arc<OnceLock<Encoding>> {
        self.check.encoding_cell()
    }

    /// The encoding the rows were read in.
    pub(crate) fn encoding(&self) -> Encoding {
        self.check.encoding()
    }

    /// The row checker (shared by checking threads) and the taker of checked rows.
    pub(crate) fn parts(&mut self) -> (&Checker<'a>, &mut Taker<'a>) {
        (&self.check, &mut self.taker)
    }

    /// Validates the next `n` cases of a binary export (SPSS, Parquet) laid out field by
    /// field: `field(i, c, out)` writes column `c` of case `i` of this batch as text to `out`
    /// (nothing for a missing value). Case k of the file is row k + 1, as in its CSV form.
    /// Returns the cases read so far.
    pub(crate) fn cases(
        &mut self,
        n: usize,
        mut field: impl FnMut(usize, usize, &mut String),
        sink: &mut Sink<'_>,
    ) -> Result<u64, IngestError> {
        let mut rec = std::mem::take(&mut self.case);
        let mut text = String::new();
        for i in 0..n {
            rec.clear();
            for c in 0..self.check.header.len() {
                text.clear();
                field(i, c, &mut text);
                rec.push_field(text.as_bytes());
            }
            self.cases_read += 1;
            let mut batch = match self.pending.take() {
                Some(b) => b,
                None => self.check.batch(&self.taker.spare),
            };
            self.check.row(
                self.cases_read + 1,
                rec.view(),
                &mut batch,
                &mut self.scratch,
            );
            if batch.rows_read >= CHUNK_ROWS as u64 {
                self.taker.take(&self.check, batch, sink)?;
            } else {
                self.pending = Some(batch);
            }
        }
        self.case = rec;
        Ok(self.cases_read)
    }

    /// Ends the file: a file with too many bad rows fails as a whole (and its ids are
    /// forgotten again); otherwise the report and the quarantine. `unfinished` says the
    /// source does not end with a line break (a short last row then looks truncated).
    pub(crate) fn finish(
        mut self,
        unfinished: bool,
        encoding: &'static str,
        delimiter: char,
        opts: &ReadOptions,
        sink: &mut Sink<'_>,
    ) -> Result<(FileReport, Vec<QuarantinedRow>), IngestError> {
        if let Some(batch) = self.pending.take() {
            self.taker.take(&self.check, batch, sink)?;
        }
        let mut t = self.taker;
        if let (true, Some(i)) = (unfinished, t.last_short) {
            t.quarantine[i]
                .reason
                .push_str(" (file ends mid-row: truncated?)");
        }
        let bad = t.quarantine.len() as u64;
        if t.rows_read > 0 && bad as f64 > opts.max_bad_share * t.rows_read as f64 {
            let file = Arc::clone(&self.check.file);
            t.seen.forget(&file);
            return Err(IngestError::MostlyInvalid {
                file: file.to_string(),
                bad,
                read: t.rows_read,
            });
        }
        let answers = self
            .check
            .items
            .iter()
            .enumerate()
            .filter(|(_, item)| item.col.is_some())
            .map(|(k, _)| {
                let c = t.answers.get(k).copied().unwrap_or_default();
                AnswerCount {
                    item: self.check.cat.codebook.items[k].id.clone(),
                    read: c[0],
                    valid: c[1],
                    missing: c[2],
                    invalid: c[3],
                }
            })
            .collect();
        let report = FileReport {
            file: self.check.file.to_string(),
            encoding,
            delimiter,
            rows_read: t.rows_read,
            rows_accepted: t.accepted,
            rows_quarantined: bad,
            unknown_columns: self.check.cols.unknown,
            answers,
            invalid_answers: t.invalid,
        };
        Ok((report, t.quarantine))
    }
}
