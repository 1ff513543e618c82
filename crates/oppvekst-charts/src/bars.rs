//! Grouped bars: one indicator by grade, girls beside boys, for one municipality and year.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::render::{
    ChartError, DARK, DrawResult, Drawable, FONT, LEGEND_LEFT, Legend, draw_hidden_entry,
    format_nb, frame, hidden_entry_width, render_files,
};

/// A grouped bar chart: per group (grade), two bars (girls, boys; percent, None = hidden).
#[derive(Debug, Clone, PartialEq)]
pub struct GenderGradeBars {
    /// File stem.
    pub id: String,
    /// Title.
    pub title: String,
    /// Subtitle.
    pub subtitle: String,
    /// Y-axis label.
    pub y_label: String,
    /// Per group: (label, first bar, second bar).
    pub bars: Vec<(String, Option<f64>, Option<f64>)>,
    /// Legend names of the two bars of a group (`Jenter`, `Gutter`).
    pub names: (String, String),
    /// Colour: the first bar filled with it, the second outlined in it over a light tint —
    /// fill, not colour alone, tells them apart, and both edges have 3:1 contrast.
    pub colour: (u8, u8, u8),
    /// Source line.
    pub source: String,
    /// Upper end of the y axis (None: from data); charts meant to be compared share one.
    pub y_max: Option<f64>,
    /// The legend's explanation of the `:` marker.
    pub hidden_note: String,
}

impl GenderGradeBars {
    /// The largest bar.
    pub fn data_max(&self) -> f64 {
        self.bars
            .iter()
            .flat_map(|b| [b.1, b.2])
            .flatten()
            .fold(0.0f64, f64::max)
    }
}

fn tint(c: (u8, u8, u8)) -> RGBColor {
    let t = |v: u8| ((u16::from(v) + 4 * 255) / 5) as u8;
    RGBColor(t(c.0), t(c.1), t(c.2))
}

impl Drawable for GenderGradeBars {
    fn id(&self) -> &str {
        &self.id
    }
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        draw(root, self)
    }
}

/// Draws the chart to `<dir>/<id>.png` and `.svg`.
pub fn render_bars(chart: &GenderGradeBars, dir: &Path) -> Result<(), ChartError> {
    render_files(chart, dir)
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &GenderGradeBars,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let style = (FONT, 24).into_font().color(&DARK);
    let mut entries = Vec::new();
    for name in [&chart.names.0, &chart.names.1] {
        entries.push(40 + root.estimate_text_size(name, &style)?.0 as i32 + 60);
    }
    let hidden = chart.bars.iter().any(|b| b.1.is_none() || b.2.is_none());
    if hidden {
        entries.push(hidden_entry_width(root, &chart.hidden_note, &style)?);
    }
    let (plot, bottom) = frame(root, &chart.title, &chart.subtitle, &chart.source, &entries)?;
    let dark = DARK;
    let y_max = chart
        .y_max
        .unwrap_or_else(|| crate::render::nice_max(chart.data_max()));
    // Each group occupies 3 slots: first bar, second bar, gap.
    let n = chart.bars.len() as i32 * 3;
    let mut cc = ChartBuilder::on(&plot)
        .margin_left(20)
        .margin_right(50)
        .margin_top(10)
        .x_label_area_size(60)
        .y_label_area_size(110)
        .build_cartesian_2d(0..n, 0.0..y_max)?;
    let labels: Vec<String> = chart.bars.iter().map(|b| b.0.clone()).collect();
    cc.configure_mesh()
        .disable_x_mesh()
        .bold_line_style(RGBColor(225, 225, 225))
        .light_line_style(WHITE)
        .x_labels(n as usize)
        .x_label_formatter(&|x| {
            if x % 3 == 1 {
                labels.get((*x / 3) as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|y| format_nb(*y))
        .y_desc(chart.y_label.clone())
        .axis_desc_style((FONT, 24))
        .label_style((FONT, 22))
        .draw()?;
    let full = RGBColor(chart.colour.0, chart.colour.1, chart.colour.2);
    let light = tint(chart.colour);
    for (i, (_, g, b)) in chart.bars.iter().enumerate() {
        for (k, v) in [g, b].into_iter().enumerate() {
            let x0 = i as i32 * 3 + k as i32;
            match v {
                Some(v) => {
                    let corners = [(x0, 0.0), (x0 + 1, *v)];
                    if k == 0 {
                        cc.draw_series(std::iter::once(Rectangle::new(corners, full.filled())))?;
                    } else {
                        cc.draw_series(std::iter::once(Rectangle::new(corners, light.filled())))?;
                        cc.draw_series(std::iter::once(Rectangle::new(
                            corners,
                            full.stroke_width(4),
                        )))?;
                    }
                }
                None => {
                    cc.draw_series(std::iter::once(
                        EmptyElement::at((x0, y_max * 0.03))
                            + Text::new(
                                ":",
                                (22, -22),
                                (FONT, 40, FontStyle::Bold).into_font().color(&dark),
                            ),
                    ))?;
                }
            }
        }
    }
    let (band_width, _) = bottom.dim_in_pixel();
    let mut legend = Legend::new(LEGEND_LEFT, 22, band_width as i32 - 40);
    for (k, name) in [&chart.names.0, &chart.names.1].into_iter().enumerate() {
        let (x, y) = legend.place(entries[k]);
        let corners = [(x, y - 12), (x + 30, y + 12)];
        if k == 0 {
            bottom.draw(&Rectangle::new(corners, full.filled()))?;
        } else {
            bottom.draw(&Rectangle::new(corners, light.filled()))?;
            bottom.draw(&Rectangle::new(corners, full.stroke_width(3)))?;
        }
        bottom.draw(&Text::new(name.clone(), (x + 40, y - 12), style.clone()))?;
    }
    if hidden {
        draw_hidden_entry(&bottom, legend.place(entries[2]), &chart.hidden_note, style)?;
    }
    Ok(())
}
