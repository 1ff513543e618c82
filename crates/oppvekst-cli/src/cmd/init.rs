//! `oppvekst init`: write the commented default configuration.

use std::path::PathBuf;

use anyhow::{Result, bail};

use crate::config::DEFAULT_TOML;

/// Arguments of `init`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Where to write the configuration.
    #[arg(default_value = "oppvekst.toml")]
    path: PathBuf,
    /// Overwrite an existing file.
    #[arg(long)]
    force: bool,
}

/// Writes the default configuration file.
pub fn run(args: Args) -> Result<()> {
    if args.path.exists() && !args.force {
        bail!(
            "{}: already exists (use --force to overwrite)",
            args.path.display()
        );
    }
    oppvekst_schema::io::write_atomic(&args.path, DEFAULT_TOML.as_bytes())?;
    println!("wrote {}", args.path.display());
    Ok(())
}
