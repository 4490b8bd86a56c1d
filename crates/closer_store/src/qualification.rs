//! The qualification port: a workspace's rules text, and each contact's score record (the
//! incremental engagement state, the scores and temperature last computed) written with an
//! optimistic version so two processes scoring the same contact never lose an update.

use async_trait::async_trait;

use closer_domain::qualification::{ScoreState, Signal, Temperature};
use closer_domain::{Contact, ContactId, Event, Timestamp, WorkspaceId};

use crate::StoreError;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ScoreRecord {
    pub contact_id: ContactId,
    pub state: ScoreState,
    /// The scores and temperature when last computed (the queue recomputes them at read time,
    /// since both decay).
    pub engagement: f64,
    pub fit: f64,
    pub temperature: Temperature,
    /// Bumped by every save; `save_score` compares it.
    pub version: i64,
    pub updated_at: Timestamp,
}

/// A contact and what scoring sees of its timeline, oldest first: `closer rescore`'s input.
#[derive(Debug, Clone)]
pub struct ScoringInput {
    pub contact: Contact,
    pub signals: Vec<Signal>,
}

/// A page of `scoring_page`: `next` is the last contact's id, to pass as the next `after`.
#[derive(Debug, Clone)]
pub struct ScoringPage {
    pub items: Vec<ScoringInput>,
    pub next: Option<ContactId>,
}

#[async_trait]
pub trait QualificationStore {
    /// Stores `record` (its `version` is the new one) if the stored version is still
    /// `expected` (`None`: no record yet). `Conflict { constraint: SCORE_VERSION }` when
    /// another writer got there first; `NotFound` when the contact is gone.
    async fn save_score(
        &self,
        workspace: WorkspaceId,
        record: &ScoreRecord,
        expected: Option<i64>,
    ) -> Result<(), StoreError>;

    /// `save_score` for many records in one transaction: each is stored if its stored version
    /// is still the expected one. Returns the contacts whose record was not written because it
    /// was not (to retry, where a contact that is gone shows up as not found); a contact gone
    /// may also just be skipped.
    async fn save_scores(
        &self,
        workspace: WorkspaceId,
        records: &[(ScoreRecord, Option<i64>)],
    ) -> Result<Vec<ContactId>, StoreError>;

    /// Replaces the records of many contacts at once (`closer rescore`), in one transaction.
    /// The records' `version` is ignored: each stored one becomes its predecessor's plus one
    /// (1 for a new record), so a concurrent `save_score` still sees the change. Records of
    /// contacts erased meanwhile are skipped.
    async fn put_scores(
        &self,
        workspace: WorkspaceId,
        records: &[ScoreRecord],
    ) -> Result<(), StoreError>;

    /// The timelines of many contacts (captures and their visitors' tracked events), ordered
    /// by contact then time, for rescoring in bulk.
    async fn timelines(
        &self,
        workspace: WorkspaceId,
        contacts: &[ContactId],
    ) -> Result<Vec<Event>, StoreError>;

    /// A page of the workspace's contacts in id order (`after`: the previous page's `next`),
    /// each with its signals in time order (what `timelines` holds for it, as
    /// `Signal::from_event` reads it): what `closer rescore` reads, page after page. Id order,
    /// not creation order: ids are time-ordered (UUIDv7) and are the key contacts, their
    /// tracked events and their score records are stored under, so a rescore reads and writes
    /// each of those in key order instead of at random (imported or demo contacts are often
    /// created out of their `created_at` order).
    async fn scoring_page(
        &self,
        workspace: WorkspaceId,
        after: Option<ContactId>,
        limit: u32,
    ) -> Result<ScoringPage, StoreError>;
}

/// Qualification reads, the same on every SQL engine (written once in `closer_store_sql`).
#[async_trait]
pub trait ScoreReads {
    async fn score(
        &self,
        workspace: WorkspaceId,
        contact: ContactId,
    ) -> Result<Option<ScoreRecord>, StoreError>;

    /// Open contacts (leads and prospects) whose stored temperature is hot, at most `limit`,
    /// newest score first; `owner` narrows them as in contact lists. Temperatures only cool
    /// with time, so every contact hot now is among them.
    async fn stored_hot(
        &self,
        workspace: WorkspaceId,
        owner: Option<crate::OwnerFilter>,
        limit: u32,
    ) -> Result<Vec<ContactId>, StoreError>;

    /// Contacts whose stored score may miss some of their timeline, in id order after
    /// `after`, at most `limit`: those with no score record, and those with an event or
    /// tracked event that happened after their record was saved (and by `now`: a clock ahead
    /// of ours does not make a contact stale for ever). A score is saved after the events it
    /// took in, so this is what a crash between storing an event and scoring it leaves.
    async fn stale_scores(
        &self,
        workspace: WorkspaceId,
        after: Option<ContactId>,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<ContactId>, StoreError>;

    /// The score records of these contacts (those that have one), in no particular order.
    async fn scores(
        &self,
        workspace: WorkspaceId,
        contacts: &[ContactId],
    ) -> Result<Vec<ScoreRecord>, StoreError>;
}

/// The name `save_score` reports a lost race under.
pub const SCORE_VERSION: &str = "contact_scores_version";

/// The workspace's rules file, the same statements on every SQL engine (written once in
/// `closer_store_sql`).
#[async_trait]
pub trait RulesStore {
    /// The workspace's rules file, if it has replaced the defaults.
    async fn rules_source(&self, workspace: WorkspaceId) -> Result<Option<String>, StoreError>;

    async fn put_rules_source(
        &self,
        workspace: WorkspaceId,
        source: &str,
        now: Timestamp,
    ) -> Result<(), StoreError>;
}
