//! `oppvekst codebook check FILE…`: compares survey exports with the codebook before anything
//! is imported and prints the disagreements as a table.

use std::path::PathBuf;

use anyhow::{Result, bail};
use oppvekst_ingest_survey::drift_table;
use oppvekst_release::inputs::check_codebook;
use oppvekst_schema::Catalogue;

/// Codebook subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum Action {
    /// Compare survey exports (CSV, SPSS .sav/.zsav) with the codebook: codes the file uses
    /// that the codebook does not know, value labels that disagree with the codebook's
    /// meaning, variables the codebook lacks and items whose range differs. Exits non-zero
    /// when a disagreement would change a figure.
    Check {
        /// Survey exports.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// Runs `codebook`.
pub fn run(action: Action) -> Result<()> {
    let Action::Check { files } = action;
    let cat = Catalogue::builtin()?;
    let reports = check_codebook(&cat, &crate::inbox::given(&files))?;
    let findings: usize = reports.iter().map(|r| r.findings.len()).sum();
    if findings == 0 {
        println!("{} files agree with the codebook", reports.len());
        return Ok(());
    }
    print!("{}", drift_table(&reports, true));
    let bad: Vec<&str> = reports
        .iter()
        .filter(|r| r.changes_figures())
        .map(|r| r.file.as_str())
        .collect();
    if !bad.is_empty() {
        bail!(
            "{} of {} files disagree with the codebook in ways that would change figures: {}",
            bad.len(),
            reports.len(),
            bad.join(", ")
        );
    }
    println!(
        "{} files: no disagreement would change a figure",
        reports.len()
    );
    Ok(())
}
