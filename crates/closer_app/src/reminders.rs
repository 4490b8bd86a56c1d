//! Reminders as use cases: a workspace's settings (admins), and the pass that tells what time
//! brought — tasks due now, tasks a day overdue, deals idle for the workspace's days, the
//! morning digest — run every minute by `closer serve` (and on demand by `closer
//! notifications remind`). Each reminder is written with its mark in one transaction
//! (`ReminderStore::tell_once`): a crash between two reminders loses neither, and several
//! processes over one database tell each once.

use std::time::Duration;

use closer_domain::access::Action;
use closer_domain::notify::NoticeKind;
use closer_domain::reminders::{self, DueTask, NoticeMark, OVERDUE_AFTER, Reminders, TELL_WITHIN};
use closer_domain::{Timestamp, WorkspaceId};

use crate::notify::{Telling, notices};
use crate::{App, AppError, Principal};

/// Rows one scan reads; a pass scans again until a scan comes back short.
const SCAN: u32 = 200;
/// Most tasks a digest lists.
const DIGEST_TASKS: u32 = 50;

/// What one pass told, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Told {
    pub task_due: u32,
    pub task_overdue: u32,
    pub deal_idle: u32,
    pub digest: u32,
}

fn before(t: Timestamp, d: time::Duration) -> Timestamp {
    Timestamp::new(t.get() - d)
}

impl App {
    pub async fn reminder_settings(&self, principal: &Principal) -> Result<Reminders, AppError> {
        principal.check(Action::Configure, None)?;
        Ok(self.store().reminders(principal.workspace_id).await?)
    }

    pub async fn set_reminder_settings(
        &self,
        principal: &Principal,
        settings: Reminders,
    ) -> Result<(), AppError> {
        principal.check(Action::Configure, None)?;
        Ok(self
            .store()
            .set_reminders(principal.workspace_id, settings)
            .await?)
    }

    /// One pass at `now` over every workspace.
    pub async fn tell_reminders(&self, now: Timestamp) -> Result<Told, AppError> {
        let mut told = Told {
            task_due: self
                .tell_tasks(NoticeKind::TaskDue, before(now, OVERDUE_AFTER), now)
                .await?,
            task_overdue: self
                .tell_tasks(
                    NoticeKind::TaskOverdue,
                    before(now, OVERDUE_AFTER + TELL_WITHIN),
                    before(now, OVERDUE_AFTER),
                )
                .await?,
            ..Told::default()
        };
        for ws in self.store().list_workspaces().await? {
            let settings = self.store().reminders(ws.id).await?;
            told.deal_idle += self.tell_idle_deals(ws.id, settings, now).await?;
            told.digest += self.tell_digests(ws.id, settings, now).await?;
        }
        Ok(told)
    }

    async fn tell_tasks(
        &self,
        kind: NoticeKind,
        after: Timestamp,
        until: Timestamp,
    ) -> Result<u32, AppError> {
        let store = self.store().as_ref();
        let mut told = 0;
        loop {
            let tasks = store.untold_tasks(kind, after, until, SCAN).await?;
            for task in &tasks {
                let title = match kind {
                    NoticeKind::TaskDue => reminders::due_title(task),
                    _ => reminders::overdue_title(task),
                };
                let mark = NoticeMark {
                    workspace_id: task.workspace_id,
                    kind,
                    subject: task.id.0,
                    told_for: task.due_at,
                };
                let link = task.link();
                let telling = Telling {
                    kind,
                    contact: task.contact_id,
                    title: &title,
                    link: &link,
                    at: Timestamp::now(),
                    lines: &[],
                };
                let notices = notices(store, task.workspace_id, &[task.assignee], telling).await?;
                told += u32::from(store.tell_once(&mark, &notices).await?);
            }
            if tasks.len() < SCAN as usize {
                return Ok(told);
            }
        }
    }

    async fn tell_idle_deals(
        &self,
        ws: WorkspaceId,
        settings: Reminders,
        now: Timestamp,
    ) -> Result<u32, AppError> {
        let Some(until) = settings.idle_since(now) else {
            return Ok(0);
        };
        let store = self.store().as_ref();
        let after = before(until, TELL_WITHIN);
        let mut told = 0;
        loop {
            let deals = store.untold_idle_deals(ws, after, until, SCAN).await?;
            for deal in &deals {
                let title = reminders::idle_title(deal, now);
                // The contact's page lists the deal with its actions.
                let link = format!("/contacts/{}", deal.contact_id.0);
                let mark = NoticeMark {
                    workspace_id: ws,
                    kind: NoticeKind::DealIdle,
                    subject: deal.id.0,
                    told_for: deal.last_active,
                };
                let telling = Telling {
                    kind: NoticeKind::DealIdle,
                    contact: Some(deal.contact_id),
                    title: &title,
                    link: &link,
                    at: Timestamp::now(),
                    lines: &[],
                };
                let notices = notices(store, ws, &[deal.owner], telling).await?;
                told += u32::from(store.tell_once(&mark, &notices).await?);
            }
            if deals.len() < SCAN as usize {
                return Ok(told);
            }
        }
    }

    async fn tell_digests(
        &self,
        ws: WorkspaceId,
        settings: Reminders,
        now: Timestamp,
    ) -> Result<u32, AppError> {
        let Some(day) = settings.digest_day(now) else {
            return Ok(0);
        };
        let store = self.store().as_ref();
        let end = Timestamp::new(day.get() + time::Duration::DAY);
        let mut told = 0;
        for user in store.untold_digests(ws, day).await? {
            let mut tasks: Vec<DueTask> = store
                .tasks_due_before(ws, user, end, DIGEST_TASKS + 1)
                .await?;
            let more = tasks.len() > DIGEST_TASKS as usize;
            tasks.truncate(DIGEST_TASKS as usize);
            let mark = NoticeMark {
                workspace_id: ws,
                kind: NoticeKind::Digest,
                subject: user.0,
                told_for: day,
            };
            // A day without tasks is marked as told, with nothing to say.
            let notices = if tasks.is_empty() {
                Vec::new()
            } else {
                let (mut title, mut lines) = reminders::digest(&tasks, day);
                if more {
                    title.push_str(" (and more)");
                    lines.push("- and more: the full list is in closer".into());
                }
                let telling = Telling {
                    kind: NoticeKind::Digest,
                    contact: None,
                    title: &title,
                    link: "/tasks",
                    at: Timestamp::now(),
                    lines: &lines,
                };
                notices(store, ws, &[user], telling).await?
            };
            told += u32::from(store.tell_once(&mark, &notices).await? && !notices.is_empty());
        }
        Ok(told)
    }

    /// Tells reminders every minute until the process stops (`closer serve`).
    pub fn spawn_reminders(&self) -> tokio::task::JoinHandle<()> {
        let app = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_mins(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match app.tell_reminders(Timestamp::now()).await {
                    Ok(told) => tracing::debug!(?told, "reminders told"),
                    Err(e) => tracing::warn!(error = %e, "reminders could not be told"),
                }
            }
        })
    }
}
