//! The benchmark tables, shared by the suppression benchmark and `tools/lpcmp`: the layout of
//! the shared tables t1 and t2 (../shared/bench), and the generated national-size police
//! table (356 municipalities ⊂ 15 counties × 40 quarters ⊂ 10 years × 9 offence groups × 4
//! age bands, with every total), seeded.

use oppvekst_disclosure::csvtable::CsvSpec;
use oppvekst_disclosure::{Cell, Dimension, Table};

/// How the shared tables are laid out: municipality ⊂ county, quarter, offence ⊂ group.
pub fn shared_spec() -> CsvSpec {
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

pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.next().max(1e-12), self.next());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
    pub fn poisson(&mut self, mean: f64) -> u64 {
        if mean > 50.0 {
            return (mean + mean.sqrt() * self.normal()).round().max(0.0) as u64;
        }
        let (limit, mut k, mut p) = ((-mean).exp(), 0, 1.0);
        loop {
            p *= self.next();
            if p <= limit {
                return k;
            }
            k += 1;
        }
    }
}

/// A dimension from (child, parent) edges.
pub fn dim(name: &str, edges: &[(String, String)]) -> Dimension {
    let refs: Vec<(&str, &str)> = edges
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    Dimension::hierarchy(name, &refs)
}

/// 356 municipalities in 15 counties with log-normal sizes (median ≈ 4,000 inhabitants, many
/// small ones, as in Norway): (code, county, inhabitants).
fn municipalities(rng: &mut Rng) -> Vec<(String, String, f64)> {
    (0..356)
        .map(|i| {
            let size = (8.3 + 1.25 * rng.normal()).exp();
            (
                format!("K{i:04}"),
                format!("F{:02}", i * 15 / 356 + 1),
                size,
            )
        })
        .collect()
}

/// Municipality → county → Norge.
fn municipality_edges(muns: &[(String, String, f64)]) -> Vec<(String, String)> {
    let mut edges: Vec<(String, String)> = muns
        .iter()
        .map(|(m, f, _)| (m.clone(), f.clone()))
        .collect();
    edges.extend((1..=15).map(|f| (format!("F{f:02}"), "Norge".to_owned())));
    edges
}

/// A national-size police table: 356 municipalities ⊂ 15 counties ⊂ Norway × 40 quarters ⊂
/// 10 years ⊂ all × 9 offence groups ⊂ all × 4 age bands ⊂ all, with log-normal
/// municipality sizes (many small ones, as in Norway), seasonality and Poisson counts.
pub fn national() -> Table {
    let mut rng = Rng(2025);
    let muns = municipalities(&mut rng);
    let quarters: Vec<(String, String)> = (2016..2026)
        .flat_map(|y| (1..=4).map(move |q| (format!("{y}K{q}"), y.to_string())))
        .collect();
    let group_rate = [2.0, 6.0, 3.0, 1.5, 8.0, 1.0, 0.5, 4.0, 2.5]; // per 1,000 per quarter
    let age_share = [0.15, 0.25, 0.3, 0.3];
    let mut inner = Vec::with_capacity(356 * 40 * 36);
    for (m, _, size) in &muns {
        for (qi, (q, _)) in quarters.iter().enumerate() {
            let season = 1.0 + 0.15 * (qi as f64 * std::f64::consts::FRAC_PI_2).sin();
            for (g, rate) in group_rate.iter().enumerate() {
                for (a, share) in age_share.iter().enumerate() {
                    let mean = size / 1000.0 * rate * season * share;
                    inner.push(Cell {
                        key: vec![
                            m.clone(),
                            q.clone(),
                            format!("G{}", g + 1),
                            format!("A{}", a + 1),
                        ],
                        value: rng.poisson(mean),
                        denominator: None,
                    });
                }
            }
        }
    }
    let mun_edges = municipality_edges(&muns);
    let mut q_edges = quarters.clone();
    q_edges.extend((2016..2026).map(|y| (y.to_string(), "alle".to_owned())));
    let g_edges: Vec<(String, String)> = (1..=9)
        .map(|g| (format!("G{g}"), "alle".to_owned()))
        .collect();
    let a_edges: Vec<(String, String)> = (1..=4)
        .map(|a| (format!("A{a}"), "alle".to_owned()))
        .collect();
    Table::from_inner(
        "national",
        vec![
            dim("municipality", &mun_edges),
            dim("quarter", &q_edges),
            dim("offence", &g_edges),
            dim("age", &a_edges),
        ],
        inner,
    )
    .unwrap()
}

/// The shape a new user tried (issue 19): 356 municipalities ⊂ 15 counties ⊂ Norway × 4
/// quarters ⊂ one year × 8 offences ⊂ 3 groups ⊂ all × 4 age bands ⊂ all — 111,600
/// publishable cells, hierarchies of unequal depth — with the national table's sizes and
/// rates (seeded).
#[allow(dead_code)]
pub fn user_4d() -> Table {
    let mut rng = Rng(2026);
    let muns = municipalities(&mut rng);
    let rate = [2.0, 6.0, 3.0, 1.5, 8.0, 1.0, 0.5, 4.0]; // per 1,000 per quarter
    let group = |o: usize| format!("H{}", [1, 1, 1, 2, 2, 3, 3, 3][o]);
    let age_share = [0.15, 0.25, 0.3, 0.3];
    let mut inner = Vec::new();
    for (m, _, size) in &muns {
        for q in 1..=4 {
            let season = 1.0 + 0.15 * (f64::from(q) * std::f64::consts::FRAC_PI_2).sin();
            for (o, r) in rate.iter().enumerate() {
                for (a, share) in age_share.iter().enumerate() {
                    inner.push(Cell {
                        key: vec![
                            m.clone(),
                            format!("2025K{q}"),
                            format!("O{}", o + 1),
                            format!("A{}", a + 1),
                        ],
                        value: rng.poisson(size / 1000.0 * r * season * share),
                        denominator: None,
                    });
                }
            }
        }
    }
    let mun_edges = municipality_edges(&muns);
    let q_edges: Vec<(String, String)> = (1..=4)
        .map(|q| (format!("2025K{q}"), "2025".to_owned()))
        .collect();
    let mut o_edges: Vec<(String, String)> =
        (0..8).map(|o| (format!("O{}", o + 1), group(o))).collect();
    o_edges.extend((1..=3).map(|g| (format!("H{g}"), "alle".to_owned())));
    let a_edges: Vec<(String, String)> = (1..=4)
        .map(|a| (format!("A{a}"), "alle".to_owned()))
        .collect();
    Table::from_inner(
        "4-D (issue 19)",
        vec![
            dim("municipality", &mun_edges),
            dim("quarter", &q_edges),
            dim("offence", &o_edges),
            dim("age", &a_edges),
        ],
        inner,
    )
    .unwrap()
}

/// The inner cells of a table as CSV for GaussSuppression (`gauss_suppress.R`): one column
/// per level of each dimension below its top (the code, then its parent, …, as the given
/// column names), and `freq`.
#[allow(dead_code)]
pub fn inner_csv(table: &Table, columns: &[Vec<&str>]) -> String {
    let mut out = String::new();
    let header: Vec<&str> = columns.iter().flatten().copied().chain(["freq"]).collect();
    out.push_str(&header.join(","));
    out.push('\n');
    let parents: Vec<std::collections::HashSet<&String>> = table
        .dimensions
        .iter()
        .map(|d| d.parent.values().collect())
        .collect();
    let leaf = |d: usize, code: &String| !parents[d].contains(code);
    for c in &table.cells {
        if !c.key.iter().enumerate().all(|(d, k)| leaf(d, k)) {
            continue;
        }
        let mut row: Vec<String> = Vec::new();
        for (d, code) in c.key.iter().enumerate() {
            let mut code = code.clone();
            for _ in 0..columns[d].len() {
                row.push(code.clone());
                code = table.dimensions[d]
                    .parent
                    .get(&code)
                    .cloned()
                    .unwrap_or_default();
            }
        }
        row.push(c.value.to_string());
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}
