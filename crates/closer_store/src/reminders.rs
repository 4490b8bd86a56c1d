//! The reminders port: a workspace's reminder settings, the tasks, deals and users a reminder
//! is owed to and not yet told (`closer_domain::reminders::NoticeMark`), and the write that
//! tells — the mark and its notices in one transaction, or nothing when another process told
//! first.

use async_trait::async_trait;
use closer_domain::notify::{Notice, NoticeKind};
use closer_domain::reminders::{DueTask, IdleDeal, NoticeMark, Reminders};
use closer_domain::{Timestamp, UserId, WorkspaceId};

use crate::StoreError;

#[async_trait]
pub trait ReminderStore {
    async fn reminders(&self, ws: WorkspaceId) -> Result<Reminders, StoreError>;

    async fn set_reminders(&self, ws: WorkspaceId, reminders: Reminders) -> Result<(), StoreError>;

    /// Open tasks with an assignee, in every workspace, due after `after` and at or before
    /// `until`, not yet told `kind` for their due time; the earliest first.
    async fn untold_tasks(
        &self,
        kind: NoticeKind,
        after: Timestamp,
        until: Timestamp,
        limit: u32,
    ) -> Result<Vec<DueTask>, StoreError>;

    /// The workspace's open deals with an owner whose last activity (one logged with their
    /// contact, or a change to the deal) was after `after` and at or before `until`, not yet
    /// told idle for it; the longest idle first.
    async fn untold_idle_deals(
        &self,
        ws: WorkspaceId,
        after: Timestamp,
        until: Timestamp,
        limit: u32,
    ) -> Result<Vec<IdleDeal>, StoreError>;

    /// The workspace's users whose digest of the day beginning `day` was not sent.
    async fn untold_digests(
        &self,
        ws: WorkspaceId,
        day: Timestamp,
    ) -> Result<Vec<UserId>, StoreError>;

    /// The user's open tasks due before `before`, the earliest first.
    async fn tasks_due_before(
        &self,
        ws: WorkspaceId,
        user: UserId,
        before: Timestamp,
        limit: u32,
    ) -> Result<Vec<DueTask>, StoreError>;

    /// Writes `mark` and `notices` in one transaction, unless the mark is already there for
    /// its moment: then nothing is written and the answer is `false`.
    async fn tell_once(&self, mark: &NoticeMark, notices: &[Notice]) -> Result<bool, StoreError>;
}
