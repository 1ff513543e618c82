//! Codebook drift: compares an export's variables, the codes it uses and (SPSS) its value
//! labels with the codebook before anything is imported, so that a file coded differently
//! (NOVA's Klasse 1–6 read by a codebook that says 0–5, a six-code item read as five) is
//! stopped rather than misread.
//!
//! Findings name variables, codes, labels and how many rows use a code — never a row or a
//! respondent's answers.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Seek};

use arrow57::array::{Array, AsArray};
use arrow57::datatypes::{DataType, Float64Type};
use oppvekst_schema::Catalogue;
use oppvekst_schema::text::{decode, detect_delimiter};

use crate::IngestError;
use crate::columns::map_columns;
use crate::sav::{SavLabels, sav_labels};

/// A code the codebook does not know changes figures when more than this share of the
/// file's rows, and at least [`SYSTEMATIC_ROWS`] rows, use it: a different coding, not a
/// stray code the row checks set aside (NOVA's Klasse 1–6 read as 0–5 leaves a sixth of the
/// pupils on a code the codebook lacks). A code the file's value labels name always does.
const SYSTEMATIC_SHARE: f64 = 0.01;
const SYSTEMATIC_ROWS: u64 = 10;

/// What kind of disagreement a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftKind {
    /// The file uses (or labels) a code the codebook does not know.
    UnknownCode,
    /// A value label means something else than the codebook says for that code.
    LabelDisagrees,
    /// The file's labelled codes span another range than the codebook's valid codes.
    RangeDiffers,
    /// A variable of the file the codebook lacks (not imported).
    UnknownVariable,
    /// A codebook item the file lacks.
    ItemAbsent,
}

impl DriftKind {
    /// Short English name for the table.
    pub fn name(self) -> &'static str {
        match self {
            DriftKind::UnknownCode => "unknown code",
            DriftKind::LabelDisagrees => "label disagrees",
            DriftKind::RangeDiffers => "range differs",
            DriftKind::UnknownVariable => "unknown variable",
            DriftKind::ItemAbsent => "item absent",
        }
    }
}

/// One disagreement between a file and the codebook.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Finding {
    /// The file's variable (or the codebook item, for an absent item).
    pub variable: String,
    /// What kind of disagreement.
    pub kind: DriftKind,
    /// The code concerned, when one is.
    pub code: Option<i64>,
    /// What the file says (a label, a range, how many rows use a code).
    pub file_says: String,
    /// What the codebook says.
    pub codebook_says: String,
    /// Whether importing the file as it is would change a published figure.
    pub changes_figures: bool,
}

/// The check of one file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DriftReport {
    /// File name.
    pub file: String,
    /// Findings, sorted.
    pub findings: Vec<Finding>,
    /// Survey years the file's rows hold (whatever else they hold).
    pub years: std::collections::BTreeSet<i32>,
}

impl DriftReport {
    /// Whether a finding would change a figure.
    pub fn changes_figures(&self) -> bool {
        self.findings.iter().any(|f| f.changes_figures)
    }
}

/// The findings of several files as a plain-text table (English, for the terminal): file,
/// variable, kind, code, what the file says, what the codebook says, and `yes` where a
/// figure would change. With `all` false only those.
pub fn drift_table(reports: &[DriftReport], all: bool) -> String {
    let mut rows = vec![[
        "file".to_owned(),
        "variable".to_owned(),
        "finding".to_owned(),
        "code".to_owned(),
        "the file says".to_owned(),
        "the codebook says".to_owned(),
        "changes figures".to_owned(),
    ]];
    for r in reports {
        for f in r.findings.iter().filter(|f| all || f.changes_figures) {
            // A code a few rows use and no label names is those pupils' answer: the table
            // says that there are such codes, not which (the quarantine has their rows).
            let stray = f.kind == DriftKind::UnknownCode && !f.changes_figures;
            rows.push([
                r.file.clone(),
                f.variable.clone(),
                f.kind.name().to_owned(),
                if stray {
                    String::new()
                } else {
                    f.code.map(|c| c.to_string()).unwrap_or_default()
                },
                if stray {
                    format!("{} (stray codes)", f.file_says)
                } else {
                    f.file_says.clone()
                },
                f.codebook_says.clone(),
                if f.changes_figures { "yes" } else { "no" }.to_owned(),
            ]);
        }
    }
    let mut widths = [0usize; 7];
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// Which codebook variable a column holds.
#[derive(Clone, Copy)]
enum Role {
    Grade,
    Gender,
    SchoolLevel,
    Item(usize),
}

/// A file's columns as the check sees them: names, codes used (code → rows) and labels.
struct Profile {
    header: Vec<String>,
    rows: u64,
    used: Vec<BTreeMap<i64, u64>>,
    labels: SavLabels,
}

/// Checks a CSV export (any dialect the reader accepts) against the codebook, streaming
/// it record by record as bytes: codes are ASCII in every encoding the reader accepts, so
/// only the header is decoded.
pub fn check_csv<R: Read>(file: &str, src: R, cat: &Catalogue) -> Result<DriftReport, IngestError> {
    let unreadable = |_| IngestError::Unusable {
        file: file.to_owned(),
        message: "cannot read the file".into(),
    };
    let mut src = BufReader::new(src);
    // The first non-blank line is the header; it decides the separator and the encoding.
    let mut line = Vec::new();
    while line.iter().all(u8::is_ascii_whitespace) {
        line.clear();
        if src.read_until(b'\n', &mut line).map_err(unreadable)? == 0 {
            return Err(IngestError::Empty {
                file: file.to_owned(),
            });
        }
    }
    let header_text = decode(&line, None).text;
    let delimiter = detect_delimiter(&header_text);
    let header: Vec<String> = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .from_reader(header_text.as_bytes())
        .records()
        .next()
        .and_then(Result::ok)
        .map(|r| r.iter().map(str::to_owned).collect())
        .ok_or_else(|| IngestError::Header {
            file: file.to_owned(),
            message: "unreadable header".into(),
        })?;
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(src);
    let mut used = vec![BTreeMap::new(); header.len()];
    let mut rows = 0;
    let mut rec = csv::ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            // A record the parser cannot read is the import's to quarantine.
            Err(_) => continue,
        }
        if rec.iter().all(|f| f.trim_ascii().is_empty()) {
            continue;
        }
        rows += 1;
        for (c, field) in rec.iter().enumerate().take(header.len()) {
            if let Ok(Some(code)) = crate::check::code_bytes(field) {
                *used[c].entry(code).or_insert(0) += 1;
            }
        }
    }
    let profile = Profile {
        header,
        rows,
        used,
        labels: SavLabels::default(),
    };
    judge(file, &profile, cat)
}

/// Checks an SPSS `.sav`/`.zsav` export: its value labels and the codes its cases use.
pub fn check_sav<R: Read + Seek>(
    file: &str,
    src: R,
    cat: &Catalogue,
) -> Result<DriftReport, IngestError> {
    let unusable = || IngestError::Unusable {
        file: file.to_owned(),
        message: "not a readable SPSS file".into(),
    };
    let mut scanner = ambers::scan_sav_from_reader(src, 8192).map_err(|_| unusable())?;
    let header: Vec<String> = scanner
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let labels = sav_labels(scanner.metadata());
    let mut used = vec![BTreeMap::new(); header.len()];
    let mut rows = 0;
    while let Some(batch) = scanner.next_batch().map_err(|_| unusable())? {
        rows += batch.num_rows() as u64;
        for (c, col) in batch.columns().iter().enumerate().take(header.len()) {
            if col.data_type() != &DataType::Float64 {
                continue;
            }
            let values = col.as_primitive::<Float64Type>();
            for i in 0..values.len() {
                let v = values.value(i);
                if values.is_valid(i) && v.fract() == 0.0 && v.abs() < 1e9 {
                    *used[c].entry(v as i64).or_insert(0) += 1;
                }
            }
        }
    }
    let profile = Profile {
        header,
        rows,
        used,
        labels,
    };
    judge(file, &profile, cat)
}

/// A field holding a whole number (`3`, `3,00`, `3.0`), or None: the row checker's rule.
#[cfg(test)]
fn whole_code(field: &str) -> Option<i64> {
    crate::check::code_bytes(field.as_bytes()).ok().flatten()
}

/// Lower case, dashes as `-`, only letters, digits and single spaces.
fn normalise(label: &str) -> String {
    let mut out = String::new();
    for ch in label.to_lowercase().chars() {
        let ch = match ch {
            '–' | '—' | '‐' => '-',
            c => c,
        };
        if ch.is_alphanumeric() || ch == '-' {
            out.push(ch);
        } else if !out.ends_with(' ') && !out.is_empty() {
            out.push(' ');
        }
    }
    out.trim_end().to_owned()
}

/// The grade a label means: `VG2` → 12, `9. trinn` → 9; None when it says neither.
fn grade_of_label(label: &str) -> Option<i64> {
    let l = label.to_lowercase().replace(' ', "");
    if let Some(p) = l.find("vg") {
        return l[p + 2..]
            .chars()
            .next()
            .and_then(|d| d.to_digit(10))
            .map(|d| 10 + i64::from(d));
    }
    let digits: String = l
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok().filter(|g| (8..=10).contains(g))
}

/// How the codebook's grade reads in the table: `8. trinn`, `VG1`.
fn grade_name(grade: i64) -> String {
    match grade {
        11..=13 => format!("VG{}", grade - 10),
        g => format!("{g}. trinn"),
    }
}

/// The gender a label means.
fn gender_of_label(label: &str) -> Option<&'static str> {
    let l = normalise(label);
    if ["gutt", "gutter", "mann", "menn", "boy", "male"]
        .iter()
        .any(|w| l == *w)
    {
        Some("gutt")
    } else if ["jente", "jenter", "kvinne", "kvinner", "girl", "female"]
        .iter()
        .any(|w| l == *w)
    {
        Some("jente")
    } else {
        None
    }
}

/// The school level a label means (true: ungdomsskole).
fn level_of_label(label: &str) -> Option<bool> {
    let l = normalise(label);
    if l.contains("ungdom") {
        Some(true)
    } else if l.contains("videreg") {
        Some(false)
    } else {
        None
    }
}

fn judge(file: &str, p: &Profile, cat: &Catalogue) -> Result<DriftReport, IngestError> {
    let cb = &cat.codebook;
    let cols = map_columns(file, &p.header, cat)?;
    let mut roles: Vec<(usize, Role)> =
        vec![(cols.grade, Role::Grade), (cols.gender, Role::Gender)];
    roles.extend(cols.school_level.map(|c| (c, Role::SchoolLevel)));
    roles.extend(
        cols.items
            .iter()
            .enumerate()
            .filter_map(|(k, c)| c.map(|c| (c, Role::Item(k)))),
    );
    let mut findings = Vec::new();
    let num = |k: &String| k.trim().parse::<i64>().ok();
    for (col, role) in roles {
        let variable = p.header[col].clone();
        // Codes the codebook knows for this variable, and what each means (for labels).
        let known: BTreeMap<i64, String> = match role {
            Role::Grade => cb
                .grade
                .codes
                .iter()
                .filter_map(|(k, g)| num(k).map(|k| (k, grade_name(*g))))
                .collect(),
            Role::Gender => cb
                .gender
                .codes
                .iter()
                .filter_map(|(k, g)| num(k).map(|k| (k, g.clone())))
                .collect(),
            Role::SchoolLevel => cb
                .school_level
                .codes
                .iter()
                .filter_map(|(k, g)| num(k).map(|k| (k, g.clone())))
                .collect(),
            Role::Item(k) => {
                let item = &cb.items[k];
                (item.valid[0]..=item.valid[1])
                    .zip(&item.value_labels)
                    .map(|(c, l)| (c, l.clone()))
                    .collect()
            }
        };
        let declared_missing: BTreeSet<i64> = p
            .labels
            .missing_codes
            .get(&variable)
            .into_iter()
            .flatten()
            .filter_map(|c| c.parse().ok())
            .collect();
        let missing = |c: i64| cb.is_missing(c) || declared_missing.contains(&c);
        let labels: BTreeMap<i64, &String> = p
            .labels
            .value_labels
            .get(&variable)
            .into_iter()
            .flatten()
            .filter_map(|(c, l)| c.parse().ok().map(|c| (c, l)))
            .collect();
        let wanted = |c: i64| known.get(&c).cloned().unwrap_or_default();
        let range = || match (known.keys().next(), known.keys().next_back()) {
            (Some(a), Some(b)) => format!("{a}–{b}"),
            _ => "no codes".to_owned(),
        };
        for (&code, &n) in &p.used[col] {
            if missing(code) || known.contains_key(&code) {
                continue;
            }
            let labelled = labels.contains_key(&code);
            let systematic =
                n >= SYSTEMATIC_ROWS && n as f64 > SYSTEMATIC_SHARE * p.rows.max(1) as f64;
            findings.push(Finding {
                variable: variable.clone(),
                kind: DriftKind::UnknownCode,
                code: Some(code),
                file_says: format!("used in {n} of {} rows", p.rows),
                codebook_says: format!("codes {}", range()),
                changes_figures: labelled || systematic,
            });
        }
        for (&code, &label) in &labels {
            if missing(code) {
                continue;
            }
            let Some(meaning) = known.get(&code) else {
                if !p.used[col].contains_key(&code) {
                    findings.push(Finding {
                        variable: variable.clone(),
                        kind: DriftKind::UnknownCode,
                        code: Some(code),
                        file_says: format!("labelled \"{label}\", not used"),
                        codebook_says: format!("codes {}", range()),
                        changes_figures: true,
                    });
                }
                continue;
            };
            // Whether the label says something else, and whether that changes a figure.
            let verdict = match role {
                Role::Grade => grade_of_label(label).map(|g| Some(g) != grade_of_label(meaning)),
                Role::Gender => gender_of_label(label).map(|g| g != meaning),
                Role::SchoolLevel => {
                    level_of_label(label).map(|u| u != (meaning == "ungdomsskole"))
                }
                Role::Item(_) => {
                    let l = normalise(label);
                    if l == normalise(meaning) {
                        Some(false)
                    } else if known.values().any(|m| normalise(m) == l) {
                        // The label of another code: the scale is ordered differently.
                        Some(true)
                    } else {
                        None
                    }
                }
            };
            match verdict {
                Some(false) => {}
                Some(true) => findings.push(Finding {
                    variable: variable.clone(),
                    kind: DriftKind::LabelDisagrees,
                    code: Some(code),
                    file_says: format!("\"{label}\""),
                    codebook_says: format!("\"{}\"", wanted(code)),
                    changes_figures: true,
                }),
                // Wording the check cannot read: shown, for a person to judge.
                None => findings.push(Finding {
                    variable: variable.clone(),
                    kind: DriftKind::LabelDisagrees,
                    code: Some(code),
                    file_says: format!("\"{label}\" (other wording)"),
                    codebook_says: format!("\"{}\"", wanted(code)),
                    changes_figures: false,
                }),
            }
        }
        if let Role::Item(_) = role {
            let labelled: Vec<i64> = labels.keys().copied().filter(|&c| !missing(c)).collect();
            if let (Some(&lo), Some(&hi)) = (labelled.first(), labelled.last()) {
                let (a, b) = (known.keys().next(), known.keys().next_back());
                if (Some(&lo), Some(&hi)) != (a, b) {
                    findings.push(Finding {
                        variable: variable.clone(),
                        kind: DriftKind::RangeDiffers,
                        code: None,
                        file_says: format!("labelled codes {lo}–{hi}"),
                        codebook_says: format!("valid codes {}", range()),
                        changes_figures: true,
                    });
                }
            }
        }
    }
    for v in &cols.unknown {
        findings.push(Finding {
            variable: v.clone(),
            kind: DriftKind::UnknownVariable,
            code: None,
            file_says: "in the file".into(),
            codebook_says: "not in the codebook (not imported)".into(),
            changes_figures: false,
        });
    }
    for (item, col) in cb.items.iter().zip(&cols.items) {
        if col.is_none() {
            findings.push(Finding {
                variable: item.id.clone(),
                kind: DriftKind::ItemAbsent,
                code: None,
                file_says: "not in the file".into(),
                codebook_says: format!("aliases {}", item.aliases.join(", ")),
                changes_figures: false,
            });
        }
    }
    findings.sort();
    let years = p.used[cols.year]
        .keys()
        .filter_map(|&y| i32::try_from(y).ok())
        .collect();
    Ok(DriftReport {
        file: file.to_owned(),
        findings,
        years,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_read_for_their_meaning() {
        assert_eq!(grade_of_label("8. trinn"), Some(8));
        assert_eq!(grade_of_label("VG 3"), Some(13));
        assert_eq!(grade_of_label("Vg1"), Some(11));
        assert_eq!(grade_of_label("Ukjent"), None);
        assert_eq!(gender_of_label("Jenter"), Some("jente"));
        assert_eq!(level_of_label("Videregående skole"), Some(false));
        assert_eq!(normalise("2–5 ganger"), normalise("2-5  ganger"));
        assert_eq!(whole_code("3,00"), Some(3));
        assert_eq!(whole_code("3,5"), None);
    }
}
