//! Ingest benchmark (not a timed test): a generated national-size Ungdata export —
//! 1,500,000 respondents × 150 items by default — read as CSV and as SPSS `.sav`, every value
//! validated, respondents written to Parquet and aggregated, exactly as `oppvekst ingest`
//! does; side by side with Python polars reading the same CSV and writing Parquet (the
//! yardstick), and with pyreadstat reading the same `.sav` into polars (once, at the end).
//!
//! `cargo bench -p oppvekst-ingest-survey --bench ingest`
//!
//! Settings (environment): `OPPVEKST_BENCH_ROWS` (respondents, default 1,500,000),
//! `OPPVEKST_BENCH_DIR` (where the generated exports live, default `target/bench-ingest`),
//! `OPPVEKST_BENCH_PYTHON` (a Python with polars; otherwise a virtual environment with
//! `benches/requirements.txt` is made in the bench folder; `none` skips the baseline).
//! Each reader runs in a child process so that its peak memory (VmHWM) is its own, and
//! `OPPVEKST_BENCH_RUNS` times (default 3, interleaved); the table gives the median time.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use arrow57::array::{ArrayRef, Float64Array, StringArray};
use arrow57::datatypes::{DataType, Field, Schema};
use arrow57::record_batch::RecordBatch;
use oppvekst_ingest_survey::{
    Aggregator, ReadOptions, RespondentsWriter, SeenIds, stream_csv, stream_sav,
    with_background_sink,
};
use oppvekst_schema::{Catalogue, Harmoniser, Item};

/// The allocator the `oppvekst` binary uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ITEMS: usize = 150;

/// The built-in catalogue with extra five-point items up to `ITEMS`, so every one of the 150
/// columns is a known item whose every value is validated.
fn catalogue() -> Catalogue {
    let mut cat = Catalogue::builtin().unwrap();
    let have = cat.codebook.items.len();
    for k in have..ITEMS {
        cat.codebook.items.push(Item {
            id: format!("q{:03}", k + 1),
            aliases: vec![],
            label: format!("Spørsmål {}", k + 1),
            valid: [1, 5],
            value_labels: (1..=5).map(|v| v.to_string()).collect(),
        });
    }
    cat
}

/// splitmix64: a fixed, seeded stream.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Municipalities of the generated country: a spread of real numbers (old and new).
const MUNICIPALITIES: [&str; 12] = [
    "0301", "4601", "5001", "1103", "3107", "3105", "3004", "0106", "1804", "3201", "4204", "5501",
];

/// One generated respondent: (id, year, municipality, level, grade code, gender, answers).
type Row = (String, i32, &'static str, i64, i64, i64, Vec<Option<i64>>);

fn row(rng: &mut Rng, i: usize, items: &[Item]) -> Row {
    let year = [2016, 2019, 2022, 2025][rng.below(4) as usize];
    let mun = MUNICIPALITIES[rng.below(MUNICIPALITIES.len() as u64) as usize];
    let grade = rng.below(6) as i64; // source codes 0..5: 8.–10. trinn, VG1–VG3
    let level = if grade < 3 { 1 } else { 2 };
    let gender = 1 + rng.below(2) as i64;
    let answers = items
        .iter()
        .map(|it| match rng.below(100) {
            0..=1 => None,
            2..=3 => Some(98 + rng.below(2) as i64),
            _ => Some(it.valid[0] + rng.below((it.valid[1] - it.valid[0] + 1) as u64) as i64),
        })
        .collect();
    (format!("N{i:07}"), year, mun, level, grade, gender, answers)
}

fn header(items: &[Item]) -> Vec<String> {
    let mut h: Vec<String> = ["ID", "år", "kommune", "skolenivå", "Klasse", "kjønn"]
        .map(str::to_owned)
        .to_vec();
    h.extend(items.iter().map(|i| i.id.clone()));
    h
}

/// Writes the CSV and `.sav` exports of the same generated respondents.
fn generate(rows: usize, csv: &Path, sav: &Path, cat: &Catalogue) {
    let items = &cat.codebook.items;
    let names = header(items);
    let mut rng = Rng(2025);
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(csv).unwrap());
    writeln!(w, "{}", names.join(";")).unwrap();
    let mut ids = Vec::with_capacity(rows);
    let mut numeric: Vec<Vec<Option<f64>>> = vec![Vec::with_capacity(rows); names.len() - 1];
    for i in 0..rows {
        let (id, year, mun, level, grade, gender, answers) = row(&mut rng, i, items);
        let mut line = format!("{id};{year};{mun};{level};{grade};{gender}");
        for a in &answers {
            line.push(';');
            if let Some(a) = a {
                line.push_str(&a.to_string());
            }
        }
        writeln!(w, "{line}").unwrap();
        ids.push(id);
        let fixed = [
            Some(year as f64),
            Some(mun.parse::<f64>().unwrap()),
            Some(level as f64),
        ];
        let head = fixed
            .into_iter()
            .chain([Some(grade as f64), Some(gender as f64)]);
        for (c, v) in head
            .chain(answers.iter().map(|a| a.map(|a| a as f64)))
            .enumerate()
        {
            numeric[c].push(v);
        }
    }
    w.flush().unwrap();
    let mut fields = vec![Field::new("ID", DataType::Utf8, true)];
    let mut cols: Vec<ArrayRef> = vec![Arc::new(StringArray::from(ids))];
    for (name, col) in names[1..].iter().zip(numeric) {
        fields.push(Field::new(name, DataType::Float64, true));
        cols.push(Arc::new(Float64Array::from(col)));
    }
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).unwrap();
    ambers::write_sav(
        sav,
        &batch,
        &ambers::SpssMetadata::default(),
        ambers::Compression::Bytecode,
        None,
    )
    .unwrap();
}

fn peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// The child: one ingest as the CLI does it, then a JSON line with the figures.
fn child(format: &str, path: &Path, out: &Path) {
    let cat = catalogue();
    let h = Harmoniser::builtin().unwrap();
    let start = Instant::now();
    let mut writer = RespondentsWriter::create(out, &cat.codebook.items).unwrap();
    let mut agg = Aggregator::new(&cat);
    let mut seen = SeenIds::default();
    let opts = ReadOptions::default();
    // As the CLI does: the chunk is written and aggregated at the same time.
    let consume = |chunk: &oppvekst_ingest_survey::Respondents| {
        let (written, ()) = rayon::join(|| writer.write(chunk), || agg.add(chunk));
        written.unwrap();
        Ok(())
    };
    let file = std::fs::File::open(path).unwrap();
    let report = with_background_sink(consume, |sink| {
        if format == "csv" {
            stream_csv("national.csv", file, &cat, &h, &opts, &mut seen, sink)
        } else {
            let src = std::io::BufReader::with_capacity(1 << 20, file);
            stream_sav("national.sav", src, &cat, &h, &opts, &mut seen, sink).map(|r| (r.0, r.1))
        }
    })
    .unwrap()
    .0;
    writer.commit().unwrap();
    let cells = agg.finish().cells.len();
    let secs = start.elapsed().as_secs_f64();
    assert!(report.reconciles());
    let line = serde_json::json!({
        "rows": report.rows_read,
        "accepted": report.rows_accepted,
        "quarantined": report.rows_quarantined,
        "cells": cells,
        "secs": secs,
        "peak_rss": peak_rss(),
    });
    println!("{line}");
}

#[derive(Debug)]
struct Figures {
    rows: f64,
    secs: f64,
    peak: f64,
}

fn figures(out: std::process::Output, what: &str) -> Figures {
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().rev().find(|l| l.starts_with('{')).unwrap();
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    let num = |k: &str| v[k].as_f64().unwrap_or_else(|| panic!("{what}: no `{k}`"));
    Figures {
        rows: num("rows"),
        secs: num("secs"),
        peak: num("peak_rss"),
    }
}

/// A Python with polars: the one given, or a venv made once in the bench folder.
fn python(dir: &Path) -> Option<PathBuf> {
    match std::env::var("OPPVEKST_BENCH_PYTHON") {
        Ok(p) if p == "none" => return None,
        Ok(p) => return Some(PathBuf::from(p)),
        Err(_) => {}
    }
    let venv = dir.join("venv");
    let py = venv.join("bin/python");
    let req = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/requirements.txt");
    // pip installs what the venv lacks (nothing, once it has the pinned versions).
    let ok = (py.exists()
        || Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .is_ok_and(|s| s.success()))
        && Command::new(&py)
            .args(["-m", "pip", "install", "-q", "-r"])
            .arg(&req)
            .status()
            .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("no Python polars (venv or pip failed); baselines skipped");
        return None;
    }
    Some(py)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(
            &args[i + 1],
            Path::new(&args[i + 2]),
            Path::new(&args[i + 3]),
        );
        return;
    }
    let rows: usize = std::env::var("OPPVEKST_BENCH_ROWS")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(1_500_000);
    let dir = std::env::var("OPPVEKST_BENCH_DIR").map_or_else(
        |_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-ingest"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join(format!("national_{rows}.csv"));
    let sav = dir.join(format!("national_{rows}.sav"));
    if !csv.exists() || !sav.exists() {
        eprintln!("generating {rows} respondents × {ITEMS} items …");
        let t = Instant::now();
        generate(rows, &csv, &sav, &catalogue());
        eprintln!("generated in {:.1} s", t.elapsed().as_secs_f64());
    }
    let size = |p: &Path| std::fs::metadata(p).unwrap().len() as f64;
    let exe = std::env::current_exe().unwrap();
    let runs: usize = std::env::var("OPPVEKST_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    let py = python(&dir);
    let benches = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches");
    // Python on the same files: polars reading the CSV (the benchmark's yardstick), and
    // pyreadstat reading the .sav into polars.
    let baselines = [
        (benches.join("polars_ingest.py"), &csv, "polars.parquet"),
        (benches.join("sav_ingest.py"), &sav, "pyreadstat.parquet"),
    ];
    let mut all: Vec<(&str, f64, Vec<Figures>)> = vec![
        ("oppvekst, CSV", size(&csv), Vec::new()),
        ("oppvekst, .sav", size(&sav), Vec::new()),
        ("Python polars, CSV", size(&csv), Vec::new()),
        ("Python pyreadstat → polars, .sav", size(&sav), Vec::new()),
    ];
    for run in 0..runs {
        eprintln!("run {} of {runs} …", run + 1);
        for (k, (format, path)) in [("csv", &csv), ("sav", &sav)].into_iter().enumerate() {
            let out = Command::new(&exe)
                .args(["--child", format])
                .arg(path)
                .arg(dir.join(format!("oppvekst_{format}.parquet")))
                .output()
                .unwrap();
            all[k].2.push(figures(out, format));
        }
        // pyreadstat runs once, after the others: it holds about 11 GB, which would push
        // the exports out of the page cache under the runs that follow it.
        let last = run + 1 == runs;
        for (k, (script, input, output)) in baselines.iter().enumerate() {
            let Some(py) = &py else { break };
            if k == 1 && !last {
                continue;
            }
            let out = Command::new(py)
                .arg(script)
                .arg(input)
                .arg(dir.join(output))
                .output()
                .unwrap();
            all[2 + k].2.push(figures(out, output));
        }
    }
    let results: Vec<(&str, f64, Figures)> = all
        .into_iter()
        .filter(|r| !r.2.is_empty())
        .map(|(name, size, mut list)| {
            list.sort_by(|a, b| a.secs.total_cmp(&b.secs));
            let peak = list.iter().map(|f| f.peak).fold(0.0, f64::max);
            let mid = list.swap_remove(list.len() / 2);
            (name, size, Figures { peak, ..mid })
        })
        .collect();
    let rate_of = |name: &str| {
        results
            .iter()
            .find(|r| r.0 == name)
            .map(|r| r.2.rows / r.2.secs)
    };
    let polars = rate_of("Python polars, CSV");
    println!(
        "\ningest of {rows} respondents × {ITEMS} items (every value validated by oppvekst); median of {runs} runs, highest peak"
    );
    println!(
        "| reader | file MB | seconds | rows/s | peak MB | peak / file | speed vs polars (CSV) | speed vs Python, same file |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let ratio = |rate: f64, base: Option<f64>| {
        base.map_or("–".to_owned(), |b| format!("{:.2}×", rate / b))
    };
    for (name, size, f) in &results {
        let rate = f.rows / f.secs;
        let same_file = match *name {
            "oppvekst, CSV" => polars,
            "oppvekst, .sav" => rate_of("Python pyreadstat → polars, .sav"),
            _ => None,
        };
        println!(
            "| {name} | {:.0} | {:.2} | {:.0} | {:.0} | {:.2} | {} | {} |",
            size / 1e6,
            f.secs,
            rate,
            f.peak / 1e6,
            f.peak / size,
            ratio(rate, polars),
            ratio(rate, same_file),
        );
    }
}
