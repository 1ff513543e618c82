//! Charts in PNG (slide size, 1600×900) and SVG, drawn with plotters and a vendored
//! DejaVu Sans so that æøå render the same on every machine and output is byte-identical.
//!
//! [`LineChart`] is a small chart description (series over labelled x positions, optional
//! 95 % intervals, hidden points); [`render`] draws it. [`survey_trend`] and
//! [`police_trend`] build the standard charts of the report from analysis rows: one fixed,
//! colour-blind-safe colour per municipality (Okabe–Ito), Norwegian labels, n and source on
//! every chart, and a hidden value drawn as a gap with a `:` marker that the legend explains.
//!
//! This crate must not compute statistics or see unprotected data: it draws what the
//! analysis stage hands it.

mod bars;
mod build;
mod render;

pub use bars::{GenderGradeBars, gender_grade_bars, render_bars};
pub use build::{MunicipalityStyle, PALETTE, police_rate, police_trend, survey_trend};
pub use render::{ChartError, format_nb, render};

/// One point of a series: value and interval in percent or counts; None = hidden.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Index into [`LineChart::x_labels`].
    pub x: usize,
    /// Value (None: hidden, drawn as `:`).
    pub y: Option<f64>,
    /// 95 % interval.
    pub ci: Option<(f64, f64)>,
}

/// One line.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend name.
    pub name: String,
    /// RGB colour.
    pub colour: (u8, u8, u8),
    /// Points in x order; absent x = no data.
    pub points: Vec<Point>,
    /// Thick line (main series) or thin line with dots (context series).
    pub thick: bool,
}

/// A line chart description.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// File stem (`beruset`, `politi_vold`).
    pub id: String,
    /// Title (nb).
    pub title: String,
    /// Subtitle (nb): population and what is measured.
    pub subtitle: String,
    /// Y-axis label.
    pub y_label: String,
    /// Labels of the x positions (empty string: no tick label).
    pub x_labels: Vec<String>,
    /// Lines.
    pub series: Vec<Series>,
    /// Source and n line at the bottom.
    pub source: String,
    /// Upper end of the y axis (None: from data).
    pub y_max: Option<f64>,
    /// A published reference level drawn as a dashed line across the chart, with its
    /// legend label (for example `Norge 2023–2025`).
    pub reference: Option<(String, f64)>,
}

impl LineChart {
    /// True when any point is hidden.
    pub fn has_hidden(&self) -> bool {
        self.series
            .iter()
            .any(|s| s.points.iter().any(|p| p.y.is_none()))
    }
}
