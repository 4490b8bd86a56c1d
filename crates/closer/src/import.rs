//! `closer import contacts|companies|deals|orders FILE.csv`: a file from HubSpot, Pipedrive
//! or closer, or a shop's order history (repeat purchases are what retention and lifetime value are
//! measured on), with a dry run, an error file for the rows it rejects, and a progress bar.

use std::sync::Arc;

use closer_app::imports::{ImportOptions, ImportReport, ImportSummary, Rejected};
use closer_domain::import::Mapping;
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{ImportCommand, ImportRun};

use closer_app::App;
use closer_domain::import::job::ImportEntity;

pub async fn run(app: App, cmd: ImportCommand) -> anyhow::Result<()> {
    let (entity, run) = match cmd {
        ImportCommand::Contacts { run } => (ImportEntity::Contacts, run),
        ImportCommand::Companies { run } => (ImportEntity::Companies, run),
        ImportCommand::Deals { run } => (ImportEntity::Deals, run),
        ImportCommand::Activities { run } => (ImportEntity::Activities, run),
        ImportCommand::Tasks { run } => (ImportEntity::Tasks, run),
        ImportCommand::Orders { run } => (ImportEntity::Orders, run),
    };
    let ImportRun {
        file,
        workspace,
        dry_run,
        continue_on_error,
        errors,
        quiet,
        mapping,
        id_column,
    } = run;
    let ws = app.access().workspace_by_slug(&workspace).await?.id;
    let mut map = match &mapping {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
            Mapping::parse(&text)
                .map_err(|e| anyhow::anyhow!("{}: {}: {}", path.display(), e.field, e.message))?
        }
        None => Mapping::default(),
    };
    if let Some(column) = &id_column {
        map = map.with_id_column(column);
    }
    let size = std::fs::metadata(&file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?
        .len();
    let errors_path = errors.unwrap_or_else(|| file.with_extension("errors.csv"));
    let mut report = Report {
        bar: if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(size)
        },
        error_file: continue_on_error && !dry_run,
        errors_path: errors_path.clone(),
        writer: None,
        header: Vec::new(),
        lines: Vec::new(),
        failed: None,
    };
    report.bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes}, {msg} [{elapsed_precise}, {eta} left]",
        )
        .expect("a valid template"),
    );
    let options = ImportOptions {
        dry_run,
        continue_on_error,
        mapping: map,
        source_name: file.file_name().map(|n| n.to_string_lossy().into_owned()),
    };
    let started = std::time::Instant::now();
    let principal = closer_app::Principal::operator(ws);
    let source = Arc::new(file.clone());
    let summary = app
        .imports()
        .import(entity, &principal, source, options, &mut report)
        .await;
    report.bar.finish_and_clear();
    if let Some(e) = report.failed.take() {
        anyhow::bail!("cannot write {}: {e}", errors_path.display());
    }
    if let Some(w) = report.writer.as_mut() {
        w.flush()?;
    }
    let summary = summary.map_err(|e| match e {
        closer_app::AppError::Invalid(problems) => anyhow::anyhow!(
            "nothing was imported: {}",
            problems
                .iter()
                .map(|p| format!("{}: {}", p.field, p.message))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => other.into(),
    })?;
    match entity {
        ImportEntity::Orders => print_orders(&summary, dry_run, started.elapsed().as_secs_f64())?,
        ImportEntity::Contacts => print_summary(
            &summary,
            ("people", "a person"),
            dry_run,
            started.elapsed().as_secs_f64(),
        )?,
        _ => print_summary(
            &summary,
            ("records", "a record"),
            dry_run,
            started.elapsed().as_secs_f64(),
        )?,
    }
    if summary.rejected > 0 {
        if report.error_file {
            outln!(
                "{} rows were not imported; they are in {} with the reason in its last column: fix them and import that file",
                summary.rejected,
                errors_path.display()
            );
        } else {
            for line in &report.lines {
                outln!("{line}");
            }
        }
        if !dry_run && !continue_on_error {
            anyhow::bail!(
                "nothing was imported: {} invalid rows (fix them, or import the rest with --continue-on-error)",
                summary.rejected
            );
        }
    }
    Ok(())
}

/// `what` is what an earlier row holds, plural and singular: people and a person (contacts),
/// records and a record.
fn print_summary(
    s: &ImportSummary,
    what: (&str, &str),
    dry_run: bool,
    seconds: f64,
) -> anyhow::Result<()> {
    let (many, one) = what;
    if dry_run {
        outln!("dry run: nothing was written");
        outln!(
            "{} rows: would create {}, update {}, leave {} unchanged; {} rows are {many} an earlier row holds; {} invalid",
            s.rows,
            s.created,
            s.updated,
            s.unchanged,
            s.merged,
            s.rejected
        );
    } else if s.written || s.rejected == 0 {
        outln!(
            "{} rows in {seconds:.1} s: created {}, updated {}, unchanged {}; {} rows merged into {one} an earlier row holds; {} rejected",
            s.rows,
            s.created,
            s.updated,
            s.unchanged,
            s.merged,
            s.rejected
        );
    }
    for (owner, rows) in &s.owners_not_set {
        outln!("owner {owner:?} ({rows} rows) is not a user of this workspace: left unassigned");
    }
    Ok(())
}

fn print_orders(s: &ImportSummary, dry_run: bool, seconds: f64) -> anyhow::Result<()> {
    if dry_run {
        outln!("dry run: nothing was written");
        outln!(
            "{} rows: {} new orders, {} imported before; {} invalid rows",
            s.rows,
            s.created,
            s.unchanged,
            s.rejected
        );
    } else if s.written || s.rejected == 0 {
        outln!(
            "{} rows in {seconds:.1} s: imported {} orders, {} were imported before; {} rows rejected",
            s.rows,
            s.created,
            s.unchanged,
            s.rejected
        );
    }
    Ok(())
}

/// The progress bar, and the rejected rows: printed with their line, or written to the
/// error file (the file's columns and the reason) the user fixes and imports again.
struct Report {
    bar: ProgressBar,
    error_file: bool,
    errors_path: std::path::PathBuf,
    writer: Option<csv::Writer<std::fs::File>>,
    header: Vec<String>,
    lines: Vec<String>,
    failed: Option<std::io::Error>,
}

impl ImportReport for Report {
    fn header(&mut self, headers: &[String]) {
        self.header = headers.to_vec();
    }

    fn progress(&mut self, s: &ImportSummary, bytes: u64) {
        self.bar.set_position(bytes);
        self.bar.set_message(format!("{} rows", s.rows));
    }

    fn rejected(&mut self, row: &Rejected) {
        if !self.error_file {
            self.lines
                .push(format!("line {}: {}", row.line, row.reasons.join("; ")));
            return;
        }
        if self.failed.is_some() {
            return;
        }
        if let Err(e) = self.write_rejected(row) {
            self.failed = Some(e);
        }
    }
}

impl Report {
    fn write_rejected(&mut self, row: &Rejected) -> std::io::Result<()> {
        if self.writer.is_none() {
            let mut w = csv::Writer::from_path(&self.errors_path)?;
            let mut header = self.header.clone();
            header.push(closer_domain::import::ERROR_COLUMN.to_owned());
            w.write_record(&header)?;
            self.writer = Some(w);
        }
        let w = self.writer.as_mut().expect("opened above");
        let mut cells = row.cells.clone();
        cells.resize(self.header.len(), String::new());
        cells.push(format!("line {}: {}", row.line, row.reasons.join("; ")));
        w.write_record(&cells)?;
        Ok(())
    }
}
