//! `oppvekst`: the command-line glue over the release library (`oppvekst-release`). It
//! reads the TOML file, finds the inbox's files, draws progress bars and prints; one module
//! per subcommand under `cmd/`. What a quarter publishes, the gate and the ledger live in
//! the library. This binary holds no statistics or disclosure logic of its own, and never
//! prints a respondent's answer or a confidential cell value.

mod cmd;
mod config;
mod inbox;
mod progress;
mod summary;
mod worklock;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Trustworthy public statistics on how young people grow up, for the SLT cooperation.
#[derive(Parser, Debug)]
#[command(name = "oppvekst", version, about, long_about = None)]
struct Cli {
    /// Configuration file (TOML). Without it the built-in defaults are used.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Write a commented default configuration file.
    Init(cmd::init::Args),
    /// Write the seeded synthetic demo inputs (survey exports and police extracts).
    Synth(cmd::synth::Args),
    /// Run the whole pipeline on the built-in demo data and write a chart bundle.
    Demo(cmd::demo::Args),
    /// The quarterly job: import new extracts into the history store and write the bundle.
    Run(cmd::run::Args),
    /// Show what the history store holds and what a quarter's run would miss (exits
    /// non-zero when the run would fail).
    Status(cmd::status::Args),
    /// Read input files on their own: summary, quarantine and stage Parquet files.
    #[command(subcommand)]
    Ingest(cmd::ingest::Source),
    /// Protect a frequency table given as CSV (primary and secondary suppression, audited).
    Protect(cmd::protect::Args),
    /// Audit a published table and its suppression pattern (from oppvekst or another tool).
    Audit(cmd::audit::Args),
    /// Compare survey exports with the codebook (codes, value labels, variables).
    #[command(subcommand)]
    Codebook(cmd::codebook::Action),
}

/// mimalloc: ingest allocates small strings per row on one thread and frees them on another.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Init(a) => cmd::init::run(a),
        Command::Synth(a) => cmd::synth::run(a),
        Command::Demo(a) => cmd::demo::run(cli.config.as_deref(), a),
        Command::Run(a) => cmd::run::run(cli.config.as_deref(), a),
        Command::Status(a) => cmd::status::run(cli.config.as_deref(), a),
        Command::Ingest(s) => cmd::ingest::run(cli.config.as_deref(), s),
        Command::Protect(a) => cmd::protect::run(a),
        Command::Audit(a) => cmd::audit::run(a),
        Command::Codebook(a) => cmd::codebook::run(a),
    };
    // The crash test counts the durable steps of a whole run to choose where to stop one.
    if std::env::var_os(oppvekst_schema::io::CRASH_AFTER_STEPS).is_some() {
        eprintln!("durable steps: {}", oppvekst_schema::io::durable_steps());
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
