//! The chart bundle: index.html, CSV tables, Parquet, manifest.json, written atomically.
