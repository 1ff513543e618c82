//! The report's sentences about the release itself (Norwegian bokmål): the period the data
//! cover, what the region covers, where the population comes from.

use oppvekst_schema::quarter::Quarter;

/// What the region covers, for its sentence in the report.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionCoverage {
    /// The region's name.
    pub name: String,
    /// Display names of the members with data, in order.
    pub members: Vec<String>,
    /// Share of the region's youth 13–18 living in those members (None: unknown).
    pub survey_coverage: Option<f64>,
    /// Share of the region's youth 10–25 living in those members (None: unknown).
    pub police_coverage: Option<f64>,
    /// Population year behind the shares.
    pub year: Option<i32>,
    /// FHI's coverage rule: the smallest share published.
    pub min_coverage: f64,
}

/// A quarter as prose writes it: `4. kvartal 2025` (tables keep `2025K4`).
pub fn quarter_words(q: Quarter) -> String {
    format!("{}. kvartal {}", q.number(), q.year())
}

/// A date (`YYYY-MM-DD`) as prose writes it: `15. februar 2026`; other text as it is.
pub fn date_words(date: &str) -> String {
    const MONTHS: [&str; 12] = [
        "januar",
        "februar",
        "mars",
        "april",
        "mai",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "desember",
    ];
    let parts: Vec<&str> = date.trim().split('-').collect();
    match parts.as_slice() {
        [y, m, d] if y.len() == 4 => match (m.parse::<usize>(), d.parse::<u32>()) {
            (Ok(m @ 1..=12), Ok(d @ 1..=31)) => format!("{d}. {} {y}", MONTHS[m - 1]),
            _ => date.to_owned(),
        },
        _ => date.to_owned(),
    }
}

/// "Ungdata 2016–2025, politiets tall til og med 4. kvartal 2025".
pub fn period_label(
    first_year: Option<i32>,
    last_year: Option<i32>,
    last: Option<Quarter>,
) -> String {
    format!(
        "Ungdata {}–{}, politiets tall til og med {}",
        first_year.unwrap_or_default(),
        last_year.unwrap_or_default(),
        last.map(quarter_words).unwrap_or_default()
    )
}

/// Where the population behind rates comes from.
pub fn population_note(sources: &[String]) -> String {
    format!("befolkning per 1. januar fra {}", sources.join(" og "))
}

/// The report's sentence on what the region covers.
pub fn region_sentence(r: &RegionCoverage) -> String {
    let members = match r.members.as_slice() {
        [rest @ .., last] if !rest.is_empty() => format!("{} og {last}", rest.join(", ")),
        _ => r.members.join(""),
    };
    let pct = |c: Option<f64>| {
        c.map(|c| format!("{} %", (c * 100.0).round()))
            .unwrap_or_else(|| "ukjent andel".into())
    };
    let mut s = format!(
        "{}: summen av {members}, som har {} av regionens unge 13–18 år og {} av de 10–25 år",
        r.name,
        pct(r.survey_coverage),
        pct(r.police_coverage)
    );
    if let Some(y) = r.year {
        s.push_str(&format!(" (befolkning 1. januar {y})"));
    }
    let min = r.min_coverage;
    if [r.survey_coverage, r.police_coverage]
        .iter()
        .any(|c| c.is_none_or(|c| c < min))
    {
        s.push_str(&format!(
            ". Regiontall som dekker under {} % av ungdommene vises ikke",
            (min * 100.0).round()
        ));
    }
    s.push('.');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_read_as_norwegian() {
        let r = RegionCoverage {
            name: "Nedre Glomma".into(),
            members: vec!["Fredrikstad".into(), "Sarpsborg".into()],
            survey_coverage: Some(0.8),
            police_coverage: None,
            year: Some(2025),
            min_coverage: 0.5,
        };
        assert_eq!(
            region_sentence(&r),
            "Nedre Glomma: summen av Fredrikstad og Sarpsborg, som har 80 % av regionens unge \
             13–18 år og ukjent andel av de 10–25 år (befolkning 1. januar 2025). Regiontall \
             som dekker under 50 % av ungdommene vises ikke."
        );
        let q = "2025Q4".parse().ok();
        assert_eq!(
            period_label(Some(2016), Some(2025), q),
            "Ungdata 2016–2025, politiets tall til og med 4. kvartal 2025"
        );
        assert_eq!(date_words("2026-02-15"), "15. februar 2026");
        assert_eq!(date_words("2026-13-01"), "2026-13-01");
    }
}

/// The report's sentence above the plausibility check against SSB's 08487.
pub fn official_sentence(any: bool) -> String {
    if any {
        "Som kontroll står politiets lokale uttrekk for de to siste hele årene ved siden av SSBs \
         offisielle tall (tabell 08487: anmeldte lovbrudd etter gjerningssted, gjennomsnitt per \
         år). Tallene telles ikke helt likt – SSB teller etter gjerningssted og når saken ble \
         registrert – så små forskjeller er ventet; store forskjeller bør undersøkes. Et lokalt \
         tall står som : når et av kvartalene det bygger på, er skjult."
            .to_owned()
    } else {
        "SSBs tabell 08487 i mappen official/ dekker ikke de to siste hele årene i det lokale \
         uttrekket, så det er ingenting å sammenligne med ennå."
            .to_owned()
    }
}

/// A count as the report writes it (the charts' and tables' thousands separator).
fn thousands(n: u64) -> String {
    crate::report::format_int(i64::try_from(n).unwrap_or(i64::MAX))
}

/// The report's sentence on the survey answers (None when no source counted answers).
pub fn answers_sentence(reconciliation: &[crate::Reconciliation]) -> Option<String> {
    let answers: Vec<&crate::AnswerReconciliation> =
        reconciliation.iter().flat_map(|r| &r.answers).collect();
    if answers.is_empty() {
        return None;
    }
    let sum = |f: fn(&crate::AnswerReconciliation) -> u64| answers.iter().map(|a| f(a)).sum();
    let invalid: u64 = sum(|a| a.invalid);
    let mut s = format!(
        "Av {} svar i spørreundersøkelsen var {} gyldige og {} ubesvart",
        thousands(sum(|a| a.read)),
        thousands(sum(|a| a.valid)),
        thousands(sum(|a| a.missing)),
    );
    if invalid > 0 {
        s.push_str(&format!(
            "; {} svar lå utenfor svaralternativene og er regnet som ubesvart for det spørsmålet (eleven er med i alt annet)",
            thousands(invalid)
        ));
    }
    s.push('.');
    Some(s)
}

#[cfg(test)]
mod answer_tests {
    use super::*;

    #[test]
    fn answers_add_up_in_the_sentence() {
        let mut r = crate::Reconciliation::new("Ungdata");
        r.add_answers("a", 4900, 4800, 99, 1);
        r.add_answers("b", 4900, 4900, 0, 0);
        assert_eq!(
            answers_sentence(&[r]).unwrap(),
            "Av 9\u{a0}800 svar i spørreundersøkelsen var 9\u{a0}700 gyldige og 99 ubesvart; 1 svar lå utenfor svaralternativene og er regnet som ubesvart for det spørsmålet (eleven er med i alt annet)."
        );
        assert_eq!(
            answers_sentence(&[crate::Reconciliation::new("Politi")]),
            None
        );
    }
}
