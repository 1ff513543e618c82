//! Which quarters each police series (municipality × offence group × age band) has. A sum
//! of four quarters, or a change from a year before, that reaches a quarter the series
//! lacks (before it began, an extract that never came) does not exist (`.`), which is not
//! the same as hidden (`:`). The tables and the charts both ask here.

use std::collections::HashSet;

use oppvekst_analysis::PoliceRow;
use oppvekst_schema::quarter::Quarter;

/// The quarters present in every series.
pub(crate) struct SeriesQuarters<'a>(HashSet<(&'a str, &'a str, &'a str, Quarter)>);

impl<'a> SeriesQuarters<'a> {
    /// The quarters of `rows`.
    pub(crate) fn new(rows: &'a [PoliceRow]) -> Self {
        SeriesQuarters(
            rows.iter()
                .map(|r| {
                    (
                        r.municipality.as_str(),
                        r.offence_group.as_str(),
                        r.age_band.as_str(),
                        r.quarter,
                    )
                })
                .collect(),
        )
    }

    /// True when `r`'s series has the quarter `back` quarters before `r`'s.
    fn has(&self, r: &'a PoliceRow, back: usize) -> bool {
        let q = (0..back).fold(r.quarter, |q, _| q.prev());
        self.0.contains(&(
            r.municipality.as_str(),
            r.offence_group.as_str(),
            r.age_band.as_str(),
            q,
        ))
    }

    /// True when `r`'s series has its quarter and the three before it: a four-quarter sum
    /// missing there is hidden, not absent.
    pub(crate) fn four_quarters(&self, r: &'a PoliceRow) -> bool {
        (0..4).all(|n| self.has(r, n))
    }

    /// True when `r`'s series has the same quarter a year before.
    pub(crate) fn year_before(&self, r: &'a PoliceRow) -> bool {
        self.has(r, 4)
    }
}
