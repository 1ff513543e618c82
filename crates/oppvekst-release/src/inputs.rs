//! Reading the inbox: survey exports, police extracts, population and reference files, each
//! with its quarantine (`work/quarantine/*.csv`: file, row, column, reason) and its
//! reconciliation (rows read = rows accepted + rows quarantined), and importing police
//! extracts into the history store. Which files there are is the caller's business
//! ([`Inbox`]).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use oppvekst_bundle::{InputFile, NotRead, Reconciliation};
use oppvekst_ingest_police::history::{Outcome, Store};
use oppvekst_ingest_police::population::read_population;
use oppvekst_ingest_police::statbank::{WideValue, read_wide_csv, read_wide_xlsx};
use oppvekst_ingest_police::{PoliceCounts, read_extract, read_extract_xlsx};
use oppvekst_ingest_survey::{
    Aggregator, DriftReport, IngestError, Progress, ReadOptions, Respondents, RespondentsWriter,
    SeenIds, SurveyCells, check_csv, check_sav, read_reference, stream_csv, stream_parquet,
    stream_sav, with_background_sink,
};
use oppvekst_schema::population::Population;
use oppvekst_schema::quarter::Quarter;
use oppvekst_schema::reference::ReferenceRow;
use oppvekst_schema::{Catalogue, Harmoniser};

use crate::config::Config;
use crate::{ReleaseError, Reporter, file_err};

type Result<T> = std::result::Result<T, ReleaseError>;

/// A file of the inbox: its name relative to the inbox (as it appears in the manifest and
/// the quarantine) and its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedFile {
    /// Name relative to the inbox.
    pub name: String,
    /// Path on disk.
    pub path: PathBuf,
}

/// The files of an inbox, each list sorted by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inbox {
    /// The inbox folder (for messages).
    pub root: PathBuf,
    /// Survey exports: CSV, SPSS `.sav`/`.zsav`, Parquet.
    pub survey: Vec<NamedFile>,
    /// Police extracts: CSV or `.xlsx`.
    pub police: Vec<NamedFile>,
    /// Population tables: JSON-stat or `.px`.
    pub population: Vec<NamedFile>,
    /// Reference levels: CSV.
    pub reference: Vec<NamedFile>,
    /// SSB's official tables (08487) as the StatBank gives them: wide CSV or XLSX.
    pub official: Vec<NamedFile>,
    /// Entries of the inbox no source reads (outside the source folders, hidden or
    /// temporary files), with the reason: listed in the run summary and the manifest.
    pub not_read: Vec<NotRead>,
    /// Files in a source folder that cannot be read as that source (a `.csv` among the
    /// population tables): a run refuses to start while there are any.
    pub unreadable: Vec<NotRead>,
}

impl Inbox {
    /// Fails, naming every file, when a source folder holds a file that cannot be read as
    /// that source.
    pub fn check_readable(&self) -> Result<()> {
        if self.unreadable.is_empty() {
            return Ok(());
        }
        let list: Vec<String> = self
            .unreadable
            .iter()
            .map(|n| format!("{}: {}", n.file, n.reason))
            .collect();
        Err(ReleaseError::Input(format!(
            "{}: files in the source folders that cannot be read as that source (move or rename them):\n  {}",
            self.root.display(),
            list.join("\n  ")
        )))
    }
}

/// Survey exports by extension: CSV, SPSS `.sav` and `.zsav`, Parquet.
pub const SURVEY_EXTENSIONS: &[&str] = &["csv", "sav", "zsav", "parquet"];
/// Police extracts: CSV or an Excel workbook.
pub const POLICE_EXTENSIONS: &[&str] = &["csv", "xlsx"];
/// Population tables: JSON-stat, PX, or the StatBank's wide CSV or XLSX.
pub const POPULATION_EXTENSIONS: &[&str] = &["json", "px", "csv", "xlsx"];
/// Reference levels.
pub const REFERENCE_EXTENSIONS: &[&str] = &["csv"];
/// SSB's official tables in the StatBank's wide layout.
pub const OFFICIAL_EXTENSIONS: &[&str] = &["csv", "xlsx"];

/// Public inputs: population tables (for rates and the coverage rule) and reference levels.
pub struct PublicInputs {
    /// Population by municipality, year and age.
    pub population: Population,
    /// National reference levels.
    pub reference: Vec<ReferenceRow>,
    /// SSB's official figures (08487), as the tables in `official/` give them.
    pub official: Vec<WideValue>,
    /// The reference files' accounting (None when there were none).
    pub reconciliation: Option<Reconciliation>,
    /// The files read.
    pub inputs: Vec<InputFile>,
}

/// Everything read for one run.
pub struct Ingested {
    /// Survey cells and years.
    pub survey: SurveyIngest,
    /// Police counts.
    pub police: PoliceCounts,
    /// Population and reference levels.
    pub public: PublicInputs,
    /// Every input file, for the manifest.
    pub inputs: Vec<InputFile>,
    /// Rows read, accepted and quarantined per source.
    pub reconciliation: Vec<Reconciliation>,
    /// Files of the inbox not read, with the reason.
    pub not_read: Vec<NotRead>,
}

/// What survey ingest leaves for the rest of the run: the aggregated cells and the survey
/// years seen.
pub struct SurveyIngest {
    /// Cells with every total.
    pub cells: SurveyCells,
    /// Survey years of the accepted respondents.
    pub years: BTreeSet<i32>,
}

/// What a quarantine entry set aside: the whole row, or one answer of an accepted row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Row,
    Answer,
}

/// The quarantine rows of a source as CSV (file, row, column, reason, scope: `row` for a
/// row set aside, `answer` for one answer read as missing in an accepted row).
fn quarantine_csv(rows: &[(String, u64, Option<String>, String, Scope)]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let _ = w.write_record(["file", "row", "column", "reason", "scope"]);
    for (file, row, col, reason, scope) in rows {
        let _ = w.write_record([
            file.as_str(),
            &row.to_string(),
            col.as_deref().unwrap_or(""),
            reason.as_str(),
            match scope {
                Scope::Row => "row",
                Scope::Answer => "answer",
            },
        ]);
    }
    w.into_inner().unwrap_or_default()
}

/// Fails when a source does not reconcile.
fn check(r: &Reconciliation) -> Result<()> {
    if !r.reconciles() {
        return Err(ReleaseError::Reconciliation {
            what: r.source.clone(),
            read: r.read,
            accepted: r.accepted,
            quarantined: r.quarantined,
        });
    }
    Ok(())
}

fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(file_err(path))
}

/// Fails with every disagreement that would change a figure when a survey export is coded
/// otherwise than the codebook says ([`check_codebook`]). Callers run it before anything
/// is imported (`run`, `demo`, `ingest survey`).
pub fn refuse_drift(cat: &Catalogue, files: &[NamedFile]) -> Result<()> {
    let drift: Vec<DriftReport> = check_codebook(cat, files)?
        .into_iter()
        .filter(DriftReport::changes_figures)
        .collect();
    if drift.is_empty() {
        Ok(())
    } else {
        Err(ReleaseError::CodebookDrift(drift))
    }
}

/// Reads the population and reference files; both are optional.
pub fn read_public(
    cfg: &Config,
    cat: &Catalogue,
    harmoniser: &Harmoniser,
    inbox: &Inbox,
    work: &Path,
    report: &dyn Reporter,
) -> Result<PublicInputs> {
    let mut population = Population::default();
    let mut inputs = Vec::new();
    for f in &inbox.population {
        let bytes = read(&f.path)?;
        population.merge(read_population(&f.name, &bytes, harmoniser)?);
        inputs.push(InputFile::from_bytes(&f.name, &bytes));
    }
    let mut reference = Vec::new();
    let mut quarantine = Vec::new();
    let mut recon = Reconciliation::new("Referanse");
    for f in &inbox.reference {
        let bytes = read(&f.path)?;
        let (rows, file_report, q) = read_reference(&f.name, &bytes, cat, cfg.encoding()?)?;
        recon.add_file(
            file_report.rows_read,
            file_report.rows_accepted,
            file_report.rows_quarantined,
        );
        if !file_report.unknown_columns.is_empty() {
            report.line(&format!(
                "  {}: columns not in the reference format (not imported): {}",
                f.name,
                file_report.unknown_columns.join(", ")
            ));
        }
        quarantine.extend(
            q.into_iter()
                .map(|q| (q.file, q.row, q.column, q.reason, Scope::Row)),
        );
        reference.extend(rows);
        inputs.push(InputFile::from_bytes(&f.name, &bytes));
    }
    oppvekst_schema::io::write_atomic(
        &work.join("quarantine/reference.csv"),
        &quarantine_csv(&quarantine),
    )?;
    check(&recon)?;
    let mut official = Vec::new();
    for f in &inbox.official {
        let bytes = read(&f.path)?;
        let values = if f.name.to_lowercase().ends_with(".xlsx") {
            read_wide_xlsx(&f.name, &bytes)?
        } else {
            read_wide_csv(&f.name, &bytes)?
        };
        report.line(&format!("  {}: {} official values", f.name, values.len()));
        official.extend(values);
        inputs.push(InputFile::from_bytes(&f.name, &bytes));
    }
    Ok(PublicInputs {
        population,
        reference,
        official,
        reconciliation: (recon.files > 0).then_some(recon),
        inputs,
    })
}

/// Files at least this large (bytes) get progress of their own.
const LARGE_FILE: u64 = 8 << 20;

/// The kinds of survey export, told apart by file extension.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SurveyFormat {
    Csv,
    Sav,
    Parquet,
}

impl SurveyFormat {
    fn of(name: &str) -> SurveyFormat {
        let lower = name.to_lowercase();
        if lower.ends_with(".sav") || lower.ends_with(".zsav") {
            SurveyFormat::Sav
        } else if lower.ends_with(".parquet") {
            SurveyFormat::Parquet
        } else {
            SurveyFormat::Csv
        }
    }
}

/// What survey ingest leaves behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SurveyOutput {
    /// For a release: the inner cells only, handed straight to disclosure control (which
    /// computes every total itself); no stage file, since no later stage would read it.
    Release,
    /// For `oppvekst ingest survey`: the respondents written to
    /// `work/stages/respondents.parquet` and the cells with every total (the `survey_cells`
    /// stage file is the caller's to write), for inspection with any Parquet tool.
    StageFiles,
}

/// Compares every survey export (CSV and SPSS) with the codebook: the reports of all, in file
/// order. Parquet exports carry no labels and are not checked.
pub fn check_codebook(cat: &Catalogue, files: &[NamedFile]) -> Result<Vec<DriftReport>> {
    let mut reports = Vec::new();
    for f in files {
        let report = match SurveyFormat::of(&f.name) {
            SurveyFormat::Csv => {
                let file = fs::File::open(&f.path).map_err(file_err(&f.path))?;
                check_csv(&f.name, file, cat)?
            }
            SurveyFormat::Sav => {
                let file = fs::File::open(&f.path).map_err(file_err(&f.path))?;
                check_sav(&f.name, std::io::BufReader::new(file), cat)?
            }
            SurveyFormat::Parquet => continue,
        };
        reports.push(report);
    }
    Ok(reports)
}

/// Reads survey exports as streams, reports a line per file, writes the quarantine to
/// `work/quarantine/survey.csv`, aggregates, and reconciles (with [`SurveyOutput::StageFiles`]
/// also the respondents stage file). Memory stays flat however large the exports: rows pass
/// through in chunks.
#[allow(clippy::too_many_arguments)]
pub fn ingest_survey(
    cfg: &Config,
    cat: &Catalogue,
    harmoniser: &Harmoniser,
    files: &[NamedFile],
    work: &Path,
    output: SurveyOutput,
    report: &dyn Reporter,
) -> Result<(SurveyIngest, Reconciliation, Vec<InputFile>)> {
    let opts = ReadOptions {
        encoding: cfg.encoding()?,
        on_invalid_answer: cfg.input.on_invalid_answer,
        ..ReadOptions::default()
    };
    let stage = work.join("stages").join("respondents.parquet");
    let mut writer = match output {
        SurveyOutput::StageFiles => Some(RespondentsWriter::create(&stage, &cat.codebook.items)?),
        SurveyOutput::Release => None,
    };
    let mut aggregator = Aggregator::new(cat);
    let mut years = BTreeSet::new();
    let mut seen = SeenIds::default();
    let mut quarantine = Vec::new();
    let mut inputs = Vec::new();
    let mut recon = Reconciliation::new("Ungdata");
    let mut unknown = BTreeSet::new();
    report.begin("survey", files.len());
    // Rows leave the reader in chunks for a second thread, which writes them to the stage
    // file and (at the same time, on a third) aggregates them while the reader validates
    // the next chunk.
    let consume = |chunk: &Respondents| -> std::result::Result<(), IngestError> {
        let (written, ()) = rayon::join(
            || writer.as_mut().map_or(Ok(()), |w| w.write(chunk)),
            || {
                years.extend(chunk.survey_year.iter().copied());
                aggregator.add(chunk);
            },
        );
        written.map_err(|e| IngestError::Stage {
            message: format!("cannot write the respondents stage file: {e}"),
        })
    };
    with_background_sink(consume, |sink| -> Result<()> {
        for f in files {
            let (name, path) = (&f.name, &f.path);
            let size = fs::metadata(path).map_err(file_err(path))?.len();
            // The file is hashed as the reader goes through it: read once for its digest,
            // its encoding (when declared or marked by a BOM) and its rows.
            let mut src = InputFile::hashing(name, fs::File::open(path).map_err(file_err(path))?);
            let format = SurveyFormat::of(name);
            // Progress through the file itself when it is large enough to take a while.
            let bar = (size >= LARGE_FILE)
                .then(|| report.file(name, format == SurveyFormat::Csv))
                .flatten();
            let opts = ReadOptions {
                progress: bar.as_ref().map(|b| Progress(b.update.clone())),
                ..opts.clone()
            };
            let (file_report, q) = match format {
                SurveyFormat::Sav => {
                    let buffered = std::io::BufReader::with_capacity(1 << 20, &mut src);
                    let (file_report, q, labels) =
                        stream_sav(name, buffered, cat, harmoniser, &opts, &mut seen, sink)?;
                    // Variable and value labels (never answers) kept beside the stage files.
                    let stem = name.replace(['/', '\\'], "_");
                    let json = serde_json::to_string_pretty(&labels)
                        .map_err(|e| ReleaseError::Input(format!("{name}: labels: {e}")))?;
                    oppvekst_schema::io::write_atomic(
                        &work.join("metadata").join(format!("{stem}.labels.json")),
                        json.as_bytes(),
                    )?;
                    (file_report, q)
                }
                SurveyFormat::Parquet => {
                    // Parquet is read by its footer first (random access): it is hashed
                    // in a pass of its own, at `finish`.
                    let file = fs::File::open(path).map_err(file_err(path))?;
                    stream_parquet(name, file, cat, harmoniser, &opts, &mut seen, sink)?
                }
                SurveyFormat::Csv => {
                    stream_csv(name, &mut src, cat, harmoniser, &opts, &mut seen, sink)?
                }
            };
            inputs.push(src.finish().map_err(file_err(path))?);
            if let Some(b) = bar {
                (b.finish)();
            }
            report.advance();
            report.line(&format!(
                "  {:<44} {:<12} {:>6} read {:>6} accepted {:>3} quarantined {:>3} invalid answers",
                name,
                file_report.encoding,
                file_report.rows_read,
                file_report.rows_accepted,
                file_report.rows_quarantined,
                file_report.invalid_answers.len()
            ));
            unknown.extend(file_report.unknown_columns.iter().cloned());
            recon.add_file(
                file_report.rows_read,
                file_report.rows_accepted,
                file_report.rows_quarantined,
            );
            for a in &file_report.answers {
                recon.add_answers(&a.item, a.read, a.valid, a.missing, a.invalid);
            }
            if !file_report.reconciles() {
                return Err(ReleaseError::Input(format!(
                    "{name}: rows or answers do not reconcile (a fault in the reader)"
                )));
            }
            // Rows set aside and answers read as missing, in file order.
            let mut entries: Vec<_> = q
                .into_iter()
                .map(|q| (q.file, q.row, q.column, q.reason, Scope::Row))
                .chain(
                    file_report
                        .invalid_answers
                        .into_iter()
                        .map(|q| (q.file, q.row, q.column, q.reason, Scope::Answer)),
                )
                .collect();
            entries.sort_by_key(|e| e.1);
            quarantine.extend(entries);
        }
        Ok(())
    })?;
    report.end();
    if !unknown.is_empty() {
        report.line(&format!(
            "  columns not in the codebook (not imported): {}",
            unknown.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    oppvekst_schema::io::write_atomic(
        &work.join("quarantine/survey.csv"),
        &quarantine_csv(&quarantine),
    )?;
    check(&recon)?;
    if let Some(w) = writer {
        w.commit()?;
    }
    let cells = match output {
        SurveyOutput::StageFiles => aggregator.finish(),
        SurveyOutput::Release => aggregator.finish_leaves(),
    };
    Ok((SurveyIngest { cells, years }, recon, inputs))
}

/// Reads police extracts one file at a time, writes the quarantine to
/// `work/quarantine/police.csv` and reconciles. With `one_batch`, a row repeated in a later
/// file is quarantined as a duplicate (files read together); without it each file stands
/// alone, so a later file may correct an earlier one (the history store decides).
fn read_police(
    cfg: &Config,
    harmoniser: &Harmoniser,
    files: &[NamedFile],
    work: &Path,
    one_batch: bool,
    report: &dyn Reporter,
) -> Result<(Vec<(InputFile, PoliceCounts)>, Reconciliation)> {
    let encoding = cfg.encoding()?;
    let mut seen = Default::default();
    let mut quarantine = Vec::new();
    let mut out = Vec::new();
    let mut recon = Reconciliation::new("Politi");
    report.begin("police", files.len());
    for f in files {
        let bytes = read(&f.path)?;
        if !one_batch {
            seen = Default::default();
        }
        let (c, file_report, q) = if f.name.to_lowercase().ends_with(".xlsx") {
            read_extract_xlsx(&f.name, &bytes, harmoniser, &mut seen)?
        } else {
            read_extract(&f.name, &bytes, harmoniser, encoding, &mut seen)?
        };
        report.advance();
        recon.add_file(
            file_report.rows_read,
            file_report.rows_accepted,
            file_report.rows_quarantined,
        );
        quarantine.extend(
            q.into_iter()
                .map(|q| (q.file, q.row, q.column, q.reason, Scope::Row)),
        );
        out.push((InputFile::from_bytes(&f.name, &bytes), c));
    }
    report.end();
    oppvekst_schema::io::write_atomic(
        &work.join("quarantine/police.csv"),
        &quarantine_csv(&quarantine),
    )?;
    check(&recon)?;
    Ok((out, recon))
}

/// Reads police extracts as one batch into merged counts.
pub fn ingest_police(
    cfg: &Config,
    harmoniser: &Harmoniser,
    files: &[NamedFile],
    work: &Path,
    report: &dyn Reporter,
) -> Result<(PoliceCounts, Reconciliation, Vec<InputFile>)> {
    let (files, recon) = read_police(cfg, harmoniser, files, work, true, report)?;
    let mut police = PoliceCounts::default();
    let mut inputs = Vec::new();
    for (input, counts) in files {
        police.extend(counts);
        inputs.push(input);
    }
    Ok((police, recon, inputs))
}

/// Reads every input of a stand-alone run (the demo): survey and police files as one batch.
pub fn ingest(
    cfg: &Config,
    cat: &Catalogue,
    harmoniser: &Harmoniser,
    inbox: &Inbox,
    work: &Path,
    report: &dyn Reporter,
) -> Result<Ingested> {
    inbox.check_readable()?;
    if inbox.survey.is_empty() && inbox.police.is_empty() {
        return Err(ReleaseError::Input(format!(
            "{}: no input files (expected survey/*.csv and police/*.csv)",
            inbox.root.display()
        )));
    }
    refuse_drift(cat, &inbox.survey)?;
    let (survey, r1, mut inputs) = ingest_survey(
        cfg,
        cat,
        harmoniser,
        &inbox.survey,
        work,
        SurveyOutput::Release,
        report,
    )?;
    let (police, r2, more) = ingest_police(cfg, harmoniser, &inbox.police, work, report)?;
    inputs.extend(more);
    let public = read_public(cfg, cat, harmoniser, inbox, work, report)?;
    inputs.extend(public.inputs.iter().cloned());
    let mut reconciliation = vec![r1, r2];
    reconciliation.extend(public.reconciliation.clone());
    Ok(Ingested {
        survey,
        police,
        public,
        inputs,
        reconciliation,
        not_read: inbox.not_read.clone(),
    })
}

/// What the store did with one quarter of one police file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// The file (name in the inbox).
    pub file: String,
    /// The quarter.
    pub quarter: Quarter,
    /// What the store did.
    pub outcome: Outcome,
}

/// Reads police extracts one file at a time (so a later file may correct an earlier one) and
/// imports each into the history store. Returns the reconciliation, the inputs and what
/// happened to each quarter.
pub fn import_police(
    cfg: &Config,
    harmoniser: &Harmoniser,
    files: &[NamedFile],
    store: &Store,
    work: &Path,
    when: &str,
    report: &dyn Reporter,
) -> Result<(Reconciliation, Vec<InputFile>, Vec<Import>)> {
    let (files, recon) = read_police(cfg, harmoniser, files, work, false, report)?;
    let mut inputs = Vec::new();
    let mut outcomes = Vec::new();
    for (input, counts) in files {
        for (quarter, outcome) in store.import(&input.name, &input.sha256, &counts, when)? {
            outcomes.push(Import {
                file: input.name.clone(),
                quarter,
                outcome,
            });
        }
        inputs.push(input);
    }
    Ok((recon, inputs, outcomes))
}
