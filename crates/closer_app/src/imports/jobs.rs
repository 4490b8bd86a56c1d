//! Imports as background jobs (`POST /api/v1/imports`, the Settings upload page): the file is
//! spooled to a temporary file, its header checked at once (a file closer cannot read is
//! refused before any job exists), and imported by a task of this process that reports to
//! the store as it goes, so any process answers for the job. The rows set aside are stored
//! with the job for the error file; a job and its rows are forgotten a week after they were
//! last heard of.

use std::sync::Arc;
use std::time::Duration;

use closer_domain::import::job::{
    HEARTBEAT_SECONDS, ImportEntity, ImportJob, ImportSummary, JobStatus, KEPT_DAYS, Rejected,
};
use closer_domain::import::{ContactColumns, Mapping};
use closer_domain::{FieldError, ImportJobId, Timestamp};
use tokio::sync::mpsc;

use super::{ImportOptions, ImportReport, Imports, Source};
use crate::access::Actor;
use crate::{AppError, Principal};

/// Rejected rows stored per statement while a job runs.
const REJECTS_PER_WRITE: usize = 500;

/// A file spooled to disk for a job; deleted when the job is done with it.
pub struct Spooled {
    path: tempfile::TempPath,
    bytes: u64,
}

impl Spooled {
    pub fn new(path: tempfile::TempPath, bytes: u64) -> Self {
        Self { path, bytes }
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

impl Source for Spooled {
    fn open(&self) -> std::io::Result<Box<dyn std::io::Read + Send>> {
        self.path.to_path_buf().open()
    }
}

/// What the job's task tells the recorder.
enum Note {
    Header(Vec<String>),
    Progress(ImportSummary, u64),
    Rejected(Rejected),
}

struct Notes(mpsc::UnboundedSender<Note>);

impl ImportReport for Notes {
    fn header(&mut self, headers: &[String]) {
        let _ = self.0.send(Note::Header(headers.to_vec()));
    }
    fn progress(&mut self, summary: &ImportSummary, bytes: u64) {
        let _ = self.0.send(Note::Progress(summary.clone(), bytes));
    }
    fn rejected(&mut self, row: &Rejected) {
        let _ = self.0.send(Note::Rejected(row.clone()));
    }
}

impl Imports {
    /// Starts importing `file` in the background and answers the job as it begins.
    pub async fn start(
        &self,
        principal: &Principal,
        entity: ImportEntity,
        file: Spooled,
        file_name: Option<String>,
        options: ImportOptions,
    ) -> Result<ImportJob, AppError> {
        super::may_import_entity(entity, principal)?;
        check_header(entity, &file, &options.mapping)?;
        let now = Timestamp::now();
        // Old jobs go as new ones come: their set-aside rows hold personal data.
        let before =
            Timestamp::from_unix_micros(now.unix_micros() - KEPT_DAYS * 24 * 3600 * 1_000_000)
                .unwrap_or(now);
        if let Err(e) = self.store.forget_import_jobs(before).await {
            tracing::warn!(error = %e, "old import jobs could not be forgotten");
        }
        let job = ImportJob {
            id: ImportJobId::new(),
            workspace_id: principal.workspace_id,
            entity,
            dry_run: options.dry_run,
            continue_on_error: options.continue_on_error,
            file_name: file_name.map(|n| n.chars().take(200).collect()),
            bytes: file.bytes(),
            bytes_read: 0,
            headers: Vec::new(),
            summary: ImportSummary::default(),
            status: JobStatus::Running,
            error: None,
            created_by: match principal.by {
                Actor::User(id) => Some(id),
                Actor::Token(_) | Actor::Operator => None,
            },
            created_at: now,
            updated_at: now,
            finished_at: None,
        };
        self.store.create_import_job(&job).await?;
        tracing::info!(job = %job.id, entity = entity.as_str(), bytes = job.bytes, dry_run = job.dry_run, "import started");
        let imports = self.clone();
        let principal = *principal;
        let started = job.clone();
        tokio::spawn(async move { imports.run_job(principal, started, file, options).await });
        Ok(job)
    }

    async fn run_job(
        self,
        principal: Principal,
        job: ImportJob,
        file: Spooled,
        options: ImportOptions,
    ) {
        let entity = job.entity;
        let (tx, rx) = mpsc::unbounded_channel();
        let recorder = tokio::spawn(record(self.clone(), job, rx));
        let mut notes = Notes(tx);
        let source: Arc<dyn Source> = Arc::new(file);
        let result = self
            .import(entity, &principal, source.clone(), options, &mut notes)
            .await;
        drop(notes);
        let Ok(mut job) = recorder.await else {
            tracing::error!("the import's recorder stopped");
            return;
        };
        match result {
            Ok(summary) => {
                job.summary = summary;
                job.status = JobStatus::Done;
            }
            Err(e) => {
                job.status = JobStatus::Failed;
                job.error = Some(failure(&e));
            }
        }
        job.updated_at = Timestamp::now();
        job.finished_at = Some(job.updated_at);
        // A report that cannot be stored leaves the job to read as interrupted.
        for attempt in 0..3 {
            match self.store.report_import_job(&job).await {
                Ok(()) => break,
                Err(e) if attempt == 2 => {
                    tracing::error!(job = %job.id, error = %e, "the import's outcome could not be stored");
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
            }
        }
        tracing::info!(job = %job.id, status = job.status.as_str(), rows = job.summary.rows, "import finished");
        drop(source);
    }

    /// The job, as any process sees it.
    pub async fn job(&self, principal: &Principal, id: ImportJobId) -> Result<ImportJob, AppError> {
        super::may_import(principal)?;
        let mut job = self.store.import_job(principal.workspace_id, id).await?;
        job.status = job.status_at(Timestamp::now());
        Ok(job)
    }

    /// The workspace's latest jobs, newest first.
    pub async fn jobs(
        &self,
        principal: &Principal,
        limit: u32,
    ) -> Result<Vec<ImportJob>, AppError> {
        super::may_import(principal)?;
        let now = Timestamp::now();
        let mut jobs = self
            .store
            .import_jobs(principal.workspace_id, limit)
            .await?;
        for j in &mut jobs {
            j.status = j.status_at(now);
        }
        Ok(jobs)
    }

    /// A page of the job's set-aside rows after `after_line`.
    pub async fn rejects(
        &self,
        principal: &Principal,
        id: ImportJobId,
        after_line: u64,
        limit: u32,
    ) -> Result<Vec<Rejected>, AppError> {
        super::may_import(principal)?;
        Ok(self
            .store
            .import_rejects(principal.workspace_id, id, after_line, limit)
            .await?)
    }
}

/// The sentence a failed job shows: field errors as they are, anything else without the
/// internals (logged instead).
fn failure(e: &AppError) -> String {
    match e {
        AppError::Invalid(fields) => fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        AppError::Forbidden(m) | AppError::Conflict(m) => m.clone(),
        other => {
            tracing::error!(error = %other, "an import failed");
            "the import stopped on a server error (see the server log); importing the file again \
             picks up where it stopped"
                .into()
        }
    }
}

/// Refuses a file whose header closer cannot read, before a job exists.
fn check_header(entity: ImportEntity, file: &Spooled, mapping: &Mapping) -> Result<(), AppError> {
    let input = file
        .open()
        .map_err(|e| AppError::Internal(format!("the spooled file cannot be read: {e}")))?;
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| FieldError::new("file", format!("cannot read the header: {e}")))?;
    let refs: Vec<&str> = headers.iter().collect();
    if refs.iter().all(|h| h.trim().is_empty()) {
        return Err(
            FieldError::new("file", "is empty: the first line must name the columns").into(),
        );
    }
    match entity {
        ImportEntity::Contacts => {
            ContactColumns::recognise(&refs, mapping)?;
        }
        ImportEntity::Companies => {
            closer_domain::import::companies::CompanyColumns::recognise(&refs, mapping)?;
        }
        ImportEntity::Deals => {
            closer_domain::import::deals::DealColumns::recognise(&refs, mapping)?;
        }
        ImportEntity::Activities => {
            closer_domain::import::activities::ActivityColumns::recognise(&refs, mapping)?;
        }
        ImportEntity::Tasks => {
            closer_domain::import::tasks::TaskColumns::recognise(&refs, mapping)?;
        }
        ImportEntity::Orders => {
            crate::orders_csv::read_header(&refs, mapping)
                .map_err(|e| AppError::invalid("file", e))?;
        }
    }
    Ok(())
}

/// Stores the job's notes as they come: the set-aside rows in batches, the progress at most
/// once a second, and a heartbeat every few seconds while a batch takes long. Answers the
/// job as last reported once the importer is done.
async fn record(
    imports: Imports,
    mut job: ImportJob,
    mut rx: mpsc::UnboundedReceiver<Note>,
) -> ImportJob {
    let store = imports.store.clone();
    let ws = job.workspace_id;
    let mut rejects: Vec<Rejected> = Vec::new();
    let mut beat = tokio::time::interval(Duration::from_secs(1));
    let mut last_report = tokio::time::Instant::now();
    let mut dirty = false;
    loop {
        tokio::select! {
            note = rx.recv() => match note {
                Some(Note::Header(h)) => {
                    job.headers = h;
                    dirty = true;
                }
                Some(Note::Progress(summary, bytes)) => {
                    job.summary = summary;
                    job.bytes_read = bytes;
                    dirty = true;
                }
                Some(Note::Rejected(r)) => {
                    rejects.push(r);
                    if rejects.len() >= REJECTS_PER_WRITE {
                        store_rejects(&imports, ws, job.id, &mut rejects).await;
                    }
                }
                None => break,
            },
            _ = beat.tick() => {
                let due = last_report.elapsed() >= Duration::from_secs(HEARTBEAT_SECONDS as u64);
                if dirty || due {
                    store_rejects(&imports, ws, job.id, &mut rejects).await;
                    job.updated_at = Timestamp::now();
                    if let Err(e) = store.report_import_job(&job).await {
                        tracing::warn!(job = %job.id, error = %e, "an import's progress could not be stored");
                    }
                    last_report = tokio::time::Instant::now();
                    dirty = false;
                }
            }
        }
    }
    store_rejects(&imports, ws, job.id, &mut rejects).await;
    job
}

async fn store_rejects(
    imports: &Imports,
    ws: closer_domain::WorkspaceId,
    job: ImportJobId,
    rows: &mut Vec<Rejected>,
) {
    if rows.is_empty() {
        return;
    }
    if let Err(e) = imports.store.add_import_rejects(ws, job, rows).await {
        tracing::warn!(job = %job, error = %e, "an import's set-aside rows could not be stored");
    }
    rows.clear();
}
