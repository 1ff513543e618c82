//! Proof of protection for hidden cells whose connected component is too large to solve
//! exactly (a national table's hidden cells form components of hundreds of thousands of
//! cells).
//!
//! A cell's attacker interval holds every value the cell takes in some table that agrees
//! with everything published. So a cell is proven protected by exhibiting such tables. They
//! are built from the true table by moving along *witness directions*: a product, over the
//! dimensions, of one small signed vector per dimension that keeps that dimension's sums
//! (for example `+1` on a municipality and `−1` on a sibling in the same county, or `+1` on a
//! code and every ancestor up to the top). Such a product keeps every additive relation of
//! the table (absent combinations of a sparse table are known zeros, never part of a product),
//! so adding any multiple of it changes no published cell as long as the
//! product's cells are all hidden; it stays a valid table while every cell stays within
//! [0, its published upper bound]. The cell's maximum is at least its value plus the steps
//! taken upward, its minimum at most its value minus the steps taken downward: the proven
//! range lies inside the true interval, so the proof is sound. A cell it cannot prove wide
//! enough may still be protected; it is reported as failing (the safe side).
//!
//! The hypercube suppression uses it to check its own choices while it chooses them, and the
//! final proof becomes the certificate handed to the independent audit (`oppvekst-audit`):
//! the true table as the base and, per protected cell, the changes reached upward and
//! downward. The audit trusts none of it; it checks every alternative table by arithmetic.
//! The proof needs the true values, so it runs inside protection only; its ranges are never
//! shown (the audit marks them as not exact), and the certificate is never written.

use hashbrown::HashMap;

use rayon::prelude::*;

use crate::table::{Dimension, KeyCoder};

/// Candidate vectors kept per dimension for one cell.
const MAX_CANDIDATES: usize = 256;
/// How hard to search for one cell's witnesses.
#[derive(Clone, Copy)]
struct Effort {
    /// Search nodes per round (bounds the time spent on a cell that has no witness).
    nodes: usize,
    /// Witnesses kept per round, the furthest-moving.
    witnesses: usize,
    /// Rounds per direction, each from the table the last one reached.
    rounds: usize,
}

impl Effort {
    /// Enough for nearly every cell.
    const QUICK: Effort = Effort {
        nodes: 4_000,
        witnesses: 4,
        rounds: 4,
    };
    /// For the few cells the quick search cannot prove.
    const THOROUGH: Effort = Effort {
        nodes: 200_000,
        witnesses: 16,
        rounds: 8,
    };
}
/// Downward chains kept per code.
const MAX_CHAINS: usize = 4;

/// One dimension's hierarchy by code rank.
struct Dim {
    parent: Vec<Option<u32>>,
    children: Vec<Vec<u32>>,
}

/// A table laid out as a dense grid: one position for every combination of codes (absent
/// combinations of a sparse table hold the index one past the last cell).
pub(crate) struct Grid {
    dims: Vec<Dim>,
    stride: Vec<usize>,
    /// Grid position → cell index.
    slot: Vec<u32>,
    /// Cell index → grid position.
    pos: Vec<usize>,
}

/// Grid positions allowed per cell of a sparse table (a denser grid than this is laid out,
/// its absent positions known zeros; a sparser one is protected by elimination).
const SPARSE_FACTOR: usize = 8;

/// A proven range around a cell's true value: `down` below it, `up` above it (None:
/// unbounded above).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Proven {
    pub(crate) down: u64,
    pub(crate) up: Option<u64>,
    /// The alternative tables reached: changes to the true values moving the target up,
    /// and moving it down.
    pub(crate) moved_up: HashMap<usize, i64>,
    pub(crate) moved_down: HashMap<usize, i64>,
}

/// A witness direction: cells and signs (the target cell has sign +1).
type Witness = Vec<(usize, i8)>;

/// One dimension's candidate vectors through a cell: (grid offset, sign) each.
pub(crate) type Candidates = Vec<Vec<(isize, i8)>>;

/// The state of one witness search.
struct Walk<'a> {
    /// Every candidate vector per dimension.
    all: &'a [Candidates],
    p: usize,
    hidden: &'a [bool],
    truth: &'a [u64],
    upper: &'a [Option<u64>],
    effort: Effort,
    /// The direction wanted: +1 the target up, −1 down.
    side: i8,
    /// The alternative table reached so far: changes to the true values.
    delta: HashMap<usize, i64>,
    /// How far a single witness would need to move the target to settle the cell.
    need: u64,
    /// The widest witnesses found (width, witness).
    out: Vec<(u64, Witness)>,
    /// A witness reaching `need` alone was found.
    done: bool,
    nodes: usize,
    /// One product buffer per depth of the search, reused: the search runs for every
    /// protected cell, many times (allocating them anew cost 5 % of the national
    /// benchmark's pattern time at the police defaults).
    scratch: Vec<Vec<(isize, i8)>>,
}

impl Walk<'_> {
    /// A cell's value in the alternative table reached so far.
    fn value(&self, i: usize) -> u64 {
        shifted(self.truth, &self.delta, i)
    }

    /// Moves the target in the direction wanted, from the true table, until it has moved
    /// `need`: each round takes the witnesses that move it furthest from the table reached
    /// so far. Returns how far it moved (None: without limit).
    fn walk(&mut self, grid: &Grid, cell: usize, side: i8, need: u64) -> Option<u64> {
        self.side = side;
        self.delta.clear();
        let mut moved = 0;
        for _ in 0..self.effort.rounds {
            if moved >= need {
                break;
            }
            self.need = need - moved;
            let found = self.witnesses(grid, cell);
            let step = steps(
                &found,
                side,
                need - moved,
                self.truth,
                self.upper,
                &mut self.delta,
            )?;
            if step == 0 {
                break;
            }
            moved += step;
        }
        Some(moved)
    }

    /// How far a product lets the target move in the direction wanted.
    fn score(&self, slack: &Slack) -> u64 {
        if self.side > 0 {
            slack.up()
        } else {
            slack.down()
        }
    }

    /// The witnesses that move the target furthest in the direction wanted, furthest first.
    fn witnesses(&mut self, grid: &Grid, cell: usize) -> Vec<Witness> {
        self.out.clear();
        self.done = false;
        self.nodes = 0;
        // Per dimension, the vectors that let the target move furthest along its own line
        // (from the table reached so far) are tried, best first.
        let p = self.p;
        let start = Slack::target(self.value(cell), self.upper[cell]);
        let cands: Vec<Candidates> = self
            .all
            .iter()
            .map(|list| {
                let mut scored: Vec<(u64, &Vec<(isize, i8)>)> = list
                    .iter()
                    .map(|v| {
                        let line = v[1..].iter().fold(start, |s, &(o, sign)| {
                            let i = grid.cell(p.wrapping_add_signed(o));
                            s.with(self.value(i), self.upper[i], sign)
                        });
                        (self.score(&line), v)
                    })
                    .filter(|(score, _)| *score > 0)
                    .collect();
                scored.sort_by_key(|(score, _)| std::cmp::Reverse(*score));
                scored.into_iter().map(|(_, v)| v.clone()).collect()
            })
            .collect();
        grid.search(self, &cands, 0, &[(0, 1)], start);
        let mut out = std::mem::take(&mut self.out);
        out.sort_by_key(|w| std::cmp::Reverse(w.0));
        out.into_iter().map(|w| w.1).collect()
    }
}

/// How far a product lets its target move: the smallest value and room below the upper
/// bound on its corners at +1 and at −1 (u64::MAX: no such corner, or no bound).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slack {
    plus_value: u64,
    plus_room: u64,
    minus_value: u64,
    minus_room: u64,
}

impl Slack {
    /// The target alone (at +1).
    pub(crate) fn target(value: u64, upper: Option<u64>) -> Self {
        Slack {
            plus_value: u64::MAX,
            plus_room: u64::MAX,
            minus_value: u64::MAX,
            minus_room: u64::MAX,
        }
        .with(value, upper, 1)
    }

    /// With one more corner.
    pub(crate) fn with(mut self, value: u64, upper: Option<u64>, sign: i8) -> Self {
        let room = upper.map_or(u64::MAX, |u| u.saturating_sub(value));
        if sign > 0 {
            self.plus_value = self.plus_value.min(value);
            self.plus_room = self.plus_room.min(room);
        } else {
            self.minus_value = self.minus_value.min(value);
            self.minus_room = self.minus_room.min(room);
        }
        self
    }

    /// How far the target can move up along the product alone (u64::MAX: unbounded).
    pub(crate) fn up(&self) -> u64 {
        self.minus_value.min(self.plus_room)
    }

    /// How far the target can move down along the product alone.
    pub(crate) fn down(&self) -> u64 {
        self.plus_value.min(self.minus_room)
    }
}

impl Grid {
    /// The grid of a table (cells with these keys); None when it is too large to lay out
    /// (more than [`SPARSE_FACTOR`] positions per cell). A position no cell has (a sparse
    /// table: a combination that does not occur) holds the index one past the last cell: callers give it a value of 0 the reader knows, so no witness and no
    /// hypercube ever uses it, exactly as a structural zero.
    pub(crate) fn new<'k>(
        dimensions: &[Dimension],
        keys: impl ExactSizeIterator<Item = &'k [String]>,
    ) -> Option<Grid> {
        let coder = KeyCoder::new(dimensions);
        let nd = dimensions.len();
        let sizes: Vec<usize> = (0..nd).map(|d| coder.codes(d)).collect();
        let total = sizes.iter().try_fold(1usize, |a, &s| a.checked_mul(s))?;
        let n = keys.len();
        if total < n || total > n.saturating_mul(SPARSE_FACTOR) || total >= u32::MAX as usize {
            return None;
        }
        let mut stride = vec![1usize; nd];
        for d in (0..nd.saturating_sub(1)).rev() {
            stride[d] = stride[d + 1] * sizes[d + 1];
        }
        let absent = u32::try_from(n).ok()?;
        let mut slot = vec![absent; total];
        let mut pos = Vec::with_capacity(total);
        for (i, key) in keys.enumerate() {
            if key.len() != nd {
                return None;
            }
            let mut p = 0;
            for (d, code) in key.iter().enumerate() {
                p += coder.rank(d, code)? as usize * stride[d];
            }
            if slot[p] != absent {
                return None;
            }
            slot[p] = i as u32;
            pos.push(p);
        }
        let dims = dimensions
            .iter()
            .enumerate()
            .map(|(d, dim)| {
                let mut parent = vec![None; sizes[d]];
                let mut children = vec![Vec::new(); sizes[d]];
                for (c, p) in &dim.parent {
                    if let (Some(c), Some(p)) = (coder.rank(d, c), coder.rank(d, p)) {
                        parent[c as usize] = Some(p);
                        children[p as usize].push(c);
                    }
                }
                Dim { parent, children }
            })
            .collect();
        Some(Grid {
            dims,
            stride,
            slot,
            pos,
        })
    }

    /// The cell at a grid position.
    pub(crate) fn cell(&self, p: usize) -> usize {
        self.slot[p] as usize
    }

    /// The grid position of a cell.
    pub(crate) fn pos(&self, cell: usize) -> usize {
        self.pos[cell]
    }

    /// Number of dimensions.
    pub(crate) fn dims(&self) -> usize {
        self.dims.len()
    }

    /// True when code rank `r` of dimension `d` has no children.
    pub(crate) fn is_leaf(&self, d: usize, r: u32) -> bool {
        self.dims[d].children[r as usize].is_empty()
    }

    /// Proves ranges for `targets` (cell index, width needed), in parallel. `hidden[i]`: the
    /// reader does not know cell i; `truth`: every cell's true value; `upper`: published
    /// upper bounds.
    pub(crate) fn prove(
        &self,
        targets: &[(usize, u64)],
        hidden: &[bool],
        truth: &[u64],
        upper: &[Option<u64>],
    ) -> Vec<Proven> {
        targets
            .par_iter()
            .map(|&(cell, need)| self.prove_one(cell, need, hidden, truth, upper, true))
            .collect()
    }

    /// Proves a range for one cell (see [`Grid::prove`]), stopping once it is `need` wide.
    /// With `thorough`, a cell the quick search cannot prove gets a much longer one.
    pub(crate) fn prove_one(
        &self,
        cell: usize,
        need: u64,
        hidden: &[bool],
        truth: &[u64],
        upper: &[Option<u64>],
        thorough: bool,
    ) -> Proven {
        let p = self.pos[cell];
        let Some(cands) = self.candidate_lists(p, hidden, truth) else {
            return Proven {
                down: 0,
                up: Some(0),
                moved_up: HashMap::new(),
                moved_down: HashMap::new(),
            };
        };
        let quick = self.prove_with(&cands, cell, need, hidden, truth, upper, Effort::QUICK);
        if !thorough || quick.up.is_none_or(|u| u + quick.down >= need) {
            return quick;
        }
        self.prove_with(&cands, cell, need, hidden, truth, upper, Effort::THOROUGH)
    }

    #[allow(clippy::too_many_arguments)]
    fn prove_with(
        &self,
        cands: &[Candidates],
        cell: usize,
        need: u64,
        hidden: &[bool],
        truth: &[u64],
        upper: &[Option<u64>],
        effort: Effort,
    ) -> Proven {
        let mut walk = Walk {
            all: cands,
            p: self.pos[cell],
            hidden,
            truth,
            upper,
            effort,
            side: 1,
            delta: HashMap::new(),
            need,
            out: Vec::new(),
            done: false,
            nodes: 0,
            scratch: vec![Vec::new(); cands.len() + 1],
        };
        let up = walk.walk(self, cell, 1, need);
        let moved_up = std::mem::take(&mut walk.delta);
        let (down, moved_down) = match up {
            None => (0, HashMap::new()),
            Some(u) if u >= need => (0, HashMap::new()),
            Some(u) => {
                // Downward the target's own value bounds every step: never unbounded.
                let down = walk.walk(self, cell, -1, need - u).unwrap_or(0);
                (down, std::mem::take(&mut walk.delta))
            }
        };
        Proven {
            down,
            up,
            moved_up,
            moved_down,
        }
    }

    /// Coordinates of a grid position.
    pub(crate) fn coords(&self, mut p: usize) -> Vec<u32> {
        self.stride
            .iter()
            .map(|s| {
                let r = p / s;
                p %= s;
                r as u32
            })
            .collect()
    }

    /// Each dimension's candidate vectors through the cell at grid position `p`; None when
    /// a dimension has none.
    fn candidate_lists(&self, p: usize, hidden: &[bool], truth: &[u64]) -> Option<Vec<Candidates>> {
        let coords = self.coords(p);
        let cands: Vec<Candidates> = (0..self.dims.len())
            .map(|d| {
                let usable = |i: usize| hidden[i].then(|| truth[i]);
                self.candidates(d, p, coords[d], &usable, MAX_CANDIDATES)
            })
            .collect();
        (!cands.iter().any(Vec::is_empty)).then_some(cands)
    }

    /// Depth-first over one candidate per dimension; `partial`: the product of the candidates
    /// chosen so far (grid offsets from the target, signs), all hidden, and what it allows.
    /// A product that lets the target move neither way is dropped at once.
    fn search(
        &self,
        w: &mut Walk<'_>,
        cands: &[Candidates],
        d: usize,
        partial: &[(isize, i8)],
        slack: Slack,
    ) {
        if d == cands.len() {
            let width = w.score(&slack);
            let witness = partial
                .iter()
                .map(|&(o, s)| (self.cell(w.p.wrapping_add_signed(o)), s))
                .collect();
            if width >= w.need {
                w.out = vec![(width, witness)];
                w.done = true;
            } else if w.out.len() < w.effort.witnesses {
                w.out.push((width, witness));
            } else if let Some(worst) = w.out.iter_mut().min_by_key(|x| x.0)
                && width > worst.0
            {
                *worst = (width, witness);
            }
            return;
        }
        for cand in &cands[d] {
            if w.done || w.nodes >= w.effort.nodes {
                return;
            }
            w.nodes += 1;
            // The candidate's first item is the target's own code (offset 0): those cells
            // are `partial`, already checked.
            let mut next = std::mem::take(&mut w.scratch[d]);
            next.clear();
            next.extend_from_slice(partial);
            let mut slack = slack;
            let mut ok = true;
            'cells: for &(o, s) in partial {
                for &(o2, s2) in &cand[1..] {
                    let i = self.cell(w.p.wrapping_add_signed(o + o2));
                    if !w.hidden[i] {
                        ok = false;
                        break 'cells;
                    }
                    slack = slack.with(w.value(i), w.upper[i], s * s2);
                    next.push((o + o2, s * s2));
                }
            }
            // Corners only narrow what a product allows: prune what cannot beat the
            // witnesses kept.
            let floor = if w.out.len() < w.effort.witnesses {
                0
            } else {
                w.out.iter().map(|x| x.0).min().unwrap_or(0)
            };
            if ok && w.score(&slack) > floor {
                self.search(w, cands, d + 1, &next, slack);
            }
            w.scratch[d] = next;
        }
    }

    /// Vectors along dimension `d` through code `c` (of the cell at grid position `p`) that
    /// keep every sum of the dimension, as (grid offset, sign) with `c` first at +1, whose
    /// cells on the line through `p` are all usable (`keep` gives a usable cell's value): `c` and its ancestors up to some `a`
    /// (+1) with a chain down from `c` to a leaf (+1), and either nothing more (when `a` is
    /// the top) or a sibling of `a` with a chain down to a leaf (−1). At most `cap`.
    pub(crate) fn candidates(
        &self,
        d: usize,
        p: usize,
        c: u32,
        keep: &dyn Fn(usize) -> Option<u64>,
        cap: usize,
    ) -> Candidates {
        let dim = &self.dims[d];
        let stride = self.stride[d] as isize;
        let off = |k: u32| (k as isize - c as isize) * stride;
        let line = |k: u32| keep(self.cell(p.wrapping_add_signed(off(k))));
        let on_line = |k: u32| line(k).is_some();
        let below_c = self.chains(d, c, &line);
        let mut out: Candidates = Vec::new();
        let mut up = vec![c];
        let mut a = c;
        loop {
            let head: Vec<(isize, i8)> = up.iter().map(|&k| (off(k), 1)).collect();
            match dim.parent[a as usize] {
                None => {
                    for chain in &below_c {
                        let mut v = head.clone();
                        v.extend(chain.iter().map(|&k| (off(k), 1)));
                        out.push(v);
                    }
                }
                Some(pa) => {
                    for &s in &dim.children[pa as usize] {
                        if s == a || !on_line(s) {
                            continue;
                        }
                        for below_s in self.chains(d, s, &line) {
                            for chain in &below_c {
                                let mut v = head.clone();
                                v.extend(chain.iter().map(|&k| (off(k), 1)));
                                v.push((off(s), -1));
                                v.extend(below_s.iter().map(|&k| (off(k), -1)));
                                out.push(v);
                                if out.len() >= cap {
                                    return out;
                                }
                            }
                        }
                    }
                }
            }
            match dim.parent[a as usize] {
                Some(pa) if on_line(pa) && up.len() <= dim.parent.len() => {
                    up.push(pa);
                    a = pa;
                }
                _ => return out,
            }
        }
    }

    /// Chains from `c` down to a leaf (codes below `c`, `c` excluded) whose cells on the line
    /// are usable (`line` gives their values), through the largest values first; one empty
    /// chain when `c` is a leaf.
    fn chains(&self, d: usize, c: u32, line: &dyn Fn(u32) -> Option<u64>) -> Vec<Vec<u32>> {
        let kids = &self.dims[d].children[c as usize];
        if kids.is_empty() {
            return vec![Vec::new()];
        }
        let mut usable: Vec<(u64, u32)> = kids
            .iter()
            .filter_map(|&k| line(k).map(|v| (v, k)))
            .collect();
        usable.sort_unstable_by_key(|&(v, k)| (std::cmp::Reverse(v), k));
        let mut out = Vec::new();
        for (_, k) in usable {
            for rest in self.chains(d, k, line) {
                let mut chain = vec![k];
                chain.extend(rest);
                out.push(chain);
                if out.len() >= MAX_CHAINS {
                    return out;
                }
            }
        }
        out
    }
}

/// Cell `i`'s value in the alternative table `delta` reached from the true table.
pub(crate) fn shifted(truth: &[u64], delta: &HashMap<usize, i64>, i: usize) -> u64 {
    (truth[i] as i64 + delta.get(&i).copied().unwrap_or(0)).max(0) as u64
}

/// Walks from the true table along the witnesses (`sign` +1: the target up, −1: down), each
/// as far as every cell stays within [0, upper], until the target has moved `need`. Returns
/// how far it moved (None when a witness lets it move without limit); `delta` holds the
/// changes made, from earlier rounds too.
fn steps(
    witnesses: &[Witness],
    sign: i8,
    need: u64,
    truth: &[u64],
    upper: &[Option<u64>],
    delta: &mut HashMap<usize, i64>,
) -> Option<u64> {
    let mut moved = 0u64;
    for w in witnesses {
        let mut step: Option<u64> = None;
        for &(i, s) in w {
            let now = shifted(truth, delta, i);
            let room = if s * sign < 0 {
                Some(now)
            } else {
                upper[i].map(|u| u.saturating_sub(now))
            };
            if let Some(r) = room {
                step = Some(step.map_or(r, |t| t.min(r)));
            }
        }
        let Some(t) = step else {
            // No corner bounds this witness: the target can move without limit. The
            // alternative table records a move of what is still needed, so a certificate
            // shows the width.
            let t = need.saturating_sub(moved).max(1);
            for &(i, s) in w {
                *delta.entry(i).or_insert(0) += i64::from(s * sign) * t as i64;
            }
            return None;
        };
        if t == 0 {
            continue;
        }
        for &(i, s) in w {
            *delta.entry(i).or_insert(0) += i64::from(s * sign) * t as i64;
        }
        moved += t;
        if moved >= need {
            break;
        }
    }
    Some(moved)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use proptest::prelude::*;

    use super::*;
    use crate::testdata::{exact_audit, hidden_view as view, lcg, police_like};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4))]

        /// Soundness: what the proof claims never exceeds what the exact LP audit finds, for
        /// random tables and random hidden patterns (many cells pinned, many free).
        #[test]
        fn a_proven_range_lies_inside_the_exact_interval(seed in 0u64..1_000, share in 55u64..80) {
            let table = police_like(seed);
            let mut next = lcg(seed ^ 0x9E37_79B9);
            let hide: Vec<bool> = table.cells.iter().map(|_| next() % 100 < share).collect();
            let published = view(&table, &hide);
            let exact = exact_audit(&published, 1);
            let grid = Grid::new(&table.dimensions, table.cells.iter().map(|c| c.key.as_slice()))
                .expect("a complete table");
            let truth: Vec<u64> = table.cells.iter().map(|c| c.value).collect();
            let upper = vec![None; truth.len()];
            // A need no cell reaches: every proof goes as far as it can.
            let targets: Vec<(usize, u64)> = exact.bounds.iter().map(|b| (b.cell.cell, 1_000)).collect();
            let proven = grid.prove(&targets, &hide, &truth, &upper);
            let mut widest = 0;
            for (b, p) in exact.bounds.iter().zip(&proven) {
                let v = truth[b.cell.cell];
                prop_assert!(v - p.down >= b.lower, "cell {}: proven below the minimum", b.cell.cell);
                match (p.up, b.upper) {
                    (Some(up), Some(hi)) => prop_assert!(v + up <= hi, "cell {}: above the maximum", b.cell.cell),
                    (None, hi) => prop_assert!(hi.is_none(), "cell {}: unbounded but bounded", b.cell.cell),
                    (Some(_), None) => {}
                }
                widest = widest.max(p.down + p.up.unwrap_or(1_000));
            }
            // Not vacuous: with most cells hidden, something is proven.
            prop_assert!(widest > 0);
        }
    }

    /// A 2 × 2 × 2 block of hidden cells (two municipalities of a county × two quarters of a
    /// year × two offence groups): the classic hypercube. Its cells move by the smallest
    /// value on the corners that move the other way, and nothing else is free.
    #[test]
    fn a_hidden_hypercube_is_proven_as_wide_as_its_corners_allow() {
        let table = police_like(3);
        let idx = |k: [&str; 3]| {
            table
                .cells
                .iter()
                .position(|c| c.key.iter().map(String::as_str).eq(k))
                .unwrap()
        };
        let mut hide = vec![false; table.cells.len()];
        let mut corners = Vec::new();
        for m in ["K00", "K01"] {
            for q in ["Q0", "Q1"] {
                for g in ["G1", "G2"] {
                    hide[idx([m, q, g])] = true;
                    corners.push(idx([m, q, g]));
                }
            }
        }
        let truth: Vec<u64> = table.cells.iter().map(|c| c.value).collect();
        let grid = Grid::new(
            &table.dimensions,
            table.cells.iter().map(|c| c.key.as_slice()),
        )
        .unwrap();
        let target = idx(["K00", "Q0", "G1"]);
        let p = grid.prove_one(target, 1_000, &hide, &truth, &[None; 704], true);
        // Up: limited by the corners that go down (an odd number of changed codes).
        let sign = |i: usize| {
            let k = &table.cells[i].key;
            let flips =
                usize::from(k[0] != "K00") + usize::from(k[1] != "Q0") + usize::from(k[2] != "G1");
            if flips % 2 == 0 { 1 } else { -1 }
        };
        let cube = corners;
        let up = cube
            .iter()
            .filter(|&&i| sign(i) < 0)
            .map(|&i| truth[i])
            .min()
            .unwrap();
        let down = cube
            .iter()
            .filter(|&&i| sign(i) > 0)
            .map(|&i| truth[i])
            .min()
            .unwrap();
        assert_eq!(p.up, Some(up));
        assert_eq!(p.down, down);
        // And the exact audit agrees: this hypercube is all the freedom there is.
        let exact = exact_audit(&view(&table, &hide), 1);
        let b = exact.bounds.iter().find(|b| b.cell.cell == target).unwrap();
        assert_eq!(
            (b.lower, b.upper),
            (truth[target] - down, Some(truth[target] + up))
        );
    }
}
