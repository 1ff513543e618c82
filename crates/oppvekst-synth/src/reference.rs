//! Public reference inputs of the demo: an SSB 07459-style population table (JSON-stat 2.0)
//! for the municipalities of Nedre Glomma, and a national Ungdata reference file (pooled
//! 2023–2025) in the reference format of data-schema.

use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value, json};

use crate::SynthFile;
use crate::random::normal;

/// A municipality in the population table: name, codes before 2020, 2020–2023, from 2024,
/// and persons per single-year age (both sexes) among the young in 2025.
const POPULATION: [(&str, [&str; 3], f64); 4] = [
    ("Fredrikstad", ["0106", "3004", "3107"], 1_150.0),
    ("Sarpsborg", ["0105", "3003", "3105"], 790.0),
    ("Hvaler", ["0111", "3011", "3110"], 52.0),
    ("Råde", ["0135", "3017", "3112"], 92.0),
];

/// Years in the population table.
const YEARS: std::ops::RangeInclusive<i32> = 2016..=2025;

/// Relative size of a single-year age cohort (flat through working age, thinning after 60).
fn age_profile(age: usize) -> f64 {
    match age {
        0..=60 => 1.0,
        61..=99 => (1.0 - (age as f64 - 60.0) / 40.0).max(0.02),
        _ => 0.01,
    }
}

/// The population table as SSB's 07459 would return it for these municipalities: every
/// municipality number that ever existed is a category; in years it was not in force its
/// cells are `.` (not applicable), as in StatBank.
pub fn population(rng: &mut ChaCha8Rng) -> SynthFile {
    let codes: Vec<&str> = POPULATION.iter().flat_map(|p| p.1).collect();
    let years: Vec<String> = YEARS.map(|y| y.to_string()).collect();
    let ages: Vec<String> = (0..=105)
        .map(|a| {
            if a == 105 {
                "105+".to_owned()
            } else {
                format!("{a:03}")
            }
        })
        .collect();
    let mut values: Vec<Value> = Vec::new();
    let mut status = Map::new();
    for (_, mcodes, per_age) in POPULATION {
        for code in mcodes {
            for sex in 0..2 {
                for (a, _) in ages.iter().enumerate() {
                    for y in YEARS {
                        let in_force = match y {
                            ..2020 => mcodes[0],
                            2020..2024 => mcodes[1],
                            _ => mcodes[2],
                        } == code;
                        if in_force {
                            let growth = 1.0 - 0.005 * f64::from(2025 - y);
                            let share = if sex == 0 { 0.512 } else { 0.488 };
                            let x = per_age
                                * share
                                * age_profile(a)
                                * growth
                                * (1.0 + 0.02 * normal(rng));
                            values.push(json!(x.round().max(0.0) as u64));
                        } else {
                            status.insert(values.len().to_string(), json!("."));
                            values.push(Value::Null);
                        }
                    }
                }
            }
        }
    }
    let index = |v: &[String]| -> Value { json!(v) };
    let code_strings: Vec<String> = codes.iter().map(|c| (*c).to_owned()).collect();
    let labels: Map<String, Value> = POPULATION
        .iter()
        .flat_map(|(name, cs, _)| cs.iter().map(move |c| ((*c).to_owned(), json!(name))))
        .collect();
    let doc = json!({
        "version": "2.0",
        "class": "dataset",
        "label": "07459: Befolkning, etter region, kjønn, alder, statistikkvariabel og år",
        "source": "Statistisk sentralbyrå (syntetiske demotall)",
        "id": ["Region", "Kjonn", "Alder", "ContentsCode", "Tid"],
        "size": [codes.len(), 2, ages.len(), 1, years.len()],
        "dimension": {
            "Region": {"label": "region", "category": {"index": index(&code_strings), "label": labels}},
            "Kjonn": {"label": "kjønn", "category": {"index": ["1", "2"], "label": {"1": "Menn", "2": "Kvinner"}}},
            "Alder": {"label": "alder", "category": {"index": index(&ages)}},
            "ContentsCode": {"label": "statistikkvariabel", "category": {"index": ["Personer1"], "label": {"Personer1": "Personer"}}},
            "Tid": {"label": "år", "category": {"index": index(&years)}}
        },
        "value": values,
        "status": status,
    });
    SynthFile {
        path: "population/07459.json".into(),
        bytes: serde_json::to_vec(&doc).unwrap_or_default(),
    }
}

/// National levels (percent) for ungdomstrinn and videregående, and the girls/boys ratio,
/// per indicator: Ungdata's national figures rounded (DESIGN.md §2.1).
const NATIONAL: [(&str, f64, f64, f64); 15] = [
    ("beruset", 14.0, 45.0, 1.05),
    ("cannabis", 4.0, 12.0, 0.65),
    ("mobbet", 8.0, 5.0, 1.0),
    ("ensomhet", 22.0, 24.0, 2.2),
    ("depressive", 18.0, 20.0, 2.2),
    ("lokalmiljo", 70.0, 66.0, 0.98),
    ("trygg", 88.0, 86.0, 0.92),
    ("fritidsorg", 60.0, 38.0, 0.95),
    ("lite_aktiv", 13.0, 18.0, 1.1),
    ("framtid", 72.0, 70.0, 0.9),
    ("skadet_vold", 8.0, 7.0, 0.6),
    ("slasskamp", 12.0, 9.0, 0.4),
    ("nasking", 10.0, 8.0, 0.8),
    ("skulk", 18.0, 28.0, 1.0),
    ("regelbrudd", 9.0, 10.0, 0.6),
];

/// The national reference file: `;`, decimal comma, UTF-8 with BOM (saved from Excel).
pub fn national() -> SynthFile {
    let mut out =
        String::from("\u{feff}indikator;område;periode;trinn;kjønn;prosent;antall_svar\r\n");
    for (id, ut, vg, ratio) in NATIONAL {
        for (grade, p, n) in [
            ("ungdomstrinn", ut, 180_000u32),
            ("videregående", vg, 120_000),
        ] {
            let boys = 2.0 * p / (1.0 + ratio);
            let girls = boys * ratio;
            for (gender, pct, count) in [
                ("alle", p, n),
                ("gutt", boys, n / 2),
                ("jente", girls, n / 2),
            ] {
                let pct = format!("{:.1}", pct.min(99.0)).replace('.', ",");
                out.push_str(&format!(
                    "{id};Norge;2023–2025;{grade};{gender};{pct};{count}\r\n"
                ));
            }
        }
    }
    SynthFile {
        path: "reference/ungdata_norge.csv".into(),
        bytes: out.into_bytes(),
    }
}
