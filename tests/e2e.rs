//! End-to-end: run the real `oppvekst demo` binary twice and check the bundle as its
//! readers would: every manifest file exists with its hash, no published cell breaks the
//! primary rules, no hidden cell is the only hidden member of a total, the report names
//! both municipalities, the Parquet files match their contracts, and the two runs are
//! byte-identical.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::needless_range_loop)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Int32Type, UInt32Type};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use sha2::{Digest, Sha256};

fn run_demo(dir: &Path) -> PathBuf {
    let out = dir.join("bundle");
    let status = Command::new(env!("CARGO_BIN_EXE_oppvekst"))
        .args(["demo", "--out"])
        .arg(&out)
        .arg("--work")
        .arg(dir.join("work"))
        .status()
        .expect("run oppvekst demo");
    assert!(status.success(), "oppvekst demo failed");
    out
}

/// The work folder `run_demo` used beside a bundle.
fn work_beside(bundle: &Path) -> PathBuf {
    bundle.parent().unwrap().join("work")
}

fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Columns of a Parquet file as strings (nulls as None), plus its schema.
fn read_table(
    path: &Path,
) -> (
    arrow::datatypes::SchemaRef,
    HashMap<String, Vec<Option<String>>>,
) {
    let builder = ParquetRecordBatchReaderBuilder::try_new(fs::File::open(path).unwrap()).unwrap();
    let schema = builder.schema().clone();
    let mut cols: HashMap<String, Vec<Option<String>>> = HashMap::new();
    for batch in builder.build().unwrap() {
        let batch = batch.unwrap();
        for (f, a) in schema.fields().iter().zip(batch.columns()) {
            let v = cols.entry(f.name().clone()).or_default();
            for i in 0..a.len() {
                if a.is_null(i) {
                    v.push(None);
                    continue;
                }
                v.push(Some(match a.data_type() {
                    DataType::Utf8View => a.as_string_view().value(i).to_owned(),
                    DataType::LargeUtf8 => a.as_string::<i64>().value(i).to_owned(),
                    DataType::Utf8 => a.as_string::<i32>().value(i).to_owned(),
                    DataType::UInt32 => a.as_primitive::<UInt32Type>().value(i).to_string(),
                    DataType::Int32 => a.as_primitive::<Int32Type>().value(i).to_string(),
                    _ => String::from("?"),
                }));
            }
        }
    }
    (schema, cols)
}

fn num(v: &Option<String>) -> Option<u64> {
    v.as_deref().map(|s| s.parse().unwrap())
}

#[test]
fn demo_bundle_is_complete_safe_and_reproducible() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let (pa, pb) = (a.path().to_owned(), b.path().to_owned());
    let t = std::thread::spawn(move || run_demo(&pb));
    let bundle = run_demo(&pa);
    let bundle_b = t.join().unwrap();

    // 1. Manifest: every file listed exists with its hash, and nothing else is in the bundle.
    let all = files(&bundle);
    let manifest: serde_json::Value = serde_json::from_slice(&all["manifest.json"]).unwrap();
    let listed = manifest["files"].as_array().unwrap();
    assert_eq!(
        listed.len() + 2,
        all.len(),
        "bundle holds files the manifest does not list"
    );
    // The zip holds every listed file and the manifest, byte for byte.
    let mut zip =
        zip::ZipArchive::new(std::io::Cursor::new(all["oppvekst-pakke.zip"].clone())).unwrap();
    assert_eq!(zip.len(), listed.len() + 1);
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let name = f.name().unwrap().split_once('/').unwrap().1.to_owned();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut bytes).unwrap();
        assert_eq!(bytes, all[&name], "{name} in the zip differs");
    }
    assert!(all.contains_key("tabeller/tabeller.xlsx"));
    // The bundle says nothing per hidden cell but `:`: no rule log, no rule column, no
    // rule names anywhere in the tables; the log is in the confidential work folder.
    assert!(
        !all.keys().any(|k| k.contains("skjulte")),
        "a rule log in the bundle"
    );
    for (name, bytes) in &all {
        if name.ends_with(".csv") || name.ends_with(".html") || name.ends_with(".json") {
            let text = String::from_utf8_lossy(bytes);
            for rule in ["small_count", "small_complement", "For få med kjennetegnet"] {
                assert!(!text.contains(rule), "{name} names the rule {rule}");
            }
        }
    }
    let log =
        fs::read_to_string(work_beside(&bundle).join("disclosure/skjulte_celler.csv")).unwrap();
    assert!(log.contains("small_count") && log.contains("secondary"));
    // Nor does the protection summary say how many hidden cells are primary, or how narrow
    // the narrowest protected interval is (either tells which cells are complements).
    for row in manifest["protection"].as_array().unwrap() {
        for key in ["primary", "secondary", "narrowest_interval"] {
            assert!(row.get(key).is_none(), "the manifest publishes {key}");
        }
    }
    for f in listed {
        let path = f["path"].as_str().unwrap();
        let bytes = all
            .get(path)
            .unwrap_or_else(|| panic!("{path} listed but missing"));
        assert_eq!(f["sha256"].as_str().unwrap(), hex(bytes), "{path}: hash");
    }
    // 8 survey exports, 40 police extracts, the population table and the national reference.
    assert_eq!(manifest["inputs"].as_array().unwrap().len(), 50);
    for kind in [
        "charts/beruset_ungdomstrinn_alle.png",
        "charts/beruset_ungdomstrinn_alle.svg",
        "charts/politi_vold_alle.png",
        "tabeller/indikatorer.csv",
        "index.html",
    ] {
        assert!(all.contains_key(kind), "{kind} missing");
    }
    let pngs = all.keys().filter(|k| k.ends_with(".png")).count();
    assert!(pngs >= 8 + 9, "{pngs} PNG charts");
    for r in manifest["reconciliation"].as_array().unwrap() {
        assert_eq!(
            r["read"].as_u64(),
            Some(r["accepted"].as_u64().unwrap() + r["quarantined"].as_u64().unwrap())
        );
    }

    // 2. No published survey cell breaks a primary rule (defaults: x ≤ 6, n − x ≤ 6, n ≤ 20, 40/15).
    let (schema, s) = read_table(&bundle.join("data/protected_survey_cells.parquet"));
    let n_rows = s["status"].len();
    assert!(n_rows > 1000);
    let key = |i: usize, skip: &str| -> Vec<String> {
        [
            "indicator",
            "municipality",
            "survey_year",
            "grade",
            "gender",
        ]
        .iter()
        .filter(|c| **c != skip)
        .map(|c| s[*c][i].clone().unwrap())
        .collect()
    };
    let mut by_gender: HashMap<Vec<String>, Vec<usize>> = HashMap::new();
    let mut by_grade: HashMap<Vec<String>, Vec<usize>> = HashMap::new();
    let mut hidden = 0;
    for i in 0..n_rows {
        let published = s["status"][i].as_deref() == Some("published");
        let x = num(&s["numerator"][i]);
        let n = num(&s["denominator"][i]).unwrap();
        assert_eq!(published, x.is_some(), "row {i}: status and value disagree");
        if let Some(x) = x {
            assert!(
                x > 6 && n - x > 6 && n > 20,
                "published survey cell {:?} breaks a primary rule",
                key(i, "")
            );
        } else {
            hidden += 1;
        }
        by_gender.entry(key(i, "gender")).or_default().push(i);
        by_grade.entry(key(i, "grade")).or_default().push(i);
    }
    assert!(hidden > 0, "the demo should exercise suppression");
    for (k, members) in &by_gender {
        let n_of = |g: &str| {
            members
                .iter()
                .find(|&&i| s["gender"][i].as_deref() == Some(g))
                .map(|&i| num(&s["denominator"][i]).unwrap())
        };
        let split_published = members
            .iter()
            .any(|&i| s["gender"][i].as_deref() != Some("alle") && s["numerator"][i].is_some());
        if split_published {
            assert!(
                n_of("alle").unwrap() >= 40
                    && n_of("gutt").unwrap() >= 15
                    && n_of("jente").unwrap() >= 15,
                "{k:?}: gender split of a small group"
            );
        }
        let h = members
            .iter()
            .filter(|&&i| s["numerator"][i].is_none())
            .count();
        assert_ne!(
            h, 1,
            "{k:?}: one hidden cell in girls + boys = alle is recoverable"
        );
    }
    for (k, members) in &by_grade {
        for (total, parts) in [
            ("ungdomstrinn", ["8", "9", "10"]),
            ("videregaende", ["VG1", "VG2", "VG3"]),
        ] {
            let h = members
                .iter()
                .filter(|&&i| {
                    let g = s["grade"][i].as_deref().unwrap();
                    (g == total || parts.contains(&g)) && s["numerator"][i].is_none()
                })
                .count();
            assert_ne!(h, 1, "{k:?}: one hidden cell in {total} is recoverable");
        }
    }
    let contract_fields: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(
        contract_fields,
        [
            "indicator",
            "municipality",
            "survey_year",
            "grade",
            "gender",
            "numerator",
            "denominator",
            "status"
        ]
    );

    // The region (Nedre Glomma) is the sum of its municipalities: wherever all three survey
    // denominators are known they add up, and a published region count equals the sum of
    // its published parts.
    type Units = HashMap<String, (Option<u64>, u64)>;
    let mut units: HashMap<Vec<String>, Units> = HashMap::new();
    for i in 0..n_rows {
        units.entry(key(i, "municipality")).or_default().insert(
            s["municipality"][i].clone().unwrap(),
            (num(&s["numerator"][i]), num(&s["denominator"][i]).unwrap()),
        );
    }
    let mut region_checked = 0;
    for u in units.values() {
        let (Some(r), Some(f), Some(sa)) = (u.get("nedre-glomma"), u.get("3107"), u.get("3105"))
        else {
            continue;
        };
        assert_eq!(r.1, f.1 + sa.1, "region denominator");
        if let (Some(x), Some(a), Some(b)) = (r.0, f.0, sa.0) {
            assert_eq!(x, a + b, "region count");
            region_checked += 1;
        }
    }
    assert!(
        region_checked > 100,
        "{region_checked} region cells checked"
    );

    // Comparisons and rates reach the notebooks' Parquet files with their contracts' columns.
    let (cschema, c) = read_table(&bundle.join("data/comparisons.parquet"));
    assert!(cschema.field_with_name("percent_std").is_ok());
    assert!(
        c["reference"]
            .iter()
            .any(|r| r.as_deref() == Some("Norge 2023–2025")),
        "national reference joined"
    );
    assert!(
        c["percent_std"].iter().any(Option::is_some),
        "standardised percents"
    );
    // The changes keep their codes in Parquet (the CSV for people has words).
    let (chschema, ch) = read_table(&bundle.join("data/changes.parquet"));
    let names: Vec<&str> = chschema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    assert_eq!(
        names,
        [
            "indicator",
            "municipality",
            "grade",
            "gender",
            "from_year",
            "to_year",
            "from_percent",
            "to_percent",
            "z",
            "p_value",
            "p_adjusted",
            "significant"
        ]
    );
    assert!(
        ch["grade"]
            .iter()
            .any(|g| g.as_deref() == Some("ungdomstrinn"))
    );
    let (_, ps) = read_table(&bundle.join("data/police_series.parquet"));
    let rated = (0..ps["quarter"].len())
        .filter(|&i| ps["rate_per_1000"][i].is_some())
        .count();
    assert!(rated > 1000, "{rated} quarters with a rate");
    for i in 0..ps["quarter"].len() {
        if ps["rate_per_1000"][i].is_some() {
            assert!(ps["rolling_4q"][i].is_some() && ps["population_year"][i].is_some());
        }
    }

    // 3. Police: published counts are 0 or > 4.
    let (_, p) = read_table(&bundle.join("data/protected_police_cells.parquet"));
    for (i, c) in p["count"].iter().enumerate() {
        if let Some(c) = num(c) {
            assert!(
                c == 0 || c > 4,
                "published police cell {i} breaks the > 4 rule"
            );
        }
    }

    // 3b. Flagged counts: the bundle's file has its contract's columns; a published flag is 0
    // or > 4 and never above the police count that bounds it; a flag whose bound is hidden is
    // hidden too.
    let (fschema, fl) = read_table(&bundle.join("data/protected_police_flags.parquet"));
    let expected = oppvekst_schema::contracts::protected_police_flags_schema();
    let names = |s: &arrow::datatypes::Schema| -> Vec<String> {
        s.fields().iter().map(|f| f.name().clone()).collect()
    };
    assert_eq!(names(&fschema), names(&expected));
    let police_cell: std::collections::HashMap<(String, String, String), Option<u64>> = (0
        ..p["count"].len())
        .filter(|&i| p["age_band"][i].as_deref() == Some("alle"))
        .map(|i| {
            let k = |c: &str| p[c][i].clone().unwrap();
            (
                (k("municipality"), k("quarter"), k("offence_group")),
                num(&p["count"][i]),
            )
        })
        .collect();
    assert!(!fl["count"].is_empty());
    for i in 0..fl["count"].len() {
        let k = |c: &str| fl[c][i].clone().unwrap();
        let bound = police_cell[&(k("municipality"), k("quarter"), k("offence_group"))];
        match (num(&fl["count"][i]), bound) {
            (Some(f), Some(b)) => assert!((f == 0 || f > 4) && f <= b, "flag cell {i}"),
            (Some(_), None) => panic!("flag cell {i} published beside a hidden police count"),
            (None, _) => {}
        }
    }

    // 4. The report names both municipalities, marks hidden values and loads nothing external.
    let html = String::from_utf8(all["index.html"].clone()).unwrap();
    for needle in [
        "Fredrikstad",
        "Sarpsborg",
        "taushetsplikt",
        "Vært beruset siste år",
        "Nedre Glomma: summen av Fredrikstad og Sarpsborg",
        "Norge 2023–2025",
        "per 1 000 innbyggere",
        "<img src=\"charts/",
    ] {
        assert!(html.contains(needle), "index.html lacks {needle}");
    }
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "index.html refers to the network"
    );

    // 5. The report opens in a real browser with no console errors and every chart loaded.
    check_in_chromium(
        &bundle,
        all.keys()
            .filter(|k| {
                k.starts_with("charts/") && k.ends_with(".svg") && !k.ends_with("_smal.svg")
            })
            .count(),
    );

    // 6. Byte-identical second run.
    let other = files(&bundle_b);
    assert_eq!(
        all.keys().collect::<Vec<_>>(),
        other.keys().collect::<Vec<_>>()
    );
    for (k, v) in &all {
        assert!(v == &other[k], "{k} differs between two runs");
    }

    // 7. Snapshots of what readers see: rows of the Excel tables and the report's summary.
    // The demo is seeded, so any change here is a change in output to review (cargo insta).
    let lines = |name: &str, keep: &dyn Fn(&str) -> bool| -> String {
        let text = String::from_utf8(all[name].clone()).unwrap();
        let mut it = text.trim_start_matches('\u{feff}').lines();
        let header = it.next().unwrap().to_owned();
        std::iter::once(header)
            .chain(it.filter(|l| keep(l)).map(str::to_owned))
            .collect::<Vec<_>>()
            .join("\n")
    };
    insta::assert_snapshot!(
        "indikatorer_beruset_ungdomstrinn",
        lines("tabeller/indikatorer.csv", &|l| {
            l.starts_with("Vært beruset siste år;") && l.contains(";Ungdomstrinnet;")
        })
    );
    insta::assert_snapshot!(
        "sammenligning_beruset",
        lines("tabeller/sammenligning.csv", &|l| {
            l.starts_with("Vært beruset siste år;")
        })
    );
    insta::assert_snapshot!(
        "politi_vold_2025",
        lines("tabeller/politi.csv", &|l| {
            l.contains(";Vold og mishandling;") && l.contains(";2025K")
        })
    );
    insta::assert_snapshot!("first_screen", first_screen_text(&html));
}

/// The text of the report's first screen (the section `det-viktigste`): headings as lines,
/// list items as `- ` lines, each with the section it links to.
fn first_screen_text(html: &str) -> String {
    let start = html.find("id=\"det-viktigste\"").expect("no first screen");
    let section = &html[start..start + html[start..].find("</section>").unwrap()];
    let mut out = Vec::new();
    for piece in section.split('<').skip(1) {
        let (tag, text) = piece.split_once('>').unwrap_or((piece, ""));
        let text = text.trim();
        if tag.starts_with("h2") || tag.starts_with("h3") {
            out.push(format!("\n{text}"));
        } else if let Some(href) = tag.strip_prefix("a href=\"") {
            let href = href.trim_end_matches('"');
            out.push(format!("- {text} [{href}]"));
        } else if tag == "li" && !text.is_empty() {
            out.push(format!("- {text}"));
        } else if tag.starts_with("p") && !text.is_empty() {
            out.push(format!("\n{text}"));
        }
    }
    out.join("\n")
        .trim()
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}

/// Opens index.html in headless Chromium (Debian's `chromium`, installed by .ci/run) and
/// checks the page's own image self-check and the console. Skips with a message when no
/// browser is installed, unless OPPVEKST_REQUIRE_CHROMIUM is set (as in CI).
fn check_in_chromium(bundle: &Path, charts: usize) {
    let browser = std::env::var("OPPVEKST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&browser).exists() {
        assert!(
            std::env::var_os("OPPVEKST_REQUIRE_CHROMIUM").is_none(),
            "{browser} not found"
        );
        eprintln!("skipped the browser check: {browser} not found");
        return;
    }
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(&browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!(
            "file://{}",
            bundle.join("index.html").canonicalize().unwrap().display()
        ))
        .output()
        .unwrap();
    assert!(out.status.success(), "chromium failed");
    let dom = String::from_utf8_lossy(&out.stdout);
    let expected = format!("data-images=\"{charts} loaded, 0 broken\"");
    assert!(
        dom.contains(&expected),
        "image self-check: expected {expected}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let console: Vec<&str> = stderr.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:?}");
}

#[test]
fn bad_config_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    fs::write(&cfg, "[survey.suppression]\nmax_small_cont = 3\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_oppvekst"))
        .arg("--config")
        .arg(&cfg)
        .args(["demo", "--out"])
        .arg(dir.path().join("b"))
        .arg("--work")
        .arg(dir.path().join("w"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown field `max_small_cont`") && err.contains("line 2"),
        "{err}"
    );
    assert!(
        !dir.path().join("b").exists(),
        "no bundle may be written on a config error"
    );
}

#[test]
fn init_writes_a_config_the_demo_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("oppvekst.toml");
    let st = Command::new(env!("CARGO_BIN_EXE_oppvekst"))
        .arg("init")
        .arg(&cfg)
        .status()
        .unwrap();
    assert!(st.success());
    let again = Command::new(env!("CARGO_BIN_EXE_oppvekst"))
        .arg("init")
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(
        !again.status.success(),
        "init must not overwrite without --force"
    );
    assert!(
        fs::read_to_string(&cfg)
            .unwrap()
            .contains("max_small_count = 6")
    );
}

/// A small hierarchical table: 4 municipalities in 2 counties × 2 quarters × 3 offences in 2 groups.
fn small_table(dir: &Path) -> PathBuf {
    let mut s = String::from("mun,county,quarter,offence,offgroup,freq\n");
    let mut k = 0u64;
    for (mun, county) in [("K1", "F1"), ("K2", "F1"), ("K3", "F2"), ("K4", "F2")] {
        for q in ["Q1", "Q2"] {
            for (off, grp) in [("O1", "G1"), ("O2", "G1"), ("O3", "G2")] {
                k += 1;
                let freq = [1, 9, 14, 2, 30, 7, 0, 12, 3][(k % 9) as usize] + (k % 4) * 5;
                s.push_str(&format!("{mun},{county},{q},{off},{grp},{freq}\n"));
            }
        }
    }
    let p = dir.join("table.csv");
    fs::write(&p, s).unwrap();
    p
}

fn oppvekst(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_oppvekst"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn protect_then_audit_and_a_weakened_pattern_fails() {
    let dir = tempfile::tempdir().unwrap();
    let table = small_table(dir.path());
    let out = dir.path().join("protected.csv");
    let rules_log = dir.path().join("rules.csv");
    let dims = [
        "--dim",
        "mun,county",
        "--dim",
        "quarter",
        "--dim",
        "offence,offgroup",
    ];
    let mut args = vec![
        "protect",
        "--input",
        table.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--rules",
        rules_log.to_str().unwrap(),
        "--threshold",
        "3",
    ];
    args.extend(dims);
    let o = oppvekst(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = fs::read_to_string(&out).unwrap();
    assert!(
        text.lines().count() == 1 + 7 * 3 * 6,
        "every publishable cell is listed"
    );
    assert!(text.contains(",:,hidden"), "hidden cells are marked `:`");
    // The published file says nothing per hidden cell but `:`; the rule is in the
    // confidential log only.
    assert!(!text.contains("small_count") && !text.contains("secondary"));
    let log = fs::read_to_string(&rules_log).unwrap();
    assert!(
        log.contains(",small_count,true,"),
        "primary cells are logged"
    );
    assert!(log.contains(",secondary,false,"), "complements are logged");
    let secondary: std::collections::HashSet<String> = log
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(3) == Some("secondary"))
        .map(|l| l.split(',').take(3).collect::<Vec<_>>().join(","))
        .collect();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f[4] == "published" {
            let v: u64 = f[3].parse().unwrap();
            assert!(v == 0 || v > 3, "published small count in {line}");
        }
    }
    let audit = |pattern: &Path| {
        let mut a = vec![
            "audit",
            "--structure",
            table.to_str().unwrap(),
            "--pattern",
            pattern.to_str().unwrap(),
        ];
        a.extend(dims);
        a.extend([
            "--pattern-value",
            "value",
            "--hidden-column",
            "status",
            "--width",
            "3",
        ]);
        oppvekst(&a)
    };
    let o = audit(&out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    assert!(String::from_utf8_lossy(&o.stdout).contains("0 failures"));

    // Weaken it: publish the secondary cells again (their true values come from the input).
    let structure_out = dir.path().join("full.csv");
    let mut full = vec![
        "protect",
        "--input",
        table.to_str().unwrap(),
        "--output",
        structure_out.to_str().unwrap(),
        "--threshold",
        "0",
    ];
    full.extend(dims);
    assert!(oppvekst(&full).status.success());
    let values: HashMap<String, String> = fs::read_to_string(&structure_out)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[..3].join(","), f[3].to_owned())
        })
        .collect();
    let weakened: String = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            if secondary.contains(&f[..3].join(",")) {
                format!(
                    "{},{},published",
                    f[..3].join(","),
                    values[&f[..3].join(",")]
                )
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let weak = dir.path().join("weak.csv");
    fs::write(&weak, weakened).unwrap();
    let o = audit(&weak);
    assert!(
        !o.status.success(),
        "the audit must catch a pattern without complementary cells"
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("not protected"), "{stdout}");
}

#[test]
fn ingest_survey_reconciles_and_quarantines_without_values() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("u.csv");
    // Row 3 holds an out-of-range answer (the distinctive code 77); row 4 a missing field.
    fs::write(&file, "ID;år;kommune;Klasse;kjønn;beruset\n1;2025;3105;1;1;2\n2;2025;3105;1;2;77\n3;2025;3105;1;2\n4;2025;3105;2;1;1\n").unwrap();
    let work = dir.path().join("w");
    let o = oppvekst(&[
        "ingest",
        "survey",
        file.to_str().unwrap(),
        "--work",
        work.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    // The out-of-range answer costs that answer, not the pupil.
    assert!(
        stdout.contains("4 rows read = 3 accepted + 1 quarantined"),
        "{stdout}"
    );
    assert!(
        stdout.contains("3 answers read = 2 valid + 0 missing + 1 invalid"),
        "{stdout}"
    );
    let q = fs::read_to_string(work.join("quarantine/survey.csv")).unwrap();
    assert!(q.starts_with("file,row,column,reason,scope\n"), "{q}");
    assert!(
        q.contains(",3,beruset,answer code out of range 1–5,answer"),
        "{q}"
    );
    assert!(q.contains(",4,,\"expected 6 fields, found 5\",row"), "{q}");
    assert!(
        !q.contains("77") && !stdout.contains("77"),
        "an answer value leaked"
    );
    assert!(work.join("stages/respondents.parquet").exists());
    assert!(work.join("stages/survey_cells.parquet").exists());

    fs::write(&file, "ID;kommune\n1;3105\n").unwrap();
    let o = oppvekst(&[
        "ingest",
        "survey",
        file.to_str().unwrap(),
        "--work",
        work.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("u.csv: required column missing: survey_year")
    );
}

#[test]
fn quarterly_runs_keep_history_revisions_and_earlier_hidden_cells() {
    let (dir, cfg) = synth_with_config();
    let d = dir.path();
    let cfg = cfg.as_str();
    let police = d.join("inbox/police");
    fs::rename(police.join("politi_2025K4.csv"), d.join("K4.csv")).unwrap();
    fs::rename(police.join("politi_2023K3.csv"), d.join("K3.csv")).unwrap();

    let o = oppvekst(&["--config", cfg, "run", "--quarter", "2025Q3"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("38 new quarters"));
    // A sum of four quarters that reaches a quarter with no extract (2023K3), or one before
    // the series began, does not exist: `.`, not `:` (hidden).
    let politi = fs::read_to_string(d.join("bundles/2025Q3/tabeller/politi.csv")).unwrap();
    let sum_of = |quarter: &str| -> String {
        politi
            .lines()
            .map(|l| l.split(';').collect::<Vec<_>>())
            .find(|f| {
                f[0] == "3107" && f[2] == "Alle lovbrudd" && f[3] == "Alle aldre" && f[4] == quarter
            })
            .map(|f| f[6].to_owned())
            .unwrap()
    };
    for q in ["2016K1", "2016K3", "2023K4", "2024K2"] {
        assert_eq!(sum_of(q), ".", "{q}");
    }
    for q in ["2016K4", "2024K3"] {
        assert!(sum_of(q).parse::<u32>().is_ok(), "{q}: {}", sum_of(q));
    }
    let o = oppvekst(&["--config", cfg, "status"]);
    let status = String::from_utf8_lossy(&o.stdout);
    assert!(
        status.contains("quarters without an extract: 2023Q3"),
        "{status}"
    );
    // Extracts carry flag columns from 2022 on.
    assert!(
        status.contains("from police/politi_2025K3.csv  with flags"),
        "{status}"
    );
    assert!(
        !status.contains("from police/politi_2021K4.csv  with"),
        "{status}"
    );

    // No extract for 2025Q4 yet: status names it and says the run would fail.
    let o = oppvekst(&["--config", cfg, "status", "--quarter", "2025Q4"]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("[stops the run] no police extract for 2025Q4"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    // No extract for 2025Q4 yet: a clear error, no bundle.
    let o = oppvekst(&["--config", cfg, "run", "--quarter", "2025Q4"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no police extract for 2025Q4"));
    assert!(!d.join("bundles/2025Q4").exists());

    // The new quarter arrives with a correction of 2024Q2.
    fs::rename(d.join("K4.csv"), police.join("politi_2025K4.csv")).unwrap();
    let original = fs::read(police.join("politi_2024K2.csv")).unwrap();
    let text = encoding_rs::WINDOWS_1252.decode(&original).0.into_owned();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let fields: Vec<&str> = lines[5].split(';').collect();
    let bumped: u32 = fields[5].parse::<u32>().unwrap() + 3;
    // Keep the flag columns the extract has from 2022 on.
    let mut fixed: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
    fixed[5] = bumped.to_string();
    lines[5] = fixed.join(";");
    fs::write(
        police.join("politi_2024K2_korrigert.csv"),
        encoding_rs::WINDOWS_1252
            .encode(&(lines.join("\r\n") + "\r\n"))
            .0,
    )
    .unwrap();
    let o = oppvekst(&["--config", cfg, "run", "--quarter", "2025Q4"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("1 new quarters, 1 revised"), "{out}");
    assert!(
        out.contains("2024Q2: revised by police/politi_2024K2_korrigert.csv"),
        "{out}"
    );
    let status =
        String::from_utf8_lossy(&oppvekst(&["--config", cfg, "status"]).stdout).into_owned();
    assert!(
        status.contains("2024Q2  revision 2  from police/politi_2024K2_korrigert.csv"),
        "{status}"
    );

    // Every police cell hidden in the 2025Q3 release is still hidden in 2025Q4.
    let hidden = |q: &str| -> std::collections::HashSet<String> {
        let (_, t) =
            read_table(&d.join(format!("bundles/{q}/data/protected_police_cells.parquet")));
        (0..t["status"].len())
            .filter(|&i| t["status"][i].as_deref() == Some("hidden"))
            .map(|i| {
                format!(
                    "{:?}{:?}{:?}{:?}",
                    t["municipality"][i], t["quarter"][i], t["offence_group"][i], t["age_band"][i]
                )
            })
            .collect()
    };
    let (q3, q4) = (hidden("2025Q3"), hidden("2025Q4"));
    assert!(!q3.is_empty());
    assert!(
        q3.is_subset(&q4),
        "{} cells hidden in 2025Q3 are published in 2025Q4",
        q3.difference(&q4).count()
    );

    // Running the same quarter again changes nothing and gives the same bundle.
    let before = files(&d.join("bundles/2025Q4"));
    let o = oppvekst(&["--config", cfg, "run", "--quarter", "2025Q4"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("0 new quarters, 0 revised"));
    assert_eq!(before, files(&d.join("bundles/2025Q4")));

    // A configuration whose requirement cannot be met: the police threshold raised above
    // counts the 2025K3 release published. No pattern can hide what a reader already holds,
    // so the run stops, and the bundle and the ledger stay as they were.
    let ledger = fs::read(current_generation(d).join("ledger.json")).unwrap();
    fs::write(
        cfg,
        format!(
            "[paths]\ninbox = \"{0}/inbox\"\nwork = \"{0}/work\"\nbundle = \"{0}/bundles\"\n[report]\nrelease_date = \"2026-01-20\"\n[police.suppression]\nmax_small_count = 9\n",
            d.display()
        ),
    )
    .unwrap();
    let o = oppvekst(&["--config", cfg, "run", "--quarter", "2025Q4"]);
    assert!(!o.status.success(), "a release the audit fails was written");
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("table `politi`")
            && e.contains("can still be narrowed below the required width"),
        "{e}"
    );
    assert_eq!(before, files(&d.join("bundles/2025Q4")));
    assert_eq!(
        ledger,
        fs::read(current_generation(d).join("ledger.json")).unwrap()
    );
}

/// The `audit` arguments for `small_table`'s layout, auditing `pattern` at width 3.
fn audit_args<'a>(table: &'a Path, pattern: &'a Path) -> Vec<&'a str> {
    vec![
        "audit",
        "--structure",
        table.to_str().unwrap(),
        "--pattern",
        pattern.to_str().unwrap(),
        "--dim",
        "mun,county",
        "--dim",
        "quarter",
        "--dim",
        "offence,offgroup",
        "--pattern-value",
        "value",
        "--hidden-column",
        "status",
        "--width",
        "3",
    ]
}

/// `oppvekst protect` on `small_table` with these extra arguments.
fn protect_small(table: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "protect",
        "--input",
        table.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--dim",
        "mun,county",
        "--dim",
        "quarter",
        "--dim",
        "offence,offgroup",
    ];
    args.extend(extra);
    oppvekst(&args)
}

#[test]
fn audit_refuses_bad_patterns_naming_file_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let table = small_table(dir.path());
    let out = dir.path().join("protected.csv");
    assert!(
        protect_small(&table, &out, &["--threshold", "3"])
            .status
            .success()
    );
    let good = fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = good.lines().collect();
    let run = |name: &str, text: String| {
        let p = dir.path().join(name);
        fs::write(&p, text).unwrap();
        let o = oppvekst(&audit_args(&table, &p));
        assert!(!o.status.success(), "{name}: accepted");
        let e = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(e.contains(name), "{name}: the file is not named: {e}");
        assert!(!e.contains("panicked"), "{name}: {e}");
        e
    };
    // A header and no rows.
    let e = run("header_only.csv", format!("{}\n", lines[0]));
    assert!(e.contains("row 1") && e.contains("no rows"), "{e}");
    // A row naming a cell the structure does not have.
    let mut rows = lines.clone();
    let stray = {
        let f: Vec<&str> = lines[1].split(',').collect();
        format!("K9,{}", f[1..].join(","))
    };
    rows.push(&stray);
    let e = run("stray.csv", rows.join("\n"));
    assert!(
        e.contains(&format!("row {}", rows.len())) && e.contains("column `mun`"),
        "{e}"
    );
    // The same cell twice with a different status.
    let published = lines
        .iter()
        .skip(1)
        .find(|l| l.ends_with(",published"))
        .unwrap();
    let hidden_again = {
        let f: Vec<&str> = published.split(',').collect();
        format!("{},:,hidden", f[..3].join(","))
    };
    let mut rows = lines.clone();
    rows.push(&hidden_again);
    let e = run("twice.csv", rows.join("\n"));
    assert!(
        e.contains(&format!("row {}", rows.len())) && e.contains("column `status`"),
        "{e}"
    );
    // Published values that contradict the relations: the grand total off by one.
    let total = lines
        .iter()
        .position(|l| l.starts_with("Total,Total,Total,"))
        .unwrap();
    let f: Vec<&str> = lines[total].split(',').collect();
    let v: u64 = f[3].parse().unwrap();
    let off_by_one = format!("Total,Total,Total,{},published", v + 1);
    let mut rows = lines.clone();
    rows[total] = &off_by_one;
    let e = run("off_by_one.csv", rows.join("\n"));
    assert!(
        e.contains(&format!("row {}", total + 1)) && e.contains("column `value`"),
        "{e}"
    );
    assert!(e.contains("contradict"), "{e}");
    // Counts too large to sum exactly, and beyond any integer type.
    for (name, value) in [
        ("huge.csv", "18446744073709551615"),
        ("beyond.csv", "99999999999999999999999"),
    ] {
        let big = format!("Total,Total,Total,{value},published");
        let mut rows = lines.clone();
        rows[total] = &big;
        let e = run(name, rows.join("\n"));
        assert!(
            e.contains(&format!("row {}", total + 1)) && e.contains("column `value`"),
            "{e}"
        );
    }
}

#[test]
fn a_release_the_audit_cannot_pass_is_never_written() {
    let dir = tempfile::tempdir().unwrap();
    let table = small_table(dir.path());
    let ledger = dir.path().join("ledger.json");
    let first = dir.path().join("r1.csv");
    let o = protect_small(
        &table,
        &first,
        &["--threshold", "3", "--ledger", ledger.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let recorded = fs::read(&ledger).unwrap();
    // The next release raises the threshold: cells the first release published are now
    // too small, and no pattern can hide what a reader already holds.
    let second = dir.path().join("r2.csv");
    let o = protect_small(
        &table,
        &second,
        &["--threshold", "12", "--ledger", ledger.to_str().unwrap()],
    );
    assert!(!o.status.success(), "a failing release was accepted");
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("protected cells can still be narrowed below the required width"),
        "{e}"
    );
    assert!(e.contains("table.csv"), "the table is named: {e}");
    assert!(!second.exists(), "nothing is written");
    assert_eq!(
        fs::read(&ledger).unwrap(),
        recorded,
        "the ledger is unchanged"
    );
    // A damaged ledger (a field missing) is an error naming the file, never a panic.
    let damaged = dir.path().join("damaged.json");
    fs::write(&damaged, "{\"releases\": {}}").unwrap();
    let o = protect_small(
        &table,
        &dir.path().join("r3.csv"),
        &["--threshold", "3", "--ledger", damaged.to_str().unwrap()],
    );
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("damaged.json: not an oppvekst ledger") && e.contains("format"),
        "{e}"
    );

    // A demo whose police table ends up entirely hidden fails in words, and the bundle
    // already in place stays as it was.
    let config = dir.path().join("hide_all.toml");
    fs::write(
        &config,
        "[police.suppression]\nmax_small_count = 1000000\nprotect_zeros = true\n",
    )
    .unwrap();
    let bundle = dir.path().join("bundle");
    fs::create_dir_all(&bundle).unwrap();
    fs::write(bundle.join("manifest.json"), "{\"earlier\": true}\n").unwrap();
    let work = dir.path().join("work");
    let o = oppvekst(&[
        "--config",
        config.to_str().unwrap(),
        "demo",
        "--out",
        bundle.to_str().unwrap(),
        "--work",
        work.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("table `politi`: every cell is hidden"), "{e}");
    assert!(!e.contains("polars"), "{e}");
    assert_eq!(
        fs::read_to_string(bundle.join("manifest.json")).unwrap(),
        "{\"earlier\": true}\n"
    );
    assert!(!dir.path().join("bundle.partial").exists());
}

#[test]
fn a_survey_file_coded_otherwise_stops_the_run_before_anything_is_imported() {
    let (dir, cfg) = synth_with_config();
    let d = dir.path();
    let cfg = cfg.as_str();
    // NOVA's layout with value labels of the old 0–5 grade coding.
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../oppvekst-ingest-survey/tests/fixtures/nova_drifted.sav"),
        d.join("inbox/survey/nova_drifted.sav"),
    )
    .unwrap();
    let o = oppvekst(&["--config", cfg, "run", "--quarter", "2025Q4"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("disagree with the codebook"), "{err}");
    assert!(
        err.contains("survey/nova_drifted.sav") && err.contains("\"9. trinn\""),
        "{err}"
    );
    assert!(!d.join("bundles/2025Q4").exists());
    assert!(
        !d.join("work/quarantine/survey.csv").exists(),
        "nothing imported"
    );
    assert!(
        !d.join("work/store").exists(),
        "the police store untouched too"
    );
    // The check on its own names the same disagreements and exits non-zero.
    let o = oppvekst(&[
        "codebook",
        "check",
        d.join("inbox/survey/nova_drifted.sav").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("label disagrees"));
}

/// A temporary folder with the demo's inputs in `inbox/` and a configuration `c.toml` using
/// it (work and bundles beside it); returns the folder and the configuration's path.
fn synth_with_config() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cfg = d.join("c.toml");
    fs::write(
        &cfg,
        format!(
            "[paths]\ninbox = \"{0}/inbox\"\nwork = \"{0}/work\"\nbundle = \"{0}/bundles\"\n[report]\nrelease_date = \"2026-01-20\"\n",
            d.display()
        ),
    )
    .unwrap();
    assert!(
        oppvekst(&["synth", "--out", d.join("inbox").to_str().unwrap()])
            .status
            .success()
    );
    let cfg = cfg.to_str().unwrap().to_owned();
    (dir, cfg)
}

#[test]
fn two_runs_started_together_one_refuses_cleanly_and_a_stale_lock_is_taken_over() {
    let (dir, cfg) = synth_with_config();
    let d = dir.path();
    let start = || {
        Command::new(env!("CARGO_BIN_EXE_oppvekst"))
            .args(["--config", &cfg, "run", "--quarter", "2025Q4"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (start(), start());
    let (pa, pb) = (a.id(), b.id());
    let outs = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()];
    let ok = outs.iter().filter(|o| o.status.success()).count();
    assert!(ok >= 1, "at least one run finishes");
    for (o, other) in outs.iter().zip([pb, pa]) {
        if !o.status.success() {
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(
                err.contains("another oppvekst is writing this work folder")
                    && err.contains(&format!("process {other}"))
                    && err.contains("run --quarter 2025Q4"),
                "{err}"
            );
        }
    }
    // The store is whole: the next run finds nothing new and writes the same bundle.
    let first = fs::read(d.join("bundles/2025Q4/manifest.json")).unwrap();
    let o = oppvekst(&["--config", &cfg, "run", "--quarter", "2025Q4"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("0 new quarters, 0 revised, 40 unchanged"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert_eq!(
        fs::read(d.join("bundles/2025Q4/manifest.json")).unwrap(),
        first
    );

    // A lock file left by a run that was killed (no process holds the lock): taken over.
    fs::write(
        d.join("work/oppvekst.lock"),
        "pid=999999\ncommand=run --quarter 2025Q4\nstarted=2026-01-20T08:00:00Z\n",
    )
    .unwrap();
    let o = oppvekst(&["--config", &cfg, "status"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = oppvekst(&["--config", &cfg, "run", "--quarter", "2025Q4"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("took over the lock of `oppvekst run --quarter 2025Q4` (process 999999"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn every_inbox_file_is_read_or_listed_and_a_file_a_source_cannot_read_stops_the_run() {
    let (dir, cfg) = synth_with_config();
    let d = dir.path();
    fs::write(d.join("inbox/LESMEG.txt"), "notater").unwrap();
    fs::write(d.join("inbox/police/.~lock.politi_2025K4.csv#"), "").unwrap();
    // An old Excel file among the population tables (not a format read there).
    fs::write(d.join("inbox/population/folketall.xls"), "a;b\n").unwrap();
    let o = oppvekst(&["--config", &cfg, "run", "--quarter", "2025Q4"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("population/folketall.xls: not one of the population tables this folder holds (only .json, .px, .csv, .xlsx files are read here)"),
        "{err}"
    );
    assert!(!d.join("work/store").exists(), "nothing imported");
    fs::remove_file(d.join("inbox/population/folketall.xls")).unwrap();
    let o = oppvekst(&["--config", &cfg, "run", "--quarter", "2025Q4"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("not read (listed in manifest.json):"), "{out}");
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(d.join("bundles/2025Q4/manifest.json")).unwrap()).unwrap();
    let not_read: Vec<(String, String)> = manifest["not_read"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["file"].as_str().unwrap().to_owned(),
                n["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        not_read,
        vec![
            (
                "LESMEG.txt".to_owned(),
                "not in a source folder (survey/, police/, population/, reference/, official/)"
                    .to_owned()
            ),
            (
                "police/.~lock.politi_2025K4.csv#".to_owned(),
                "hidden or temporary file".to_owned()
            ),
        ]
    );
    // Every other file of the inbox is an input of the manifest.
    let inputs = manifest["inputs"].as_array().unwrap().len();
    let files = walk(&d.join("inbox")).len();
    assert_eq!(inputs + not_read.len(), files);
}

/// Every file under `dir`, recursively.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn status_names_what_the_quarters_run_would_miss() {
    let (dir, cfg) = synth_with_config();
    let d = dir.path();
    // No 2025 wave, and Sarpsborg's rows cut from the 2025Q4 extract.
    for f in ["ungdata_fredrikstad_2025.sav", "ungdata_sarpsborg_2025.csv"] {
        fs::remove_file(d.join("inbox/survey").join(f)).unwrap();
    }
    let k4 = d.join("inbox/police/politi_2025K4.csv");
    let text = encoding_rs::WINDOWS_1252
        .decode(&fs::read(&k4).unwrap())
        .0
        .into_owned();
    let kept: Vec<&str> = text.lines().filter(|l| !l.starts_with("3105;")).collect();
    fs::write(
        &k4,
        encoding_rs::WINDOWS_1252
            .encode(&(kept.join("\r\n") + "\r\n"))
            .0,
    )
    .unwrap();
    let o = oppvekst(&["--config", &cfg, "status"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!o.status.success(), "{out}");
    assert!(out.contains("run --quarter 2025Q4: missing"), "{out}");
    assert!(
        out.contains("[stops the run] police 2025K4: incomplete for 3105"),
        "{out}"
    );
    assert!(
        out.contains("[note] police 2025Q4: no rows for Sarpsborg (3105)"),
        "{out}"
    );
    assert!(
        out.contains("[note] Ungdata 2025 expected (a wave every 3 years since 2016) but no survey file holds it"),
        "{out}"
    );
    assert!(!d.join("work/store").exists(), "status writes nothing");
    // And the run does fail, as status said.
    let o = oppvekst(&["--config", &cfg, "run", "--quarter", "2025Q4"]);
    assert!(!o.status.success());
}

/// The folder of the history store's current generation (what `work/store/CURRENT` names).
fn current_generation(d: &Path) -> PathBuf {
    let store = d.join("work/store");
    store.join(fs::read_to_string(store.join("CURRENT")).unwrap().trim())
}

/// The history store as a reader sees it: `CURRENT` and every file of the generation it
/// names, path → bytes.
fn store_state(work: &Path) -> BTreeMap<String, Vec<u8>> {
    let store = work.join("store");
    let current = fs::read_to_string(store.join("CURRENT")).unwrap();
    let generation = store.join(current.trim());
    let mut state: BTreeMap<String, Vec<u8>> = walk(&generation)
        .into_iter()
        .map(|p| {
            let name = p.strip_prefix(&generation).unwrap().display().to_string();
            (name, fs::read(&p).unwrap())
        })
        .collect();
    state.insert("CURRENT".into(), current.into_bytes());
    state
}

/// A copy of a folder tree.
fn copy_tree(from: &Path, to: &Path) {
    if to.exists() {
        fs::remove_dir_all(to).unwrap();
    }
    for p in walk(from) {
        let dst = to.join(p.strip_prefix(from).unwrap());
        fs::create_dir_all(dst.parent().unwrap()).unwrap();
        fs::copy(&p, &dst).unwrap();
    }
}

#[test]
fn a_run_killed_at_any_durable_step_leaves_the_store_as_before_or_as_after() {
    let (dir, cfg) = synth_with_config();
    let d = dir.path();
    let police = d.join("inbox/police");
    fs::rename(police.join("politi_2025K4.csv"), d.join("K4.csv")).unwrap();
    let run = |crash_after: usize| {
        Command::new(env!("CARGO_BIN_EXE_oppvekst"))
            .args(["--config", &cfg, "run", "--quarter", "2025Q4"])
            .env("SOURCE_DATE_EPOCH", "1760000000")
            .env("OPPVEKST_CRASH_AFTER_STEPS", crash_after.to_string())
            .output()
            .unwrap()
    };
    let first = Command::new(env!("CARGO_BIN_EXE_oppvekst"))
        .args(["--config", &cfg, "run", "--quarter", "2025Q3"])
        .env("SOURCE_DATE_EPOCH", "1750000000")
        .output()
        .unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let work = d.join("work");
    let saved = d.join("work-before");
    copy_tree(&work, &saved);
    let before = store_state(&work);
    // The next quarter arrives with a correction of 2024Q2 (a revision and a new quarter).
    fs::rename(d.join("K4.csv"), police.join("politi_2025K4.csv")).unwrap();
    let text = encoding_rs::WINDOWS_1252
        .decode(&fs::read(police.join("politi_2024K2.csv")).unwrap())
        .0
        .into_owned();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut fields: Vec<String> = lines[1].split(';').map(str::to_owned).collect();
    fields[5] = (fields[5].parse::<u32>().unwrap() + 1).to_string();
    lines[1] = fields.join(";");
    fs::write(
        police.join("politi_2024K2_korrigert.csv"),
        encoding_rs::WINDOWS_1252
            .encode(&(lines.join("\r\n") + "\r\n"))
            .0,
    )
    .unwrap();
    // The uninterrupted run (0: count the steps, stop at none).
    let o = run(0);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    let steps: usize = err
        .lines()
        .find_map(|l| l.strip_prefix("durable steps: "))
        .unwrap()
        .parse()
        .unwrap();
    let after = store_state(&work);
    assert_ne!(before, after);
    let bundle = d.join("bundles/2025Q4");
    let bundle_after: BTreeMap<PathBuf, Vec<u8>> = walk(&bundle)
        .into_iter()
        .map(|p| (p.clone(), fs::read(p).unwrap()))
        .collect();

    // Kill points: the first steps, points through the import, and every step of the end
    // (the ledger, the commit, the retiring of the old generation).
    let mut points: BTreeSet<usize> = [1, 2, 3, 10, 25, 50, 75, 100].into_iter().collect();
    points.extend(steps.saturating_sub(2)..=steps);
    points.retain(|&k| k >= 1 && k <= steps);
    let (mut as_before, mut as_after) = (0, 0);
    for &k in &points {
        copy_tree(&saved, &work);
        let _ = fs::remove_dir_all(&bundle);
        let o = run(k);
        assert!(
            !o.status.success(),
            "step {k} of {steps}: the run was to be stopped"
        );
        let state = store_state(&work);
        if state == before {
            as_before += 1;
        } else {
            assert!(
                state == after,
                "step {k} of {steps}: the store is neither as before nor as after (differs from after in {:?})",
                differing(&state, &after)
            );
            as_after += 1;
        }
        // After a kill near the start and one at the commit, the next run gives the
        // uninterrupted run's store and bundle, and leaves no generation behind.
        if k == 2 || k == steps - 1 {
            let o = run(0);
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let state = store_state(&work);
            assert!(
                state == after,
                "after a kill at step {k}: differs in {:?}",
                differing(&state, &after)
            );
            let got: BTreeMap<PathBuf, Vec<u8>> = walk(&bundle)
                .into_iter()
                .map(|p| (p.clone(), fs::read(p).unwrap()))
                .collect();
            assert!(got == bundle_after, "the bundle after a kill at step {k}");
            let generations = fs::read_dir(work.join("store"))
                .unwrap()
                .filter(|e| {
                    e.as_ref()
                        .unwrap()
                        .file_name()
                        .to_string_lossy()
                        .starts_with("gen-")
                })
                .count();
            assert_eq!(generations, 1);
        }
    }
    assert!(
        as_before > 0 && as_after > 0,
        "{as_before} before, {as_after} after"
    );
    eprintln!(
        "crash test: {} kill points of {steps} durable steps: {as_before} left the store as before, {as_after} as after",
        points.len()
    );
}

/// The names whose bytes differ between two folder states.
fn differing(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    a.keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

#[test]
fn ssb_08487_as_an_r_export_is_set_beside_the_local_extract_in_the_report() {
    let (dir, cfg) = synth_with_config();
    let d = dir.path();
    fs::create_dir_all(d.join("inbox/official")).unwrap();
    fs::write(
        d.join("inbox/official/08487.csv"),
        "region,tid,Alle lovbruddsgrupper,Vold og mishandling,Seksuallovbrudd\n\
         3107 Fredrikstad,24-25,4100.5,612,NA\n\
         3105 Sarpsborg,2024-2025,2950,410.5,:\n\
         3107 Fredrikstad,2016-2017,3900,500,20\n",
    )
    .unwrap();
    let o = oppvekst(&["--config", &cfg, "run", "--quarter", "2025Q4"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = fs::read_to_string(d.join("bundles/2025Q4/index.html")).unwrap();
    assert!(
        html.contains("<h3>Kontroll mot SSBs offisielle tall</h3>"),
        "no section"
    );
    let start = html.find("lokalt uttrekk og SSB 08487").unwrap();
    let table = &html[start..start + html[start..].find("</table>").unwrap()];
    // Only the last two full years (2024–2025); SSB's symbols as they are.
    assert!(!table.contains("2016-2017"));
    assert!(
        table.contains("<td>Fredrikstad</td><td>2024-2025</td><td>Alle lovbrudd</td>"),
        "{table}"
    );
    assert!(table.contains("<td>4100,5</td>"), "{table}");
    assert!(
        table.contains("<td>Sarpsborg</td><td>2024-2025</td><td>Seksuallovbrudd</td>"),
        "{table}"
    );
    assert!(
        table.contains("<td>:</td><td>–</td></tr>"),
        "SSB's hidden cell stays hidden: {table}"
    );
    assert!(
        table.contains("<td>..</td>"),
        "NA is missing, not a number: {table}"
    );
    // The local figure is the sum of the published quarters: recomputed from the bundle's
    // own police table (all groups, all ages, Fredrikstad, the eight quarters of 2024–2025).
    let police = fs::read_to_string(d.join("bundles/2025Q4/tabeller/politi.csv")).unwrap();
    let counts: Vec<&str> = police
        .lines()
        .map(|l| l.split(';').collect::<Vec<_>>())
        .filter(|f| f[0] == "3107" && f[2] == "Alle lovbrudd" && f[3] == "Alle aldre")
        .filter(|f| f[4].starts_with("2024") || f[4].starts_with("2025"))
        .map(|f| f[5])
        .collect();
    assert_eq!(counts.len(), 8);
    let local = if counts.iter().all(|c| c.parse::<u64>().is_ok()) {
        let sum: u64 = counts.iter().map(|c| c.parse::<u64>().unwrap()).sum();
        format!("{:.1}", sum as f64 / 2.0).replace('.', ",")
    } else {
        ":".to_owned()
    };
    assert!(
        table.contains(&format!(
            "<td>Fredrikstad</td><td>2024-2025</td><td>Alle lovbrudd</td><td>{local}</td><td>4100,5</td>"
        )),
        "{table}"
    );
    let manifest = fs::read_to_string(d.join("bundles/2025Q4/manifest.json")).unwrap();
    assert!(manifest.contains("official/08487.csv"));
}
