//! The TOML file: read from disk here; parsed and validated by the release library.

use std::path::Path;

use anyhow::{Context, Result};
pub use oppvekst_release::config::{Config, DEFAULT_TOML};

/// Reads a config file, or the defaults when `path` is None.
pub fn load(path: Option<&Path>) -> Result<Config> {
    match path {
        None => Ok(Config::default()),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("{}: cannot read config", p.display()))?;
            Ok(Config::parse(&p.display().to_string(), &text)?)
        }
    }
}
