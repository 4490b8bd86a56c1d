//! The work port: activities a rep logs on a contact (the first call, email, meeting or demo
//! is the contact's first human touch: speed-to-lead), follow-up tasks, and orders placed
//! directly (a won deal's order comes with its move, see `pipeline.rs`).

use async_trait::async_trait;
use closer_domain::notify::Notice;
use closer_domain::pipeline::{Activity, ActivityId, DealId, Order, Task, TaskId, TaskStatus};
use closer_domain::{ContactId, Timestamp, UserId, WorkspaceId};

use crate::StoreError;

/// Which tasks to list, soonest due first.
#[derive(Debug, Clone, Default)]
pub struct TaskQuery {
    pub assignee: Option<UserId>,
    pub contact: Option<ContactId>,
    pub status: Option<TaskStatus>,
    /// Only tasks due before this time (overdue: now).
    pub due_before: Option<Timestamp>,
    pub limit: u32,
}

/// When a contact was touched by people (`WorkStore::touches`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Touches {
    pub contact: ContactId,
    pub first_touch_at: Option<Timestamp>,
    pub last_touch_at: Option<Timestamp>,
    pub last_human_move_at: Option<Timestamp>,
}

/// A task's changes: status (done sets `done_at`), due time, assignee, title and text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskPatch {
    pub status: Option<TaskStatus>,
    pub due_at: Option<Timestamp>,
    pub assignee_id: Option<Option<UserId>>,
    pub title: Option<String>,
    pub text: Option<Option<String>>,
}

#[async_trait]
pub trait WorkStore {
    /// Logs an activity, with the notifications it causes (`notices`, written in the same
    /// transaction: see `closer_store_sql::notify_store::notice_sql`). A touch (not a note)
    /// sets the contact's first touch if it has none and completes its open first-contact
    /// task. `NotFound` if the contact (or the deal, if named: it must be the contact's) is
    /// not the workspace's.
    async fn add_activity(
        &self,
        workspace: WorkspaceId,
        activity: &Activity,
        notices: &[Notice],
    ) -> Result<(), StoreError>;

    /// Adds a task, with the notifications it causes, in one transaction. `NotFound` if the
    /// contact or deal named is not the workspace's.
    async fn add_task(
        &self,
        workspace: WorkspaceId,
        task: &Task,
        notices: &[Notice],
    ) -> Result<(), StoreError>;

    async fn patch_task(
        &self,
        workspace: WorkspaceId,
        id: TaskId,
        patch: &TaskPatch,
        now: Timestamp,
    ) -> Result<Task, StoreError>;

    /// Stores an order placed directly (`source` api or import) and makes its contact a
    /// customer (`actor` in the history). `NotFound` if the contact is not the workspace's.
    async fn add_order(
        &self,
        workspace: WorkspaceId,
        order: &Order,
        actor: &str,
    ) -> Result<(), StoreError>;

    /// `add_order` for many orders in one transaction (an import's batch); an order stored
    /// already (by id) is left as it is. How many were new. All or nothing on a failure
    /// (`NotFound`: a contact that is not the workspace's).
    async fn add_orders(
        &self,
        workspace: WorkspaceId,
        orders: &[Order],
        actor: &str,
    ) -> Result<u64, StoreError>;
}

/// Activity, task and order reads, the same on every SQL engine (written once in
/// `closer_store_sql`).
#[async_trait]
pub trait WorkReads {
    /// The contact's activities, newest first.
    async fn activities(
        &self,
        workspace: WorkspaceId,
        contact: ContactId,
        limit: u32,
    ) -> Result<Vec<Activity>, StoreError>;

    /// When a person first touched the contact, if anyone has.
    async fn first_touch(
        &self,
        workspace: WorkspaceId,
        contact: ContactId,
    ) -> Result<Option<Timestamp>, StoreError>;

    /// For many contacts at once: their first and latest touch — the calls, emails, meetings
    /// and demos logged on them (notes are no touch) — and the latest stage move a person made
    /// (through a token or the web app, not a form or a rule). Contacts not found are left out.
    async fn touches(
        &self,
        workspace: WorkspaceId,
        contacts: &[ContactId],
    ) -> Result<Vec<Touches>, StoreError>;

    async fn task(&self, workspace: WorkspaceId, id: TaskId) -> Result<Task, StoreError>;

    async fn list_tasks(
        &self,
        workspace: WorkspaceId,
        query: &TaskQuery,
    ) -> Result<Vec<Task>, StoreError>;

    /// Open first-contact tasks per assignee (those with none are absent): how the next hot
    /// lead is balanced.
    async fn first_contact_load(
        &self,
        workspace: WorkspaceId,
    ) -> Result<Vec<(UserId, u64)>, StoreError>;

    /// The contact's orders (or all the workspace's when `None`), newest first.
    async fn orders(
        &self,
        workspace: WorkspaceId,
        contact: Option<ContactId>,
        limit: u32,
    ) -> Result<Vec<Order>, StoreError>;

    /// A page of the workspace's orders, activities or tasks for an export: oldest first by
    /// creation, after `after` (the last one's creation time and id).
    async fn orders_after(
        &self,
        workspace: WorkspaceId,
        after: Option<crate::Cursor>,
        limit: u32,
    ) -> Result<Vec<Order>, StoreError>;
    async fn activities_after(
        &self,
        workspace: WorkspaceId,
        after: Option<crate::Cursor>,
        limit: u32,
    ) -> Result<Vec<Activity>, StoreError>;
    async fn tasks_after(
        &self,
        workspace: WorkspaceId,
        after: Option<crate::Cursor>,
        limit: u32,
    ) -> Result<Vec<Task>, StoreError>;
}

/// Corrections and removals of what was logged, scheduled or opened, the same on every SQL
/// engine (written once in `closer_store_sql::work_edits`). Each is one transaction;
/// `NotFound`, with nothing written, when the record is not the workspace's.
#[async_trait]
pub trait WorkEdits {
    async fn activity(
        &self,
        workspace: WorkspaceId,
        id: ActivityId,
    ) -> Result<Activity, StoreError>;

    /// Stores the activity's kind, time, outcome and text as given (its contact, deal and
    /// owner stay). The contact's first touch is the earliest touch left afterwards, and a
    /// won deal's count of touches before the win follows the new time (a trigger).
    async fn edit_activity(
        &self,
        workspace: WorkspaceId,
        activity: &Activity,
    ) -> Result<(), StoreError>;

    /// Deletes the activity; the contact's first touch is the earliest touch left.
    async fn delete_activity(
        &self,
        workspace: WorkspaceId,
        id: ActivityId,
    ) -> Result<(), StoreError>;

    async fn delete_task(&self, workspace: WorkspaceId, id: TaskId) -> Result<(), StoreError>;

    /// Deletes the deal with its stage history, tags and tasks. Its activities stay on the
    /// contact and its order stays the customer's (both lose the link); the reports' deal
    /// feed hears of the removal.
    async fn delete_deal(&self, workspace: WorkspaceId, id: DealId) -> Result<(), StoreError>;
}
