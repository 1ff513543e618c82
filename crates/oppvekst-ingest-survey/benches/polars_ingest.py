"""Python polars baseline for the ingest benchmark (benches/ingest.rs): read the generated
national export (CSV, `;`) and write it as Parquet, reporting rows, seconds and peak RSS.

Usage: python polars_ingest.py EXPORT.csv OUT.parquet
"""

import json
import resource
import sys
import time
from typing import Callable

import polars as pl


def measure(read: Callable[[], pl.DataFrame], out: str) -> None:
    """Reads a frame with `read`, writes it to `out` as Parquet and prints rows, seconds and
    peak RSS as one JSON line (what benches/ingest.rs reads)."""
    start = time.perf_counter()
    df = read()
    df.write_parquet(out)
    secs = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"rows": df.height, "secs": secs, "peak_rss": peak}))


def main() -> None:
    src, out = sys.argv[1], sys.argv[2]
    measure(lambda: pl.read_csv(src, separator=";", infer_schema_length=10_000), out)


if __name__ == "__main__":
    main()
