//! Synthetic Ungdata-style respondent exports.

use oppvekst_schema::Catalogue;
use rand_chacha::ChaCha8Rng;

use crate::random::{chance, normal, weighted};
use crate::{MUNICIPALITIES, SynthFile, WAVES, to_windows_1252};

/// Which latent trait drives an item (gives realistic correlation between items).
#[derive(Clone, Copy)]
enum Trait {
    Risk,
    Distress,
    Wellbeing,
}

/// How one item is generated: P(yes) per grade 8,9,10,VG1,VG2,VG3 for an average pupil in
/// Fredrikstad 2025, odds ratios for girls vs boys, survey year and Sarpsborg, and the
/// answer codes used for "yes" and "no" with their weights.
struct ItemModel {
    item: &'static str,
    by_grade: [f64; 6],
    girl_or: f64,
    year_or: [f64; 4],
    sarpsborg_or: f64,
    latent: (Trait, f64),
    yes: &'static [(i64, f64)],
    no: &'static [(i64, f64)],
}

const FREQ_YES: &[(i64, f64)] = &[(2, 0.5), (3, 0.3), (4, 0.1), (5, 0.1)];
const FREQ_NO: &[(i64, f64)] = &[(1, 1.0)];
const FLAT: [f64; 4] = [1.0, 1.0, 1.0, 1.0];

const MODELS: &[ItemModel] = &[
    ItemModel {
        item: "beruset_12m",
        by_grade: [0.04, 0.12, 0.25, 0.42, 0.56, 0.66],
        girl_or: 1.1,
        year_or: [1.25, 0.9, 0.85, 1.15],
        sarpsborg_or: 1.2,
        latent: (Trait::Risk, 0.8),
        yes: FREQ_YES,
        no: FREQ_NO,
    },
    ItemModel {
        item: "cannabis_12m",
        by_grade: [0.01, 0.03, 0.06, 0.09, 0.13, 0.16],
        girl_or: 0.6,
        year_or: [0.9, 1.0, 1.1, 1.2],
        sarpsborg_or: 1.15,
        latent: (Trait::Risk, 0.9),
        yes: FREQ_YES,
        no: FREQ_NO,
    },
    ItemModel {
        item: "mobbet",
        by_grade: [0.09, 0.08, 0.07, 0.06, 0.05, 0.05],
        girl_or: 1.05,
        year_or: [1.0, 0.95, 1.05, 1.1],
        sarpsborg_or: 1.1,
        latent: (Trait::Distress, 0.6),
        yes: &[(1, 0.45), (2, 0.55)],
        no: &[(3, 0.1), (4, 0.2), (5, 0.7)],
    },
    ItemModel {
        item: "ensom",
        by_grade: [0.18, 0.22, 0.25, 0.24, 0.24, 0.24],
        girl_or: 2.6,
        year_or: [0.8, 0.9, 1.15, 1.1],
        sarpsborg_or: 1.05,
        latent: (Trait::Distress, 0.8),
        yes: &[(3, 0.65), (4, 0.35)],
        no: &[(1, 0.55), (2, 0.45)],
    },
    ItemModel {
        item: "lokalmiljo",
        by_grade: [0.74, 0.71, 0.68, 0.66, 0.66, 0.66],
        girl_or: 0.95,
        year_or: [1.0, 1.05, 1.0, 0.95],
        sarpsborg_or: 0.85,
        latent: (Trait::Wellbeing, 0.6),
        yes: &[(1, 0.6), (2, 0.4)],
        no: &[(3, 0.5), (4, 0.3), (5, 0.2)],
    },
    ItemModel {
        item: "trygg",
        by_grade: [0.86, 0.85, 0.84, 0.83, 0.83, 0.83],
        girl_or: 0.6,
        year_or: [1.1, 1.05, 1.0, 0.9],
        sarpsborg_or: 0.85,
        latent: (Trait::Wellbeing, 0.5),
        yes: &[(1, 0.7), (2, 0.3)],
        no: &[(3, 0.6), (4, 0.4)],
    },
    ItemModel {
        item: "fritidsorg",
        by_grade: [0.63, 0.57, 0.52, 0.40, 0.35, 0.32],
        girl_or: 0.9,
        year_or: [1.1, 1.05, 0.9, 0.95],
        sarpsborg_or: 0.9,
        latent: (Trait::Wellbeing, 0.4),
        yes: &[(1, 1.0)],
        no: &[(2, 0.6), (3, 0.4)],
    },
    ItemModel {
        item: "trening",
        by_grade: [0.10, 0.12, 0.14, 0.18, 0.20, 0.22],
        girl_or: 1.2,
        year_or: [0.9, 0.95, 1.1, 1.05],
        sarpsborg_or: 1.1,
        latent: (Trait::Distress, 0.4),
        // Trener9: 1–3 less than weekly, 4–6 weekly or more.
        yes: &[(1, 0.2), (2, 0.35), (3, 0.45)],
        no: &[(4, 0.3), (5, 0.45), (6, 0.25)],
    },
    ItemModel {
        item: "framtid",
        by_grade: [0.76, 0.73, 0.70, 0.68, 0.68, 0.68],
        girl_or: 0.85,
        year_or: [1.05, 1.05, 0.95, 0.95],
        sarpsborg_or: 0.95,
        latent: (Trait::Wellbeing, 0.7),
        yes: &[(1, 1.0)],
        no: &[(2, 0.2), (3, 0.8)],
    },
    ItemModel {
        item: "skadet_vold",
        by_grade: [0.05, 0.05, 0.05, 0.04, 0.04, 0.03],
        girl_or: 0.6,
        year_or: [1.0, 0.95, 1.0, 1.2],
        sarpsborg_or: 1.15,
        latent: (Trait::Risk, 0.7),
        yes: &[(2, 0.8), (3, 0.2)],
        no: &[(1, 1.0)],
    },
    ItemModel {
        item: "slasskamp",
        by_grade: [0.12, 0.12, 0.12, 0.10, 0.08, 0.07],
        girl_or: 0.45,
        year_or: [1.0, 0.9, 1.0, 1.25],
        sarpsborg_or: 1.1,
        latent: (Trait::Risk, 0.9),
        yes: FREQ_YES,
        no: FREQ_NO,
    },
    ItemModel {
        item: "nasking",
        by_grade: [0.06, 0.08, 0.09, 0.08, 0.07, 0.06],
        girl_or: 0.9,
        year_or: [1.1, 0.9, 1.0, 1.1],
        sarpsborg_or: 1.05,
        latent: (Trait::Risk, 0.9),
        yes: FREQ_YES,
        no: FREQ_NO,
    },
    ItemModel {
        item: "skulk",
        by_grade: [0.10, 0.15, 0.20, 0.25, 0.30, 0.32],
        girl_or: 1.05,
        year_or: [0.9, 0.95, 1.1, 1.15],
        sarpsborg_or: 1.1,
        latent: (Trait::Risk, 0.8),
        yes: FREQ_YES,
        no: FREQ_NO,
    },
    ItemModel {
        item: "atfpro1",
        by_grade: [0.04, 0.05, 0.06, 0.05, 0.04, 0.03],
        girl_or: 0.6,
        year_or: FLAT,
        sarpsborg_or: 1.0,
        latent: (Trait::Risk, 1.0),
        yes: FREQ_YES,
        no: FREQ_NO,
    },
    ItemModel {
        item: "atfpro12",
        by_grade: [0.08, 0.09, 0.09, 0.07, 0.06, 0.05],
        girl_or: 0.5,
        year_or: FLAT,
        sarpsborg_or: 1.05,
        latent: (Trait::Risk, 1.0),
        yes: FREQ_YES,
        no: FREQ_NO,
    },
    ItemModel {
        item: "atfpro15",
        by_grade: [0.03, 0.04, 0.04, 0.04, 0.03, 0.03],
        girl_or: 0.6,
        year_or: FLAT,
        sarpsborg_or: 1.05,
        latent: (Trait::Risk, 1.1),
        yes: FREQ_YES,
        no: FREQ_NO,
    },
    ItemModel {
        item: "atfpro18",
        by_grade: [0.05, 0.07, 0.08, 0.07, 0.06, 0.05],
        girl_or: 0.7,
        year_or: FLAT,
        sarpsborg_or: 1.05,
        latent: (Trait::Risk, 1.0),
        yes: FREQ_YES,
        no: FREQ_NO,
    },
    ItemModel {
        item: "atfpro25",
        by_grade: [0.06, 0.08, 0.10, 0.09, 0.08, 0.07],
        girl_or: 0.8,
        year_or: FLAT,
        sarpsborg_or: 1.05,
        latent: (Trait::Risk, 1.0),
        yes: FREQ_YES,
        no: FREQ_NO,
    },
];

/// Share with depressive symptoms per grade (girls far above boys).
const DEPRESSIVE_BY_GRADE: [f64; 6] = [0.12, 0.16, 0.20, 0.22, 0.22, 0.21];
const DEPRESSIVE_GIRL_OR: f64 = 2.8;
const DEPRESSIVE_YEAR_OR: [f64; 4] = [0.8, 0.9, 1.15, 1.1];

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[allow(clippy::too_many_arguments)]
fn probability(base: f64, girl_or: f64, girl: bool, year_or: f64, mun_or: f64, latent: f64) -> f64 {
    let gender = if girl {
        girl_or.sqrt()
    } else {
        1.0 / girl_or.sqrt()
    };
    logistic(logit(base) + gender.ln() + year_or.ln() + mun_or.ln() + latent)
}

fn pick(rng: &mut ChaCha8Rng, codes: &[(i64, f64)]) -> i64 {
    let weights: Vec<f64> = codes.iter().map(|c| c.1).collect();
    codes[weighted(rng, &weights)].0
}

/// Generates one CSV per municipality and wave.
pub fn generate(rng: &mut ChaCha8Rng) -> Vec<SynthFile> {
    // Invariant: the built-in catalogue is validated by oppvekst-schema's tests.
    #[allow(clippy::expect_used)]
    let catalogue = Catalogue::builtin().expect("built-in catalogue is valid");
    let cb = &catalogue.codebook;
    // The model of each codebook item (None for the depressive-symptoms scale), found once.
    let models: Vec<Option<&ItemModel>> = cb
        .items
        .iter()
        .map(|i| MODELS.iter().find(|m| m.item == i.id))
        .collect();
    // NOVA's Klasse code of each grade 8..13, from the codebook (1..6).
    let grade_codes: Vec<String> = (8..=13)
        .map(|grade| {
            cb.grade
                .codes
                .iter()
                .find(|(_, g)| **g == grade)
                .map_or_else(|| grade.to_string(), |(code, _)| code.clone())
        })
        .collect();
    let mut files = Vec::new();
    for (wi, &year) in WAVES.iter().enumerate() {
        let old_names = year < 2020;
        let name = |aliases: &[String], canonical: &str, old: usize, new: usize| -> String {
            let i = if old_names { old } else { new };
            aliases
                .get(i)
                .cloned()
                .unwrap_or_else(|| canonical.to_owned())
        };
        let mut header = vec![
            name(&cb.respondent_id.aliases, "ID", 0, 0),
            name(&cb.survey_year.aliases, "år", 1, 0),
            name(&cb.municipality.aliases, "kommune", 1, 0),
            name(&cb.school_level.aliases, "skoleniva", 0, 1),
            name(&cb.grade.aliases, "Klasse", 0, 0),
            name(&cb.gender.aliases, "KJONN", 0, 2),
            // Carried by NOVA's files, used by no figure (the codebook knows them).
            "tidspunkt".to_owned(),
            "vekt2020".to_owned(),
            "SOES".to_owned(),
        ];
        // Items under NOVA's names (the codebook's first alias: `Trener9`, `Depr1`,
        // `skolprob4`, `Atfpro1` …), written in lower case from 2020 as NOVA's file does
        // (`trener9`): names match without regard to case.
        for item in &cb.items {
            let nova = item
                .aliases
                .first()
                .cloned()
                .unwrap_or_else(|| item.id.clone());
            header.push(if old_names { nova } else { nova.to_lowercase() });
        }
        for (mi, m) in MUNICIPALITIES.iter().enumerate() {
            let code = m.code_in(year);
            let sarpsborg = mi == 1;
            let mut rows: Vec<Vec<String>> = Vec::new();
            let mut seq = 0u32;
            // `g` indexes the per-grade arrays of every item model, not one slice.
            #[allow(clippy::needless_range_loop)]
            for g in 0..6usize {
                let response = if g < 3 { 0.85 } else { 0.66 };
                let n =
                    (m.pupils_per_grade as f64 * (response + 0.04 * normal(rng))).round() as u32;
                for _ in 0..n {
                    seq += 1;
                    let girl = chance(rng, 0.5);
                    let risk = normal(rng);
                    let distress = normal(rng);
                    let wellbeing = -0.5 * distress + 0.85 * normal(rng);
                    let mut row = vec![
                        format!("{}{}-{:05}", &m.name[..1], year, seq),
                        year.to_string(),
                        code.to_owned(),
                        if g < 3 { "1" } else { "2" }.to_owned(),
                        grade_codes[g].clone(),
                        if girl { "2" } else { "1" }.to_owned(),
                        // NOVA: spring 1, autumn 2; 99 in every file since 2021.
                        if year >= 2021 { "99" } else { "1" }.to_owned(),
                        "1".to_owned(),
                        (1 + seq % 3).to_string(),
                    ];
                    let depressed = chance(
                        rng,
                        probability(
                            DEPRESSIVE_BY_GRADE[g],
                            DEPRESSIVE_GIRL_OR,
                            girl,
                            DEPRESSIVE_YEAR_OR[wi],
                            if sarpsborg { 1.05 } else { 1.0 },
                            0.9 * distress,
                        ),
                    );
                    for model in &models {
                        let code = if let Some(model) = model {
                            let z = match model.latent.0 {
                                Trait::Risk => risk,
                                Trait::Distress => distress,
                                Trait::Wellbeing => wellbeing,
                            } * model.latent.1;
                            let p = probability(
                                model.by_grade[g],
                                model.girl_or,
                                girl,
                                model.year_or[wi],
                                if sarpsborg { model.sarpsborg_or } else { 1.0 },
                                z,
                            );
                            if chance(rng, p) {
                                pick(rng, model.yes)
                            } else {
                                pick(rng, model.no)
                            }
                        } else {
                            // depr1..depr6: items of the depressive-symptoms scale
                            let w = if depressed {
                                [0.03, 0.17, 0.42, 0.38]
                            } else {
                                [0.45, 0.40, 0.12, 0.03]
                            };
                            weighted(rng, &w) as i64 + 1
                        };
                        let missing = rng_missing(rng, old_names);
                        row.push(match missing {
                            Some(m) => m,
                            None => code.to_string(),
                        });
                    }
                    rows.push(row);
                }
            }
            if sarpsborg && year == 2025 {
                add_bad_rows(&mut rows);
            }
            let stem = format!("survey/ungdata_{}_{}", m.name.to_lowercase(), year);
            // Fredrikstad's newest wave comes as NOVA delivers it, an SPSS file with value
            // labels; the rest as CSV exports (Sarpsborg 2025 with the rows a CSV can get
            // wrong).
            if year == 2025 && !sarpsborg {
                // Invariant: the generator's own table always fits the SPSS writer.
                #[allow(clippy::expect_used)]
                let bytes = crate::sav::write(&header, &rows, &catalogue, "Ungdata (syntetisk)")
                    .expect("the demo's SPSS file is writable");
                files.push(SynthFile {
                    path: format!("{stem}.sav"),
                    bytes,
                });
                continue;
            }
            let mut text = String::new();
            text.push_str(&header.join(";"));
            text.push_str("\r\n");
            for r in &rows {
                text.push_str(&r.join(";"));
                text.push_str("\r\n");
            }
            let bytes = if old_names {
                to_windows_1252(&text)
            } else {
                let mut b = vec![0xEF, 0xBB, 0xBF];
                b.extend_from_slice(text.as_bytes());
                b
            };
            files.push(SynthFile {
                path: format!("{stem}.csv"),
                bytes,
            });
        }
    }
    files
}

/// Missing answers: 98 (not answered) and 99 (not asked); newer exports also leave blanks.
fn rng_missing(rng: &mut ChaCha8Rng, old_names: bool) -> Option<String> {
    let x = crate::random::weighted(rng, &[0.97, 0.02, 0.005, 0.005]);
    match x {
        1 => Some("98".into()),
        2 => Some("99".into()),
        3 => Some(if old_names {
            "98".into()
        } else {
            String::new()
        }),
        _ => None,
    }
}

/// Four rows an analyst would meet in real exports: an out-of-range answer, a duplicated
/// respondent id, a VG grade at ungdomsskole, and a row with a field missing.
fn add_bad_rows(rows: &mut Vec<Vec<String>>) {
    if rows.len() < 3 {
        return;
    }
    let mut out_of_range = rows[0].clone();
    out_of_range[0] = "S2025-90001".into();
    out_of_range[9] = "7".into(); // the first item, beruset: codes 1–5
    let duplicate = rows[1].clone();
    let mut bad_grade = rows[2].clone();
    bad_grade[0] = "S2025-90002".into();
    bad_grade[3] = "1".into();
    bad_grade[4] = "4".into();
    let mut short = rows[2].clone();
    short[0] = "S2025-90003".into();
    short.pop();
    rows.extend([out_of_range, duplicate, bad_grade, short]);
}
