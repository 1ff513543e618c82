//! SSB StatBank tables (08487 reported offences, 07459 and 01222 population) in the formats
//! they come in: JSON-stat 1.x (with the `dataset` wrapper) and 2.0, `.px` files and PxWeb
//! CSV. SSB's table symbols become explicit statuses, never numbers: `..` (and `...`)
//! missing, `:` hidden for confidentiality, `-` exact zero, `.` not applicable. In a `.px`
//! file, quoted dots in DATA (`"."` … `"......"`) are the n-th DATASYMBOL, whose text decides
//! the status; `"-"` is DATASYMBOLNIL (zero).

use std::collections::BTreeMap;

use oppvekst_schema::text::{Encoding, decode};
use serde_json::Value;

/// A cell's status.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub enum SsbValue {
    /// A number.
    Number(f64),
    /// `-`: exactly zero.
    Zero,
    /// `..` or `...`: missing or too uncertain.
    Missing,
    /// `:`: hidden for confidentiality.
    Hidden,
    /// `.`: not applicable (logically impossible).
    NotApplicable,
}

impl SsbValue {
    /// From an SSB symbol (`..`, `...`, `:`, `-`, `.`).
    pub fn from_symbol(s: &str) -> Option<Self> {
        match s.trim() {
            ".." | "..." => Some(SsbValue::Missing),
            ":" => Some(SsbValue::Hidden),
            "-" => Some(SsbValue::Zero),
            "." => Some(SsbValue::NotApplicable),
            _ => None,
        }
    }

    /// The number, when there is one (`-` is 0).
    pub fn number(self) -> Option<f64> {
        match self {
            SsbValue::Number(v) => Some(v),
            SsbValue::Zero => Some(0.0),
            _ => None,
        }
    }
}

/// One dimension: id, label and categories (code, label) in order.
#[derive(Debug, Clone, PartialEq)]
pub struct SsbDimension {
    /// Id (for example `Region`, `Tid`).
    pub id: String,
    /// Label.
    pub label: String,
    /// Categories in table order.
    pub categories: Vec<(String, String)>,
}

/// A StatBank table: dimensions and one value per combination (row-major, last dimension fastest).
#[derive(Debug, Clone, PartialEq)]
pub struct SsbTable {
    /// Title or label.
    pub label: String,
    /// Dimensions.
    pub dimensions: Vec<SsbDimension>,
    /// Values, row-major.
    pub values: Vec<SsbValue>,
}

impl SsbTable {
    /// The value at a combination of category codes (one per dimension).
    pub fn get(&self, codes: &[&str]) -> Option<SsbValue> {
        let mut idx = 0;
        for (d, code) in self.dimensions.iter().zip(codes) {
            let pos = d.categories.iter().position(|(c, _)| c == code)?;
            idx = idx * d.categories.len() + pos;
        }
        self.values.get(idx).copied()
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// A file that is not a readable SSB table.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct SsbError {
    /// File.
    pub file: String,
    /// What is wrong (structure, never values).
    pub message: String,
}

fn err(file: &str, m: impl Into<String>) -> SsbError {
    SsbError {
        file: file.to_owned(),
        message: m.into(),
    }
}

/// Reads JSON-stat 1.x (`{"dataset": {…}}` or named datasets) or 2.0 (`"class": "dataset"`).
pub fn read_jsonstat(file: &str, bytes: &[u8]) -> Result<SsbTable, SsbError> {
    let root: Value = serde_json::from_slice(bytes).map_err(|e| {
        err(
            file,
            format!("not JSON (line {}, column {})", e.line(), e.column()),
        )
    })?;
    let ds = if root.get("class").and_then(Value::as_str) == Some("dataset") {
        &root
    } else if let Some(d) = root.get("dataset") {
        d
    } else {
        root.as_object()
            .and_then(|o| o.values().find(|v| v.get("dimension").is_some()))
            .ok_or_else(|| err(file, "no JSON-stat dataset found"))?
    };
    let dims = ds
        .get("dimension")
        .ok_or_else(|| err(file, "dataset has no `dimension`"))?;
    // 2.0 keeps id/size on the dataset; 1.x inside `dimension`.
    let ids = ds
        .get("id")
        .or_else(|| dims.get("id"))
        .and_then(Value::as_array)
        .ok_or_else(|| err(file, "no dimension `id` list"))?;
    let sizes = ds
        .get("size")
        .or_else(|| dims.get("size"))
        .and_then(Value::as_array)
        .ok_or_else(|| err(file, "no dimension `size` list"))?;
    if ids.len() != sizes.len() {
        return Err(err(file, "`id` and `size` differ in length"));
    }
    let mut dimensions = Vec::new();
    for (id, size) in ids.iter().zip(sizes) {
        let id = id
            .as_str()
            .ok_or_else(|| err(file, "dimension id is not a string"))?;
        let size = size
            .as_u64()
            .ok_or_else(|| err(file, format!("dimension `{id}`: size is not a number")))?
            as usize;
        let d = dims
            .get(id)
            .ok_or_else(|| err(file, format!("dimension `{id}` is not described")))?;
        let cat = d
            .get("category")
            .ok_or_else(|| err(file, format!("dimension `{id}` has no category")))?;
        let mut codes: Vec<(usize, String)> = match cat.get("index") {
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| (v.as_u64().unwrap_or(u64::MAX) as usize, k.clone()))
                .collect(),
            Some(Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(i, v)| (i, v.as_str().unwrap_or_default().to_owned()))
                .collect(),
            None => match cat.get("label") {
                Some(Value::Object(m)) if m.len() == 1 => {
                    vec![(0, m.keys().next().cloned().unwrap_or_default())]
                }
                _ => return Err(err(file, format!("dimension `{id}` has no category index"))),
            },
            _ => {
                return Err(err(
                    file,
                    format!("dimension `{id}`: category index is neither object nor array"),
                ));
            }
        };
        codes.sort();
        if codes.len() != size || codes.iter().enumerate().any(|(i, (p, _))| *p != i) {
            return Err(err(
                file,
                format!("dimension `{id}`: category index does not match size {size}"),
            ));
        }
        let labels = cat.get("label");
        dimensions.push(SsbDimension {
            id: id.to_owned(),
            label: d
                .get("label")
                .and_then(Value::as_str)
                .unwrap_or(id)
                .to_owned(),
            categories: codes
                .into_iter()
                .map(|(_, c)| {
                    let l = labels
                        .and_then(|l| l.get(&c))
                        .and_then(Value::as_str)
                        .unwrap_or(&c)
                        .to_owned();
                    (c, l)
                })
                .collect(),
        });
    }
    let n: usize = dimensions.iter().map(|d| d.categories.len()).product();
    let status_at = |i: usize| -> Option<&str> {
        match ds.get("status") {
            Some(Value::String(s)) => Some(s.as_str()),
            Some(Value::Array(a)) => a.get(i).and_then(Value::as_str),
            Some(Value::Object(o)) => o.get(&i.to_string()).and_then(Value::as_str),
            _ => None,
        }
    };
    let raw_at = |i: usize| -> Option<&Value> {
        match ds.get("value") {
            Some(Value::Array(a)) => a.get(i),
            Some(Value::Object(o)) => o.get(&i.to_string()),
            _ => None,
        }
    };
    if !matches!(ds.get("value"), Some(Value::Array(_) | Value::Object(_))) {
        return Err(err(file, "dataset has no `value`"));
    }
    if let Some(Value::Array(a)) = ds.get("value")
        && a.len() != n
    {
        return Err(err(file, format!("{} values for {n} cells", a.len())));
    }
    let mut values = Vec::with_capacity(n);
    for i in 0..n {
        let symbol = status_at(i).and_then(SsbValue::from_symbol);
        let v = match raw_at(i) {
            Some(Value::Number(x)) => match (x.as_f64(), symbol) {
                (Some(_), Some(SsbValue::Zero)) => SsbValue::Zero,
                (Some(v), _) => SsbValue::Number(v),
                (None, _) => return Err(err(file, format!("value {i} is not a finite number"))),
            },
            Some(Value::String(s)) => SsbValue::from_symbol(s)
                .ok_or_else(|| err(file, format!("value {i} is an unknown symbol")))?,
            Some(Value::Null) | None => symbol.unwrap_or(SsbValue::Missing),
            Some(_) => {
                return Err(err(
                    file,
                    format!("value {i} is neither a number nor a symbol"),
                ));
            }
        };
        values.push(v);
    }
    Ok(SsbTable {
        label: ds
            .get("label")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        dimensions,
        values,
    })
}

/// Splits a PX value list `"a","b",…` (or a single quoted string) into its strings.
fn px_strings(v: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut inside = false;
    for ch in v.chars() {
        match ch {
            '"' if inside => {
                out.push(std::mem::take(&mut cur));
                inside = false;
            }
            '"' => inside = true,
            _ if inside => cur.push(ch),
            _ => {}
        }
    }
    out
}

/// Reads a `.px` file (PC-Axis): CODEPAGE decides the encoding; STUB then HEADING give the
/// dimension order (the last heading varies fastest); DATASYMBOL keywords decide what quoted
/// dots mean.
pub fn read_px(file: &str, bytes: &[u8]) -> Result<SsbTable, SsbError> {
    // The keyword section is ASCII; read CODEPAGE from the raw bytes, then decode.
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).to_lowercase();
    let latin = head.contains("codepage=\"iso-8859-1\"")
        || head.contains("codepage=\"windows-1252\"")
        || head.contains("charset=\"ansi\"");
    let text = decode(
        bytes,
        latin
            .then_some(Encoding::Windows1252)
            .or(Some(Encoding::Utf8)),
    )
    .text;
    let (meta, data) = text
        .split_once("DATA=")
        .ok_or_else(|| err(file, "no DATA= section"))?;
    let mut kw: BTreeMap<String, String> = BTreeMap::new();
    // Keywords end with `;` outside quotes.
    let mut cur = String::new();
    let mut inside = false;
    for ch in meta.chars() {
        match ch {
            '"' => {
                inside = !inside;
                cur.push(ch);
            }
            ';' if !inside => {
                if let Some((k, v)) = cur.trim().split_once('=') {
                    kw.insert(k.trim().to_owned(), v.trim().replace(['\n', '\r'], ""));
                }
                cur.clear();
            }
            _ => cur.push(ch),
        }
    }
    let list = |key: &str| kw.get(key).map(|v| px_strings(v)).unwrap_or_default();
    let mut dim_names = list("STUB");
    dim_names.extend(list("HEADING"));
    if dim_names.is_empty() {
        return Err(err(file, "no STUB or HEADING"));
    }
    let mut dimensions = Vec::new();
    for name in &dim_names {
        let values = list(&format!("VALUES(\"{name}\")"));
        if values.is_empty() {
            return Err(err(file, format!("no VALUES for `{name}`")));
        }
        let codes = list(&format!("CODES(\"{name}\")"));
        let id = kw
            .get(&format!("VARIABLECODE(\"{name}\")"))
            .map(|v| px_strings(v).join(""))
            .unwrap_or_else(|| name.clone());
        let codes = if codes.len() == values.len() {
            codes
        } else {
            values.clone()
        };
        dimensions.push(SsbDimension {
            id,
            label: name.clone(),
            categories: codes.into_iter().zip(values).collect(),
        });
    }
    let symbol = |n: usize| -> String {
        kw.get(&format!("DATASYMBOL{n}"))
            .map(|v| px_strings(v).join(""))
            .unwrap_or_else(|| ".".repeat(n))
    };
    let nil = kw
        .get("DATASYMBOLNIL")
        .map(|v| px_strings(v).join(""))
        .unwrap_or_else(|| "-".into());
    let sum = kw.get("DATASYMBOLSUM").map(|v| px_strings(v).join(""));
    let mut values = Vec::new();
    if !data.trim_end().ends_with(';') {
        return Err(err(file, "DATA does not end with `;` (truncated?)"));
    }
    let body = data.trim().trim_end_matches(';');
    let mut tokens = Vec::new();
    let mut cur = String::new();
    let mut inside = false;
    for ch in body.chars() {
        match ch {
            '"' => {
                inside = !inside;
                cur.push(ch);
            }
            c if !inside && (c.is_whitespace() || c == ',' || c == ';') => {
                if !cur.is_empty() {
                    tokens.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        tokens.push(cur);
    }
    for (i, t) in tokens.iter().enumerate() {
        let unquoted = t.trim_matches('"');
        let v = if t.starts_with('"') {
            if unquoted == "-" {
                SsbValue::from_symbol(&nil).unwrap_or(SsbValue::Zero)
            } else if !unquoted.is_empty() && unquoted.chars().all(|c| c == '.') {
                let shown = symbol(unquoted.len());
                SsbValue::from_symbol(&shown)
                    .or_else(|| {
                        sum.as_deref()
                            .filter(|s| *s == shown)
                            .map(|_| SsbValue::NotApplicable)
                    })
                    .ok_or_else(|| {
                        err(
                            file,
                            format!("DATA token {}: symbol with no meaning", i + 1),
                        )
                    })?
            } else {
                return Err(err(
                    file,
                    format!("DATA token {}: unknown quoted symbol", i + 1),
                ));
            }
        } else {
            match unquoted.parse::<f64>() {
                Ok(x) => SsbValue::Number(x),
                Err(_) => SsbValue::from_symbol(unquoted)
                    .ok_or_else(|| err(file, format!("DATA token {} is not a number", i + 1)))?,
            }
        };
        values.push(v);
    }
    let n: usize = dimensions.iter().map(|d| d.categories.len()).product();
    if values.len() != n {
        return Err(err(
            file,
            format!(
                "DATA holds {} values for {n} cells (truncated?)",
                values.len()
            ),
        ));
    }
    Ok(SsbTable {
        label: kw
            .get("TITLE")
            .map(|v| px_strings(v).join(""))
            .unwrap_or_default(),
        dimensions,
        values,
    })
}

/// Reads PxWeb CSV (comma, `.` decimal, ISO-8859-1 unless it is valid UTF-8): the first
/// `stub` columns are dimensions; every further column header is one category of a single
/// heading dimension called `heading` (PxWeb's wide export), so a tidy file with one value
/// column is the case of one heading category.
pub fn read_pxweb_csv(
    file: &str,
    bytes: &[u8],
    stub: usize,
    heading: &str,
) -> Result<SsbTable, SsbError> {
    let d = decode(bytes, None);
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(oppvekst_schema::text::detect_delimiter(&d.text))
        .from_reader(d.text.as_bytes());
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| err(file, e.to_string()))?
        .iter()
        .map(str::to_owned)
        .collect();
    if header.len() <= stub {
        return Err(err(
            file,
            format!("expected {stub} dimension columns and at least one value column"),
        ));
    }
    let mut stub_cats: Vec<Vec<(String, String)>> = vec![Vec::new(); stub];
    let mut rows: Vec<(Vec<usize>, Vec<SsbValue>)> = Vec::new();
    for (r, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| err(file, format!("line {}: {e}", r + 2)))?;
        if rec.len() != header.len() {
            return Err(err(
                file,
                format!("line {}: expected {} fields", r + 2, header.len()),
            ));
        }
        let mut pos = Vec::with_capacity(stub);
        for (k, cats) in stub_cats.iter_mut().enumerate() {
            let code = rec.get(k).unwrap_or("").to_owned();
            let p = match cats.iter().position(|(c, _)| *c == code) {
                Some(p) => p,
                None => {
                    cats.push((code.clone(), code));
                    cats.len() - 1
                }
            };
            pos.push(p);
        }
        let mut vals = Vec::new();
        for (k, raw) in rec.iter().enumerate().skip(stub) {
            let v = match raw.trim().parse::<f64>() {
                Ok(x) => SsbValue::Number(x),
                Err(_) => SsbValue::from_symbol(raw).ok_or_else(|| {
                    err(
                        file,
                        format!(
                            "line {}, column `{}`: neither a number nor a symbol",
                            r + 2,
                            header[k]
                        ),
                    )
                })?,
            };
            vals.push(v);
        }
        rows.push((pos, vals));
    }
    let mut dimensions: Vec<SsbDimension> = header[..stub]
        .iter()
        .zip(stub_cats)
        .map(|(h, cats)| SsbDimension {
            id: h.clone(),
            label: h.clone(),
            categories: cats,
        })
        .collect();
    dimensions.push(SsbDimension {
        id: heading.to_owned(),
        label: heading.to_owned(),
        categories: header[stub..]
            .iter()
            .map(|h| (h.clone(), h.clone()))
            .collect(),
    });
    let n: usize = dimensions.iter().map(|d| d.categories.len()).product();
    let mut values = vec![SsbValue::Missing; n];
    let heading_len = header.len() - stub;
    for (pos, vals) in rows {
        let mut idx = 0;
        for (d, p) in pos.iter().enumerate() {
            idx = idx * dimensions[d].categories.len() + p;
        }
        for (k, v) in vals.into_iter().enumerate() {
            values[idx * heading_len + k] = v;
        }
    }
    Ok(SsbTable {
        label: String::new(),
        dimensions,
        values,
    })
}
