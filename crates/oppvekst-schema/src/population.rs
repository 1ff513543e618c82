//! Population by municipality × year × single-year age (SSB 07459, or 01222 for all ages),
//! the denominator of police rates per 1,000 and of the coverage rule for regions.
//!
//! Population figures are public (SSB publishes them), so this type may hold and show them.
//! Codes are today's municipality numbers (the reader harmonises them).

use std::collections::BTreeMap;

/// Oldest single-year age; SSB's last class is `105+`.
pub const MAX_AGE: usize = 105;

/// Persons per municipality × year, by single-year age (index = age, `105` = 105 and older),
/// plus the total of all ages where a table gives only that (01222).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Population {
    /// (municipality, year) → persons by age (None where the table has no number).
    ages: BTreeMap<(String, i32), Vec<Option<u64>>>,
    /// (municipality, year) → persons of all ages, from a table without ages.
    totals: BTreeMap<(String, i32), u64>,
    /// Where the figures come from, for the source line (for example `SSB 07459`).
    pub sources: Vec<String>,
}

/// An age band as inclusive single-year ages; `None` as upper end means "and older".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgeRange {
    /// Youngest age.
    pub from: usize,
    /// Oldest age, or None for every age from `from` up.
    pub to: Option<usize>,
}

impl AgeRange {
    /// The band for a police age-band code (`10-14`, `10-25`, `alle`); None for codes
    /// without a population (`andre`).
    pub fn from_code(code: &str) -> Option<Self> {
        if code == crate::codes::AGE_ALL {
            return Some(AgeRange { from: 0, to: None });
        }
        let (a, b) = code.split_once('-')?;
        Some(AgeRange {
            from: a.trim().parse().ok()?,
            to: Some(b.trim().parse().ok()?),
        })
    }
}

impl Population {
    /// Adds persons of one municipality, year and single-year age (sums when repeated, as
    /// over sexes or over old codes merged into one municipality).
    pub fn add_age(&mut self, municipality: &str, year: i32, age: usize, persons: Option<u64>) {
        let v = self
            .ages
            .entry((municipality.to_owned(), year))
            .or_insert_with(|| vec![Some(0); MAX_AGE + 1]);
        let age = age.min(MAX_AGE);
        v[age] = match (v[age], persons) {
            (Some(a), Some(b)) => Some(a + b),
            _ => None,
        };
    }

    /// Marks ages not given by a table as unknown, so a band never silently sums a part.
    pub fn mark_missing(&mut self, municipality: &str, year: i32, present: &[bool]) {
        if let Some(v) = self.ages.get_mut(&(municipality.to_owned(), year)) {
            for (age, p) in present.iter().enumerate().take(MAX_AGE + 1) {
                if !p {
                    v[age] = None;
                }
            }
        }
    }

    /// Adds the all-ages total of one municipality and year (tables without ages).
    pub fn add_total(&mut self, municipality: &str, year: i32, persons: u64) {
        *self
            .totals
            .entry((municipality.to_owned(), year))
            .or_default() += persons;
    }

    /// Merges another population (later sources win for the same municipality and year).
    pub fn merge(&mut self, other: Population) {
        self.ages.extend(other.ages);
        self.totals.extend(other.totals);
        for s in other.sources {
            if !self.sources.contains(&s) {
                self.sources.push(s);
            }
        }
    }

    /// Adds an aggregate (a region) as the sum of `members`, for every year all of them
    /// have; an age unknown in any member is unknown in the aggregate.
    pub fn add_aggregate(&mut self, code: &str, members: &[String]) {
        let years: std::collections::BTreeSet<i32> = self.ages.keys().map(|(_, y)| *y).collect();
        for year in years {
            let parts: Option<Vec<&Vec<Option<u64>>>> = members
                .iter()
                .map(|m| self.ages.get(&(m.clone(), year)))
                .collect();
            let Some(parts) = parts.filter(|p| !p.is_empty()) else {
                continue;
            };
            let sum: Vec<Option<u64>> = (0..=MAX_AGE)
                .map(|a| parts.iter().map(|v| v[a]).sum::<Option<u64>>())
                .collect();
            self.ages.insert((code.to_owned(), year), sum);
        }
    }

    /// True when nothing is known.
    pub fn is_empty(&self) -> bool {
        self.ages.is_empty() && self.totals.is_empty()
    }

    /// Persons in an age band in exactly this year, when every age of it is known.
    pub fn exact(&self, municipality: &str, year: i32, band: AgeRange) -> Option<u64> {
        let key = (municipality.to_owned(), year);
        if let Some(v) = self.ages.get(&key) {
            let to = band.to.unwrap_or(MAX_AGE).min(MAX_AGE);
            if band.from <= to
                && let Some(sum) = v[band.from..=to].iter().copied().sum::<Option<u64>>()
            {
                return Some(sum);
            }
        }
        if band.from == 0 && band.to.is_none() {
            return self.totals.get(&key).copied();
        }
        None
    }

    /// Persons in an age band for `year`, or from the nearest year that has them (earlier
    /// years first): returns (persons, year used), so the output can state the period.
    pub fn persons(&self, municipality: &str, year: i32, band: AgeRange) -> Option<(u64, i32)> {
        let years: Vec<i32> = self
            .ages
            .keys()
            .chain(self.totals.keys())
            .filter(|(m, _)| m == municipality)
            .map(|(_, y)| *y)
            .collect();
        let mut order: Vec<i32> = years;
        order.sort_by_key(|y| ((y - year).abs(), *y > year));
        order.dedup();
        order
            .into_iter()
            .find_map(|y| self.exact(municipality, y, band).map(|p| (p, y)))
    }

    /// Latest year with any figure.
    pub fn latest_year(&self) -> Option<i32> {
        self.ages
            .keys()
            .chain(self.totals.keys())
            .map(|(_, y)| *y)
            .max()
    }

    /// FHI's coverage: the share of `members`' young people (`band`, in `year` or the
    /// nearest year) who live in the members listed in `with_data`. `None` when a member's
    /// population is unknown, so the caller can treat the coverage as unproven.
    pub fn coverage(
        &self,
        members: &[String],
        with_data: &[String],
        year: i32,
        band: AgeRange,
    ) -> Option<f64> {
        let mut all = 0u64;
        let mut covered = 0u64;
        for m in members {
            let (p, _) = self.persons(m, year, band)?;
            all += p;
            if with_data.contains(m) {
                covered += p;
            }
        }
        (all > 0).then(|| covered as f64 / all as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pop() -> Population {
        let mut p = Population::default();
        for age in 0..=MAX_AGE {
            p.add_age("3107", 2024, age, Some(10));
            p.add_age("3107", 2024, age, Some(5)); // the other sex
        }
        p
    }

    #[test]
    fn bands_sum_single_years_and_fall_back_to_the_nearest_year() {
        let p = pop();
        let band = AgeRange::from_code("10-14").unwrap();
        assert_eq!(p.exact("3107", 2024, band), Some(75));
        assert_eq!(p.persons("3107", 2025, band), Some((75, 2024)));
        assert_eq!(
            p.exact("3107", 2024, AgeRange::from_code("alle").unwrap()),
            Some(15 * 106)
        );
        assert_eq!(p.persons("3105", 2024, band), None);
        assert_eq!(AgeRange::from_code("andre"), None);
    }

    #[test]
    fn an_unknown_age_makes_the_band_unknown() {
        let mut p = pop();
        p.add_age("3107", 2024, 12, None);
        assert_eq!(
            p.exact("3107", 2024, AgeRange::from_code("10-14").unwrap()),
            None
        );
        assert_eq!(
            p.exact("3107", 2024, AgeRange::from_code("15-17").unwrap()),
            Some(45)
        );
    }

    #[test]
    fn coverage_is_the_share_of_youth_in_members_with_data() {
        let mut p = pop();
        for age in 0..=MAX_AGE {
            p.add_age("3110", 2024, age, Some(5));
        }
        let band = AgeRange::from_code("10-25").unwrap();
        let members = vec!["3107".to_owned(), "3110".to_owned()];
        let c = p
            .coverage(&members, &["3107".to_owned()], 2024, band)
            .unwrap();
        assert!((c - 0.75).abs() < 1e-12);
        assert_eq!(
            p.coverage(&["3999".to_owned()], &[], 2024, band),
            None,
            "unknown member population"
        );
        p.add_aggregate("region", &members);
        assert_eq!(p.exact("region", 2024, band), Some(16 * 15 + 16 * 5));
    }
}
