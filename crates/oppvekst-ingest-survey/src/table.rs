//! The canonical respondent table in columnar form, and its Arrow form.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int8Array, Int32Array, StringArray, UInt64Array};
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
    /// Answers per item (None = missing), `answers[item][row]`.
    pub answers: Vec<Vec<Option<i8>>>,
}

impl Respondents {
    /// An empty table for these items.
    pub fn new(items: &[Item]) -> Self {
        Respondents {
            items: items.iter().map(|i| i.id.clone()).collect(),
            answers: vec![Vec::new(); items.len()],
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
            answers: (0..items.len()).map(|_| Vec::with_capacity(rows)).collect(),
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
        for (a, b) in self.answers.iter_mut().zip(other.answers) {
            a.extend(b);
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
            cols.push(Arc::new(a.iter().copied().collect::<Int8Array>()));
        }
        let batch = RecordBatch::try_new(schema.clone(), cols)?;
        Ok((schema, batch))
    }
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
