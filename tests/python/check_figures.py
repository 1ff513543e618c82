"""Every figure in the bundle equals an independent computation.

Run by .ci/run on a fresh demo bundle:
    python tests/python/check_figures.py BUNDLE INBOX

- Wilson 95 % intervals: statsmodels' proportion_confint(method="wilson").
- Changes between waves: statsmodels' proportions_ztest (pooled two-proportion z-test).
- Differences from the national reference: the same test against the reference's n.
- Direct standardisation by gender and grade: recomputed here with polars.
- Police rates per 1,000: rolling four-quarter sums and SSB population (07459 JSON-stat,
  municipality numbers followed through data-schema/municipality_changes.csv) recomputed here.
Exits non-zero with a message on the first disagreement.
"""

import csv
import json
import math
import sys
from pathlib import Path

import polars as pl
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

bundle = Path(sys.argv[1])
inbox = Path(sys.argv[2])
root = Path(__file__).resolve().parents[2]
checked = {}


def fail(msg):
    print(f"check_figures: {msg}", file=sys.stderr)
    sys.exit(1)


def close(a, b, tol, what):
    if a is None or b is None or not math.isfinite(a) or abs(a - b) > tol:
        fail(f"{what}: bundle {a} vs independent {b}")


# 1. Wilson intervals for every published indicator figure.
ind = pl.read_parquet(bundle / "data/indicators.parquet")
pub = ind.filter(pl.col("numerator").is_not_null())
for r in pub.iter_rows(named=True):
    lo, hi = proportion_confint(r["numerator"], r["denominator"], alpha=0.05, method="wilson")
    what = f"{r['indicator']} {r['municipality']} {r['survey_year']} {r['grade']} {r['gender']}"
    close(r["ci_low"], lo * 100, 1e-6, f"Wilson lower {what}")
    close(r["ci_high"], hi * 100, 1e-6, f"Wilson upper {what}")
    close(r["percent"], 100 * r["numerator"] / r["denominator"], 1e-9, f"percent {what}")
checked["Wilson intervals"] = pub.height
if ind.filter(pl.col("numerator").is_null() & pl.col("percent").is_not_null()).height:
    fail("a hidden cell has a percent")

# 2. Changes between the two latest published waves (data/changes.parquet, with codes), and
# tabeller/endringer.csv: the same rows, worded for people, p with 4 decimals.
cells = {
    (r["indicator"], r["municipality"], r["grade"], r["gender"], r["survey_year"]): r
    for r in ind.iter_rows(named=True)
}
ch = pl.read_parquet(bundle / "data/changes.parquet")
n = 0
change_rows = []
for row in ch.iter_rows(named=True):
    key = (row["indicator"], row["municipality"], row["grade"], row["gender"])
    a = cells[key + (row["from_year"],)]
    b = cells[key + (row["to_year"],)]
    z, p = proportions_ztest(
        [b["numerator"], a["numerator"]], [b["denominator"], a["denominator"]]
    )
    close(row["p_value"], p, 1e-9, f"change p {key}")
    close(row["from_percent"], a["percent"], 1e-9, f"change from {key}")
    close(row["to_percent"], b["percent"], 1e-9, f"change to {key}")
    change_rows.append((row, p))
    n += 1
checked["wave changes"] = n

with open(bundle / "tabeller/endringer.csv", encoding="utf-8-sig", newline="") as f:
    people = list(csv.DictReader(f, delimiter=";"))
if len(people) != ch.height:
    fail(f"endringer.csv has {len(people)} rows, changes.parquet {ch.height}")
nb = lambda v: float(v.replace(",", "."))
for row, (par, _) in zip(people, change_rows):
    close(nb(row["p-verdi"]), par["p_value"], 5.1e-5, f"endringer.csv p {row}")
    close(nb(row["Justert p-verdi"]), par["p_adjusted"], 5.1e-5, f"endringer.csv adjusted p {row}")
    close(nb(row["Endring (prosentpoeng)"]), par["to_percent"] - par["from_percent"], 0.051, f"endringer.csv change {row}")
    if (row["Statistisk sikker"] == "Ja") != par["significant"]:
        fail(f"endringer.csv significance {row}")
    if int(row["Fra år"]) != par["from_year"] or int(row["Til år"]) != par["to_year"]:
        fail(f"endringer.csv years {row}")
checked["endringer.csv rows"] = len(people)

# 3. Comparisons: reference test and direct standardisation.
cmp = pl.read_parquet(bundle / "data/comparisons.parquet")
grades = {"ungdomstrinn": ["8", "9", "10"], "videregaende": ["VG1", "VG2", "VG3"]}
n_ref = n_std = 0
refs = {}
with open(inbox / "reference/ungdata_norge.csv", encoding="utf-8-sig", newline="") as f:
    for row in csv.DictReader(f, delimiter=";"):
        g = "videregaende" if row["trinn"].startswith("videreg") else row["trinn"]
        refs[(row["indikator"], g, row["kjønn"])] = (
            float(row["prosent"].replace(",", ".")),
            int(row["antall_svar"]),
        )
for r in cmp.iter_rows(named=True):
    what = f"{r['indicator']} {r['municipality']} {r['grade']} {r['gender']}"
    ref = refs.get((r["indicator"], r["grade"], r["gender"]))
    if ref and r["percent"] is not None:
        x = cells[(r["indicator"], r["municipality"], r["grade"], r["gender"], r["survey_year"])]
        x0 = round(ref[0] / 100 * ref[1])
        z, p = proportions_ztest([x["numerator"], x0], [x["denominator"], ref[1]])
        close(r["p_value"], p, 1e-6, f"reference p {what}")
        close(r["difference"], r["percent"] - ref[0], 1e-9, f"difference {what}")
        n_ref += 1
    if r["gender"] == "alle" and r["percent_std"] is not None:
        year = r["survey_year"]
        strata = ind.filter(
            (pl.col("indicator") == r["indicator"])
            & (pl.col("survey_year") == year)
            & pl.col("grade").is_in(grades[r["grade"]])
            & pl.col("gender").is_in(["gutt", "jente"])
        )
        std = strata.filter(pl.col("municipality").is_in(["3107", "3105"])).group_by(
            ["grade", "gender"]
        ).agg(pl.col("denominator").sum().alias("w"))
        std = std.with_columns(pl.col("w") / pl.col("w").sum())
        unit = strata.filter(pl.col("municipality") == r["municipality"]).join(
            std, on=["grade", "gender"]
        )
        if unit.height != 6 or unit["percent"].null_count():
            fail(f"standardised percent without all strata published: {what}")
        close(r["percent_std"], (unit["percent"] * unit["w"]).sum(), 1e-9, f"standardised {what}")
        n_std += 1
checked["reference comparisons"] = n_ref

# 3b. Benjamini–Hochberg over every test of the release (the changes, then the differences
# from the reference, as the bundle lists them), with statsmodels' fdr_bh.
ref_rows = [r for r in cmp.iter_rows(named=True) if r["p_value"] is not None]
family = [p for _, p in change_rows] + [r["p_value"] for r in ref_rows]
adjusted = multipletests(family, method="fdr_bh")[1] if family else []
for (row, _), a in zip(change_rows, adjusted[: len(change_rows)]):
    close(row["p_adjusted"], a, 1e-9, f"change adjusted p {row}")
    if row["significant"] != (a < 0.05):
        fail(f"significance of {row}")
for r, a in zip(ref_rows, adjusted[len(change_rows):]):
    close(r["p_adjusted"], a, 1e-9, f"reference adjusted p {r['indicator']} {r['municipality']}")
    if r["significant"] != (a < 0.05):
        fail(f"significance of the difference {r['indicator']} {r['municipality']}")
checked["Benjamini–Hochberg adjustments"] = len(family)
checked["standardised percents"] = n_std

# 4. Police rates per 1,000 from SSB's population table.
changes = {}
with open(root / "data-schema/municipality_changes.csv", encoding="utf-8", newline="") as f:
    for row in csv.DictReader(f):
        changes[row["fromCode"]] = row["toCode"]


def today(code):
    while code in changes:
        code = changes[code]
    return code


doc = json.loads((inbox / "population/07459.json").read_text(encoding="utf-8"))
dims = [doc["dimension"][d]["category"]["index"] for d in doc["id"]]
sizes = doc["size"]
pop = {}
for flat, v in enumerate(doc["value"]):
    if v is None:
        continue
    idx = []
    for s in reversed(sizes):
        idx.append(flat % s)
        flat //= s
    idx.reverse()
    region, _sex, age, _c, year = (dims[d][i] for d, i in enumerate(idx))
    key = (today(region), int(year), int(age.rstrip("+")))
    pop[key] = pop.get(key, 0) + v


def persons(m, year, lo, hi):
    members = ["3107", "3105"] if m == "nedre-glomma" else [m]
    return sum(pop[(u, year, a)] for u in members for a in range(lo, hi + 1))


ps = pl.read_parquet(bundle / "data/police_series.parquet").filter(
    pl.col("rate_per_1000").is_not_null()
)
bands = {"10-14": (10, 14), "15-17": (15, 17), "18-20": (18, 20), "21-25": (21, 25), "10-25": (10, 25), "alle": (0, 105)}
for r in ps.iter_rows(named=True):
    lo, hi = bands[r["age_band"]]
    year = int(r["quarter"][:4])
    if r["population_year"] != year:
        fail(f"population year {r['population_year']} for {r['quarter']}")
    expect = r["rolling_4q"] * 1000 / persons(r["municipality"], year, lo, hi)
    close(r["rate_per_1000"], expect, 1e-9, f"rate {r['municipality']} {r['offence_group']} {r['age_band']} {r['quarter']}")
checked["police rates"] = ps.height

for k, v in checked.items():
    if v == 0:
        fail(f"nothing checked for {k}")
    print(f"check_figures: {v:>6} {k} agree with the independent computation")
