//! The notifications port: a user's notifications (listed, counted, marked read), their
//! delivery choice per kind, and the outbox of side effects — rows written in the transaction
//! of what caused them (`WorkStore::add_activity` and `add_task` take the notices to write),
//! claimed by a worker, marked sent or retried later.

use async_trait::async_trait;
use closer_domain::notify::{Delivery, NoticeKind, Notification};
use closer_domain::{Timestamp, UserId, WorkspaceId};

use crate::StoreError;

/// An outbox row a worker claimed: what to do (`kind`, `payload`) and how often it was tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    pub id: uuid::Uuid,
    pub workspace_id: WorkspaceId,
    pub kind: String,
    pub payload: serde_json::Value,
    /// Tries before this one.
    pub attempts: u32,
}

#[async_trait]
pub trait NotificationStore {
    /// The user's notifications, newest first.
    async fn notifications(
        &self,
        ws: WorkspaceId,
        user: UserId,
        unread_only: bool,
        limit: u32,
    ) -> Result<Vec<Notification>, StoreError>;

    /// One of the user's notifications; `NotFound` if it is not theirs.
    async fn notification(
        &self,
        ws: WorkspaceId,
        user: UserId,
        id: uuid::Uuid,
    ) -> Result<Notification, StoreError>;

    async fn unread_count(&self, ws: WorkspaceId, user: UserId) -> Result<u64, StoreError>;

    /// Marks one notification read (`NotFound` if it is not the user's), or all of them.
    async fn mark_read(
        &self,
        ws: WorkspaceId,
        user: UserId,
        id: Option<uuid::Uuid>,
        now: Timestamp,
    ) -> Result<(), StoreError>;

    /// The user's choice per kind; kinds without one are absent.
    async fn delivery_choices(
        &self,
        ws: WorkspaceId,
        user: UserId,
    ) -> Result<Vec<(NoticeKind, Delivery)>, StoreError>;

    async fn set_delivery(
        &self,
        ws: WorkspaceId,
        user: UserId,
        kind: NoticeKind,
        delivery: Delivery,
    ) -> Result<(), StoreError>;

    /// Claims up to `limit` outbox rows due at `now` that nobody holds, for `lease` (a claim
    /// of a process that stopped expires then). Two workers never hold one row.
    async fn claim_outbox(
        &self,
        now: Timestamp,
        lease: std::time::Duration,
        limit: u32,
    ) -> Result<Vec<OutboxItem>, StoreError>;

    /// The receiver accepted the row: it is done.
    async fn outbox_done(&self, id: uuid::Uuid, now: Timestamp) -> Result<(), StoreError>;

    /// The row failed: retried at `retry_at`, or given up (`None`) with `error` kept.
    async fn outbox_failed(
        &self,
        id: uuid::Uuid,
        error: &str,
        retry_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<(), StoreError>;

    /// Rows done or given up before `before` are deleted (their payloads name people).
    async fn purge_outbox(&self, before: Timestamp) -> Result<u64, StoreError>;
}
