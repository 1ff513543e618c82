//! `oppvekst status`: what the history store holds and what is missing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::Result;
use oppvekst_ingest_police::history::Store;
use oppvekst_schema::codes::{format_quarter, parse_quarter};

use crate::config::Config;

/// Runs `status`.
pub fn run(config: Option<&Path>) -> Result<()> {
    let cfg = Config::load(config)?;
    let store_path = cfg.paths.work.join("store");
    if !store_path.join("police/log.csv").exists() {
        println!(
            "{}: the history store is empty (run `oppvekst run --quarter …` first)",
            store_path.display()
        );
        return Ok(());
    }
    let store = Store::open(&store_path)?;
    let log = store.log()?;
    let latest = store.latest()?;
    let mut revisions: BTreeMap<&str, (u32, &str)> = BTreeMap::new();
    for e in &log {
        let r = revisions.entry(e.quarter.as_str()).or_insert((0, ""));
        if e.revision >= r.0 {
            *r = (e.revision, e.source.as_str());
        }
    }
    let mut muns: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for r in &latest.rows {
        muns.entry(r.quarter.as_str())
            .or_default()
            .insert(r.municipality.as_str());
    }
    println!(
        "{}: {} quarters, {} revisions in all",
        store_path.display(),
        revisions.len(),
        log.len()
    );
    let flagged: BTreeSet<&str> = latest.flags.iter().map(|f| f.quarter.as_str()).collect();
    for (q, (rev, src)) in &revisions {
        let flags = if flagged.contains(q) {
            "  with flags"
        } else {
            ""
        };
        println!("  {q}  revision {rev}  from {src}{flags}");
    }
    let quarters: Vec<(i32, u8)> = revisions.keys().filter_map(|q| parse_quarter(q)).collect();
    let mut missing = Vec::new();
    if let (Some(first), Some(last)) = (quarters.first(), quarters.last()) {
        let (mut y, mut q) = *first;
        while (y, q) <= *last {
            let code = format_quarter(y, q);
            if !revisions.contains_key(code.as_str()) {
                missing.push(code);
            }
            (y, q) = if q == 4 { (y + 1, 1) } else { (y, q + 1) };
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
            println!("{q}: no data for {}", absent.join(", "));
        }
    }
    Ok(())
}
