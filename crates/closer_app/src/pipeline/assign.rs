//! Speed-to-lead: when a lead turns hot, it gets an owner (its own, or the rep with the
//! fewest open first-contact tasks: a round-robin that needs no shared counter, so several
//! processes assign fairly) — or the owner the workspace's assignment rules name for its
//! source or country — and a first-contact task due within minutes. The first call,
//! email, meeting or demo logged on it completes the task and stores the time to first touch.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use closer_domain::notify::NoticeKind;
use closer_domain::pipeline::{Task, TaskId, TaskKind, TaskStatus};
use closer_domain::qualification::AssignmentRules;
use closer_domain::{Contact, ContactPatch, Stage, Timestamp, UserId, WorkspaceId};
use closer_store::{Store, TaskQuery};

use crate::AppError;
use crate::qualification::WorkspaceRules;

/// Default minutes to the first contact with a new hot lead.
pub const FIRST_CONTACT_MINUTES: u32 = 15;
/// How the assignment is signed in the contact's history.
const ACTOR: &str = "rule:hot-lead";

/// Gives hot leads an owner and a first-contact task; the scorer calls it when a lead turns
/// hot. Needs only the store and the rules, so scoring can hold it without reaching the
/// pipeline's other use cases.
#[derive(Clone)]
pub struct Assign {
    store: Arc<dyn Store>,
    rules: WorkspaceRules,
    /// Minutes a new hot lead's first-contact task is due in (unless the rules say).
    first_contact_minutes: Arc<AtomicU32>,
}

impl Assign {
    pub(crate) fn new(store: Arc<dyn Store>, rules: WorkspaceRules) -> Self {
        Self {
            store,
            rules,
            first_contact_minutes: Arc::new(AtomicU32::new(FIRST_CONTACT_MINUTES)),
        }
    }

    fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Minutes a new hot lead's first-contact task is due in (`closer serve
    /// --first-contact-minutes`).
    pub fn set_first_contact_minutes(&self, minutes: u32) {
        self.first_contact_minutes.store(minutes, Ordering::Relaxed);
    }

    /// The rep to give a new hot lead: the one with the fewest open first-contact tasks
    /// (ties: the earliest added). Managers and admins when the workspace has no reps.
    async fn next_rep(&self, ws: WorkspaceId) -> Result<Option<UserId>, AppError> {
        let users = self.store().list_users(ws).await?;
        let mut pool: Vec<_> = users.iter().filter(|u| u.role == "rep").collect();
        if pool.is_empty() {
            pool = users
                .iter()
                .filter(|u| u.role == "manager" || u.role == "admin")
                .collect();
        }
        if pool.is_empty() {
            return Ok(None);
        }
        let load = self.store().first_contact_load(ws).await?;
        let load = |u: UserId| load.iter().find(|(id, _)| *id == u).map_or(0, |(_, n)| *n);
        Ok(pool
            .iter()
            .min_by_key(|u| (load(u.id), u.created_at, u.id))
            .map(|u| u.id))
    }

    /// The owner the workspace's assignment rules name for the contact (by its original
    /// source and `country` property), if a rule matches and its user still exists.
    async fn assigned_by_rule(
        &self,
        rules: &AssignmentRules,
        contact: &Contact,
    ) -> Result<Option<UserId>, AppError> {
        if rules.rules.is_empty() {
            return Ok(None);
        }
        let ws = contact.workspace_id;
        let source = super::original_source(self.store().as_ref(), ws, contact.id).await?;
        let country = contact
            .properties
            .get("country")
            .and_then(serde_json::Value::as_str);
        let Some(rule) = rules
            .rules
            .iter()
            .find(|r| r.matches(source.as_deref(), country))
        else {
            return Ok(None);
        };
        let users = self.store().list_users(ws).await?;
        Ok(users.iter().find(|u| u.email == rule.owner).map(|u| u.id))
    }

    /// A lead or prospect just turned hot: owner and first-contact task, unless it has an open
    /// one already.
    pub(crate) async fn on_hot(&self, contact: &Contact) -> Result<(), AppError> {
        if !matches!(contact.stage, Stage::Lead | Stage::Prospect) {
            return Ok(());
        }
        let ws = contact.workspace_id;
        let existing = self
            .store()
            .list_tasks(
                ws,
                &TaskQuery {
                    contact: Some(contact.id),
                    status: Some(TaskStatus::Open),
                    limit: 100,
                    ..TaskQuery::default()
                },
            )
            .await?;
        if existing.iter().any(|t| t.kind == TaskKind::FirstContact) {
            return Ok(());
        }
        let now = Timestamp::now();
        let rules = self.rules.get(ws).await?;
        let owner = if let Some(owner) = contact.owner_id {
            Some(owner)
        } else {
            let picked = match self.assigned_by_rule(&rules.assignment, contact).await? {
                Some(user) => Some(user),
                None => self.next_rep(ws).await?,
            };
            if let Some(rep) = picked {
                let patch = ContactPatch {
                    owner_id: Some(Some(rep)),
                    ..ContactPatch::default()
                };
                self.store()
                    .patch_contact(ws, contact.id, &patch, ACTOR, now)
                    .await?;
            }
            picked
        };
        let minutes = rules
            .assignment
            .first_contact_minutes
            .unwrap_or_else(|| self.first_contact_minutes.load(Ordering::Relaxed));
        let who = contact
            .name
            .clone()
            .or_else(|| contact.emails.first().map(ToString::to_string))
            .unwrap_or_else(|| "a new hot lead".into());
        let task = Task {
            id: TaskId::new(),
            kind: TaskKind::FirstContact,
            title: format!("First contact: {who}"),
            text: None,
            contact_id: Some(contact.id),
            deal_id: None,
            assignee_id: owner,
            due_at: Timestamp::new(now.get() + Duration::from_secs(u64::from(minutes) * 60)),
            status: TaskStatus::Open,
            done_at: None,
            created_at: now,
        };
        // The owner hears of it with the task, in the same write.
        let notices = match owner {
            Some(owner) => {
                let title =
                    format!("{who} is a hot lead for you: first contact within {minutes} minutes");
                let link = format!("/contacts/{}", contact.id.0);
                let telling = crate::notify::Telling {
                    lines: &[],
                    kind: NoticeKind::HotLead,
                    contact: Some(contact.id),
                    title: &title,
                    link: &link,
                    at: now,
                };
                crate::notify::notices(self.store().as_ref(), ws, &[owner], telling).await?
            }
            None => Vec::new(),
        };
        self.store().add_task(ws, &task, &notices).await?;
        tracing::info!(contact.id = %contact.id, minutes, "hot lead assigned a first-contact task");
        Ok(())
    }
}
