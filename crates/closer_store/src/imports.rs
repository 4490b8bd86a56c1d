//! The import port: what the store holds of the people a batch of imported rows names, the
//! batch's planned writes (`closer_domain::import::plan`) in one transaction, and import jobs
//! with the rows they set aside.

use async_trait::async_trait;
use closer_domain::import::job::{ImportJob, Rejected};
use closer_domain::import::plan::{ContactWrites, Known};
use closer_domain::{ImportJobId, Timestamp, WorkspaceId};

use crate::StoreError;

/// What a batch names: external ids, normalised emails and phones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchKeys {
    pub external_ids: Vec<String>,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    /// The domains of the emails, for the companies they name.
    pub domains: Vec<String>,
}

#[async_trait]
pub trait ImportStore {
    /// Who holds each of the keys, and those contacts as stored, read in one snapshot.
    async fn import_known(&self, ws: WorkspaceId, keys: &BatchKeys) -> Result<Known, StoreError>;

    /// Writes a batch in one transaction: new contacts with their identities, first stage
    /// row and `stage_changed` event (at their creation time); changed contacts, each only if
    /// it is still as read (`NotFound` otherwise, with nothing written); stage moves; external
    /// ids; and the company link of every contact written that has none, by its emails'
    /// domains. `Conflict` (nothing written) when an email, phone or external id was taken
    /// meanwhile: the caller reads and plans the batch again.
    async fn write_contact_import(&self, writes: &ContactWrites) -> Result<(), StoreError>;

    /// Which of these orders are stored (an imported order's id is derived from its key, so
    /// an order imported before is found by it).
    async fn existing_orders(
        &self,
        ws: WorkspaceId,
        ids: &[closer_domain::pipeline::OrderId],
    ) -> Result<Vec<closer_domain::pipeline::OrderId>, StoreError>;

    async fn create_import_job(&self, job: &ImportJob) -> Result<(), StoreError>;

    /// Stores how far the job got: bytes read, headers, summary, status, error and times.
    async fn report_import_job(&self, job: &ImportJob) -> Result<(), StoreError>;

    /// The job's set-aside rows (a line already stored is left as it is).
    async fn add_import_rejects(
        &self,
        ws: WorkspaceId,
        job: ImportJobId,
        rows: &[Rejected],
    ) -> Result<(), StoreError>;

    /// `NotFound` for a job of another workspace.
    async fn import_job(&self, ws: WorkspaceId, id: ImportJobId) -> Result<ImportJob, StoreError>;

    /// The workspace's latest jobs, newest first.
    async fn import_jobs(&self, ws: WorkspaceId, limit: u32) -> Result<Vec<ImportJob>, StoreError>;

    /// A job's set-aside rows after `after_line`, in line order.
    async fn import_rejects(
        &self,
        ws: WorkspaceId,
        job: ImportJobId,
        after_line: u64,
        limit: u32,
    ) -> Result<Vec<Rejected>, StoreError>;

    /// Deletes every workspace's jobs (and their rows) last heard of before `before`.
    async fn forget_import_jobs(&self, before: Timestamp) -> Result<u64, StoreError>;
}
