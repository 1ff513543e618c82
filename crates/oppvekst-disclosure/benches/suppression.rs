//! Benchmark: protect and audit the shared tables t1 and t2 (../shared/bench, see its
//! README) and audit Statistics Norway's GaussSuppression pattern on the same tables.
//! Prints cells hidden, information lost (sum of hidden values) and wall times.
//! Skips with a message when the folder is absent. Run:
//! `cargo bench -p oppvekst-disclosure --bench suppression`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use oppvekst_disclosure::csvtable::{CsvSpec, inner_table, published_pattern};
use oppvekst_disclosure::{AuditOptions, PublishedTable, Rules, Table, audit, protect};

fn bench_dir() -> PathBuf {
    std::env::var_os("OPPVEKST_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench"))
}

fn spec() -> CsvSpec {
    let d = |cols: &[&str]| cols.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
    CsvSpec {
        dimensions: vec![
            d(&["mun", "county"]),
            d(&["quarter"]),
            d(&["offence", "offgroup"]),
        ],
        value: "freq".into(),
        denominator: None,
    }
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
    )
    .unwrap()
}

fn main() {
    let dir = bench_dir();
    if !dir.join("t2.csv").exists() {
        println!(
            "skipped: benchmark tables not found in {} (set OPPVEKST_BENCH_DIR)",
            dir.display()
        );
        return;
    }
    println!(
        "table | method | cells | primary | secondary | hidden | info lost | protect s | audit s | narrowest | audit failures | rounds | components (largest)"
    );
    for t in ["t1", "t2"] {
        let table = load(&dir.join(format!("{t}.csv")));
        for width in [1u64, 3] {
            let rules = Rules {
                max_small_count: 3,
                max_small_complement: None,
                max_small_denominator: None,
                protect_zeros: false,
                gender: None,
                series: None,
                coverage: None,
                protection_width: width,
            };
            let start = Instant::now();
            let p = protect(&table, &rules).unwrap();
            let protect_s = start.elapsed().as_secs_f64();
            let start = Instant::now();
            let a = audit(&p.published_view(), &AuditOptions { min_width: width }).unwrap();
            let audit_s = start.elapsed().as_secs_f64();
            let lost: u64 = table
                .cells
                .iter()
                .zip(p.cells())
                .filter(|(_, c)| c.value().is_none())
                .map(|(c, _)| c.value)
                .sum();
            let s = p.summary();
            println!(
                "{t} | oppvekst, width ≥ {width} | {} | {} | {} | {} | {lost} | {protect_s:.2} | {audit_s:.2} | {:?} | {} | {} | {} ({})",
                s.cells,
                s.primary,
                s.secondary,
                s.primary + s.secondary,
                a.narrowest,
                a.failures.len(),
                s.audit_rounds,
                a.components,
                a.largest_component
            );
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
        let a = audit(&g, &AuditOptions { min_width: 1 }).unwrap();
        let audit_s = start.elapsed().as_secs_f64();
        let a3 = audit(&g, &AuditOptions { min_width: 3 }).unwrap();
        println!(
            "{t} | GaussSuppression (reference pattern) | {} | - | - | {hidden} | {lost} | - | {audit_s:.2} | {:?} | {} at width 1, {} at width 3",
            g.cells.len(),
            a.narrowest,
            a.failures.len(),
            a3.failures.len()
        );
    }
}
