//! The demo's SPSS export, written the way NOVA delivers one: numeric codes, the codebook's
//! value labels on every coded variable (Klasse "8. trinn" … "VG3"), 98/99 declared
//! user-missing, and a fixed creation time (the demo is byte-for-byte reproducible).

use std::io::Cursor;
use std::sync::Arc;

use ambers::{Compression, MissingSpec, SpssMetadata, Value};
use arrow57::array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow57::datatypes::{DataType, Field, Schema};
use indexmap::IndexMap;
use oppvekst_schema::Catalogue;

/// What went wrong writing the demo's `.sav` (a fault in the generator, never in data).
#[derive(Debug, thiserror::Error)]
#[error("cannot write the demo's SPSS file: {0}")]
pub struct SavError(String);

/// Value labels of a coded column, by the codebook alias the column is named with.
fn labels_of(name: &str, cat: &Catalogue) -> Option<IndexMap<Value, String>> {
    let cb = &cat.codebook;
    let is = |aliases: &[String]| aliases.iter().any(|a| a.eq_ignore_ascii_case(name));
    let num = |k: &String| k.trim().parse::<f64>().ok();
    let mut out = IndexMap::new();
    if is(&cb.grade.aliases) {
        for (code, grade) in &cb.grade.codes {
            let label = match grade {
                11..=13 => format!("VG{}", grade - 10),
                g => format!("{g}. trinn"),
            };
            out.insert(Value::Numeric(num(code)?), label);
        }
    } else if is(&cb.gender.aliases) {
        for (code, g) in &cb.gender.codes {
            let label = if g == "gutt" { "Gutt" } else { "Jente" };
            out.insert(Value::Numeric(num(code)?), label.to_owned());
        }
    } else if is(&cb.school_level.aliases) {
        for (code, l) in &cb.school_level.codes {
            let label = if l == "ungdomsskole" {
                "Ungdomsskole"
            } else {
                "Videregående skole"
            };
            out.insert(Value::Numeric(num(code)?), label.to_owned());
        }
    } else {
        let item = cb
            .items
            .iter()
            .find(|i| i.id.eq_ignore_ascii_case(name) || is(&i.aliases))?;
        for (code, label) in (item.valid[0]..=item.valid[1]).zip(&item.value_labels) {
            out.insert(Value::Numeric(code as f64), label.clone());
        }
        out.insert(Value::Numeric(98.0), "Ubesvart".to_owned());
        out.insert(Value::Numeric(99.0), "Ikke spurt".to_owned());
    }
    Some(out)
}

/// An SPSS file of `rows` (text fields as the CSV would hold them) under `header`: the id
/// and the municipality as text, every other column as numbers (blank: system-missing).
pub fn write(
    header: &[String],
    rows: &[Vec<String>],
    cat: &Catalogue,
    file_label: &str,
) -> Result<Vec<u8>, SavError> {
    let text_columns = [0usize, 2];
    let mut fields = Vec::with_capacity(header.len());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(header.len());
    let mut meta = SpssMetadata {
        file_label: file_label.to_owned(),
        creation_time: "2025-06-02 12:00:00".to_owned(),
        ..SpssMetadata::default()
    };
    for (c, name) in header.iter().enumerate() {
        if text_columns.contains(&c) {
            fields.push(Field::new(name, DataType::Utf8, false));
            let values: Vec<&str> = rows
                .iter()
                .map(|r| r.get(c).map_or("", String::as_str))
                .collect();
            columns.push(Arc::new(StringArray::from(values)));
            continue;
        }
        fields.push(Field::new(name, DataType::Float64, true));
        let values: Vec<Option<f64>> = rows
            .iter()
            .map(|r| r.get(c).and_then(|v| v.trim().parse::<f64>().ok()))
            .collect();
        columns.push(Arc::new(Float64Array::from(values)));
        meta.variable_formats
            .insert(name.clone(), "F8.0".to_owned());
        if let Some(labels) = labels_of(name, cat) {
            if labels.contains_key(&Value::Numeric(98.0)) {
                meta.variable_missing_values.insert(
                    name.clone(),
                    vec![MissingSpec::Value(98.0), MissingSpec::Value(99.0)],
                );
            }
            meta.variable_value_labels.insert(name.clone(), labels);
        }
    }
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
        .map_err(|e| SavError(e.to_string()))?;
    let mut out = Cursor::new(Vec::new());
    ambers::write_sav_to_writer(&mut out, &batch, &meta, Compression::Bytecode, None)
        .map_err(|e| SavError(e.to_string()))?;
    Ok(out.into_inner())
}
