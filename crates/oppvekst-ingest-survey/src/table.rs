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

/// Canonical respondents, one entry per accepted row (columnar).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Respondents {
    /// Canonical item ids, in codebook order.
    pub items: Vec<String>,
    /// Respondent id.
    pub respondent_id: Vec<String>,
    /// File each row came from.
    pub source_file: Vec<String>,
    /// Line number in that file.
    pub source_row: Vec<u64>,
    /// Survey year.
    pub survey_year: Vec<i32>,
    /// Today's municipality number.
    pub municipality: Vec<String>,
    /// Municipality number as written in the file.
    pub municipality_source: Vec<String>,
    /// Grade 8..13 (11..13 = VG1..VG3).
    pub grade: Vec<i8>,
    /// `gutt` or `jente`.
    pub gender: Vec<String>,
    /// Answers per item, `answers[item]`, one entry per row.
    pub answers: Vec<AnswerColumn>,
}

/// The answers to one item, one per row: a code, or missing. Stored as one byte per row
/// (missing as [`AnswerColumn::MISSING`], a code no item can have: the catalogue keeps
/// valid ranges within −127..=127), so a chunk becomes an Arrow column without a pass per
/// value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnswerColumn(Vec<i8>);

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
            respondent_id: Vec::with_capacity(rows),
            source_file: Vec::with_capacity(rows),
            source_row: Vec::with_capacity(rows),
            survey_year: Vec::with_capacity(rows),
            municipality: Vec::with_capacity(rows),
            municipality_source: Vec::with_capacity(rows),
            grade: Vec::with_capacity(rows),
            gender: Vec::with_capacity(rows),
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
        self.respondent_id.extend(other.respondent_id);
        self.source_file.extend(other.source_file);
        self.source_row.extend(other.source_row);
        self.survey_year.extend(other.survey_year);
        self.municipality.extend(other.municipality);
        self.municipality_source.extend(other.municipality_source);
        self.grade.extend(other.grade);
        self.gender.extend(other.gender);
        for (a, b) in self.answers.iter_mut().zip(&other.answers) {
            a.extend(b);
        }
    }

    /// Keeps the rows whose flag in `keep` (one per row) is true.
    pub(crate) fn retain_rows(&mut self, keep: &[bool]) {
        retain_flagged(&mut self.respondent_id, keep);
        retain_flagged(&mut self.source_file, keep);
        retain_flagged(&mut self.source_row, keep);
        retain_flagged(&mut self.survey_year, keep);
        retain_flagged(&mut self.municipality, keep);
        retain_flagged(&mut self.municipality_source, keep);
        retain_flagged(&mut self.grade, keep);
        retain_flagged(&mut self.gender, keep);
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
            Arc::new(StringArray::from_iter_values(&self.respondent_id)),
            Arc::new(StringArray::from_iter_values(&self.source_file)),
            Arc::new(UInt64Array::from_iter_values(
                self.source_row.iter().copied(),
            )),
            Arc::new(Int32Array::from_iter_values(
                self.survey_year.iter().copied(),
            )),
            Arc::new(StringArray::from_iter_values(&self.municipality)),
            Arc::new(StringArray::from_iter_values(&self.municipality_source)),
            Arc::new(Int8Array::from_iter_values(self.grade.iter().copied())),
            Arc::new(StringArray::from_iter_values(&self.gender)),
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
