//! The police extract as an Excel workbook (`.xlsx`), read with calamine: the first sheet is
//! laid out as `;`-separated UTF-8 text and validated by the same code as a CSV extract, so
//! both give the same counts, quarantine and reconciliation. Row numbers are the sheet's own
//! (the header is row 1), provided the table starts in the sheet's first row.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use oppvekst_schema::Harmoniser;

use crate::{FileReport, PoliceCounts, PoliceError, QuarantinedRow, SeenKeys, read_extract};

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        // A fractional count fails validation with its position, like a CSV "12,5".
        Data::Float(f) => format!("{f}"),
        Data::Bool(b) => b.to_string(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        // Dates and Excel errors (#VERDI!) are never counts: left as text the validator rejects.
        Data::DateTime(_) | Data::Error(_) => "#".into(),
    }
}

/// Reads one extract saved as `.xlsx` (first sheet).
pub fn read_extract_xlsx(
    file: &str,
    bytes: &[u8],
    harmoniser: &Harmoniser,
    seen: &mut SeenKeys,
) -> Result<(PoliceCounts, FileReport, Vec<QuarantinedRow>), PoliceError> {
    let unusable = |message: String| PoliceError::Unusable {
        file: file.to_owned(),
        message,
    };
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
        // Reader messages can quote cell text, so only the kind of failure is reported.
        .map_err(|_| unusable("not a readable Excel workbook".into()))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| unusable("the workbook has no sheets".into()))?
        .map_err(|_| unusable("the first sheet cannot be read".into()))?;
    if range.start().is_some_and(|(row, _)| row > 0) {
        return Err(unusable(
            "the table must start in row 1 of the first sheet (the header row)".into(),
        ));
    }
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .flexible(true)
        .from_writer(Vec::new());
    for row in range.rows() {
        // calamine's range is rectangular, so every row has the header's width.
        let cells: Vec<String> = row.iter().map(cell_text).collect();
        w.write_record(&cells)
            .map_err(|_| unusable("cannot lay out the sheet".into()))?;
    }
    let text = w
        .into_inner()
        .map_err(|_| unusable("cannot lay out the sheet".into()))?;
    let (counts, mut report, q) = read_extract(
        file,
        &text,
        harmoniser,
        Some(oppvekst_schema::text::Encoding::Utf8),
        seen,
    )?;
    report.encoding = "XLSX";
    Ok((counts, report, q))
}
