//! Secondary suppression by elimination: the method of Statistics Norway's GaussSuppression
//! (Langsrud 2024), in its dual form, in exact integer arithmetic, and extended to intervals.
//!
//! The reader knows that every cell is the sum of the inner cells below it. What the reader
//! cannot pin down is the set N of changes to the table that keep every relation and leave
//! every published cell as it is; a hidden cell is safe (not a linear function of published
//! cells) exactly when some vector of N moves it. We keep a basis of N: at the start, one
//! vector per inner cell (that cell and every total above it), which is very sparse. The
//! candidates are taken in order of preference to publish (zeros first, as a hidden zero
//! protects little; then largest first); publishing a candidate c restricts N to
//! {z : z_c = 0}, which one elimination step computes. A candidate whose publication would
//! leave some protected cell without protection is hidden instead (secondary).
//!
//! Linear independence is what this step guarantees. Counts are also non-negative (and survey
//! counts at most their denominator), so a cell can be pinned to a narrow interval although
//! it is not a linear function of published cells (the "zeros and ones" problem); the audit
//! finds such cells, and `protect_release` runs again with the hidden members of their
//! relations protected as sums (so that those sums cannot be computed either; the idea of
//! GaussSuppression's singleton methods and of τ-Argus's protection of sums).

use crate::table::Relation;
use crate::{Rule, SecondaryCost, Status};

/// A sparse integer vector over cells, sorted by cell.
type SVec = Vec<(u32, i32)>;

/// The basis of N with an index from cells to the vectors that move them.
struct Space {
    vecs: Vec<SVec>,
    alive: Vec<bool>,
    /// Per cell: ids of vectors that were non-zero there at some point (checked on use).
    occ: Vec<Vec<u32>>,
    /// Per cell: live vectors non-zero there.
    cnt: Vec<u32>,
    /// Scratch: per vector, the last query that listed it (deduplicates `occ`).
    seen: Vec<u32>,
    query: u32,
}

fn coef(v: &SVec, c: u32) -> i32 {
    v.binary_search_by_key(&c, |&(i, _)| i)
        .map(|k| v[k].1)
        .unwrap_or(0)
}

fn gcd(mut a: i64, mut b: i64) -> i64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.abs()
}

/// (a·v − b·w) divided by the gcd of its entries; None when an entry leaves i32.
fn combine(a: i64, v: &SVec, b: i64, w: &SVec) -> Option<SVec> {
    let mut out: Vec<(u32, i64)> = Vec::with_capacity(v.len() + w.len());
    let (mut i, mut j) = (0, 0);
    loop {
        let (cell, x) = match (v.get(i), w.get(j)) {
            (Some(&(ci, vi)), Some(&(cj, wj))) if ci == cj => {
                i += 1;
                j += 1;
                (ci, a * i64::from(vi) - b * i64::from(wj))
            }
            (Some(&(ci, vi)), Some(&(cj, _))) if ci < cj => {
                i += 1;
                (ci, a * i64::from(vi))
            }
            (Some(&(ci, vi)), None) => {
                i += 1;
                (ci, a * i64::from(vi))
            }
            (_, Some(&(cj, wj))) => {
                j += 1;
                (cj, -b * i64::from(wj))
            }
            (None, None) => break,
        };
        if x != 0 {
            out.push((cell, x));
        }
    }
    let g = out.iter().fold(0, |g, &(_, x)| gcd(g, x)).max(1);
    out.into_iter()
        .map(|(c, x)| i32::try_from(x / g).ok().map(|x| (c, x)))
        .collect()
}

impl Space {
    /// One vector per inner cell (a cell that is no relation's total): the cell and every
    /// cell above it, and each sum of `extra` holding any of those (coordinates n, n + 1, …).
    /// A cell's count of vectors is then its size (inner cells below it).
    fn build(n: usize, relations: &[Relation], extra: &[Vec<usize>]) -> Space {
        let mut sums_of: Vec<Vec<u32>> = vec![Vec::new(); n];
        for (k, members) in extra.iter().enumerate() {
            for &m in members {
                sums_of[m].push((n + k) as u32);
            }
        }
        let mut up: Vec<Vec<u32>> = vec![Vec::new(); n];
        let mut is_total = vec![false; n];
        for r in relations {
            is_total[r.total] = true;
            for &p in &r.parts {
                // Cell indices fit u32: a table of more than 4 billion cells is not built.
                up[p].push(r.total as u32);
            }
        }
        let mut vecs = Vec::new();
        let mut mark = vec![usize::MAX; n];
        for inner in (0..n).filter(|&i| !is_total[i]) {
            let mut v: Vec<u32> = vec![inner as u32];
            mark[inner] = inner;
            let mut k = 0;
            while k < v.len() {
                let c = v[k] as usize;
                for &t in &up[c] {
                    if mark[t as usize] != inner {
                        mark[t as usize] = inner;
                        v.push(t);
                    }
                }
                k += 1;
            }
            let mut sums: Vec<u32> = v
                .iter()
                .flat_map(|&c| sums_of[c as usize].clone())
                .collect();
            sums.sort_unstable();
            v.sort_unstable();
            let mut x: SVec = v.into_iter().map(|c| (c, 1)).collect();
            for s in sums.chunk_by(|a, b| a == b) {
                x.push((s[0], s.len() as i32));
            }
            vecs.push(x);
        }
        let n = n + extra.len();
        let mut occ: Vec<Vec<u32>> = vec![Vec::new(); n];
        let mut cnt = vec![0u32; n];
        for (id, v) in vecs.iter().enumerate() {
            for &(c, _) in v {
                occ[c as usize].push(id as u32);
                cnt[c as usize] += 1;
            }
        }
        let m = vecs.len();
        Space {
            vecs,
            alive: vec![true; m],
            occ,
            cnt,
            seen: vec![0; m],
            query: 0,
        }
    }

    /// Live vectors non-zero at `c` (and the index of `c` tidied to exactly those).
    fn holding(&mut self, c: usize) -> Vec<u32> {
        self.query += 1;
        let q = self.query;
        let mut out = Vec::new();
        for &id in &self.occ[c] {
            let k = id as usize;
            if self.alive[k] && self.seen[k] != q && coef(&self.vecs[k], c as u32) != 0 {
                self.seen[k] = q;
                out.push(id);
            }
        }
        self.occ[c].clone_from(&out);
        out
    }

    /// The vectors of `s` other than the pivot `w` with `c` eliminated; None on overflow.
    fn eliminated(&self, c: u32, s: &[u32], w: u32) -> Option<Vec<(u32, SVec)>> {
        let wv = &self.vecs[w as usize];
        let wc = i64::from(coef(wv, c));
        s.iter()
            .filter(|&&v| v != w)
            .map(|&v| {
                let vv = &self.vecs[v as usize];
                combine(wc, vv, i64::from(coef(vv, c)), wv).map(|x| (v, x))
            })
            .collect()
    }

    /// Replaces the vectors of `s` by their eliminated forms and drops the pivot `w`.
    fn commit(&mut self, new: Vec<(u32, SVec)>, w: u32) {
        for (v, x) in new {
            let old = std::mem::replace(&mut self.vecs[v as usize], x);
            let x = &self.vecs[v as usize];
            let (mut i, mut j) = (0, 0);
            loop {
                match (old.get(i), x.get(j)) {
                    (Some(a), Some(b)) if a.0 == b.0 => {
                        i += 1;
                        j += 1;
                    }
                    (Some(a), Some(b)) if a.0 < b.0 => {
                        self.cnt[a.0 as usize] -= 1;
                        i += 1;
                    }
                    (Some(a), None) => {
                        self.cnt[a.0 as usize] -= 1;
                        i += 1;
                    }
                    (_, Some(b)) => {
                        self.cnt[b.0 as usize] += 1;
                        self.occ[b.0 as usize].push(v);
                        j += 1;
                    }
                    (None, None) => break,
                }
            }
        }
        self.alive[w as usize] = false;
        for &(cell, _) in &std::mem::take(&mut self.vecs[w as usize]) {
            self.cnt[cell as usize] -= 1;
        }
    }
}

/// Chooses the secondary cells. `status` holds the primary pattern (every hidden cell is
/// protected); each set of cells in `extra` is protected as a sum too (it must not be a
/// linear function of published cells). `known` marks cells the reader knows already
/// (published earlier), which are taken as published first and never hidden here. Rejected
/// candidates become `Hidden(Secondary)`.
pub(crate) fn apply(
    values: &[u64],
    relations: &[Relation],
    status: &mut [Status],
    known: &[bool],
    cost: SecondaryCost,
    extra: &[Vec<usize>],
    budget: &mut Budget,
) -> bool {
    let n = values.len();
    let mut space = Space::build(n, relations, extra);
    let size = space.cnt.clone();
    let mut protect: Vec<bool> = status.iter().map(|s| *s != Status::Published).collect();
    protect.resize(n + extra.len(), true);
    // Order of preference to publish: known cells first, then zeros, then by cost.
    let mut order: Vec<usize> = (0..n).filter(|&i| !protect[i]).collect();
    order.sort_by_key(|&i| {
        let v = values[i];
        let value_rank = match cost {
            SecondaryCost::Value => v,
            SecondaryCost::Cells => 0,
        };
        (
            !known[i],
            v != 0,
            std::cmp::Reverse(value_rank),
            std::cmp::Reverse(size[i]),
            i,
        )
    });
    let mut tally = vec![0u32; n + extra.len()];
    let mut touched: Vec<u32> = Vec::new();
    for c in order {
        let s = space.holding(c);
        // Pivot: the sparsest vector, to keep fill-in low. No vector: the cell is already
        // determined by what is published, and publishing it adds nothing.
        let Some(&w) = s.iter().min_by_key(|&&v| (space.vecs[v as usize].len(), v)) else {
            continue;
        };
        let Some(new) = space.eliminated(c as u32, &s, w) else {
            if !known[c] {
                // Coefficients outgrew the arithmetic: hiding is the safe answer.
                status[c] = Status::Hidden(Rule::Secondary);
            }
            continue;
        };
        if !budget.spend(new.iter().map(|(_, x)| x.len() as u64).sum()) {
            return false;
        }
        if !known[c] && would_expose(&space, &s, &new, &protect, &mut tally, &mut touched) {
            status[c] = Status::Hidden(Rule::Secondary);
            continue;
        }
        space.commit(new, w);
    }
    true
}

/// Work allowed for elimination: entries of eliminated vectors written (fill-in is what
/// makes elimination slow on large tables of many dimensions) and screening rounds (each an
/// audit of the whole pattern). Elimination stops, leaving its pattern unfinished, once
/// either is spent. Counted in work, not time, so the choice is the same on every run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    left: u64,
    /// Screening rounds allowed.
    pub(crate) rounds: usize,
}

impl Budget {
    /// No limit.
    pub(crate) fn unlimited() -> Budget {
        Budget {
            left: u64::MAX,
            rounds: usize::MAX,
        }
    }

    /// Whether this budget limits anything.
    pub(crate) fn is_limited(&self) -> bool {
        self.left != u64::MAX || self.rounds != usize::MAX
    }

    /// A limit of `entries` and `rounds`.
    pub(crate) fn of(entries: u64, rounds: usize) -> Budget {
        Budget {
            left: entries,
            rounds,
        }
    }

    /// Spends `entries`; false once the budget is spent.
    fn spend(&mut self, entries: u64) -> bool {
        match self.left.checked_sub(entries) {
            Some(left) => {
                self.left = left;
                true
            }
            None => {
                self.left = 0;
                false
            }
        }
    }
}

/// Whether replacing the vectors `s` by `new` would leave a protected cell moved by no
/// vector at all (a linear function of published cells).
fn would_expose(
    space: &Space,
    s: &[u32],
    new: &[(u32, SVec)],
    protect: &[bool],
    tally: &mut [u32],
    touched: &mut Vec<u32>,
) -> bool {
    touched.clear();
    for &v in s {
        for &(p, _) in &space.vecs[v as usize] {
            if protect[p as usize] {
                if tally[p as usize] == 0 {
                    touched.push(p);
                }
                tally[p as usize] += 1;
            }
        }
    }
    // Cells moved by no vector outside `s` are at risk (marked with u32::MAX); each is
    // safe if some new vector moves it.
    let mut at_risk = 0usize;
    for &p in touched.iter() {
        if tally[p as usize] == space.cnt[p as usize] {
            tally[p as usize] = u32::MAX;
            at_risk += 1;
        } else {
            tally[p as usize] = 0;
        }
    }
    for (_, x) in new {
        if at_risk == 0 {
            break;
        }
        for &(p, _) in x {
            if tally[p as usize] == u32::MAX {
                tally[p as usize] = 0;
                at_risk -= 1;
            }
        }
    }
    for &p in touched.iter() {
        tally[p as usize] = 0;
    }
    at_risk > 0
}
