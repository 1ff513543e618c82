//! Mapping an export's header onto the codebook (aliases for names that drift between
//! years). A leaf module.

use std::collections::{BTreeMap, BTreeSet};

use oppvekst_schema::Catalogue;

use crate::IngestError;

pub(crate) struct Columns {
    pub(crate) id: usize,
    pub(crate) year: usize,
    pub(crate) municipality: usize,
    pub(crate) school_level: Option<usize>,
    pub(crate) grade: usize,
    pub(crate) gender: usize,
    /// Source column per codebook item (None when the file lacks the item).
    pub(crate) items: Vec<Option<usize>>,
    pub(crate) unknown: Vec<String>,
}

fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

pub(crate) fn map_columns(
    file: &str,
    header: &[String],
    cat: &Catalogue,
) -> Result<Columns, IngestError> {
    let cb = &cat.codebook;
    let mut used: BTreeMap<usize, String> = BTreeMap::new();
    let mut find =
        |variable: &str, names: &[String], required: bool| -> Result<Option<usize>, IngestError> {
            let wanted: BTreeSet<String> = names
                .iter()
                .map(|n| norm(n))
                .chain([norm(variable)])
                .collect();
            let hits: Vec<usize> = header
                .iter()
                .enumerate()
                .filter(|(_, h)| wanted.contains(&norm(h)))
                .map(|(i, _)| i)
                .collect();
            if hits.len() > 1 {
                return Err(IngestError::AmbiguousColumn {
                    file: file.to_owned(),
                    variable: variable.to_owned(),
                    first: header[hits[0]].clone(),
                    second: header[hits[1]].clone(),
                });
            }
            match hits.first() {
                Some(&i) => {
                    used.insert(i, variable.to_owned());
                    Ok(Some(i))
                }
                None if required => Err(IngestError::MissingColumn {
                    file: file.to_owned(),
                    variable: variable.to_owned(),
                    aliases: names.join(", "),
                }),
                None => Ok(None),
            }
        };
    // Invariant for the `unwrap_or(0)`s below: `find(.., true)` returns Some or an error.
    let id = find("respondent_id", &cb.respondent_id.aliases, true)?.unwrap_or(0);
    let year = find("survey_year", &cb.survey_year.aliases, true)?.unwrap_or(0);
    let municipality = find("municipality", &cb.municipality.aliases, true)?.unwrap_or(0);
    let school_level = find("school_level", &cb.school_level.aliases, false)?;
    let grade = find("grade", &cb.grade.aliases, true)?.unwrap_or(0);
    let gender = find("gender", &cb.gender.aliases, true)?.unwrap_or(0);
    let mut items = Vec::with_capacity(cb.items.len());
    for item in &cb.items {
        items.push(find(&item.id, &item.aliases, false)?);
    }
    // Variables the codebook knows and no figure uses are neither imported nor unknown.
    let other: BTreeSet<String> = cb.other_variables.iter().map(|v| norm(v)).collect();
    let unknown = header
        .iter()
        .enumerate()
        .filter(|(i, h)| !used.contains_key(i) && !h.trim().is_empty() && !other.contains(&norm(h)))
        .map(|(_, h)| h.trim().to_owned())
        .collect();
    Ok(Columns {
        id,
        year,
        municipality,
        school_level,
        grade,
        gender,
        items,
        unknown,
    })
}
