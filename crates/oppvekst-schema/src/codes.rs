//! Code lists for police data: SSB's 2015 offence groups and the SLT age bands (quarters are
//! [`crate::quarter::Quarter`]).

/// SSB's 2015 offence groups: (code, Norwegian label), in SSB's order.
pub const OFFENCE_GROUPS: [(&str, &str); 9] = [
    ("eiendomstyveri", "Eiendomstyveri"),
    ("annet_vinning", "Annet vinningslovbrudd"),
    ("eiendomsskade", "Eiendomsskade"),
    ("vold", "Vold og mishandling"),
    ("seksual", "Seksuallovbrudd"),
    ("rus", "Rusmiddellovbrudd"),
    ("orden", "Ordens- og integritetskrenkelse"),
    ("trafikk", "Trafikkovertredelse"),
    ("annet", "Annet lovbrudd"),
];

/// Code of the total over all offence groups.
pub const OFFENCE_TOTAL: &str = "alle";

/// Age bands of the suspect for the SLT target group (15 is the age of criminal responsibility).
pub const AGE_BANDS: [&str; 4] = ["10-14", "15-17", "18-20", "21-25"];
/// Total of the four age bands.
pub const AGE_TARGET: &str = "10-25";
/// Suspects outside 10–25, derived as all ages minus the target bands.
pub const AGE_OTHER: &str = "andre";
/// All ages.
pub const AGE_ALL: &str = "alle";

/// Optional flags of the police extract: (code, Norwegian label, column names accepted). A
/// flag counts the offences of a row that have the trait; the flags overlap (one offence may
/// carry several), so they are never added together.
pub const FLAGS: [(&str, &str, &[&str]); 3] = [
    (
        "naere_relasjoner",
        "Vold i nære relasjoner",
        &[
            "vold_i_nære_relasjoner",
            "vold i nære relasjoner",
            "nære_relasjoner",
            "naere_relasjoner",
            "vnr",
        ],
    ),
    (
        "hatkriminalitet",
        "Hatkriminalitet",
        &["hatkriminalitet", "hatkrim", "hat"],
    ),
    ("uteliv", "Utelivsrelatert", &["uteliv", "utelivsrelatert"]),
];

/// Looks up an offence group by its code or Norwegian label (case-insensitive).
pub fn offence_group(text: &str) -> Option<&'static str> {
    let t = text.trim();
    OFFENCE_GROUPS
        .iter()
        .find(|(c, l)| c.eq_ignore_ascii_case(t) || l.to_lowercase() == t.to_lowercase())
        .map(|(c, _)| *c)
}

/// The Norwegian label of an offence group code (or of the total).
pub fn offence_label(code: &str) -> &'static str {
    if code == OFFENCE_TOTAL {
        return "Alle lovbrudd";
    }
    OFFENCE_GROUPS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("Ukjent lovbruddsgruppe")
}

/// Normalises an age band (`10–14` with an en dash, `10-14`, `alle`) to its code.
pub fn age_band(text: &str) -> Option<&'static str> {
    let t = text.trim().replace(['–', '—'], "-").to_lowercase();
    if t == AGE_ALL || t == "alle aldre" {
        return Some(AGE_ALL);
    }
    AGE_BANDS.iter().find(|b| **b == t).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert_eq!(offence_group("Vold og mishandling"), Some("vold"));
        assert_eq!(offence_group("VOLD"), Some("vold"));
        assert_eq!(
            offence_group("Ordens- og integritetskrenkelse"),
            Some("orden")
        );
        assert_eq!(offence_group("drap"), None);
        assert_eq!(age_band("15–17"), Some("15-17"));
        assert_eq!(age_band("Alle"), Some("alle"));
        assert_eq!(age_band("26-30"), None);
    }
}
