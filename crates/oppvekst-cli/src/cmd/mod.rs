//! One module per subcommand.

pub mod demo;
pub mod init;
pub mod synth;
