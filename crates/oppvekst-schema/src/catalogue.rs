//! The codebook (source variable names and codes → canonical items) and the indicator
//! catalogue (what counts as "yes" for each indicator), both kept as data in
//! `data-schema/codebook.toml` and `data-schema/indicators.toml`.

use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

const CODEBOOK: &str = include_str!("../../../data-schema/codebook.toml");
const INDICATORS: &str = include_str!("../../../data-schema/indicators.toml");

/// Errors in the codebook or the catalogue. They name the file and the entry.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    /// The TOML did not parse or has an unknown or missing key.
    #[error("{file}: {message}")]
    Parse {
        /// File name.
        file: String,
        /// What the parser said (positions and key names only).
        message: String,
    },
    /// An indicator names an item the codebook does not know.
    #[error("{file}: indicator `{indicator}` uses unknown item `{item}` (not in the codebook)")]
    UnknownItem {
        /// File name.
        file: String,
        /// Indicator id.
        indicator: String,
        /// Item id.
        item: String,
    },
    /// An entry is inconsistent (duplicate id, empty list, impossible threshold).
    #[error("{file}: {entry}: {problem}")]
    Invalid {
        /// File name.
        file: String,
        /// Entry id.
        entry: String,
        /// What is wrong.
        problem: String,
    },
}

/// A simple variable with aliases (respondent id, survey year, municipality).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    /// Source names this variable appears under.
    pub aliases: Vec<String>,
    /// Smallest valid value (years).
    #[serde(default)]
    pub min: Option<i64>,
    /// Largest valid value (years).
    #[serde(default)]
    pub max: Option<i64>,
}

/// A coded variable whose codes map to labels.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelledVariable {
    /// Source names.
    pub aliases: Vec<String>,
    /// Source code → canonical label.
    pub codes: BTreeMap<String, String>,
}

/// The grade variable: source code → canonical grade 8..13, plus the grades of each level.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradeVariable {
    /// Source names.
    pub aliases: Vec<String>,
    /// Source code → canonical grade (8..10 ungdomstrinn, 11..13 = VG1..VG3).
    pub codes: BTreeMap<String, i64>,
    /// Grades valid at ungdomsskole.
    pub ungdomsskole: Vec<i64>,
    /// Grades valid at videregående skole.
    #[serde(rename = "videregående")]
    pub videregaende: Vec<i64>,
}

/// One questionnaire item.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// Canonical id (column name in the respondent table).
    pub id: String,
    /// Source names.
    pub aliases: Vec<String>,
    /// Question text (nb).
    pub label: String,
    /// Inclusive valid code range.
    pub valid: [i64; 2],
    /// Labels of codes valid[0]..=valid[1], in order.
    pub value_labels: Vec<String>,
}

/// The codebook.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Codebook {
    /// Codes meaning "missing" in every item.
    pub missing_codes: Vec<i64>,
    /// Every code from this one up means "missing" too (NOVA: 98).
    #[serde(default)]
    pub missing_from: Option<i64>,
    /// Variables the files carry that no figure uses (known, not imported).
    #[serde(default)]
    pub other_variables: Vec<String>,
    /// Respondent id.
    pub respondent_id: Variable,
    /// Survey year.
    pub survey_year: Variable,
    /// Municipality number.
    pub municipality: Variable,
    /// School level.
    pub school_level: LabelledVariable,
    /// Grade.
    pub grade: GradeVariable,
    /// Gender.
    pub gender: LabelledVariable,
    /// Questionnaire items.
    #[serde(rename = "item")]
    pub items: Vec<Item>,
}

/// How an indicator is computed from items.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum IndicatorRule {
    /// One item; yes when the answer is in `positive`.
    Single {
        /// Item id.
        item: String,
        /// Codes that count as yes.
        positive: Vec<i64>,
    },
    /// Mean of items ≥ threshold, with at least `min_answered` answered.
    MeanAtLeast {
        /// Item ids.
        items: Vec<String>,
        /// Threshold on the mean.
        threshold: f64,
        /// Minimum number of answered items.
        min_answered: usize,
    },
    /// At least `at_least` items in `positive`, at most `max_missing` missing.
    CountAtLeast {
        /// Item ids.
        items: Vec<String>,
        /// Codes that count as yes for each item.
        positive: Vec<i64>,
        /// How many items must be yes.
        at_least: usize,
        /// How many items may be missing.
        max_missing: usize,
    },
}

impl IndicatorRule {
    /// The items the rule reads.
    pub fn items(&self) -> Vec<&str> {
        match self {
            IndicatorRule::Single { item, .. } => vec![item.as_str()],
            IndicatorRule::MeanAtLeast { items, .. }
            | IndicatorRule::CountAtLeast { items, .. } => {
                items.iter().map(String::as_str).collect()
            }
        }
    }

    /// Evaluates the rule for one respondent. `answers[i]` is the answer to `self.items()[i]`
    /// (None = missing). Returns None when the respondent is outside the denominator.
    pub fn evaluate(&self, answers: &[Option<i64>]) -> Option<bool> {
        match self {
            IndicatorRule::Single { positive, .. } => answers
                .first()
                .copied()
                .flatten()
                .map(|a| positive.contains(&a)),
            IndicatorRule::MeanAtLeast {
                threshold,
                min_answered,
                ..
            } => {
                let (n, sum) = answers
                    .iter()
                    .flatten()
                    .fold((0usize, 0i64), |(n, s), a| (n + 1, s + a));
                if n < *min_answered || n == 0 {
                    return None;
                }
                let mean = sum as f64 / n as f64;
                Some(mean >= *threshold)
            }
            IndicatorRule::CountAtLeast {
                positive,
                at_least,
                max_missing,
                ..
            } => {
                let missing = answers.iter().filter(|a| a.is_none()).count();
                if missing > *max_missing {
                    return None;
                }
                let yes = answers
                    .iter()
                    .flatten()
                    .filter(|a| positive.contains(a))
                    .count();
                Some(yes >= *at_least)
            }
        }
    }
}

/// One indicator of the catalogue.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// Stable id.
    pub id: String,
    /// Label (nb).
    pub label: String,
    /// SLT focus area (nb).
    pub focus_area: String,
    /// Survey years before this one are outside the denominator (items not all asked).
    #[serde(default)]
    pub first_year: Option<i32>,
    /// How it is computed.
    pub rule: IndicatorRule,
}

impl Indicator {
    /// Whether the indicator is computed for survey year `year`.
    pub fn covers(&self, year: i32) -> bool {
        self.first_year.is_none_or(|first| year >= first)
    }
}

impl Codebook {
    /// Whether `code` means "missing" in every item.
    pub fn is_missing(&self, code: i64) -> bool {
        self.missing_codes.contains(&code) || self.missing_from.is_some_and(|m| code >= m)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IndicatorFile {
    #[serde(rename = "indicator")]
    indicators: Vec<Indicator>,
}

/// Codebook and indicator catalogue, validated against each other.
#[derive(Debug, Clone)]
pub struct Catalogue {
    /// The codebook.
    pub codebook: Codebook,
    /// Indicators in catalogue order.
    pub indicators: Vec<Indicator>,
}

impl Catalogue {
    /// The catalogue shipped in `data-schema/`.
    pub fn builtin() -> Result<Self, CatalogueError> {
        Self::from_strs(
            ("data-schema/codebook.toml", CODEBOOK),
            ("data-schema/indicators.toml", INDICATORS),
        )
    }

    /// Parses and cross-validates a codebook and an indicator file given as (name, text).
    pub fn from_strs(
        codebook: (&str, &str),
        indicators: (&str, &str),
    ) -> Result<Self, CatalogueError> {
        let cb: Codebook = toml::from_str(codebook.1).map_err(|e| CatalogueError::Parse {
            file: codebook.0.to_owned(),
            message: e.message().to_owned() + &span_note(codebook.1, e.span()),
        })?;
        let ind: IndicatorFile =
            toml::from_str(indicators.1).map_err(|e| CatalogueError::Parse {
                file: indicators.0.to_owned(),
                message: e.message().to_owned() + &span_note(indicators.1, e.span()),
            })?;
        let mut item_ids = BTreeSet::new();
        for it in &cb.items {
            if !item_ids.insert(it.id.as_str()) {
                return Err(CatalogueError::Invalid {
                    file: codebook.0.to_owned(),
                    entry: it.id.clone(),
                    problem: "duplicate item id".into(),
                });
            }
            if it.valid.iter().any(|v| !(-127..=127).contains(v)) {
                return Err(CatalogueError::Invalid {
                    file: codebook.0.to_owned(),
                    entry: it.id.clone(),
                    problem: "answer codes must lie within -127..=127".into(),
                });
            }
            let n = (it.valid[1] - it.valid[0] + 1).max(0) as usize;
            if it.valid[0] > it.valid[1] || it.value_labels.len() != n {
                return Err(CatalogueError::Invalid {
                    file: codebook.0.to_owned(),
                    entry: it.id.clone(),
                    problem: "value_labels must label every code in the valid range".into(),
                });
            }
        }
        let mut ids = BTreeSet::new();
        for i in &ind.indicators {
            if !ids.insert(i.id.as_str()) {
                return Err(CatalogueError::Invalid {
                    file: indicators.0.to_owned(),
                    entry: i.id.clone(),
                    problem: "duplicate indicator id".into(),
                });
            }
            let items = i.rule.items();
            if items.is_empty() {
                return Err(CatalogueError::Invalid {
                    file: indicators.0.to_owned(),
                    entry: i.id.clone(),
                    problem: "the rule names no items".into(),
                });
            }
            for item in items {
                if !item_ids.contains(item) {
                    return Err(CatalogueError::UnknownItem {
                        file: indicators.0.to_owned(),
                        indicator: i.id.clone(),
                        item: item.to_owned(),
                    });
                }
            }
            match &i.rule {
                IndicatorRule::MeanAtLeast {
                    items,
                    min_answered,
                    ..
                } if *min_answered == 0 || *min_answered > items.len() => {
                    return Err(CatalogueError::Invalid {
                        file: indicators.0.to_owned(),
                        entry: i.id.clone(),
                        problem: "min_answered must be between 1 and the number of items".into(),
                    });
                }
                IndicatorRule::CountAtLeast {
                    items, at_least, ..
                } if *at_least > items.len() => {
                    return Err(CatalogueError::Invalid {
                        file: indicators.0.to_owned(),
                        entry: i.id.clone(),
                        problem: "at_least exceeds the number of items".into(),
                    });
                }
                _ => {}
            }
        }
        Ok(Catalogue {
            codebook: cb,
            indicators: ind.indicators,
        })
    }

    /// Index of an item in `codebook.items`.
    pub fn item_index(&self, id: &str) -> Option<usize> {
        self.codebook.items.iter().position(|i| i.id == id)
    }

    /// The indicator with this id.
    pub fn indicator(&self, id: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.id == id)
    }
}

fn span_note(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    match span {
        Some(s) => {
            let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
            format!(" (line {line})")
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogue_is_consistent() {
        let c = Catalogue::builtin().unwrap();
        assert!(c.indicators.len() >= 15);
        assert!(c.item_index("depr6").is_some());
    }

    #[test]
    fn unknown_item_is_a_clear_error() {
        let bad = "[[indicator]]\nid = \"x\"\nlabel = \"X\"\nfocus_area = \"Rus\"\nrule = { kind = \"single\", item = \"nope\", positive = [1] }\n";
        let e = Catalogue::from_strs(("codebook.toml", CODEBOOK), ("ind.toml", bad)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "ind.toml: indicator `x` uses unknown item `nope` (not in the codebook)"
        );
        let unknown_key = "[[indicator]]\nid = \"x\"\nlabel = \"X\"\nfocus_area = \"Rus\"\ncolour = 1\nrule = { kind = \"single\", item = \"ensom\", positive = [1] }\n";
        let e = Catalogue::from_strs(("codebook.toml", CODEBOOK), ("ind.toml", unknown_key))
            .unwrap_err();
        assert!(e.to_string().contains("colour"), "{e}");
    }

    #[test]
    fn composite_rules() {
        let mean = IndicatorRule::MeanAtLeast {
            items: (1..=6).map(|i| format!("d{i}")).collect(),
            threshold: 3.0,
            min_answered: 4,
        };
        // mean of 3,3,3,3 = 3 ≥ 3, four answered
        assert_eq!(
            mean.evaluate(&[Some(3), Some(3), Some(3), Some(3), None, None]),
            Some(true)
        );
        // only three answered: outside the denominator
        assert_eq!(
            mean.evaluate(&[Some(4), Some(4), Some(4), None, None, None]),
            None
        );
        // mean 2.83 < 3
        assert_eq!(
            mean.evaluate(&[Some(3), Some(3), Some(3), Some(3), Some(3), Some(2)]),
            Some(false)
        );
        let count = IndicatorRule::CountAtLeast {
            items: (1..=6).map(|i| format!("r{i}")).collect(),
            positive: vec![2, 3, 4, 5],
            at_least: 3,
            max_missing: 1,
        };
        assert_eq!(
            count.evaluate(&[Some(2), Some(5), Some(3), Some(1), Some(1), None]),
            Some(true)
        );
        assert_eq!(
            count.evaluate(&[Some(2), Some(5), Some(1), Some(1), Some(1), None]),
            Some(false)
        );
        assert_eq!(
            count.evaluate(&[Some(2), Some(5), Some(3), None, Some(1), None]),
            None
        );
        let single = IndicatorRule::Single {
            item: "a".into(),
            positive: vec![3, 4],
        };
        assert_eq!(single.evaluate(&[Some(4)]), Some(true));
        assert_eq!(single.evaluate(&[None]), None);
    }
}
