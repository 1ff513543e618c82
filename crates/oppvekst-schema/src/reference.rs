//! Published reference levels (for example Ungdata's national figures pooled over three
//! years) that the report compares municipalities against. Public figures: no protection.

/// One reference figure.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReferenceRow {
    /// Indicator id from the catalogue.
    pub indicator: String,
    /// Area label, for example `Norge` or `Viken`.
    pub area: String,
    /// Period label, for example `2023–2025` (pooled years).
    pub period: String,
    /// Grade group: `ungdomstrinn` or `videregaende`.
    pub grade: String,
    /// `alle`, `gutt` or `jente`.
    pub gender: String,
    /// Percent (0–100).
    pub percent: f64,
    /// Number of answers behind the percent, when given.
    pub n: Option<u64>,
}

impl ReferenceRow {
    /// The label used in charts and tables, for example `Norge 2023–2025`.
    pub fn label(&self) -> String {
        format!("{} {}", self.area, self.period)
    }

    /// The first and last year the period covers (`2023–2025` → 2023, 2025; `2024` → 2024,
    /// 2024); None when the period names no year.
    pub fn years(&self) -> Option<(i32, i32)> {
        let years: Vec<i32> = self
            .period
            .split(|c: char| !c.is_ascii_digit())
            .filter(|t| t.len() == 4)
            .filter_map(|t| t.parse().ok())
            .collect();
        Some((*years.iter().min()?, *years.iter().max()?))
    }
}
