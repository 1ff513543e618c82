//! Printing what a run did.

use oppvekst_release::RunSummary;

/// How a method is named in the terminal.
pub fn method_name(m: oppvekst_disclosure::Method) -> &'static str {
    match m {
        oppvekst_disclosure::Method::Auto => "auto",
        oppvekst_disclosure::Method::Elimination => "elimination",
        oppvekst_disclosure::Method::Hypercube => "hypercubes",
    }
}

/// The run summary as printed at the end of `demo` and `run`.
pub fn print(s: &RunSummary) {
    println!("reconciliation (rows read = accepted + quarantined):");
    for r in &s.reconciliation {
        println!(
            "  {:<8} {:>3} files  {:>7} read = {:>7} accepted + {:>3} quarantined",
            r.source, r.files, r.read, r.accepted, r.quarantined
        );
        if !r.answers.is_empty() {
            let sum = |f: fn(&oppvekst_bundle::AnswerReconciliation) -> u64| {
                r.answers.iter().map(f).sum::<u64>()
            };
            println!(
                "  {:<8} {:>9} answers read = {} valid + {} missing + {} invalid (read as missing; see the quarantine)",
                "",
                sum(|a| a.read),
                sum(|a| a.valid),
                sum(|a| a.missing),
                sum(|a| a.invalid)
            );
            for a in r.answers.iter().filter(|a| a.invalid > 0) {
                println!("  {:<8}   {:<14} {:>5} invalid", "", a.item, a.invalid);
            }
        }
    }
    if !s.not_read.is_empty() {
        println!("not read (listed in manifest.json):");
        for n in &s.not_read {
            println!("  {:<44} {}", n.file, n.reason);
        }
    }
    println!("disclosure control:");
    for t in &s.tables {
        let hidden = t.primary + t.secondary;
        println!(
            "  {:<18} {:>6} cells, {:>5} hidden by primary rules, {:>5} secondary ({:.1} % hidden), {} in hidden inner cells, by {}",
            t.name,
            t.cells,
            t.primary,
            t.secondary,
            100.0 * hidden as f64 / t.cells.max(1) as f64,
            t.hidden_inner_value
                .map_or_else(|| "-".to_owned(), |v| v.to_string()),
            method_name(t.method),
        );
    }
    println!(
        "  (the sum in hidden inner cells is what a reader computes from the published totals; the sum of every hidden value, totals included, is confidential: see {})",
        s.loss_file.display()
    );
    println!(
        "bundle: {} ({} files, see manifest.json)",
        s.bundle.display(),
        s.files
    );
}
