//! The quarterly pipeline: ingest → aggregate → protect → analyse → chart → bundle.
//! Stage hand-offs are written as Parquet files (contracts in data-schema/) into the work
//! folder; only protected outputs go into the bundle.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use oppvekst_analysis::{changes, compare, police_series, survey_indicators};
use oppvekst_bundle::{BundleInput, InputFile, Reconciliation, write_bundle};
use oppvekst_charts::{MunicipalityStyle, PALETTE};
use oppvekst_disclosure::{
    Cell, CoverageRule, Dimension, Protected, ProtectedTable, Rules, Table, protect_linked,
    protect_release,
};
use oppvekst_ingest_police::population::read_population;
use oppvekst_ingest_police::{PoliceCounts, read_extract, read_extract_xlsx};
use oppvekst_ingest_survey::{
    Aggregator, GRADES, IngestError, Progress, ReadOptions, Respondents, RespondentsWriter,
    SeenIds, SurveyCells, read_reference, stream_csv, stream_parquet, stream_sav,
    with_background_sink,
};
use oppvekst_schema::codes::{
    AGE_ALL, AGE_BANDS, AGE_OTHER, AGE_TARGET, FLAGS, OFFENCE_GROUPS, OFFENCE_TOTAL,
};
use oppvekst_schema::population::{AgeRange, Population};
use oppvekst_schema::reference::ReferenceRow;
use oppvekst_schema::{Catalogue, Harmoniser};

use crate::config::Config;

/// What a run did, printed at the end.
pub struct RunSummary {
    bundle: PathBuf,
    files: usize,
    reconciliation: Vec<Reconciliation>,
    hidden: Vec<(String, usize, usize, usize)>,
}

impl fmt::Display for RunSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "reconciliation (rows read = accepted + quarantined):")?;
        for r in &self.reconciliation {
            writeln!(
                f,
                "  {:<8} {:>3} files  {:>7} read = {:>7} accepted + {:>3} quarantined",
                r.source, r.files, r.read, r.accepted, r.quarantined
            )?;
        }
        writeln!(f, "disclosure control:")?;
        for (name, cells, primary, secondary) in &self.hidden {
            writeln!(
                f,
                "  {name:<18} {cells:>6} cells, {primary:>5} hidden by primary rules, {secondary:>5} secondary"
            )?;
        }
        write!(
            f,
            "bundle: {} ({} files, see manifest.json)",
            self.bundle.display(),
            self.files
        )
    }
}

fn list_files(dir: &Path, extensions: &[&str]) -> Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| format!("{}: cannot list folder", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|e| extensions.iter().any(|x| e.eq_ignore_ascii_case(x)))
        })
        .collect();
    v.sort();
    Ok(v)
}

/// Survey exports: CSV, SPSS `.sav` and `.zsav`, Parquet.
const SURVEY_EXTENSIONS: &[&str] = &["csv", "sav", "zsav", "parquet"];

/// Police extracts: CSV or an Excel workbook.
const POLICE_EXTENSIONS: &[&str] = &["csv", "xlsx"];

/// `(name relative to the inbox, path)` of the files in `inbox/dir` with these extensions.
fn named(inbox: &Path, dir: &str, extensions: &[&str]) -> Result<Vec<(String, PathBuf)>> {
    Ok(list_files(&inbox.join(dir), extensions)?
        .into_iter()
        .map(|p| (rel(inbox, &p), p))
        .collect())
}

/// Public inputs: population tables (for rates and the coverage rule) and reference levels.
pub(crate) struct PublicInputs {
    population: Population,
    reference: Vec<ReferenceRow>,
    reconciliation: Option<Reconciliation>,
    inputs: Vec<InputFile>,
}

/// Reads `inbox/population/*.json|*.px` and `inbox/reference/*.csv`; both are optional.
fn read_public(
    cfg: &Config,
    cat: &Catalogue,
    harmoniser: &Harmoniser,
    inbox: &Path,
    work: &Path,
) -> Result<PublicInputs> {
    let mut population = Population::default();
    let mut inputs = Vec::new();
    for (name, path) in named(inbox, "population", &["json", "px"])? {
        let bytes = fs::read(&path).with_context(|| format!("{}: cannot read", path.display()))?;
        population.merge(read_population(&name, &bytes, harmoniser)?);
        inputs.push(InputFile::from_bytes(&name, &bytes));
    }
    let mut reference = Vec::new();
    let mut quarantine = Vec::new();
    let mut recon = Reconciliation::new("Referanse");
    for (name, path) in named(inbox, "reference", &["csv"])? {
        let bytes = fs::read(&path).with_context(|| format!("{}: cannot read", path.display()))?;
        let (rows, report, q) = read_reference(&name, &bytes, cat, cfg.encoding()?)?;
        recon.add_file(
            report.rows_read,
            report.rows_accepted,
            report.rows_quarantined,
        );
        if !report.unknown_columns.is_empty() {
            println!(
                "  {name}: columns not in the reference format (not imported): {}",
                report.unknown_columns.join(", ")
            );
        }
        quarantine.extend(q.into_iter().map(|q| (q.file, q.row, q.column, q.reason)));
        reference.extend(rows);
        inputs.push(InputFile::from_bytes(&name, &bytes));
    }
    oppvekst_schema::io::write_atomic(
        &work.join("quarantine/reference.csv"),
        &quarantine_csv(&quarantine),
    )?;
    check(&recon)?;
    Ok(PublicInputs {
        population,
        reference,
        reconciliation: (recon.files > 0).then_some(recon),
        inputs,
    })
}

/// Files at least this large (bytes) get a progress bar of their own.
const LARGE_FILE: u64 = 8 << 20;

/// A bar through one large file: by bytes read for CSV, by cases for SPSS and Parquet.
fn file_progress(name: &str, bytes: bool) -> ProgressBar {
    let pb = ProgressBar::new(0);
    let template = if bytes {
        "{msg:>10} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)"
    } else {
        "{msg:>10} [{bar:30}] {human_pos}/{human_len} rows ({per_sec}, {eta} left)"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        pb.set_style(style.progress_chars("=> "));
    }
    let short = name.rsplit(['/', '\\']).next().unwrap_or(name);
    pb.set_message(short.to_owned());
    pb
}

fn progress(n: usize, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(n as u64);
    if let Ok(style) = ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} files") {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(what.to_owned());
    pb
}

fn rel(inbox: &Path, p: &Path) -> String {
    p.strip_prefix(inbox)
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

fn quarantine_csv(rows: &[(String, u64, Option<String>, String)]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let _ = w.write_record(["file", "row", "column", "reason"]);
    for (file, row, col, reason) in rows {
        let _ = w.write_record([
            file.as_str(),
            &row.to_string(),
            col.as_deref().unwrap_or(""),
            reason.as_str(),
        ]);
    }
    w.into_inner().unwrap_or_default()
}

pub(crate) struct Ingested {
    survey: SurveyIngest,
    police: PoliceCounts,
    public: PublicInputs,
    inputs: Vec<InputFile>,
    reconciliation: Vec<Reconciliation>,
}

fn check(r: &Reconciliation) -> Result<()> {
    if !r.reconciles() {
        bail!(
            "{}: rows read ({}) ≠ accepted ({}) + quarantined ({})",
            r.source,
            r.read,
            r.accepted,
            r.quarantined
        );
    }
    Ok(())
}

/// The kinds of survey export, told apart by file extension.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SurveyFormat {
    Csv,
    Sav,
    Parquet,
}

/// What survey ingest leaves for the rest of the run: the aggregated cells and the survey
/// years seen (the respondents themselves went to `work/stages/respondents.parquet`).
pub struct SurveyIngest {
    /// Cells with every total.
    pub cells: SurveyCells,
    /// Survey years of the accepted respondents.
    pub years: BTreeSet<i32>,
}

/// Reads survey exports (`(name, path)` pairs) as streams, prints a line per file, writes
/// the respondents to `work/stages/respondents.parquet` and the quarantine to
/// `work/quarantine/survey.csv`, aggregates, and reconciles. Memory stays flat however large
/// the exports: rows pass through in chunks.
pub fn ingest_survey(
    cfg: &Config,
    cat: &Catalogue,
    harmoniser: &Harmoniser,
    files: &[(String, PathBuf)],
    work: &Path,
) -> Result<(SurveyIngest, Reconciliation, Vec<InputFile>)> {
    let opts = ReadOptions {
        encoding: cfg.encoding()?,
        ..ReadOptions::default()
    };
    let stage = work.join("stages").join("respondents.parquet");
    let mut writer = RespondentsWriter::create(&stage, &cat.codebook.items)?;
    let mut aggregator = Aggregator::new(cat);
    let mut years = BTreeSet::new();
    let mut seen = SeenIds::default();
    let mut quarantine = Vec::new();
    let mut inputs = Vec::new();
    let mut recon = Reconciliation::new("Ungdata");
    let multi = MultiProgress::new();
    let pb = multi.add(progress(files.len(), "survey"));
    let mut unknown = BTreeSet::new();
    // Rows leave the reader in chunks for a second thread, which writes them to the stage
    // file and (at the same time, on a third) aggregates them while the reader validates
    // the next chunk.
    let consume = |chunk: &Respondents| -> std::result::Result<(), IngestError> {
        let (written, ()) = rayon::join(
            || writer.write(chunk),
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
        for (name, path) in files {
            let input = InputFile::from_path(name, path)
                .with_context(|| format!("{}: cannot read", path.display()))?;
            let size = input.bytes;
            inputs.push(input);
            let open =
                || fs::File::open(path).with_context(|| format!("{}: cannot read", path.display()));
            let lower = name.to_lowercase();
            let format = if lower.ends_with(".sav") || lower.ends_with(".zsav") {
                SurveyFormat::Sav
            } else if lower.ends_with(".parquet") {
                SurveyFormat::Parquet
            } else {
                SurveyFormat::Csv
            };
            // A bar through the file itself when it is large enough to take a while.
            let file_bar = if size >= LARGE_FILE {
                multi.add(file_progress(name, format == SurveyFormat::Csv))
            } else {
                ProgressBar::hidden()
            };
            let opts = ReadOptions {
                progress: Some(Progress(Arc::new({
                    let bar = file_bar.clone();
                    move |done, all| {
                        bar.set_length(all);
                        bar.set_position(done);
                    }
                }))),
                ..opts.clone()
            };
            let (report, q) = match format {
                SurveyFormat::Sav => {
                    let src = std::io::BufReader::with_capacity(1 << 20, open()?);
                    let (report, q, labels) =
                        stream_sav(name, src, cat, harmoniser, &opts, &mut seen, sink)?;
                    // Variable and value labels (never answers) kept beside the stage files.
                    let stem = name.replace(['/', '\\'], "_");
                    oppvekst_schema::io::write_atomic(
                        &work.join("metadata").join(format!("{stem}.labels.json")),
                        serde_json::to_string_pretty(&labels)?.as_bytes(),
                    )?;
                    (report, q)
                }
                SurveyFormat::Parquet => {
                    stream_parquet(name, open()?, cat, harmoniser, &opts, &mut seen, sink)?
                }
                SurveyFormat::Csv => {
                    stream_csv(name, open()?, cat, harmoniser, &opts, &mut seen, sink)?
                }
            };
            file_bar.finish_and_clear();
            pb.inc(1);
            pb.suspend(|| {
                println!(
                    "  {:<44} {:<12} {:>6} read {:>6} accepted {:>3} quarantined",
                    name,
                    report.encoding,
                    report.rows_read,
                    report.rows_accepted,
                    report.rows_quarantined
                )
            });
            unknown.extend(report.unknown_columns.iter().cloned());
            recon.add_file(
                report.rows_read,
                report.rows_accepted,
                report.rows_quarantined,
            );
            quarantine.extend(q.into_iter().map(|q| (q.file, q.row, q.column, q.reason)));
        }
        Ok(())
    })?;
    pb.finish_and_clear();
    if !unknown.is_empty() {
        println!(
            "  columns not in the codebook (not imported): {}",
            unknown.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    oppvekst_schema::io::write_atomic(
        &work.join("quarantine/survey.csv"),
        &quarantine_csv(&quarantine),
    )?;
    check(&recon)?;
    writer.commit()?;
    let cells = aggregator.finish();
    Ok((SurveyIngest { cells, years }, recon, inputs))
}

/// Reads police extracts one file at a time, writes the quarantine to
/// `work/quarantine/police.csv` and reconciles. With `one_batch`, a row repeated in a later
/// file is quarantined as a duplicate (files read together); without it each file stands
/// alone, so a later file may correct an earlier one (the history store decides).
fn read_police(
    cfg: &Config,
    harmoniser: &Harmoniser,
    files: &[(String, PathBuf)],
    work: &Path,
    one_batch: bool,
) -> Result<(Vec<(InputFile, PoliceCounts)>, Reconciliation)> {
    let encoding = cfg.encoding()?;
    let mut seen = Default::default();
    let mut quarantine = Vec::new();
    let mut out = Vec::new();
    let mut recon = Reconciliation::new("Politi");
    let pb = progress(files.len(), "police");
    for (name, path) in files {
        let bytes = fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
        if !one_batch {
            seen = Default::default();
        }
        let (c, report, q) = if name.to_lowercase().ends_with(".xlsx") {
            read_extract_xlsx(name, &bytes, harmoniser, &mut seen)?
        } else {
            read_extract(name, &bytes, harmoniser, encoding, &mut seen)?
        };
        pb.inc(1);
        recon.add_file(
            report.rows_read,
            report.rows_accepted,
            report.rows_quarantined,
        );
        quarantine.extend(q.into_iter().map(|q| (q.file, q.row, q.column, q.reason)));
        out.push((InputFile::from_bytes(name, &bytes), c));
    }
    pb.finish_and_clear();
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
    files: &[(String, PathBuf)],
    work: &Path,
) -> Result<(PoliceCounts, Reconciliation, Vec<InputFile>)> {
    let (files, recon) = read_police(cfg, harmoniser, files, work, true)?;
    let mut police = PoliceCounts::default();
    let mut inputs = Vec::new();
    for (input, counts) in files {
        police.extend(counts);
        inputs.push(input);
    }
    Ok((police, recon, inputs))
}

fn ingest(
    cfg: &Config,
    cat: &Catalogue,
    harmoniser: &Harmoniser,
    inbox: &Path,
    work: &Path,
) -> Result<Ingested> {
    let survey_files = named(inbox, "survey", SURVEY_EXTENSIONS)?;
    let police_files = named(inbox, "police", POLICE_EXTENSIONS)?;
    if survey_files.is_empty() && police_files.is_empty() {
        bail!(
            "{}: no input files (expected survey/*.csv and police/*.csv)",
            inbox.display()
        );
    }
    let (survey, r1, mut inputs) = ingest_survey(cfg, cat, harmoniser, &survey_files, work)?;
    let (police, r2, more) = ingest_police(cfg, harmoniser, &police_files, work)?;
    inputs.extend(more);
    let public = read_public(cfg, cat, harmoniser, inbox, work)?;
    inputs.extend(public.inputs.iter().cloned());
    let mut reconciliation = vec![r1, r2];
    reconciliation.extend(public.reconciliation.clone());
    Ok(Ingested {
        survey,
        police,
        public,
        inputs,
        reconciliation,
    })
}

/// The region as this run can show it: the members that have data, and FHI's coverage.
#[derive(Debug, Clone)]
pub(crate) struct RegionPlan {
    code: String,
    name: String,
    with_data: Vec<String>,
    /// Share of the region's youth (13–18 for the survey, 10–25 for police) living in the
    /// members with data; None when the population is unknown.
    survey_coverage: Option<f64>,
    police_coverage: Option<f64>,
    year: Option<i32>,
}

/// Plans the region: it needs at least two members with data (one member alone would just
/// repeat that municipality).
fn plan_region(cfg: &Config, with_data: &BTreeSet<&str>, pop: &Population) -> Option<RegionPlan> {
    let r = &cfg.region;
    let have: Vec<String> = r
        .members
        .iter()
        .filter(|m| with_data.contains(m.as_str()))
        .cloned()
        .collect();
    if have.len() < 2 {
        return None;
    }
    let year = pop.latest_year();
    let cover = |band: AgeRange| {
        if have.len() == r.members.len() {
            return Some(1.0);
        }
        pop.coverage(&r.members, &have, year?, band)
    };
    Some(RegionPlan {
        code: r.code.clone(),
        name: r.name.clone(),
        survey_coverage: cover(AgeRange {
            from: 13,
            to: Some(18),
        }),
        police_coverage: cover(AgeRange {
            from: 10,
            to: Some(25),
        }),
        with_data: have,
        year,
    })
}

/// The municipality dimension: every municipality, and the region above its members.
fn municipality_dimension(muns: &BTreeSet<&str>, region: Option<&RegionPlan>) -> Dimension {
    let mut d = Dimension::flat("municipality", &muns.iter().collect::<Vec<_>>());
    if let Some(r) = region {
        d.codes.push(r.code.clone());
        for m in &r.with_data {
            d.parent.insert(m.clone(), r.code.clone());
        }
    }
    d
}

/// Adds FHI's coverage rule for the region to a table's rules.
fn with_coverage(
    rules: Rules,
    region: Option<&RegionPlan>,
    share: fn(&RegionPlan) -> Option<f64>,
    min: f64,
) -> Rules {
    match region {
        Some(r) => Rules {
            coverage: Some(CoverageRule {
                dimension: "municipality".into(),
                min_share: min,
                // Unknown coverage is not proven coverage: the region stays hidden.
                shares: [(r.code.clone(), share(r).unwrap_or(0.0))].into(),
            }),
            ..rules
        },
        None => rules,
    }
}

/// The survey cells as a disclosure table (indicator × municipality (⊂ region) × year ×
/// grade (⊂ ungdomstrinn, videregående) × gender (⊂ alle)); totals come from the leaves.
fn survey_table(
    cells: &SurveyCells,
    cat: &Catalogue,
    region: Option<&RegionPlan>,
) -> Result<Table> {
    let muns: BTreeSet<&str> = cells
        .cells
        .iter()
        .map(|c| c.municipality.as_str())
        .collect();
    let years: BTreeSet<String> = cells
        .cells
        .iter()
        .map(|c| c.survey_year.to_string())
        .collect();
    let ids: Vec<&str> = cat.indicators.iter().map(|i| i.id.as_str()).collect();
    let grade_edges: Vec<(&str, &str)> = GRADES
        .iter()
        .filter(|g| !matches!(**g, "ungdomstrinn" | "videregaende"))
        .map(|g| {
            (
                *g,
                if g.starts_with("VG") {
                    "videregaende"
                } else {
                    "ungdomstrinn"
                },
            )
        })
        .collect();
    let dims = vec![
        Dimension::flat("indicator", &ids),
        municipality_dimension(&muns, region),
        Dimension::flat("survey_year", &years.into_iter().collect::<Vec<_>>()),
        Dimension::hierarchy("grade", &grade_edges),
        Dimension::hierarchy("gender", &[("gutt", "alle"), ("jente", "alle")]),
    ];
    let leaves = cells
        .cells
        .iter()
        .filter(|c| grade_edges.iter().any(|(g, _)| *g == c.grade) && c.gender != "alle")
        .map(|c| Cell {
            key: vec![
                c.indicator.clone(),
                c.municipality.clone(),
                c.survey_year.to_string(),
                c.grade.clone(),
                c.gender.clone(),
            ],
            value: c.numerator.into(),
            denominator: Some(c.denominator.into()),
        })
        .collect();
    Ok(Table::from_inner("ungdata", dims, leaves)?)
}

/// The police counts as a disclosure table with every total (municipality ⊂ region;
/// offence groups ⊂ alle; age bands ⊂ 10–25 ⊂ alle, andre ⊂ alle).
fn police_table(counts: &PoliceCounts, region: Option<&RegionPlan>) -> Result<Table> {
    let muns: BTreeSet<&str> = counts
        .rows
        .iter()
        .map(|c| c.municipality.as_str())
        .collect();
    let quarters: BTreeSet<&str> = counts.rows.iter().map(|c| c.quarter.as_str()).collect();
    let mut age: Vec<(&str, &str)> = AGE_BANDS.iter().map(|b| (*b, AGE_TARGET)).collect();
    age.push((AGE_TARGET, AGE_ALL));
    age.push((AGE_OTHER, AGE_ALL));
    let dims = vec![
        municipality_dimension(&muns, region),
        Dimension::flat("quarter", &quarters.into_iter().collect::<Vec<_>>()),
        offence_dimension(),
        Dimension::hierarchy("age_band", &age),
    ];
    let inner = counts
        .rows
        .iter()
        .map(|r| Cell {
            key: vec![
                r.municipality.clone(),
                r.quarter.clone(),
                r.offence_group.clone(),
                r.age_band.clone(),
            ],
            value: r.count.into(),
            denominator: None,
        })
        .collect();
    Ok(Table::from_inner("politi", dims, inner)?)
}

/// SSB's offence groups under their total, shared by the police and the flag table.
fn offence_dimension() -> Dimension {
    let offence: Vec<(&str, &str)> = OFFENCE_GROUPS
        .iter()
        .map(|g| (g.0, OFFENCE_TOTAL))
        .collect();
    Dimension::hierarchy("offence_group", &offence)
}

/// Keeps only the quarters whose police counts are complete for every municipality with
/// police data (every offence group with every age band: quarantined rows can leave a group
/// out, and an extract may lack a municipality) — otherwise the region's total for the
/// quarter would silently be a partial sum. Flags are kept for the municipality-quarters
/// whose flags cover every group. What is left out is named in the returned lines, for the
/// run summary; the quarantine file says why.
fn complete_quarters(counts: &mut PoliceCounts) -> Vec<String> {
    let per_quarter = OFFENCE_GROUPS.len() * (AGE_BANDS.len() + 1);
    let muns: BTreeSet<String> = counts.rows.iter().map(|r| r.municipality.clone()).collect();
    let mut cells: BTreeMap<(String, String), usize> = BTreeMap::new();
    for r in &counts.rows {
        *cells
            .entry((r.quarter.clone(), r.municipality.clone()))
            .or_default() += 1;
    }
    let quarters: BTreeSet<String> = cells.keys().map(|k| k.0.clone()).collect();
    let mut lines = Vec::new();
    let mut dropped = BTreeSet::new();
    for q in &quarters {
        let lacking: Vec<&str> = muns
            .iter()
            .filter(|m| cells.get(&(q.clone(), (*m).clone())) != Some(&per_quarter))
            .map(String::as_str)
            .collect();
        if !lacking.is_empty() {
            lines.push(format!(
                "police {}: incomplete for {} (offence groups quarantined or not in the extract); the quarter is left out",
                q.replace('Q', "K"),
                lacking.join(", ")
            ));
            dropped.insert(q.clone());
        }
    }
    let mut flags: BTreeMap<(String, String), BTreeMap<&str, usize>> = BTreeMap::new();
    for f in &counts.flags {
        *flags
            .entry((f.municipality.clone(), f.quarter.clone()))
            .or_default()
            .entry(f.flag.as_str())
            .or_default() += 1;
    }
    let flags_incomplete: BTreeSet<(String, String)> = flags
        .into_iter()
        .filter(|(_, by_flag)| by_flag.values().any(|n| *n != OFFENCE_GROUPS.len()))
        .map(|(k, _)| k)
        .collect();
    for (m, q) in &flags_incomplete {
        if !dropped.contains(q) {
            lines.push(format!(
                "police {m} {}: flags missing for some offence groups; the flag table leaves it out",
                q.replace('Q', "K")
            ));
        }
    }
    counts.rows.retain(|r| !dropped.contains(&r.quarter));
    counts.flags.retain(|f| {
        !dropped.contains(&f.quarter)
            && !flags_incomplete.contains(&(f.municipality.clone(), f.quarter.clone()))
    });
    lines
}

/// The flag table (vold i nære relasjoner, hatkriminalitet, uteliv): municipality × quarter ×
/// offence group (with its total) × flag, each cell bounded by the police count it is part
/// of (same municipality, quarter and group, all ages). Flags overlap, so the flag
/// dimension has no total; the region is left out (extracts without flag columns would
/// make its sum partial). Returns the table and, per cell, whether the police table hides
/// the count that bounds it. None when no extract had flag columns.
fn flag_table(
    counts: &PoliceCounts,
    police: &Protected<ProtectedTable>,
) -> Result<Option<(Table, Vec<bool>)>> {
    if counts.flags.is_empty() {
        return Ok(None);
    }
    let muns: BTreeSet<&str> = counts
        .flags
        .iter()
        .map(|f| f.municipality.as_str())
        .collect();
    let quarters: BTreeSet<&str> = counts.flags.iter().map(|f| f.quarter.as_str()).collect();
    let flags: Vec<&str> = FLAGS.iter().map(|f| f.0).collect();
    let dims = vec![
        municipality_dimension(&muns, None),
        Dimension::flat("quarter", &quarters.into_iter().collect::<Vec<_>>()),
        offence_dimension(),
        Dimension::flat("flag", &flags),
    ];
    let inner = counts
        .flags
        .iter()
        .map(|f| Cell {
            key: vec![
                f.municipality.clone(),
                f.quarter.clone(),
                f.offence_group.clone(),
                f.flag.clone(),
            ],
            value: f.count.into(),
            denominator: None,
        })
        .collect();
    let mut table = Table::from_inner("politi_kjennetegn", dims, inner)?;
    // What a reader knows of each bounding police count: its value when published, else
    // the upper end of the interval the police table's audit solved (and its suppression
    // log shows) — never a hidden value. A range proven without solving (a police table
    // too large to solve exactly) comes from the true values and must not become a bound.
    if police.audit().bounds.iter().any(|b| !b.exact) {
        anyhow::bail!(
            "table `{}`: the audit proved its hidden cells without solving their intervals \
             exactly (the table is very large), so they cannot bound the flagged offences",
            police.name()
        );
    }
    let upper: BTreeMap<usize, Option<u64>> = police
        .audit()
        .bounds
        .iter()
        .map(|b| (b.cell, b.upper))
        .collect();
    let known: BTreeMap<&[String], (bool, Option<u64>)> = police
        .cells()
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let bound = match c.value() {
                Some(v) => Some(v),
                None => upper.get(&i).copied().flatten(),
            };
            (c.key(), (c.value().is_none(), bound))
        })
        .collect();
    let mut linked = Vec::with_capacity(table.cells.len());
    for c in &mut table.cells {
        let key = [
            c.key[0].clone(),
            c.key[1].clone(),
            c.key[2].clone(),
            AGE_ALL.to_owned(),
        ];
        // A bound the police table does not have counts as hidden and unbounded.
        let (hidden, bound) = known.get(&key[..]).copied().unwrap_or((true, None));
        c.denominator = bound;
        linked.push(hidden);
    }
    Ok(Some((table, linked)))
}

/// Writes an Arrow batch as a stage Parquet file.
pub fn write_stage<E: std::error::Error + Send + Sync + 'static>(
    path: &Path,
    batch: std::result::Result<
        (
            std::sync::Arc<arrow::datatypes::Schema>,
            arrow::record_batch::RecordBatch,
        ),
        E,
    >,
) -> Result<()> {
    let (schema, batch) =
        batch.with_context(|| format!("{}: building Arrow batch", path.display()))?;
    oppvekst_schema::io::write_parquet(path, schema, &[batch])?;
    Ok(())
}

fn summary_row(t: &Protected<ProtectedTable>) -> (String, usize, usize, usize) {
    let s = t.summary();
    (t.name().to_owned(), s.cells, s.primary, s.secondary)
}

/// Runs the whole pipeline on the files in `inbox` as one stand-alone release (the demo).
pub fn run(cfg: &Config, inbox: &Path, work: &Path, bundle: &Path) -> Result<RunSummary> {
    let cat = Catalogue::builtin()?;
    let harmoniser = Harmoniser::builtin()?;
    let ing = ingest(cfg, &cat, &harmoniser, inbox, work)?;
    finish(cfg, &cat, work, ing, bundle, None)
}

/// (file, quarter, what the store did) of one police import.
pub type Import = (String, String, oppvekst_ingest_police::history::Outcome);

/// Reads police extracts one file at a time (so a later file may correct an earlier one) and
/// imports each into the history store. Returns the reconciliation, the inputs and what
/// happened to each quarter.
pub fn import_police(
    cfg: &Config,
    harmoniser: &Harmoniser,
    files: &[(String, PathBuf)],
    store: &oppvekst_ingest_police::history::Store,
    work: &Path,
    when: &str,
) -> Result<(Reconciliation, Vec<InputFile>, Vec<Import>)> {
    let (files, recon) = read_police(cfg, harmoniser, files, work, false)?;
    let mut inputs = Vec::new();
    let mut outcomes = Vec::new();
    for (input, counts) in files {
        for (quarter, o) in store.import(&input.name, &input.sha256, &counts, when)? {
            outcomes.push((input.name.clone(), quarter, o));
        }
        inputs.push(input);
    }
    Ok((recon, inputs, outcomes))
}

/// A quarterly release: the ledger of earlier releases and this release's id.
pub struct Release<'a> {
    /// Ledger with every recorded release.
    pub ledger: &'a mut oppvekst_disclosure::Ledger,
    /// This release's id (the quarter).
    pub id: String,
}

/// Aggregates, protects (consistently with earlier releases when given), analyses and
/// writes the bundle; records the release in the ledger once the bundle is written.
fn finish(
    cfg: &Config,
    cat: &Catalogue,
    work: &Path,
    ing: Ingested,
    bundle: &Path,
    release: Option<Release<'_>>,
) -> Result<RunSummary> {
    let mut ing = ing;
    for line in complete_quarters(&mut ing.police) {
        println!("  {line}");
    }
    let stages = work.join("stages");
    let cells = &ing.survey.cells;
    write_stage(
        &stages.join("survey_cells.parquet"),
        cells.to_record_batch(),
    )?;
    write_stage(
        &stages.join("police_counts.parquet"),
        ing.police.to_record_batch(),
    )?;
    let earlier = release
        .as_ref()
        .map(|r| r.ledger.before(&r.id))
        .unwrap_or_default();

    let with_data: BTreeSet<&str> = cells
        .cells
        .iter()
        .map(|c| c.municipality.as_str())
        .chain(ing.police.rows.iter().map(|r| r.municipality.as_str()))
        .collect();
    let mut population = ing.public.population.clone();
    let region = plan_region(cfg, &with_data, &population);
    if let Some(r) = &region {
        population.add_aggregate(&r.code, &r.with_data);
    }
    let min = cfg.region.min_coverage;
    let survey_rules = with_coverage(
        cfg.survey_rules(),
        region.as_ref(),
        |r| r.survey_coverage,
        min,
    );
    let police_rules = with_coverage(
        cfg.police_rules(),
        region.as_ref(),
        |r| r.police_coverage,
        min,
    );
    let survey = protect_release(
        &survey_table(cells, cat, region.as_ref())?,
        &survey_rules,
        &earlier,
    )?;
    let police = protect_release(
        &police_table(&ing.police, region.as_ref())?,
        &police_rules,
        &earlier,
    )?;
    let flag_rules = cfg.police_rules();
    let police_flags = match flag_table(&ing.police, &police)? {
        Some((table, linked)) => Some(protect_linked(&table, &flag_rules, &earlier, &linked)?),
        None => None,
    };

    let indicators = survey_indicators(&survey, cat)?;
    let wave_changes = changes(&indicators, cfg.report.alpha);
    let has_population = !population.is_empty();
    let series = police_series(&police, has_population.then_some(&population))?;
    let municipality_codes: Vec<String> =
        cfg.municipalities.iter().map(|m| m.code.clone()).collect();
    let comparisons = compare(
        &indicators,
        &ing.public.reference,
        &municipality_codes,
        cfg.report.standardise,
        cfg.report.alpha,
    )?;

    let last_quarter = ing
        .police
        .rows
        .iter()
        .map(|r| r.quarter.as_str())
        .max()
        .unwrap_or("");
    let years = &ing.survey.years;
    let period_label = format!(
        "Ungdata {}–{}, politiets tall til og med {}",
        years.first().copied().unwrap_or_default(),
        years.last().copied().unwrap_or_default(),
        last_quarter.replace('Q', "K")
    );
    let mut municipalities: Vec<MunicipalityStyle> = cfg
        .municipalities
        .iter()
        .enumerate()
        .map(|(i, m)| MunicipalityStyle {
            code: m.code.clone(),
            name: m.name.clone(),
            colour: PALETTE[i % PALETTE.len()],
        })
        .collect();
    // The region keeps the last palette colour, so it never changes with the number of
    // municipalities.
    let region_note = region.as_ref().map(|r| {
        municipalities.push(MunicipalityStyle {
            code: r.code.clone(),
            name: r.name.clone(),
            colour: PALETTE[PALETTE.len() - 1],
        });
        region_sentence(cfg, r, &municipalities)
    });
    let population_note = has_population.then(|| {
        format!(
            "befolkning per 1. januar fra {}",
            population.sources.join(" og ")
        )
    });
    let input = BundleInput {
        title: cfg.report.title.clone(),
        period_label,
        release_date: Some(cfg.report.release_date.clone()).filter(|d| !d.is_empty()),
        municipalities,
        catalogue: cat,
        survey: &survey,
        police: &police,
        police_flags: police_flags.as_ref().map(|t| (t, &flag_rules)),
        survey_rules: &survey_rules,
        police_rules: &police_rules,
        indicators: &indicators,
        changes: &wave_changes,
        police_series: &series,
        comparisons: &comparisons,
        reference: &ing.public.reference,
        region: region.as_ref().map(|r| r.code.clone()).zip(region_note),
        population_note,
        inputs: ing.inputs,
        reconciliation: ing.reconciliation.clone(),
    };
    let manifest = write_bundle(&input, bundle)?;
    if let Some(r) = release {
        r.ledger.record(&r.id, &survey);
        r.ledger.record(&r.id, &police);
        if let Some(flags) = &police_flags {
            r.ledger.record(&r.id, flags);
        }
    }
    Ok(RunSummary {
        bundle: bundle.to_owned(),
        files: manifest.files.len() + 2,
        reconciliation: ing.reconciliation,
        hidden: [Some(&survey), Some(&police), police_flags.as_ref()]
            .into_iter()
            .flatten()
            .map(summary_row)
            .collect(),
    })
}

/// The report's sentence on what the region covers.
fn region_sentence(cfg: &Config, r: &RegionPlan, styles: &[MunicipalityStyle]) -> String {
    let name = |code: &str| {
        styles
            .iter()
            .find(|m| m.code == code)
            .map(|m| m.name.clone())
            .unwrap_or_else(|| code.to_owned())
    };
    let members: Vec<String> = r.with_data.iter().map(|m| name(m)).collect();
    let members = match members.as_slice() {
        [rest @ .., last] if !rest.is_empty() => format!("{} og {last}", rest.join(", ")),
        _ => members.join(""),
    };
    let pct = |c: Option<f64>| {
        c.map(|c| format!("{} %", (c * 100.0).round()))
            .unwrap_or_else(|| "ukjent andel".into())
    };
    let mut s = format!(
        "{}: summen av {members}, som har {} av regionens unge 13–18 år og {} av de 10–25 år",
        r.name,
        pct(r.survey_coverage),
        pct(r.police_coverage)
    );
    if let Some(y) = r.year {
        s.push_str(&format!(" (befolkning 1. januar {y})"));
    }
    let min = cfg.region.min_coverage;
    if [r.survey_coverage, r.police_coverage]
        .iter()
        .any(|c| c.is_none_or(|c| c < min))
    {
        s.push_str(&format!(
            ". Regiontall som dekker under {} % av ungdommene vises ikke",
            (min * 100.0).round()
        ));
    }
    s.push('.');
    s
}

/// What `run --quarter` did.
pub struct QuarterRun {
    /// Pipeline summary.
    pub summary: RunSummary,
    /// (file, quarter, outcome) of every police import.
    pub imports: Vec<Import>,
}

/// The analyst's quarterly job: import whatever is new in the inbox into the history store,
/// then produce the quarter's bundle from the newest revisions up to `quarter`, protected
/// consistently with every earlier release recorded in the ledger.
pub fn run_quarter(cfg: &Config, quarter: &str, when: &str) -> Result<QuarterRun> {
    if oppvekst_schema::codes::parse_quarter(quarter).is_none() {
        bail!("--quarter `{quarter}`: expected YYYYQn, for example 2025Q4");
    }
    let quarter = quarter.replace(['K', 'k', 'q'], "Q");
    let cat = Catalogue::builtin()?;
    let harmoniser = Harmoniser::builtin()?;
    let (inbox, work) = (&cfg.paths.inbox, &cfg.paths.work);
    let store = oppvekst_ingest_police::history::Store::open(&work.join("store"))?;
    let (police_recon, mut inputs, imports) = import_police(
        cfg,
        &harmoniser,
        &named(inbox, "police", POLICE_EXTENSIONS)?,
        &store,
        work,
        when,
    )?;
    let survey_files = named(inbox, "survey", SURVEY_EXTENSIONS)?;
    if survey_files.is_empty() {
        bail!("{}: no survey exports (survey/*.csv)", inbox.display());
    }
    let (survey, survey_recon, more) = ingest_survey(cfg, &cat, &harmoniser, &survey_files, work)?;
    inputs.extend(more);
    let mut police = store.latest()?;
    police
        .rows
        .retain(|r| r.quarter.as_str() <= quarter.as_str());
    police
        .flags
        .retain(|f| f.quarter.as_str() <= quarter.as_str());
    for line in complete_quarters(&mut police) {
        println!("  {line}");
    }
    if !police.rows.iter().any(|r| r.quarter == quarter) {
        bail!(
            "no police extract for {quarter} in the store, or it is incomplete (put it in {}/police and run again)",
            inbox.display()
        );
    }
    let ledger_path = work.join("store/ledger.json");
    let mut ledger: oppvekst_disclosure::Ledger = if ledger_path.exists() {
        let text = fs::read(&ledger_path)
            .with_context(|| format!("{}: cannot read", ledger_path.display()))?;
        serde_json::from_slice(&text)
            .with_context(|| format!("{}: not a ledger", ledger_path.display()))?
    } else {
        Default::default()
    };
    let public = read_public(cfg, &cat, &harmoniser, inbox, work)?;
    inputs.extend(public.inputs.iter().cloned());
    let mut reconciliation = vec![survey_recon, police_recon];
    reconciliation.extend(public.reconciliation.clone());
    let ing = Ingested {
        survey,
        police,
        public,
        inputs,
        reconciliation,
    };
    let bundle = cfg.paths.bundle.join(&quarter);
    let summary = finish(
        cfg,
        &cat,
        work,
        ing,
        &bundle,
        Some(Release {
            ledger: &mut ledger,
            id: quarter.clone(),
        }),
    )?;
    oppvekst_schema::io::write_atomic(&ledger_path, serde_json::to_string(&ledger)?.as_bytes())?;
    Ok(QuarterRun { summary, imports })
}

#[cfg(test)]
mod tests {
    use super::*;
    use oppvekst_ingest_police::{FlagCount, PoliceCount};

    fn quarter(m: &str, q: &str, groups: usize) -> Vec<PoliceCount> {
        let mut bands: Vec<&str> = AGE_BANDS.to_vec();
        bands.push(AGE_OTHER);
        OFFENCE_GROUPS[..groups]
            .iter()
            .flat_map(|g| {
                bands.iter().map(move |b| PoliceCount {
                    municipality: m.into(),
                    quarter: q.into(),
                    offence_group: g.0.into(),
                    age_band: (*b).into(),
                    count: 1,
                })
            })
            .collect()
    }

    fn flags(m: &str, q: &str, groups: usize) -> Vec<FlagCount> {
        OFFENCE_GROUPS[..groups]
            .iter()
            .map(|g| FlagCount {
                municipality: m.into(),
                quarter: q.into(),
                offence_group: g.0.into(),
                flag: "uteliv".into(),
                count: 0,
            })
            .collect()
    }

    #[test]
    fn incomplete_quarters_and_flags_are_left_out_and_named() {
        let all = OFFENCE_GROUPS.len();
        let mut counts = PoliceCounts::default();
        counts.rows.extend(quarter("3105", "2025Q3", all));
        counts.rows.extend(quarter("3107", "2025Q3", all - 1));
        counts.rows.extend(quarter("3105", "2025Q4", all));
        counts.rows.extend(quarter("3107", "2025Q4", all));
        counts.flags.extend(flags("3105", "2025Q4", all));
        counts.flags.extend(flags("3107", "2025Q4", all - 2));
        let lines = complete_quarters(&mut counts);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[0].contains("2025K3: incomplete for 3107"),
            "{}",
            lines[0]
        );
        assert!(
            lines[1].contains("3107 2025K4: flags missing"),
            "{}",
            lines[1]
        );
        assert!(counts.rows.iter().all(|r| r.quarter == "2025Q4"));
        assert_eq!(counts.rows.len(), 2 * all * (AGE_BANDS.len() + 1));
        assert!(counts.flags.iter().all(|f| f.municipality == "3105"));
        // Complete data is left as it is.
        let before = counts.clone();
        assert!(complete_quarters(&mut counts).is_empty());
        assert_eq!(counts, before);
    }
}
