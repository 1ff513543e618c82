"""Python baseline for the `.sav` side of the ingest benchmark (benches/ingest.rs): read the
generated national export with pyreadstat (ReadStat, the usual way to read SPSS files in
Python) straight into a polars frame and write it as Parquet, reporting rows, seconds and
peak RSS. No validation.

Usage: python sav_ingest.py EXPORT.sav OUT.parquet
"""

import json
import resource
import sys
import time

import polars as pl
import pyreadstat


def main() -> None:
    src, out = sys.argv[1], sys.argv[2]
    start = time.perf_counter()
    df, _meta = pyreadstat.read_sav(src, output_format="polars")
    assert isinstance(df, pl.DataFrame)
    df.write_parquet(out)
    secs = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"rows": df.height, "secs": secs, "peak_rss": peak}))


if __name__ == "__main__":
    main()
