"""Python baseline for the `.sav` side of the ingest benchmark (benches/ingest.rs): read the
generated national export with pyreadstat (ReadStat, the usual way to read SPSS files in
Python) straight into a polars frame and write it as Parquet, reporting rows, seconds and
peak RSS. No validation.

Usage: python sav_ingest.py EXPORT.sav OUT.parquet
"""

import sys

import polars as pl
import pyreadstat

from polars_ingest import measure


def read(src: str) -> pl.DataFrame:
    df, _meta = pyreadstat.read_sav(src, output_format="polars")
    assert isinstance(df, pl.DataFrame)
    return df


def main() -> None:
    src, out = sys.argv[1], sys.argv[2]
    measure(lambda: read(src), out)


if __name__ == "__main__":
    main()
