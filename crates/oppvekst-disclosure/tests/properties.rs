//! Property tests: for random hierarchical tables, every published cell satisfies the primary
//! rules, the independent audit proves every hidden cell protected, and protection is
//! deterministic.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use oppvekst_audit::{AuditOptions, Publication, audit};
use oppvekst_disclosure::{Cell, Dimension, Rules, Table, check_primary, protect};
use proptest::prelude::*;

fn refs(e: &[(String, String)]) -> Vec<(&str, &str)> {
    e.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

/// A table with two hierarchical dimensions (a ⊂ A ⊂ total, b ⊂ total) and a flat one,
/// built from random inner counts.
fn table(shape: (usize, usize, usize, usize), values: &[u64], with_denominator: bool) -> Table {
    let (groups, per_group, b_codes, flat) = shape;
    let mut a_edges: Vec<(String, String)> = Vec::new();
    for g in 0..groups {
        a_edges.push((format!("G{g}"), "alle".into()));
        for k in 0..per_group {
            a_edges.push((format!("a{g}{k}"), format!("G{g}")));
        }
    }
    let b_edges: Vec<(String, String)> = (0..b_codes)
        .map(|k| (format!("b{k}"), "alle".into()))
        .collect();
    let flats: Vec<String> = (0..flat).map(|k| format!("f{k}")).collect();
    let dims = vec![
        Dimension::hierarchy("a", &refs(&a_edges)),
        Dimension::hierarchy("b", &refs(&b_edges)),
        Dimension::flat("f", &flats),
    ];
    let mut inner = Vec::new();
    let mut i = 0;
    for g in 0..groups {
        for k in 0..per_group {
            for bk in 0..b_codes {
                for f in &flats {
                    let x = values[i % values.len()];
                    i += 1;
                    inner.push(Cell {
                        key: vec![format!("a{g}{k}"), format!("b{bk}"), f.clone()],
                        value: x,
                        denominator: with_denominator
                            .then_some(x + values[(i * 7) % values.len()] + 3),
                    });
                }
            }
        }
    }
    Table::from_inner("random", dims, inner).unwrap()
}

fn shapes() -> impl Strategy<Value = (usize, usize, usize, usize)> {
    (1usize..4, 2usize..4, 2usize..4, 1usize..3)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn counts_tables_are_safe_and_deterministic(shape in shapes(), values in prop::collection::vec(0u64..30, 8..64), t in 1u64..5, zeros in any::<bool>()) {
        let tab = table(shape, &values, false);
        let rules = Rules { max_small_count: t, protect_zeros: zeros, protection_width: t, ..Rules::police_default() };
        let p = protect(&tab, &rules).unwrap();
        for (c, orig) in p.cells().iter().zip(&tab.cells) {
            if let Some(v) = c.value() {
                prop_assert_eq!(v, orig.value);
                prop_assert!(v > t || (v == 0 && !zeros), "published small count");
            }
        }
        prop_assert!(check_primary(&p, &rules).is_empty());
        // Audited again, on its own, by the independent audit.
        let a = audit(&Publication::single(p.published_view().clone()), &AuditOptions::width(t), &[]).unwrap();
        prop_assert!(a.passed(), "audit failures: {:?}", a.tables[0].failures);
        prop_assert_eq!(a.tables[0].hidden, p.summary().primary + p.summary().secondary);
        prop_assert_eq!(protect(&tab, &rules).unwrap(), p);
    }

    #[test]
    fn survey_like_tables_are_safe(shape in shapes(), values in prop::collection::vec(0u64..40, 8..64)) {
        let tab = table(shape, &values, true);
        let rules = Rules { gender: None, ..Rules::survey_default() };
        let p = protect(&tab, &rules).unwrap();
        for c in p.cells() {
            if let (Some(x), Some(n)) = (c.value(), c.denominator()) {
                prop_assert!(x > 6 && n - x > 6 && n > 20);
            }
        }
        let a = audit(&Publication::single(p.published_view().clone()), &AuditOptions::width(rules.protection_width), &[]).unwrap();
        prop_assert!(a.passed(), "audit failures: {:?}", a.tables[0].failures);
    }
}
