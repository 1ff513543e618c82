//! Police ingest: reads quarterly police extracts into the canonical police count table.
