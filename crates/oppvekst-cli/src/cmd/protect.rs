//! `oppvekst protect`: protect any frequency table given as CSV inner cells.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use oppvekst_disclosure::csvtable::{CsvSpec, inner_table, protected_csv};
use oppvekst_disclosure::{Rules, protect};

/// How a CSV table is laid out (shared by `protect` and `audit`).
#[derive(clap::Args, Debug, Clone)]
pub struct TableArgs {
    /// A dimension as its columns from finest to coarsest, comma-separated
    /// (`--dim mun,county --dim quarter --dim offence,offgroup`); a `Total` is added on top.
    #[arg(long = "dim", required = true)]
    pub dims: Vec<String>,
    /// Column with the counts.
    #[arg(long, default_value = "freq")]
    pub value: String,
}

impl TableArgs {
    /// The CSV layout.
    pub fn spec(&self, denominator: Option<String>) -> CsvSpec {
        CsvSpec {
            dimensions: self
                .dims
                .iter()
                .map(|d| d.split(',').map(|c| c.trim().to_owned()).collect())
                .collect(),
            value: self.value.clone(),
            denominator,
        }
    }
}

/// What secondary suppression loses least of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Cost {
    /// The smallest sum of hidden values.
    Value,
    /// The fewest and finest cells.
    Cells,
}

impl From<Cost> for oppvekst_disclosure::SecondaryCost {
    fn from(c: Cost) -> Self {
        match c {
            Cost::Value => oppvekst_disclosure::SecondaryCost::Value,
            Cost::Cells => oppvekst_disclosure::SecondaryCost::Cells,
        }
    }
}

/// Arguments of `protect`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// CSV with one row per inner cell: dimension codes and the count.
    #[arg(long)]
    input: PathBuf,
    /// Where to write every publishable cell (value `:` when hidden, status, rule).
    #[arg(long)]
    output: PathBuf,
    #[command(flatten)]
    table: TableArgs,
    /// Column with denominators (enables the complement and denominator rules).
    #[arg(long)]
    denominator: Option<String>,
    /// Hide counts ≤ this.
    #[arg(long, default_value_t = 4)]
    threshold: u64,
    /// With a denominator: hide when denominator − count ≤ this.
    #[arg(long)]
    complement: Option<u64>,
    /// With a denominator: hide when the denominator ≤ this.
    #[arg(long)]
    min_denominator: Option<u64>,
    /// Treat zero counts as small counts.
    #[arg(long)]
    protect_zeros: bool,
    /// Required width of every hidden cell's audit interval (default: the threshold).
    #[arg(long)]
    width: Option<u64>,
    /// What secondary suppression loses least of.
    #[arg(long, value_enum, default_value = "value")]
    cost: Cost,
}

/// Runs `protect`.
pub fn run(args: Args) -> Result<()> {
    let name = args.input.display().to_string();
    let text =
        std::fs::read_to_string(&args.input).with_context(|| format!("{name}: cannot read"))?;
    let table = inner_table(&name, &text, &args.table.spec(args.denominator.clone()))?;
    let rules = Rules {
        max_small_count: args.threshold,
        max_small_complement: args.complement,
        max_small_denominator: args.min_denominator,
        protect_zeros: args.protect_zeros,
        gender: None,
        series: None,
        coverage: None,
        protection_width: args.width.unwrap_or(args.threshold),
        cost: args.cost.into(),
    };
    let p = protect(&table, &rules)?;
    let s = p.summary();
    let a = p.audit();
    println!(
        "{name}: {} cells, {} hidden by primary rules, {} secondary; audit: {} hidden cells in {} components ({} proven by alternative tables), narrowest interval {}, {} failures",
        s.cells,
        s.primary,
        s.secondary,
        a.hidden,
        a.components,
        a.proven,
        a.narrowest
            .map(|n| n.to_string())
            .unwrap_or_else(|| "unbounded".into()),
        a.failures.len()
    );
    if !a.passed() {
        bail!("{name}: the audit could not prove every hidden cell protected; nothing was written");
    }
    oppvekst_schema::io::write_atomic(&args.output, protected_csv(&p).as_bytes())?;
    println!("wrote {}", args.output.display());
    Ok(())
}
