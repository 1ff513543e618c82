//! Every user-facing word of the bundle in one place (Norwegian bokmål), so it can be read
//! through: the report's headings, sentences and method note, the charts' titles, legends
//! and source lines, their text alternatives, and the tables' column names. Code elsewhere
//! decides *what* is said; this module says it.
//!
//! Prose writes quarters as `4. kvartal 2025` and dates as `15. februar 2026`; tables keep
//! `2025K4`. Numbers use a decimal comma and a non-breaking space between thousands.

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
pub(crate) fn thousands(n: u64) -> String {
    oppvekst_charts::format_nb(n as f64)
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

// ---------------------------------------------------------------------------------------
// Charts

/// The legend's explanation of the `:` marker.
pub const HIDDEN_NOTE: &str = "= skjult av hensyn til taushetsplikt";
/// Y axis of percentage charts.
pub const PERCENT: &str = "Prosent";
/// Y axis of police counts.
pub const POLICE_Y: &str = "Antall lovbrudd";
/// Y axis of police rates.
pub const RATE_Y: &str = "Per 1 000 innbyggere";
/// Legend of the first bar of a group.
pub const GIRLS: &str = "Jenter";
/// Legend of the second bar of a group.
pub const BOYS: &str = "Gutter";

/// Subtitle of a survey trend: population and measure.
pub fn survey_chart_subtitle(grade: &str, gender: &str) -> String {
    format!("{grade}, {gender}. Prosent med 95 % konfidensintervall")
}

/// Source line of a survey trend, with the latest wave's n per unit.
pub fn survey_chart_source(latest: Option<i32>, n: &[String]) -> String {
    format!(
        "Kilde: Ungdata-undersøkelsen (demodata). Antall svar (n) {}: {}",
        latest.map(|y| y.to_string()).unwrap_or_default(),
        n.join(", ")
    )
}

/// Legend of the thin quarterly police line.
pub fn police_quarter_series(name: &str) -> String {
    format!("{name}, hvert kvartal")
}

/// Legend of the thick police line.
pub fn police_mean_series(name: &str) -> String {
    format!("{name}, snitt siste fire kvartaler")
}

/// Title of a police count chart.
pub fn police_chart_title(group: &str) -> String {
    format!("Anmeldte lovbrudd: {group}")
}

/// Subtitle of a police count chart.
pub fn police_chart_subtitle(age: &str) -> String {
    format!(
        "{age}. Antall per kvartal (tynn linje) og snitt per kvartal for de siste fire kvartalene (tykk linje)"
    )
}

/// Source line of a police count chart: the latest value of the thick line, as plotted.
pub fn police_chart_source(latest: &[(String, Quarter, f64)]) -> String {
    let parts: Vec<String> = latest
        .iter()
        .map(|(name, q, v)| format!("{name} {} ({q})", one_decimal(*v)))
        .collect();
    format!(
        "Kilde: Politiets lokale uttrekk (demodata). Snitt per kvartal, siste fire kvartaler: {}",
        parts.join(", ")
    )
}

/// Title of a rate chart.
pub fn rate_chart_title(group: &str) -> String {
    format!("Anmeldte lovbrudd per 1 000 innbyggere: {group}")
}

/// Subtitle of a rate chart.
pub fn rate_chart_subtitle(age: &str) -> String {
    format!("{age}. Siste fire kvartaler per 1 000 innbyggere i aldersgruppen")
}

/// Source line of a rate chart.
pub fn rate_chart_source(population: &str, latest: &[(String, Quarter, f64)]) -> String {
    let parts: Vec<String> = latest
        .iter()
        .map(|(name, q, v)| format!("{name} {} ({q})", one_decimal(*v)))
        .collect();
    format!(
        "Kilde: Politiets lokale uttrekk (demodata), {population}. Siste: {}",
        parts.join(", ")
    )
}

/// Subtitle of the gender and grade bars.
pub fn bars_subtitle(year: i32) -> String {
    format!("Jenter og gutter etter trinn, {year}. Prosent")
}

/// Source line of the gender and grade bars.
pub fn bars_source(n: u32) -> String {
    format!(
        "Kilde: Ungdata-undersøkelsen (demodata). Antall svar (n): {}",
        thousands(n.into())
    )
}

/// A number with one decimal and a decimal comma.
pub fn one_decimal(v: f64) -> String {
    format!("{v:.1}").replace('.', ",")
}

/// What a text alternative says of one series: its latest published point and the one it
/// is compared with (`lag` positions before, or the previous published point).
pub(crate) struct SeriesLatest {
    /// Series name.
    pub name: String,
    /// X name and value of the latest published point.
    pub now: (String, f64),
    /// X name and value of the point compared with.
    pub before: Option<(String, f64)>,
}

/// An x name (`2025K4`, `2025`) as prose writes it (`4. kvartal 2025`, `2025`).
pub fn x_words(name: &str) -> String {
    name.parse::<Quarter>()
        .map_or_else(|_| name.to_owned(), quarter_words)
}

/// The text alternative of a line chart: what it shows, each line's latest value and what it
/// is compared with, the reference, and where the numbers are.
pub(crate) fn line_alt(
    title: &str,
    subtitle: &str,
    span: Option<(&str, &str)>,
    latest: &[SeriesLatest],
    reference: Option<(&str, String)>,
    value: &dyn Fn(f64) -> String,
) -> String {
    let mut s = format!("Linjediagram: {title}. {subtitle}");
    if let Some((a, b)) = span {
        s.push_str(&format!(", {}–{}", x_words(a), x_words(b)));
    }
    s.push('.');
    for l in latest {
        s.push_str(&format!(
            " {}: {} i {}",
            l.name,
            value(l.now.1),
            x_words(&l.now.0)
        ));
        if let Some((x, v)) = &l.before {
            s.push_str(&format!(", mot {} i {}", value(*v), x_words(x)));
        }
        s.push('.');
    }
    if let Some((label, level)) = reference {
        s.push_str(&format!(" {label}: {level}."));
    }
    s.push_str(" Alle tallene står i tabellen til diagrammet.");
    s
}

/// The text alternative of a gender and grade bar chart.
pub fn bars_alt(chart: &oppvekst_charts::GenderGradeBars) -> String {
    let mut s = format!("Stolpediagram: {}. {}.", chart.title, chart.subtitle);
    let shown: Vec<String> = chart
        .bars
        .iter()
        .map(|(grade, g, b)| {
            let v = |x: &Option<f64>| x.map_or_else(|| ":".to_owned(), percent_words);
            let grade = if grade.ends_with('.') {
                format!("{grade} trinn")
            } else {
                grade.clone()
            };
            format!("{grade}: jenter {}, gutter {}", v(g), v(b))
        })
        .collect();
    s.push(' ');
    s.push_str(&shown.join("; "));
    s.push_str(". Tallene står også i tabellen under diagrammene.");
    s
}

// ---------------------------------------------------------------------------------------
// Method note

/// The method note, paragraph by paragraph; every threshold is the configured one.
pub(crate) fn method(input: &crate::BundleInput<'_>) -> Vec<String> {
    let s = input.survey_rules;
    let p = input.police_rules;
    let mut v = vec![format!(
        "Svarene i Ungdata og politiets tall er taushetsbelagte. Før noe publiseres, skjules tall som kan si noe om enkeltpersoner. \
         En andel fra Ungdata vises ikke når {} eller færre har svart ja{}{}.",
        s.max_small_count,
        s.max_small_complement
            .map(|t| format!(", når {t} eller færre har svart nei"))
            .unwrap_or_default(),
        s.max_small_denominator
            .map(|n| format!(", eller når gruppen har {n} eller færre svar"))
            .unwrap_or_default(),
    )];
    if let Some(g) = &s.gender {
        v.push(format!(
            "Tall for jenter og gutter vises ikke hver for seg når gruppen har færre enn {} svar eller ett av kjønnene færre enn {}.",
            g.min_group, g.min_each
        ));
    }
    if let Some(sr) = &s.series {
        v.push(format!(
            "Når mer enn {} % av tallene i en tidsserie (samme gruppe over undersøkelsesårene) er skjult, skjules hele serien.",
            (sr.max_hidden_share * 100.0).round()
        ));
    }
    v.push(if p.protect_zeros {
        format!("Politiets tall fra 0 til {} skjules.", p.max_small_count)
    } else {
        format!(
            "Politiets tall fra 1 til {} skjules; 0 vises, for der er det ingen person å beskytte.",
            p.max_small_count
        )
    });
    v.push(
        "I tillegg skjules andre tall (sekundær skjuling) slik at et skjult tall ikke kan regnes ut fra summer, for eksempel \
         jenter + gutter = alle eller 8. + 9. + 10. trinn = ungdomstrinnet. Symbolet : betyr at tallet er skjult av hensyn til taushetsplikt. \
         Tall som trenger et skjult tall (en andel, en sum for fire kvartaler eller en endring) vises heller ikke."
            .into(),
    );
    v.push(
        "Hvilke tall som skjules i tillegg, velges med to metoder, eliminasjon (som SSBs GaussSuppression) og hyperkuber, \
         og den som skjuler minst, brukes. Oppsummeringen viser for hver tabell hvor mange tall som er skjult, og summen av de \
         skjulte tallene på laveste nivå. Den summen kan enhver leser regne ut selv (totalen minus de publiserte tallene under \
         den), så den røper ingenting nytt; summen av alle skjulte tall, også skjulte summer, publiseres ikke."
            .into(),
    );
    v.push(format!(
        "Skjulingen er kontrollert av en egen kontroll som ikke bruker skjulingens kode: for hvert skjult tall er det vist \
         (med lineær programmering, eller med to tabeller som stemmer med alt som er publisert) hvor langt tallet minst kan variere \
         for en leser som kjenner alt denne og tidligere utgivelser har publisert — alle tall, alle antall svar, alle summer, at tallene er hele tall som ikke er negative, og \
         grensene som står i denne metodeteksten. Et tall som er skjult fordi det er lite, kan en slik leser ikke \
         komme nærmere enn et spenn på minst {} (Ungdata) eller {} (politiets tall), for eksempel «et sted mellom 0 og {}», så det \
         aldri kan bestemmes eksakt. Tall som er skjult bare for å beskytte andre tall, kunne vært publisert alene og har ikke \
         noe slikt krav. Et skjult tall er merket med : og ingenting annet; hvorfor det enkelte tallet \
         er skjult, står bare i analytikerens fortrolige arbeidsmappe. Kontrollen gikk gjennom uten funn; ellers hadde denne \
         rapporten ikke blitt laget.",
        s.protection_width, p.protection_width, s.protection_width
    ));
    if let Some(c) = &s.coverage {
        v.push(format!(
            "Tall for en region vises bare når kommunene med tall dekker minst {} % av ungdommene i regionen (FHIs dekningsregel).",
            (c.min_share * 100.0).round()
        ));
    }
    v.push(
        "Standardisert andel er justert for kjønn og trinn (direkte standardisering): hver kommune får samme fordeling av gutter og \
         jenter på hvert trinn som kommunene har til sammen. Da kan kommuner med ulik elevsammensetning sammenlignes. \
         Landstall er publiserte tall for flere år slått sammen, og perioden står i navnet (for eksempel «Norge 2023–2025»). \
         En forskjell fra landsnivået omtales bare når den er statistisk sikker."
            .into(),
    );
    if let Some(note) = &input.population_note {
        v.push(format!(
            "Rater per 1 000 innbyggere er antall lovbrudd de siste fire kvartalene delt på antall innbyggere i aldersgruppen per 1. januar \
             samme år ({note}). Finnes ikke befolkningstall for året ennå, brukes nærmeste år, og året står i tabellen."
        ));
    }
    v.push(format!(
        "Andeler vises med 95 % konfidensintervall (Wilson). En endring mellom to undersøkelser eller en forskjell fra landet \
         kalles statistisk sikker bare når den holder etter en korreksjon for at mange sammenligninger er gjort: hver sammenligning \
         får en tosidig test, og p-verdiene for alle {} sammenligningene i denne utgivelsen justeres samlet (Benjamini–Hochberg), \
         slik at høyst 5 % av det som kalles sikkert, ventes å være tilfeldig. Tabellene gir både p-verdien og den justerte \
         p-verdien. Dataene i denne demoen er syntetiske.",
        thousands(input.tests as u64)
    ));
    v
}

// ---------------------------------------------------------------------------------------
// Groups named in charts and headings

/// Both genders together.
pub const BOTH_GENDERS: &str = "begge kjønn";
/// Police charts by offence group.
pub const ALL_AGES: &str = "Alle aldre";
/// The SLT target group.
pub const TARGET_AGES: &str = "Mistenkte 10–25 år";

/// Heading of a police count section.
pub fn police_section(group: &str, age: &str) -> String {
    format!("{group}, {}", age.to_lowercase())
}

/// Heading of a police rate section.
pub fn rate_section(group: &str, age: &str) -> String {
    format!("{group} per 1 000 innbyggere, {}", age.to_lowercase())
}

// ---------------------------------------------------------------------------------------
// The first screen

/// A change between two waves, as the first screen names it.
pub struct ChangeWords<'a> {
    /// Indicator label.
    pub indicator: &'a str,
    /// Municipality name.
    pub municipality: &'a str,
    /// Videregående (else ungdomstrinnet).
    pub upper_secondary: bool,
    /// Percent in the earlier wave.
    pub from_percent: f64,
    /// Percent in the later wave.
    pub to_percent: f64,
    /// Earlier wave.
    pub from_year: i32,
    /// Later wave.
    pub to_year: i32,
}

fn level_words(upper_secondary: bool) -> &'static str {
    if upper_secondary {
        "på videregående"
    } else {
        "på ungdomstrinnet"
    }
}

/// A percent as the report writes it: `12,3 %`.
pub(crate) fn percent_words(p: f64) -> String {
    format!("{} %", one_decimal(p))
}

/// "I Fredrikstad økte andelen «…» på ungdomstrinnet fra 12,0 % i 2022 til 18,3 % i 2025."
pub fn change_sentence(c: &ChangeWords<'_>) -> String {
    let verb = if c.to_percent > c.from_percent {
        "økte"
    } else {
        "sank"
    };
    format!(
        "I {} {verb} andelen «{}» {} fra {} i {} til {} i {}.",
        c.municipality,
        c.indicator.to_lowercase(),
        level_words(c.upper_secondary),
        percent_words(c.from_percent),
        c.from_year,
        percent_words(c.to_percent),
        c.to_year
    )
}

/// A difference from the country, as the first screen names it.
pub struct DifferenceWords<'a> {
    /// Indicator label.
    pub indicator: &'a str,
    /// Municipality name.
    pub municipality: &'a str,
    /// Videregående (else ungdomstrinnet).
    pub upper_secondary: bool,
    /// The municipality's percent.
    pub percent: f64,
    /// Reference label (`Norge 2023–2025`).
    pub reference: &'a str,
    /// The reference's percent.
    pub reference_percent: f64,
    /// Survey year.
    pub year: i32,
}

/// "I Sarpsborg er andelen «…» på ungdomstrinnet høyere enn i Norge 2023–2025: 23,4 % i 2025 mot 18,0 %."
pub fn difference_sentence(d: &DifferenceWords<'_>) -> String {
    let side = if d.percent > d.reference_percent {
        "høyere"
    } else {
        "lavere"
    };
    format!(
        "I {} er andelen «{}» {} {side} enn i {}: {} i {} mot {}.",
        d.municipality,
        d.indicator.to_lowercase(),
        level_words(d.upper_secondary),
        d.reference,
        percent_words(d.percent),
        d.year,
        percent_words(d.reference_percent)
    )
}

/// The comparison table's cell for a difference from the reference `r` (percentage points).
pub fn difference_cell(d: f64, r: &str, significant: bool) -> String {
    if significant {
        format!(
            "{} prosentpoeng {} {r}",
            one_decimal(d.abs()),
            if d > 0.0 { "over" } else { "under" }
        )
    } else {
        format!("ingen sikker forskjell fra {r}")
    }
}

/// How many comparisons were made and how many hold after the correction.
pub fn tested_sentence(
    tests: usize,
    changes_kept: usize,
    changes: usize,
    differences_kept: usize,
    differences: usize,
) -> String {
    let n = |v: usize| thousands(v as u64);
    format!(
        "{} sammenligninger er gjort ({} endringer mellom de to siste undersøkelsene og {} forskjeller fra landet, alle grupper). \
         Etter korreksjon for så mange sammenligninger (Benjamini–Hochberg, høyst 5 % falske funn) holder {} endringer og {} forskjeller; \
         her står de største for begge kjønn samlet, resten i avsnittene og i tabellene.",
        n(tests),
        n(changes),
        n(differences),
        n(changes_kept),
        n(differences_kept)
    )
}

/// One municipality's police sentence for ages 10–25 (the last four quarters against the
/// four before them).
pub fn police_target_sentence(
    municipality: &str,
    last: Quarter,
    now: Option<u32>,
    year_before: Option<u32>,
) -> String {
    let Some(now) = now else {
        return format!(
            "{municipality}: tallet for lovbrudd med mistenkte 10–25 år de siste fire kvartalene til og med {} vises ikke (:).",
            quarter_words(last)
        );
    };
    let mut s = format!(
        "{municipality}: {} anmeldte lovbrudd med mistenkte 10–25 år de siste fire kvartalene til og med {}",
        thousands(now.into()),
        quarter_words(last)
    );
    if let Some(before) = year_before.filter(|b| *b > 0) {
        let change = 100.0 * (f64::from(now) - f64::from(before)) / f64::from(before);
        let rounded = change.round();
        if rounded == 0.0 {
            s.push_str(&format!(
                ", omtrent like mange som de fire kvartalene før ({})",
                thousands(before.into())
            ));
        } else {
            s.push_str(&format!(
                ", {} % {} enn de fire kvartalene før ({})",
                rounded.abs(),
                if rounded > 0.0 { "flere" } else { "færre" },
                thousands(before.into())
            ));
        }
    }
    s.push('.');
    s
}

/// The first screen when no change holds.
pub const NO_CHANGES: &str =
    "Ingen endringer mellom de to siste undersøkelsene holder etter korreksjonen.";
/// The first screen when no difference from the country holds.
pub const NO_DIFFERENCES: &str = "Ingen forskjeller fra landet holder etter korreksjonen.";

// ---------------------------------------------------------------------------------------
// Headings, captions and labels of the page (the template names them `t.<key>`)

/// Every fixed text of `index.html`.
pub const PAGE: &[(&str, &str)] = &[
    ("skip", "Gå til innholdet"),
    ("toc", "Innhold"),
    ("first", "Det viktigste"),
    ("first_changes", "Største endringer"),
    ("first_differences", "Største forskjeller fra landet"),
    ("first_police", "Politiets tall for unge 10–25 år"),
    ("published", "Publisert"),
    ("municipalities", "Kommuner"),
    ("police", "Anmeldte lovbrudd"),
    ("rates", "Per 1 000 innbyggere"),
    ("flags", "Kjennetegn ved de anmeldte lovbruddene"),
    (
        "flags_intro",
        "Antall anmeldte lovbrudd (alle lovbruddsgrupper og aldre) som politiet har merket med kjennetegnet. Ett lovbrudd kan ha flere kjennetegn, så tallene kan ikke legges sammen. Et tall skjules også når lovbruddstallet det er en del av, er skjult.",
    ),
    ("official", "Kontroll mot SSBs offisielle tall"),
    (
        "official_caption",
        "Anmeldte lovbrudd, gjennomsnitt per år: lokalt uttrekk og SSB 08487",
    ),
    ("method", "Metode og taushetsplikt"),
    ("symbols", "Tegnforklaring"),
    ("symbol_hidden", "Skjult av hensyn til taushetsplikt"),
    ("symbol_na", "Ikke tall for denne perioden"),
    ("protection", "Oppsummering av skjuling"),
    ("ingest", "Innlesing"),
    ("survey_source", "Kilde: Ungdata (demodata)."),
    (
        "police_source",
        "Kilde: Politiets lokale uttrekk (demodata).",
    ),
    ("png", "Diagrammet som PNG (for lysbilder)"),
    (
        "survey_caption",
        "ungdomstrinnet, prosent (95 % KI) og antall svar",
    ),
    ("year", "År"),
    ("quarter", "Kvartal"),
    ("grade", "Trinn"),
    ("area", "Område"),
    ("percent_ci", "Prosent (95 % KI)"),
    ("answers", "Antall svar"),
    ("standardised", "Standardisert for kjønn og trinn"),
    ("difference", "Forskjell fra landet"),
    ("compare_caption", "siste undersøkelse"),
    ("compare_tail", "begge kjønn, sammenlignet med landet"),
    ("recent", "siste åtte kvartaler"),
    ("all_points", "Alle tallene i diagrammet"),
    ("quarters", "kvartaler"),
    ("municipality", "Kommune"),
    ("period", "Periode"),
    ("offence_group", "Lovbruddsgruppe"),
    ("local", "Lokalt uttrekk"),
    ("ssb", "SSB 08487"),
    ("diff", "Forskjell"),
    ("flags_source", "Alle kvartaler og lovbruddsgrupper står i"),
    (
        "ssb_source",
        "Kilde: Politiets lokale uttrekk (demodata) og SSB, tabell 08487.",
    ),
    ("table", "Tabell"),
    ("cells", "Celler"),
    ("hidden", "Skjult"),
    ("hidden_share", "Andel skjult"),
    ("hidden_sum", "Sum i skjulte minste celler"),
    ("relations", "Summeringsrelasjoner"),
    ("width", "Krav til intervallbredde"),
    ("findings", "Funn"),
    ("source", "Kilde"),
    ("files", "Filer"),
    ("rows_read", "Rader lest"),
    ("accepted", "Godtatt"),
    ("quarantined", "I karantene"),
    ("manifest", "Alle filer i pakken er listet med SHA-256 i"),
    ("tables_where", "Tabellene for Excel ligger i mappen"),
    ("parquet_where", "og for analyseverktøy i"),
];

/// Column of quarters.
pub const QUARTER: &str = "Kvartal";
/// Column of grades.
pub const GRADE: &str = "Trinn";
/// Caption tail of a police table with every quarter.
pub const ALL_QUARTERS: &str = "alle kvartaler i diagrammet";
/// Caption tail of a police table with the last eight quarters.
pub const RECENT_QUARTERS: &str = "siste åtte kvartaler";

/// Caption of the gender and grade table.
pub fn bars_table_caption(label: &str) -> String {
    format!("{label}: jenter og gutter etter trinn, siste undersøkelse, prosent")
}

// ---------------------------------------------------------------------------------------
// Tables for Excel: values as the report writes them, headers with units

/// A gender code as the report writes it.
pub fn gender_words(code: &str) -> &str {
    use oppvekst_schema::dims::{GENDER_ALL, GENDERS};
    match code {
        GENDER_ALL => "Begge kjønn",
        c if c == GENDERS[0] => "Gutter",
        c if c == GENDERS[1] => "Jenter",
        other => other,
    }
}

/// An age band code as the report writes it (`10–14 år`, `Alle aldre`).
pub fn age_words(code: &str) -> String {
    use oppvekst_schema::codes::{AGE_ALL, AGE_OTHER};
    match code {
        AGE_ALL => ALL_AGES.to_owned(),
        AGE_OTHER => "Andre aldre (utenfor 10–25 år)".to_owned(),
        band => format!("{} år", band.replace('-', "–")),
    }
}

/// Yes or no.
pub fn yes_no(b: bool) -> &'static str {
    if b { "Ja" } else { "Nei" }
}

/// The explanation sheet of the workbook.
pub const WORKBOOK_NOTES: [&str; 6] = [
    "Tabeller fra oppvekst. Tallene er beskyttet av hensyn til taushetsplikt.",
    ": = skjult av hensyn til taushetsplikt",
    ". = finnes ikke (for eksempel summen av fire kvartaler før det finnes fire)",
    "Andeler i prosent med 95 % konfidensintervall (Wilson). Justert p-verdi: Benjamini–Hochberg over alle sammenligninger i utgivelsen; statistisk sikker betyr justert p-verdi under 0,05.",
    "Arkene tilsvarer CSV-filene i mappen tabeller/. Kodene (indikator-id, trinn- og kjønnskoder) står i Parquet-filene i mappen data/.",
    "Kvartaler skrives 2025K4 (4. kvartal 2025).",
];
/// Name of the workbook's explanation sheet.
pub const WORKBOOK_NOTES_SHEET: &str = "Om tabellene";

/// Column names of `indikatorer.csv`.
pub const INDICATOR_HEADER: [&str; 12] = [
    "Indikator",
    "Fokusområde",
    "Kommunenr.",
    "Kommune",
    "År",
    "Trinn",
    "Kjønn",
    "Andel (%)",
    "Nedre grense 95 % KI (%)",
    "Øvre grense 95 % KI (%)",
    "Antall ja",
    "Antall svar",
];

/// Column names of `politi.csv`.
pub const POLICE_HEADER: [&str; 10] = [
    "Kommunenr.",
    "Kommune",
    "Lovbruddsgruppe",
    "Alder mistenkt",
    "Kvartal",
    "Antall lovbrudd",
    "Sum siste fire kvartaler",
    "Endring fra samme kvartal året før (antall)",
    "Per 1 000 innbyggere, siste fire kvartaler",
    "Befolkning per 1. januar, år",
];

/// Column names of `endringer.csv`.
pub const CHANGES_HEADER: [&str; 12] = [
    "Indikator",
    "Kommune",
    "Trinn",
    "Kjønn",
    "Fra år",
    "Til år",
    "Fra (%)",
    "Til (%)",
    "Endring (prosentpoeng)",
    "p-verdi",
    "Justert p-verdi",
    "Statistisk sikker",
];

/// Column names of `sammenligning.csv`.
pub const COMPARISON_HEADER: [&str; 16] = [
    "Indikator",
    "Kommune eller region",
    "År",
    "Trinn",
    "Kjønn",
    "Andel (%)",
    "Nedre grense 95 % KI (%)",
    "Øvre grense 95 % KI (%)",
    "Antall svar",
    "Standardisert for kjønn og trinn (%)",
    "Sammenlignet med",
    "Landsnivå (%)",
    "Forskjell (prosentpoeng)",
    "p-verdi",
    "Justert p-verdi",
    "Statistisk sikker",
];

/// Column names of `politi_kjennetegn.csv`.
pub const FLAGS_HEADER: [&str; 6] = [
    "Kommunenr.",
    "Kommune",
    "Kvartal",
    "Lovbruddsgruppe",
    "Kjennetegn",
    "Antall lovbrudd",
];
