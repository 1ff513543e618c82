//! Population tables from SSB (07459 by single-year age, 01222 per quarter) → [`Population`],
//! with municipality numbers harmonised through the shared KLASS change list.
//!
//! 07459: dimensions `Region`, optionally `Kjonn` (summed), `Alder` (`000` … `105+`),
//! `ContentsCode` (persons) and `Tid` (year). 01222: `Region`, `ContentsCode`, `Tid` (`2025K1`);
//! the population at the start of a year's first quarter becomes that year's all-ages total.
//! A cell SSB marks as missing or hidden makes its age unknown, never zero.

use oppvekst_schema::Harmoniser;
use oppvekst_schema::population::{MAX_AGE, Population};
use oppvekst_schema::quarter::Quarter;

use crate::ssb::{SsbError, SsbTable, SsbValue};

fn err(file: &str, m: impl Into<String>) -> SsbError {
    SsbError {
        file: file.to_owned(),
        message: m.into(),
    }
}

/// Content codes that are a population count (07459 `Personer1`, 01222 `Folketallet1`).
fn is_population_content(code: &str) -> bool {
    let c = code.to_lowercase();
    c.starts_with("personer") || c == "folketallet1"
}

/// Reads an SSB population table (07459 or 01222) already parsed by [`crate::ssb`].
pub fn population_from_ssb(
    file: &str,
    table: &SsbTable,
    harmoniser: &Harmoniser,
) -> Result<Population, SsbError> {
    let find = |ids: &[&str]| {
        table
            .dimensions
            .iter()
            .position(|d| ids.iter().any(|id| d.id.eq_ignore_ascii_case(id)))
    };
    let region = find(&["Region"]).ok_or_else(|| err(file, "no `Region` dimension"))?;
    let time = find(&["Tid"]).ok_or_else(|| err(file, "no `Tid` dimension"))?;
    let age = find(&["Alder"]);
    let content = find(&["ContentsCode"]);
    let mut pop = Population::default();
    let label = table.label.split(':').next().unwrap_or("").trim();
    pop.sources.push(if label.is_empty() {
        format!("SSB ({file})")
    } else {
        format!("SSB {label}")
    });
    // Parse every age code once: `000`, `15`, `105+`.
    let ages: Vec<usize> = match age {
        Some(a) => table.dimensions[a]
            .categories
            .iter()
            .enumerate()
            .map(|(i, (code, _))| {
                code.trim_end_matches('+')
                    .trim()
                    .parse::<usize>()
                    .map_err(|_| {
                        err(
                            file,
                            format!("`Alder` category {} is not an age in years", i + 1),
                        )
                    })
            })
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    let sizes: Vec<usize> = table
        .dimensions
        .iter()
        .map(|d| d.categories.len())
        .collect();
    if sizes.iter().product::<usize>() != table.values.len() {
        return Err(err(file, "number of values does not match the dimensions"));
    }
    // Cells per (municipality number as given, year): a number not in force in a year comes
    // as `.` (or empty) in every cell and is skipped; a block with numbers is used whole.
    type Block = Vec<(usize, Option<u64>)>;
    let mut blocks: std::collections::BTreeMap<(String, i32), Block> = Default::default();
    let mut idx = vec![0usize; sizes.len()];
    for value in &table.values {
        let cat = |d: usize| table.dimensions[d].categories[idx[d]].0.as_str();
        if content.is_none_or(|c| is_population_content(cat(c))) {
            let t = cat(time);
            let (year, first_quarter) = match t.parse::<Quarter>() {
                Ok(q) => (Some(q.year()), q.number() == 1),
                Err(_) => (t.parse::<i32>().ok(), true),
            };
            let Some(year) = year else {
                return Err(err(
                    file,
                    format!("`Tid` category {} is not a year or quarter", idx[time] + 1),
                ));
            };
            let persons = match value {
                SsbValue::Number(v) if *v >= 0.0 && v.fract() == 0.0 => Some(*v as u64),
                SsbValue::Zero => Some(0),
                _ => None,
            };
            // Without ages only the first quarter's start population counts (01222).
            if age.is_some() || first_quarter {
                let a = age.map_or(usize::MAX, |a| ages[idx[a]]);
                blocks
                    .entry((cat(region).to_owned(), year))
                    .or_default()
                    .push((a, persons));
            }
        }
        // Advance the row-major index (last dimension fastest).
        for d in (0..sizes.len()).rev() {
            idx[d] += 1;
            if idx[d] < sizes[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    for ((raw_region, year), cells) in blocks {
        if cells.iter().all(|(_, p)| p.is_none()) {
            continue;
        }
        let municipality = harmoniser
            .current(&raw_region)
            .unwrap_or_else(|| raw_region.clone());
        if age.is_none() {
            if let Some(total) = cells.iter().map(|(_, p)| *p).sum::<Option<u64>>() {
                pop.add_total(&municipality, year, total);
            }
            continue;
        }
        let mut seen = vec![false; MAX_AGE + 1];
        for (a, persons) in cells {
            pop.add_age(&municipality, year, a, persons);
            seen[a.min(MAX_AGE)] = true;
        }
        pop.mark_missing(&municipality, year, &seen);
    }
    if pop.is_empty() {
        return Err(err(
            file,
            "no population figures (ContentsCode Personer/Folketallet)",
        ));
    }
    Ok(pop)
}

/// The age a label of a wide 07459 table names (`15 år`, `15`, `105 år eller eldre`).
fn age_of(label: &str) -> Option<usize> {
    label.split(" / ").find_map(|part| {
        let t = part.trim();
        let digits: String = t.chars().take_while(char::is_ascii_digit).collect();
        let rest = t[digits.len()..].trim().to_lowercase();
        (!digits.is_empty()
            && (rest.is_empty() || rest.starts_with("år") || rest.starts_with("year")))
        .then(|| digits.parse().ok())
        .flatten()
    })
}

/// A wide StatBank table of population (07459: region × year, a column per age, or ages as a
/// label column) as the table the SSB readers give, so one reading of it serves every format.
pub fn population_table(
    file: &str,
    values: &[crate::statbank::WideValue],
) -> Result<SsbTable, SsbError> {
    use std::collections::BTreeMap;
    let region_code =
        |v: &crate::statbank::WideValue| v.municipality.clone().unwrap_or_else(|| v.region.clone());
    let aged = values.iter().any(|v| age_of(&v.measure).is_some());
    let mut cells: BTreeMap<(String, String, String), SsbValue> = BTreeMap::new();
    for v in values {
        if v.period.contains('-') {
            return Err(err(
                file,
                "a population table gives single years, not periods",
            ));
        }
        let age = match (aged, age_of(&v.measure)) {
            (true, Some(a)) => a.to_string(),
            // An "all ages" column beside single ages is the total: left out.
            (true, None) => continue,
            (false, _) => String::new(),
        };
        cells.insert((region_code(v), age, v.period.clone()), v.value);
    }
    let cats = |k: usize| -> Vec<(String, String)> {
        let mut set: Vec<String> = cells
            .keys()
            .map(|key| match k {
                0 => key.0.clone(),
                1 => key.1.clone(),
                _ => key.2.clone(),
            })
            .collect();
        set.sort_by_key(|c| (c.parse::<usize>().unwrap_or(usize::MAX), c.clone()));
        set.dedup();
        set.into_iter().map(|c| (c.clone(), c)).collect()
    };
    let dim = |id: &str, categories| crate::ssb::SsbDimension {
        id: id.to_owned(),
        label: id.to_owned(),
        categories,
    };
    let mut dimensions = vec![dim("Region", cats(0))];
    if aged {
        dimensions.push(dim("Alder", cats(1)));
    }
    dimensions.push(dim("Tid", cats(2)));
    let mut table = SsbTable {
        label: "07459".to_owned(),
        values: Vec::new(),
        dimensions,
    };
    let n: usize = table
        .dimensions
        .iter()
        .map(|d| d.categories.len())
        .product();
    table.values = vec![SsbValue::Missing; n];
    let pos = |d: &crate::ssb::SsbDimension, c: &str| d.categories.iter().position(|(x, _)| x == c);
    for ((region, age, year), v) in &cells {
        let mut idx = 0;
        let codes: Vec<&str> = if aged {
            vec![region, age, year]
        } else {
            vec![region, year]
        };
        for (d, c) in table.dimensions.iter().zip(codes) {
            // Every code was collected from `cells` above.
            idx = idx * d.categories.len() + pos(d, c).unwrap_or(0);
        }
        table.values[idx] = *v;
    }
    Ok(table)
}

/// Reads a population file by its extension: `.json` (JSON-stat 1.x or 2.0), `.px`, or the
/// StatBank's wide layout as `.csv` or `.xlsx` (see [`crate::statbank`]).
pub fn read_population(
    file: &str,
    bytes: &[u8],
    harmoniser: &Harmoniser,
) -> Result<Population, SsbError> {
    let lower = file.to_lowercase();
    let table = if lower.ends_with(".json") {
        crate::ssb::read_jsonstat(file, bytes)?
    } else if lower.ends_with(".px") {
        crate::ssb::read_px(file, bytes)?
    } else if lower.ends_with(".csv") {
        population_table(file, &crate::statbank::read_wide_csv(file, bytes)?)?
    } else if lower.ends_with(".xlsx") {
        population_table(file, &crate::statbank::read_wide_xlsx(file, bytes)?)?
    } else {
        return Err(err(
            file,
            "population tables are read from JSON-stat (.json), PC-Axis (.px) or the StatBank's wide CSV or XLSX",
        ));
    };
    population_from_ssb(file, &table, harmoniser)
}
