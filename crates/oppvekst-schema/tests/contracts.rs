//! The human-written contracts in data-schema/ agree with the code's Arrow schemas, and
//! every example file parses against its contract.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use oppvekst_schema::Catalogue;
use oppvekst_schema::contracts::{Contract, files, schema_for};

fn data_schema() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data-schema")
}

fn contract(name: &str) -> Contract {
    let path = data_schema().join("contracts").join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Contract::parse(&path.display().to_string(), &text).unwrap()
}

#[test]
fn code_schemas_match_the_contracts() {
    let cat = Catalogue::builtin().unwrap();
    for name in files::ALL {
        let c = contract(name);
        assert_eq!(c.name, name);
        let schema = schema_for(name, &cat.codebook.items).unwrap();
        let diff = c.diff(&schema, &cat.codebook.items, true);
        assert!(diff.is_empty(), "{name}: {diff:#?}");
        for col in &c.columns {
            assert!(
                !col.description.trim().is_empty(),
                "{name}.{}: no description",
                col.name
            );
        }
    }
}

#[test]
fn a_changed_schema_is_caught() {
    let cat = Catalogue::builtin().unwrap();
    let c = contract(files::SURVEY_CELLS);
    let mut fields: Vec<_> = schema_for(files::POLICE_COUNTS, &[])
        .unwrap()
        .fields()
        .iter()
        .cloned()
        .collect();
    fields.truncate(3);
    let diff = c.diff(
        &arrow::datatypes::Schema::new(fields),
        &cat.codebook.items,
        true,
    );
    assert!(diff.len() >= 2, "{diff:?}");
}

fn check_value(ty: &str, v: &str) -> bool {
    match ty {
        "utf8" => true,
        "int8" => v.parse::<i8>().is_ok(),
        "int32" => v.parse::<i32>().is_ok(),
        "int64" => v.parse::<i64>().is_ok(),
        "uint32" => v.parse::<u32>().is_ok(),
        "uint64" => v.parse::<u64>().is_ok(),
        "float64" => v.parse::<f64>().is_ok(),
        "bool" => v == "true" || v == "false",
        _ => false,
    }
}

#[test]
fn examples_parse_against_their_contracts() {
    let cat = Catalogue::builtin().unwrap();
    for name in files::ALL {
        let c = contract(name);
        let mut cols: Vec<(String, String, bool, Vec<String>)> = c
            .columns
            .iter()
            .map(|x| (x.name.clone(), x.ty.clone(), x.nullable, x.codes.clone()))
            .collect();
        if c.item_columns {
            for it in &cat.codebook.items {
                let codes = (it.valid[0]..=it.valid[1]).map(|v| v.to_string()).collect();
                cols.push((it.id.clone(), "int8".into(), true, codes));
            }
        }
        let path = data_schema().join("examples").join(format!("{name}.csv"));
        let mut rdr =
            csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let header: Vec<String> = rdr.headers().unwrap().iter().map(str::to_owned).collect();
        let names: Vec<String> = cols.iter().map(|c| c.0.clone()).collect();
        assert_eq!(header, names, "{name}: example header");
        let mut n = 0;
        for (i, rec) in rdr.records().enumerate() {
            let rec = rec.unwrap();
            n += 1;
            for ((col, ty, nullable, codes), v) in cols.iter().zip(rec.iter()) {
                let at = format!("{name} example row {}, column {col}", i + 2);
                if v.is_empty() {
                    assert!(nullable, "{at}: null in a non-nullable column");
                    continue;
                }
                assert!(check_value(ty, v), "{at}: not a {ty}");
                assert!(
                    codes.is_empty() || codes.iter().any(|c| c == v),
                    "{at}: not one of the codes"
                );
            }
        }
        assert!(n > 0, "{name}: example has no rows");
    }
}

/// The human pages in data-schema/docs/ are generated from the contracts; set
/// OPPVEKST_BLESS=1 to rewrite them after changing a contract.
#[test]
fn docs_match_contracts() {
    let cat = Catalogue::builtin().unwrap();
    for name in files::ALL {
        let md = contract(name).to_markdown(&cat.codebook.items);
        let path = data_schema().join("docs").join(format!("{name}.md"));
        if std::env::var_os("OPPVEKST_BLESS").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &md).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            committed,
            md,
            "{} is out of date: run with OPPVEKST_BLESS=1",
            path.display()
        );
    }
}
