//! Synthetic quarterly police extracts (the local extract format of data-schema).

use oppvekst_schema::codes::{AGE_BANDS, OFFENCE_GROUPS};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::random::poisson;
use crate::{MUNICIPALITIES, SynthFile, to_windows_1252};

/// Offences per quarter in Fredrikstad, all ages, by offence group (SSB 2015 order);
/// about 1,300 a quarter in all, in line with 08487's 5,187 a year.
const BASE: [f64; 9] = [330.0, 105.0, 100.0, 180.0, 38.0, 160.0, 105.0, 235.0, 50.0];
/// Share of offences with a suspect in each age band (10–14, 15–17, 18–20, 21–25), per group.
const AGE_SHARE: [[f64; 4]; 9] = [
    [0.03, 0.06, 0.05, 0.06],
    [0.01, 0.04, 0.06, 0.08],
    [0.08, 0.12, 0.07, 0.05],
    [0.04, 0.10, 0.10, 0.11],
    [0.03, 0.08, 0.07, 0.07],
    [0.005, 0.07, 0.16, 0.18],
    [0.04, 0.09, 0.08, 0.08],
    [0.002, 0.03, 0.10, 0.12],
    [0.02, 0.05, 0.06, 0.07],
];
/// Seasonal factor per quarter and group: violence and public order peak in summer.
const SEASON: [[f64; 4]; 9] = [
    [0.95, 1.0, 1.1, 0.95],
    [1.0, 1.0, 1.0, 1.0],
    [0.9, 1.1, 1.1, 0.9],
    [0.9, 1.1, 1.15, 0.85],
    [0.95, 1.05, 1.05, 0.95],
    [1.0, 1.05, 1.0, 0.95],
    [0.85, 1.15, 1.15, 0.85],
    [0.9, 1.05, 1.1, 0.95],
    [1.0, 1.0, 1.0, 1.0],
];
/// Yearly trend per group from 2016 (index 0) to 2025: theft falls, youth violence rises
/// after 2021.
fn trend(group: usize, year: i32, band: Option<usize>) -> f64 {
    let t = (year - 2016) as f64;
    match group {
        0 => 1.0 - 0.035 * t,
        3 if band.is_some_and(|b| b <= 1) && year >= 2022 => 1.0 + 0.18 * (year - 2021) as f64,
        5 => 1.0 - 0.02 * t,
        _ => 1.0 + 0.005 * t,
    }
}

/// Share of a group's offences carrying each flag (vold i nære relasjoner, hatkriminalitet,
/// uteliv), per group in SSB 2015 order.
const FLAG_SHARE: [[f64; 3]; 9] = [
    [0.0, 0.0, 0.02],
    [0.0, 0.0, 0.0],
    [0.0, 0.01, 0.06],
    [0.24, 0.012, 0.18],
    [0.14, 0.0, 0.08],
    [0.0, 0.0, 0.05],
    [0.03, 0.03, 0.22],
    [0.0, 0.0, 0.01],
    [0.05, 0.005, 0.0],
];
/// Extracts carry the flag columns from this year on.
const FLAGS_FROM: i32 = 2022;

/// One semicolon-separated Windows-1252 file per quarter, both municipalities. From 2022 the
/// extracts carry the optional flag columns, drawn from their own seeded stream so the
/// counts are the same with or without them.
pub fn generate(rng: &mut ChaCha8Rng) -> Vec<SynthFile> {
    let mut files = Vec::new();
    let mut flag_rng = ChaCha8Rng::seed_from_u64(0xF1A6);
    for year in 2016..=2025 {
        for q in 1..=4u8 {
            let flagged = year >= FLAGS_FROM;
            let mut text =
                String::from("kommunenr;kommune;kvartal;lovbruddsgruppe;aldersgruppe;antall");
            if flagged {
                text.push_str(";vold i nære relasjoner;hatkriminalitet;uteliv");
            }
            text.push_str("\r\n");
            for m in &MUNICIPALITIES {
                let code = m.code_in(year);
                for (gi, (_, label)) in OFFENCE_GROUPS.iter().enumerate() {
                    let mut in_bands = 0u32;
                    let mut rows = Vec::new();
                    for (bi, band) in AGE_BANDS.iter().enumerate() {
                        let lambda = BASE[gi]
                            * m.police_scale
                            * SEASON[gi][(q - 1) as usize]
                            * trend(gi, year, Some(bi))
                            * AGE_SHARE[gi][bi];
                        let n = poisson(rng, lambda);
                        in_bands += n;
                        rows.push((band.replace('-', "–"), n));
                    }
                    let other_share = 1.0 - AGE_SHARE[gi].iter().sum::<f64>();
                    let other = poisson(
                        rng,
                        BASE[gi]
                            * m.police_scale
                            * SEASON[gi][(q - 1) as usize]
                            * trend(gi, year, None)
                            * other_share,
                    );
                    let all = in_bands + other;
                    rows.push(("alle".to_owned(), all));
                    for (band, n) in rows {
                        text.push_str(&format!("{code};{};{year}K{q};{label};{band};{n}", m.name));
                        if flagged {
                            for share in FLAG_SHARE[gi] {
                                text.push(';');
                                if band == "alle" {
                                    let f = poisson(&mut flag_rng, f64::from(all) * share);
                                    text.push_str(&f.min(all).to_string());
                                }
                            }
                        }
                        text.push_str("\r\n");
                    }
                }
            }
            if year == 2019 && q == 2 {
                // A row an analyst would meet: an offence group outside SSB's classification.
                text.push_str("0105;Sarpsborg;2019K2;Ukjent gruppe;alle;3\r\n");
            }
            files.push(SynthFile {
                path: format!("police/politi_{year}K{q}.csv"),
                bytes: to_windows_1252(&text),
            });
        }
    }
    files
}
