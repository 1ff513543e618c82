//! Police series: quarterly counts, rolling four-quarter sums, change from a year earlier.

use std::collections::BTreeMap;

use oppvekst_disclosure::{Protected, ProtectedTable};
use oppvekst_schema::dims;
use oppvekst_schema::population::{AgeRange, Population};
use oppvekst_schema::quarter::Quarter;
use polars::prelude::*;

use crate::AnalysisError;

/// One quarter of one series.
#[derive(Debug, Clone, PartialEq)]
pub struct PoliceRow {
    /// Municipality number.
    pub municipality: String,
    /// Offence group code (or `alle`).
    pub offence_group: String,
    /// Age band code.
    pub age_band: String,
    /// Quarter.
    pub quarter: Quarter,
    /// Count (None when hidden).
    pub count: Option<u32>,
    /// Sum of this and the three previous quarters (None if any is hidden or missing).
    pub rolling_4q: Option<u32>,
    /// Count minus the count of the same quarter a year earlier (None if either is hidden).
    pub change_yoy: Option<i64>,
    /// The rolling four-quarter sum per 1,000 inhabitants of the age band (a yearly rate);
    /// None when the sum is unknown or no population is known for the band.
    pub rate_per_1000: Option<f64>,
    /// Year of the population figure used for the rate (1 January; the quarter's own year
    /// when SSB has it, else the nearest year).
    pub population_year: Option<i32>,
    /// `published` or `hidden`.
    pub status: String,
}

/// Police series, rows sorted by municipality, offence group, age band and quarter;
/// [`PoliceAnalysis::frame`] is the frame of contract `police_series`, built when written.
#[derive(Debug, Clone)]
pub struct PoliceAnalysis {
    /// Rows.
    pub rows: Vec<PoliceRow>,
}

/// Quarters counted from year 0, so that a year earlier is 4 less.
fn quarter_index(q: Quarter) -> i32 {
    q.year() * 4 + i32::from(q.number()) - 1
}

/// Builds the series from the protected police table (dimensions `municipality`,
/// `quarter`, `offence_group`, `age_band`); with a population, also rates per 1,000.
pub fn police_series(
    table: &Protected<ProtectedTable>,
    population: Option<&Population>,
) -> Result<PoliceAnalysis, AnalysisError> {
    let d = |name: &'static str| {
        table
            .dimension_index(name)
            .ok_or(AnalysisError::MissingDimension {
                table: table.name().to_owned(),
                dimension: name,
            })
    };
    let [dm, dq, dg, da] = [
        d(dims::MUNICIPALITY)?,
        d(dims::QUARTER)?,
        d(dims::OFFENCE_GROUP)?,
        d(dims::AGE_BAND)?,
    ];
    /// (municipality, offence group, age band) → quarter index → (quarter, count, status).
    type Series<'a> =
        BTreeMap<(&'a str, &'a str, &'a str), BTreeMap<i32, (Quarter, Option<u32>, &'a str)>>;
    let mut series: Series = BTreeMap::new();
    for c in table.cells() {
        let k = c.key();
        let q: Quarter = k[dq].parse().map_err(|_| AnalysisError::BadCode {
            table: table.name().to_owned(),
            dimension: dims::QUARTER,
        })?;
        let count = c
            .value()
            .map(|v| {
                u32::try_from(v).map_err(|_| AnalysisError::TooLarge {
                    table: table.name().to_owned(),
                })
            })
            .transpose()?;
        series
            .entry((&k[dm], &k[dg], &k[da]))
            .or_default()
            .insert(quarter_index(q), (q, count, c.status().code()));
    }
    let mut rows = Vec::new();
    for ((mun, group, age), quarters) in &series {
        for (&qi, &(q, count, status)) in quarters {
            let get = |i: i32| quarters.get(&i).and_then(|x| x.1);
            let rolling = (0..4)
                .map(|k| get(qi - k).map(u64::from))
                .sum::<Option<u64>>()
                .map(|s| {
                    u32::try_from(s).map_err(|_| AnalysisError::TooLarge {
                        table: table.name().to_owned(),
                    })
                })
                .transpose()?;
            let yoy = match (count, get(qi - 4)) {
                (Some(a), Some(b)) => Some(i64::from(a) - i64::from(b)),
                _ => None,
            };
            let persons = population
                .zip(AgeRange::from_code(age))
                .and_then(|(p, band)| p.persons(mun, qi.div_euclid(4), band))
                .filter(|(n, _)| *n > 0);
            let rate = rolling
                .zip(persons)
                .map(|(sum, (n, _))| f64::from(sum) * 1000.0 / n as f64);
            rows.push(PoliceRow {
                municipality: (*mun).to_owned(),
                offence_group: (*group).to_owned(),
                age_band: (*age).to_owned(),
                quarter: q,
                count,
                rolling_4q: rolling,
                change_yoy: yoy,
                rate_per_1000: rate,
                population_year: persons.map(|p| p.1),
                status: status.to_owned(),
            });
        }
    }
    Ok(PoliceAnalysis { rows })
}

impl PoliceAnalysis {
    /// The rows as the frame written to `police_series.parquet`.
    pub fn frame(&self) -> Result<DataFrame, AnalysisError> {
        let rows = &self.rows;
        let col_s = |f: fn(&PoliceRow) -> &str| rows.iter().map(f).collect::<Vec<&str>>();
        Ok(DataFrame::new(
            rows.len(),
            vec![
                Column::new(dims::MUNICIPALITY.into(), col_s(|r| &r.municipality)),
                Column::new(dims::OFFENCE_GROUP.into(), col_s(|r| &r.offence_group)),
                Column::new(dims::AGE_BAND.into(), col_s(|r| &r.age_band)),
                Column::new(
                    dims::QUARTER.into(),
                    rows.iter().map(|r| r.quarter.code()).collect::<Vec<_>>(),
                ),
                Column::new(
                    "count".into(),
                    rows.iter().map(|r| r.count).collect::<Vec<_>>(),
                ),
                Column::new(
                    "rolling_4q".into(),
                    rows.iter().map(|r| r.rolling_4q).collect::<Vec<_>>(),
                ),
                Column::new(
                    "change_yoy".into(),
                    rows.iter().map(|r| r.change_yoy).collect::<Vec<_>>(),
                ),
                Column::new(
                    "rate_per_1000".into(),
                    rows.iter().map(|r| r.rate_per_1000).collect::<Vec<_>>(),
                ),
                Column::new(
                    "population_year".into(),
                    rows.iter().map(|r| r.population_year).collect::<Vec<_>>(),
                ),
                Column::new("status".into(), col_s(|r| &r.status)),
            ],
        )?)
    }
}
