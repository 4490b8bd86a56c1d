//! The tags and saved views port: tags put on and taken off many records of one kind at once
//! (all of them or none), each record's tags, the workspace's tags with how many records hold
//! each; saved views stored, listed for a user (the team's and their own), deleted.

use async_trait::async_trait;
use closer_domain::tag::{Tag, ViewOf};
use closer_domain::{Timestamp, UserId, WorkspaceId};

use crate::StoreError;

/// What a tag is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tagged {
    Contacts,
    Companies,
    Deals,
}

impl Tagged {
    /// The tags table, its record column and the records' table.
    pub fn tables(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::Contacts => ("contact_tags", "contact_id", "contacts"),
            Self::Companies => ("company_tags", "company_id", "companies"),
            Self::Deals => ("deal_tags", "deal_id", "deals"),
        }
    }
}

/// A saved view: a named filter of a list (`query`, as the list's URL query says it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedView {
    pub id: uuid::Uuid,
    pub workspace_id: WorkspaceId,
    /// The user it is for; `None`: the whole team's.
    pub owner_id: Option<UserId>,
    pub created_by: Option<UserId>,
    pub list: ViewOf,
    pub name: String,
    pub query: String,
    pub created_at: Timestamp,
}

#[async_trait]
pub trait TagStore {
    /// Puts `add` on and takes `remove` off every record of `ids`, in one transaction;
    /// `NotFound`, with nothing written, when one is not the workspace's.
    async fn retag(
        &self,
        ws: WorkspaceId,
        kind: Tagged,
        ids: &[uuid::Uuid],
        add: &[Tag],
        remove: &[Tag],
        now: Timestamp,
    ) -> Result<(), StoreError>;

    /// The tags of these records, `(record, tag)` sorted by record and tag.
    async fn tags_of(
        &self,
        ws: WorkspaceId,
        kind: Tagged,
        ids: &[uuid::Uuid],
    ) -> Result<Vec<(uuid::Uuid, Tag)>, StoreError>;

    /// The workspace's tags on records of `kind`, with how many records hold each; by name.
    async fn workspace_tags(
        &self,
        ws: WorkspaceId,
        kind: Tagged,
    ) -> Result<Vec<(Tag, u64)>, StoreError>;

    async fn create_view(&self, view: &SavedView) -> Result<(), StoreError>;

    /// The team's views of `list` and those of `user`, by name.
    async fn views(
        &self,
        ws: WorkspaceId,
        user: Option<UserId>,
        list: ViewOf,
    ) -> Result<Vec<SavedView>, StoreError>;

    async fn view(&self, ws: WorkspaceId, id: uuid::Uuid) -> Result<SavedView, StoreError>;

    async fn delete_view(&self, ws: WorkspaceId, id: uuid::Uuid) -> Result<(), StoreError>;
}
