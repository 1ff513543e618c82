//! Seeded synthetic inputs in the real formats, shipped as oppvekst's built-in demo data.
//!
//! [`generate`] writes, from one seed and nothing else:
//! - Ungdata-style respondent exports for Fredrikstad and Sarpsborg, survey waves 2016, 2019,
//!   2022 and 2025, grades 8–10 and VG1–3, answer codes with 98/99 missing, with the levels
//!   and grade/gender gradients of DESIGN.md §2.1. Waves before 2020 are Windows-1252 CSV
//!   with the older variable names; later waves are UTF-8 with BOM and the newer names.
//!   Municipality numbers change in 2020 and 2024 as in reality (0106 → 3004 → 3107).
//! - Quarterly police extracts 2016Q1–2025Q4 by SSB 2015 offence group and suspect age band,
//!   with seasonality, trends and many small cells.
//! - Public reference inputs: an SSB 07459-style population table (JSON-stat 2.0) for the
//!   four municipalities of Nedre Glomma, and a national Ungdata reference (Norge 2023–2025).
//! - A handful of deliberately bad rows, so every demo run shows quarantine at work.
//!
//! The same seed gives byte-identical files on every platform (ChaCha8 stream, no clock, no
//! hashing of unordered maps). This crate must not read any real data.

mod police;
mod reference;
mod sav;
mod survey;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The demo's seed.
pub const DEFAULT_SEED: u64 = 20_251_123;

/// One generated input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthFile {
    /// Path relative to the output folder (`survey/…` or `police/…`).
    pub path: String,
    /// File contents in the file's own encoding.
    pub bytes: Vec<u8>,
}

/// A demo municipality: today's number and the number in force in a given year.
#[derive(Debug, Clone, Copy)]
pub struct DemoMunicipality {
    /// Name.
    pub name: &'static str,
    /// Pupils per grade (ungdomstrinn and videregående).
    pub pupils_per_grade: u32,
    /// Codes before 2020, 2020–2023 and from 2024.
    pub codes: [&'static str; 3],
    /// Multiplier on police volumes (population relative to Fredrikstad).
    pub police_scale: f64,
}

impl DemoMunicipality {
    /// The municipality number in force in `year`.
    pub fn code_in(&self, year: i32) -> &'static str {
        match year {
            ..2020 => self.codes[0],
            2020..2024 => self.codes[1],
            _ => self.codes[2],
        }
    }
}

/// Fredrikstad and Sarpsborg.
pub const MUNICIPALITIES: [DemoMunicipality; 2] = [
    DemoMunicipality {
        name: "Fredrikstad",
        pupils_per_grade: 1_100,
        codes: ["0106", "3004", "3107"],
        police_scale: 1.0,
    },
    DemoMunicipality {
        name: "Sarpsborg",
        pupils_per_grade: 750,
        codes: ["0105", "3003", "3105"],
        police_scale: 0.68,
    },
];

/// Survey waves (Østfold cycle).
pub const WAVES: [i32; 4] = [2016, 2019, 2022, 2025];

/// Generates every demo input file from `seed`, in a fixed order.
pub fn generate(seed: u64) -> Vec<SynthFile> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut files = survey::generate(&mut rng);
    files.extend(police::generate(&mut rng));
    files.push(reference::population(&mut rng));
    files.push(reference::national());
    files
}

/// Encodes text as Windows-1252 (every character the demo writes is representable).
pub(crate) fn to_windows_1252(text: &str) -> Vec<u8> {
    encoding_rs::WINDOWS_1252.encode(text).0.into_owned()
}

pub(crate) mod random {
    //! Small distributions on top of the seeded stream.
    use rand::RngExt;
    use rand_chacha::ChaCha8Rng;

    /// Standard normal (Box–Muller).
    pub fn normal(rng: &mut ChaCha8Rng) -> f64 {
        let u1: f64 = rng.random::<f64>().max(1e-12);
        let u2: f64 = rng.random::<f64>();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    /// Poisson(λ): Knuth for small λ, rounded normal approximation for large λ.
    pub fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> u32 {
        if lambda <= 0.0 {
            return 0;
        }
        if lambda > 60.0 {
            let x = lambda + lambda.sqrt() * normal(rng);
            return x.round().max(0.0) as u32;
        }
        let l = (-lambda).exp();
        let mut k = 0u32;
        let mut p = 1.0;
        loop {
            p *= rng.random::<f64>();
            if p <= l {
                return k;
            }
            k += 1;
        }
    }

    /// Index drawn with the given weights.
    pub fn weighted(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = rng.random::<f64>() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }

    /// Bernoulli(p).
    pub fn chance(rng: &mut ChaCha8Rng, p: f64) -> bool {
        rng.random::<f64>() < p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let a = generate(7);
        let b = generate(7);
        let c = generate(8);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            a.iter().filter(|f| f.path.starts_with("survey/")).count(),
            8
        );
        assert_eq!(
            a.iter().filter(|f| f.path.starts_with("police/")).count(),
            40
        );
        assert!(a.iter().any(|f| f.path == "population/07459.json"));
        assert!(a.iter().any(|f| f.path == "reference/ungdata_norge.csv"));
    }

    #[test]
    fn codes_change_in_2020_and_2024() {
        let f = MUNICIPALITIES[0];
        assert_eq!(f.code_in(2019), "0106");
        assert_eq!(f.code_in(2022), "3004");
        assert_eq!(f.code_in(2025), "3107");
    }
}
