//! Parquet exports (one row per pupil, one column per variable, as a notebook or another
//! tool writes them), validated exactly as a CSV export is.

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, RecordBatchReader};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float32Type, Float64Type};
use oppvekst_schema::{Catalogue, Harmoniser};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::read::{ReadOptions, SeenIds, read_laid_out};
use crate::sav::number_text;
use crate::{FileReport, IngestError, QuarantinedRow, Respondents};

/// One column's values as text: numbers without a trailing `.0`, strings as they are, any
/// other type through Arrow's own cast to text; a null is blank (missing).
fn column_text(col: &ArrayRef) -> Option<Vec<String>> {
    let floats = |get: &dyn Fn(usize) -> f64| -> Vec<String> {
        (0..col.len())
            .map(|i| {
                if col.is_null(i) {
                    String::new()
                } else {
                    number_text(get(i))
                }
            })
            .collect()
    };
    match col.data_type() {
        DataType::Float64 => {
            let a = col.as_primitive::<Float64Type>();
            Some(floats(&|i| a.value(i)))
        }
        DataType::Float32 => {
            let a = col.as_primitive::<Float32Type>();
            Some(floats(&|i| f64::from(a.value(i))))
        }
        _ => {
            let text = cast(col, &DataType::Utf8).ok()?;
            let s = text.as_string::<i32>();
            Some(
                (0..s.len())
                    .map(|i| {
                        if s.is_null(i) {
                            String::new()
                        } else {
                            s.value(i).trim_end().to_owned()
                        }
                    })
                    .collect(),
            )
        }
    }
}

/// Reads one Parquet export. A file that is not Parquet, or is truncated, or holds a column
/// that cannot be read as text, fails as a whole with one error naming the file (and the
/// column); nothing of it is imported. Rows are numbered from 2 as in the CSV layout
/// (row 1 = the header), so a quarantined row's number is its 1-based case number + 1.
pub fn read_parquet(
    file: &str,
    bytes: &[u8],
    cat: &Catalogue,
    harmoniser: &Harmoniser,
    opts: &ReadOptions,
    seen: &mut SeenIds,
) -> Result<(Respondents, FileReport, Vec<QuarantinedRow>), IngestError> {
    let unusable = |message: String| IngestError::Unusable {
        file: file.to_owned(),
        message,
    };
    let data = bytes::Bytes::copy_from_slice(bytes);
    let reader = ParquetRecordBatchReaderBuilder::try_new(data)
        .and_then(|b| b.with_batch_size(64 * 1024).build())
        .map_err(|_| unusable("not a readable Parquet file (truncated or damaged)".into()))?;
    let schema = reader.schema();
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::with_capacity(bytes.len() * 4));
    let csv_err = |_: csv::Error| unusable("cannot lay out the rows".into());
    w.write_record(&names).map_err(csv_err)?;
    for batch in reader {
        let batch: RecordBatch = batch.map_err(|_| unusable("damaged Parquet data page".into()))?;
        let columns: Vec<Vec<String>> = batch
            .columns()
            .iter()
            .zip(&names)
            .map(|(c, name)| {
                column_text(c).ok_or_else(|| {
                    unusable(format!("column `{name}` has a type that cannot be read"))
                })
            })
            .collect::<Result<_, _>>()?;
        for i in 0..batch.num_rows() {
            w.write_record(columns.iter().map(|c| c[i].as_str()))
                .map_err(csv_err)?;
        }
    }
    let table = w
        .into_inner()
        .map_err(|_| unusable("cannot lay out the rows".into()))?;
    read_laid_out(file, &table, cat, harmoniser, opts, seen, "Parquet")
}
