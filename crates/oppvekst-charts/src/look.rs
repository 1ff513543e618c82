//! How a series looks: colour, marker and dash, fixed per municipality in every chart.

/// Marker shape drawn at every point and in the legend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// Filled circle.
    Circle,
    /// Filled square.
    Square,
    /// Filled triangle, point up.
    Triangle,
    /// Filled diamond.
    Diamond,
}

/// Line pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dash {
    /// Unbroken.
    Solid,
    /// Long dashes.
    Long,
    /// Short dashes.
    Short,
}

impl Dash {
    /// Dash and gap length in pixels (None: solid).
    pub(crate) fn pattern(self) -> Option<(u32, u32)> {
        match self {
            Dash::Solid => None,
            Dash::Long => Some((26, 10)),
            Dash::Short => Some((10, 8)),
        }
    }
}

/// Colour, marker and dash of one series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Look {
    /// RGB colour.
    pub colour: (u8, u8, u8),
    /// Marker shape.
    pub marker: Marker,
    /// Line pattern.
    pub dash: Dash,
}

/// Looks assigned to municipalities in config order. Colours from Okabe–Ito and Tol's
/// palettes, each with at least 3:1 contrast on white (tested), far apart from each other,
/// and each with its own marker and dash so colour is never the only cue.
pub const LOOKS: [Look; 5] = [
    Look {
        colour: (0, 114, 178),
        marker: Marker::Circle,
        dash: Dash::Solid,
    },
    Look {
        colour: (213, 94, 0),
        marker: Marker::Square,
        dash: Dash::Long,
    },
    Look {
        colour: (0, 132, 96),
        marker: Marker::Triangle,
        dash: Dash::Short,
    },
    Look {
        colour: (153, 102, 0),
        marker: Marker::Circle,
        dash: Dash::Short,
    },
    Look {
        colour: (51, 51, 51),
        marker: Marker::Square,
        dash: Dash::Solid,
    },
];

/// The region's look: its own colour (reddish purple) and the diamond, whatever the number
/// of municipalities.
pub const REGION_LOOK: Look = Look {
    colour: (170, 51, 119),
    marker: Marker::Diamond,
    dash: Dash::Long,
};

/// Name and fixed look of a municipality (or the region).
#[derive(Debug, Clone, PartialEq)]
pub struct MunicipalityStyle {
    /// Municipality number.
    pub code: String,
    /// Name.
    pub name: String,
    /// Colour, marker and dash, the same in every chart.
    pub look: Look,
}

/// WCAG 2.1 contrast ratio of a colour against white.
pub fn contrast_on_white(c: (u8, u8, u8)) -> f64 {
    1.05 / (relative_luminance(c) + 0.05)
}

fn relative_luminance(c: (u8, u8, u8)) -> f64 {
    let lin = |v: u8| {
        let s = f64::from(v) / 255.0;
        if s <= 0.040_45 {
            s / 12.92
        } else {
            ((s + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(c.0) + 0.7152 * lin(c.1) + 0.0722 * lin(c.2)
}

/// CIE L*a*b* of an sRGB colour (D65).
#[cfg(test)]
fn lab(c: (u8, u8, u8)) -> (f64, f64, f64) {
    let lin = |v: u8| {
        let s = f64::from(v) / 255.0;
        if s <= 0.040_45 {
            s / 12.92
        } else {
            ((s + 0.055) / 1.055).powf(2.4)
        }
    };
    let (r, g, b) = (lin(c.0), lin(c.1), lin(c.2));
    let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.950_47;
    let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.088_83;
    let f = |t: f64| {
        if t > 0.008_856 {
            t.cbrt()
        } else {
            7.787 * t + 16.0 / 116.0
        }
    };
    (
        116.0 * f(y) - 16.0,
        500.0 * (f(x) - f(y)),
        200.0 * (f(y) - f(z)),
    )
}

/// Distance of two colours in CIE L*a*b* (ΔE 1976).
#[cfg(test)]
fn delta_e(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
    let (p, q) = (lab(a), lab(b));
    ((p.0 - q.0).powi(2) + (p.1 - q.1).powi(2) + (p.2 - q.2).powi(2)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<Look> {
        LOOKS.iter().copied().chain([REGION_LOOK]).collect()
    }

    #[test]
    fn every_colour_has_three_to_one_contrast_on_white() {
        for l in all() {
            let c = contrast_on_white(l.colour);
            assert!(c >= 3.0, "{:?}: {c:.2}", l.colour);
        }
        // The old Okabe–Ito orange (Sarpsborg) and sky blue failed.
        assert!(contrast_on_white((230, 159, 0)) < 3.0);
        assert!(contrast_on_white((86, 180, 233)) < 3.0);
    }

    #[test]
    fn colours_are_far_apart_and_no_two_looks_are_the_same() {
        let looks = all();
        for (i, a) in looks.iter().enumerate() {
            for b in &looks[i + 1..] {
                let d = delta_e(a.colour, b.colour);
                assert!(d >= 25.0, "{:?} and {:?}: ΔE {d:.1}", a.colour, b.colour);
                assert!(
                    (a.marker, a.dash) != (b.marker, b.dash),
                    "{a:?} and {b:?} differ by colour only"
                );
            }
        }
        // The old Sarpsborg and Nedre Glomma oranges were close.
        assert!(delta_e((230, 159, 0), (213, 94, 0)) < 40.0);
    }
}
