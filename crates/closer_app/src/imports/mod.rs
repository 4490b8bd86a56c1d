//! Importing the files other tools export (`closer import contacts`, `POST /api/v1/imports`):
//! a file is read a batch at a time on a thread of its own, each batch looked up, planned
//! (`closer_domain::import::plan`) and written in one transaction, and its people scored.
//!
//! A file with an invalid row imports nothing unless the caller accepts losing those rows
//! (`continue_on_error`), so the file is read twice then: once to check every row, once to
//! write. A dry run reads it once and writes nothing.

mod activities;
mod companies;
mod contacts;
mod deals;
mod jobs;
mod orders;
mod people;
mod read;
mod table;
mod tasks;
mod writing;

use std::sync::Arc;

use closer_domain::import::Mapping;
use closer_store::Store;

pub use closer_domain::import::job::{ImportSummary, Rejected};
pub use companies::company_id;
pub use jobs::Spooled;

use closer_domain::access::{Action, Reach, reach};

use crate::{AppError, Principal, Scoring};

/// How a file is imported.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Read, look up and plan everything; write nothing.
    pub dry_run: bool,
    /// Import the valid rows even when others are invalid (those are reported).
    pub continue_on_error: bool,
    pub mapping: Mapping,
    /// Named in the stage history of the records it makes ("import:NAME").
    pub source_name: Option<String>,
}

impl ImportOptions {
    /// Who the records' history says made them: `import:FILE`, or `import`.
    pub fn actor(&self) -> String {
        match &self.source_name {
            Some(name) => format!("import:{name}"),
            None => "import".to_owned(),
        }
    }
}

/// Where an import reports as it goes.
pub trait ImportReport: Send + Sync {
    /// The file's header row, before any rejected row.
    fn header(&mut self, _headers: &[String]) {}
    /// After every batch: the summary so far and the bytes of the file read.
    fn progress(&mut self, _summary: &ImportSummary, _bytes: u64) {}
    /// A row that cannot be imported, in the file's order.
    fn rejected(&mut self, row: &Rejected);
}

/// A file to import: opened as often as the import needs to read it.
pub trait Source: Send + Sync {
    fn open(&self) -> std::io::Result<Box<dyn std::io::Read + Send>>;
}

impl Source for std::path::PathBuf {
    fn open(&self) -> std::io::Result<Box<dyn std::io::Read + Send>> {
        Ok(Box::new(std::io::BufReader::with_capacity(
            256 * 1024,
            std::fs::File::open(self)?,
        )))
    }
}

/// Bytes held in memory (a request's body, a test's file).
impl Source for Arc<[u8]> {
    fn open(&self) -> std::io::Result<Box<dyn std::io::Read + Send>> {
        Ok(Box::new(std::io::Cursor::new(self.clone())))
    }
}

#[derive(Clone)]
pub struct Imports {
    store: Arc<dyn Store>,
    scoring: Scoring,
    /// Orders are placed as any order is (the buyer becomes a customer, report rows follow).
    sales: crate::pipeline::Sales,
    /// Companies are made and changed as any company is (people linked, rescored).
    companies: crate::Companies,
}

impl Imports {
    pub(crate) fn new(
        store: Arc<dyn Store>,
        scoring: Scoring,
        sales: crate::pipeline::Sales,
        companies: crate::Companies,
    ) -> Self {
        Self {
            store,
            scoring,
            sales,
            companies,
        }
    }
}

/// The id an imported record gets: time-ordered by `at` (the epoch without one) as every id
/// is, the rest from the workspace, the kind of record and its key — so importing the same
/// record again finds it.
pub fn derived_id(
    ws: closer_domain::WorkspaceId,
    kind: &str,
    key: &str,
    at: Option<closer_domain::Timestamp>,
) -> uuid::Uuid {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(ws.0.as_bytes())
        .chain_update(kind.as_bytes())
        .chain_update([0u8])
        .chain_update(key.as_bytes())
        .finalize();
    let mut bytes = [0u8; 10];
    bytes.copy_from_slice(&digest[..10]);
    let millis = at.map_or(0, |t| u64::try_from(t.unix_micros() / 1000).unwrap_or(0));
    uuid::Builder::from_unix_timestamp_millis(millis, &bytes).into_uuid()
}

impl Imports {
    /// The region national phone numbers of the workspace's files are read in.
    pub(super) async fn region(
        &self,
        ws: closer_domain::WorkspaceId,
    ) -> Result<Option<closer_domain::Region>, AppError> {
        Ok(self
            .store
            .workspace(ws)
            .await?
            .default_region
            .as_deref()
            .and_then(|r| closer_domain::Region::parse(r).ok()))
    }

    /// Imports a file of `entity`'s records (`contacts`, `companies`, …).
    pub async fn import(
        &self,
        entity: closer_domain::import::job::ImportEntity,
        principal: &Principal,
        source: Arc<dyn Source>,
        options: ImportOptions,
        report: &mut dyn ImportReport,
    ) -> Result<ImportSummary, AppError> {
        use closer_domain::import::job::ImportEntity;
        match entity {
            ImportEntity::Contacts => self.contacts(principal, source, options, report).await,
            ImportEntity::Companies => self.companies(principal, source, options, report).await,
            ImportEntity::Deals => self.deals(principal, source, options, report).await,
            ImportEntity::Activities => self.activities(principal, source, options, report).await,
            ImportEntity::Tasks => self.tasks(principal, source, options, report).await,
            ImportEntity::Orders => self.orders(principal, source, options, report).await,
        }
    }
}

/// Who may import `entity`'s records: the role table's answer for what the import does.
pub fn may_import_entity(
    entity: closer_domain::import::job::ImportEntity,
    principal: &Principal,
) -> Result<(), AppError> {
    use closer_domain::import::job::ImportEntity;
    match entity {
        ImportEntity::Contacts | ImportEntity::Companies => may_import(principal),
        ImportEntity::Deals => deals::may_import_deals(principal),
        ImportEntity::Activities | ImportEntity::Tasks => {
            activities::may_import_activities(principal)
        }
        ImportEntity::Orders => orders::may_import_orders(principal),
    }
}

/// Importing needs a role that may edit every contact; the same role follows its jobs.
pub fn may_import(principal: &Principal) -> Result<(), AppError> {
    if reach(principal.role, Action::EditContacts) == Reach::Everyone {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "importing needs a role that may edit every contact (admin, manager, marketer)".into(),
        ))
    }
}
