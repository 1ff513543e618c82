//! `oppvekst ingest survey|police FILE…`: read input files on their own, with a summary,
//! quarantine and the stage Parquet files, without running the rest of the pipeline.

use std::path::PathBuf;

use anyhow::{Context, Result};
use oppvekst_release::inputs::{SurveyOutput, ingest_police, ingest_survey, refuse_drift};
use oppvekst_schema::Catalogue;

/// Which source.
#[derive(clap::Subcommand, Debug)]
pub enum Source {
    /// Ungdata-style survey exports: CSV (`;` or `,`, UTF-8 or Windows-1252), SPSS .sav/.zsav
    /// or Parquet.
    Survey(Files),
    /// Quarterly police extracts, CSV or .xlsx (data-schema/police_extract.md).
    Police(Files),
}

/// Files and where the results go.
#[derive(clap::Args, Debug)]
pub struct Files {
    /// Input files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Work folder for the stage files (confidential) and the quarantine.
    #[arg(long, default_value = "oppvekst-work")]
    work: PathBuf,
}

/// Writes an Arrow batch as a stage Parquet file.
fn write_stage<E: std::error::Error + Send + Sync + 'static>(
    path: &std::path::Path,
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

/// Runs `ingest`.
pub fn run(config: Option<&std::path::Path>, source: Source) -> Result<()> {
    let cfg = crate::config::load(config)?;
    let bars = crate::progress::Bars::new();
    let harmoniser = cfg.harmoniser()?;
    match source {
        Source::Survey(f) => {
            let _lock = crate::worklock::exclusive(&f.work)?;
            let cat = Catalogue::builtin()?;
            refuse_drift(&cat, &crate::inbox::given(&f.files))?;
            let (survey, recon, _) = ingest_survey(
                &cfg,
                &cat,
                &harmoniser,
                &crate::inbox::given(&f.files),
                &f.work,
                SurveyOutput::StageFiles,
                &bars,
            )?;
            let stages = f.work.join("stages");
            let cells = survey.cells;
            write_stage(
                &stages.join("survey_cells.parquet"),
                cells.to_record_batch(),
            )?;
            println!(
                "survey: {} files, {} rows read = {} accepted + {} quarantined ({}); {} cells → {}",
                recon.files,
                recon.read,
                recon.accepted,
                recon.quarantined,
                f.work.join("quarantine/survey.csv").display(),
                cells.cells.len(),
                stages.display()
            );
            let sum = |f: fn(&oppvekst_bundle::AnswerReconciliation) -> u64| {
                recon.answers.iter().map(f).sum::<u64>()
            };
            println!(
                "survey: {} answers read = {} valid + {} missing + {} invalid (read as missing, in the quarantine)",
                sum(|a| a.read),
                sum(|a| a.valid),
                sum(|a| a.missing),
                sum(|a| a.invalid)
            );
        }
        Source::Police(f) => {
            let _lock = crate::worklock::exclusive(&f.work)?;
            let (counts, recon, _) = ingest_police(
                &cfg,
                &harmoniser,
                &crate::inbox::given(&f.files),
                &f.work,
                &bars,
            )?;
            let stages = f.work.join("stages");
            write_stage(
                &stages.join("police_counts.parquet"),
                counts.to_record_batch(),
            )?;
            println!(
                "police: {} files, {} rows read = {} accepted + {} quarantined ({}); {} cells → {}",
                recon.files,
                recon.read,
                recon.accepted,
                recon.quarantined,
                f.work.join("quarantine/police.csv").display(),
                counts.rows.len(),
                stages.display()
            );
        }
    }
    Ok(())
}
