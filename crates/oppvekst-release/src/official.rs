//! The plausibility check against SSB's official 08487: for each configured municipality,
//! the local police extract's last two full years beside SSB's published figures for the same
//! years (offences reported, average per year, by offence group). The local figure is summed
//! from published cells of the protected police table only — a year with a hidden quarter is
//! shown as hidden — so the check says nothing the bundle does not already publish.

use std::collections::{BTreeSet, HashMap};

use oppvekst_bundle::OfficialComparison;
use oppvekst_disclosure::ProtectedTable;
use oppvekst_ingest_police::ssb::SsbValue;
use oppvekst_ingest_police::statbank::WideValue;
use oppvekst_schema::Harmoniser;
use oppvekst_schema::codes::{AGE_ALL, OFFENCE_GROUPS, OFFENCE_TOTAL};
use oppvekst_schema::quarter::Quarter;

use crate::config::Municipality;

/// Whether an official value counts offences (rather than offences per 1 000 residents).
fn is_count(measure: &str) -> bool {
    let m = measure.to_lowercase();
    !(m.contains("per 1") || m.contains("1 000") || m.contains("1000") || m.contains("prosent"))
}

/// The years of a period (`2024`, `2023-2024`).
fn years(period: &str) -> Option<(i32, i32)> {
    match period.split_once('-') {
        Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
        None => period.parse().ok().map(|y| (y, y)),
    }
}

/// The comparison rows: municipality × period × offence group (all groups first).
pub fn compare(
    official: &[WideValue],
    police: &ProtectedTable,
    municipalities: &[Municipality],
    harmoniser: &Harmoniser,
) -> Vec<OfficialComparison> {
    let published: HashMap<&[String], Option<u64>> = police
        .cells()
        .iter()
        .map(|c| (c.key(), c.value()))
        .collect();
    let quarters: BTreeSet<Quarter> = police
        .cells()
        .iter()
        .filter_map(|c| c.key().get(1)?.parse().ok())
        .collect();
    // The last two full years of the local extract.
    let full: Vec<i32> = quarters
        .iter()
        .map(|q| q.year())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter(|&y| (1..=4u8).all(|k| Quarter::new(y, k).is_some_and(|q| quarters.contains(&q))))
        .collect();
    let Some(&last) = full.last() else {
        return Vec::new();
    };
    let window = (last - 1, last);
    let groups: Vec<&str> = std::iter::once(OFFENCE_TOTAL)
        .chain(OFFENCE_GROUPS.iter().map(|(c, _)| *c))
        .collect();
    let mut out = Vec::new();
    for m in municipalities {
        for v in official {
            let Some(code) = &v.municipality else {
                continue;
            };
            if harmoniser.current(code).as_deref() != Some(m.code.as_str()) || !is_count(&v.measure)
            {
                continue;
            }
            let Some(group) = v.group.as_deref().filter(|g| groups.contains(g)) else {
                continue;
            };
            let Some((a, b)) = years(&v.period) else {
                continue;
            };
            if a < window.0 || b > window.1 || !(a..=b).all(|y| full.contains(&y)) {
                continue;
            }
            // Published quarters only: one hidden quarter hides the local figure.
            let mut sum = Some(0u64);
            for q in (a..=b).flat_map(|y| (1..=4u8).filter_map(move |k| Quarter::new(y, k))) {
                let key = [
                    m.code.clone(),
                    q.code(),
                    group.to_owned(),
                    AGE_ALL.to_owned(),
                ];
                let cell = published.get(key.as_slice()).copied().flatten();
                sum = sum.zip(cell).map(|(s, c)| s + c);
            }
            let n_years = f64::from(b - a + 1);
            let (ssb, ssb_symbol) = match v.value {
                SsbValue::Number(x) => (Some(x), None),
                SsbValue::Zero => (Some(0.0), None),
                SsbValue::Hidden => (None, Some(":")),
                SsbValue::Missing => (None, Some("..")),
                SsbValue::NotApplicable => (None, Some(".")),
            };
            out.push(OfficialComparison {
                municipality: m.name.clone(),
                period: v.period.clone(),
                group: group.to_owned(),
                local: sum.map(|s| s as f64 / n_years),
                ssb,
                ssb_symbol,
            });
        }
    }
    out.sort_by(|x, y| {
        (
            &x.municipality,
            &x.period,
            groups.iter().position(|g| *g == x.group),
        )
            .cmp(&(
                &y.municipality,
                &y.period,
                groups.iter().position(|g| *g == y.group),
            ))
    });
    out.dedup();
    out
}
