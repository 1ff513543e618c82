//! What a quarter's run would miss, found without running it and without writing anything:
//! `oppvekst status` prints it and exits non-zero when the run would fail. The checks are
//! the run's own (the codebook check, the inbox's readability, the completeness of the
//! police quarters), applied to the store and the inbox as they are now.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use oppvekst_ingest_police::history::Store;
use oppvekst_ingest_police::population::read_population;
use oppvekst_ingest_police::{PoliceCounts, read_extract, read_extract_xlsx};
use oppvekst_schema::Catalogue;
use oppvekst_schema::population::{AgeRange, Population};
use oppvekst_schema::quarter::Quarter;

use crate::config::Config;
use crate::inputs::{Inbox, check_codebook};
use crate::tables::complete_quarters;
use crate::{ReleaseError, file_err};

/// One thing a run would miss.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// What is missing, in words (files, quarters, municipalities; never a value).
    pub what: String,
    /// Whether the run fails because of it.
    pub stops_the_run: bool,
}

/// What a run of `quarter` would miss.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preflight {
    /// The quarter looked at: the one asked for, or the newest any source holds.
    pub quarter: Option<Quarter>,
    /// Everything missing, the failures first.
    pub missing: Vec<Missing>,
}

impl Preflight {
    /// Whether `run --quarter` would fail.
    pub fn run_would_fail(&self) -> bool {
        self.missing.iter().any(|m| m.stops_the_run)
    }
}

/// The years of a survey wave cycle that should be there by `year` and are not: the next
/// wave after the last one held, when the waves held are evenly spaced.
fn expected_wave(years: &BTreeSet<i32>, year: i32) -> Option<(i32, i32)> {
    let ys: Vec<i32> = years.iter().copied().collect();
    let step = ys.windows(2).map(|w| w[1] - w[0]).min()?;
    let last = *ys.last()?;
    (step > 0 && last + step <= year).then_some((last + step, step))
}

/// What the run of `quarter` (None: the newest quarter the store or the inbox holds) would
/// miss.
pub fn preflight(
    cfg: &Config,
    inbox: &Inbox,
    quarter: Option<Quarter>,
) -> Result<Preflight, ReleaseError> {
    let mut missing = Vec::new();
    let mut note = |what: String, stops_the_run: bool| {
        missing.push(Missing {
            what,
            stops_the_run,
        })
    };
    for u in &inbox.unreadable {
        note(format!("{}: {}", u.file, u.reason), true);
    }
    let cat = Catalogue::builtin()?;
    let harmoniser = cfg.harmoniser()?;

    // Survey: files, codebook, waves.
    let mut years = BTreeSet::new();
    if inbox.survey.is_empty() {
        note("no survey exports in survey/".into(), true);
    } else {
        for r in check_codebook(&cat, &inbox.survey)? {
            if r.changes_figures() {
                note(
                    format!(
                        "{}: coded otherwise than the codebook says (see `oppvekst codebook check`)",
                        r.file
                    ),
                    true,
                );
            }
            years.extend(r.years.iter().copied());
        }
    }

    // Police: the store's newest revisions, replaced by what the inbox brings.
    let store_path = cfg.paths.work.join("store");
    let mut counts = if Store::exists(&store_path) {
        Store::open(&store_path)?.latest()?
    } else {
        PoliceCounts::default()
    };
    let encoding = cfg.encoding()?;
    let mut incoming = PoliceCounts::default();
    for f in &inbox.police {
        let bytes = fs::read(&f.path).map_err(file_err(&f.path))?;
        let read = if f.name.to_lowercase().ends_with(".xlsx") {
            read_extract_xlsx(&f.name, &bytes, &harmoniser, &mut Default::default())
        } else {
            read_extract(
                &f.name,
                &bytes,
                &harmoniser,
                encoding,
                &mut Default::default(),
            )
        };
        match read {
            Ok((c, _, _)) => incoming.extend(c),
            Err(e) => note(e.to_string(), true),
        }
    }
    let new_quarters: BTreeSet<Quarter> = incoming.rows.iter().map(|r| r.quarter).collect();
    counts.rows.retain(|r| !new_quarters.contains(&r.quarter));
    counts.flags.retain(|f| !new_quarters.contains(&f.quarter));
    counts.extend(incoming);
    let held: BTreeSet<Quarter> = counts.rows.iter().map(|r| r.quarter).collect();
    let quarter = quarter.or_else(|| held.last().copied());
    let Some(q) = quarter else {
        note("no police extract in the store or in police/".into(), true);
        return Ok(Preflight { quarter, missing });
    };
    if !held.contains(&q) {
        note(format!("no police extract for {}", q.code()), true);
    } else {
        let mut complete = counts.clone();
        let lines = complete_quarters(&mut complete);
        if !complete.rows.iter().any(|r| r.quarter == q) {
            let why = lines
                .iter()
                .find(|l| l.contains(&q.to_string()))
                .cloned()
                .unwrap_or_else(|| format!("police {} is incomplete", q.code()));
            note(why, true);
        }
        let present: BTreeSet<&str> = counts
            .rows
            .iter()
            .filter(|r| r.quarter == q)
            .map(|r| r.municipality.as_str())
            .collect();
        for m in &cfg.municipalities {
            if !present.contains(m.code.as_str()) {
                note(
                    format!("police {}: no rows for {} ({})", q.code(), m.name, m.code),
                    false,
                );
            }
        }
    }
    if let Some(first) = held.first() {
        let mut gaps = Vec::new();
        let mut x = *first;
        while x < q {
            if !held.contains(&x) {
                gaps.push(x.code());
            }
            x = x.next();
        }
        if !gaps.is_empty() {
            note(
                format!("quarters without an extract: {}", gaps.join(", ")),
                false,
            );
        }
    }

    // Population for the rates and the region's coverage.
    if inbox.population.is_empty() {
        note(
            "no population tables in population/ (rates per 1 000 and the region's coverage are left out)"
                .into(),
            false,
        );
    } else {
        let mut population = Population::default();
        for f in &inbox.population {
            let bytes = fs::read(&f.path).map_err(file_err(&f.path))?;
            match read_population(&f.name, &bytes, &harmoniser) {
                Ok(p) => population.merge(p),
                Err(e) => note(e.to_string(), true),
            }
        }
        let youth = AgeRange {
            from: 10,
            to: Some(25),
        };
        let lacking: Vec<&str> = cfg
            .municipalities
            .iter()
            .filter(|m| population.exact(&m.code, q.year(), youth).is_none())
            .map(|m| m.name.as_str())
            .collect();
        if !lacking.is_empty() {
            note(
                format!(
                    "the population tables do not cover 1 January {} for {} (the nearest year is used; latest held: {})",
                    q.year(),
                    lacking.join(", "),
                    population
                        .latest_year()
                        .map_or_else(|| "none".to_owned(), |y| y.to_string())
                ),
                false,
            );
        }
    }

    if let Some((wave, step)) = expected_wave(&years, q.year()) {
        note(
            format!(
                "Ungdata {wave} expected (a wave every {step} years since {}) but no survey file holds it",
                years.first().copied().unwrap_or(wave)
            ),
            false,
        );
    }
    // Failures first, in the order found.
    let mut by_kind: BTreeMap<bool, Vec<Missing>> = BTreeMap::new();
    for m in missing {
        by_kind.entry(!m.stops_the_run).or_default().push(m);
    }
    Ok(Preflight {
        quarter,
        missing: by_kind.into_values().flatten().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_wave_is_expected_from_an_even_cycle() {
        let years: BTreeSet<i32> = [2016, 2019, 2022].into_iter().collect();
        assert_eq!(expected_wave(&years, 2025), Some((2025, 3)));
        assert_eq!(expected_wave(&years, 2024), None);
        let one: BTreeSet<i32> = [2022].into_iter().collect();
        assert_eq!(expected_wave(&one, 2030), None, "one wave is no cycle");
    }
}
