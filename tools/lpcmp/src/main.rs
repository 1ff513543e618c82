//! The audit's exact path (min and max of every hidden cell of every component) with
//! microlp (one factorised base solution, warm-started per bound, as oppvekst-audit does) and
//! with HiGHS (the same LPs, each bound solved afresh), on the patterns of t1 and t2
//! (`cargo run --release -- TABLE.csv WIDTH`), and one HiGHS bound on the largest component
//! of the national table (`-- national 4`). Not part of the workspace.
#[path = "../../../crates/oppvekst-disclosure/benches/common/tables.rs"]
mod tables;
use std::collections::HashMap;
use std::time::Instant;

use oppvekst_disclosure::csvtable::inner_table;
use oppvekst_disclosure::{Ledger, Rules, published_view, suppression_pattern};

fn find(p: &mut [usize], mut x: usize) -> usize {
    while p[x] != x {
        p[x] = p[p[x]];
        x = p[x];
    }
    x
}

fn main() {
    let path = std::env::args().nth(1).unwrap();
    let width: u64 = std::env::args().nth(2).unwrap().parse().unwrap();
    let spec = tables::shared_spec();
    let nat = path == "national";
    let table = if nat {
        tables::national()
    } else {
        inner_table("t", &std::fs::read_to_string(&path).unwrap(), &spec).unwrap()
    };
    let rules = if nat {
        Rules::police_default()
    } else {
        Rules {
            max_small_count: 3,
            protect_zeros: false,
            protection_width: width,
            ..Rules::police_default()
        }
    };
    let pat = suppression_pattern(&table, &rules, &Ledger::default()).unwrap();
    let view = published_view(&table, &pat.status);
    let rels = oppvekst_audit::relations(&view).unwrap();
    let hidden: Vec<usize> = (0..view.cells.len())
        .filter(|&i| view.cells[i].value.is_none())
        .collect();
    let var: HashMap<usize, usize> = hidden.iter().enumerate().map(|(j, &i)| (i, j)).collect();
    let mut parent: Vec<usize> = (0..hidden.len()).collect();
    let mut rows = Vec::new();
    for r in &rels {
        let mut coef = Vec::new();
        let mut rhs = 0.0;
        for (i, c) in std::iter::once((r.total, -1.0)).chain(r.parts.iter().map(|&p| (p, 1.0))) {
            match view.cells[i].value {
                Some(v) => rhs -= c * v as f64,
                None => coef.push((var[&i], c)),
            }
        }
        if coef.is_empty() {
            continue;
        }
        for w in coef.windows(2) {
            let (a, b) = (find(&mut parent, w[0].0), find(&mut parent, w[1].0));
            if a != b {
                parent[a] = b;
            }
        }
        rows.push((coef, rhs));
    }
    let mut comps: HashMap<usize, Vec<usize>> = HashMap::new();
    for j in 0..hidden.len() {
        let r = find(&mut parent, j);
        comps.entry(r).or_default().push(j);
    }
    let mut crow: HashMap<usize, Vec<usize>> = HashMap::new();
    for (k, (coef, _)) in rows.iter().enumerate() {
        let r = find(&mut parent, coef[0].0);
        crow.entry(r).or_default().push(k);
    }
    let big = 1.0e9;
    let (mut t_micro, mut t_highs, mut disagree, mut solves) = (0.0, 0.0, 0, 0);
    let largest = comps.values().map(|c| c.len()).max().unwrap_or(0);
    if nat {
        // One bound of the largest component, with HiGHS only: is an exact LP per bound in reach?
        let (root, members) = comps.iter().max_by_key(|(_, m)| m.len()).unwrap();
        let local: HashMap<usize, usize> =
            members.iter().enumerate().map(|(l, &j)| (j, l)).collect();
        let start = Instant::now();
        let mut pb = highs::RowProblem::default();
        let cols: Vec<_> = (0..members.len())
            .map(|m| pb.add_column(if m == 0 { 1.0 } else { 0.0 }, 0.0..big))
            .collect();
        for &k in crow.get(root).unwrap() {
            let (coef, rhs) = &rows[k];
            let f: Vec<_> = coef.iter().map(|&(j, c)| (cols[local[&j]], c)).collect();
            pb.add_row(*rhs..=*rhs, &f);
        }
        let mut model = pb.optimise(highs::Sense::Maximise);
        model.set_option("output_flag", false);
        let solved = model.solve();
        println!(
            "national: largest component {} hidden cells, {} rows; one HiGHS bound: {:?} in {:.1} s",
            members.len(),
            crow[root].len(),
            solved.status(),
            start.elapsed().as_secs_f64()
        );
        return;
    }
    for (root, members) in &comps {
        let local: HashMap<usize, usize> =
            members.iter().enumerate().map(|(l, &j)| (j, l)).collect();
        let my_rows: Vec<&(Vec<(usize, f64)>, f64)> = crow
            .get(root)
            .map(|v| v.iter().map(|&k| &rows[k]).collect())
            .unwrap_or_default();
        // microlp, as the audit does it.
        let start = Instant::now();
        let mut p = microlp::Problem::new(microlp::OptimizationDirection::Maximize);
        let vars: Vec<_> = members.iter().map(|_| p.add_var(0.0, (0.0, big))).collect();
        let t = p.add_var(1.0, (-big, big));
        for (coef, rhs) in &my_rows {
            let mut e = microlp::LinearExpr::empty();
            for &(j, c) in coef {
                e.add(vars[local[&j]], c);
            }
            p.add_constraint(e, microlp::ComparisonOp::Eq, *rhs);
        }
        let base = match p.solve().unwrap() {
            microlp::SolveOutcome::Solution(s) => s,
            _ => panic!(),
        };
        let mut micro = Vec::new();
        for l in 0..members.len() {
            let mut bounds = [0.0; 2];
            for (k, sign) in [1.0, -1.0].into_iter().enumerate() {
                let mut e = microlp::LinearExpr::empty();
                e.add(t, 1.0);
                e.add(vars[l], -sign);
                let s = match base
                    .clone()
                    .add_constraint(e, microlp::ComparisonOp::Eq, 0.0)
                    .unwrap()
                {
                    microlp::SolveOutcome::Solution(s) => s,
                    _ => panic!(),
                };
                bounds[k] = sign * s.objective();
            }
            micro.push(bounds);
        }
        t_micro += start.elapsed().as_secs_f64();
        // HiGHS, each bound afresh.
        let start = Instant::now();
        let mut hi = Vec::new();
        for l in 0..members.len() {
            let mut bounds = [0.0; 2];
            for (k, sense) in [highs::Sense::Maximise, highs::Sense::Minimise]
                .into_iter()
                .enumerate()
            {
                let mut pb = highs::RowProblem::default();
                let cols: Vec<_> = (0..members.len())
                    .map(|m| pb.add_column(if m == l { 1.0 } else { 0.0 }, 0.0..big))
                    .collect();
                for (coef, rhs) in &my_rows {
                    let f: Vec<_> = coef.iter().map(|&(j, c)| (cols[local[&j]], c)).collect();
                    pb.add_row(*rhs..=*rhs, &f);
                }
                let mut model = pb.optimise(sense);
                model.set_option("output_flag", false);
                let solved = model.solve();
                bounds[k] = solved.get_solution().columns()[l];
                solves += 1;
            }
            hi.push(bounds);
        }
        t_highs += start.elapsed().as_secs_f64();
        for (a, b) in micro.iter().zip(&hi) {
            if (a[0] - b[0]).abs() > 1e-6 || (a[1] - b[1]).abs() > 1e-6 {
                disagree += 1;
            }
        }
    }
    println!(
        "{path} width {width}: {} hidden in {} components (largest {largest}), {solves} bound LPs: microlp {t_micro:.2} s, HiGHS {t_highs:.2} s, {disagree} cells disagree",
        hidden.len(),
        comps.len()
    );
}
