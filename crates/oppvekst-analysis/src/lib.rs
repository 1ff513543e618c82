//! Indicators and trends, computed from protected tables only.
//!
//! - [`survey_indicators`]: percentages with Wilson 95 % intervals for every published
//!   survey cell, in a polars DataFrame that is also the notebooks' Parquet file.
//! - [`changes`]: change between the two latest survey waves with a two-proportion z-test;
//!   only significant changes are called changes.
//! - [`police_series`]: quarterly counts, rolling four-quarter sums and change against the
//!   same quarter a year earlier, and rates per 1,000 inhabitants of the age band.
//! - [`compare`]: the latest wave of each municipality and the region against a published
//!   reference (national figures), with direct standardisation by gender and grade.
//!
//! Every entry point takes a [`Protected`] table, so unprotected data cannot reach this
//! crate. Hidden cells stay hidden: nothing is estimated back, and a derived figure (a
//! percentage, a rolling sum, a change) that would need a hidden value is itself absent.
//! This crate must not read input files or write anything but through the returned frames.

mod compare;
mod frame;
mod police;
mod stats;
mod survey;

pub use compare::{Comparison, Comparisons, GRADE_GROUPS, compare};
pub use frame::{Denominators, protected_frame, write_parquet};
pub use police::{PoliceAnalysis, PoliceRow, police_series};
pub use stats::{benjamini_hochberg, normal_cdf, two_proportion_test, wilson};

/// Corrects every test of a release for their number: the changes between waves and the
/// differences from the reference together are one family, adjusted by Benjamini–Hochberg;
/// a change or a difference is significant when its adjusted p-value is below `alpha`.
/// Returns the number of tests.
pub fn adjust_for_many_tests(
    changes: &mut [Change],
    comparisons: &mut Comparisons,
    alpha: f64,
) -> usize {
    let mut p: Vec<f64> = changes.iter().map(|c| c.p_value).collect();
    p.extend(comparisons.rows.iter().filter_map(|c| c.p_value));
    let adjusted = benjamini_hochberg(&p);
    let mut it = adjusted.into_iter();
    for c in changes.iter_mut() {
        // One adjusted value per p-value collected above, in the same order.
        c.p_adjusted = it.next().unwrap_or(1.0);
        c.significant = c.p_adjusted < alpha;
    }
    for c in comparisons.rows.iter_mut() {
        if c.p_value.is_some() {
            let a = it.next().unwrap_or(1.0);
            c.p_adjusted = Some(a);
            c.significant = a < alpha;
        }
    }
    p.len()
}
pub use survey::{Change, IndicatorRow, SurveyAnalysis, changes, changes_frame, survey_indicators};

pub use oppvekst_disclosure::Protected;

/// Errors from analysis: a table without the expected dimensions, or a polars failure.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// The protected table lacks a dimension.
    #[error("table `{table}` has no dimension `{dimension}`")]
    MissingDimension {
        /// Table.
        table: String,
        /// Dimension.
        dimension: &'static str,
    },
    /// A code that should be a number (or a quarter) is not.
    #[error("table `{table}`: dimension `{dimension}` has a code of the wrong form")]
    BadCode {
        /// Table.
        table: String,
        /// Dimension.
        dimension: &'static str,
    },
    /// A count or a sum of counts does not fit the published column type (u32).
    #[error("table `{table}`: a count or a sum of counts is too large for its column")]
    TooLarge {
        /// Table.
        table: String,
    },
    /// A cell of a table with denominators has none.
    #[error("table `{table}`: a cell has no denominator")]
    MissingDenominator {
        /// Table.
        table: String,
    },
    /// polars failed.
    #[error("polars: {0}")]
    Polars(#[from] polars::prelude::PolarsError),
    /// Writing a file failed.
    #[error("{path}: {message}")]
    Write {
        /// Path.
        path: String,
        /// Message.
        message: String,
    },
}
