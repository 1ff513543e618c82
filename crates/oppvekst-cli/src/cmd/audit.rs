//! `oppvekst audit`: audit a published table and its suppression pattern, from any tool.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use oppvekst_audit::{AuditError, AuditOptions, Publication, audit};
use oppvekst_disclosure::csvtable::{PatternFile, inner_table, published_pattern};

use super::protect::TableArgs;

/// Arguments of `audit`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// CSV of inner cells that gives the table's structure (its hierarchies).
    #[arg(long)]
    structure: PathBuf,
    /// CSV with one row per publishable cell: the finest column of each dimension (holding a
    /// code of any level), the value and a hidden flag.
    #[arg(long)]
    pattern: PathBuf,
    #[command(flatten)]
    table: TableArgs,
    /// Column of the pattern with the published values (default: the same as --value).
    #[arg(long)]
    pattern_value: Option<String>,
    /// Column of the pattern that marks hidden cells (TRUE, true, 1, `:` or hidden).
    #[arg(long, default_value = "suppressed")]
    hidden_column: String,
    /// Column of the pattern that marks primary cells (same flags). When given, the other
    /// hidden cells are complements whose intervals need not reach the width.
    #[arg(long)]
    primary_column: Option<String>,
    /// Required width of every protected hidden cell's interval.
    #[arg(long, default_value_t = 1)]
    width: u64,
}

/// Runs `audit`. Prints counts and the keys of failing cells, never an interval: a failing
/// cell's interval would disclose the very value it fails to protect.
pub fn run(args: Args) -> Result<()> {
    let sname = args.structure.display().to_string();
    let pname = args.pattern.display().to_string();
    let stext = std::fs::read_to_string(&args.structure)
        .with_context(|| format!("{sname}: cannot read"))?;
    let ptext =
        std::fs::read_to_string(&args.pattern).with_context(|| format!("{pname}: cannot read"))?;
    let spec = args.table.spec(None);
    let structure = inner_table(&sname, &stext, &spec)?;
    let mut pspec = spec.clone();
    if let Some(v) = &args.pattern_value {
        pspec.value.clone_from(v);
    }
    let published = published_pattern(
        &pname,
        &structure,
        &ptext,
        &pspec,
        &args.hidden_column,
        args.primary_column.as_deref(),
    )?;
    let PatternFile { table, rows } = published;
    let publication = Publication::single(table);
    let report = audit(&publication, &AuditOptions::width(args.width), &[])
        .map_err(|e| located(&pname, &rows, &pspec.value, e))?;
    let t = &report.tables[0];
    println!(
        "{pname}: {} hidden cells in {} components (largest {}), {} bounds solved, narrowest interval {}, {} failures (required width {})",
        t.hidden,
        report.components,
        report.largest_component,
        report.bounds_solved,
        t.narrowest
            .map(|n| n.to_string())
            .unwrap_or_else(|| "unbounded".into()),
        t.failures.len(),
        args.width
    );
    for f in t.failures.iter().take(20) {
        println!(
            "  not protected: row {} {:?}",
            rows[f.cell.cell], publication.tables[0].cells[f.cell.cell].key
        );
    }
    if !report.passed() {
        bail!(
            "{pname}: {} hidden cells can be narrowed below the required width",
            t.failures.len()
        );
    }
    Ok(())
}

/// An audit error with the pattern file's row and column of the cell it names.
fn located(file: &str, rows: &[u64], value: &str, e: AuditError) -> anyhow::Error {
    let at = |cell: usize| rows.get(cell).copied().unwrap_or(0);
    match &e {
        AuditError::Contradiction { cell, .. } | AuditError::Overflow { cell, .. } => {
            anyhow::anyhow!("{file}: row {}, column `{value}`: {e}", at(*cell))
        }
        AuditError::DuplicateCell { cell, .. } => {
            anyhow::anyhow!("{file}: row {}: {e}", at(*cell))
        }
        _ => anyhow::anyhow!("{file}: {e}"),
    }
}
