//! `oppvekst run --quarter 2025Q4`: the analyst's whole quarterly job in one command.

use std::path::Path;

use anyhow::Result;
use oppvekst_ingest_police::history::Outcome;

use crate::config::Config;
use crate::pipeline::run_quarter;

/// Arguments of `run`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The quarter to publish, `YYYYQn` (or `YYYYKn`).
    #[arg(long)]
    quarter: String,
}

/// Now as `YYYY-MM-DDTHH:MM:SSZ`, for the store's revision log only (never in a bundle).
fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Runs `run`.
pub fn run(config: Option<&Path>, args: Args) -> Result<()> {
    let cfg = Config::load(config)?;
    let r = run_quarter(&cfg, &args.quarter, &now_utc())?;
    let count = |f: fn(&Outcome) -> bool| r.imports.iter().filter(|(_, _, o)| f(o)).count();
    println!(
        "history store: {} new quarters, {} revised, {} unchanged",
        count(|o| *o == Outcome::New),
        count(|o| matches!(o, Outcome::Revised(_))),
        count(|o| *o == Outcome::Unchanged)
    );
    for (file, q, o) in &r.imports {
        if let Outcome::Revised(n) = o {
            println!("  {q}: revised by {file} ({n} cells changed)");
        }
    }
    println!("{}", r.summary);
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_format() {
        let s = super::now_utc();
        assert_eq!(s.len(), 20);
        assert!(s.starts_with("20") && s.ends_with('Z'));
    }
}
