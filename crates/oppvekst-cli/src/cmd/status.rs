//! `oppvekst status [--quarter Q]`: what the history store holds, and everything a run of the
//! quarter (without `--quarter`: the newest quarter any source holds) would miss; exits
//! non-zero when that run would fail.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context, Result, bail};
use oppvekst_ingest_police::history::Store;
use oppvekst_release::preflight::preflight;
use oppvekst_schema::quarter::Quarter;

/// Arguments of `status`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The quarter whose run to check, `YYYYQn` (default: the newest quarter any source
    /// holds).
    #[arg(long)]
    quarter: Option<String>,
}

/// Runs `status`.
pub fn run(config: Option<&Path>, args: Args) -> Result<()> {
    let cfg = crate::config::load(config)?;
    let quarter: Option<Quarter> = args
        .quarter
        .as_deref()
        .map(|q| q.parse().with_context(|| format!("--quarter `{q}`")))
        .transpose()?;
    let store_path = cfg.paths.work.join("store");
    let _lock = if cfg.paths.work.exists() {
        Some(crate::worklock::shared(&cfg.paths.work)?)
    } else {
        None
    };
    if Store::exists(&store_path) {
        print_store(&cfg, &store_path)?;
    } else {
        println!(
            "{}: the history store is empty (run `oppvekst run --quarter …` first)",
            store_path.display()
        );
    }
    let inbox = crate::inbox::discover(&cfg.paths.inbox)?;
    let p = preflight(&cfg, &inbox, quarter)?;
    let q = p
        .quarter
        .map_or_else(|| "the next quarter".to_owned(), |q| q.code());
    if p.missing.is_empty() {
        println!("run --quarter {q}: nothing missing");
        return Ok(());
    }
    println!("run --quarter {q}: missing");
    for m in &p.missing {
        let mark = if m.stops_the_run {
            "stops the run"
        } else {
            "note"
        };
        println!("  [{mark}] {}", m.what);
    }
    if p.run_would_fail() {
        bail!("`oppvekst run --quarter {q}` would fail: see the list above");
    }
    Ok(())
}

/// What the history store holds: each quarter's newest revision, gaps, municipalities.
fn print_store(cfg: &oppvekst_release::config::Config, store_path: &Path) -> Result<()> {
    let store = Store::open(store_path)?;
    let log = store.log()?;
    let latest = store.latest()?;
    let mut revisions: BTreeMap<Quarter, (u32, &str)> = BTreeMap::new();
    for e in &log {
        let r = revisions.entry(e.quarter).or_insert((0, ""));
        if e.revision >= r.0 {
            *r = (e.revision, e.source.as_str());
        }
    }
    let mut muns: BTreeMap<Quarter, BTreeSet<&str>> = BTreeMap::new();
    for r in &latest.rows {
        muns.entry(r.quarter)
            .or_default()
            .insert(r.municipality.as_str());
    }
    println!(
        "{}: {} quarters, {} revisions in all",
        store_path.display(),
        revisions.len(),
        log.len()
    );
    let flagged: BTreeSet<Quarter> = latest.flags.iter().map(|f| f.quarter).collect();
    for (q, (rev, src)) in &revisions {
        let flags = if flagged.contains(q) {
            "  with flags"
        } else {
            ""
        };
        println!("  {}  revision {rev}  from {src}{flags}", q.code());
    }
    let mut missing = Vec::new();
    if let (Some(first), Some(last)) = (revisions.keys().next(), revisions.keys().last()) {
        let mut q = *first;
        while q <= *last {
            if !revisions.contains_key(&q) {
                missing.push(q.code());
            }
            q = q.next();
        }
    }
    if missing.is_empty() {
        println!("no quarter is missing between the first and the last");
    } else {
        println!("quarters without an extract: {}", missing.join(", "));
    }
    for (q, present) in &muns {
        let absent: Vec<&str> = cfg
            .municipalities
            .iter()
            .filter(|m| !present.contains(m.code.as_str()))
            .map(|m| m.name.as_str())
            .collect();
        if !absent.is_empty() {
            println!("{}: no data for {}", q.code(), absent.join(", "));
        }
    }
    Ok(())
}
