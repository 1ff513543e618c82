//! The reference file: published levels (Ungdata's national figures, a county) to compare
//! against, in the format of `data-schema/reference.md` — `;` or `,`, decimal comma or point,
//! UTF-8 (BOM or not) or Windows-1252. Bad rows go to the quarantine with row, column and
//! reason; every file reconciles.

use oppvekst_schema::Catalogue;
use oppvekst_schema::quarantine::QuarantinedRow;
use oppvekst_schema::reference::ReferenceRow;
use oppvekst_schema::text::{Encoding, decode, parse_decimal, table_reader};

use crate::{FileReport, IngestError};

/// Columns: (canonical name, accepted header spellings).
const COLUMNS: [(&str, &[&str]); 7] = [
    ("indikator", &["indikator", "indicator"]),
    ("område", &["område", "omrade", "area"]),
    ("periode", &["periode", "period"]),
    ("trinn", &["trinn", "grade"]),
    ("kjønn", &["kjønn", "kjonn", "gender"]),
    ("prosent", &["prosent", "percent"]),
    ("antall_svar", &["antall_svar", "n"]),
];

fn grade_code(s: &str) -> Option<&'static str> {
    match s.trim().to_lowercase().as_str() {
        "ungdomstrinn" | "ungdomstrinnet" => Some("ungdomstrinn"),
        "videregående" | "videregaende" | "vgs" => Some("videregaende"),
        _ => None,
    }
}

fn gender_code(s: &str) -> Option<&'static str> {
    match s.trim().to_lowercase().as_str() {
        "alle" | "begge" | "begge kjønn" => Some("alle"),
        "gutt" | "gutter" => Some("gutt"),
        "jente" | "jenter" => Some("jente"),
        _ => None,
    }
}

/// Reads one reference file; indicators must be in the catalogue.
pub fn read_reference(
    file: &str,
    bytes: &[u8],
    cat: &Catalogue,
    encoding: Option<Encoding>,
) -> Result<(Vec<ReferenceRow>, FileReport, Vec<QuarantinedRow>), IngestError> {
    let decoded = decode(bytes, encoding);
    if decoded.text.trim().is_empty() {
        return Err(IngestError::Empty {
            file: file.to_owned(),
        });
    }
    let (mut rdr, header, delimiter) =
        table_reader(&decoded.text, None).map_err(|e| IngestError::Header {
            file: file.to_owned(),
            message: e.to_string(),
        })?;
    let header: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    let mut idx = [0usize; 7];
    for (k, (name, aliases)) in COLUMNS.iter().enumerate() {
        idx[k] = header
            .iter()
            .position(|h| aliases.contains(&h.as_str()))
            .ok_or_else(|| IngestError::MissingColumn {
                file: file.to_owned(),
                variable: (*name).to_owned(),
                aliases: aliases.join(", "),
            })?;
    }
    let mut rows = Vec::new();
    let mut quarantine = Vec::new();
    let mut read = 0u64;
    let mut seen = std::collections::BTreeSet::new();
    for rec in rdr.records() {
        read += 1;
        let line = read + 1;
        let bad = |column: Option<&str>, reason: &str| QuarantinedRow {
            file: file.to_owned(),
            row: line,
            column: column.map(str::to_owned),
            reason: reason.to_owned(),
        };
        let rec = match rec {
            Ok(r) if r.len() == header.len() => r,
            Ok(_) => {
                quarantine.push(bad(None, "wrong number of fields"));
                continue;
            }
            Err(_) => {
                quarantine.push(bad(None, "unreadable row"));
                continue;
            }
        };
        let get = |k: usize| rec.get(idx[k]).unwrap_or("").trim();
        let indicator = get(0);
        if !cat.indicators.iter().any(|i| i.id == indicator) {
            quarantine.push(bad(Some(header[idx[0]].as_str()), "unknown indicator"));
            continue;
        }
        let Some(grade) = grade_code(get(3)) else {
            quarantine.push(bad(
                Some(header[idx[3]].as_str()),
                "grade must be ungdomstrinn or videregående",
            ));
            continue;
        };
        let Some(gender) = gender_code(get(4)) else {
            quarantine.push(bad(
                Some(header[idx[4]].as_str()),
                "gender must be alle, gutt or jente",
            ));
            continue;
        };
        let Some(percent) = parse_decimal(get(5)).filter(|p| (0.0..=100.0).contains(p)) else {
            quarantine.push(bad(
                Some(header[idx[5]].as_str()),
                "percent must be a number from 0 to 100",
            ));
            continue;
        };
        let n = match get(6) {
            "" => None,
            s => match s.replace([' ', '\u{a0}'], "").parse::<u64>() {
                Ok(v) if v > 0 => Some(v),
                _ => {
                    quarantine.push(bad(
                        Some(header[idx[6]].as_str()),
                        "number of answers must be a whole number above 0",
                    ));
                    continue;
                }
            },
        };
        if get(1).is_empty() || get(2).is_empty() {
            let col = if get(1).is_empty() { idx[1] } else { idx[2] };
            quarantine.push(bad(Some(header[col].as_str()), "empty area or period"));
            continue;
        }
        let row = ReferenceRow {
            indicator: indicator.to_owned(),
            area: get(1).to_owned(),
            period: get(2).to_owned(),
            grade: grade.to_owned(),
            gender: gender.to_owned(),
            percent,
            n,
        };
        let key = (
            row.indicator.clone(),
            row.area.clone(),
            row.period.clone(),
            row.grade.clone(),
            row.gender.clone(),
        );
        if !seen.insert(key) {
            quarantine.push(bad(None, "duplicate of an earlier row"));
            continue;
        }
        rows.push(row);
    }
    let report = FileReport {
        file: file.to_owned(),
        encoding: decoded.encoding.name(),
        delimiter: char::from(delimiter),
        rows_read: read,
        rows_accepted: rows.len() as u64,
        rows_quarantined: quarantine.len() as u64,
        unknown_columns: header
            .iter()
            .filter(|h| !COLUMNS.iter().any(|(_, a)| a.contains(&h.as_str())))
            .cloned()
            .collect(),
        answers: Vec::new(),
        invalid_answers: Vec::new(),
    };
    Ok((rows, report, quarantine))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_norwegian_excel_csv_and_quarantines_bad_rows() {
        let cat = Catalogue::builtin().unwrap_or_else(|e| panic!("{e}"));
        let text = "\u{feff}indikator;område;periode;trinn;kjønn;prosent;antall_svar\r\n\
            beruset;Norge;2023–2025;ungdomstrinn;alle;14,2;180 000\r\n\
            beruset;Norge;2023–2025;videregående;jente;46,0;\r\n\
            ukjent;Norge;2023–2025;ungdomstrinn;alle;1,0;10\r\n\
            beruset;Norge;2023–2025;ungdomstrinn;alle;14,2;180000\r\n\
            beruset;Norge;2023–2025;ungdomstrinn;gutt;140;10\r\n";
        let bytes = encoding_rs::WINDOWS_1252
            .encode(text.trim_start_matches('\u{feff}'))
            .0
            .into_owned();
        for b in [text.as_bytes(), &bytes[..]] {
            let (rows, report, q) =
                read_reference("n.csv", b, &cat, None).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(rows.len(), 2, "{q:?}");
            assert_eq!(rows[0].percent, 14.2);
            assert_eq!(rows[0].n, Some(180_000));
            assert_eq!(rows[0].label(), "Norge 2023–2025");
            assert_eq!(rows[1].grade, "videregaende");
            assert!(report.reconciles());
            let reasons: Vec<(u64, &str)> = q.iter().map(|r| (r.row, r.reason.as_str())).collect();
            assert_eq!(
                reasons,
                vec![
                    (4, "unknown indicator"),
                    (5, "duplicate of an earlier row"),
                    (6, "percent must be a number from 0 to 100")
                ]
            );
        }
        let e = read_reference("n.csv", b"indikator;prosent\nberuset;1\n", &cat, None)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("n.csv: required column missing: område (looked for område, omrade, area)")
        );
    }
}
