//! Data contracts shared by every stage of oppvekst.
//!
//! This crate holds what two stages must agree on and nothing else:
//! - the Arrow schemas of every Parquet file that crosses a stage boundary
//!   ([`contracts`]), checked by tests against the human-written contracts in
//!   `data-schema/contracts/`;
//! - the codebook and indicator catalogue ([`catalogue`]), read from
//!   `data-schema/` as data so that adding an indicator needs no code change;
//! - municipality code harmonisation from a KLASS-style change list ([`municipality`]),
//!   shared by the survey and the police ingest;
//! - population by municipality, year and age for rates and regional coverage
//!   ([`population`]) and published reference levels to compare against ([`reference`]);
//! - the names of the tables' dimensions, their totals and the grade hierarchy ([`dims`]),
//!   and the calendar quarter ([`quarter::Quarter`]);
//! - code lists for police data ([`codes`]), atomic, deterministic file writing ([`io`]) and
//!   the decoding of Norwegian CSV exports shared by both ingest crates ([`text`]).
//!
//! It must not contain stage logic (reading exports, suppression, analysis) and must
//! never log or format a data value: errors carry file, row and column positions only.

pub mod catalogue;
pub mod codes;
pub mod contracts;
pub mod dims;
pub mod hierarchy;
pub mod io;
pub mod municipality;
pub mod population;
pub mod quarantine;
pub mod quarter;
pub mod reference;
pub mod text;

pub use catalogue::{Catalogue, CatalogueError, Codebook, Indicator, IndicatorRule, Item};
pub use municipality::{Harmoniser, MunicipalityError};
