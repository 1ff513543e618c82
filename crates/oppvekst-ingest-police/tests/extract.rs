//! Fixture tests for the police extract reader.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use oppvekst_ingest_police::read_extract;
use oppvekst_schema::Harmoniser;

fn block(mun: &str, q: &str, group: &str, bands: [u32; 4], all: u32) -> String {
    let mut s = String::new();
    for (b, n) in ["10–14", "15–17", "18–20", "21–25"].iter().zip(bands) {
        s.push_str(&format!("{mun};X;{q};{group};{b};{n}\r\n"));
    }
    s.push_str(&format!("{mun};X;{q};{group};alle;{all}\r\n"));
    s
}

#[test]
fn reads_windows_1252_derives_other_ages_and_harmonises() {
    let text = format!(
        "kommunenr;kommune;kvartal;lovbruddsgruppe;aldersgruppe;antall\r\n{}{}",
        block("0105", "2019K2", "Vold og mishandling", [1, 2, 3, 4], 20),
        block(
            "3105",
            "2025K4",
            "Ordens- og integritetskrenkelse",
            [0, 0, 1, 0],
            1
        ),
    );
    let bytes = encoding_rs::WINDOWS_1252.encode(&text).0.into_owned();
    let h = Harmoniser::builtin().unwrap();
    let (c, rep, q) = read_extract("p.csv", &bytes, &h, None, &mut Default::default()).unwrap();
    assert!(q.is_empty(), "{q:?}");
    assert_eq!(rep.encoding, "Windows-1252");
    assert_eq!((rep.rows_read, rep.rows_accepted), (10, 10));
    assert_eq!(c.rows.len(), 10);
    let other: Vec<(&str, String, u32)> = c
        .rows
        .iter()
        .filter(|r| r.age_band == "andre")
        .map(|r| (r.municipality.as_str(), r.quarter.code(), r.count))
        .collect();
    assert_eq!(
        other,
        vec![
            ("3105", "2019Q2".to_owned(), 10),
            ("3105", "2025Q4".to_owned(), 0)
        ]
    );
}

#[test]
fn a_municipality_number_without_its_leading_zero_is_read_as_four_digits() {
    // Sarpsborg's 0105 as a spreadsheet writes a number; 31 is no municipality at all.
    let text = format!(
        "kommunenr;kommune;kvartal;lovbruddsgruppe;aldersgruppe;antall\n{}31;X;2019K2;Drap;alle;1\n",
        block("105", "2019K2", "Vold og mishandling", [1, 2, 3, 4], 20),
    );
    let h = Harmoniser::builtin().unwrap();
    let (c, rep, q) =
        read_extract("p.csv", text.as_bytes(), &h, None, &mut Default::default()).unwrap();
    assert_eq!((rep.rows_read, rep.rows_accepted), (6, 5));
    assert!(c.rows.iter().all(|r| r.municipality == "3105"));
    let reasons: Vec<(u64, &str)> = q.iter().map(|x| (x.row, x.reason.as_str())).collect();
    assert_eq!(reasons, vec![(7, "municipality number is not four digits")]);
}

#[test]
fn a_municipality_number_no_list_knows_is_quarantined() {
    // 9999 is in neither KLASS's change list nor the configuration: it was stored silently.
    let text = format!(
        "kommunenr;kommune;kvartal;lovbruddsgruppe;aldersgruppe;antall\n{}9999;X;2019K2;Drap;alle;1\n",
        block("3107", "2019K2", "Vold og mishandling", [1, 2, 3, 4], 20),
    );
    let mut h = Harmoniser::builtin().unwrap();
    let (c, rep, q) =
        read_extract("p.csv", text.as_bytes(), &h, None, &mut Default::default()).unwrap();
    assert_eq!((rep.rows_read, rep.rows_accepted), (6, 5));
    assert!(c.rows.iter().all(|r| r.municipality == "3107"));
    let reasons: Vec<(u64, Option<&str>, &str)> = q
        .iter()
        .map(|x| (x.row, x.column.as_deref(), x.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        vec![(
            7,
            Some("kommunenr"),
            "municipality number not in the KLASS change list nor in the configuration"
        )]
    );
    h.know(["9999"]);
    let (_, _, q) =
        read_extract("p.csv", text.as_bytes(), &h, None, &mut Default::default()).unwrap();
    assert!(
        q.iter().all(|x| !x.reason.contains("KLASS")),
        "a number the configuration knows is read: {q:?}"
    );
}

#[test]
fn bad_rows_and_inconsistent_blocks_are_quarantined() {
    let text = format!(
        "kommunenr;kommune;kvartal;lovbruddsgruppe;aldersgruppe;antall\n{}{}3107;X;2025K1;Drap;alle;3\n3107;X;2025K5;Vold og mishandling;alle;3\n3107;X;2025K1;Rusmiddellovbrudd;alle;-1\n{}",
        block("3107", "2025K1", "Vold og mishandling", [1, 2, 3, 4], 5),
        block("3107", "2025K1", "Eiendomstyveri", [1, 1, 1, 1], 9),
        "3107;X;2025K1;Eiendomstyveri;alle;9\n",
    );
    let h = Harmoniser::builtin().unwrap();
    let (c, rep, q) =
        read_extract("p.csv", text.as_bytes(), &h, None, &mut Default::default()).unwrap();
    assert!(rep.reconciles());
    assert_eq!(
        (rep.rows_read, rep.rows_accepted, rep.rows_quarantined),
        (14, 5, 9)
    );
    assert_eq!(c.rows.len(), 5);
    let reasons: Vec<(u64, &str)> = q.iter().map(|x| (x.row, x.reason.as_str())).collect();
    assert!(reasons.contains(&(12, "offence group not in SSB's 2015 classification")));
    assert!(reasons.contains(&(13, "quarter is not of the form YYYYKn or YYYYQn")));
    assert!(reasons.contains(&(14, "count is negative")));
    assert!(reasons.contains(&(15, "duplicate of line 11 in this file")));
    assert_eq!(
        reasons
            .iter()
            .filter(|r| r.1 == "age bands add up to more than all ages")
            .count(),
        5
    );
}

#[test]
fn flag_columns_are_read_from_all_ages_rows_and_checked() {
    let head = "kommunenr;kommune;kvartal;lovbruddsgruppe;aldersgruppe;antall;vold i nære relasjoner;hatkriminalitet\n";
    let rows = |mun: &str, q: &str, all: &str, flags: &str, band_flag: &str| {
        let mut s = String::new();
        for b in ["10-14", "15-17", "18-20", "21-25"] {
            s.push_str(&format!("{mun};X;{q};vold;{b};1;{band_flag};\n"));
        }
        s.push_str(&format!("{mun};X;{q};vold;alle;{all};{flags}\n"));
        s
    };
    let text = format!(
        "{head}{}{}{}{}",
        rows("3105", "2025K4", "20", "7;1", ""),
        // A flag above the row's count.
        rows("3105", "2025K3", "20", "21;0", ""),
        // A flag on an age-band row.
        rows("3107", "2025K4", "20", "2;0", "1"),
        // A missing flag value in a file with the column.
        rows("3107", "2025K3", "20", ";0", ""),
    );
    let h = Harmoniser::builtin().unwrap();
    let (c, rep, q) =
        read_extract("f.csv", text.as_bytes(), &h, None, &mut Default::default()).unwrap();
    assert!(rep.reconciles());
    assert_eq!(rep.rows_accepted, 5);
    let flags: Vec<(&str, String, &str, u32)> = c
        .flags
        .iter()
        .map(|f| {
            (
                f.municipality.as_str(),
                f.quarter.code(),
                f.flag.as_str(),
                f.count,
            )
        })
        .collect();
    assert_eq!(
        flags,
        vec![
            ("3105", "2025Q4".to_owned(), "hatkriminalitet", 1),
            ("3105", "2025Q4".to_owned(), "naere_relasjoner", 7)
        ]
    );
    let reasons: Vec<(u64, Option<&str>, &str)> = q
        .iter()
        .filter(|r| r.column.is_some())
        .map(|r| (r.row, r.column.as_deref(), r.reason.as_str()))
        .collect();
    let col = Some("vold i nære relasjoner");
    let mut expected = vec![(
        11,
        col,
        "flag is not a whole number between 0 and the row's count",
    )];
    expected.extend((12..=15).map(|r| (r, col, "flags are counted on the all-ages row only")));
    expected.push((
        21,
        col,
        "flag value missing (the file has this flag column)",
    ));
    assert_eq!(reasons, expected);
    // No quarantine reason carries a count.
    assert!(q.iter().all(|r| !r.reason.contains("21")));
}

#[test]
fn text_in_a_flag_column_is_never_taken_for_blank() {
    let head = "kommunenr;kommune;kvartal;lovbruddsgruppe;aldersgruppe;antall;uteliv\n";
    let mut text = String::from(head);
    for b in ["10-14", "15-17", "18-20", "21-25"] {
        let flag = if b == "15-17" { "x" } else { "" };
        text.push_str(&format!("3105;X;2025K4;vold;{b};1;{flag}\n"));
    }
    text.push_str("3105;X;2025K4;vold;alle;20;mange\n");
    let h = Harmoniser::builtin().unwrap();
    let (c, rep, q) =
        read_extract("f.csv", text.as_bytes(), &h, None, &mut Default::default()).unwrap();
    assert!(rep.reconciles());
    assert!(c.flags.is_empty());
    let reasons: Vec<(u64, &str)> = q
        .iter()
        .filter(|r| r.column.as_deref() == Some("uteliv"))
        .map(|r| (r.row, r.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            (3, "flags are counted on the all-ages row only"),
            (
                6,
                "flag is not a whole number between 0 and the row's count"
            ),
        ]
    );
}

#[test]
fn counts_written_otherwise_than_as_plain_whole_numbers_are_quarantined_with_what_is_wrong() {
    let rows = [
        (
            "1e2",
            "count in scientific notation (write it as a plain whole number)",
        ),
        ("2,5", "count has a decimal part (counts are whole numbers)"),
        (
            "0x10",
            "count is not a plain whole number (digits only, no hexadecimal)",
        ),
        ("tolv", "count is not a number"),
        ("", "count missing"),
    ];
    let mut text = String::from("kommunenr;kommune;kvartal;lovbruddsgruppe;aldersgruppe;antall\n");
    text.push_str(&block(
        "3107",
        "2025K1",
        "Vold og mishandling",
        [1, 2, 3, 4],
        20,
    ));
    for (i, (count, _)) in rows.iter().enumerate() {
        let group = [
            "Seksuallovbrudd",
            "Rusmiddellovbrudd",
            "Eiendomsskade",
            "Eiendomstyveri",
            "Trafikkovertredelse",
        ][i];
        text.push_str(&format!("3107;X;2025K1;{group};alle;{count}\n"));
    }
    let h = Harmoniser::builtin().unwrap();
    let (_, rep, q) =
        read_extract("p.csv", text.as_bytes(), &h, None, &mut Default::default()).unwrap();
    assert!(rep.reconciles());
    assert_eq!(rep.rows_accepted, 5);
    let reasons: Vec<(u64, &str)> = q.iter().map(|x| (x.row, x.reason.as_str())).collect();
    for (i, (_, reason)) in rows.iter().enumerate() {
        assert!(reasons.contains(&(7 + i as u64, *reason)), "{reasons:?}");
    }
}
