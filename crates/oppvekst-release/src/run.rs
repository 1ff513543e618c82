//! The whole run: protect every table a quarter publishes (consistently with the ledger of
//! earlier releases), analyse, and write the bundle. [`run_demo`] makes one stand-alone
//! release from an inbox; [`run_quarter`] is the analyst's quarterly job over the history
//! store.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use oppvekst_analysis::{changes, compare, police_series, survey_indicators};
use oppvekst_bundle::sentences::{RegionCoverage, period_label, population_note, region_sentence};
use oppvekst_bundle::{BundleInput, Reconciliation, suppression_log_csv, write_bundle};
use oppvekst_charts::{LOOKS, MunicipalityStyle, REGION_LOOK};
use oppvekst_disclosure::{
    Ledger, Protected, ProtectedTable, Table, protect_linked, protect_release,
};
use oppvekst_ingest_police::history::Store;
use oppvekst_schema::Catalogue;
use oppvekst_schema::quarter::Quarter;

use crate::config::Config;
use crate::inputs::{
    Import, Inbox, Ingested, SurveyOutput, import_police, ingest, ingest_survey, read_public,
    refuse_drift,
};
use crate::tables::{
    RegionPlan, complete_quarters, flag_table, plan_region, police_table, survey_table,
    with_coverage,
};
use crate::{ReleaseError, Reporter, ledger_store};

type Result<T> = std::result::Result<T, ReleaseError>;

/// How one table was protected, for the run summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSummary {
    /// Table name.
    pub name: String,
    /// Cells.
    pub cells: usize,
    /// Hidden by a primary rule.
    pub primary: usize,
    /// Hidden as complements (or kept hidden from an earlier release).
    pub secondary: usize,
    /// Sum of the hidden inner cells, which a reader can compute from the published cells
    /// (None when a top-level total is hidden).
    pub hidden_inner_value: Option<u64>,
    /// The method whose pattern was kept.
    pub method: oppvekst_disclosure::Method,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSummary {
    /// Where the bundle was written.
    pub bundle: PathBuf,
    /// Files in the bundle (the manifest and the zip included).
    pub files: usize,
    /// Rows read, accepted and quarantined per source.
    pub reconciliation: Vec<Reconciliation>,
    /// Files of the inbox not read, with the reason.
    pub not_read: Vec<oppvekst_bundle::NotRead>,
    /// Protection per table.
    pub tables: Vec<TableSummary>,
    /// The confidential file with each table's information lost (in the work folder).
    pub loss_file: PathBuf,
}

/// What `run --quarter` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarterRun {
    /// The release.
    pub summary: RunSummary,
    /// What the store did with every quarter of every police file.
    pub imports: Vec<Import>,
}

fn table_summary(t: &Protected<ProtectedTable>) -> TableSummary {
    let s = t.summary();
    TableSummary {
        name: t.name().to_owned(),
        cells: s.cells,
        primary: s.primary,
        secondary: s.secondary,
        hidden_inner_value: t.hidden_inner_value(),
        method: s.method,
    }
}

/// Runs the whole pipeline on the files of `inbox` as one stand-alone release (the demo).
pub fn run_demo(
    cfg: &Config,
    inbox: &Inbox,
    work: &Path,
    bundle: &Path,
    report: &dyn Reporter,
) -> Result<RunSummary> {
    let cat = Catalogue::builtin()?;
    let harmoniser = cfg.harmoniser()?;
    let ing = ingest(cfg, &cat, &harmoniser, inbox, work, report)?;
    finish(cfg, &cat, work, ing, bundle, None, report)
}

/// A quarterly release: the ledger of earlier releases and this release's quarter.
struct Release<'a> {
    ledger: &'a mut Ledger,
    quarter: Quarter,
}

/// Protects, analyses and writes the bundle; records the release in the ledger once the
/// bundle is written.
fn finish(
    cfg: &Config,
    cat: &Catalogue,
    work: &Path,
    mut ing: Ingested,
    bundle: &Path,
    release: Option<Release<'_>>,
    report: &dyn Reporter,
) -> Result<RunSummary> {
    for line in complete_quarters(&mut ing.police) {
        report.line(&format!("  {line}"));
    }
    let harmoniser = cfg.harmoniser()?;
    let cells = &ing.survey.cells;
    let earlier = release
        .as_ref()
        .map(|r| r.ledger.before(&r.quarter.code()))
        .unwrap_or_default();

    let with_data: BTreeSet<&str> = cells
        .cells
        .iter()
        .map(|c| c.municipality.as_str())
        .chain(ing.police.rows.iter().map(|r| r.municipality.as_str()))
        .collect();
    let mut population = ing.public.population.clone();
    let region = plan_region(cfg, &with_data, &population);
    if let Some(r) = &region {
        population.add_aggregate(&r.code, &r.with_data);
    }
    let min = cfg.region.min_coverage;
    let survey_rules = with_coverage(
        cfg.survey_rules(),
        region.as_ref(),
        |r| r.survey_coverage,
        min,
    );
    // The police table's hidden cells bound the flagged offences: its intervals must be
    // solved exactly.
    let police_rules = oppvekst_disclosure::Rules {
        exact_bounds: true,
        ..with_coverage(
            cfg.police_rules(),
            region.as_ref(),
            |r| r.police_coverage,
            min,
        )
    };
    let survey_cells = survey_table(cells, cat, region.as_ref())?;
    let survey = protect_release(&survey_cells, &survey_rules, &earlier)?;
    let police_cells = police_table(&ing.police, region.as_ref())?;
    let police = protect_release(&police_cells, &police_rules, &earlier)?;
    let flag_rules = cfg.police_rules();
    let flags = flag_table(&ing.police, &police)?;
    let police_flags = match &flags {
        Some((table, linked)) => Some(protect_linked(table, &flag_rules, &earlier, linked)?),
        None => None,
    };
    nothing_left(&survey)?;
    nothing_left(&police)?;
    // The rule that hid each cell, with the reader's interval: for the analyst, in the
    // confidential work folder (never in the bundle).
    let protected: Vec<&ProtectedTable> = [Some(&survey), Some(&police), police_flags.as_ref()]
        .into_iter()
        .flatten()
        .map(|t| &**t)
        .collect();
    oppvekst_schema::io::write_atomic(
        &work.join("disclosure/skjulte_celler.csv"),
        &suppression_log_csv(&protected),
    )?;
    // Information lost (the sum of the hidden values) is one more equation over the hidden
    // cells: confidential, so it is written here and never printed or published.
    let loss_file = work.join("disclosure/informasjonstap.csv");
    let mut with_truth = vec![(&survey_cells, &*survey), (&police_cells, &*police)];
    if let (Some((table, _)), Some(p)) = (&flags, &police_flags) {
        with_truth.push((table, &**p));
    }
    oppvekst_schema::io::write_atomic(&loss_file, &loss_csv(&with_truth))?;

    let indicators = survey_indicators(&survey, cat)?;
    let mut wave_changes = changes(&indicators, cfg.report.alpha);
    let has_population = !population.is_empty();
    let series = police_series(&police, has_population.then_some(&population))?;
    let municipality_codes: Vec<String> =
        cfg.municipalities.iter().map(|m| m.code.clone()).collect();
    let mut comparisons = compare(
        &indicators,
        &ing.public.reference,
        &municipality_codes,
        cfg.report.standardise,
        cfg.report.alpha,
    )?;
    // Every change and every difference from the reference is one family of tests.
    let tests = oppvekst_analysis::adjust_for_many_tests(
        &mut wave_changes,
        &mut comparisons,
        cfg.report.alpha,
    );

    let last_quarter = ing.police.rows.iter().map(|r| r.quarter).max();
    let years = &ing.survey.years;
    let period = period_label(years.first().copied(), years.last().copied(), last_quarter);
    let mut municipalities: Vec<MunicipalityStyle> = cfg
        .municipalities
        .iter()
        .enumerate()
        .map(|(i, m)| MunicipalityStyle {
            code: m.code.clone(),
            name: m.name.clone(),
            look: LOOKS[i % LOOKS.len()],
        })
        .collect();
    // The region has a look of its own, so it never changes with the number of
    // municipalities.
    let region_note = region.as_ref().map(|r| {
        municipalities.push(MunicipalityStyle {
            code: r.code.clone(),
            name: r.name.clone(),
            look: REGION_LOOK,
        });
        region_sentence(&coverage(cfg, r, &municipalities))
    });
    let input = BundleInput {
        title: cfg.report.title.clone(),
        period_label: period,
        release_date: Some(cfg.report.release_date.clone()).filter(|d| !d.is_empty()),
        municipalities,
        catalogue: cat,
        survey: &survey,
        police: &police,
        police_flags: police_flags.as_ref().map(|t| (t, &flag_rules)),
        survey_rules: &survey_rules,
        police_rules: &police_rules,
        indicators: &indicators,
        changes: &wave_changes,
        police_series: &series,
        comparisons: &comparisons,
        tests,
        reference: &ing.public.reference,
        region: region.as_ref().map(|r| r.code.clone()).zip(region_note),
        population_note: has_population.then(|| population_note(&population.sources)),
        official: (!ing.public.official.is_empty()).then(|| {
            crate::official::compare(
                &ing.public.official,
                &police,
                &cfg.municipalities,
                &harmoniser,
            )
        }),
        inputs: ing.inputs,
        not_read: ing.not_read.clone(),
        reconciliation: ing.reconciliation.clone(),
    };
    let manifest = write_bundle(&input, bundle)?;
    if let Some(r) = release {
        let id = r.quarter.code();
        r.ledger.record(&id, &survey_cells, &survey);
        r.ledger.record(&id, &police_cells, &police);
        if let (Some((table, _)), Some(protected)) = (&flags, &police_flags) {
            r.ledger.record(&id, table, protected);
        }
    }
    Ok(RunSummary {
        bundle: bundle.to_owned(),
        files: manifest.files.len() + 2,
        reconciliation: ing.reconciliation,
        not_read: ing.not_read,
        loss_file,
        tables: [Some(&survey), Some(&police), police_flags.as_ref()]
            .into_iter()
            .flatten()
            .map(table_summary)
            .collect(),
    })
}

/// Per table: cells, hidden cells, their share and the sum of their true values (from the
/// unprotected table: a protected table holds no hidden value).
fn loss_csv(tables: &[(&Table, &ProtectedTable)]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["table", "cells", "hidden", "hidden_share", "hidden_value"]);
    for (truth, t) in tables {
        let s = t.summary();
        let lost: u64 = truth
            .cells
            .iter()
            .zip(t.cells())
            .filter(|(_, p)| p.value().is_none())
            .map(|(c, _)| c.value)
            .sum();
        let _ = w.write_record([
            t.name().to_owned(),
            s.cells.to_string(),
            s.hidden().to_string(),
            format!("{:.4}", s.hidden_share()),
            lost.to_string(),
        ]);
    }
    w.into_inner().unwrap_or_default()
}

/// A table with nothing published cannot make a report: say so in words.
fn nothing_left(t: &Protected<ProtectedTable>) -> Result<()> {
    if t.cells().iter().all(|c| c.value().is_none()) {
        return Err(ReleaseError::Input(format!(
            "table `{}`: every cell is hidden by the suppression rules (too few answers or \
             offences for the thresholds configured); there is nothing to publish",
            t.name()
        )));
    }
    Ok(())
}

/// The region's coverage in display names, for the report's sentence.
fn coverage(cfg: &Config, r: &RegionPlan, styles: &[MunicipalityStyle]) -> RegionCoverage {
    let name = |code: &str| {
        styles
            .iter()
            .find(|m| m.code == code)
            .map(|m| m.name.clone())
            .unwrap_or_else(|| code.to_owned())
    };
    RegionCoverage {
        name: r.name.clone(),
        members: r.with_data.iter().map(|m| name(m)).collect(),
        survey_coverage: r.survey_coverage,
        police_coverage: r.police_coverage,
        year: r.year,
        min_coverage: cfg.region.min_coverage,
    }
}

/// The analyst's quarterly job: import whatever is new in the inbox into the history store,
/// then produce the quarter's bundle (in `bundle/<quarter>`) from the newest revisions up
/// to `quarter`, protected consistently with every earlier release recorded in the ledger.
/// `when` is recorded in the store's revision log only (never in a bundle).
pub fn run_quarter(
    cfg: &Config,
    inbox: &Inbox,
    quarter: Quarter,
    when: &str,
    report: &dyn Reporter,
) -> Result<QuarterRun> {
    let cat = Catalogue::builtin()?;
    let harmoniser = cfg.harmoniser()?;
    let work = &cfg.paths.work;
    inbox.check_readable()?;
    if inbox.survey.is_empty() {
        return Err(ReleaseError::Input(format!(
            "{}: no survey exports (survey/*.csv, *.sav, *.zsav, *.parquet)",
            inbox.root.display()
        )));
    }
    // A survey file that would be misread stops the run before the store changes.
    refuse_drift(&cat, &inbox.survey)?;
    // Everything the run stores — new revisions, the log, the ledger — goes into the store's
    // next generation, made current in one step at the end; a run that fails or is killed
    // before that leaves the store as it was.
    let tx = Store::begin(&work.join("store"))?;
    let store = tx.store();
    let (police_recon, mut inputs, imports) =
        import_police(cfg, &harmoniser, &inbox.police, &store, work, when, report)?;
    let (survey, survey_recon, more) = ingest_survey(
        cfg,
        &cat,
        &harmoniser,
        &inbox.survey,
        work,
        SurveyOutput::Release,
        report,
    )?;
    inputs.extend(more);
    let mut police = store.latest()?;
    police.rows.retain(|r| r.quarter <= quarter);
    police.flags.retain(|f| f.quarter <= quarter);
    for line in complete_quarters(&mut police) {
        report.line(&format!("  {line}"));
    }
    if !police.rows.iter().any(|r| r.quarter == quarter) {
        return Err(ReleaseError::Input(format!(
            "no police extract for {} in the store, or it is incomplete (put it in {}/police and run again)",
            quarter.code(),
            inbox.root.display()
        )));
    }
    let ledger_path = ledger_store::path(tx.dir());
    let mut ledger = ledger_store::load(&ledger_path)?;
    let public = read_public(cfg, &cat, &harmoniser, inbox, work, report)?;
    inputs.extend(public.inputs.iter().cloned());
    let mut reconciliation = vec![survey_recon, police_recon];
    reconciliation.extend(public.reconciliation.clone());
    let ing = Ingested {
        survey,
        police,
        public,
        inputs,
        reconciliation,
        not_read: inbox.not_read.clone(),
    };
    let bundle = cfg.paths.bundle.join(quarter.code());
    let summary = finish(
        cfg,
        &cat,
        work,
        ing,
        &bundle,
        Some(Release {
            ledger: &mut ledger,
            quarter,
        }),
        report,
    )?;
    ledger_store::save(&ledger_path, &ledger)?;
    tx.commit()?;
    Ok(QuarterRun { summary, imports })
}
