//! Atomic, deterministic file writing and Parquet hand-off files.
//!
//! Every file is written to a temporary sibling and renamed into place, so a crash never
//! leaves a half-written file under the final name.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::datatypes::Schema;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::arrow_writer::{ArrowColumnWriter, ArrowRowGroupWriterFactory, compute_leaves};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use rayon::prelude::*;

/// I/O errors naming the file.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    /// Operating-system error.
    #[error("{path}: {source}")]
    Os {
        /// File concerned.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// Parquet or Arrow error.
    #[error("{path}: {message}")]
    Format {
        /// File concerned.
        path: PathBuf,
        /// What the library said.
        message: String,
    },
}

fn os(path: &Path) -> impl FnOnce(std::io::Error) -> IoError + '_ {
    move |source| IoError::Os {
        path: path.to_owned(),
        source,
    }
}

/// A Parquet or Arrow error about the file at `path` (its message names structure, never
/// values).
fn format<E: std::fmt::Display>(path: &Path) -> impl Fn(E) -> IoError + Copy + '_ {
    move |e| IoError::Format {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

fn tmp_sibling(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".partial");
    path.with_file_name(name)
}

/// The environment variable of the crash test: `OPPVEKST_CRASH_AFTER_STEPS=n` ends the
/// process abruptly (no destructor, no flush: as a `kill -9` would) just after its n-th
/// durable step — a file renamed into place, a link made, a folder removed — as SQLite's
/// crash tests inject failures at each write. Unset, the steps are only counted.
pub const CRASH_AFTER_STEPS: &str = "OPPVEKST_CRASH_AFTER_STEPS";

static STEPS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Marks one durable step done (see [`CRASH_AFTER_STEPS`]).
pub fn durable_step() {
    let n = STEPS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
    static LIMIT: std::sync::OnceLock<Option<usize>> = std::sync::OnceLock::new();
    let limit = LIMIT.get_or_init(|| {
        std::env::var(CRASH_AFTER_STEPS)
            .ok()
            .and_then(|v| v.parse().ok())
    });
    if *limit == Some(n) {
        std::process::abort();
    }
}

/// Durable steps taken so far by this process.
pub fn durable_steps() -> usize {
    STEPS.load(std::sync::atomic::Ordering::SeqCst)
}

/// Writes `bytes` to `path` atomically (temporary file, fsync, rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), IoError> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(os(dir))?;
    }
    let tmp = tmp_sibling(path);
    {
        let mut file = fs::File::create(&tmp).map_err(os(&tmp))?;
        file.write_all(bytes).map_err(os(&tmp))?;
        file.sync_all().map_err(os(&tmp))?;
    }
    fs::rename(&tmp, path).map_err(os(path))?;
    durable_step();
    Ok(())
}

/// Encodes record batches as a Parquet file in memory (zstd, deterministic bytes).
pub fn parquet_bytes(
    path_for_errors: &Path,
    schema: Arc<Schema>,
    batches: &[RecordBatch],
) -> Result<Vec<u8>, IoError> {
    let fmt = format(path_for_errors);
    let props = writer_properties(&schema);
    let mut buf = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut buf, schema, Some(props)).map_err(fmt)?;
    for b in batches {
        writer.write(b).map_err(fmt)?;
    }
    writer.close().map_err(fmt)?;
    Ok(buf)
}

/// The properties of every Parquet file oppvekst writes (zstd, deterministic bytes).
///
/// Int8 columns (answer codes: 150 of them in a national survey export, 225 million
/// values) are delta-encoded without a dictionary or compression. Measured on the ingest
/// benchmark's 1.5 million respondents: a dictionary of a handful of codes cost a hash per
/// value (the writer's largest cost, 100 MB file); delta with zstd 118 MB, byte-stream
/// split with zstd 101 MB but about 0.8 s more CPU; delta alone 142 MB and the least CPU.
fn writer_properties(schema: &Schema) -> WriterProperties {
    let mut b = WriterProperties::builder();
    for f in schema.fields() {
        if matches!(f.data_type(), arrow::datatypes::DataType::Int8) {
            let col = parquet::schema::types::ColumnPath::from(f.name().as_str());
            b = b
                .set_column_dictionary_enabled(col.clone(), false)
                .set_column_encoding(col.clone(), parquet::basic::Encoding::DELTA_BINARY_PACKED)
                .set_column_compression(col, Compression::UNCOMPRESSED);
        }
    }
    b.set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_created_by("oppvekst".to_owned())
        .set_max_row_group_row_count(Some(128 * 1024))
        // A page per 16,384 rows at most: a dictionary-encoded column buffers its indices
        // until it writes a page, and a page of small codes would otherwise hold the whole
        // row group.
        .set_data_page_row_count_limit(16 * 1024)
        .build()
}

/// Rows per row group of a streamed file.
const ROW_GROUP_ROWS: usize = 128 * 1024;

/// A Parquet file written batch by batch to a temporary sibling and renamed into place by
/// [`ParquetStream::commit`]; dropped without a commit, it leaves only the `.partial` file
/// (which the next attempt overwrites), never a half-written file under the final name.
///
/// The columns of each batch are encoded in parallel (one column writer per column, on the
/// rayon pool): a survey export has 150 answer columns, and encoding them one after the
/// other made the writer the slowest stage of an ingest.
pub struct ParquetStream {
    path: PathBuf,
    tmp: PathBuf,
    schema: Arc<Schema>,
    file: SerializedFileWriter<std::io::BufWriter<fs::File>>,
    factory: ArrowRowGroupWriterFactory,
    /// The open row group: its column writers and rows so far.
    group: Option<(Vec<ArrowColumnWriter>, usize)>,
    /// Row groups written.
    groups: usize,
}

impl ParquetStream {
    /// Starts a file at `path` with this schema.
    pub fn create(path: &Path, schema: Arc<Schema>) -> Result<Self, IoError> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(os(dir))?;
        }
        let tmp = tmp_sibling(path);
        let file = fs::File::create(&tmp).map_err(os(&tmp))?;
        // The Arrow writer sets up the file (with the Arrow schema in its metadata); its
        // lower-level parts then write the row groups.
        let (file, factory) = ArrowWriter::try_new(
            std::io::BufWriter::new(file),
            schema.clone(),
            Some(writer_properties(&schema)),
        )
        .and_then(ArrowWriter::into_serialized_writer)
        .map_err(format(path))?;
        Ok(ParquetStream {
            path: path.to_owned(),
            tmp,
            schema,
            file,
            factory,
            group: None,
            groups: 0,
        })
    }

    /// The final path of the file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one batch.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), IoError> {
        let mut done = 0;
        while done < batch.num_rows() {
            let (mut writers, rows) = match self.group.take() {
                Some(group) => group,
                None => {
                    let writers = self
                        .factory
                        .create_column_writers(self.groups)
                        .map_err(format(&self.path))?;
                    (writers, 0)
                }
            };
            let take = (ROW_GROUP_ROWS - rows).min(batch.num_rows() - done);
            let part = batch.slice(done, take);
            let mut leaves = Vec::with_capacity(writers.len());
            for (field, column) in self.schema.fields().iter().zip(part.columns()) {
                leaves.extend(compute_leaves(field, column).map_err(format(&self.path))?);
            }
            writers
                .par_iter_mut()
                .zip(leaves.par_iter())
                .try_for_each(|(w, leaf)| w.write(leaf))
                .map_err(format(&self.path))?;
            done += take;
            if rows + take >= ROW_GROUP_ROWS {
                self.close_group(writers)?;
            } else {
                self.group = Some((writers, rows + take));
            }
        }
        Ok(())
    }

    /// Finishes the open row group's columns (in parallel) and writes them in order.
    fn close_group(&mut self, writers: Vec<ArrowColumnWriter>) -> Result<(), IoError> {
        let chunks = writers
            .into_par_iter()
            .map(ArrowColumnWriter::close)
            .collect::<Result<Vec<_>, _>>()
            .map_err(format(&self.path))?;
        let fmt = format(&self.path);
        let mut group = self.file.next_row_group().map_err(fmt)?;
        for chunk in chunks {
            chunk.append_to_row_group(&mut group).map_err(fmt)?;
        }
        group.close().map_err(fmt)?;
        self.groups += 1;
        Ok(())
    }

    /// Finishes the file, syncs it and renames it into place.
    pub fn commit(mut self) -> Result<(), IoError> {
        if let Some((writers, rows)) = self.group.take()
            && rows > 0
        {
            self.close_group(writers)?;
        }
        let buffered = self.file.into_inner().map_err(format(&self.path))?;
        let file = buffered.into_inner().map_err(|e| IoError::Os {
            path: self.tmp.clone(),
            source: e.into_error(),
        })?;
        file.sync_all().map_err(os(&self.tmp))?;
        fs::rename(&self.tmp, &self.path).map_err(os(&self.path))
    }
}

/// Writes record batches to a Parquet file atomically.
pub fn write_parquet(
    path: &Path,
    schema: Arc<Schema>,
    batches: &[RecordBatch],
) -> Result<(), IoError> {
    let bytes = parquet_bytes(path, schema, batches)?;
    write_atomic(path, &bytes)
}

/// Reads every record batch of a Parquet file.
pub fn read_parquet(path: &Path) -> Result<(Arc<Schema>, Vec<RecordBatch>), IoError> {
    let file = fs::File::open(path).map_err(os(path))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(format(path))?;
    let schema = builder.schema().clone();
    let reader = builder.build().map_err(format(path))?;
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(format(path))?;
    Ok((schema, batches))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{StringArray, UInt32Array};
    use arrow::datatypes::{DataType, Field};

    #[test]
    fn parquet_round_trip_is_deterministic() {
        let dir = tempfile::tempdir().unwrap();
        let schema = Arc::new(Schema::new(vec![
            Field::new("a", DataType::Utf8, false),
            Field::new("n", DataType::UInt32, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(vec!["æ", "ø", "å"])),
                Arc::new(UInt32Array::from(vec![Some(1), None, Some(3)])),
            ],
        )
        .unwrap();
        let p1 = dir.path().join("x.parquet");
        write_parquet(&p1, schema.clone(), std::slice::from_ref(&batch)).unwrap();
        let first = fs::read(&p1).unwrap();
        write_parquet(&p1, schema, std::slice::from_ref(&batch)).unwrap();
        assert_eq!(first, fs::read(&p1).unwrap());
        assert!(!tmp_sibling(&p1).exists());
        let (_, back) = read_parquet(&p1).unwrap();
        assert_eq!(back[0], batch);
    }

    #[test]
    fn a_streamed_file_reads_back_whole_across_row_groups_and_only_after_commit() {
        use arrow::array::{Array, Int8Array};
        let dir = tempfile::tempdir().unwrap();
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::UInt32, false),
            Field::new("answer", DataType::Int8, true),
        ]));
        let batch = |start: u32, rows: u32| {
            let ids = UInt32Array::from_iter_values(start..start + rows);
            let answers: Int8Array = (start..start + rows)
                .map(|i| (i % 7 != 0).then_some((i % 5) as i8 + 1))
                .collect();
            RecordBatch::try_new(schema.clone(), vec![Arc::new(ids), Arc::new(answers)]).unwrap()
        };
        // Batches of uneven size over three row groups.
        let sizes = [50_000u32, 100_000, 7, 120_000, 30_001];
        let write = |name: &str| {
            let path = dir.path().join(name);
            let mut out = ParquetStream::create(&path, schema.clone()).unwrap();
            let mut start = 0;
            for &n in &sizes {
                out.write(&batch(start, n)).unwrap();
                start += n;
            }
            assert!(
                !path.exists(),
                "nothing under the final name before the commit"
            );
            out.commit().unwrap();
            path
        };
        let (a, b) = (write("a.parquet"), write("b.parquet"));
        assert_eq!(
            fs::read(&a).unwrap(),
            fs::read(&b).unwrap(),
            "deterministic"
        );
        let (_, batches) = read_parquet(&a).unwrap();
        let total: u32 = sizes.iter().sum();
        let all = arrow::compute::concat_batches(&schema, &batches).unwrap();
        assert_eq!(all, batch(0, total));
        let meta = ParquetRecordBatchReaderBuilder::try_new(fs::File::open(&a).unwrap())
            .unwrap()
            .metadata()
            .clone();
        assert_eq!(meta.num_row_groups(), 3);
        assert_eq!(meta.row_group(0).num_rows(), ROW_GROUP_ROWS as i64);
        assert!(all.column(1).null_count() > 0);
    }
}
