//! Parquet exports (one row per pupil, one column per variable, as a notebook or another
//! tool writes them), validated exactly as a CSV export is, batch by batch.

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, RecordBatchReader};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float32Type, Float64Type};
use oppvekst_schema::{Catalogue, Harmoniser};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::reader::ChunkReader;

use crate::check::{Checker, Validator};
use crate::options::{ReadOptions, Sink};
use crate::sav::number_text;
use crate::seen::SeenIds;
use crate::sink::collect;
use crate::{FileReport, IngestError, QuarantinedRow, Respondents};

/// One column of a batch, ready to be written as text value by value.
enum TextColumn {
    /// Numbers, written without a trailing `.0`.
    Float(ArrayRef),
    /// Anything else, through Arrow's own cast to text.
    Text(ArrayRef),
}

impl TextColumn {
    fn new(col: &ArrayRef) -> Option<Self> {
        match col.data_type() {
            DataType::Float64 | DataType::Float32 => Some(TextColumn::Float(col.clone())),
            _ => cast(col, &DataType::Utf8).ok().map(TextColumn::Text),
        }
    }

    /// Appends value `i` to `out`; a null is blank (missing).
    fn write(&self, i: usize, out: &mut String) {
        match self {
            TextColumn::Float(a) if a.is_valid(i) => {
                let v = match a.data_type() {
                    DataType::Float32 => f64::from(a.as_primitive::<Float32Type>().value(i)),
                    _ => a.as_primitive::<Float64Type>().value(i),
                };
                number_text(out, v);
            }
            TextColumn::Text(a) if a.is_valid(i) => {
                out.push_str(a.as_string::<i32>().value(i).trim_end());
            }
            _ => {}
        }
    }
}

/// Reads one Parquet export held in memory; see [`stream_parquet`].
pub fn read_parquet(
    file: &str,
    bytes: &[u8],
    cat: &Catalogue,
    harmoniser: &Harmoniser,
    opts: &ReadOptions,
    seen: &mut SeenIds,
) -> Result<(Respondents, FileReport, Vec<QuarantinedRow>), IngestError> {
    let data = bytes::Bytes::copy_from_slice(bytes);
    let (r, (report, q)) = collect(cat, |sink| {
        stream_parquet(file, data, cat, harmoniser, opts, seen, sink)
    })?;
    Ok((r, report, q))
}

/// Reads one Parquet export batch by batch. A file that is not Parquet, or is truncated, or
/// holds a column that cannot be read as text, fails as a whole with one error naming the
/// file (and the column). Rows are numbered from 2 as in the CSV layout (row 1 = the
/// header), so a quarantined row's number is its 1-based case number + 1.
pub fn stream_parquet<T: ChunkReader + 'static>(
    file: &str,
    src: T,
    cat: &Catalogue,
    harmoniser: &Harmoniser,
    opts: &ReadOptions,
    seen: &mut SeenIds,
    sink: &mut Sink<'_>,
) -> Result<(FileReport, Vec<QuarantinedRow>), IngestError> {
    let unusable = |message: String| IngestError::Unusable {
        file: file.to_owned(),
        message,
    };
    let builder = ParquetRecordBatchReaderBuilder::try_new(src)
        .map_err(|_| unusable("not a readable Parquet file (truncated or damaged)".into()))?;
    let total = builder.metadata().file_metadata().num_rows().max(0) as u64;
    let reader = builder
        .with_batch_size(16 * 1024)
        .build()
        .map_err(|_| unusable("not a readable Parquet file (truncated or damaged)".into()))?;
    let schema = reader.schema();
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let mut v = Validator::new(Checker::binary(file, &names, cat, harmoniser, opts)?, seen);
    for batch in reader {
        let batch: RecordBatch = batch.map_err(|_| unusable("damaged Parquet data page".into()))?;
        let columns: Vec<TextColumn> = batch
            .columns()
            .iter()
            .zip(&names)
            .map(|(c, name)| {
                TextColumn::new(c).ok_or_else(|| {
                    unusable(format!("column `{name}` has a type that cannot be read"))
                })
            })
            .collect::<Result<_, _>>()?;
        let case = v.cases(batch.num_rows(), |i, c, out| columns[c].write(i, out), sink)?;
        if let Some(p) = &opts.progress {
            (p.0)(case, total.max(case));
        }
    }
    v.finish(false, "Parquet", ';', opts, sink)
}
