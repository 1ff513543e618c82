"""Writes a survey-like table built to make the old per-cell rule log leak.

    python tests/python/leak_case.py OUT.csv

Gender × grade × municipality, each flat under `Total`, with counts x of denominators n. In
municipality A, grade 8, few girls have the trait (x = 2 of n = 30: a primary cell) and the
boys (x = 10 of 30) are hidden as its complement, so gutt + jente = alle is published. From
the total alone a reader puts the girls in [0, 12]; told "the boys are a complement" (so
6 < x < n − 6) and "the girls are too few" (x ≤ 6), the reader puts them in [0, 5], narrower
than the width 6. `.ci/run` protects it with `oppvekst protect` and attacks the output with
tests/python/attack_bundle.py --table, with and without that log.
"""

import itertools
import sys

rows = ["gender,grade,mun,x,n"]
for g, grade, mun in itertools.product(["gutt", "jente"], ["8", "9", "10"], ["A", "B", "C"]):
    corner = grade == "8" and mun == "A"
    if corner:
        x = 2 if g == "jente" else 10
    else:
        x = 15 + len(grade) * 3 + ord(mun) % 5
    rows.append(f"{g},{grade},{mun},{x},{30 if corner else 60}")
with open(sys.argv[1], "w") as f:
    f.write("\n".join(rows) + "\n")
