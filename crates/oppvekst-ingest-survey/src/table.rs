//! The canonical respondent table in columnar form, and its Arrow form.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int8Array, Int32Array, StringArray, UInt64Array};
use arrow::buffer::{BooleanBuffer, NullBuffer, ScalarBuffer};
use arrow::datatypes::Schema;
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use oppvekst_schema::Item;
use oppvekst_schema::contracts::respondents_schema;
use oppvekst_schema::io::{IoError, ParquetStream};

/// Canonical respondents, one entry per accepted row (columnar). Its `Debug` shows counts
/// only, never an answer or an id.
#[derive(Clone, Default, PartialEq)]
pub struct Respondents {
    /// Canonical item ids, in codebook order.
    pub items: Vec<String>,
    /// Respondent id.
    pub respondent_id: TextColumn,
    /// File each row came from.
    pub source_file: TextColumn,
    /// Line number in that file.
    pub source_row: Vec<u64>,
    /// Survey year.
    pub survey_year: Vec<i32>,
    /// Today's municipality number.
    pub municipality: TextColumn,
    /// Municipality number as written in the file.
    pub municipality_source: TextColumn,
    /// Grade 8..13 (11..13 = VG1..VG3).
    pub grade: Vec<i8>,
    /// `gutt` or `jente`.
    pub gender: TextColumn,
    /// Answers per item, `answers[item]`, one entry per row.
    pub answers: Vec<AnswerColumn>,
}

/// Text, one per row, stored as Arrow stores it: the texts back to back and where each
/// ends, so a row adds no allocation of its own.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TextColumn {
    text: String,
    ends: Vec<usize>,
}

impl TextColumn {
    /// An empty column with room for `rows` texts of `bytes` bytes in all.
    pub fn with_capacity(rows: usize, bytes: usize) -> Self {
        TextColumn {
            text: String::with_capacity(bytes),
            ends: Vec::with_capacity(rows),
        }
    }

    /// Appends one text.
    pub fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.ends.push(self.text.len());
    }

    /// The text of row `r`.
    pub fn get(&self, r: usize) -> Option<&str> {
        let end = *self.ends.get(r)?;
        let start = if r == 0 { 0 } else { self.ends[r - 1] };
        self.text.get(start..end)
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The texts in row order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|r| self.get(r).unwrap_or(""))
    }

    fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
    }

    fn extend(&mut self, other: &TextColumn) {
        for s in other.iter() {
            self.push(s);
        }
    }

    fn retain(&mut self, keep: &[bool]) {
        let mut kept = TextColumn::with_capacity(self.len(), self.text.len());
        for (r, s) in self.iter().enumerate() {
            if keep.get(r).copied().unwrap_or(true) {
                kept.push(s);
            }
        }
        *self = kept;
    }

    fn to_arrow(&self) -> StringArray {
        StringArray::from_iter_values(self.iter())
    }
}

impl PartialEq<Vec<&str>> for TextColumn {
    fn eq(&self, other: &Vec<&str>) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a == *b)
    }
}

/// The answers to one item, one per row: a code, or missing. Stored as one byte per row
/// (missing as [`AnswerColumn::MISSING`], a code no item can have: the catalogue keeps
/// valid ranges within −127..=127), so a chunk becomes an Arrow column without a pass per
/// value.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AnswerColumn(Vec<i8>);

/// Counts only: respondents' answers, ids and places are never printed.
macro_rules! debug_counts {
    ($t:ty, $name:literal) => {
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct($name).field("rows", &self.len()).finish()
            }
        }
    };
}
debug_counts!(Respondents, "Respondents");
debug_counts!(TextColumn, "TextColumn");
debug_counts!(AnswerColumn, "AnswerColumn");

impl AnswerColumn {
    /// The stored byte of a missing answer.
    pub const MISSING: i8 = i8::MIN;

    /// An empty column with room for `rows` answers.
    pub fn with_capacity(rows: usize) -> Self {
        AnswerColumn(Vec::with_capacity(rows))
    }

    /// Appends one answer.
    pub fn push(&mut self, answer: Option<i8>) {
        self.0.push(answer.unwrap_or(Self::MISSING));
    }

    /// Appends stored bytes as they are ([`AnswerColumn::MISSING`] or a code).
    pub(crate) fn extend_raw(&mut self, raw: impl Iterator<Item = i8>) {
        self.0.extend(raw);
    }

    /// The answer of row `r` (None when missing or past the end).
    pub fn get(&self, r: usize) -> Option<i8> {
        self.0.get(r).copied().filter(|&v| v != Self::MISSING)
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The stored bytes, one per row ([`AnswerColumn::MISSING`] or a code).
    pub(crate) fn raw(&self) -> &[i8] {
        &self.0
    }

    /// The answers in row order.
    pub fn iter(&self) -> impl Iterator<Item = Option<i8>> + '_ {
        self.0.iter().map(|&v| (v != Self::MISSING).then_some(v))
    }

    /// The answers as a vector.
    pub fn to_vec(&self) -> Vec<Option<i8>> {
        self.iter().collect()
    }

    fn clear(&mut self) {
        self.0.clear();
    }

    fn extend(&mut self, other: &AnswerColumn) {
        self.0.extend_from_slice(&other.0);
    }

    fn retain(&mut self, keep: &[bool]) {
        retain_flagged(&mut self.0, keep);
    }

    /// The column as an Arrow array (missing answers as nulls).
    fn to_arrow(&self) -> Int8Array {
        let values = ScalarBuffer::from(self.0.clone());
        let valid = BooleanBuffer::collect_bool(self.0.len(), |i| self.0[i] != Self::MISSING);
        let nulls = (valid.count_set_bits() < valid.len()).then(|| NullBuffer::new(valid));
        Int8Array::new(values, nulls)
    }
}

impl FromIterator<Option<i8>> for AnswerColumn {
    fn from_iter<T: IntoIterator<Item = Option<i8>>>(iter: T) -> Self {
        AnswerColumn(
            iter.into_iter()
                .map(|a| a.unwrap_or(Self::MISSING))
                .collect(),
        )
    }
}

impl Respondents {
    /// An empty table for these items.
    pub fn new(items: &[Item]) -> Self {
        Respondents {
            items: items.iter().map(|i| i.id.clone()).collect(),
            answers: vec![AnswerColumn::default(); items.len()],
            ..Default::default()
        }
    }

    /// An empty table with room for `rows` respondents.
    pub fn with_capacity(items: &[Item], rows: usize) -> Self {
        Respondents {
            items: items.iter().map(|i| i.id.clone()).collect(),
            respondent_id: TextColumn::with_capacity(rows, 16 * rows),
            source_file: TextColumn::with_capacity(rows, 32 * rows),
            source_row: Vec::with_capacity(rows),
            survey_year: Vec::with_capacity(rows),
            municipality: TextColumn::with_capacity(rows, 4 * rows),
            municipality_source: TextColumn::with_capacity(rows, 4 * rows),
            grade: Vec::with_capacity(rows),
            gender: TextColumn::with_capacity(rows, 5 * rows),
            answers: (0..items.len())
                .map(|_| AnswerColumn::with_capacity(rows))
                .collect(),
        }
    }

    /// Removes every row, keeping the buffers.
    pub fn clear(&mut self) {
        self.respondent_id.clear();
        self.source_file.clear();
        self.source_row.clear();
        self.survey_year.clear();
        self.municipality.clear();
        self.municipality_source.clear();
        self.grade.clear();
        self.gender.clear();
        for a in &mut self.answers {
            a.clear();
        }
    }

    /// Number of respondents.
    pub fn len(&self) -> usize {
        self.respondent_id.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.respondent_id.is_empty()
    }

    /// Appends all rows of `other` (same items).
    pub fn append(&mut self, other: Respondents) {
        if self.is_empty() {
            *self = other;
            return;
        }
        self.respondent_id.extend(&other.respondent_id);
        self.source_file.extend(&other.source_file);
        self.source_row.extend(other.source_row);
        self.survey_year.extend(other.survey_year);
        self.municipality.extend(&other.municipality);
        self.municipality_source.extend(&other.municipality_source);
        self.grade.extend(other.grade);
        self.gender.extend(&other.gender);
        for (a, b) in self.answers.iter_mut().zip(&other.answers) {
            a.extend(b);
        }
    }

    /// Keeps the rows whose flag in `keep` (one per row) is true.
    pub(crate) fn retain_rows(&mut self, keep: &[bool]) {
        self.respondent_id.retain(keep);
        self.source_file.retain(keep);
        retain_flagged(&mut self.source_row, keep);
        retain_flagged(&mut self.survey_year, keep);
        self.municipality.retain(keep);
        self.municipality_source.retain(keep);
        retain_flagged(&mut self.grade, keep);
        self.gender.retain(keep);
        for a in &mut self.answers {
            a.retain(keep);
        }
    }

    /// The table as one Arrow record batch with the contract schema.
    pub fn to_record_batch(
        &self,
        items: &[Item],
    ) -> Result<(Arc<Schema>, RecordBatch), ArrowError> {
        let schema = Arc::new(respondents_schema(items));
        let mut cols: Vec<ArrayRef> = vec![
            Arc::new(self.respondent_id.to_arrow()),
            Arc::new(self.source_file.to_arrow()),
            Arc::new(UInt64Array::from_iter_values(
                self.source_row.iter().copied(),
            )),
            Arc::new(Int32Array::from_iter_values(
                self.survey_year.iter().copied(),
            )),
            Arc::new(self.municipality.to_arrow()),
            Arc::new(self.municipality_source.to_arrow()),
            Arc::new(Int8Array::from_iter_values(self.grade.iter().copied())),
            Arc::new(self.gender.to_arrow()),
        ];
        for a in &self.answers {
            cols.push(Arc::new(a.to_arrow()));
        }
        let batch = RecordBatch::try_new(schema.clone(), cols)?;
        Ok((schema, batch))
    }
}

/// Keeps the entries whose flag in `keep` is true (entries past its end are kept).
fn retain_flagged<T>(v: &mut Vec<T>, keep: &[bool]) {
    let mut k = keep.iter();
    v.retain(|_| k.next().copied().unwrap_or(true));
}

/// Writes respondents to the stage Parquet file chunk by chunk (atomically: the file appears
/// under its name only on [`RespondentsWriter::commit`]).
pub struct RespondentsWriter {
    items: Vec<Item>,
    out: ParquetStream,
}

impl RespondentsWriter {
    /// Starts `path` for respondents with these codebook items.
    pub fn create(path: &std::path::Path, items: &[Item]) -> Result<Self, IoError> {
        let out = ParquetStream::create(path, Arc::new(respondents_schema(items)))?;
        Ok(RespondentsWriter {
            items: items.to_vec(),
            out,
        })
    }

    /// Appends one chunk.
    pub fn write(&mut self, chunk: &Respondents) -> Result<(), IoError> {
        let (_, batch) = chunk
            .to_record_batch(&self.items)
            .map_err(|e| IoError::Format {
                path: self.out.path().to_owned(),
                message: e.to_string(),
            })?;
        self.out.write(&batch)
    }

    /// Finishes the file and puts it in place.
    pub fn commit(self) -> Result<(), IoError> {
        self.out.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Array;

    #[test]
    fn text_columns_keep_each_text_and_drop_flagged_rows() {
        let mut c = TextColumn::default();
        for s in ["3107", "", "æøå", "3105"] {
            c.push(s);
        }
        assert_eq!(c, vec!["3107", "", "æøå", "3105"]);
        assert_eq!((c.get(2), c.get(4)), (Some("æøå"), None));
        let mut more = c.clone();
        more.extend(&c);
        assert_eq!(more.len(), 8);
        c.retain(&[true, false, true, false]);
        assert_eq!(c, vec!["3107", "æøå"]);
        let arrow = c.to_arrow();
        assert_eq!((arrow.value(0), arrow.value(1)), ("3107", "æøå"));
    }

    #[test]
    fn missing_answers_become_nulls_and_codes_stay() {
        let a: AnswerColumn = [Some(3), None, Some(-127), Some(0)].into_iter().collect();
        assert_eq!(a.to_vec(), vec![Some(3), None, Some(-127), Some(0)]);
        let arrow = a.to_arrow();
        assert_eq!(arrow.null_count(), 1);
        assert!(arrow.is_null(1));
        assert_eq!(
            (arrow.value(0), arrow.value(2), arrow.value(3)),
            (3, -127, 0)
        );
        let full: AnswerColumn = [Some(1), Some(2)].into_iter().collect();
        assert!(full.to_arrow().nulls().is_none());
    }
}
