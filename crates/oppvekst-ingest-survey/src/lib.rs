//! Survey ingest: reads respondent exports into the canonical table and aggregates survey cells.
