//! Arrow schemas of every Parquet file that crosses a stage boundary, and the loader for
//! the human-written contracts in `data-schema/contracts/*.toml` that they must match.

use arrow::datatypes::{DataType, Field, Schema};
use serde::Deserialize;

use crate::catalogue::Item;

/// Name of the file each contract describes (also the stem of its contract file).
pub mod files {
    /// Canonical respondent table (survey ingest output).
    pub const RESPONDENTS: &str = "respondents";
    /// Aggregated survey cells (survey ingest output, disclosure input).
    pub const SURVEY_CELLS: &str = "survey_cells";
    /// Police counts (police ingest output, disclosure input).
    pub const POLICE_COUNTS: &str = "police_counts";
    /// Flagged police counts.
    pub const POLICE_FLAGS: &str = "police_flags";
    /// Protected survey cells (disclosure output).
    pub const PROTECTED_SURVEY: &str = "protected_survey_cells";
    /// Protected police cells (disclosure output).
    pub const PROTECTED_POLICE: &str = "protected_police_cells";
    /// Protected flagged police counts (disclosure output).
    pub const PROTECTED_POLICE_FLAGS: &str = "protected_police_flags";
    /// Survey indicators (analysis output).
    pub const INDICATORS: &str = "indicators";
    /// Police series (analysis output).
    pub const POLICE_SERIES: &str = "police_series";
    /// Comparisons with the region and a national reference (analysis output).
    pub const COMPARISONS: &str = "comparisons";
    /// Changes between the last two survey waves (analysis output).
    pub const CHANGES: &str = "changes";
    /// Every contract.
    pub const ALL: [&str; 11] = [
        RESPONDENTS,
        SURVEY_CELLS,
        POLICE_COUNTS,
        POLICE_FLAGS,
        PROTECTED_SURVEY,
        PROTECTED_POLICE,
        PROTECTED_POLICE_FLAGS,
        INDICATORS,
        POLICE_SERIES,
        COMPARISONS,
        CHANGES,
    ];
}

fn f(name: &str, dt: DataType, nullable: bool) -> Field {
    Field::new(name, dt, nullable)
}

/// Fixed leading columns of the respondent table; one nullable Int8 column per codebook item follows.
pub fn respondents_schema(items: &[Item]) -> Schema {
    let mut fields = vec![
        f("respondent_id", DataType::Utf8, false),
        f("source_file", DataType::Utf8, false),
        f("source_row", DataType::UInt64, false),
        f("survey_year", DataType::Int32, false),
        f("municipality", DataType::Utf8, false),
        f("municipality_source", DataType::Utf8, false),
        f("grade", DataType::Int8, false),
        f("gender", DataType::Utf8, false),
    ];
    fields.extend(items.iter().map(|i| f(&i.id, DataType::Int8, true)));
    Schema::new(fields)
}

/// Survey cells: numerator and denominator per municipality × year × grade × gender × indicator.
pub fn survey_cells_schema() -> Schema {
    Schema::new(vec![
        f("indicator", DataType::Utf8, false),
        f("municipality", DataType::Utf8, false),
        f("survey_year", DataType::Int32, false),
        f("grade", DataType::Utf8, false),
        f("gender", DataType::Utf8, false),
        f("numerator", DataType::UInt32, false),
        f("denominator", DataType::UInt32, false),
    ])
}

/// Police counts per municipality × quarter × offence group × age band.
pub fn police_counts_schema() -> Schema {
    Schema::new(vec![
        f("municipality", DataType::Utf8, false),
        f("quarter", DataType::Utf8, false),
        f("offence_group", DataType::Utf8, false),
        f("age_band", DataType::Utf8, false),
        f("count", DataType::UInt32, false),
    ])
}

/// Flagged police counts (the extract's optional flag columns, all ages).
pub fn police_flags_schema() -> Schema {
    Schema::new(vec![
        f("municipality", DataType::Utf8, false),
        f("quarter", DataType::Utf8, false),
        f("offence_group", DataType::Utf8, false),
        f("flag", DataType::Utf8, false),
        f("count", DataType::UInt32, false),
    ])
}

/// Protected survey cells: the numerator is null when hidden.
pub fn protected_survey_schema() -> Schema {
    Schema::new(vec![
        f("indicator", DataType::Utf8, false),
        f("municipality", DataType::Utf8, false),
        f("survey_year", DataType::Int32, false),
        f("grade", DataType::Utf8, false),
        f("gender", DataType::Utf8, false),
        f("numerator", DataType::UInt32, true),
        f("denominator", DataType::UInt32, false),
        f("status", DataType::Utf8, false),
    ])
}

/// Protected police cells: the count is null when hidden.
pub fn protected_police_schema() -> Schema {
    Schema::new(vec![
        f("municipality", DataType::Utf8, false),
        f("quarter", DataType::Utf8, false),
        f("offence_group", DataType::Utf8, false),
        f("age_band", DataType::Utf8, false),
        f("count", DataType::UInt32, true),
        f("status", DataType::Utf8, false),
    ])
}

/// Protected flagged police counts: the count is null when hidden.
pub fn protected_police_flags_schema() -> Schema {
    Schema::new(vec![
        f("municipality", DataType::Utf8, false),
        f("quarter", DataType::Utf8, false),
        f("offence_group", DataType::Utf8, false),
        f("flag", DataType::Utf8, false),
        f("count", DataType::UInt32, true),
        f("status", DataType::Utf8, false),
    ])
}

/// Survey indicators with Wilson 95 % intervals (written by the analysis stage).
pub fn indicators_schema() -> Schema {
    Schema::new(vec![
        f("indicator", DataType::Utf8, false),
        f("focus_area", DataType::Utf8, false),
        f("municipality", DataType::Utf8, false),
        f("survey_year", DataType::Int32, false),
        f("grade", DataType::Utf8, false),
        f("gender", DataType::Utf8, false),
        f("numerator", DataType::UInt32, true),
        f("denominator", DataType::UInt32, false),
        f("percent", DataType::Float64, true),
        f("ci_low", DataType::Float64, true),
        f("ci_high", DataType::Float64, true),
        f("status", DataType::Utf8, false),
    ])
}

/// Police series: quarterly counts, rolling four-quarter sums and change from a year earlier.
pub fn police_series_schema() -> Schema {
    Schema::new(vec![
        f("municipality", DataType::Utf8, false),
        f("offence_group", DataType::Utf8, false),
        f("age_band", DataType::Utf8, false),
        f("quarter", DataType::Utf8, false),
        f("count", DataType::UInt32, true),
        f("rolling_4q", DataType::UInt32, true),
        f("change_yoy", DataType::Int64, true),
        f("rate_per_1000", DataType::Float64, true),
        f("population_year", DataType::Int32, true),
        f("status", DataType::Utf8, false),
    ])
}

/// Latest-wave comparisons: standardised percent and the difference from a reference.
pub fn comparisons_schema() -> Schema {
    Schema::new(vec![
        f("indicator", DataType::Utf8, false),
        f("municipality", DataType::Utf8, false),
        f("survey_year", DataType::Int32, false),
        f("grade", DataType::Utf8, false),
        f("gender", DataType::Utf8, false),
        f("percent", DataType::Float64, true),
        f("ci_low", DataType::Float64, true),
        f("ci_high", DataType::Float64, true),
        f("denominator", DataType::UInt32, false),
        f("percent_std", DataType::Float64, true),
        f("reference", DataType::Utf8, true),
        f("reference_percent", DataType::Float64, true),
        f("difference", DataType::Float64, true),
        f("p_value", DataType::Float64, true),
        f("p_adjusted", DataType::Float64, true),
        f("significant", DataType::Boolean, false),
    ])
}

/// Changes between the last two waves of every unit, grade and gender, with raw and
/// adjusted p-values.
pub fn changes_schema() -> Schema {
    Schema::new(vec![
        f("indicator", DataType::Utf8, false),
        f("municipality", DataType::Utf8, false),
        f("grade", DataType::Utf8, false),
        f("gender", DataType::Utf8, false),
        f("from_year", DataType::Int32, false),
        f("to_year", DataType::Int32, false),
        f("from_percent", DataType::Float64, false),
        f("to_percent", DataType::Float64, false),
        f("z", DataType::Float64, false),
        f("p_value", DataType::Float64, false),
        f("p_adjusted", DataType::Float64, false),
        f("significant", DataType::Boolean, false),
    ])
}

/// The Arrow schema the code uses for a contract (items are needed for respondents).
pub fn schema_for(name: &str, items: &[Item]) -> Option<Schema> {
    Some(match name {
        files::RESPONDENTS => respondents_schema(items),
        files::SURVEY_CELLS => survey_cells_schema(),
        files::POLICE_COUNTS => police_counts_schema(),
        files::POLICE_FLAGS => police_flags_schema(),
        files::PROTECTED_SURVEY => protected_survey_schema(),
        files::PROTECTED_POLICE => protected_police_schema(),
        files::PROTECTED_POLICE_FLAGS => protected_police_flags_schema(),
        files::INDICATORS => indicators_schema(),
        files::POLICE_SERIES => police_series_schema(),
        files::COMPARISONS => comparisons_schema(),
        files::CHANGES => changes_schema(),
        _ => return None,
    })
}

/// A column of a human-written contract.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractColumn {
    /// Column name.
    pub name: String,
    /// Logical type: utf8, int8, int16, int64, uint32, uint64, float64.
    #[serde(rename = "type")]
    pub ty: String,
    /// Whether nulls are allowed.
    pub nullable: bool,
    /// What the column means, with units.
    pub description: String,
    /// Allowed values, when the column is coded.
    #[serde(default)]
    pub codes: Vec<String>,
}

/// A human-written contract (`data-schema/contracts/<name>.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contract {
    /// Contract name (file stem).
    pub name: String,
    /// Stage that writes it.
    pub producer: String,
    /// Stages that read it.
    pub consumers: Vec<String>,
    /// What one row is.
    pub description: String,
    /// When true, one nullable int8 column per codebook item follows the listed columns.
    #[serde(default)]
    pub item_columns: bool,
    /// Columns in order.
    #[serde(rename = "column")]
    pub columns: Vec<ContractColumn>,
}

/// The logical type name of an Arrow data type; string and integer variants that polars and
/// arrow-rs write differently (Utf8View, LargeUtf8) compare equal.
pub fn logical_type(dt: &DataType) -> &'static str {
    match dt {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "utf8",
        DataType::Int8 => "int8",
        DataType::Int16 => "int16",
        DataType::Int32 => "int32",
        DataType::Int64 => "int64",
        DataType::UInt8 => "uint8",
        DataType::UInt32 => "uint32",
        DataType::UInt64 => "uint64",
        DataType::Float64 => "float64",
        DataType::Boolean => "bool",
        _ => "other",
    }
}

impl Contract {
    /// Parses a contract file's text.
    pub fn parse(file: &str, text: &str) -> Result<Self, crate::CatalogueError> {
        toml::from_str(text).map_err(|e| crate::CatalogueError::Parse {
            file: file.to_owned(),
            message: e.message().to_owned(),
        })
    }

    /// Differences between this contract and an Arrow schema (empty when they agree).
    /// Nullability is checked one way: a non-nullable contract column must not be nullable
    /// in the file, unless `strict_nullability` is false (polars marks every column nullable).
    pub fn diff(&self, schema: &Schema, items: &[Item], strict_nullability: bool) -> Vec<String> {
        let mut expected: Vec<(String, String, bool)> = self
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.ty.clone(), c.nullable))
            .collect();
        if self.item_columns {
            expected.extend(
                items
                    .iter()
                    .map(|i| (i.id.clone(), "int8".to_owned(), true)),
            );
        }
        let mut out = Vec::new();
        if expected.len() != schema.fields().len() {
            out.push(format!(
                "{}: contract has {} columns, schema has {}",
                self.name,
                expected.len(),
                schema.fields().len()
            ));
        }
        for ((name, ty, nullable), field) in expected.iter().zip(schema.fields()) {
            if name != field.name() {
                out.push(format!(
                    "{}: expected column `{name}`, found `{}`",
                    self.name,
                    field.name()
                ));
                continue;
            }
            let got = logical_type(field.data_type());
            if got != ty {
                out.push(format!(
                    "{}: column `{name}` is {got}, contract says {ty}",
                    self.name
                ));
            }
            if strict_nullability && *nullable != field.is_nullable() {
                out.push(format!(
                    "{}: column `{name}` nullable={}, contract says {nullable}",
                    self.name,
                    field.is_nullable()
                ));
            }
        }
        out
    }
}

impl Contract {
    /// The human page for this contract (`data-schema/docs/<name>.md`): what a row is, who
    /// writes and reads it, and each column's meaning, type, units and codes.
    pub fn to_markdown(&self, items: &[Item]) -> String {
        let mut s = format!(
            "# `{}.parquet`\n\n{}\n\nWritten by {}; read by {}.\n\n| column | type | may be null | meaning | codes |\n|---|---|---|---|---|\n",
            self.name,
            self.description,
            self.producer,
            self.consumers.join(", ")
        );
        for c in &self.columns {
            s.push_str(&format!(
                "| `{}` | {} | {} | {} | {} |\n",
                c.name,
                c.ty,
                if c.nullable { "yes" } else { "no" },
                c.description,
                c.codes
                    .iter()
                    .map(|x| format!("`{x}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if self.item_columns {
            s.push_str("\nThen one column per questionnaire item (int8, null = missing: codes 98 and up, or blank, in the export; an answer outside the item's codes is read as missing and listed in the quarantine):\n\n| column | question | answer codes |\n|---|---|---|\n");
            for it in items {
                let codes: Vec<String> = it
                    .value_labels
                    .iter()
                    .enumerate()
                    .map(|(i, l)| format!("{} {l}", it.valid[0] + i as i64))
                    .collect();
                s.push_str(&format!(
                    "| `{}` | {} | {} |\n",
                    it.id,
                    it.label,
                    codes.join("; ")
                ));
            }
        }
        s.push_str(&format!(
            "\nGenerated from `contracts/{}.toml` (the test `docs_match_contracts` keeps it in step).\n",
            self.name
        ));
        s
    }
}
