//! Grouped bars: one indicator by grade, girls beside boys, for one municipality and year.

use std::path::Path;

use oppvekst_analysis::IndicatorRow;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::build::MunicipalityStyle;
use crate::render::{ChartError, DARK, DrawResult, Drawable, FONT, format_nb, frame, render_files};

/// The genders of the schema crate, girls first as the bars show them.
const GIRL: &str = oppvekst_schema::dims::GENDERS[1];
const BOY: &str = oppvekst_schema::dims::GENDERS[0];

/// Grades shown, with labels.
const GRADES: [(&str, &str); 6] = [
    ("8", "8."),
    ("9", "9."),
    ("10", "10."),
    ("VG1", "VG1"),
    ("VG2", "VG2"),
    ("VG3", "VG3"),
];

/// A grouped bar chart: per grade, girls and boys (percent, None = hidden).
#[derive(Debug, Clone, PartialEq)]
pub struct GenderGradeBars {
    /// File stem.
    pub id: String,
    /// Title.
    pub title: String,
    /// Subtitle.
    pub subtitle: String,
    /// Per grade: (label, girls, boys).
    pub bars: Vec<(String, Option<f64>, Option<f64>)>,
    /// Municipality colour (girls); boys get a lighter tint.
    pub colour: (u8, u8, u8),
    /// Source line.
    pub source: String,
}

/// Builds the bars for `indicator` in `municipality` and `year`.
pub fn gender_grade_bars(
    rows: &[IndicatorRow],
    indicator: &str,
    label: &str,
    year: i32,
    m: &MunicipalityStyle,
) -> GenderGradeBars {
    let get = |g: &str, s: &str| {
        rows.iter().find(|r| {
            r.indicator == indicator
                && r.municipality == m.code
                && r.survey_year == year
                && r.grade == g
                && r.gender == s
        })
    };
    let n: u32 = GRADES
        .iter()
        .flat_map(|(g, _)| [GIRL, BOY].map(|s| get(g, s).map_or(0, |r| r.denominator)))
        .sum();
    GenderGradeBars {
        id: format!("{indicator}_{}_kjonn_trinn", m.code),
        title: format!("{label}: {}", m.name),
        subtitle: format!("Jenter og gutter etter trinn, {year}. Prosent"),
        bars: GRADES
            .iter()
            .map(|(g, l)| {
                (
                    (*l).to_owned(),
                    get(g, GIRL).and_then(|r| r.percent),
                    get(g, BOY).and_then(|r| r.percent),
                )
            })
            .collect(),
        colour: m.colour,
        source: format!(
            "Kilde: Ungdata-undersøkelsen (demodata). Antall svar (n): {}",
            format_nb(n.into())
        ),
    }
}

fn tint(c: (u8, u8, u8)) -> RGBColor {
    let t = |v: u8| ((u16::from(v) + 2 * 255) / 3) as u8;
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
    let (plot, bottom) = frame(root, &chart.title, &chart.subtitle, &chart.source)?;
    let dark = DARK;
    let max = chart
        .bars
        .iter()
        .flat_map(|b| [b.1, b.2])
        .flatten()
        .fold(0.0f64, f64::max);
    let y_max = crate::render::nice_max(max);
    // Each grade occupies 3 slots: girls, boys, gap.
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
        .y_desc("Prosent")
        .axis_desc_style((FONT, 24))
        .label_style((FONT, 22))
        .draw()?;
    let girls = RGBColor(chart.colour.0, chart.colour.1, chart.colour.2);
    let boys = tint(chart.colour);
    for (i, (_, g, b)) in chart.bars.iter().enumerate() {
        for (k, (v, c)) in [(g, girls), (b, boys)].into_iter().enumerate() {
            let x0 = i as i32 * 3 + k as i32;
            match v {
                Some(v) => {
                    cc.draw_series(std::iter::once(Rectangle::new(
                        [(x0, 0.0), (x0 + 1, *v)],
                        c.filled(),
                    )))?;
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
    let style = (FONT, 24).into_font().color(&dark);
    let mut x = 130;
    for (name, c) in [("Jenter", girls), ("Gutter", boys)] {
        bottom.draw(&Rectangle::new([(x, 10), (x + 30, 34)], c.filled()))?;
        bottom.draw(&Text::new(name, (x + 40, 10), style.clone()))?;
        x += 180;
    }
    if chart.bars.iter().any(|b| b.1.is_none() || b.2.is_none()) {
        bottom.draw(&Text::new(
            ":",
            (x, 6),
            (FONT, 32, FontStyle::Bold).into_font().color(&dark),
        ))?;
        bottom.draw(&Text::new(
            "= skjult av hensyn til taushetsplikt",
            (x + 18, 10),
            style,
        ))?;
    }
    Ok(())
}
