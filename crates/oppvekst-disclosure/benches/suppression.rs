//! Benchmark: protect and audit the shared tables t1 and t2 (../shared/bench, see its
//! README) and audit Statistics Norway's GaussSuppression pattern on the same tables.
//! Prints cells hidden, information lost (sum of hidden values) and wall times.
//! Skips with a message when the folder is absent. Run:
//! `cargo bench -p oppvekst-disclosure --bench suppression`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use oppvekst_disclosure::{
    AuditOptions, Cell, Dimension, PublishedCell, PublishedTable, Rules, Table, audit, protect,
};

fn bench_dir() -> PathBuf {
    std::env::var_os("OPPVEKST_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench"))
}

fn load(path: &Path) -> Table {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let mut mun_edges: Vec<(String, String)> = Vec::new();
    let mut off_edges: Vec<(String, String)> = Vec::new();
    let mut quarters: Vec<String> = Vec::new();
    let mut inner = Vec::new();
    for rec in rdr.records() {
        let r = rec.unwrap();
        let (mun, county, quarter, offence, group) = (&r[0], &r[1], &r[2], &r[4], &r[5]);
        let freq: u64 = r[6].parse().unwrap();
        for (e, c, p) in [
            (&mut mun_edges, mun, county),
            (&mut off_edges, offence, group),
        ] {
            if !e.iter().any(|(a, _)| a == c) {
                e.push((c.to_owned(), p.to_owned()));
            }
        }
        if !quarters.iter().any(|q| q == quarter) {
            quarters.push(quarter.to_owned());
        }
        inner.push(Cell {
            key: vec![mun.into(), quarter.into(), offence.into()],
            value: freq,
            denominator: None,
        });
    }
    let add_totals = |edges: &mut Vec<(String, String)>| {
        let parents: Vec<String> = edges.iter().map(|e| e.1.clone()).collect();
        for p in parents {
            if !edges.iter().any(|(a, _)| *a == p) {
                edges.push((p, "Total".into()));
            }
        }
    };
    add_totals(&mut mun_edges);
    add_totals(&mut off_edges);
    let q_edges: Vec<(String, String)> = quarters
        .iter()
        .map(|q| (q.clone(), "Total".into()))
        .collect();
    let dim = |name: &str, e: &[(String, String)]| {
        let refs: Vec<(&str, &str)> = e.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        Dimension::hierarchy(name, &refs)
    };
    let dims = vec![
        dim("mun", &mun_edges),
        dim("quarter", &q_edges),
        dim("offence", &off_edges),
    ];
    Table::from_inner("bench", dims, inner).unwrap()
}

/// GaussSuppression's published pattern on the same table, as the reader sees it.
fn gauss_pattern(table: &Table, path: &Path) -> PublishedTable {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let mut hidden: HashMap<Vec<String>, bool> = HashMap::new();
    for rec in rdr.records() {
        let r = rec.unwrap();
        hidden.insert(vec![r[0].into(), r[1].into(), r[2].into()], &r[5] == "TRUE");
    }
    PublishedTable {
        name: "gauss".into(),
        dimensions: table.dimensions.clone(),
        cells: table
            .cells
            .iter()
            .map(|c| PublishedCell {
                key: c.key.clone(),
                value: (!hidden.get(&c.key).copied().unwrap_or(false)).then_some(c.value),
                upper: None,
            })
            .collect(),
    }
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
