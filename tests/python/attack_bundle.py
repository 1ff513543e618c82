"""A reader's attack on a written bundle, with an independent solver (SciPy's HiGHS).

Run by .ci/run on a fresh demo bundle, and on a table made by `oppvekst protect`:
    python tests/python/attack_bundle.py BUNDLE WORK [--with-rules]
    python tests/python/attack_bundle.py --table OUT.csv RULES.csv WIDTH T DIM,DIM,… [--with-rules]

It reads only the bundle's files (data/protected_*.parquet and manifest.json) — what any
reader has — and rebuilds the reader's constraints itself, from the published hierarchies
(data-schema/contracts): gutt + jente = alle, 8 + 9 + 10 = ungdomstrinn, VG1 + VG2 + VG3 =
videregående, the offence groups under `alle`, the four age bands under 10–25, 10–25 +
andre = alle, and the region as the sum of its municipalities; counts are non-negative
integers, and a survey count is at most its published n. For every hidden cell the
producer says must be protected (read from the confidential rule log in WORK: the
requirement, never the reader's knowledge) it minimises and maximises the cell over its
connected component of hidden cells, and fails when the interval is narrower than the
manifest's required width (or [0, n] when n is smaller).

With --with-rules it also gives the reader what the old public log said per hidden cell
(x ≤ T for "too few with the trait", x ≥ n − T for "too few without", T < x < n − T for a
complement): the attack that log allowed. Exit status: 0 when no protected cell is too
narrow, 1 otherwise (the failures are printed as keys, never values).
"""

import io
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import polars as pl
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

with_rules = "--with-rules" in sys.argv
bundle, work = Path(sys.argv[1]), Path(sys.argv[2])
# The thresholds the method note states (the defaults of oppvekst's configuration).
SURVEY_T, POLICE_T = 6, 4

if sys.argv[1] != "--table":
    manifest = json.loads((bundle / "manifest.json").read_text())
    need = {r["name"]: r["required_width"] for r in manifest["protection"]}

REGION = "nedre-glomma"
GRADES = {"ungdomstrinn": ["8", "9", "10"], "videregaende": ["VG1", "VG2", "VG3"]}
GENDERS = {"alle": ["gutt", "jente"]}
OFFENCES = ["eiendomstyveri", "annet_vinning", "eiendomsskade", "vold", "seksual", "rus", "orden", "trafikk", "annet"]
AGES = {"10-25": ["10-14", "15-17", "18-20", "21-25"], "alle": ["10-25", "andre"]}


def hierarchies(codes_by_dim, dims):
    """Per dimension: total code → children, as the contracts describe them."""
    out = []
    for d in dims:
        codes = codes_by_dim[d]
        if d == "municipality":
            members = [c for c in codes if c != REGION]
            out.append({REGION: members} if REGION in codes else {})
        elif d == "grade":
            out.append(GRADES)
        elif d == "gender":
            out.append(GENDERS)
        elif d == "offence_group":
            out.append({"alle": OFFENCES})
        elif d == "age_band":
            out.append(AGES)
        else:
            out.append({})
    return out


def bundle_rules(name):
    """The confidential rule log of a bundle's table (the requirement, not the reader's)."""
    raw = (work / "disclosure" / "skjulte_celler.csv").read_bytes().removeprefix(b"\xef\xbb\xbf")
    log = pl.read_csv(io.BytesIO(raw), separator=";", infer_schema=False)
    log = log.filter(pl.col("tabell") == name)
    return {tuple(r["celle"].split("|")): r["regel"] for r in log.iter_rows(named=True)}


def attack(name, frame, dims, value, upper, threshold, hier=None, rule=None, required_width=None):
    keys = [tuple(str(x) for x in row) for row in frame.select(dims).iter_rows()]
    index = {k: i for i, k in enumerate(keys)}
    values = frame[value].to_list()
    n = frame[upper].to_list() if upper else [None] * len(keys)
    codes = {d: set(frame[d].cast(pl.Utf8).to_list()) for d in dims}
    if hier is None:
        hier = hierarchies(codes, dims)
    if rule is None:
        rule = bundle_rules(name)
    width_needed = required_width if required_width is not None else need[name]
    relations = []
    for i, k in enumerate(keys):
        for d, h in enumerate(hier):
            kids = h.get(k[d])
            if not kids:
                continue
            parts = []
            for c in kids:
                j = index.get(k[:d] + (c,) + k[d + 1:])
                if j is None:
                    raise SystemExit(f"attack: {name}: total {k} lacks child {c}")
                parts.append(j)
            relations.append((i, parts))
    hidden = [i for i, v in enumerate(values) if v is None]
    var = {c: j for j, c in enumerate(hidden)}
    # Union-find over hidden cells sharing a relation.
    parent = list(range(len(hidden)))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    rows = []
    for total, parts in relations:
        members = [(total, -1.0)] + [(p, 1.0) for p in parts]
        coef = [(var[c], s) for c, s in members if c in var]
        rhs = -sum(s * values[c] for c, s in members if c not in var)
        if not coef:
            if abs(rhs) > 1e-9:
                raise SystemExit(f"attack: {name}: published values contradict the relation at {keys[total]}")
            continue
        for a, b in zip(coef, coef[1:]):
            ra, rb = find(a[0]), find(b[0])
            if ra != rb:
                parent[ra] = rb
        rows.append((coef, rhs))
    assert len(rule) == len(hidden), f"{name}: the log lists {len(rule)} of {len(hidden)} hidden cells"
    comps = defaultdict(list)
    for j in range(len(hidden)):
        comps[find(j)].append(j)
    comp_rows = defaultdict(list)
    for coef, rhs in rows:
        comp_rows[find(coef[0][0])].append((coef, rhs))
    failures, checked, narrowest = [], 0, None
    for root, members in comps.items():
        local = {j: li for li, j in enumerate(members)}
        r_i, c_i, vals, b = [], [], [], []
        for ri, (coef, rhs) in enumerate(comp_rows[root]):
            for j, s in coef:
                r_i.append(ri)
                c_i.append(local[j])
                vals.append(s)
            b.append(rhs)
        a_eq = coo_matrix((vals, (r_i, c_i)), shape=(len(b), len(members))).tocsr() if b else None
        bounds = []
        for j in members:
            cell = hidden[j]
            lo, hi = 0.0, (float(n[cell]) if n[cell] is not None else None)
            if with_rules:
                r = rule[keys[cell]]
                cap = n[cell]
                if r == "small_count":
                    hi = min(hi, threshold) if hi is not None else float(threshold)
                elif r == "small_complement" and cap is not None:
                    lo = max(lo, cap - threshold)
                elif r == "secondary":
                    lo = max(lo, threshold + 1)
                    if cap is not None:
                        hi = min(hi, cap - threshold - 1)
            bounds.append((lo, hi))
        for j in members:
            cell = hidden[j]
            if rule[keys[cell]] == "secondary":
                continue
            checked += 1
            c = np.zeros(len(members))
            c[local[j]] = 1.0
            ends = []
            for sign in (1.0, -1.0):
                res = linprog(sign * c, A_eq=a_eq, b_eq=b if b else None, bounds=bounds, method="highs")
                if res.status == 3:
                    ends.append(None)
                elif res.status != 0:
                    raise SystemExit(f"attack: {name}: solver status {res.status} at {keys[cell]}")
                else:
                    ends.append(sign * res.fun)
            lo = int(np.ceil(ends[0] - 1e-6))
            hi = None if ends[1] is None else int(np.floor(ends[1] + 1e-6))
            required = max(1, min(width_needed, n[cell] if n[cell] is not None else width_needed))
            if hi is not None:
                width = hi - lo
                narrowest = width if narrowest is None else min(narrowest, width)
                if width < required:
                    failures.append(keys[cell])
    print(f"attack {name}: {len(hidden)} hidden, {checked} protected cells attacked, "
          f"narrowest interval {narrowest}, {len(failures)} narrower than required "
          f"({'with' if with_rules else 'without'} the per-cell rules)")
    for k in failures[:10]:
        print(f"  narrowed: {'|'.join(k)}")
    return len(failures)


if sys.argv[1] == "--table":
    # A table written by `oppvekst protect` (dimension columns, value `:` when hidden,
    # denominator, status), every dimension flat under `Total`, with its rule log (--rules).
    _, _, out_csv, rules_csv, width, threshold, dims_arg = sys.argv[:7]
    dims = dims_arg.split(",")
    frame = pl.read_csv(out_csv, infer_schema=False)
    frame = frame.with_columns(
        pl.when(pl.col("value") == ":").then(None).otherwise(pl.col("value")).cast(pl.Int64).alias("value"),
        pl.col("denominator").cast(pl.Int64),
    )
    hier = [{"Total": sorted(c for c in set(frame[d].to_list()) if c != "Total")} for d in dims]
    log = pl.read_csv(rules_csv, infer_schema=False)
    rule = {tuple(r[d] for d in dims): r["rule"] for r in log.iter_rows(named=True)}
    failed = attack(out_csv, frame, dims, "value", "denominator", int(threshold), hier, rule, int(width))
    sys.exit(1 if failed else 0)

survey = pl.read_parquet(bundle / "data" / "protected_survey_cells.parquet")
police = pl.read_parquet(bundle / "data" / "protected_police_cells.parquet")
for frame in (survey, police):
    assert "rule" not in frame.columns, "the bundle names no rule per cell"
failed = attack("ungdata", survey, ["indicator", "municipality", "survey_year", "grade", "gender"], "numerator", "denominator", SURVEY_T)
failed += attack("politi", police, ["municipality", "quarter", "offence_group", "age_band"], "count", None, POLICE_T)
sys.exit(1 if failed else 0)
