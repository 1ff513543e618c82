//! Survey indicators with Wilson intervals, and changes between waves.

use std::collections::BTreeMap;

use oppvekst_disclosure::{Protected, ProtectedTable};
use oppvekst_schema::Catalogue;
use oppvekst_schema::dims;
use polars::prelude::*;

use crate::AnalysisError;
use crate::frame::{count32, f64s, i32s, strs, u32s};
use crate::stats::{two_proportion_test, wilson};

/// One indicator figure (a published or hidden survey cell).
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorRow {
    /// Indicator id.
    pub indicator: String,
    /// SLT focus area.
    pub focus_area: String,
    /// Municipality number.
    pub municipality: String,
    /// Survey year.
    pub survey_year: i32,
    /// Grade code.
    pub grade: String,
    /// Gender code.
    pub gender: String,
    /// Yes-answers (None when hidden).
    pub numerator: Option<u32>,
    /// Valid answers (n).
    pub denominator: u32,
    /// Percent (None when hidden).
    pub percent: Option<f64>,
    /// Lower bound of the Wilson 95 % interval, percent.
    pub ci_low: Option<f64>,
    /// Upper bound, percent.
    pub ci_high: Option<f64>,
    /// `published` or `hidden`.
    pub status: String,
}

/// Survey indicators as a DataFrame (contract `indicators`) and as rows.
#[derive(Debug, Clone)]
pub struct SurveyAnalysis {
    /// The frame written to `indicators.parquet`.
    pub frame: DataFrame,
    /// The same data as rows, sorted like the frame.
    pub rows: Vec<IndicatorRow>,
}

fn dim(t: &ProtectedTable, name: &'static str) -> Result<usize, AnalysisError> {
    t.dimension_index(name)
        .ok_or(AnalysisError::MissingDimension {
            table: t.name().to_owned(),
            dimension: name,
        })
}

/// Percentages and Wilson 95 % intervals for every cell of the protected survey table
/// (dimensions `indicator`, `municipality`, `survey_year`, `grade`, `gender`).
pub fn survey_indicators(
    table: &Protected<ProtectedTable>,
    cat: &Catalogue,
) -> Result<SurveyAnalysis, AnalysisError> {
    let [di, dm, dy, dg, ds] = [
        dim(table, dims::INDICATOR)?,
        dim(table, dims::MUNICIPALITY)?,
        dim(table, dims::SURVEY_YEAR)?,
        dim(table, dims::GRADE)?,
        dim(table, dims::GENDER)?,
    ];
    let cells = table.cells();
    let mut year = Vec::with_capacity(cells.len());
    for c in cells {
        year.push(
            c.key()[dy]
                .parse::<i32>()
                .map_err(|_| AnalysisError::BadCode {
                    table: table.name().to_owned(),
                    dimension: "survey_year",
                })?,
        );
    }
    let key = |d: usize| -> Vec<&str> { cells.iter().map(|c| c.key()[d].as_str()).collect() };
    let focus: Vec<&str> = cells
        .iter()
        .map(|c| {
            cat.indicator(&c.key()[di])
                .map(|i| i.focus_area.as_str())
                .unwrap_or("Annet")
        })
        .collect();
    let name = table.name();
    let num = cells
        .iter()
        .map(|c| c.value().map(|v| count32(name, v)).transpose())
        .collect::<Result<Vec<Option<u32>>, _>>()?;
    // A survey cell without a denominator is an error, never a silent 0.
    let den = cells
        .iter()
        .map(|c| {
            c.denominator()
                .ok_or_else(|| AnalysisError::MissingDenominator {
                    table: name.to_owned(),
                })
                .and_then(|d| count32(name, d))
        })
        .collect::<Result<Vec<u32>, _>>()?;
    let ci: Vec<Option<(f64, f64)>> = cells
        .iter()
        .zip(&den)
        .map(|(c, &n)| c.value().and_then(|x| wilson(x, u64::from(n))))
        .collect();
    let status: Vec<&str> = cells.iter().map(|c| c.status().code()).collect();
    let df = DataFrame::new(
        cells.len(),
        vec![
            Column::new("indicator".into(), key(di)),
            Column::new("focus_area".into(), focus),
            Column::new("municipality".into(), key(dm)),
            Column::new("survey_year".into(), year),
            Column::new("grade".into(), key(dg)),
            Column::new("gender".into(), key(ds)),
            Column::new("numerator".into(), num),
            Column::new("denominator".into(), den),
            Column::new(
                "ci_low".into(),
                ci.iter()
                    .map(|c| c.map(|c| c.0 * 100.0))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "ci_high".into(),
                ci.iter()
                    .map(|c| c.map(|c| c.1 * 100.0))
                    .collect::<Vec<_>>(),
            ),
            Column::new("status".into(), status),
        ],
    )?;
    // Percent as a polars expression: null wherever the numerator is hidden.
    let df = df
        .lazy()
        .with_column(
            (col("numerator").cast(DataType::Float64) * lit(100.0)
                / col("denominator").cast(DataType::Float64))
            .alias("percent"),
        )
        .select([
            col("indicator"),
            col("focus_area"),
            col("municipality"),
            col("survey_year"),
            col("grade"),
            col("gender"),
            col("numerator"),
            col("denominator"),
            col("percent"),
            col("ci_low"),
            col("ci_high"),
            col("status"),
        ])
        .sort(
            [
                "indicator",
                "municipality",
                "survey_year",
                "grade",
                "gender",
            ],
            SortMultipleOptions::default(),
        )
        .collect()?;
    let rows = rows_of(&df)?;
    Ok(SurveyAnalysis { frame: df, rows })
}

fn rows_of(df: &DataFrame) -> Result<Vec<IndicatorRow>, AnalysisError> {
    let (ind, focus, mun, grade, gender, status) = (
        strs(df, "indicator")?,
        strs(df, "focus_area")?,
        strs(df, "municipality")?,
        strs(df, "grade")?,
        strs(df, "gender")?,
        strs(df, "status")?,
    );
    let (year, num, den) = (
        i32s(df, "survey_year")?,
        u32s(df, "numerator")?,
        u32s(df, "denominator")?,
    );
    let (pct, lo, hi) = (
        f64s(df, "percent")?,
        f64s(df, "ci_low")?,
        f64s(df, "ci_high")?,
    );
    Ok((0..df.height())
        .map(|i| IndicatorRow {
            indicator: ind[i].clone(),
            focus_area: focus[i].clone(),
            municipality: mun[i].clone(),
            survey_year: year[i].unwrap_or(0),
            grade: grade[i].clone(),
            gender: gender[i].clone(),
            numerator: num[i],
            denominator: den[i].unwrap_or(0),
            percent: pct[i],
            ci_low: lo[i],
            ci_high: hi[i],
            status: status[i].clone(),
        })
        .collect())
}

/// A change between two survey waves for one indicator, municipality, grade and gender.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Indicator id.
    pub indicator: String,
    /// Municipality number.
    pub municipality: String,
    /// Grade code.
    pub grade: String,
    /// Gender code.
    pub gender: String,
    /// Earlier wave.
    pub from_year: i32,
    /// Later wave.
    pub to_year: i32,
    /// Percent in the earlier wave.
    pub from_percent: f64,
    /// Percent in the later wave.
    pub to_percent: f64,
    /// z statistic.
    pub z: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// p < alpha.
    pub significant: bool,
}

/// Changes between the two latest waves in which a cell is published, for each indicator ×
/// municipality × grade × gender. Cells hidden in either wave give no change.
pub fn changes(analysis: &SurveyAnalysis, alpha: f64) -> Vec<Change> {
    let mut series: BTreeMap<(&str, &str, &str, &str), Vec<&IndicatorRow>> = BTreeMap::new();
    for r in &analysis.rows {
        series
            .entry((&r.indicator, &r.municipality, &r.grade, &r.gender))
            .or_default()
            .push(r);
    }
    let mut out = Vec::new();
    for ((ind, mun, grade, gender), mut rows) in series {
        rows.sort_by_key(|r| r.survey_year);
        let [.., a, b] = rows.as_slice() else {
            continue;
        };
        let (Some(x1), Some(x2)) = (a.numerator, b.numerator) else {
            continue;
        };
        let Some((z, p)) = two_proportion_test(
            x1.into(),
            a.denominator.into(),
            x2.into(),
            b.denominator.into(),
        ) else {
            continue;
        };
        out.push(Change {
            indicator: ind.to_owned(),
            municipality: mun.to_owned(),
            grade: grade.to_owned(),
            gender: gender.to_owned(),
            from_year: a.survey_year,
            to_year: b.survey_year,
            from_percent: a.percent.unwrap_or(0.0),
            to_percent: b.percent.unwrap_or(0.0),
            z,
            p_value: p,
            significant: p < alpha,
        });
    }
    out
}
