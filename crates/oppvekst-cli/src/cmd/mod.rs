//! One module per subcommand.

pub mod audit;
pub mod codebook;
pub mod demo;
pub mod ingest;
pub mod init;
pub mod protect;
pub mod run;
pub mod status;
pub mod synth;
