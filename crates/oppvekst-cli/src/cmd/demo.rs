//! `oppvekst demo`: generate the built-in demo inputs and run the whole pipeline on them.

use std::path::{Path, PathBuf};

use anyhow::Result;
use oppvekst_synth::DEFAULT_SEED;

/// Arguments of `demo`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Where to write the chart bundle.
    #[arg(long, default_value = "demo-bundle")]
    out: PathBuf,
    /// Working folder for the generated inputs and the confidential stage files.
    #[arg(long, default_value = "demo-work")]
    work: PathBuf,
}

/// Runs `demo`.
pub fn run(config: Option<&Path>, args: Args) -> Result<()> {
    let mut cfg = crate::config::load(config)?;
    if cfg.report.release_date.is_empty() {
        // The demo data end in 2025; a fixed date keeps the bundle reproducible.
        cfg.report.release_date = "2026-02-15".into();
    }
    let _lock = crate::worklock::exclusive(&args.work)?;
    let inbox = args.work.join("inbox");
    let n = crate::cmd::synth::write(&inbox, DEFAULT_SEED)?;
    println!(
        "demo: wrote {n} synthetic input files to {}",
        inbox.display()
    );
    let files = crate::inbox::discover(&inbox)?;
    let bars = crate::progress::Bars::new();
    let summary = oppvekst_release::run_demo(&cfg, &files, &args.work, &args.out, &bars)?;
    crate::summary::print(&summary);
    Ok(())
}
