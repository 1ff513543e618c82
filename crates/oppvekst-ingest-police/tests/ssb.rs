//! SSB formats: our own fixtures for every format and symbol (always run), and a conformance
//! test over the real samples in ../shared/samples (skipped with a message when absent).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use oppvekst_ingest_police::population::{population_from_ssb, read_population};
use oppvekst_ingest_police::ssb::{SsbValue, read_jsonstat, read_px, read_pxweb_csv};
use oppvekst_schema::Harmoniser;
use oppvekst_schema::population::AgeRange;

const JSONSTAT2: &str = r#"{
  "version": "2.0", "class": "dataset", "label": "08487: Anmeldte lovbrudd",
  "id": ["Region", "LovbruddKrim", "Tid"], "size": [2, 2, 2],
  "dimension": {
    "Region": {"label": "region", "category": {"index": {"3107": 0, "3105": 1}, "label": {"3107": "Fredrikstad", "3105": "Sarpsborg"}}},
    "LovbruddKrim": {"label": "lovbruddsgruppe", "category": {"index": ["1AAAAA-9ZZZZz", "4AAAAA-4ZZZZz"]}},
    "Tid": {"label": "år", "category": {"index": {"2022-2023": 0, "2023-2024": 1}}}
  },
  "value": [5012, 5187, 640, 671, 3300, null, null, 0],
  "status": {"5": "..", "6": ":", "7": "-"}
}"#;

#[test]
fn jsonstat_2_with_every_symbol() {
    let t = read_jsonstat("t.json", JSONSTAT2.as_bytes()).unwrap();
    assert_eq!(t.dimensions.len(), 3);
    assert_eq!(
        t.dimensions[0].categories[0],
        ("3107".into(), "Fredrikstad".into())
    );
    assert_eq!(
        t.get(&["3107", "1AAAAA-9ZZZZz", "2023-2024"]),
        Some(SsbValue::Number(5187.0))
    );
    assert_eq!(
        t.get(&["3105", "1AAAAA-9ZZZZz", "2023-2024"]),
        Some(SsbValue::Missing)
    );
    assert_eq!(
        t.get(&["3105", "4AAAAA-4ZZZZz", "2022-2023"]),
        Some(SsbValue::Hidden)
    );
    assert_eq!(
        t.get(&["3105", "4AAAAA-4ZZZZz", "2023-2024"]),
        Some(SsbValue::Zero)
    );
    assert_eq!(
        SsbValue::Hidden.number(),
        None,
        "a hidden cell never becomes a number"
    );
}

#[test]
fn jsonstat_errors_name_the_problem() {
    let e = read_jsonstat("t.json", b"{\"dataset\": {}}").unwrap_err();
    assert_eq!(e.to_string(), "t.json: dataset has no `dimension`");
    let short = JSONSTAT2.replace("[5012, 5187, 640, 671, 3300, null, null, 0]", "[1, 2]");
    assert!(
        read_jsonstat("t.json", short.as_bytes())
            .unwrap_err()
            .to_string()
            .contains("2 values for 8 cells")
    );
}

fn px_fixture() -> Vec<u8> {
    let text = "CHARSET=\"ANSI\";\nCODEPAGE=\"iso-8859-1\";\nTITLE=\"07459: Befolkning i Østfold\";\nSTUB=\"region\";\nHEADING=\"kjønn\",\"år\";\n\
VALUES(\"region\")=\"Fredrikstad\",\"Sarpsborg\";\nCODES(\"region\")=\"3107\",\"3105\";\nVALUES(\"kjønn\")=\"Menn\",\"Kvinner\";\n\
VALUES(\"år\")=\"2024\",\"2025\";\nDATASYMBOL1=\"..\";\nDATASYMBOL2=\"...\";\nDATASYMBOL3=\":\";\nDATASYMBOLSUM=\".\";\nDATASYMBOLNIL=\"-\";\n\
DATA=\n42000 42500 43000 \"-\" \n\"..\" \"...\" \".\" 30000;\n";
    encoding_rs::WINDOWS_1252.encode(text).0.into_owned()
}

#[test]
fn px_with_datasymbols_and_latin1() {
    let t = read_px("t.px", &px_fixture()).unwrap();
    assert_eq!(t.label, "07459: Befolkning i Østfold");
    assert_eq!(t.dimensions[1].label, "kjønn");
    assert_eq!(
        t.get(&["3107", "Menn", "2025"]),
        Some(SsbValue::Number(42500.0))
    );
    assert_eq!(t.get(&["3107", "Kvinner", "2025"]), Some(SsbValue::Zero));
    // raw ".." is DATASYMBOL2 ("..." = missing), raw "..." is DATASYMBOL3 (":" = hidden),
    // raw "." is DATASYMBOL1 (".." = missing)
    assert_eq!(t.get(&["3105", "Menn", "2024"]), Some(SsbValue::Missing));
    assert_eq!(t.get(&["3105", "Menn", "2025"]), Some(SsbValue::Hidden));
    assert_eq!(t.get(&["3105", "Kvinner", "2024"]), Some(SsbValue::Missing));
    let mut cut = px_fixture();
    cut.truncate(cut.len() - 10);
    let e = read_px("t.px", &cut).unwrap_err().to_string();
    assert!(e.contains("truncated"), "{e}");
}

#[test]
fn pxweb_csv_in_iso_8859_1() {
    let text = "\"region\",\"kjønn\",\"Personer 2024\",\"Personer 2025\"\n\"3107 Fredrikstad\",\"Menn\",42000,42500\n\"3105 Sarpsborg\",\"Kvinner\",\"..\",\":\"\n";
    let bytes = encoding_rs::WINDOWS_1252.encode(text).0.into_owned();
    let t = read_pxweb_csv("t.csv", &bytes, 2, "statistikkvariabel").unwrap();
    assert_eq!(t.dimensions[1].id, "kjønn");
    assert_eq!(
        t.get(&["3107 Fredrikstad", "Menn", "Personer 2025"]),
        Some(SsbValue::Number(42500.0))
    );
    assert_eq!(
        t.get(&["3105 Sarpsborg", "Kvinner", "Personer 2024"]),
        Some(SsbValue::Missing)
    );
    assert_eq!(
        t.get(&["3105 Sarpsborg", "Kvinner", "Personer 2025"]),
        Some(SsbValue::Hidden)
    );
}

fn samples() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/samples");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("skipped: real SSB samples not found at {}", p.display());
        None
    }
}

#[test]
fn conformance_with_real_ssb_samples() {
    let Some(dir) = samples() else { return };
    let read = |f: &str| std::fs::read(dir.join(f)).unwrap();

    let t = read_jsonstat("08487", &read("riksdata_08487_crime-rate.jsonstat1.json")).unwrap();
    let ids: Vec<&str> = t.dimensions.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(
        ids,
        ["Gjerningssted", "LovbruddKrim", "Tid", "ContentsCode"]
    );
    assert_eq!(t.len(), 2 * 7 * 17 * 2);
    assert_eq!(
        t.get(&["Ialt", "1AAAAA-9ZZZZz", "2007-2008", "AnmeldteLovbrudd"]),
        Some(SsbValue::Number(392225.0))
    );
    assert!(
        t.dimensions[2]
            .categories
            .iter()
            .any(|(c, _)| c == "2023-2024")
    );

    let t = read_jsonstat(
        "07459",
        &read("riksdata_07459_population-age.jsonstat1.json"),
    )
    .unwrap();
    assert_eq!(
        t.dimensions[1].categories.len(),
        106,
        "single-year ages 0–105+"
    );
    assert!(t.values.iter().all(|v| matches!(v, SsbValue::Number(_))));
    let pop = population_from_ssb("07459", &t, &Harmoniser::builtin().unwrap()).unwrap();
    let all = AgeRange::from_code("alle").unwrap();
    let norway = pop.exact("0", 2025, all).unwrap();
    assert!(
        (5_000_000..6_500_000).contains(&norway),
        "Norway's population 2025 from single-year ages"
    );
    assert!(
        pop.exact("0", 2025, AgeRange::from_code("10-25").unwrap())
            .unwrap()
            < norway / 4
    );

    let t = read_jsonstat(
        "01222",
        &read("riksdata_01222_population-quarterly.jsonstat1.json"),
    )
    .unwrap();
    assert!(
        t.dimensions.iter().any(|d| d
            .categories
            .iter()
            .any(|(c, _)| c.len() == 6 && c.contains('K'))),
        "quarters like 2025K1"
    );
    assert_eq!(t.len(), 11);
    let q = population_from_ssb("01222", &t, &Harmoniser::builtin().unwrap()).unwrap();
    let total = q
        .exact("0", 2025, AgeRange::from_code("alle").unwrap())
        .unwrap();
    assert!(
        (5_000_000..6_500_000).contains(&total),
        "population at the start of 2025K1"
    );

    let t = read_px("14216", &read("pcaxis-serializers_ssb_14216.px")).unwrap();
    assert_eq!(t.dimensions.len(), 3);
    assert_eq!(
        t.dimensions[0].categories,
        vec![("0801".to_owned(), "Oslo".to_owned())]
    );
    assert!(
        t.label
            .starts_with("14216: Areal og befolkning i tettsteder"),
        "æøå decoded from ISO-8859-1: {}",
        t.label
    );
    assert_eq!(
        t.get(&["0801", "Bosatte", "2025"]),
        Some(SsbValue::Number(1110887.0))
    );

    let h = Harmoniser::from_reader(
        "klass",
        std::fs::File::open(dir.join("klass131_code_changes_from_ssb-klassr.csv")).unwrap(),
    )
    .unwrap();
    assert_eq!(h.current("0105").as_deref(), Some("3105"));
    assert_eq!(h.current("0106").as_deref(), Some("3107"));
    let o = Harmoniser::from_reader(
        "ostfold",
        std::fs::File::open(dir.join("klass131_ostfold_changes_2020_2024.csv")).unwrap(),
    )
    .unwrap();
    assert_eq!(o.current("3003").as_deref(), Some("3105"));
}

/// 07459 with sexes, an old municipality number and a hidden cell: sexes are summed, 0106
/// becomes Fredrikstad's 3107, and the hidden age makes its bands unknown (never zero).
#[test]
fn population_07459_sums_sexes_harmonises_and_keeps_hidden_unknown() {
    let json = r#"{
      "version": "2.0", "class": "dataset", "label": "07459: Befolkning",
      "id": ["Region", "Kjonn", "Alder", "ContentsCode", "Tid"], "size": [2, 2, 3, 1, 1],
      "dimension": {
        "Region": {"category": {"index": ["0106", "0105"]}},
        "Kjonn": {"category": {"index": ["1", "2"]}},
        "Alder": {"category": {"index": ["014", "015", "016"]}},
        "ContentsCode": {"category": {"index": ["Personer1"]}},
        "Tid": {"category": {"index": ["2019"]}}
      },
      "value": [100, 110, 120, 90, 100, 110, 70, null, 80, 60, 65, 70],
      "status": {"7": ":"}
    }"#;
    let pop = read_population("b.json", json.as_bytes(), &Harmoniser::builtin().unwrap()).unwrap();
    let band = AgeRange {
        from: 15,
        to: Some(16),
    };
    assert_eq!(pop.exact("3107", 2019, band), Some(110 + 120 + 100 + 110));
    assert_eq!(pop.exact("0106", 2019, band), None, "old number harmonised");
    assert_eq!(
        pop.exact("3105", 2019, band),
        None,
        "hidden age 15 in Sarpsborg"
    );
    assert_eq!(
        pop.exact(
            "3105",
            2019,
            AgeRange {
                from: 16,
                to: Some(16)
            }
        ),
        Some(80 + 70)
    );
    assert_eq!(pop.sources, vec!["SSB 07459".to_owned()]);
    let e = read_population("b.csv", b"x", &Harmoniser::builtin().unwrap()).unwrap_err();
    assert!(e.to_string().starts_with("b.csv: "), "{e}");
}
