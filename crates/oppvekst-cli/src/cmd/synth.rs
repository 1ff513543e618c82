//! `oppvekst synth`: write the seeded synthetic inputs to a folder.

use std::path::{Path, PathBuf};

use anyhow::Result;
use oppvekst_synth::{DEFAULT_SEED, generate};

/// Arguments of `synth`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Output folder (gets `survey/` and `police/`).
    #[arg(long, default_value = "inbox")]
    out: PathBuf,
    /// Seed of the generator; the same seed gives byte-identical files.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
}

/// Writes the files and returns how many were written.
pub fn write(out: &Path, seed: u64) -> Result<usize> {
    let files = generate(seed);
    for f in &files {
        oppvekst_schema::io::write_atomic(&out.join(&f.path), &f.bytes)?;
    }
    Ok(files.len())
}

/// Runs `synth`.
pub fn run(args: Args) -> Result<()> {
    let n = write(&args.out, args.seed)?;
    println!("wrote {n} files to {}", args.out.display());
    Ok(())
}
