//! Benchmark harness for secondary suppression: every table shape the issue tracker names,
//! protected as `oppvekst protect` protects it (method chosen by measurement) and audited by
//! the independent audit as protection runs it, side by side with Statistics Norway's
//! GaussSuppression on the same table when `Rscript` with GaussSuppression is installed
//! (`../shared/peers/install.sh`).
//!
//! Shapes: t1 and t2 (../shared/bench, 3-D, at width 1 and 3), t4 (the 4-D shared table,
//! 154,440 cells), t4 sparse (t4 without its zero rows: 25 % of the combinations absent), a
//! generated 5-D table (municipality ⊂ county × quarter ⊂ year × offence ⊂ group × age ×
//! gender, seeded), and the national table (generated, seeded: 948,600 cells). For each:
//! cells, hidden (primary + secondary), share hidden, information lost (sum of hidden
//! values), pattern time, audit time, peak memory (the process's peak resident set,
//! reset before each row; Linux), audit failures. Each method is also run forced on the
//! small tables, to show what the choice is between.
//!
//! Run: `cargo bench -p oppvekst-disclosure --bench suppression` (every shape but the
//! national table); `OPPVEKST_BENCH=national` for the national table alone, `=all` for
//! everything; `OPPVEKST_BENCH_ONLY=t2,5-D` for some shapes, `OPPVEKST_BENCH_RUNS=3/1` for
//! some threshold / width runs. GaussSuppression gets `OPPVEKST_GAUSS_LIMIT` seconds per table (default
//! 600; 0 skips it); without R the t1 and t2 rows use the reference patterns shipped in
//! ../shared/bench. Shared tables are skipped with a message when the folder is absent.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "common/tables.rs"]
mod tables;

use oppvekst_disclosure::csvtable::{CsvSpec, inner_table, published_pattern};
use oppvekst_disclosure::{
    Cell, Ledger, Method, Rules, Status, Table, bench_audit_pattern, suppression_pattern,
};
use tables::{dim, inner_csv, national, shared_spec, user_4d};

/// The allocator the `oppvekst` binary uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn bench_dir() -> PathBuf {
    std::env::var_os("OPPVEKST_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench"))
}

fn peers_dir() -> PathBuf {
    bench_dir().join("../peers")
}

/// Peak resident memory, reset before each row (Linux: /proc/self/clear_refs, VmHWM).
mod peak {
    pub fn reset() {
        let _ = std::fs::write("/proc/self/clear_refs", "5");
    }
    pub fn mb() -> Option<u64> {
        let s = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb / 1024)
    }
}

/// One table to protect: its cells, the widths to run, the CSV of its inner cells for
/// GaussSuppression (file and dimension columns) and the reference pattern, if any.
struct Shape {
    name: String,
    table: Table,
    /// (threshold, width) pairs to run; the first is compared with GaussSuppression (which
    /// runs with the same threshold).
    runs: Vec<(u64, u64)>,
    gauss_input: Option<(PathBuf, String)>,
    reference: Option<PathBuf>,
    forced: bool,
}

/// What one run measured.
struct Row {
    hidden: usize,
    primary: usize,
    lost: u64,
    seconds: f64,
}

fn rules(threshold: u64, width: u64, method: Method) -> Rules {
    Rules {
        max_small_count: threshold,
        protect_zeros: false,
        protection_width: width,
        method,
        ..Rules::police_default()
    }
}

fn method_name(m: Method) -> &'static str {
    match m {
        Method::Auto => "auto",
        Method::Elimination => "elimination",
        Method::Hypercube => "hypercube",
    }
}

fn mb(v: Option<u64>) -> String {
    v.map_or("-".into(), |v| v.to_string())
}

/// Protects and audits one shape with one method; prints the row.
fn run_ours(shape: &Shape, (threshold, width): (u64, u64), method: Method) -> Row {
    let table = &shape.table;
    let rules = rules(threshold, width, method);
    peak::reset();
    let start = Instant::now();
    let pattern = suppression_pattern(table, &rules, &Ledger::default()).unwrap();
    let pattern_s = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let a = bench_audit_pattern(table, &pattern, &rules).unwrap();
    let audit_s = start.elapsed().as_secs_f64();
    let peak = peak::mb();
    let mut primary = 0;
    let mut hidden = 0;
    let mut lost = 0u64;
    for (c, s) in table.cells.iter().zip(&pattern.status) {
        if *s != Status::Published {
            hidden += 1;
            lost += c.value;
            if s.rule().is_some_and(|r| r.is_primary()) {
                primary += 1;
            }
        }
    }
    let label = match method {
        Method::Auto => format!("oppvekst auto → {}", method_name(pattern.method)),
        m => format!("oppvekst {}", method_name(m)),
    };
    println!(
        "| {} | {label} | {threshold} / {width} | {} | {primary} + {} | {} | {:.1} % | {lost} | {pattern_s:.2} | {audit_s:.2} | {} | {} |",
        shape.name,
        table.cells.len(),
        hidden - primary,
        hidden,
        100.0 * hidden as f64 / table.cells.len() as f64,
        mb(peak),
        a.failures().count(),
    );
    Row {
        hidden,
        primary,
        lost,
        seconds: pattern_s + audit_s,
    }
}

/// Whether Rscript with GaussSuppression is installed.
fn gauss_installed() -> bool {
    Command::new("Rscript")
        .args(["-e", "suppressMessages(library(GaussSuppression))"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs GaussSuppression on a CSV of inner cells within the time limit: its pattern's
/// hidden cells and information lost (from its output file) and its wall time; None when
/// it gave no answer in time.
fn run_gauss(table: &Table, input: &Path, dims: &str, limit: Duration) -> Option<Row> {
    let out = std::env::temp_dir().join(format!(
        "oppvekst-bench-gauss-{}-{}.csv",
        std::process::id(),
        input.file_stem().unwrap().to_string_lossy()
    ));
    let start = Instant::now();
    let mut child = Command::new("Rscript")
        .arg(peers_dir().join("gauss_suppress.R"))
        .arg(input)
        .arg(&out)
        .arg("3")
        .arg(dims)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    loop {
        if let Some(status) = child.try_wait().ok()? {
            if !status.success() {
                return None;
            }
            break;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let seconds = start.elapsed().as_secs_f64();
    let row = gauss_row(
        table,
        &std::fs::read_to_string(&out).ok()?,
        "suppressed",
        seconds,
    );
    let _ = std::fs::remove_file(&out);
    row
}

/// GaussSuppression's pattern (its CSV output or a reference pattern) read onto our table.
fn gauss_row(table: &Table, text: &str, hidden_col: &str, seconds: f64) -> Option<Row> {
    let p = published_pattern(
        "gauss",
        table,
        text,
        &gauss_spec(table),
        hidden_col,
        Some("primary"),
    )
    .ok()?
    .table;
    let hidden = p.cells.iter().filter(|c| c.value.is_none()).count();
    let primary = p.cells.iter().filter(|c| c.protect).count();
    let lost = table
        .cells
        .iter()
        .zip(&p.cells)
        .filter(|(_, c)| c.value.is_none())
        .map(|(c, _)| c.value)
        .sum();
    Some(Row {
        hidden,
        primary,
        lost,
        seconds,
    })
}

/// How GaussSuppression's output names the cells of a table: the finest column of each
/// dimension holds every level's code (a total is `Total`).
fn gauss_spec(table: &Table) -> CsvSpec {
    let names = ["mun", "quarter", "offence", "age", "gender"];
    CsvSpec {
        dimensions: (0..table.dimensions.len())
            .map(|d| vec![names[d].to_owned()])
            .collect(),
        value: "freq".into(),
        denominator: None,
    }
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.2}", a / b)
    } else {
        "-".into()
    }
}

fn print_gauss(shape: &Shape, ours: &Row, gauss: Option<Row>, how: &str) {
    match gauss {
        Some(g) => println!(
            "| {} | GaussSuppression{how} | - | {} | {} + {} | {} | {:.1} % | {} | {} | - | - | - | ours/Gauss: hidden {}, lost {}, time {} |",
            shape.name,
            shape.table.cells.len(),
            g.primary,
            g.hidden - g.primary,
            g.hidden,
            100.0 * g.hidden as f64 / shape.table.cells.len() as f64,
            g.lost,
            if g.seconds > 0.0 {
                format!("{:.2}", g.seconds)
            } else {
                "-".into()
            },
            ratio(ours.hidden as f64, g.hidden as f64),
            ratio(ours.lost as f64, g.lost as f64),
            if g.seconds > 0.0 {
                ratio(ours.seconds, g.seconds)
            } else {
                "-".into()
            },
        ),
        None => println!(
            "| {} | GaussSuppression{how} | - | {} | - | - | - | - | no answer | - | - | - | - |",
            shape.name,
            shape.table.cells.len()
        ),
    }
}

fn read_gz(path: &Path) -> String {
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap()),
        &mut text,
    )
    .unwrap();
    text
}

fn t4_spec() -> CsvSpec {
    let d = |cols: &[&str]| cols.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
    CsvSpec {
        dimensions: vec![
            d(&["mun", "county"]),
            d(&["quarter", "year"]),
            d(&["offence", "offgroup"]),
            d(&["age"]),
        ],
        value: "freq".into(),
        denominator: None,
    }
}

/// t4's rows without the zero counts: the sparse variant (absent combinations).
fn without_zeros(text: &str) -> String {
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    let freq = header
        .split(',')
        .position(|h| h.trim_matches('"') == "freq")
        .unwrap();
    let mut out = format!("{header}\n");
    for l in lines.filter(|l| l.split(',').nth(freq) != Some("0")) {
        out.push_str(l);
        out.push('\n');
    }
    out
}

/// A generated 5-D table: 60 municipalities ⊂ 6 counties × 8 quarters ⊂ 2 years × 6
/// offences ⊂ 2 groups × 3 age bands × 2 genders, log-normal sizes, Poisson counts, seeded.
fn five_d() -> Table {
    let mut rng = tables::Rng(19);
    let muns: Vec<(String, f64)> = (0..60)
        .map(|i| (format!("K{i:03}"), (7.8 + 1.1 * rng.normal()).exp()))
        .collect();
    let mut inner = Vec::new();
    for (m, size) in &muns {
        for q in 0..8 {
            for o in 0..6 {
                for a in 0..3 {
                    for g in 0..2 {
                        let mean = size / 1000.0
                            * [3.0, 1.0, 2.0, 0.5, 4.0, 1.5][o]
                            * [0.3, 0.4, 0.3][a]
                            * [0.6, 0.4][g];
                        inner.push(Cell {
                            key: vec![
                                m.clone(),
                                format!("Q{}", q + 1),
                                format!("O{}", o + 1),
                                format!("A{}", a + 1),
                                format!("S{}", g + 1),
                            ],
                            value: rng.poisson(mean),
                            denominator: None,
                        });
                    }
                }
            }
        }
    }
    let mut mun_e: Vec<(String, String)> = (0..60)
        .map(|i| (format!("K{i:03}"), format!("F{}", i / 10 + 1)))
        .collect();
    mun_e.extend((1..=6).map(|f| (format!("F{f}"), "Total".to_owned())));
    let mut q_e: Vec<(String, String)> = (0..8)
        .map(|q| (format!("Q{}", q + 1), format!("Y{}", q / 4 + 1)))
        .collect();
    q_e.extend((1..=2).map(|y| (format!("Y{y}"), "Total".to_owned())));
    let mut o_e: Vec<(String, String)> = (0..6)
        .map(|o| (format!("O{}", o + 1), format!("G{}", o / 3 + 1)))
        .collect();
    o_e.extend((1..=2).map(|g| (format!("G{g}"), "Total".to_owned())));
    let a_e: Vec<(String, String)> = (1..=3)
        .map(|a| (format!("A{a}"), "Total".to_owned()))
        .collect();
    let g_e: Vec<(String, String)> = (1..=2)
        .map(|g| (format!("S{g}"), "Total".to_owned()))
        .collect();
    Table::from_inner(
        "five_d",
        vec![
            dim("mun", &mun_e),
            dim("quarter", &q_e),
            dim("offence", &o_e),
            dim("age", &a_e),
            dim("gender", &g_e),
        ],
        inner,
    )
    .unwrap()
}

fn write_temp(name: &str, text: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("oppvekst-bench-{}-{name}.csv", std::process::id()));
    std::fs::write(&p, text).unwrap();
    p
}

fn shapes(which: &str) -> Vec<Shape> {
    let dir = bench_dir();
    let mut out = Vec::new();
    let shared = dir.join("t2.csv").exists();
    if which != "national" {
        if shared {
            for t in ["t1", "t2"] {
                let path = dir.join(format!("{t}.csv"));
                let text = std::fs::read_to_string(&path).unwrap();
                out.push(Shape {
                    name: t.into(),
                    table: inner_table(t, &text, &shared_spec()).unwrap(),
                    runs: vec![(3, 1), (3, 3)],
                    gauss_input: Some((path, "mun,county,quarter,offence,offgroup".into())),
                    reference: Some(dir.join(format!("g_{t}_nz.csv"))),
                    forced: true,
                });
            }
            let text = read_gz(&dir.join("t4.csv.gz"));
            let dims = "mun,county,quarter,year,offence,offgroup,age".to_owned();
            out.push(Shape {
                name: "t4".into(),
                table: inner_table("t4", &text, &t4_spec()).unwrap(),
                runs: vec![(3, 1), (3, 3)],
                gauss_input: Some((write_temp("t4", &text), dims.clone())),
                reference: None,
                forced: false,
            });
            let sparse = without_zeros(&text);
            out.push(Shape {
                name: "t4 sparse".into(),
                table: inner_table("t4 sparse", &sparse, &t4_spec()).unwrap(),
                runs: vec![(3, 1)],
                gauss_input: Some((write_temp("t4sparse", &sparse), dims)),
                reference: None,
                forced: false,
            });
        } else {
            println!(
                "skipped t1, t2, t4: benchmark tables not found in {} (set OPPVEKST_BENCH_DIR)",
                dir.display()
            );
        }
        let table = five_d();
        let csv = inner_csv(
            &table,
            &[
                vec!["mun", "county"],
                vec!["quarter", "year"],
                vec!["offence", "offgroup"],
                vec!["age"],
                vec!["gender"],
            ],
        );
        out.push(Shape {
            name: "5-D".into(),
            table,
            runs: vec![(3, 1)],
            gauss_input: Some((
                write_temp("five_d", &csv),
                "mun,county,quarter,year,offence,offgroup,age,gender".into(),
            )),
            reference: None,
            forced: false,
        });
    }
    if which == "all" || which == "national" {
        let table = user_4d();
        let csv = inner_csv(
            &table,
            &[
                vec!["mun", "county"],
                vec!["quarter"],
                vec!["offence", "offgroup"],
                vec!["age"],
            ],
        );
        out.push(Shape {
            name: "4-D (issue 19)".into(),
            table,
            runs: vec![(3, 1)],
            gauss_input: Some((
                write_temp("user_4d", &csv),
                "mun,county,quarter,offence,offgroup,age".into(),
            )),
            reference: None,
            forced: false,
        });
    }
    if which == "national" || which == "all" {
        let table = national();
        let csv = inner_csv(
            &table,
            &[
                vec!["mun", "county"],
                vec!["quarter", "year"],
                vec!["offence"],
                vec!["age"],
            ],
        );
        out.push(Shape {
            name: "national".into(),
            table,
            runs: vec![(3, 1), (4, 4)],
            gauss_input: Some((
                write_temp("national", &csv),
                "mun,county,quarter,year,offence,age".into(),
            )),
            reference: None,
            forced: false,
        });
    }
    out
}

fn main() {
    let which = std::env::var("OPPVEKST_BENCH").unwrap_or_else(|_| "shared".into());
    let limit = Duration::from_secs(
        std::env::var("OPPVEKST_GAUSS_LIMIT")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(600),
    );
    let gauss = !limit.is_zero() && gauss_installed();
    if !gauss {
        println!(
            "GaussSuppression not installed (../shared/peers/install.sh): its rows come from the reference patterns where they exist"
        );
    }
    println!(
        "| table | method | threshold / width | cells | hidden (primary + secondary) | hidden | share | info lost | pattern s | audit s | peak MB | audit failures |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    let only = std::env::var("OPPVEKST_BENCH_ONLY").ok();
    for shape in shapes(&which) {
        if only
            .as_deref()
            .is_some_and(|o| !o.split(',').any(|n| n == shape.name))
        {
            continue;
        }
        let mut first: Option<Row> = None;
        // `OPPVEKST_BENCH_RUNS=3/1,4/4`: only these threshold / width runs.
        let runs = std::env::var("OPPVEKST_BENCH_RUNS").ok();
        for &run in &shape.runs {
            if runs
                .as_deref()
                .is_some_and(|r| !r.split(',').any(|x| x == format!("{}/{}", run.0, run.1)))
            {
                continue;
            }
            let ours = run_ours(&shape, run, Method::Auto);
            if shape.forced {
                run_ours(&shape, run, Method::Elimination);
                run_ours(&shape, run, Method::Hypercube);
            }
            first.get_or_insert(ours);
        }
        let ours = first.unwrap();
        if gauss && let Some((input, dims)) = &shape.gauss_input {
            let g = run_gauss(&shape.table, input, dims, limit);
            print_gauss(&shape, &ours, g, &format!(" (limit {} s)", limit.as_secs()));
        } else if let Some(reference) = &shape.reference {
            let text = std::fs::read_to_string(reference).unwrap();
            let g = gauss_row(&shape.table, &text, "suppressed", 0.0);
            print_gauss(&shape, &ours, g, " (reference pattern)");
        }
    }
}
