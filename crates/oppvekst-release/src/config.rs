//! The TOML configuration: paths, municipalities, suppression thresholds, report settings.
//! Unknown keys are errors (a misspelt threshold must never silently fall back to a default).

use std::path::PathBuf;

use oppvekst_disclosure::{GenderRule, Method, Rules, SecondaryCost, SeriesRule};
use oppvekst_ingest_survey::InvalidAnswer;
use oppvekst_schema::{Harmoniser, dims};
use serde::Deserialize;

use crate::ReleaseError;

type Result<T> = std::result::Result<T, ReleaseError>;

macro_rules! bail {
    ($($t:tt)*) => {
        return Err(ReleaseError::Config(format!($($t)*)))
    };
}

/// The commented default written by `oppvekst init`. A test checks it parses to [`Config::default`].
pub const DEFAULT_TOML: &str = r#"# oppvekst configuration. Every key is optional; the values shown are the defaults.
# Unknown keys are an error, so a misspelling is caught rather than ignored.

[paths]
# Folder with new input files: survey/ (Ungdata exports), police/ (quarterly extracts),
# population/ (SSB 07459 as JSON-stat or .px) and reference/ (national Ungdata figures).
inbox = "inbox"
# Working folder for confidential stage files (respondents, unprotected cells, quarantine).
# Never share this folder.
work = "oppvekst-work"
# Where the chart bundle for the arbeidsutvalg is written.
bundle = "oppvekst-bundle"

# Municipalities in the report, in display order (today's numbers; older numbers are
# followed through the KLASS change list). Each keeps one colour in every chart.
[[municipality]]
code = "3107"
name = "Fredrikstad"

[[municipality]]
code = "3105"
name = "Sarpsborg"

# The region compared with its municipalities (DESIGN.md: Nedre Glomma). Its figures are the
# sum of the members that have data; by FHI's coverage rule they are published only when
# those members hold at least min_coverage of the region's young people (population from
# inbox/population). An empty members list switches the region off.
[region]
code = "nedre-glomma"
name = "Nedre Glomma"
members = ["3107", "3105", "3110", "3112"]
min_coverage = 0.5

[input]
# Text encoding of CSV inputs: "auto" (detect), "utf-8" or "windows-1252".
encoding = "auto"
# A survey answer outside its item's valid codes: "item" reads that answer as missing (and
# lists it in the quarantine), "row" quarantines the pupil.
on_invalid_answer = "item"
# Municipality numbers known beside KLASS's change list and the municipalities above; a
# number neither knows is quarantined.
known_municipalities = []

# Primary suppression of survey cells (DESIGN.md §3). A percentage is hidden when the
# count is at most max_small_count, when denominator − count is at most
# max_small_complement, or when the denominator is at most max_small_denominator.
[survey.suppression]
max_small_count = 6
max_small_complement = 6
max_small_denominator = 20
protect_zeros = true
# NOVA: no split by gender when the group has fewer than gender_min_group answers or a
# gender fewer than gender_min_each.
gender_min_group = 40
gender_min_each = 15
# FHI: hide a whole series over survey years when more than this share of it is hidden
# (0 switches the rule off).
series_max_hidden_share = 0.2
# The audit proves that an attacker who knows every published figure and every total can
# narrow a hidden count no further than an interval this wide (never to a single value).
protection_width = 6
# Secondary suppression hides the cells that lose least: "value" (the smallest counts) or
# "cells" (the fewest and finest cells, whatever their counts).
secondary_cost = "value"
# How secondary cells are chosen: "auto" (every method that suits the table, keeping the
# pattern that loses least), "elimination" or "hypercube". The audit judges any of them.
method = "auto"

# Primary suppression of police counts: published only when greater than max_small_count
# (SSB publishes 08487 cells only when > 4).
[police.suppression]
max_small_count = 4
protect_zeros = false
# The series rule over quarters; off by default (0), as whole series of small offence
# groups would disappear.
series_max_hidden_share = 0.0
protection_width = 4
secondary_cost = "value"
method = "auto"

[report]
title = "Oppvekst i Fredrikstad og Sarpsborg"
# Release date shown in the report and the manifest (never taken from the clock).
# Leave empty to show only the period the data cover.
release_date = ""
# Significance level for calling a change between survey waves a change.
alpha = 0.05
# Also show each unit's percent directly standardised by gender and grade.
standardise = true
"#;

/// Whole configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Folders.
    pub paths: Paths,
    /// Municipalities in display order.
    #[serde(rename = "municipality")]
    pub municipalities: Vec<Municipality>,
    /// The region compared with its municipalities.
    pub region: Region,
    /// Input reading.
    pub input: Input,
    /// Survey settings.
    pub survey: Section,
    /// Police settings.
    pub police: PoliceSection,
    /// Report settings.
    pub report: Report,
}

/// Folders.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Paths {
    /// Inbox.
    pub inbox: PathBuf,
    /// Confidential work folder.
    pub work: PathBuf,
    /// Bundle folder.
    pub bundle: PathBuf,
}

/// A municipality.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Municipality {
    /// Today's number.
    pub code: String,
    /// Name.
    pub name: String,
}

/// Input options.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Input {
    /// `auto`, `utf-8` or `windows-1252`.
    pub encoding: String,
    /// What a survey answer outside its item's valid codes costs: `item` (that answer is
    /// missing) or `row` (the pupil is quarantined).
    pub on_invalid_answer: InvalidAnswer,
    /// Municipality numbers known beside the change list and the configured municipalities
    /// (a number neither knows is quarantined).
    pub known_municipalities: Vec<String>,
}

/// Survey section.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Section {
    /// Thresholds.
    pub suppression: SurveySuppression,
}

/// Survey thresholds.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SurveySuppression {
    /// T.
    pub max_small_count: u64,
    /// T for n − x.
    pub max_small_complement: u64,
    /// N.
    pub max_small_denominator: u64,
    /// Zeros.
    pub protect_zeros: bool,
    /// NOVA group minimum.
    pub gender_min_group: u64,
    /// NOVA per-gender minimum.
    pub gender_min_each: u64,
    /// FHI series rule share (0 = off).
    pub series_max_hidden_share: f64,
    /// Required audit interval width.
    pub protection_width: u64,
    /// What secondary suppression loses least of: `value` (smallest values) or `cells`.
    pub secondary_cost: Cost,
    /// How secondary cells are chosen.
    pub method: SuppressionMethod,
}

/// Police section.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct PoliceSection {
    /// Thresholds.
    pub suppression: PoliceSuppression,
}

/// Police thresholds.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PoliceSuppression {
    /// T.
    pub max_small_count: u64,
    /// Zeros.
    pub protect_zeros: bool,
    /// FHI series rule share over quarters (0 = off).
    pub series_max_hidden_share: f64,
    /// Required audit interval width.
    pub protection_width: u64,
    /// What secondary suppression loses least of: `value` (smallest values) or `cells`.
    pub secondary_cost: Cost,
    /// How secondary cells are chosen.
    pub method: SuppressionMethod,
}

/// Report settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Report {
    /// Title.
    pub title: String,
    /// Release date, `YYYY-MM-DD` or empty.
    pub release_date: String,
    /// Significance level.
    pub alpha: f64,
    /// Direct standardisation by gender and grade.
    pub standardise: bool,
}

/// `[region]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Region {
    /// Code used in tables (not a municipality number).
    pub code: String,
    /// Display name.
    pub name: String,
    /// Today's numbers of every member municipality.
    pub members: Vec<String>,
    /// FHI's coverage rule: smallest share of the region's youth its members with data
    /// must hold.
    pub min_coverage: f64,
}

impl Default for Region {
    fn default() -> Self {
        Region {
            code: "nedre-glomma".into(),
            name: "Nedre Glomma".into(),
            members: ["3107", "3105", "3110", "3112"].map(String::from).to_vec(),
            min_coverage: 0.5,
        }
    }
}

impl Default for Paths {
    fn default() -> Self {
        Paths {
            inbox: "inbox".into(),
            work: "oppvekst-work".into(),
            bundle: "oppvekst-bundle".into(),
        }
    }
}

/// What secondary suppression minimises (config spelling of [`SecondaryCost`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Cost {
    /// Hide the smallest values.
    #[default]
    Value,
    /// Hide the fewest and finest cells.
    Cells,
}

/// How secondary cells are chosen (config spelling of [`Method`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SuppressionMethod {
    /// By measurement: the pattern that loses least.
    #[default]
    Auto,
    /// Elimination.
    Elimination,
    /// Hypercubes.
    Hypercube,
}

impl From<SuppressionMethod> for Method {
    fn from(m: SuppressionMethod) -> Self {
        match m {
            SuppressionMethod::Auto => Method::Auto,
            SuppressionMethod::Elimination => Method::Elimination,
            SuppressionMethod::Hypercube => Method::Hypercube,
        }
    }
}

impl From<Cost> for SecondaryCost {
    fn from(c: Cost) -> Self {
        match c {
            Cost::Value => SecondaryCost::Value,
            Cost::Cells => SecondaryCost::Cells,
        }
    }
}

impl Default for Input {
    fn default() -> Self {
        Input {
            encoding: "auto".into(),
            on_invalid_answer: InvalidAnswer::Item,
            known_municipalities: Vec::new(),
        }
    }
}

impl Default for SurveySuppression {
    fn default() -> Self {
        let r = Rules::survey_default();
        let g = r.gender.unwrap_or(GenderRule {
            dimension: "gender".into(),
            total: "alle".into(),
            min_group: 40,
            min_each: 15,
        });
        SurveySuppression {
            max_small_count: r.max_small_count,
            max_small_complement: r.max_small_complement.unwrap_or(6),
            max_small_denominator: r.max_small_denominator.unwrap_or(20),
            protect_zeros: r.protect_zeros,
            gender_min_group: g.min_group,
            gender_min_each: g.min_each,
            series_max_hidden_share: r.series.as_ref().map_or(0.0, |s| s.max_hidden_share),
            protection_width: r.protection_width,
            secondary_cost: Cost::Value,
            method: SuppressionMethod::Auto,
        }
    }
}

impl Default for PoliceSuppression {
    fn default() -> Self {
        let r = Rules::police_default();
        PoliceSuppression {
            max_small_count: r.max_small_count,
            protect_zeros: r.protect_zeros,
            series_max_hidden_share: r.series.as_ref().map_or(0.0, |s| s.max_hidden_share),
            protection_width: r.protection_width,
            secondary_cost: Cost::Value,
            method: SuppressionMethod::Auto,
        }
    }
}

impl Default for Report {
    fn default() -> Self {
        Report {
            title: "Oppvekst i Fredrikstad og Sarpsborg".into(),
            release_date: String::new(),
            alpha: 0.05,
            standardise: true,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            paths: Paths::default(),
            municipalities: vec![
                Municipality {
                    code: "3107".into(),
                    name: "Fredrikstad".into(),
                },
                Municipality {
                    code: "3105".into(),
                    name: "Sarpsborg".into(),
                },
            ],
            region: Region::default(),
            input: Input::default(),
            survey: Section::default(),
            police: PoliceSection::default(),
            report: Report::default(),
        }
    }
}

impl Config {
    /// Parses and validates a config text; `name` is used in errors.
    pub fn parse(name: &str, text: &str) -> Result<Config> {
        let cfg: Config = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
                .map(|l| format!(" (line {l})"))
                .unwrap_or_default();
            ReleaseError::Config(format!("{name}{line}: {}", e.message()))
        })?;
        cfg.validate().map_err(|e| match e {
            ReleaseError::Config(m) => {
                ReleaseError::Config(format!("{name}: invalid configuration: {m}"))
            }
            other => other,
        })?;
        Ok(cfg)
    }

    fn validate(&self) -> Result<()> {
        if self.municipalities.is_empty() {
            bail!("at least one [[municipality]] is needed");
        }
        for m in &self.municipalities {
            if !(m.code.len() == 4 && m.code.bytes().all(|b| b.is_ascii_digit())) {
                bail!("municipality `{}`: code must be four digits", m.name);
            }
        }
        if self.encoding().is_err() {
            bail!("input.encoding must be \"auto\", \"utf-8\" or \"windows-1252\"");
        }
        for share in [
            self.survey.suppression.series_max_hidden_share,
            self.police.suppression.series_max_hidden_share,
        ] {
            if !(0.0..1.0).contains(&share) {
                bail!("series_max_hidden_share must be at least 0 and below 1");
            }
        }
        if !(0.0..=1.0).contains(&self.region.min_coverage) {
            bail!("region.min_coverage must be between 0 and 1");
        }
        if self
            .municipalities
            .iter()
            .any(|m| m.code == self.region.code)
        {
            bail!("region.code must differ from every municipality code");
        }
        if !(0.0 < self.report.alpha && self.report.alpha < 0.5) {
            bail!("report.alpha must be between 0 and 0.5");
        }
        let d = &self.report.release_date;
        let well_formed = d.len() == 10 && d.as_bytes()[4] == b'-' && d.as_bytes()[7] == b'-';
        if !(d.is_empty() || well_formed) {
            bail!("report.release_date must be YYYY-MM-DD or empty");
        }
        Ok(())
    }

    /// Declared encoding (None = detect).
    pub fn encoding(&self) -> Result<Option<oppvekst_schema::text::Encoding>> {
        if self.input.encoding.eq_ignore_ascii_case("auto") {
            return Ok(None);
        }
        oppvekst_schema::text::Encoding::parse(&self.input.encoding)
            .map(Some)
            .ok_or_else(|| ReleaseError::Config("unknown encoding".into()))
    }

    /// The municipality change list, knowing also the configured municipalities, the
    /// region's members and `input.known_municipalities`.
    pub fn harmoniser(&self) -> Result<Harmoniser> {
        let mut h = Harmoniser::builtin()?;
        h.know(self.municipalities.iter().map(|m| m.code.as_str()));
        h.know(self.region.members.iter().map(String::as_str));
        h.know(self.input.known_municipalities.iter().map(String::as_str));
        Ok(h)
    }

    /// Survey suppression rules.
    pub fn survey_rules(&self) -> Rules {
        let s = &self.survey.suppression;
        Rules {
            max_small_count: s.max_small_count,
            max_small_complement: Some(s.max_small_complement),
            max_small_denominator: Some(s.max_small_denominator),
            protect_zeros: s.protect_zeros,
            gender: Some(GenderRule {
                dimension: dims::GENDER.into(),
                total: dims::GENDER_ALL.into(),
                min_group: s.gender_min_group,
                min_each: s.gender_min_each,
            }),
            series: (s.series_max_hidden_share > 0.0).then(|| SeriesRule {
                dimension: dims::SURVEY_YEAR.into(),
                max_hidden_share: s.series_max_hidden_share,
            }),
            coverage: None,
            protection_width: s.protection_width,
            cost: s.secondary_cost.into(),
            method: s.method.into(),
            exact_bounds: false,
        }
    }

    /// Police suppression rules.
    pub fn police_rules(&self) -> Rules {
        let p = &self.police.suppression;
        Rules {
            max_small_count: p.max_small_count,
            protect_zeros: p.protect_zeros,
            series: (p.series_max_hidden_share > 0.0).then(|| SeriesRule {
                dimension: dims::QUARTER.into(),
                max_hidden_share: p.series_max_hidden_share,
            }),
            protection_width: p.protection_width,
            cost: p.secondary_cost.into(),
            method: p.method.into(),
            ..Rules::police_default()
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn default_file_is_the_default_config() {
        assert_eq!(
            Config::parse("oppvekst.toml", DEFAULT_TOML).unwrap(),
            Config::default()
        );
        assert_eq!(Config::default().survey_rules(), Rules::survey_default());
        assert_eq!(Config::default().police_rules(), Rules::police_default());
    }

    #[test]
    fn unknown_and_wrong_keys_are_clear_errors() {
        let e = Config::parse("c.toml", "[survey.suppression]\nmax_smal_count = 3\n").unwrap_err();
        let msg = format!("{e:#}");
        assert!(
            msg.starts_with("c.toml (line 2): unknown field `max_smal_count`"),
            "{msg}"
        );
        let e = Config::parse(
            "c.toml",
            "[police.suppression]\nmax_small_count = \"four\"\n",
        )
        .unwrap_err();
        assert!(format!("{e:#}").contains("line 2"), "{e:#}");
        let e = Config::parse("c.toml", "[input]\nencoding = \"ebcdic\"\n").unwrap_err();
        assert!(format!("{e:#}").contains("input.encoding"), "{e:#}");
        let e =
            Config::parse("c.toml", "[[municipality]]\ncode = \"31\"\nname = \"X\"\n").unwrap_err();
        assert!(format!("{e:#}").contains("four digits"), "{e:#}");
    }
}
