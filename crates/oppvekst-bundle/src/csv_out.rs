//! The bundle's tables, written twice from the same rows: as CSV for Norwegian Excel (UTF-8
//! with BOM, `;` separator, decimal comma, `:` for hidden values, `.` for values that do not
//! exist) and as one XLSX workbook (numbers as numbers, `:` and `.` as text, a filter and a
//! frozen header row on every sheet).

use std::path::Path;

use oppvekst_disclosure::ProtectedTable;

use crate::sentences as w;
use crate::{BundleError, BundleInput, municipality_name, write_file};

/// One cell of a table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum V {
    /// Text.
    T(String),
    /// A whole number.
    I(i64),
    /// A decimal number, shown with one decimal (or four for p-values).
    F(f64, usize),
    /// Hidden for confidentiality: `:`.
    Hidden,
    /// Not available — there is nothing to show, not something hidden (a sum of four
    /// quarters before four quarters exist): `.`, as SSB writes it.
    NotAvailable,
}

impl V {
    fn csv(&self) -> String {
        match self {
            V::T(s) => s.clone(),
            V::I(n) => n.to_string(),
            V::F(x, d) => format!("{x:.d$}", d = *d).replace('.', ","),
            V::Hidden => ":".into(),
            V::NotAvailable => ".".into(),
        }
    }
}

/// A table of the bundle.
pub(crate) struct TableData {
    /// CSV file name (in `tabeller/`).
    pub file: &'static str,
    /// Worksheet name.
    pub sheet: &'static str,
    /// Column names.
    pub header: Vec<&'static str>,
    /// Rows.
    pub rows: Vec<Vec<V>>,
}

fn csv_bytes(header: &[&str], rows: Vec<Vec<String>>) -> Vec<u8> {
    let mut out = vec![0xEF, 0xBB, 0xBF];
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail except on a bug in csv; fall back to an empty table then.
    let _ = w.write_record(header);
    for r in rows {
        let _ = w.write_record(&r);
    }
    out.extend(w.into_inner().unwrap_or_default());
    out
}

fn pct(v: Option<f64>) -> V {
    v.map(|x| V::F(x, 1)).unwrap_or(V::Hidden)
}

fn int(v: Option<u32>) -> V {
    v.map(|x| V::I(x.into())).unwrap_or(V::Hidden)
}

fn t(s: &str) -> V {
    V::T(s.to_owned())
}

/// Every table of the bundle: codes become the words the report uses (the codes stay in
/// the Parquet files), headers name their units.
pub(crate) fn tables(input: &BundleInput<'_>) -> Vec<TableData> {
    let label = |id: &str| {
        input
            .catalogue
            .indicator(id)
            .map_or_else(|| id.to_owned(), |i| i.label.clone())
    };
    let indicators = input
        .indicators
        .rows
        .iter()
        .map(|r| {
            vec![
                V::T(label(&r.indicator)),
                t(&r.focus_area),
                t(&r.municipality),
                t(municipality_name(input, &r.municipality)),
                V::I(r.survey_year.into()),
                t(oppvekst_schema::dims::grade_label(&r.grade)),
                t(w::gender_words(&r.gender)),
                pct(r.percent),
                pct(r.ci_low),
                pct(r.ci_high),
                int(r.numerator),
                V::I(r.denominator.into()),
            ]
        })
        .collect();
    let gaps = crate::gaps::SeriesQuarters::new(&input.police_series.rows);
    let police = input
        .police_series
        .rows
        .iter()
        .map(|r| {
            let four_quarters = gaps.four_quarters(r);
            let year_before = gaps.year_before(r);
            let unknown = |exists: bool| if exists { V::Hidden } else { V::NotAvailable };
            vec![
                t(&r.municipality),
                t(municipality_name(input, &r.municipality)),
                t(oppvekst_schema::codes::offence_label(&r.offence_group)),
                V::T(w::age_words(&r.age_band)),
                V::T(r.quarter.to_string()),
                int(r.count),
                r.rolling_4q
                    .map(|n| V::I(n.into()))
                    .unwrap_or_else(|| unknown(four_quarters)),
                r.change_yoy
                    .map(V::I)
                    .unwrap_or_else(|| unknown(year_before)),
                match (r.rate_per_1000, r.rolling_4q) {
                    (Some(x), _) => V::F(x, 2),
                    // A known sum without a rate: no population for the band (andre).
                    (None, Some(_)) => t(""),
                    (None, None) => unknown(four_quarters),
                },
                r.population_year
                    .map(|y| V::I(y.into()))
                    .unwrap_or_else(|| t("")),
            ]
        })
        .collect();
    let changes = input
        .changes
        .iter()
        .map(|c| {
            vec![
                V::T(label(&c.indicator)),
                t(municipality_name(input, &c.municipality)),
                t(oppvekst_schema::dims::grade_label(&c.grade)),
                t(w::gender_words(&c.gender)),
                V::I(c.from_year.into()),
                V::I(c.to_year.into()),
                V::F(c.from_percent, 1),
                V::F(c.to_percent, 1),
                V::F(c.to_percent - c.from_percent, 1),
                V::F(c.p_value, 4),
                V::F(c.p_adjusted, 4),
                t(w::yes_no(c.significant)),
            ]
        })
        .collect();
    let comparisons = input
        .comparisons
        .rows
        .iter()
        .map(|c| {
            let opt = |v: Option<f64>, d: usize| v.map(|x| V::F(x, d)).unwrap_or_else(|| t(""));
            vec![
                V::T(label(&c.indicator)),
                t(municipality_name(input, &c.municipality)),
                V::I(c.survey_year.into()),
                t(oppvekst_schema::dims::grade_label(&c.grade)),
                t(w::gender_words(&c.gender)),
                pct(c.percent),
                pct(c.ci_low),
                pct(c.ci_high),
                V::I(c.denominator.into()),
                opt(c.percent_std, 1),
                t(c.reference.as_deref().unwrap_or("")),
                opt(c.reference_percent, 1),
                opt(c.difference, 1),
                opt(c.p_value, 4),
                opt(c.p_adjusted, 4),
                t(w::yes_no(c.significant)),
            ]
        })
        .collect();
    let mut tables = vec![
        TableData {
            file: "indikatorer.csv",
            sheet: "Indikatorer",
            header: w::INDICATOR_HEADER.to_vec(),
            rows: indicators,
        },
        TableData {
            file: "politi.csv",
            sheet: "Politi",
            header: w::POLICE_HEADER.to_vec(),
            rows: police,
        },
        TableData {
            file: "endringer.csv",
            sheet: "Endringer",
            header: w::CHANGES_HEADER.to_vec(),
            rows: changes,
        },
        TableData {
            file: "sammenligning.csv",
            sheet: "Sammenligning",
            header: w::COMPARISON_HEADER.to_vec(),
            rows: comparisons,
        },
    ];
    if let Some((flags, _)) = input.police_flags {
        let label = |code: &str| -> String {
            oppvekst_schema::codes::FLAGS
                .iter()
                .find(|f| f.0 == code)
                .map_or(code, |f| f.1)
                .to_owned()
        };
        let rows = flags
            .cells()
            .iter()
            .map(|c| {
                let k = c.key();
                vec![
                    t(&k[0]),
                    t(municipality_name(input, &k[0])),
                    V::T(oppvekst_schema::quarter::display_code(&k[1])),
                    t(oppvekst_schema::codes::offence_label(&k[2])),
                    V::T(label(&k[3])),
                    c.value().map_or(V::Hidden, |v| V::I(v as i64)),
                ]
            })
            .collect();
        tables.insert(
            2,
            TableData {
                file: "politi_kjennetegn.csv",
                sheet: "Politi kjennetegn",
                header: w::FLAGS_HEADER.to_vec(),
                rows,
            },
        );
    }
    tables
}

/// Writes every table as CSV into `dir`.
pub(crate) fn write_csvs(tables: &[TableData], dir: &Path) -> Result<(), BundleError> {
    for tab in tables {
        let rows = tab
            .rows
            .iter()
            .map(|r| r.iter().map(V::csv).collect())
            .collect();
        write_file(&dir.join(tab.file), &csv_bytes(&tab.header, rows))?;
    }
    Ok(())
}

/// All tables as one workbook, with a sheet explaining the symbols. `date` (YYYY-MM-DD,
/// from the config) is the document date, so the bytes do not depend on the clock.
pub(crate) fn xlsx(tables: &[TableData], date: Option<&str>) -> Result<Vec<u8>, BundleError> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};
    let x = |e: rust_xlsxwriter::XlsxError| BundleError::Template(format!("tabeller.xlsx: {e}"));
    let (y, m, d) = date
        .and_then(|d| {
            Some((
                d.get(0..4)?.parse().ok()?,
                d.get(5..7)?.parse().ok()?,
                d.get(8..10)?.parse().ok()?,
            ))
        })
        .unwrap_or((2000, 1, 1));
    let mut wb = Workbook::new();
    wb.set_properties(
        &DocProperties::new()
            .set_title("Oppvekst: tabeller")
            .set_creation_datetime(&ExcelDateTime::from_ymd(y, m, d).map_err(x)?),
    );
    let hidden = Format::new().set_align(rust_xlsxwriter::FormatAlign::Right);
    let whole = Format::new().set_num_format("#,##0");
    let one = Format::new().set_num_format("0.0");
    let two = Format::new().set_num_format("0.00");
    let four = Format::new().set_num_format("0.0000");
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(rust_xlsxwriter::FormatAlign::Top);
    {
        let ws = wb.add_worksheet();
        ws.set_name(w::WORKBOOK_NOTES_SHEET).map_err(x)?;
        ws.set_column_width(0, 120).map_err(x)?;
        for (r, l) in w::WORKBOOK_NOTES.iter().enumerate() {
            ws.write_string(r as u32, 0, *l).map_err(x)?;
        }
    }
    for tab in tables {
        let ws = wb.add_worksheet();
        ws.set_name(tab.sheet).map_err(x)?;
        for (c, h) in tab.header.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &header)
                .map_err(x)?;
            // Wide enough for the longest value, the header wrapping over up to two lines.
            let longest = tab
                .rows
                .iter()
                .filter_map(|r| r.get(c))
                .map(|v| v.csv().chars().count())
                .max()
                .unwrap_or(0);
            let head = (h.chars().count() as f64 / 2.0).ceil();
            ws.set_column_width(c as u16, (longest as f64).max(head).clamp(8.0, 48.0) + 2.0)
                .map_err(x)?;
        }
        ws.set_row_height(0, 32).map_err(x)?;
        ws.set_freeze_panes(1, 0).map_err(x)?;
        if !tab.rows.is_empty() && !tab.header.is_empty() {
            ws.autofilter(0, 0, tab.rows.len() as u32, tab.header.len() as u16 - 1)
                .map_err(x)?;
        }
        // A year (a column named …år) is a whole number without a thousands separator.
        let years: Vec<bool> = tab
            .header
            .iter()
            .map(|h| h.to_lowercase().ends_with("år"))
            .collect();
        for (r, row) in tab.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, v) in row.iter().enumerate() {
                let c = c as u16;
                match v {
                    V::T(s) => ws.write_string(r, c, s).map(|_| ()),
                    V::I(n) if years[c as usize] => ws.write_number(r, c, *n as f64).map(|_| ()),
                    V::I(n) => ws
                        .write_number_with_format(r, c, *n as f64, &whole)
                        .map(|_| ()),
                    V::F(f, 4) => ws.write_number_with_format(r, c, *f, &four).map(|_| ()),
                    V::F(f, 2) => ws.write_number_with_format(r, c, *f, &two).map(|_| ()),
                    V::F(f, _) => ws.write_number_with_format(r, c, *f, &one).map(|_| ()),
                    V::Hidden => ws.write_string_with_format(r, c, ":", &hidden).map(|_| ()),
                    V::NotAvailable => ws.write_string_with_format(r, c, ".", &hidden).map(|_| ()),
                }
                .map_err(x)?;
            }
        }
    }
    wb.save_to_buffer().map_err(x)
}

/// The confidential rule log for the work folder (never the bundle): per hidden cell, the
/// table, its codes, the rule that hid it (code and explanation) and the interval a reader
/// of everything published can derive, under the full model (exact intervals only). A rule
/// per cell tells a reader on which side of a threshold the cell lies, so it is not
/// published; the analyst reads it here. CSV for Norwegian Excel (UTF-8 with BOM, `;`).
pub fn suppression_log_csv(tables: &[&ProtectedTable]) -> Vec<u8> {
    let mut log = Vec::new();
    for tab in tables {
        for (c, rule, b) in tab.hidden_log() {
            log.push(vec![
                t(tab.name()),
                V::T(c.key().join("|")),
                t(rule.code()),
                t(rule.label_nb()),
                b.map(|b| V::I(b.lower as i64))
                    .unwrap_or(V::T(String::new())),
                b.and_then(|b| b.upper)
                    .map(|u| V::I(u as i64))
                    .unwrap_or_else(|| t("ubegrenset")),
            ]);
        }
    }
    let rows = log.iter().map(|r| r.iter().map(V::csv).collect()).collect();
    csv_bytes(
        &[
            "tabell",
            "celle",
            "regel",
            "forklaring",
            "kan_utledes_fra",
            "kan_utledes_til",
        ],
        rows,
    )
}
