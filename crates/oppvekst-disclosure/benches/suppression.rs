//! Benchmark: choose the suppression pattern and audit it (every hidden cell's both bounds,
//! solved exactly) on the shared tables t1 and t2 (../shared/bench, see its README), audit
//! Statistics Norway's GaussSuppression pattern on the same tables, and do the same on a
//! generated national-size police table (356 municipalities × 40 quarters × 9 offence groups
//! × 4 age bands, with every total). Prints cells hidden, information lost (sum of hidden
//! values) and wall times. The shared tables are skipped with a message when the folder is
//! absent. Run: `cargo bench -p oppvekst-disclosure --bench suppression` (the shared tables);
//! `OPPVEKST_BENCH=national` for the national table alone, `=all` for both. The national
//! table is protected as `protect` does it (hypercubes), then audited by the independent
//! audit with the certificate of alternative tables the proof reached.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use oppvekst_audit::{AuditOptions, AuditReport, Publication, audit};
#[path = "common/tables.rs"]
mod tables;

use oppvekst_disclosure::csvtable::{inner_table, published_pattern};
use oppvekst_disclosure::{
    Ledger, PublishedTable, Rules, Status, Table, published_view, suppression_pattern,
};
use tables::{national, shared_spec as spec};

/// The independent audit of one table, every component solved exactly.
fn audit_one(view: &PublishedTable, width: u64) -> AuditReport {
    audit(
        &Publication::single(view.clone()),
        &AuditOptions {
            exact_limit: usize::MAX,
            ..AuditOptions::width(width)
        },
        &[],
    )
    .unwrap()
}

fn bench_dir() -> PathBuf {
    std::env::var_os("OPPVEKST_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench"))
}

fn load(path: &Path) -> Table {
    inner_table("bench", &std::fs::read_to_string(path).unwrap(), &spec()).unwrap()
}

/// GaussSuppression's published pattern on the same table, as the reader sees it.
fn gauss_pattern(table: &Table, path: &Path) -> PublishedTable {
    published_pattern(
        "gauss",
        table,
        &std::fs::read_to_string(path).unwrap(),
        &spec(),
        "suppressed",
        Some("primary"),
    )
    .unwrap()
    .table
}

/// Cells hidden by primary rules (`f(true)`) or as complements (`f(false)`), and the
/// information lost (sum of hidden values).
fn tally(table: &Table, status: &[Status]) -> (impl Fn(bool) -> usize, u64) {
    let rules: Vec<Option<bool>> = status
        .iter()
        .map(|s| s.rule().map(|r| r.is_primary()))
        .collect();
    let lost = table
        .cells
        .iter()
        .zip(status)
        .filter(|(_, s)| **s != Status::Published)
        .map(|(c, _)| c.value)
        .sum();
    let count = move |primary: bool| rules.iter().filter(|r| **r == Some(primary)).count();
    (count, lost)
}

/// One row of the results table for our method: pattern, then the full exact audit.
fn run_ours(name: &str, label: &str, table: &Table, rules: &Rules) {
    let start = Instant::now();
    let pattern = suppression_pattern(table, rules, &Ledger::default()).unwrap();
    let pattern_s = start.elapsed().as_secs_f64();
    let view = PublishedTable {
        name: name.into(),
        ..published_view(table, &pattern.status)
    };
    let start = Instant::now();
    let a = audit_one(&view, rules.protection_width);
    let audit_s = start.elapsed().as_secs_f64();
    let (hidden, lost) = tally(table, &pattern.status);
    println!(
        "{name} | {label} | {} | {} | {} | {} | {lost} | {pattern_s:.2} | {audit_s:.2} | {:?} | {} | {} | {} ({})",
        table.cells.len(),
        hidden(true),
        hidden(false),
        hidden(true) + hidden(false),
        a.tables[0].narrowest,
        a.failures().count(),
        pattern.rounds,
        a.components,
        a.largest_component
    );
}

/// A seeded generator (splitmix64): the national table must be the same on every run.
fn main() {
    let which = std::env::var("OPPVEKST_BENCH").unwrap_or_else(|_| "shared".into());
    println!(
        "table | method | cells | primary | secondary | hidden | info lost | pattern s | audit s | narrowest | audit failures | rounds | components (largest)"
    );
    if which == "all" || which == "shared" {
        shared();
    }
    if which == "all" || which == "national" {
        let start = Instant::now();
        let table = national();
        eprintln!(
            "national table built in {:.1} s",
            start.elapsed().as_secs_f64()
        );
        let rules = Rules::police_default();
        let start = Instant::now();
        let pattern = suppression_pattern(&table, &rules, &Ledger::default()).unwrap();
        let pattern_s = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let a = oppvekst_disclosure::bench_audit_pattern(&table, &pattern.status, &rules).unwrap();
        let audit_s = start.elapsed().as_secs_f64();
        let (count, lost) = tally(&table, &pattern.status);
        println!(
            "national | oppvekst hypercubes, police defaults | {} | {} | {} | {} | {lost} | {pattern_s:.2} | {audit_s:.2} | {:?} | {} | {} | {} ({})",
            table.cells.len(),
            count(true),
            count(false),
            count(true) + count(false),
            a.tables[0].narrowest,
            a.failures().count(),
            pattern.rounds,
            a.components,
            a.largest_component
        );
        eprintln!(
            "national: {} of {} protected cells proven by alternative tables, {} bound problems solved exactly",
            a.tables[0].proven,
            count(true),
            a.bounds_solved
        );
    }
}

fn shared() {
    let dir = bench_dir();
    if !dir.join("t2.csv").exists() {
        println!(
            "skipped: benchmark tables not found in {} (set OPPVEKST_BENCH_DIR)",
            dir.display()
        );
        return;
    }
    for t in ["t1", "t2"] {
        let table = load(&dir.join(format!("{t}.csv")));
        for width in [1u64, 3] {
            let rules = Rules {
                max_small_count: 3,
                protect_zeros: false,
                protection_width: width,
                ..Rules::police_default()
            };
            run_ours(t, &format!("oppvekst, width ≥ {width}"), &table, &rules);
        }
        let g = gauss_pattern(&table, &dir.join(format!("g_{t}_nz.csv")));
        let hidden = g.cells.iter().filter(|c| c.value.is_none()).count();
        let lost: u64 = table
            .cells
            .iter()
            .zip(&g.cells)
            .filter(|(_, c)| c.value.is_none())
            .map(|(c, _)| c.value)
            .sum();
        let start = Instant::now();
        let a = audit_one(&g, 1);
        let audit_s = start.elapsed().as_secs_f64();
        let a3 = audit_one(&g, 3);
        println!(
            "{t} | GaussSuppression (reference pattern) | {} | - | - | {hidden} | {lost} | - | {audit_s:.2} | {:?} | {} at width 1, {} at width 3",
            g.cells.len(),
            a.tables[0].narrowest,
            a.failures().count(),
            a3.failures().count()
        );
    }
}
