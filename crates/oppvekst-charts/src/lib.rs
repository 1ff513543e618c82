//! Charts in PNG (slide size, 1600×900) and SVG, drawn with plotters and a vendored
//! DejaVu Sans so that æøå render the same on every machine and output is byte-identical.
//!
//! [`LineChart`] is a chart description (series over labelled x positions, optional 95 %
//! intervals, hidden points, a reference level over the period it covers) and
//! [`GenderGradeBars`] grouped bars; [`render`] and [`render_bars`] draw them. Every series
//! has a [`Look`]: a colour with at least 3:1 contrast on white (WCAG 2.1, 1.4.11) and a
//! marker shape and dash pattern, so colour is never the only cue.
//!
//! This crate must not compute statistics, see unprotected data or word anything itself:
//! it draws what the bundle stage hands it, every title, legend and note included (the
//! bundle keeps every user-facing string in one place).

mod bars;
mod look;
mod render;

pub use bars::{GenderGradeBars, render_bars};
pub use look::{Dash, LOOKS, Look, Marker, MunicipalityStyle, REGION_LOOK, contrast_on_white};
pub use render::{ChartError, NARROW_SIZE, NARROW_SUFFIX, PNG_SIZE, format_nb, render};

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
    /// Colour, marker and dash pattern.
    pub look: Look,
    /// Points in x order; absent x = no data.
    pub points: Vec<Point>,
    /// Thick line (main series) or thin line with small markers (context series).
    pub thick: bool,
}

/// A published reference level (for example `Norge 2023–2025`), drawn as a dashed grey
/// line over the x positions of the period it covers only.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    /// Legend label.
    pub label: String,
    /// Level.
    pub level: f64,
    /// First and last x position inside the period (None: no x position is inside it, so
    /// the line is not drawn and the legend does not name it).
    pub span: Option<(usize, usize)>,
}

/// A line chart description.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// File stem (`beruset`, `politi_vold`).
    pub id: String,
    /// Title.
    pub title: String,
    /// Subtitle: population and what is measured.
    pub subtitle: String,
    /// Y-axis label.
    pub y_label: String,
    /// Tick labels of the x positions (empty string: no tick label).
    pub x_labels: Vec<String>,
    /// Full names of the x positions (for tables and text alternatives: `2025K4`).
    pub x_names: Vec<String>,
    /// Lines.
    pub series: Vec<Series>,
    /// Source and n line at the bottom.
    pub source: String,
    /// Upper end of the y axis (None: from data).
    pub y_max: Option<f64>,
    /// A published reference level.
    pub reference: Option<Reference>,
    /// The legend's explanation of the `:` marker, shown when a point is hidden.
    pub hidden_note: String,
}

impl LineChart {
    /// True when any point is hidden.
    pub fn has_hidden(&self) -> bool {
        self.series
            .iter()
            .any(|s| s.points.iter().any(|p| p.y.is_none()))
    }

    /// The upper end of the y axis the chart is drawn with.
    pub fn drawn_y_max(&self) -> f64 {
        self.y_max
            .unwrap_or_else(|| render::nice_max(self.data_max()))
    }

    /// The largest value drawn (points, interval ends, a drawn reference).
    pub fn data_max(&self) -> f64 {
        self.series
            .iter()
            .flat_map(|s| s.points.iter())
            .flat_map(|p| [p.y, p.ci.map(|c| c.1)])
            .flatten()
            .chain(
                self.reference
                    .as_ref()
                    .filter(|r| r.span.is_some())
                    .map(|r| r.level),
            )
            .fold(0.0f64, f64::max)
    }
}

/// A round upper bound for a y axis that holds `v` with some room (the same rule every
/// chart uses, so charts meant to be compared can share one).
pub fn nice_max(v: f64) -> f64 {
    render::nice_max(v)
}
