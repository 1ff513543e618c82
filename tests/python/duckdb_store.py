"""The history store and a stage file open unchanged in DuckDB, with the counts oppvekst reports.

Run by .ci/run after `oppvekst run --quarter 2025Q4` and `oppvekst ingest survey` on the
demo inbox:
    python tests/python/duckdb_store.py WORK RUN_STDOUT STATUS_STDOUT INGEST_WORK INGEST_STDOUT

- WORK/store/<CURRENT>/police/<quarter>/rNNN.parquet (contract police_counts) and police/log.csv,
  in the generation store/CURRENT names: the
  number of quarters DuckDB finds equals what `oppvekst status` reports, every quarter has
  the same cells, and the log lists one revision per stored file.
- INGEST_WORK/stages/respondents.parquet and survey_cells.parquet (written by `oppvekst
  ingest survey`): DuckDB counts as many respondents as the ingest accepted, and as the run
  accepted from the same exports, and the cells' gender totals add up.
Exits non-zero with a message on the first disagreement.
"""

import re
import sys
from pathlib import Path

import duckdb

work = Path(sys.argv[1])
run_out = Path(sys.argv[2]).read_text()
status_out = Path(sys.argv[3]).read_text()
ingest_work = Path(sys.argv[4])
ingest_out = Path(sys.argv[5]).read_text()


def fail(msg):
    print(f"duckdb_store: {msg}", file=sys.stderr)
    sys.exit(1)


con = duckdb.connect()
# The store's current generation is the folder `store/CURRENT` names.
generation = (work / "store" / "CURRENT").read_text().strip()
store = work / "store" / generation / "police"
files = f"{store}/*/r[0-9][0-9][0-9].parquet"
quarters, rows, muns = con.execute(
    f"select count(distinct quarter), count(*), count(distinct municipality) from read_parquet('{files}')"
).fetchone()
m = re.search(r": (\d+) quarters, (\d+) revisions in all", status_out)
if not m:
    fail("`oppvekst status` did not report its quarters")
if quarters != int(m.group(1)):
    fail(f"DuckDB finds {quarters} quarters, oppvekst status {m.group(1)}")
per_quarter = con.execute(
    f"select min(c), max(c) from (select quarter, count(*) c from read_parquet('{files}') group by quarter)"
).fetchone()
if per_quarter[0] != per_quarter[1] or per_quarter[0] != muns * 9 * 5:
    fail(f"cells per quarter {per_quarter}, expected {muns} municipalities × 9 groups × 5 bands")
logged = con.execute(f"select count(*) from read_csv('{store}/log.csv', header = true)").fetchone()[0]
if logged != int(m.group(2)):
    fail(f"log.csv has {logged} revisions, oppvekst status {m.group(2)}")
columns = [r[0] for r in con.execute(f"describe select * from read_parquet('{files}')").fetchall()]
if columns != ["municipality", "quarter", "offence_group", "age_band", "count"]:
    fail(f"store columns {columns}")

accepted = re.search(r"Ungdata\s+\d+ files\s+\d+ read =\s+(\d+) accepted", run_out)
ingested = re.search(r"survey: \d+ files, \d+ rows read = (\d+) accepted", ingest_out)
if not accepted or not ingested:
    fail("the run or the ingest did not report its accepted survey rows")
stages = ingest_work / "stages"
respondents = con.execute(
    f"select count(*) from read_parquet('{stages / 'respondents.parquet'}')"
).fetchone()[0]
if not respondents == int(ingested.group(1)) == int(accepted.group(1)):
    fail(f"DuckDB counts {respondents} respondents, the ingest accepted {ingested.group(1)}, "
         f"the run {accepted.group(1)}")
off = con.execute(
    f"""select count(*) from (
          select indicator, municipality, survey_year, grade,
                 sum(numerator) filter (where gender = 'alle') as total,
                 sum(numerator) filter (where gender <> 'alle') as parts
          from read_parquet('{stages / 'survey_cells.parquet'}')
          group by all) where total <> parts"""
).fetchone()[0]
if off:
    fail(f"{off} survey cells whose gender total is not the sum of gutt and jente")
print(f"duckdb_store: {quarters} quarters × {per_quarter[0]} cells, {logged} revisions, "
      f"{respondents} respondents: the same as oppvekst")
