//! A calendar quarter: ordered, stepped, stored as `2025Q4` and shown as `2025K4` (the
//! Norwegian form SSB uses).

use std::fmt;
use std::str::FromStr;

/// A calendar quarter. Orders by time; [`fmt::Display`] gives the Norwegian `2025K4`,
/// [`Quarter::code`] the stored `2025Q4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    year: i32,
    number: u8,
}

/// A text that is not a quarter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected a quarter as YYYYQn or YYYYKn, for example 2025Q4")]
pub struct QuarterError;

impl Quarter {
    /// The quarter `number` (1–4) of `year`; None when `number` is not 1–4.
    pub fn new(year: i32, number: u8) -> Option<Quarter> {
        (1..=4)
            .contains(&number)
            .then_some(Quarter { year, number })
    }

    /// Year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// Quarter of the year, 1–4.
    pub fn number(self) -> u8 {
        self.number
    }

    /// The stored form, `YYYYQn`.
    pub fn code(self) -> String {
        format!("{}Q{}", self.year, self.number)
    }

    /// The next quarter.
    pub fn next(self) -> Quarter {
        if self.number == 4 {
            Quarter {
                year: self.year + 1,
                number: 1,
            }
        } else {
            Quarter {
                year: self.year,
                number: self.number + 1,
            }
        }
    }

    /// The previous quarter.
    pub fn prev(self) -> Quarter {
        if self.number == 1 {
            Quarter {
                year: self.year - 1,
                number: 4,
            }
        } else {
            Quarter {
                year: self.year,
                number: self.number - 1,
            }
        }
    }
}

impl FromStr for Quarter {
    type Err = QuarterError;

    /// `2025Q4`, `2025K4` (either case), surrounding blanks ignored.
    fn from_str(text: &str) -> Result<Quarter, QuarterError> {
        let t = text.trim();
        if t.len() != 6 || !t.is_char_boundary(4) {
            return Err(QuarterError);
        }
        let (y, q) = t.split_at(4);
        let year: i32 = y.parse().map_err(|_| QuarterError)?;
        let mut qc = q.chars();
        let tag = qc.next().ok_or(QuarterError)?;
        if !matches!(tag, 'Q' | 'K' | 'q' | 'k') {
            return Err(QuarterError);
        }
        let n: u8 = qc.as_str().parse().map_err(|_| QuarterError)?;
        Quarter::new(year, n).ok_or(QuarterError)
    }
}

impl fmt::Display for Quarter {
    /// `2025K4`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}K{}", self.year, self.number)
    }
}

/// A stored quarter code (`2025Q4`) in its Norwegian form (`2025K4`); a text that is not a
/// quarter is returned as it is.
pub fn display_code(code: &str) -> String {
    code.parse::<Quarter>()
        .map_or_else(|_| code.to_owned(), |q| q.to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn quarters_parse_order_step_and_display() {
        let q: Quarter = "2025K4".parse().unwrap();
        assert_eq!(q, "2025q4".parse().unwrap());
        assert_eq!(q.to_string(), "2025K4");
        assert_eq!(q.code(), "2025Q4");
        assert_eq!(q.next().code(), "2026Q1");
        assert_eq!(q.next().prev(), q);
        assert_eq!("2016Q1".parse::<Quarter>().unwrap().prev().code(), "2015Q4");
        assert!("2025Q3".parse::<Quarter>().unwrap() < q);
        assert!("2024Q4".parse::<Quarter>().unwrap() < "2025Q1".parse().unwrap());
        for bad in ["2025Q5", "2025Q0", "25Q4", "2025X4", "2025Q41", "æøå"] {
            assert!(bad.parse::<Quarter>().is_err(), "{bad}");
        }
        assert_eq!(display_code("2025Q4"), "2025K4");
        assert_eq!(display_code("2025"), "2025");
    }
}
