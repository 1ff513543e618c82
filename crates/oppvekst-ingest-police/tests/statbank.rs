//! SSB's wide StatBank tables as people download them (StatBank CSV with a title line, an R
//! export with `NA`, an XLSX), read as official reference data with every symbol a status.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use oppvekst_ingest_police::ssb::SsbValue;
use oppvekst_ingest_police::statbank::{WideValue, read_wide_csv, read_wide_xlsx};

fn find<'a>(v: &'a [WideValue], region: &str, group: &str, count: bool) -> &'a WideValue {
    v.iter()
        .find(|x| {
            x.region == region
                && x.group.as_deref() == Some(group)
                && x.measure.contains("per 1") != count
        })
        .unwrap_or_else(|| panic!("{region} {group}: {v:?}"))
}

#[test]
fn a_statbank_csv_download_with_a_title_line_and_two_contents_columns() {
    let text = "\"08487: Anmeldte lovbrudd. Gjennomsnitt per år, etter gjerningssted, lovbruddsgruppe, intervall (år) og statistikkvariabel\"\r\n\r\n\
\"gjerningssted\";\"lovbruddsgruppe\";\"intervall (år)\";\"Anmeldte lovbrudd (gjennomsnitt per år)\";\"Anmeldte lovbrudd per 1 000 innbyggere (gjennomsnitt per år)\"\r\n\
\"3107 Fredrikstad\";\"Alle lovbruddsgrupper\";\"2024-2025\";4100;48,5\r\n\
\"3107 Fredrikstad\";\"Vold og mishandling\";\"2024-2025\";612;7,2\r\n\
\"3105 Sarpsborg\";\"Seksuallovbrudd\";\"2024-2025\";\":\";\":\"\r\n\
\"0 Hele landet\";\"Vold og mishandling\";\"2024-2025\";\"..\";\"-\"\r\n";
    let bytes = encoding_rs::WINDOWS_1252.encode(text).0.into_owned();
    let v = read_wide_csv("08487.csv", &bytes).unwrap();
    assert_eq!(v.len(), 8);
    let all = find(&v, "3107 Fredrikstad", "alle", true);
    assert_eq!(
        (all.municipality.as_deref(), all.period.as_str(), all.value),
        (Some("3107"), "2024-2025", SsbValue::Number(4100.0))
    );
    assert_eq!(
        find(&v, "3107 Fredrikstad", "vold", false).value,
        SsbValue::Number(7.2)
    );
    // Hidden stays hidden, missing missing, `-` an exact zero: never a number read from text.
    assert_eq!(
        find(&v, "3105 Sarpsborg", "seksual", true).value,
        SsbValue::Hidden
    );
    assert_eq!(
        find(&v, "0 Hele landet", "vold", true).value,
        SsbValue::Missing
    );
    assert_eq!(
        find(&v, "0 Hele landet", "vold", false).value,
        SsbValue::Zero
    );
    assert_eq!(find(&v, "0 Hele landet", "vold", true).municipality, None);
}

#[test]
fn an_r_export_with_one_column_per_offence_group_and_na() {
    let text = "region,tid,Alle lovbruddsgrupper,Eiendomstyveri,Vold og mishandling\n\
3107 Fredrikstad,20-21,4010.5,NA,590\n\
K-3105 Sarpsborg,2020-2021,2950,..,410.5\n";
    let v = read_wide_csv("08487_r.csv", text.as_bytes()).unwrap();
    assert_eq!(v.len(), 6);
    let f = find(&v, "3107 Fredrikstad", "alle", true);
    assert_eq!(
        (f.period.as_str(), f.value),
        ("2020-2021", SsbValue::Number(4010.5))
    );
    assert_eq!(
        find(&v, "3107 Fredrikstad", "eiendomstyveri", true).value,
        SsbValue::Missing
    );
    let s = find(&v, "K-3105 Sarpsborg", "vold", true);
    assert_eq!(
        (s.municipality.as_deref(), s.value),
        (Some("3105"), SsbValue::Number(410.5))
    );
    assert_eq!(
        find(&v, "K-3105 Sarpsborg", "eiendomstyveri", true).value,
        SsbValue::Missing
    );
}

#[test]
fn an_xlsx_with_the_region_as_a_number_and_text_where_a_value_belongs_is_refused() {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["region", "intervall (år)", "Vold og mishandling"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_number(1, 0, 3107.0).unwrap();
    ws.write_string(1, 1, "2024-2025").unwrap();
    ws.write_number(1, 2, 612.5).unwrap();
    ws.write_number(2, 0, 3105.0).unwrap();
    ws.write_string(2, 1, "2024-2025").unwrap();
    ws.write_string(2, 2, ":").unwrap();
    let v = read_wide_xlsx("08487.xlsx", &wb.save_to_buffer().unwrap()).unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(v[0].municipality.as_deref(), Some("3107"));
    assert_eq!(v[0].value, SsbValue::Number(612.5));
    assert_eq!(v[1].value, SsbValue::Hidden);

    let text = "region;tid;Vold og mishandling\n3107 Fredrikstad;2024-2025;mange\n";
    let e = read_wide_csv("x.csv", text.as_bytes())
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "x.csv: line 2, column `Vold og mishandling`: neither a number nor an SSB symbol nor NA"
    );
}

#[test]
fn population_07459_as_a_statbank_download_and_as_an_r_export() {
    use oppvekst_ingest_police::population::read_population;
    use oppvekst_schema::Harmoniser;
    use oppvekst_schema::population::AgeRange;
    let h = Harmoniser::builtin().unwrap();
    let band = AgeRange {
        from: 15,
        to: Some(16),
    };
    let long = "\"07459: Befolkning, etter region, alder, statistikkvariabel og år\"\n\n\
\"region\";\"alder\";\"år\";\"Personer\"\n\
\"3107 Fredrikstad\";\"15 år\";\"2025\";1000\n\
\"3107 Fredrikstad\";\"16 år\";\"2025\";1010\n\
\"3105 Sarpsborg\";\"15 år\";\"2025\";700\n\
\"3105 Sarpsborg\";\"16 år\";\"2025\";\":\"\n";
    let p = read_population("07459.csv", long.as_bytes(), &h).unwrap();
    assert_eq!(p.exact("3107", 2025, band), Some(2010));
    // A hidden age is unknown: the band is not summed over it.
    assert_eq!(p.exact("3105", 2025, band), None);
    assert_eq!(p.sources, vec!["SSB 07459".to_owned()]);

    // An R export: one column per age, the old municipality number harmonised.
    let wide = "region,year,15,16\n3004 Fredrikstad,2023,990,NA\n3004 Fredrikstad,2022,980,985\n";
    let p = read_population("07459_r.csv", wide.as_bytes(), &h).unwrap();
    assert_eq!(p.exact("3107", 2022, band), Some(1965));
    assert_eq!(p.exact("3107", 2023, band), None);
}
