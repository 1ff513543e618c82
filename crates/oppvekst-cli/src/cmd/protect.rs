//! `oppvekst protect`: protect any frequency table given as CSV inner cells.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use oppvekst_disclosure::csvtable::{CsvSpec, inner_table, protected_csv, rules_csv};
use oppvekst_disclosure::{Ledger, Rules, protect_release};

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

/// How secondary cells are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    /// Every method that suits the table, keeping the pattern that loses least.
    Auto,
    /// Elimination over the table (block by block when large).
    Elimination,
    /// Hypercubes proven by alternative tables.
    Hypercube,
}

impl From<Method> for oppvekst_disclosure::Method {
    fn from(m: Method) -> Self {
        match m {
            Method::Auto => oppvekst_disclosure::Method::Auto,
            Method::Elimination => oppvekst_disclosure::Method::Elimination,
            Method::Hypercube => oppvekst_disclosure::Method::Hypercube,
        }
    }
}

/// Arguments of `protect`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// CSV with one row per inner cell: dimension codes and the count.
    #[arg(long)]
    input: PathBuf,
    /// Where to write every publishable cell (value `:` when hidden, and its status). Which
    /// rule hid a cell is not in it: see --rules.
    #[arg(long)]
    output: PathBuf,
    /// Where to write the confidential rule log (every hidden cell's rule and the interval a
    /// reader can derive). Keep it with the confidential files; never publish it.
    #[arg(long)]
    rules: Option<PathBuf>,
    /// Ledger of earlier releases (JSON, confidential; created when missing): their
    /// published cells are known to the reader, their hidden cells stay hidden, and this
    /// release is appended to it once the output is written.
    #[arg(long)]
    ledger: Option<PathBuf>,
    /// This release's id in the ledger; ids sort in release order (default: r0001, r0002, …).
    #[arg(long, requires = "ledger")]
    release: Option<String>,
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
    /// How secondary cells are chosen.
    #[arg(long, value_enum, default_value = "auto")]
    method: Method,
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
        method: args.method.into(),
        exact_bounds: false,
    };
    let mut ledger = match &args.ledger {
        Some(path) if path.exists() => {
            let text =
                std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
            serde_json::from_slice::<Ledger>(&text)
                .with_context(|| format!("{}: not an oppvekst ledger", path.display()))?
        }
        _ => Ledger::default(),
    };
    let release = args
        .release
        .clone()
        .unwrap_or_else(|| format!("r{:04}", ledger.releases.len() + 1));
    if let Some(last) = ledger.releases.keys().next_back()
        && *last >= release
        && !ledger.releases.contains_key(&release)
    {
        bail!("--release `{release}`: ids must sort after the ledger's last release `{last}`");
    }
    let p = protect_release(&table, &rules, &ledger.before(&release))?;
    let s = p.summary();
    let a = p.audit();
    println!(
        "{name}: {} cells, {} hidden by primary rules, {} secondary ({:.1} % hidden), {} in hidden inner cells, secondary cells by {}; audit: {} hidden cells ({} protected, {} proven by alternative tables), narrowest interval {}, {} failures",
        s.cells,
        s.primary,
        s.secondary,
        100.0 * s.hidden_share(),
        p.hidden_inner_value()
            .map_or_else(|| "-".to_owned(), |v| v.to_string()),
        crate::summary::method_name(s.method),
        a.hidden,
        a.protected,
        a.proven,
        match a.narrowest {
            Some(n) => n.to_string(),
            // Every interval came from the certificate: none was solved.
            None if a.proven > 0 => "not solved (all proven by alternative tables)".into(),
            None => "unbounded".into(),
        },
        a.failures.len()
    );
    oppvekst_schema::io::write_atomic(&args.output, protected_csv(&p).as_bytes())?;
    println!("wrote {}", args.output.display());
    if let Some(path) = &args.rules {
        oppvekst_schema::io::write_atomic(path, rules_csv(&p).as_bytes())?;
        println!("wrote {} (confidential)", path.display());
    }
    if let Some(path) = &args.ledger {
        ledger.record(&release, &table, &p);
        oppvekst_schema::io::write_atomic(path, serde_json::to_string(&ledger)?.as_bytes())?;
        println!("ledger {}: release {release} recorded", path.display());
    }
    Ok(())
}
