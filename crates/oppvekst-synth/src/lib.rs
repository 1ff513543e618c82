//! Seeded synthetic Ungdata-style survey exports and police extracts for the demo.
