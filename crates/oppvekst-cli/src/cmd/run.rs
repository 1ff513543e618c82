//! `oppvekst run --quarter 2025Q4`: the analyst's whole quarterly job in one command.

use std::path::Path;

use anyhow::{Context, Result};
use oppvekst_ingest_police::history::Outcome;
use oppvekst_schema::quarter::Quarter;

/// Arguments of `run`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The quarter to publish, `YYYYQn` (or `YYYYKn`).
    #[arg(long)]
    quarter: String,
}

/// Now as `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339, whole seconds), for the store's revision log
/// only (never in a bundle). `SOURCE_DATE_EPOCH` (seconds since 1970, the reproducible-builds
/// convention) fixes it, so that two runs of the same inputs leave the same store bytes.
fn now_utc() -> String {
    let now = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map_or_else(std::time::SystemTime::now, |s| {
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(s)
        });
    humantime::format_rfc3339_seconds(now).to_string()
}

/// Runs `run`.
pub fn run(config: Option<&Path>, args: Args) -> Result<()> {
    let cfg = crate::config::load(config)?;
    let quarter: Quarter = args
        .quarter
        .parse()
        .with_context(|| format!("--quarter `{}`", args.quarter))?;
    let _lock = crate::worklock::exclusive(&cfg.paths.work)?;
    let inbox = crate::inbox::discover(&cfg.paths.inbox)?;
    let bars = crate::progress::Bars::new();
    let r = oppvekst_release::run_quarter(&cfg, &inbox, quarter, &now_utc(), &bars)?;
    let count = |f: fn(&Outcome) -> bool| r.imports.iter().filter(|i| f(&i.outcome)).count();
    println!(
        "history store: {} new quarters, {} revised, {} unchanged",
        count(|o| *o == Outcome::New),
        count(|o| matches!(o, Outcome::Revised(_))),
        count(|o| *o == Outcome::Unchanged)
    );
    for i in &r.imports {
        if let Outcome::Revised(n) = i.outcome {
            println!(
                "  {}: revised by {} ({n} cells changed)",
                i.quarter.code(),
                i.file
            );
        }
    }
    crate::summary::print(&r.summary);
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_format() {
        let s = super::now_utc();
        assert_eq!(s.len(), 20, "{s}");
        assert!(s.starts_with("20") && s.ends_with('Z'));
        assert_eq!(&s[10..11], "T");
    }
}
