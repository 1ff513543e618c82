//! The police extract saved as an Excel workbook reads exactly like the CSV of the same rows:
//! same counts, same quarantine positions, same reconciliation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use oppvekst_ingest_police::{PoliceError, read_extract, read_extract_xlsx};
use oppvekst_schema::Harmoniser;

const ROWS: [[&str; 6]; 6] = [
    [
        "3105",
        "Sarpsborg",
        "2025K4",
        "Vold og mishandling",
        "10–14",
        "3",
    ],
    [
        "3105",
        "Sarpsborg",
        "2025K4",
        "Vold og mishandling",
        "15–17",
        "9",
    ],
    [
        "3105",
        "Sarpsborg",
        "2025K4",
        "Vold og mishandling",
        "18–20",
        "8",
    ],
    [
        "3105",
        "Sarpsborg",
        "2025K4",
        "Vold og mishandling",
        "21–25",
        "11",
    ],
    [
        "3105",
        "Sarpsborg",
        "2025K4",
        "Vold og mishandling",
        "alle",
        "121",
    ],
    ["3107", "Fredrikstad", "2025K4", "Ran", "alle", "12,5"],
];
const HEADER: [&str; 6] = [
    "kommunenr",
    "kommune",
    "kvartal",
    "lovbruddsgruppe",
    "aldersgruppe",
    "antall",
];

fn workbook() -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in HEADER.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in ROWS.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 1, c as u16);
            // Counts as numbers (as Excel stores them), the municipality number as text.
            match (c, v.parse::<f64>()) {
                (5, Ok(n)) => ws.write_number(r, c, n).unwrap(),
                (5, Err(_)) => ws.write_number(r, c, 12.5).unwrap(),
                _ => ws.write_string(r, c, *v).unwrap(),
            };
        }
    }
    wb.save_to_buffer().unwrap()
}

#[test]
fn xlsx_reads_like_the_csv_of_the_same_rows() {
    let h = Harmoniser::builtin().unwrap();
    let mut csv = HEADER.join(";");
    for r in ROWS {
        csv.push('\n');
        csv.push_str(&r.join(";"));
    }
    let (a, ra, qa) =
        read_extract("e.csv", csv.as_bytes(), &h, None, &mut Default::default()).unwrap();
    let (b, rb, qb) =
        read_extract_xlsx("e.xlsx", &workbook(), &h, &mut Default::default()).unwrap();
    assert_eq!(a, b);
    assert_eq!(
        (ra.rows_read, ra.rows_accepted, ra.rows_quarantined),
        (rb.rows_read, rb.rows_accepted, rb.rows_quarantined)
    );
    assert_eq!((rb.rows_read, rb.rows_quarantined), (6, 1));
    assert_eq!(rb.encoding, "XLSX");
    let pos = |q: &[oppvekst_ingest_police::QuarantinedRow]| {
        q.iter()
            .map(|x| (x.row, x.column.clone(), x.reason.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(pos(&qa), pos(&qb));
    assert_eq!(qb[0].row, 7, "the sheet's own row number");
}

#[test]
fn a_file_that_is_not_a_workbook_fails_whole() {
    let h = Harmoniser::builtin().unwrap();
    let e = read_extract_xlsx("e.xlsx", b"kommunenr;antall\n", &h, &mut Default::default())
        .unwrap_err();
    assert!(matches!(e, PoliceError::Unusable { .. }));
    assert!(
        e.to_string()
            .starts_with("e.xlsx: not a readable Excel workbook")
    );
}

#[test]
fn a_text_cell_where_a_count_belongs_is_not_a_number_not_missing() {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in HEADER.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let row = ["3107", "Fredrikstad", "2025K4", "Eiendomstyveri", "alle"];
    for (c, v) in row.iter().enumerate() {
        ws.write_string(1, c as u16, *v).unwrap();
    }
    ws.write_string(1, 5, "tolv").unwrap();
    let h = Harmoniser::builtin().unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let (_, rep, q) = read_extract_xlsx("e.xlsx", &bytes, &h, &mut Default::default()).unwrap();
    assert_eq!((rep.rows_read, rep.rows_quarantined), (1, 1));
    assert_eq!(q[0].row, 2);
    assert_eq!(q[0].column.as_deref(), Some("antall"));
    assert_eq!(q[0].reason, "count is not a number");
}
