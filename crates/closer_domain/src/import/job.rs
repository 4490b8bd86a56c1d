//! An import as a job (`POST /api/v1/imports`, the Settings upload page): what it is importing,
//! how far it got, what it did, and the rows it set aside. Any process can answer for a job,
//! so its state lives in the store; a job whose process stopped answering is reported as
//! interrupted rather than running for ever.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{ImportJobId, Timestamp, UserId, WorkspaceId};

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportEntity {
    Contacts,
    Companies,
    Deals,
    Activities,
    Tasks,
    Orders,
}

impl ImportEntity {
    pub const ALL: [ImportEntity; 6] = [
        ImportEntity::Contacts,
        ImportEntity::Companies,
        ImportEntity::Deals,
        ImportEntity::Activities,
        ImportEntity::Tasks,
        ImportEntity::Orders,
    ];

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == raw.trim())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ImportEntity::Contacts => "contacts",
            ImportEntity::Companies => "companies",
            ImportEntity::Deals => "deals",
            ImportEntity::Activities => "activities",
            ImportEntity::Tasks => "tasks",
            ImportEntity::Orders => "orders",
        }
    }
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSummary {
    /// Rows read, valid or not.
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Rows for a record an earlier row of the file made or updated.
    pub merged: u64,
    pub rejected: u64,
    /// Whether anything was written (false in a dry run and when invalid rows stopped it).
    pub written: bool,
    /// Owners the file names that are not users of the workspace (their records are left
    /// unassigned), with how many rows name each; or that the importer may not assign.
    #[serde(default)]
    pub owners_not_set: BTreeMap<String, u64>,
}

/// A row the file cannot import, with its line and every reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    pub line: u64,
    /// The row's cells as the file has them, for the error file.
    pub cells: Vec<String>,
    pub reasons: Vec<String>,
}

impl Rejected {
    /// A row set aside for `problems`, each named by its column.
    pub fn of(line: u64, cells: &[String], problems: &[crate::FieldError]) -> Self {
        Self {
            line,
            cells: cells.to_vec(),
            reasons: problems
                .iter()
                .map(|p| format!("{}: {}", p.field, p.message))
                .collect(),
        }
    }
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Running,
    /// Finished: the summary says what was written (nothing, when invalid rows stopped it).
    Done,
    /// Stopped by an error (an unreadable file, the store): `error` says which.
    Failed,
    /// Its process stopped reporting (it was shut down or crashed) before it finished.
    /// Never stored: read from a running job's silence (`ImportJob::status_at`).
    Interrupted,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
            JobStatus::Interrupted => "interrupted",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            JobStatus::Running,
            JobStatus::Done,
            JobStatus::Failed,
            JobStatus::Interrupted,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

/// How often a running job reports, at the least; silence for `SILENT_AFTER` means its
/// process is gone.
pub const HEARTBEAT_SECONDS: i64 = 5;
pub const SILENT_AFTER_SECONDS: i64 = 60;

/// Days a finished job (and the rows it set aside, which hold personal data) is kept.
pub const KEPT_DAYS: i64 = 7;

/// An import of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportJob {
    pub id: ImportJobId,
    pub workspace_id: WorkspaceId,
    pub entity: ImportEntity,
    pub dry_run: bool,
    pub continue_on_error: bool,
    /// The uploaded file's name, when it had one.
    pub file_name: Option<String>,
    /// The file's size and how much of it has been read (by the pass in progress).
    pub bytes: u64,
    pub bytes_read: u64,
    /// The file's header row, for the error file.
    pub headers: Vec<String>,
    pub summary: ImportSummary,
    pub status: JobStatus,
    pub error: Option<String>,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
    /// When the job last reported.
    pub updated_at: Timestamp,
    pub finished_at: Option<Timestamp>,
}

impl ImportJob {
    /// The status as of `now`: a running job silent for a minute was interrupted.
    pub fn status_at(&self, now: Timestamp) -> JobStatus {
        if self.status == JobStatus::Running
            && now.unix_micros() - self.updated_at.unix_micros() > SILENT_AFTER_SECONDS * 1_000_000
        {
            JobStatus::Interrupted
        } else {
            self.status
        }
    }

    /// The share of the file read, 0 to 1 (a file read twice — checked, then written — is
    /// read from the start again).
    #[allow(clippy::cast_precision_loss)] // file sizes are far below 2^52 bytes
    pub fn progress(&self) -> f64 {
        if self.status == JobStatus::Done {
            1.0
        } else if self.bytes == 0 {
            0.0
        } else {
            (self.bytes_read as f64 / self.bytes as f64).min(1.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(status: JobStatus, updated: i64) -> ImportJob {
        ImportJob {
            id: ImportJobId::new(),
            workspace_id: WorkspaceId::new(),
            entity: ImportEntity::Contacts,
            dry_run: false,
            continue_on_error: false,
            file_name: None,
            bytes: 200,
            bytes_read: 50,
            headers: Vec::new(),
            summary: ImportSummary::default(),
            status,
            error: None,
            created_by: None,
            created_at: Timestamp::from_unix_micros(0).unwrap(),
            updated_at: Timestamp::from_unix_micros(updated).unwrap(),
            finished_at: None,
        }
    }

    #[test]
    fn a_running_job_that_stopped_reporting_was_interrupted() {
        let now = Timestamp::from_unix_micros(100 * 1_000_000).unwrap();
        assert_eq!(
            job(JobStatus::Running, 90 * 1_000_000).status_at(now),
            JobStatus::Running
        );
        assert_eq!(
            job(JobStatus::Running, 30 * 1_000_000).status_at(now),
            JobStatus::Interrupted
        );
        // A finished job stays finished however old.
        assert_eq!(job(JobStatus::Done, 0).status_at(now), JobStatus::Done);
    }

    #[test]
    fn progress_is_the_share_of_the_file_read() {
        assert!((job(JobStatus::Running, 0).progress() - 0.25).abs() < 1e-9);
        assert!((job(JobStatus::Done, 0).progress() - 1.0).abs() < 1e-9);
        assert_eq!(
            ImportEntity::parse(" contacts"),
            Some(ImportEntity::Contacts)
        );
        assert_eq!(ImportEntity::parse("deals"), Some(ImportEntity::Deals));
        assert_eq!(ImportEntity::parse("tasks"), Some(ImportEntity::Tasks));
        assert_eq!(ImportEntity::parse("pets"), None);
    }
}
