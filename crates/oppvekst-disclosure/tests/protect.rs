//! Behaviour of primary and secondary suppression on small hand-made tables.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use oppvekst_disclosure::{
    Cell, Dimension, DisclosureError, Rule, Rules, Status, Table, check_primary, protect,
};

fn gender_table(girls: (u64, u64), boys: (u64, u64)) -> Table {
    let cell = |g: &str, (x, n): (u64, u64)| Cell {
        key: vec!["A".into(), g.into()],
        value: x,
        denominator: Some(n),
    };
    Table {
        name: "t".into(),
        dimensions: vec![
            Dimension::flat("municipality", &["A"]),
            Dimension::hierarchy("gender", &[("jente", "alle"), ("gutt", "alle")]),
        ],
        cells: vec![
            cell("jente", girls),
            cell("gutt", boys),
            cell("alle", (girls.0 + boys.0, girls.1 + boys.1)),
        ],
    }
}

fn statuses(t: &Table, rules: &Rules) -> Vec<Status> {
    protect(t, rules)
        .unwrap()
        .cells()
        .iter()
        .map(|c| c.status())
        .collect()
}

#[test]
fn small_count_hides_and_secondary_hides_a_complement() {
    let t = gender_table((3, 100), (30, 100));
    let p = protect(&t, &Rules::survey_default()).unwrap();
    let s: Vec<Status> = p.cells().iter().map(|c| c.status()).collect();
    assert_eq!(
        s,
        vec![
            Status::Hidden(Rule::SmallCount),
            Status::Hidden(Rule::Secondary),
            Status::Published
        ]
    );
    assert_eq!(p.cells()[0].value(), None);
    assert_eq!(p.cells()[1].value(), None);
    assert_eq!(p.cells()[2].value(), Some(33));
    assert_eq!(p.cells()[0].denominator(), Some(100));
    assert_eq!((p.summary().primary, p.summary().secondary), (1, 1));
}

#[test]
fn complement_and_denominator_rules() {
    let s = statuses(
        &gender_table((96, 100), (30, 100)),
        &Rules::survey_default(),
    );
    assert_eq!(s[0], Status::Hidden(Rule::SmallComplement));
    let s = statuses(&gender_table((10, 20), (10, 100)), &Rules::survey_default());
    assert_eq!(s[0], Status::Hidden(Rule::SmallDenominator));
}

#[test]
fn gender_split_rule_hides_both_genders_only() {
    // 14 boys: no gender split, but the total of 60 is published. (With the default n ≤ 20
    // rule the boys would already be hidden; switch it off to see the gender rule alone.)
    let rules = Rules {
        max_small_denominator: None,
        ..Rules::survey_default()
    };
    let s = statuses(&gender_table((20, 46), (7, 14)), &rules);
    assert_eq!(
        s,
        vec![
            Status::Hidden(Rule::GenderSplit),
            Status::Hidden(Rule::GenderSplit),
            Status::Published
        ]
    );
}

#[test]
fn zeros_follow_configuration() {
    let police = Rules::police_default();
    let t = Table {
        name: "p".into(),
        dimensions: vec![Dimension::hierarchy(
            "offence",
            &[("a", "alle"), ("b", "alle"), ("c", "alle")],
        )],
        cells: ["a", "b", "c", "alle"]
            .iter()
            .zip([0u64, 9, 12, 21])
            .map(|(k, v)| Cell {
                key: vec![(*k).into()],
                value: v,
                denominator: None,
            })
            .collect(),
    };
    assert_eq!(statuses(&t, &police), vec![Status::Published; 4]);
    let strict = Rules {
        protect_zeros: true,
        ..police
    };
    let s = statuses(&t, &strict);
    assert_eq!(s[0], Status::Hidden(Rule::SmallCount));
    // the complement is the smaller non-zero part, not the total
    assert_eq!(s[1], Status::Hidden(Rule::Secondary));
    assert_eq!(s[2..], [Status::Published, Status::Published]);
}

#[test]
fn inconsistent_tables_are_errors_naming_the_cell() {
    let mut t = gender_table((10, 100), (30, 100));
    t.cells[2].value = 41;
    let e = protect(&t, &Rules::survey_default()).unwrap_err();
    assert_eq!(
        e,
        DisclosureError::NotAdditive {
            table: "t".into(),
            key: vec!["A".into(), "alle".into()],
            dimension: "gender".into()
        }
    );
    assert!(!e.to_string().contains("41"));
}

#[test]
fn totals_are_built_from_inner_cells_along_every_hierarchy() {
    let dims = vec![
        Dimension::hierarchy("offence", &[("a", "alle"), ("b", "alle")]),
        Dimension::hierarchy(
            "age",
            &[
                ("10-14", "10-25"),
                ("15-17", "10-25"),
                ("10-25", "alle"),
                ("andre", "alle"),
            ],
        ),
    ];
    let inner = [
        ("a", "10-14", 1u64),
        ("a", "15-17", 2),
        ("a", "andre", 4),
        ("b", "10-14", 8),
        ("b", "15-17", 16),
        ("b", "andre", 32),
    ]
    .iter()
    .map(|(o, a, v)| Cell {
        key: vec![(*o).into(), (*a).into()],
        value: *v,
        denominator: None,
    })
    .collect();
    let t = Table::from_inner("p", dims, inner).unwrap();
    assert_eq!(t.cells.len(), 3 * 5);
    let get = |o: &str, a: &str| t.cells.iter().find(|c| c.key == [o, a]).unwrap().value;
    assert_eq!(get("alle", "alle"), 63);
    assert_eq!(get("a", "10-25"), 3);
    assert_eq!(get("alle", "10-25"), 27);
    assert_eq!(get("b", "alle"), 56);
    // relations: 5 age codes × offence total (1 each) + 3 offence codes × 2 age totals
    assert_eq!(t.relations().unwrap().len(), 5 + 3 * 2);
}

#[test]
fn cells_come_out_sorted_by_key_and_bad_keys_are_named() {
    let dims = || {
        vec![
            Dimension::hierarchy("offence", &[("b", "alle"), ("a", "alle")]),
            Dimension::flat("age", &["y", "x"]),
        ]
    };
    let cell = |o: &str, a: &str| Cell {
        key: vec![o.into(), a.into()],
        value: 1,
        denominator: None,
    };
    let t = Table::from_inner(
        "p",
        dims(),
        vec![
            cell("b", "y"),
            cell("a", "x"),
            cell("b", "x"),
            cell("a", "y"),
        ],
    )
    .unwrap();
    let keys: Vec<Vec<String>> = t.cells.iter().map(|c| c.key.clone()).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert_eq!(keys.len(), 6);
    match Table::from_inner("p", dims(), vec![cell("c", "x")]) {
        Err(DisclosureError::UnknownCode { dimension, .. }) => assert_eq!(dimension, "offence"),
        other => panic!("expected an unknown code, got {other:?}"),
    }
    // A parent the dimension does not list among its codes.
    let mut orphan = dims();
    orphan[0].codes.retain(|c| c != "alle");
    match Table::from_inner("p", orphan, vec![cell("a", "x")]) {
        Err(DisclosureError::UnknownCode { dimension, .. }) => assert_eq!(dimension, "offence"),
        other => panic!("expected an unknown parent, got {other:?}"),
    }
    match Table::from_inner("p", dims(), vec![cell("a", "x"), cell("a", "x")]) {
        Err(DisclosureError::DuplicateCell { key, .. }) => assert_eq!(key, ["a", "x"]),
        other => panic!("expected a duplicate, got {other:?}"),
    }
    // A key given twice in a table built by hand.
    let mut twice = t.clone();
    twice.cells.push(twice.cells[0].clone());
    assert!(matches!(
        twice.relations(),
        Err(DisclosureError::DuplicateCell { .. })
    ));
    // A total without one of its children: a combination that does not occur (a sparse
    // table) is a structural zero, and the total sums the children present.
    let sparse = Table::from_inner(
        "p",
        dims(),
        vec![cell("b", "x"), cell("a", "x"), cell("a", "y")],
    )
    .unwrap();
    assert!(!sparse.cells.iter().any(|c| c.key == ["b", "y"]));
    let alle_y = sparse
        .cells
        .iter()
        .position(|c| c.key == ["alle", "y"])
        .unwrap();
    let a_y = sparse
        .cells
        .iter()
        .position(|c| c.key == ["a", "y"])
        .unwrap();
    let rels = sparse.relations().unwrap();
    let r = rels.iter().find(|r| r.total == alle_y).unwrap();
    assert_eq!(r.parts, vec![a_y]);
    // A total none of whose children is there is an error.
    let mut broken = sparse;
    broken.cells.retain(|c| c.key != ["a", "y"]);
    match broken.relations() {
        Err(DisclosureError::MissingChild { key, child, .. }) => {
            assert_eq!(key, ["alle", "y"]);
            assert_eq!(child[1], "y");
        }
        other => panic!("expected a missing child, got {other:?}"),
    }
}

#[test]
fn check_primary_accepts_protected_output_and_flags_weaker_rules() {
    let t = gender_table((10, 46), (7, 30));
    let lax = Rules {
        max_small_count: 2,
        max_small_complement: None,
        max_small_denominator: None,
        gender: None,
        ..Rules::survey_default()
    };
    let p = protect(&t, &lax).unwrap();
    assert!(check_primary(&p, &lax).is_empty());
    let flagged = check_primary(&p, &Rules::survey_default());
    // Girls 10 of 46 and boys 7 of 30 pass every default rule (x > 6, n − x > 6, n > 20,
    // group ≥ 40, each gender ≥ 15), so the defaults flag nothing …
    assert!(flagged.is_empty(), "{flagged:?}");
    // … while a strict count threshold above the published values flags both genders and the total.
    let strict = Rules {
        max_small_count: 20,
        ..Rules::survey_default()
    };
    assert_eq!(check_primary(&p, &strict).len(), 3);
    let p = protect(&t, &strict).unwrap();
    assert!(check_primary(&p, &strict).is_empty());
}

#[test]
fn series_rule_hides_a_series_with_too_many_hidden_points() {
    // Five survey years; two have small counts → 40 % hidden > 20 %: the whole series goes.
    let years = ["2013", "2016", "2019", "2022", "2025"];
    let xs = [3u64, 40, 2, 50, 45];
    let cells = years
        .iter()
        .zip(xs)
        .map(|(y, x)| Cell {
            key: vec![(*y).into()],
            value: x,
            denominator: Some(200),
        })
        .collect();
    let t = Table {
        name: "s".into(),
        dimensions: vec![Dimension::flat("survey_year", &years)],
        cells,
    };
    let p = protect(
        &t,
        &Rules {
            gender: None,
            ..Rules::survey_default()
        },
    )
    .unwrap();
    let rules: Vec<Option<Rule>> = p.cells().iter().map(|c| c.status().rule()).collect();
    assert_eq!(
        rules,
        vec![
            Some(Rule::SmallCount),
            Some(Rule::Series),
            Some(Rule::SmallCount),
            Some(Rule::Series),
            Some(Rule::Series)
        ]
    );
    // Protected without the rule, the re-check with it flags the three published points.
    let lax = Rules {
        gender: None,
        series: None,
        ..Rules::survey_default()
    };
    let p = protect(&t, &lax).unwrap();
    assert_eq!(
        check_primary(
            &p,
            &Rules {
                gender: None,
                ..Rules::survey_default()
            }
        )
        .len(),
        3
    );
    assert!(check_primary(&p, &lax).is_empty());
}

/// FHI's coverage rule: a region whose members with data hold too little of its youth is
/// hidden, every one of its cells, with the rule recorded; with enough coverage it is
/// published.
#[test]
fn coverage_rule_hides_a_thinly_covered_region() {
    let inner = |m: &str, q: &str, v: u64| Cell {
        key: vec![m.into(), q.into()],
        value: v,
        denominator: None,
    };
    let t = Table::from_inner(
        "politi",
        vec![
            Dimension::hierarchy("municipality", &[("A", "R"), ("B", "R")]),
            Dimension::flat("quarter", &["1", "2"]),
        ],
        vec![
            inner("A", "1", 40),
            inner("B", "1", 50),
            inner("A", "2", 45),
            inner("B", "2", 60),
        ],
    )
    .unwrap();
    let rules = |share: f64| Rules {
        coverage: Some(oppvekst_disclosure::CoverageRule {
            dimension: "municipality".into(),
            min_share: 0.5,
            shares: [("R".to_owned(), share)].into(),
        }),
        ..Rules::police_default()
    };
    let low = protect(&t, &rules(0.3)).unwrap();
    for c in low.cells() {
        let region = c.key()[0] == "R";
        assert_eq!(
            c.status() == Status::Hidden(Rule::Coverage),
            region,
            "{:?}",
            c.key()
        );
    }
    // A hidden region is protected like any hidden cell (conservative): it must not be
    // recomputable from its members, so complements are hidden and the audit passes.
    assert!(low.audit().failures.is_empty());
    assert!(
        low.cells()
            .iter()
            .any(|c| c.status() == Status::Hidden(Rule::Secondary))
    );
    assert!(check_primary(&low, &rules(0.3)).is_empty());
    let high = protect(&t, &rules(0.9)).unwrap();
    assert!(high.cells().iter().all(|c| c.status() == Status::Published));
}

/// Flagged counts bounded by a police table: a flag whose bounding count is hidden there is
/// hidden too, its sum partner is hidden so it cannot be computed back, and the audit proves
/// both wide enough.
#[test]
fn linked_cells_follow_their_hidden_bound() {
    use oppvekst_disclosure::{Ledger, protect_linked};
    let cell = |g: &str, x: u64, bound: u64| Cell {
        key: vec!["A".into(), g.into()],
        value: x,
        denominator: Some(bound),
    };
    let t = Table::from_inner(
        "flags",
        vec![
            Dimension::flat("municipality", &["A"]),
            Dimension::hierarchy(
                "offence_group",
                &[("vold", "alle"), ("orden", "alle"), ("rus", "alle")],
            ),
        ],
        vec![
            cell("vold", 20, 60),
            cell("orden", 9, 30),
            cell("rus", 8, 25),
        ],
    )
    .unwrap();
    let rules = Rules::police_default();
    // Nothing is small: without a link everything is published.
    let free = protect_linked(&t, &rules, &Ledger::default(), &[]).unwrap();
    assert!(free.cells().iter().all(|c| c.status() == Status::Published));
    // The police table hides the count that bounds `orden`.
    let linked: Vec<bool> = t.cells.iter().map(|c| c.key[1] == "orden").collect();
    let p = protect_linked(&t, &rules, &Ledger::default(), &linked).unwrap();
    let status = |g: &str| {
        p.cells()
            .iter()
            .find(|c| c.key()[1] == g)
            .map(|c| c.status())
            .unwrap()
    };
    assert_eq!(status("orden"), Status::Hidden(Rule::LinkedTotal));
    assert_eq!(
        p.cells()
            .iter()
            .filter(|c| c.status() == Status::Hidden(Rule::Secondary))
            .count(),
        1
    );
    assert_eq!(p.audit().failures.len(), 0);
    assert!(p.audit().narrowest.unwrap() >= rules.protection_width);
    assert_eq!(Rule::LinkedTotal.code(), "linked_total");
}

#[test]
fn the_hidden_inner_sum_is_what_the_published_cells_give_and_none_when_a_top_total_is_hidden() {
    // Two municipalities ⊂ alle × three offences ⊂ alle, small counts: some inner cells hidden.
    let dims = || {
        vec![
            Dimension::hierarchy("municipality", &[("a", "alle"), ("b", "alle")]),
            Dimension::hierarchy("offence", &[("x", "alle"), ("y", "alle"), ("z", "alle")]),
        ]
    };
    let cell = |m: &str, o: &str, v: u64| Cell {
        key: vec![m.into(), o.into()],
        value: v,
        denominator: None,
    };
    let inner = vec![
        cell("a", "x", 2),
        cell("a", "y", 30),
        cell("a", "z", 25),
        cell("b", "x", 40),
        cell("b", "y", 1),
        cell("b", "z", 33),
    ];
    let table = Table::from_inner("t", dims(), inner.clone()).unwrap();
    let p = protect(&table, &Rules::police_default()).unwrap();
    assert!(p.cells().iter().any(|c| c.value().is_none()));
    // The true sum of the hidden inner cells (from the true table, which the function never
    // sees) equals the figure computed from the published cells.
    let hidden_inner: u64 = inner
        .iter()
        .filter(|i| {
            p.cells()
                .iter()
                .any(|c| c.key() == i.key.as_slice() && c.value().is_none())
        })
        .map(|i| i.value)
        .sum();
    assert!(hidden_inner > 0);
    assert_eq!(p.hidden_inner_value(), Some(hidden_inner));
    // With the grand total itself small (hidden), the figure cannot be computed.
    let tiny = Table::from_inner(
        "t",
        dims(),
        vec![cell("a", "x", 1), cell("b", "y", 1), cell("b", "z", 1)],
    )
    .unwrap();
    let p = protect(&tiny, &Rules::police_default()).unwrap();
    assert_eq!(p.hidden_inner_value(), None);
}
