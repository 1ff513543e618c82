//! Survey indicators with Wilson intervals, and changes between waves.

use std::collections::BTreeMap;

use oppvekst_disclosure::{Protected, ProtectedTable};
use oppvekst_schema::Catalogue;
use oppvekst_schema::dims;
use polars::prelude::*;

use crate::AnalysisError;
use crate::frame::count32;
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

/// Survey indicators, one row per cell, sorted by indicator, municipality, survey year,
/// grade and gender. [`SurveyAnalysis::frame`] is the same data as the polars frame of
/// contract `indicators`, built when it is written.
#[derive(Debug, Clone)]
pub struct SurveyAnalysis {
    /// Rows.
    pub rows: Vec<IndicatorRow>,
}

impl SurveyAnalysis {
    /// The rows as the frame written to `indicators.parquet` (contract `indicators`).
    pub fn frame(&self) -> Result<DataFrame, AnalysisError> {
        let rows = &self.rows;
        let s = |f: fn(&IndicatorRow) -> &str| rows.iter().map(f).collect::<Vec<&str>>();
        let o = |f: fn(&IndicatorRow) -> Option<f64>| rows.iter().map(f).collect::<Vec<_>>();
        Ok(DataFrame::new(
            rows.len(),
            vec![
                Column::new("indicator".into(), s(|r| &r.indicator)),
                Column::new("focus_area".into(), s(|r| &r.focus_area)),
                Column::new("municipality".into(), s(|r| &r.municipality)),
                Column::new(
                    "survey_year".into(),
                    rows.iter().map(|r| r.survey_year).collect::<Vec<_>>(),
                ),
                Column::new("grade".into(), s(|r| &r.grade)),
                Column::new("gender".into(), s(|r| &r.gender)),
                Column::new(
                    "numerator".into(),
                    rows.iter().map(|r| r.numerator).collect::<Vec<_>>(),
                ),
                Column::new(
                    "denominator".into(),
                    rows.iter().map(|r| r.denominator).collect::<Vec<_>>(),
                ),
                Column::new("percent".into(), o(|r| r.percent)),
                Column::new("ci_low".into(), o(|r| r.ci_low)),
                Column::new("ci_high".into(), o(|r| r.ci_high)),
                Column::new("status".into(), s(|r| &r.status)),
            ],
        )?)
    }
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
    let name = table.name();
    let mut rows = Vec::with_capacity(cells.len());
    for (c, year) in cells.iter().zip(year) {
        let k = c.key();
        let numerator = c.value().map(|v| count32(name, v)).transpose()?;
        // A survey cell without a denominator is an error, never a silent 0.
        let denominator = c
            .denominator()
            .ok_or_else(|| AnalysisError::MissingDenominator {
                table: name.to_owned(),
            })
            .and_then(|d| count32(name, d))?;
        let ci = c.value().and_then(|x| wilson(x, u64::from(denominator)));
        rows.push(IndicatorRow {
            indicator: k[di].clone(),
            focus_area: cat
                .indicator(&k[di])
                .map_or("Annet", |i| i.focus_area.as_str())
                .to_owned(),
            municipality: k[dm].clone(),
            survey_year: year,
            grade: k[dg].clone(),
            gender: k[ds].clone(),
            numerator,
            denominator,
            // Null wherever the numerator is hidden.
            percent: numerator.map(|x| f64::from(x) * 100.0 / f64::from(denominator)),
            ci_low: ci.map(|c| c.0 * 100.0),
            ci_high: ci.map(|c| c.1 * 100.0),
            status: c.status().code().to_owned(),
        });
    }
    rows.sort_by(|a, b| {
        (
            &a.indicator,
            &a.municipality,
            a.survey_year,
            &a.grade,
            &a.gender,
        )
            .cmp(&(
                &b.indicator,
                &b.municipality,
                b.survey_year,
                &b.grade,
                &b.gender,
            ))
    });
    Ok(SurveyAnalysis { rows })
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
    /// Benjamini–Hochberg adjusted p-value over every test of the release (see
    /// [`crate::adjust_for_many_tests`]); the raw p-value until then.
    pub p_adjusted: f64,
    /// Adjusted p < alpha (raw p < alpha until adjusted).
    pub significant: bool,
}

/// The changes as the frame written to `changes.parquet` (contract `changes`).
pub fn changes_frame(rows: &[Change]) -> Result<DataFrame, AnalysisError> {
    let s = |f: fn(&Change) -> &str| rows.iter().map(f).collect::<Vec<&str>>();
    let y = |f: fn(&Change) -> i32| rows.iter().map(f).collect::<Vec<i32>>();
    let x = |f: fn(&Change) -> f64| rows.iter().map(f).collect::<Vec<f64>>();
    Ok(DataFrame::new(
        rows.len(),
        vec![
            Column::new("indicator".into(), s(|r| &r.indicator)),
            Column::new("municipality".into(), s(|r| &r.municipality)),
            Column::new("grade".into(), s(|r| &r.grade)),
            Column::new("gender".into(), s(|r| &r.gender)),
            Column::new("from_year".into(), y(|r| r.from_year)),
            Column::new("to_year".into(), y(|r| r.to_year)),
            Column::new("from_percent".into(), x(|r| r.from_percent)),
            Column::new("to_percent".into(), x(|r| r.to_percent)),
            Column::new("z".into(), x(|r| r.z)),
            Column::new("p_value".into(), x(|r| r.p_value)),
            Column::new("p_adjusted".into(), x(|r| r.p_adjusted)),
            Column::new(
                "significant".into(),
                rows.iter().map(|r| r.significant).collect::<Vec<bool>>(),
            ),
        ],
    )?)
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
            p_adjusted: p,
            significant: p < alpha,
        });
    }
    out
}
