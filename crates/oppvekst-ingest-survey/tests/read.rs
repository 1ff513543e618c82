//! Fixture tests for the survey CSV reader: dialects, encodings and each kind of bad row.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use oppvekst_ingest_survey::{
    FileReport, IngestError, InvalidAnswer, QuarantinedRow, ReadOptions, Respondents, Sink,
    aggregate, read_csv, stream_csv,
};
use oppvekst_schema::{Catalogue, Harmoniser};

const HEADER: &str = "ID;år;kommune;skolenivå;Klasse;kjønn;beruset;ensom";

fn read(text: &[u8]) -> Result<(Respondents, FileReport, Vec<QuarantinedRow>), IngestError> {
    read_with(text, &ReadOptions::default())
}

fn read_with(
    text: &[u8],
    opts: &ReadOptions,
) -> Result<(Respondents, FileReport, Vec<QuarantinedRow>), IngestError> {
    let cat = Catalogue::builtin().unwrap();
    let h = Harmoniser::builtin().unwrap();
    read_csv("f.csv", text, &cat, &h, opts, &mut Default::default())
}

#[test]
fn reads_semicolon_utf8_and_harmonises_municipalities() {
    let text =
        format!("{HEADER}\n1;2019;0106;1;1;2;2;3\n2;2022;3004;2;4;1;1;98\n3;2025;3107;1;3;1;;1\n");
    let (r, rep, q) = read(text.as_bytes()).unwrap();
    assert!(q.is_empty(), "{q:?}");
    assert_eq!(rep.rows_read, 3);
    assert!(rep.reconciles());
    assert_eq!(r.municipality, vec!["3107", "3107", "3107"]);
    assert_eq!(r.municipality_source, vec!["0106", "3004", "3107"]);
    assert_eq!(r.grade, vec![8, 11, 10]);
    assert_eq!(r.gender, vec!["jente", "gutt", "gutt"]);
    let cat = Catalogue::builtin().unwrap();
    let beruset = cat.item_index("beruset_12m").unwrap();
    let ensom = cat.item_index("ensom").unwrap();
    assert_eq!(r.answers[beruset].to_vec(), vec![Some(2), Some(1), None]);
    assert_eq!(r.answers[ensom].to_vec(), vec![Some(3), None, Some(1)]);
    assert!(rep.unknown_columns.is_empty());
}

#[test]
fn windows_1252_comma_and_unknown_columns() {
    let text = "ID,aar,Kommune,skoleniva,Klasse,KJONN,Beruset,vekt,særmerke\n1,2016,0105,1,1,1,5,\"1,25\",x\n";
    let bytes = encoding_rs::WINDOWS_1252.encode(text).0.into_owned();
    let (r, rep, q) = read(&bytes).unwrap();
    assert!(q.is_empty(), "{q:?}");
    assert_eq!(rep.encoding, "Windows-1252");
    assert_eq!(rep.delimiter, ',');
    assert_eq!(rep.unknown_columns, vec!["vekt", "særmerke"]);
    assert_eq!(r.municipality, vec!["3105"]);
}

#[test]
fn a_municipality_number_without_its_leading_zero_is_read_as_four_digits() {
    // Sarpsborg before 2020 (0105), as a numeric SPSS variable or Excel writes it.
    let text = format!("{HEADER}\n1;2019;105;1;1;2;2;3\n");
    let (r, rep, q) = read(text.as_bytes()).unwrap();
    assert_eq!((rep.rows_accepted, rep.rows_quarantined), (1, 0), "{q:?}");
    assert_eq!(r.municipality, vec!["3105"]);
    assert_eq!(r.municipality_source, vec!["0105"]);
}

#[test]
fn each_bad_row_is_quarantined_with_position_and_reason_but_no_value() {
    let (_, rep, q) = read_with(
        bad_rows().as_bytes(),
        &ReadOptions {
            on_invalid_answer: InvalidAnswer::Row,
            ..ReadOptions::default()
        },
    )
    .unwrap();
    assert_eq!(rep.rows_read, 19);
    assert_eq!((rep.rows_accepted, rep.rows_quarantined), (11, 8));
    assert!(rep.reconciles() && rep.invalid_answers.is_empty());
    let got: Vec<(u64, Option<&str>, &str)> = q
        .iter()
        .map(|x| (x.row, x.column.as_deref(), x.reason.as_str()))
        .collect();
    assert_eq!(got[0], (3, Some("beruset"), "answer code out of range 1–5"));
    assert_eq!(
        got[6],
        (9, Some("beruset"), "answer is not an integer code")
    );
}

#[test]
fn an_invalid_answer_costs_the_item_not_the_pupil() {
    let cat = Catalogue::builtin().unwrap();
    let (r, rep, q) = read(bad_rows().as_bytes()).unwrap();
    assert_eq!(rep.rows_read, 19);
    assert_eq!(rep.rows_accepted, 13);
    assert_eq!(rep.rows_quarantined, 6);
    assert!(rep.reconciles());
    // Rows 3 and 9 are accepted, their beruset answer read as missing and listed.
    let invalid: Vec<(u64, Option<&str>, &str)> = rep
        .invalid_answers
        .iter()
        .map(|x| (x.row, x.column.as_deref(), x.reason.as_str()))
        .collect();
    assert_eq!(
        invalid,
        vec![
            (3, Some("beruset"), "answer code out of range 1–5"),
            (9, Some("beruset"), "answer is not an integer code"),
        ]
    );
    let beruset = cat.item_index("beruset_12m").unwrap();
    let ensom = cat.item_index("ensom").unwrap();
    let row3 = r.source_row.iter().position(|&l| l == 3).unwrap();
    assert_eq!(r.answers[beruset].get(row3), None);
    assert_eq!(r.answers[ensom].get(row3), Some(3));
    // answers read = valid + missing + invalid, for each item the file has.
    let b = rep
        .answers
        .iter()
        .find(|a| a.item == "beruset_12m")
        .unwrap();
    assert_eq!((b.read, b.invalid), (13, 2));
    assert_eq!(b.valid, r.answers[beruset].iter().flatten().count() as u64);
    assert_eq!(b.read, b.valid + b.missing + b.invalid);
    assert_eq!(rep.answers.len(), 2, "only the items the file has");
    assert!(q.iter().all(|x| x.row != 3 && x.row != 9), "{q:?}");
}

/// Rows with one fault each (and good rows around them), for both ways of counting.
fn bad_rows() -> String {
    format!(
        "{HEADER}\n1;2025;3107;1;1;2;2;3\n2;2025;3107;1;1;2;7;3\n1;2025;3107;1;2;1;1;1\n3;2025;3107;1;5;1;1;1\n4;2025;3107;1;1;1;1\n5;2025;3107;1;1;;1;1\n6;2025;31;1;1;1;1;1\n7;2025;3107;1;1;1;x;1\n8;2025;3107;1;1;1;1;1\n9;2025;3107;1;1;1;1;1\n10;2025;3107;1;1;1;1;1\n11;2025;3107;1;1;1;1;1\n{}12;2025;3107;1;1;1;1",
        (20..26)
            .map(|i| format!("{i};2025;3107;1;1;1;1;1\n"))
            .collect::<String>()
    )
}

#[test]
fn bad_rows_are_quarantined_with_position_and_reason_but_no_value() {
    let (r, rep, q) = read(bad_rows().as_bytes()).unwrap();
    assert_eq!(r.len(), 13);
    assert!(rep.reconciles());
    let got: Vec<(u64, Option<&str>, &str)> = q
        .iter()
        .map(|x| (x.row, x.column.as_deref(), x.reason.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                4,
                Some("ID"),
                "duplicated respondent id (first seen in f.csv line 2)"
            ),
            (5, Some("Klasse"), "grade impossible for the school level"),
            (6, None, "expected 8 fields, found 7"),
            (7, Some("kjønn"), "required value missing (gender)"),
            (8, Some("kommune"), "municipality number is not four digits"),
            (
                20,
                None,
                "expected 8 fields, found 7 (file ends mid-row: truncated?)"
            ),
        ]
    );
    for row in &q {
        assert!(
            !row.reason.contains('7') || row.reason.contains("found 7"),
            "a value leaked: {row:?}"
        );
    }
}

#[test]
fn quarantined_rows_name_their_true_line_after_blank_lines_and_crlf() {
    // Windows line breaks, a blank line before the header and two in the body, a quoted
    // id and a quoted field over two lines: each bad row is named by the line it is on.
    let text = format!(
        "\r\n{}\r\n1;2025;3107;1;1;2;2;3\r\n\r\n2;2025;3107;1;1;2;9;3\r\n\r\n\"3\";2025;3107;1;1;2;9;3\r\n4;2025;3107;1;1;2;1;\"\r\n\"\r\n5;2025;3107;1;1;2;9;3\r\n{}",
        HEADER.replace('\n', ""),
        (6..10)
            .map(|i| format!("{i};2025;3107;1;1;2;1;1\r\n"))
            .collect::<String>()
    );
    let row_mode = ReadOptions {
        on_invalid_answer: InvalidAnswer::Row,
        ..ReadOptions::default()
    };
    let (r, rep, q) = read_with(text.as_bytes(), &row_mode).unwrap();
    assert!(rep.reconciles());
    // Row 4's last field is a quoted line break: blank, so a missing answer.
    assert_eq!(r.source_row, vec![3, 8, 11, 12, 13, 14]);
    let got: Vec<(u64, Option<&str>)> = q.iter().map(|x| (x.row, x.column.as_deref())).collect();
    assert_eq!(
        got,
        vec![
            (5, Some("beruset")),
            (7, Some("beruset")),
            (10, Some("beruset"))
        ]
    );
}

#[test]
fn whole_file_failures_name_the_file() {
    let e = read(b"").unwrap_err();
    assert_eq!(e.to_string(), "f.csv: the file is empty (no header line)");
    let e = read(b"ID;kommune;Klasse;KJONN\n1;3107;0;1\n").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("f.csv: required column missing: survey_year"),
        "{e}"
    );
    let e = read(b"ID;aar;kommune;Klasse;KJONN\n1;x;3107;0;1\n2;y;3107;0;1\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "f.csv: 2 of 2 rows failed validation; the file looks wrong as a whole (wrong export, wrong separator or wrong encoding?)"
    );
}

#[test]
fn mixed_encodings_quarantine_the_odd_lines() {
    let mut bytes = encoding_rs::WINDOWS_1252
        .encode("ID;aar;kommune;Klasse;KJONN;særmerke\n1;2016;0106;1;1;æ\n2;2016;0106;1;2;ø\n")
        .0
        .into_owned();
    bytes.extend_from_slice("3;2016;0106;1;2;å\n".as_bytes());
    let (_, rep, q) = read(&bytes).unwrap();
    assert_eq!((rep.rows_accepted, rep.rows_quarantined), (2, 1));
    assert_eq!(q[0].row, 4);
    assert!(q[0].reason.contains("mixed encodings"));
}

#[test]
fn aggregation_totals_add_up() {
    let text = format!(
        "{HEADER}\n1;2025;3107;1;1;2;2;3\n2;2025;3107;1;2;1;1;4\n3;2025;3107;1;3;1;3;1\n4;2025;3107;2;4;2;1;98\n"
    );
    let (r, _, _) = read(text.as_bytes()).unwrap();
    let cells = aggregate(&r, &Catalogue::builtin().unwrap());
    let get = |ind: &str, grade: &str, gender: &str| {
        cells
            .cells
            .iter()
            .find(|c| c.indicator == ind && c.grade == grade && c.gender == gender)
            .map(|c| (c.numerator, c.denominator))
            .unwrap()
    };
    assert_eq!(get("beruset", "ungdomstrinn", "alle"), (2, 3));
    assert_eq!(get("beruset", "ungdomstrinn", "gutt"), (1, 2));
    assert_eq!(get("beruset", "8", "jente"), (1, 1));
    assert_eq!(get("beruset", "videregaende", "alle"), (0, 1));
    assert_eq!(get("ensomhet", "videregaende", "alle"), (0, 0));
    assert_eq!(get("ensomhet", "ungdomstrinn", "alle"), (2, 3));
    // 8 grades × 3 genders for one municipality and year, for the two indicators the file
    // has items for (an indicator nobody answered has no cells, not cells of 0 of 0).
    assert_eq!(cells.cells.len(), 2 * 8 * 3);
    assert!(
        cells
            .cells
            .iter()
            .all(|c| c.indicator == "beruset" || c.indicator == "ensomhet")
    );
}

/// A large generated export with a Windows-1252 column whose first non-ASCII byte comes
/// after the first megabyte.
/// Streams `big.csv` (the bytes of [`big_export`]) into `sink` with the built-in catalogue.
fn stream_big(
    bytes: &[u8],
    sink: &mut Sink<'_>,
) -> Result<(FileReport, Vec<QuarantinedRow>), IngestError> {
    let cat = Catalogue::builtin().unwrap();
    let h = Harmoniser::builtin().unwrap();
    stream_csv(
        "big.csv",
        std::io::Cursor::new(bytes),
        &cat,
        &h,
        &ReadOptions::default(),
        &mut Default::default(),
        sink,
    )
}

fn big_export(rows: usize) -> Vec<u8> {
    let mut text = format!("{HEADER};skole\n");
    for i in 0..rows {
        let school = if i > rows / 2 { "Kråkerøy" } else { "Borge" };
        text.push_str(&format!(
            "r{i};2025;3107;1;{};{};{};{};{}\n",
            1 + i % 3,
            1 + i % 2,
            1 + i % 5,
            1 + i % 4,
            school
        ));
    }
    encoding_rs::WINDOWS_1252.encode(&text).0.into_owned()
}

#[test]
fn streaming_reads_in_chunks_and_aggregates_the_same() {
    use oppvekst_ingest_survey::{Aggregator, CHUNK_ROWS};
    let cat = Catalogue::builtin().unwrap();
    // Whole chunks and a half, past 2 MB (so the second half starts past the first MB).
    let whole = (1 << 21) / 40 / CHUNK_ROWS + 1;
    let rows = whole * CHUNK_ROWS + CHUNK_ROWS / 2;
    let bytes = big_export(rows);
    assert!(bytes.len() > 1 << 21, "the non-ASCII rows start past 1 MB");
    let mut sizes = Vec::new();
    let mut agg = Aggregator::new(&cat);
    let mut all = Respondents::new(&cat.codebook.items);
    let (rep, q) = stream_big(&bytes, &mut |chunk: Respondents| {
        sizes.push(chunk.len());
        agg.add(&chunk);
        all.append(chunk);
        Ok(None)
    })
    .unwrap();
    // Detected as Windows-1252 from the whole file, not from its ASCII first megabyte.
    assert_eq!(rep.encoding, "Windows-1252");
    assert!(q.is_empty(), "{q:?}");
    // Chunks of at most CHUNK_ROWS rows, together every row, in file order.
    assert!(sizes.len() > whole, "{sizes:?}");
    assert!(
        sizes.iter().all(|&n| (1..=CHUNK_ROWS).contains(&n)),
        "{sizes:?}"
    );
    assert_eq!(sizes.iter().sum::<usize>(), rows);
    assert!(all.source_row.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(all.len(), rows);
    assert_eq!(all.source_row[rows - 1], rows as u64 + 1);
    assert_eq!(agg.finish(), aggregate(&all, &cat));
}

#[test]
fn a_file_that_fails_as_a_whole_leaves_no_ids_behind() {
    let cat = Catalogue::builtin().unwrap();
    let h = Harmoniser::builtin().unwrap();
    let mut seen = Default::default();
    let bad = format!(
        "{HEADER}\nr1;2025;3107;1;1;1;1;1\nr2;2025;3107;1;x;1;1;1\nr3;2025;3107;1;x;1;1;1\n"
    );
    let opts = ReadOptions::default();
    assert!(read_csv("bad.csv", bad.as_bytes(), &cat, &h, &opts, &mut seen).is_err());
    // r1 was accepted inside the failed file; it is not a duplicate in the next one.
    let good = format!("{HEADER}\nr1;2025;3107;1;1;1;1;1\n");
    let (r, rep, q) = read_csv("good.csv", good.as_bytes(), &cat, &h, &opts, &mut seen).unwrap();
    assert_eq!((r.len(), rep.rows_quarantined), (1, 0), "{q:?}");
}

#[test]
fn a_failing_sink_stops_the_read_with_its_error() {
    // Several pieces of 2 MB, checked on every core; the sink fails on its third chunk.
    let bytes = big_export(200_000);
    assert!(bytes.len() > 3 << 21);
    let mut chunks = 0;
    let err = stream_big(&bytes, &mut |_: Respondents| {
        chunks += 1;
        if chunks == 3 {
            return Err(IngestError::Stage {
                message: "disk full".into(),
            });
        }
        Ok(None)
    })
    .unwrap_err();
    assert!(matches!(err, IngestError::Stage { ref message } if message == "disk full"));
    assert_eq!(chunks, 3, "nothing reaches the sink after it failed");
}

/// A reader that counts the bytes read through it.
struct Counting<R> {
    inner: R,
    read: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: std::io::Read> std::io::Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

impl<R: std::io::Seek> std::io::Seek for Counting<R> {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(to)
    }
}

#[test]
fn an_undeclared_encoding_is_found_in_the_one_pass_over_the_rows() {
    // An ASCII header, ASCII rows for the first 3 MB, then Windows-1252 school names.
    let rows = 200_000;
    let mut text = String::from("ID;aar;kommune;Klasse;KJONN;beruset;skole\n");
    for i in 0..rows {
        let school = if i > rows * 3 / 4 {
            "Kråkerøy"
        } else {
            "Borge"
        };
        text.push_str(&format!(
            "r{i};2025;3107;{};{};2;{school}\n",
            1 + i % 3,
            1 + i % 2
        ));
    }
    let mut bytes = encoding_rs::WINDOWS_1252.encode(&text).0.into_owned();
    let ascii_head = bytes.iter().position(|b| !b.is_ascii()).unwrap();
    assert!(ascii_head > 3 << 20, "the first pieces are ASCII");
    // One UTF-8 row at the end: the minority, quarantined.
    bytes.extend_from_slice("u1;2025;3107;1;1;2;Kråkerøy\n".as_bytes());
    let read = std::rc::Rc::new(std::cell::Cell::new(0));
    let src = Counting {
        inner: std::io::Cursor::new(&bytes),
        read: std::rc::Rc::clone(&read),
    };
    let cat = Catalogue::builtin().unwrap();
    let h = Harmoniser::builtin().unwrap();
    let mut accepted = 0;
    let (rep, q) = stream_csv(
        "big.csv",
        src,
        &cat,
        &h,
        &ReadOptions::default(),
        &mut Default::default(),
        &mut |chunk: Respondents| {
            accepted += chunk.len();
            Ok(None)
        },
    )
    .unwrap();
    assert_eq!(rep.encoding, "Windows-1252");
    assert_eq!((rep.rows_read, rep.rows_quarantined), (rows as u64 + 1, 1));
    assert_eq!(accepted, rows);
    assert_eq!(q[0].row, rows as u64 + 2);
    assert!(q[0].reason.contains("mixed encodings"), "{q:?}");
    // The body once; the header and the last byte twice at most (a few kilobytes).
    let len = bytes.len() as u64;
    assert!(
        read.get() >= len && read.get() <= len + (64 << 10),
        "read {} bytes of a {len}-byte file",
        read.get()
    );
}

#[test]
fn an_unknown_or_split_municipality_is_quarantined_with_its_reason() {
    let cat = Catalogue::builtin().unwrap();
    // Ålesund (1507) was split into Ålesund (1508) and Haram (1580) on 2024-01-01.
    let mut h = Harmoniser::from_reader(
        "changes.csv",
        "fromCode,fromLabel,changeOccurred,toCode,toLabel\n\
         1507,Ålesund,2024-01-01,1508,Ålesund\n\
         1507,Ålesund,2024-01-01,1580,Haram\n\
         0106,Fredrikstad,2020-01-01,3004,Fredrikstad\n"
            .as_bytes(),
    )
    .unwrap();
    let text = format!(
        "{HEADER}\n1;2019;0106;1;1;2;2;3\n2;2019;1507;1;1;2;2;3\n3;2025;1508;1;1;2;2;3\n4;2025;9999;1;1;2;2;3\n5;2025;0301;1;1;2;2;3\n"
    );
    // Three bad rows of five: let the file through as a whole to see each reason.
    let opts = ReadOptions {
        max_bad_share: 1.0,
        ..ReadOptions::default()
    };
    let read = |h: &Harmoniser| {
        read_csv(
            "f.csv",
            text.as_bytes(),
            &cat,
            h,
            &opts,
            &mut Default::default(),
        )
        .unwrap()
    };
    let (r, rep, q) = read(&h);
    assert!(rep.reconciles());
    assert_eq!(r.municipality, vec!["3004", "1508"]);
    let got: Vec<(u64, &str)> = q.iter().map(|x| (x.row, x.reason.as_str())).collect();
    assert_eq!(
        got,
        vec![
            (
                3,
                "municipality number was split into several; its series stops here (it is not followed into one of the new numbers)"
            ),
            (
                5,
                "municipality number not in the KLASS change list nor in the configuration"
            ),
            (
                6,
                "municipality number not in the KLASS change list nor in the configuration"
            ),
        ]
    );
    // A number the configuration knows (Oslo never changed number) is read.
    h.know(["0301"]);
    let (r, _, q) = read(&h);
    assert_eq!(r.municipality, vec!["3004", "1508", "0301"]);
    assert_eq!(q.len(), 2);
}

#[test]
fn whole_codes_with_a_decimal_part_of_zeros_read_as_the_code() {
    // SPSS writes numbers to CSV as `3,00`; `3,5` is not a code.
    let text = "ID;aar;kommune;Klasse;KJONN;beruset;ensom\n\
                1;2025,00;3107;1,00;2,00;3,00;2.0\n\
                2;2025;3107;2;1;3,5;2\n";
    let (r, rep, q) = read(text.as_bytes()).unwrap();
    assert!(q.is_empty(), "{q:?}");
    assert_eq!(r.grade, vec![8, 9]);
    let cat = Catalogue::builtin().unwrap();
    let beruset = cat.item_index("beruset_12m").unwrap();
    let ensom = cat.item_index("ensom").unwrap();
    assert_eq!(r.answers[beruset].to_vec(), vec![Some(3), None]);
    assert_eq!(r.answers[ensom].to_vec(), vec![Some(2), Some(2)]);
    assert_eq!(rep.invalid_answers.len(), 1);
    assert_eq!(rep.invalid_answers[0].row, 3);
    assert_eq!(
        rep.invalid_answers[0].reason,
        "answer is not an integer code"
    );
}
