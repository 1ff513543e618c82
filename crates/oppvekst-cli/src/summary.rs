//! Printing what a run did.

use oppvekst_release::RunSummary;

/// The run summary as printed at the end of `demo` and `run`.
pub fn print(s: &RunSummary) {
    println!("reconciliation (rows read = accepted + quarantined):");
    for r in &s.reconciliation {
        println!(
            "  {:<8} {:>3} files  {:>7} read = {:>7} accepted + {:>3} quarantined",
            r.source, r.files, r.read, r.accepted, r.quarantined
        );
    }
    println!("disclosure control:");
    for t in &s.tables {
        let hidden = t.primary + t.secondary;
        println!(
            "  {:<18} {:>6} cells, {:>5} hidden by primary rules, {:>5} secondary ({:.1} % hidden)",
            t.name,
            t.cells,
            t.primary,
            t.secondary,
            100.0 * hidden as f64 / t.cells.max(1) as f64,
        );
    }
    println!(
        "  (information lost, the sum of the hidden values, is confidential: see {})",
        s.loss_file.display()
    );
    println!(
        "bundle: {} ({} files, see manifest.json)",
        s.bundle.display(),
        s.files
    );
}
