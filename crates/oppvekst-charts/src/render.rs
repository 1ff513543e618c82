//! Drawing a [`LineChart`] to PNG and SVG.

use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

use crate::{LineChart, Marker};

pub(crate) const FONT: &str = "oppvekst-sans";
static FONT_REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static FONT_BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");
/// PNG size: a 16:9 slide.
pub const PNG_SIZE: (u32, u32) = (1600, 900);

/// A chart could not be drawn or written.
#[derive(Debug, thiserror::Error)]
#[error("chart `{chart}`: {message}")]
pub struct ChartError {
    /// Chart id.
    pub chart: String,
    /// What failed.
    pub message: String,
}

/// Registers the vendored fonts once; every later call reports the first call's outcome.
pub(crate) fn ensure_fonts() -> Result<(), String> {
    static RESULT: OnceLock<Result<(), String>> = OnceLock::new();
    RESULT
        .get_or_init(|| {
            register_font(FONT, FontStyle::Normal, FONT_REGULAR)
                .and_then(|_| register_font(FONT, FontStyle::Bold, FONT_BOLD))
                .map_err(|_| "the vendored font did not load".to_owned())
        })
        .clone()
}

/// A chart that can draw itself on any plotters backend.
pub(crate) trait Drawable {
    /// File stem.
    fn id(&self) -> &str;
    /// Draws the whole chart.
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB>;
}

impl Drawable for LineChart {
    fn id(&self) -> &str {
        &self.id
    }
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        draw(root, self)
    }
}

/// Draws a chart to `<dir>/<id>.png` (slide size) and `<dir>/<id>.svg`.
pub(crate) fn render_files<C: Drawable>(chart: &C, dir: &Path) -> Result<(), ChartError> {
    let err = |m: String| ChartError {
        chart: chart.id().to_owned(),
        message: m,
    };
    ensure_fonts().map_err(err)?;
    let png = dir.join(format!("{}.png", chart.id()));
    {
        let root = BitMapBackend::new(&png, PNG_SIZE).into_drawing_area();
        chart.draw_on(&root).map_err(|e| err(e.to_string()))?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, PNG_SIZE).into_drawing_area();
        chart.draw_on(&root).map_err(|e| err(e.to_string()))?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    let svg = with_font_fallback(&svg);
    oppvekst_schema::io::write_atomic(&dir.join(format!("{}.svg", chart.id())), svg.as_bytes())
        .map_err(|e| err(e.to_string()))?;
    // A narrow version for phones: the same chart laid out for a portrait canvas, so its
    // text is about twice as large on a small screen.
    let mut narrow = String::new();
    {
        let root = SVGBackend::with_string(&mut narrow, NARROW_SIZE).into_drawing_area();
        chart.draw_on(&root).map_err(|e| err(e.to_string()))?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    let narrow = with_font_fallback(&narrow);
    oppvekst_schema::io::write_atomic(
        &dir.join(format!("{}{NARROW_SUFFIX}.svg", chart.id())),
        narrow.as_bytes(),
    )
    .map_err(|e| err(e.to_string()))
}

/// Size of the narrow SVG for phones.
pub const NARROW_SIZE: (u32, u32) = (720, 860);
/// File stem suffix of the narrow SVG (`beruset_ungdomstrinn_alle_smal.svg`).
pub const NARROW_SUFFIX: &str = "_smal";

/// True when a drawing area is the narrow (phone) canvas.
pub(crate) fn is_narrow<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>) -> bool {
    root.dim_in_pixel().0 < 1000
}

/// `text` broken into lines no wider than `width` in `font` (at word boundaries).
pub(crate) fn wrap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    font: &TextStyle<'_>,
    width: i32,
) -> Result<Vec<String>, DrawingAreaErrorKind<DB::ErrorType>> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if !line.is_empty() && area.estimate_text_size(&candidate, font)?.0 as i32 > width {
            lines.push(std::mem::replace(&mut line, word.to_owned()));
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    Ok(lines)
}

/// The fonts an SVG asks for: the vendored font's own name (DejaVu Sans, whose metrics the
/// layout was measured with), then fonts every system has, then any sans-serif — never the
/// registration name alone, which no browser knows (it drew the charts in a serif).
const SVG_FONTS: &str = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif";

/// An SVG with every `font-family` of the vendored font given a fallback chain.
pub(crate) fn with_font_fallback(svg: &str) -> String {
    svg.replace(
        &format!("font-family=\"{FONT}\""),
        &format!("font-family=\"{SVG_FONTS}\""),
    )
}

#[cfg(test)]
mod font_tests {
    use super::*;

    #[test]
    fn an_svg_asks_for_fonts_a_browser_has() {
        let svg = format!("<text font-family=\"{FONT}\" font-size=\"20\">Skjult</text>");
        let out = with_font_fallback(&svg);
        assert!(!out.contains(FONT), "{out}");
        assert!(out.contains("font-family=\"DejaVu Sans, Verdana, Arial, Helvetica, sans-serif\""));
    }
}

/// Draws a line chart to `<dir>/<id>.png` and `<dir>/<id>.svg`.
pub fn render(chart: &LineChart, dir: &Path) -> Result<(), ChartError> {
    render_files(chart, dir)
}

fn rgb(c: (u8, u8, u8)) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

pub(crate) type DrawResult<DB> =
    Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Text colour.
pub(crate) const DARK: RGBColor = RGBColor(33, 33, 33);
/// Colour of subtitles and source lines.
const GREY: RGBColor = RGBColor(90, 90, 90);

/// Left edge and row height of the legend.
pub(crate) const LEGEND_LEFT: i32 = 130;
const LEGEND_ROW: i32 = 34;

/// The plot area and the legend band under it.
pub(crate) type Areas<DB> = (DrawingArea<DB, Shift>, DrawingArea<DB, Shift>);

/// The frame every chart shares: white background, title, subtitle and source line, each
/// wrapped to the canvas. `legend` gives the widths of the legend entries, so the band
/// under the plot is as high as their rows need. Returns the plot area and that band.
pub(crate) fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    source: &str,
    legend: &[i32],
) -> Result<Areas<DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let (w, h) = root.dim_in_pixel();
    let width = w as i32 - 80;
    let title_font = (FONT, 40, FontStyle::Bold).into_font().color(&DARK);
    let sub_font = (FONT, 24).into_font().color(&GREY);
    let source_font = (FONT, 20).into_font().color(&GREY);
    let mut y = 28;
    for line in wrap(root, title, &title_font, width)? {
        root.draw(&Text::new(line, (40, y), title_font.clone()))?;
        y += 48;
    }
    y += 4;
    for line in wrap(root, subtitle, &sub_font, width)? {
        root.draw(&Text::new(line, (40, y), sub_font.clone()))?;
        y += 30;
    }
    let top = y + 10;
    let mut rows = Legend::new(LEGEND_LEFT, 22, w as i32 - 40);
    let last_row = legend.iter().map(|e| rows.place(*e).1).max().unwrap_or(22);
    let source_lines = wrap(root, source, &source_font, width)?;
    let bottom_height = last_row + 28 + 26 * source_lines.len() as i32 + 12;
    let (_, rest) = root.split_vertically(top);
    let (plot, bottom) = rest.split_vertically(h as i32 - top - bottom_height);
    let mut y = last_row + 28;
    for line in source_lines {
        bottom.draw(&Text::new(line, (40, y), source_font.clone()))?;
        y += 26;
    }
    Ok((plot, bottom))
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, chart: &LineChart) -> DrawResult<DB> {
    let style = (FONT, 24).into_font().color(&DARK);
    let reference = chart
        .reference
        .as_ref()
        .and_then(|r| r.span.map(|s| (r, s)));
    // The legend's entries, measured before the frame so the band under the plot fits them.
    let mut entries = Vec::new();
    for s in &chart.series {
        entries.push(56 + root.estimate_text_size(&s.name, &style)?.0 as i32 + 40);
    }
    if let Some((r, _)) = reference {
        entries.push(56 + root.estimate_text_size(&r.label, &style)?.0 as i32 + 40);
    }
    if chart.has_hidden() {
        entries.push(hidden_entry_width(root, &chart.hidden_note, &style)?);
    }
    let (plot, bottom) = frame(root, &chart.title, &chart.subtitle, &chart.source, &entries)?;
    let narrow = is_narrow(root);

    let n = chart.x_labels.len().max(1);
    let y_max = chart.drawn_y_max();
    let mut cc = ChartBuilder::on(&plot)
        .margin_left(20)
        .margin_right(50)
        .margin_top(10)
        .x_label_area_size(60)
        .y_label_area_size(110)
        .build_cartesian_2d((0..n as i32 - 1).into_segmented(), 0.0..y_max)?;
    // On the narrow canvas a long axis labels every second tick that has a label.
    let labelled: Vec<usize> = (0..n)
        .filter(|i| chart.x_labels.get(*i).is_some_and(|l| !l.is_empty()))
        .collect();
    let thin = narrow && labelled.len() > 6;
    let labels: Vec<String> = chart
        .x_labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let k = labelled.iter().position(|x| *x == i);
            if thin && k.is_some_and(|k| k % 2 == 1) {
                String::new()
            } else {
                l.clone()
            }
        })
        .collect();
    cc.configure_mesh()
        .disable_x_mesh()
        .bold_line_style(RGBColor(225, 225, 225))
        .light_line_style(WHITE)
        .x_labels(n + 1)
        .y_labels(8)
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => labels.get(*i as usize).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .y_label_formatter(&|y| format_nb(*y))
        .y_desc(chart.y_label.clone())
        .axis_desc_style((FONT, 24))
        .label_style((FONT, 22))
        .draw()?;

    // The reference covers only the x positions of its own period.
    if let Some((r, (from, to))) = reference {
        let end = if to + 1 >= n {
            SegmentValue::Last
        } else {
            SegmentValue::Exact(to as i32 + 1)
        };
        cc.draw_series(DashedLineSeries::new(
            [(SegmentValue::Exact(from as i32), r.level), (end, r.level)],
            14,
            10,
            REFERENCE.stroke_width(3),
        ))?;
    }
    let marker_y = y_max * 0.03;
    for (si, s) in chart.series.iter().enumerate() {
        let colour = rgb(s.look.colour);
        let width = if s.thick { 5 } else { 2 };
        // Consecutive published points form one segment; a hidden or missing point breaks the line.
        let mut segment: Vec<(SegmentValue<i32>, f64)> = Vec::new();
        let mut last_x: Option<usize> = None;
        let mut segments = Vec::new();
        for p in &s.points {
            let contiguous = last_x.is_some_and(|l| l + 1 == p.x);
            match p.y {
                Some(y) => {
                    if !contiguous && !segment.is_empty() && !s.thick {
                        segments.push(std::mem::take(&mut segment));
                    }
                    segment.push((SegmentValue::CenterOf(p.x as i32), y));
                }
                None => segments.push(std::mem::take(&mut segment)),
            }
            last_x = Some(p.x);
        }
        segments.push(segment);
        let size = if s.thick { 8 } else { 4 };
        for seg in segments.into_iter().filter(|s| !s.is_empty()) {
            let style = colour.stroke_width(width);
            // A thin context line stays solid: its small markers and weight set it apart.
            match s.look.dash.pattern().filter(|_| s.thick) {
                Some((dash, gap)) => {
                    cc.draw_series(DashedLineSeries::new(seg.clone(), dash, gap, style))?;
                }
                None => {
                    cc.draw_series(LineSeries::new(seg.clone(), style))?;
                }
            }
            cc.draw_series(
                seg.into_iter()
                    .map(|pt| EmptyElement::at(pt) + marker(s.look.marker, size, colour)),
            )?;
        }
        cc.draw_series(s.points.iter().filter_map(|p| {
            let (Some(y), Some((lo, hi))) = (p.y, p.ci) else {
                return None;
            };
            Some(ErrorBar::new_vertical(
                SegmentValue::CenterOf(p.x as i32),
                lo,
                y,
                hi,
                colour.stroke_width(2),
                14,
            ))
        }))?;
        let offset = si as i32 * 14 - 7;
        cc.draw_series(s.points.iter().filter(|p| p.y.is_none()).map(|p| {
            EmptyElement::at((SegmentValue::CenterOf(p.x as i32), marker_y))
                + Text::new(
                    ":",
                    (offset, -22),
                    (FONT, 40, FontStyle::Bold).into_font().color(&colour),
                )
        }))?;
    }

    // Legend, placed explicitly under the plot so it never covers a line; it wraps to a
    // second row rather than run past the edge.
    let (band_width, _) = bottom.dim_in_pixel();
    let mut legend = Legend::new(LEGEND_LEFT, 22, band_width as i32 - 40);
    let mut widths = entries.iter();
    let mut next = |legend: &mut Legend| legend.place(widths.next().copied().unwrap_or(0));
    for s in &chart.series {
        let colour = rgb(s.look.colour);
        let (x, y) = next(&mut legend);
        let line = vec![(x, y), (x + 44, y)];
        let stroke = colour.stroke_width(if s.thick { 5 } else { 2 });
        match s.look.dash.pattern().filter(|_| s.thick) {
            Some((dash, gap)) => {
                bottom.draw(&DashedPathElement::new(line, dash / 2, gap / 2, stroke))?
            }
            None => bottom.draw(&PathElement::new(line, stroke))?,
        }
        bottom.draw(
            &(EmptyElement::at((x + 22, y))
                + marker(s.look.marker, if s.thick { 8 } else { 4 }, colour)),
        )?;
        bottom.draw(&Text::new(s.name.clone(), (x + 56, y - 12), style.clone()))?;
    }
    if let Some((r, _)) = reference {
        let (x, y) = next(&mut legend);
        bottom.draw(&DashedPathElement::new(
            vec![(x, y), (x + 44, y)],
            10,
            6,
            REFERENCE.stroke_width(3),
        ))?;
        bottom.draw(&Text::new(r.label.clone(), (x + 56, y - 12), style.clone()))?;
    }
    if chart.has_hidden() {
        draw_hidden_entry(&bottom, next(&mut legend), &chart.hidden_note, style)?;
    }
    Ok(())
}

/// Width of the legend entry that explains the `:` marker.
pub(crate) fn hidden_entry_width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    note: &str,
    style: &TextStyle<'_>,
) -> Result<i32, DrawingAreaErrorKind<DB::ErrorType>> {
    Ok(18 + area.estimate_text_size(note, style)?.0 as i32 + 40)
}

/// The legend entry that explains the `:` marker, at `(x, y)`.
pub(crate) fn draw_hidden_entry<DB: DrawingBackend>(
    bottom: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    note: &str,
    style: TextStyle<'_>,
) -> DrawResult<DB> {
    bottom.draw(&Text::new(
        ":",
        (x, y - 16),
        (FONT, 32, FontStyle::Bold).into_font().color(&DARK),
    ))?;
    bottom.draw(&Text::new(note.to_owned(), (x + 18, y - 12), style))
}

/// Colour of a reference line (grey, 5:1 on white).
const REFERENCE: RGBColor = RGBColor(100, 100, 100);

/// Positions of legend entries, left to right, wrapping to a new row at `right`.
pub(crate) struct Legend {
    left: i32,
    x: i32,
    y: i32,
    right: i32,
}

impl Legend {
    pub(crate) fn new(left: i32, y: i32, right: i32) -> Self {
        Legend {
            left,
            x: left,
            y,
            right,
        }
    }

    /// The position of an entry `width` wide.
    pub(crate) fn place(&mut self, width: i32) -> (i32, i32) {
        if self.x > self.left && self.x + width > self.right {
            self.x = self.left;
            self.y += LEGEND_ROW;
        }
        let at = (self.x, self.y);
        self.x += width;
        at
    }
}

/// A marker of `shape` and radius `r` centred on the point it is attached to.
pub(crate) fn marker<DB: DrawingBackend>(
    shape: Marker,
    r: i32,
    colour: RGBColor,
) -> DynElement<'static, DB, (i32, i32)> {
    let style = colour.filled();
    match shape {
        Marker::Circle => Circle::new((0, 0), r, style).into_dyn(),
        Marker::Square => Rectangle::new([(-r + 1, -r + 1), (r - 1, r - 1)], style).into_dyn(),
        Marker::Triangle => {
            Polygon::new(vec![(0, -r - 1), (r + 1, r - 1), (-r - 1, r - 1)], style).into_dyn()
        }
        Marker::Diamond => Polygon::new(
            vec![(0, -r - 1), (r + 1, 0), (0, r + 1), (-r - 1, 0)],
            style,
        )
        .into_dyn(),
    }
}

/// A round upper bound for the y axis.
pub(crate) fn nice_max(v: f64) -> f64 {
    if v <= 0.0 {
        return 10.0;
    }
    let target = v * 1.12;
    let mag = 10f64.powf(target.log10().floor());
    for step in [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if step * mag >= target {
            return step * mag;
        }
    }
    10.0 * mag
}

/// Norwegian number formatting for axis labels: decimal comma, space as thousands separator.
pub fn format_nb(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        let n = v.round() as i64;
        let s = n.abs().to_string();
        let mut out = String::new();
        for (i, ch) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push('\u{a0}');
            }
            out.push(ch);
        }
        if n < 0 { format!("−{out}") } else { out }
    } else {
        format!("{v:.1}").replace('.', ",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_helpers() {
        assert_eq!(nice_max(17.3), 20.0);
        assert_eq!(nice_max(44.0), 50.0);
        assert_eq!(nice_max(55.0), 80.0);
        assert_eq!(format_nb(1234.0), "1\u{a0}234");
        assert_eq!(format_nb(12.5), "12,5");
    }
}
