//! The contact port: upsert with dedupe, edit, erase, list, history and timeline.

use async_trait::async_trait;
use closer_domain::{
    Contact, ContactDraft, ContactId, ContactPatch, Event, NewEvent, Stage, Timestamp, UserId,
    WorkspaceId,
};

use crate::StoreError;

/// An upsert: find the contact by any of the draft's emails or phones, merge into it (or
/// create it), record the stage change and the event — all in one transaction.
#[derive(Debug, Clone)]
pub struct UpsertContact {
    pub draft: ContactDraft,
    pub overwrite: bool,
    /// Recorded on the contact's timeline with the write (a form submission, say).
    pub event: Option<NewEvent>,
    /// Who or what made the change, for the stage history ("token:…", "form:…").
    pub actor: String,
    /// The tracked visitor who submitted (identity stitching): linked to the contact in the
    /// same transaction unless it already belongs to another contact.
    pub visitor: Option<closer_domain::traffic::VisitorKey>,
    pub now: Timestamp,
}

#[derive(Debug, Clone)]
pub struct Upserted {
    pub contact: Contact,
    pub created: bool,
}

/// A move made by a rule: applied only if the contact is still at `from` (so a person's move
/// made meanwhile wins, and automatic moves only go where the rule meant).
#[derive(Debug, Clone, PartialEq)]
pub struct StageMove {
    pub contact: ContactId,
    pub from: Stage,
    pub to: Stage,
    pub actor: String,
}

/// One row of a contact's stage history.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StageSpan {
    pub stage: Stage,
    pub entered_at: Timestamp,
    pub left_at: Option<Timestamp>,
    pub changed_by: String,
    /// Why, as the person who moved it said ("bought elsewhere").
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContactSort {
    #[default]
    CreatedDesc,
    CreatedAsc,
    UpdatedDesc,
    UpdatedAsc,
    /// Highest predicted customer value first (`ValueStore`); only contacts with a value.
    ValueDesc,
}

impl ContactSort {
    pub fn by_updated(self) -> bool {
        matches!(self, ContactSort::UpdatedAsc | ContactSort::UpdatedDesc)
    }
    pub fn descending(self) -> bool {
        matches!(self, ContactSort::CreatedDesc | ContactSort::UpdatedDesc)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerFilter {
    Unassigned,
    User(UserId),
}

/// What a claim on a contact found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This call made the user its owner.
    Taken,
    /// The user owned it already.
    AlreadyOwned,
    /// Someone else owns it.
    OwnedByOther,
}

impl Claim {
    /// When the conditional write changed nothing: what the contact's owner, read after it,
    /// says (`None`: no such contact in the workspace).
    pub fn missed(owner: Option<Option<UserId>>, user: UserId) -> Result<Self, StoreError> {
        match owner {
            None => Err(StoreError::NotFound),
            Some(Some(o)) if o == user => Ok(Self::AlreadyOwned),
            Some(_) => Ok(Self::OwnedByOther),
        }
    }
}

/// Keyset position: the sort column's value and the id of the last row seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub at: Timestamp,
    /// The row's id (a contact or an event): breaks ties between equal times.
    pub id: uuid::Uuid,
    /// The last row's value, when the list is sorted by value (`at` is then unused).
    pub value: Option<i64>,
}

impl Cursor {
    pub fn new(at: Timestamp, id: uuid::Uuid) -> Self {
        Self {
            at,
            id,
            value: None,
        }
    }

    /// Opaque to clients: `<micros>.<uuid>`, or `v<value>.<uuid>` in a list sorted by value.
    pub fn encode(&self) -> String {
        match self.value {
            Some(v) => format!("v{v}.{}", self.id.simple()),
            None => format!("{}.{}", self.at.unix_micros(), self.id.simple()),
        }
    }

    pub fn decode(raw: &str) -> Option<Self> {
        let (key, id) = raw.split_once('.')?;
        let id = id.parse().ok()?;
        match key.strip_prefix('v') {
            Some(value) => Some(Self {
                at: Timestamp::from_unix_micros(0)?,
                id,
                value: Some(value.parse().ok()?),
            }),
            None => Some(Self::new(
                Timestamp::from_unix_micros(key.parse().ok()?)?,
                id,
            )),
        }
    }
}

/// A score range, each end optional and inclusive.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ScoreRange {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

#[derive(Debug, Clone, Default)]
pub struct ContactQuery {
    pub stage: Option<Stage>,
    pub owner: Option<OwnerFilter>,
    pub created_from: Option<Timestamp>,
    pub created_to: Option<Timestamp>,
    /// Case-insensitive substring of name, email or company.
    pub q: Option<String>,
    /// The temperature stored with the contact's scores (as last computed).
    pub temperature: Option<closer_domain::qualification::Temperature>,
    /// The channel of the contact's first tracked visit.
    pub channel: Option<closer_domain::traffic::Channel>,
    /// Contacts holding this tag.
    pub tag: Option<closer_domain::tag::Tag>,
    /// The source and campaign of the contact's first tracked visit (as the journeys keep
    /// them: `google`, `spring_sale`).
    pub source: Option<String>,
    pub campaign: Option<String>,
    /// Score ranges, inclusive (as last scored).
    pub fit: ScoreRange,
    pub engagement: ScoreRange,
    /// A custom property's value, compared without regard to case: a checkbox matches `yes`
    /// or `no`, a multi-select any of its options.
    pub property: Option<(String, String)>,
    /// Some activity logged at or after this time.
    pub active_from: Option<Timestamp>,
    /// No activity logged at or after this time (idle since).
    pub active_to: Option<Timestamp>,
    pub sort: ContactSort,
    /// 1..=200, checked by the caller.
    pub limit: u32,
    pub after: Option<Cursor>,
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

#[async_trait]
pub trait ContactStore {
    /// Dedupes by normalised email and phone. A draft with neither always creates.
    async fn upsert_contact(
        &self,
        workspace: WorkspaceId,
        request: UpsertContact,
    ) -> Result<Upserted, StoreError>;

    /// `Conflict { constraint: "contact_identities_value_key" }` when a new email or phone
    /// belongs to another contact.
    async fn patch_contact(
        &self,
        workspace: WorkspaceId,
        id: ContactId,
        patch: &ContactPatch,
        actor: &str,
        now: Timestamp,
    ) -> Result<Contact, StoreError>;

    /// The same patch to every contact of `ids`, all or nothing: `NotFound` (and no change)
    /// when one of them is not the workspace's.
    async fn patch_contacts(
        &self,
        workspace: WorkspaceId,
        ids: &[ContactId],
        patch: &ContactPatch,
        actor: &str,
        now: Timestamp,
    ) -> Result<Vec<Contact>, StoreError>;

    /// Erases the contact and every row that carries its personal data (identities, history,
    /// events), leaving only an erasure record with no personal data.
    async fn erase_contact(
        &self,
        workspace: WorkspaceId,
        id: ContactId,
        now: Timestamp,
    ) -> Result<(), StoreError>;

    /// Applies the moves whose contact is still at `from`, with their history rows and
    /// `stage_changed` events, in one transaction; returns the contacts that moved. Contacts
    /// gone or elsewhere are skipped.
    async fn move_stages(
        &self,
        workspace: WorkspaceId,
        moves: &[StageMove],
        now: Timestamp,
    ) -> Result<Vec<ContactId>, StoreError>;

    /// Makes `user` the owner of a contact nobody owns, in one conditional write: of several
    /// people claiming the same contact at once, exactly one gets it. `NotFound` for another
    /// workspace's contact.
    async fn claim_contact(
        &self,
        workspace: WorkspaceId,
        contact: ContactId,
        user: UserId,
        now: Timestamp,
    ) -> Result<Claim, StoreError>;
}

/// Contact reads. Their statements are the same on every SQL engine: they are written once
/// (`closer_store_sql`), while `ContactStore`'s writes run in each engine's own transactions.
#[async_trait]
pub trait ContactReads {
    async fn contact(&self, workspace: WorkspaceId, id: ContactId) -> Result<Contact, StoreError>;

    /// The workspace's contacts among `ids` (missing ones left out), in no particular order.
    async fn contacts_by_id(
        &self,
        workspace: WorkspaceId,
        ids: &[ContactId],
    ) -> Result<Vec<Contact>, StoreError>;

    async fn list_contacts(
        &self,
        workspace: WorkspaceId,
        query: &ContactQuery,
    ) -> Result<Page<Contact>, StoreError>;

    /// How many contacts the list's filters match (a saved view's count), counted no further
    /// than `cap + 1`: more than `cap` answers `cap + 1`.
    async fn count_matching(
        &self,
        workspace: WorkspaceId,
        query: &ContactQuery,
        cap: u64,
    ) -> Result<u64, StoreError>;

    /// How many contacts the workspace has (for progress bars).
    async fn count_contacts(&self, workspace: WorkspaceId) -> Result<u64, StoreError>;

    /// Oldest first.
    async fn stage_history(
        &self,
        workspace: WorkspaceId,
        id: ContactId,
    ) -> Result<Vec<StageSpan>, StoreError>;

    /// Newest first, at most `limit`, strictly before `before` (time, then id) when given.
    async fn contact_events(
        &self,
        workspace: WorkspaceId,
        id: ContactId,
        limit: u32,
        before: Option<Cursor>,
    ) -> Result<Vec<Event>, StoreError>;
}

/// The conflict of a patch made against a contact someone changed since it was read
/// (`ContactPatch::if_unchanged_since`).
pub const CONTACT_CHANGED: &str = "contact_changed_since_read";

/// The identity constraint name, shared so the app can recognise it.
pub const IDENTITY_CONSTRAINT: &str = "contact_identities_value_key";
