//! The names and codes every stage agrees on: the dimensions of the survey, police and flag
//! tables, their totals, and the grade hierarchy (8 + 9 + 10 = ungdomstrinn, VG1 + VG2 + VG3
//! = videregående). Defined once here; no stage spells them as literals of its own.

/// Indicator id (survey tables).
pub const INDICATOR: &str = "indicator";
/// Today's municipality number, or the region's code (every table).
pub const MUNICIPALITY: &str = "municipality";
/// Survey year (survey tables).
pub const SURVEY_YEAR: &str = "survey_year";
/// Grade or school level (survey tables).
pub const GRADE: &str = "grade";
/// Gender (survey tables).
pub const GENDER: &str = "gender";
/// Quarter, stored as `YYYYQn` (police tables; see [`crate::quarter::Quarter`]).
pub const QUARTER: &str = "quarter";
/// SSB offence group (police tables).
pub const OFFENCE_GROUP: &str = "offence_group";
/// Age band of the suspect (police tables).
pub const AGE_BAND: &str = "age_band";
/// Police flag (flag table).
pub const FLAG: &str = "flag";

/// The survey table's name in the ledger, the report and the manifest.
pub const SURVEY_TABLE: &str = "ungdata";
/// The police table's name.
pub const POLICE_TABLE: &str = "politi";
/// The flag table's name.
pub const FLAG_TABLE: &str = "politi_kjennetegn";

/// The two genders a survey cell is split by.
pub const GENDERS: [&str; 2] = ["gutt", "jente"];
/// Both genders together.
pub const GENDER_ALL: &str = "alle";

/// A school level: the total of its grades.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SchoolLevel {
    /// 8.–10. trinn.
    Ungdomstrinn,
    /// VG1–VG3.
    Videregaende,
}

impl SchoolLevel {
    /// Both levels, in report order.
    pub const ALL: [SchoolLevel; 2] = [SchoolLevel::Ungdomstrinn, SchoolLevel::Videregaende];

    /// The level's code in cells.
    pub const fn code(self) -> &'static str {
        match self {
            SchoolLevel::Ungdomstrinn => "ungdomstrinn",
            SchoolLevel::Videregaende => "videregaende",
        }
    }

    /// The level's grades, in order.
    pub const fn grades(self) -> [&'static str; 3] {
        match self {
            SchoolLevel::Ungdomstrinn => ["8", "9", "10"],
            SchoolLevel::Videregaende => ["VG1", "VG2", "VG3"],
        }
    }

    /// Norwegian label.
    pub const fn label(self) -> &'static str {
        match self {
            SchoolLevel::Ungdomstrinn => "Ungdomstrinnet",
            SchoolLevel::Videregaende => "Videregående",
        }
    }

    /// The level a code names (a level code, not a grade).
    pub fn from_code(code: &str) -> Option<SchoolLevel> {
        SchoolLevel::ALL.into_iter().find(|l| l.code() == code)
    }
}

/// Every grade with the level it belongs to, in report order.
pub fn grade_edges() -> Vec<(&'static str, &'static str)> {
    SchoolLevel::ALL
        .into_iter()
        .flat_map(|l| l.grades().into_iter().map(move |g| (g, l.code())))
        .collect()
}

/// Grade codes of survey cells: each level's grades followed by the level, in report order.
pub const GRADE_CODES: [&str; 8] = [
    "8",
    "9",
    "10",
    "ungdomstrinn",
    "VG1",
    "VG2",
    "VG3",
    "videregaende",
];

/// Gender codes of survey cells: the two genders and their total.
pub const GENDER_CODES: [&str; 3] = ["gutt", "jente", "alle"];

/// Grade label (nb) for a cell grade code.
pub fn grade_label(code: &str) -> &'static str {
    match code {
        "8" => "8. trinn",
        "9" => "9. trinn",
        "10" => "10. trinn",
        "VG1" => "VG1",
        "VG2" => "VG2",
        "VG3" => "VG3",
        other => SchoolLevel::from_code(other).map_or("Ukjent trinn", SchoolLevel::label),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grade_codes_are_the_levels_with_their_grades() {
        let mut from_levels = Vec::new();
        for l in SchoolLevel::ALL {
            from_levels.extend(l.grades());
            from_levels.push(l.code());
        }
        assert_eq!(from_levels, GRADE_CODES);
        assert_eq!(grade_edges().len(), 6);
        assert_eq!(grade_edges()[3], ("VG1", "videregaende"));
        assert_eq!(grade_label("videregaende"), "Videregående");
        assert_eq!(grade_label("9"), "9. trinn");
        assert_eq!(grade_label("x"), "Ukjent trinn");
    }
}
