//! Activities, tasks and direct orders: what a rep logs and schedules, what a customer buys
//! again. Times in the future are refused for activities (they happened) and orders.

use closer_domain::access::{Action, Reach, reach};
use closer_domain::notify::NoticeKind;
use closer_domain::pipeline::{
    Activity, ActivityId, ActivityKind, ActivityPatch, Currency, DealId, LineInput, Order, OrderId,
    OrderSource, Task, TaskId, TaskKind, TaskStatus, parse_lines,
};
use closer_domain::{ContactId, FieldError, Timestamp, UserId, WorkspaceId};
use closer_store::{StoreError, TaskPatch, TaskQuery};

use crate::{AppError, Principal};

/// Largest page of activities, tasks or orders a list returns.
pub const MAX_ITEMS: u32 = 500;
/// How far ahead of the server's clock a logged time may be (clock skew), in seconds.
const SKEW: i64 = 300;

#[derive(Debug, Clone)]
pub struct ActivityRequest {
    /// Chosen by the caller to make a retried request harmless (a form posted twice logs one
    /// activity); a new id when absent.
    pub id: Option<ActivityId>,
    pub contact_id: ContactId,
    pub deal_id: Option<DealId>,
    pub kind: ActivityKind,
    /// When it happened (now when omitted).
    pub occurred_at: Option<Timestamp>,
    pub owner_id: Option<UserId>,
    pub outcome: Option<String>,
    pub text: Option<String>,
}

#[derive(Debug, Clone)]
pub struct TaskRequest {
    /// The id a form drew with itself, so a form posted twice adds one task; a new one
    /// otherwise.
    pub id: Option<TaskId>,
    pub title: String,
    pub text: Option<String>,
    pub contact_id: Option<ContactId>,
    pub deal_id: Option<DealId>,
    pub assignee_id: Option<UserId>,
    pub due_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct OrderRequest {
    /// An imported order's id (derived from its key, so importing it again finds it); a new
    /// one otherwise.
    pub id: Option<OrderId>,
    pub contact_id: ContactId,
    pub currency: Currency,
    pub lines: Vec<LineInput>,
    /// When the order was placed (now when omitted; imports give the real time).
    pub placed_at: Option<Timestamp>,
    pub source: OrderSource,
}

fn not_future(field: &str, at: Timestamp, now: Timestamp) -> Result<(), AppError> {
    if at.unix_micros() > now.unix_micros() + SKEW * 1_000_000 {
        return Err(AppError::invalid(field, "is in the future"));
    }
    Ok(())
}

/// A missing contact, deal or assignee is the caller's input error, not a missing page.
fn refs(e: StoreError, what: &str) -> AppError {
    match e {
        StoreError::NotFound => AppError::invalid(
            what,
            "is not in this workspace (a deal must be the contact's)",
        ),
        StoreError::Conflict { constraint } if constraint == "tasks_assignee_fk" => {
            AppError::invalid("assignee_id", "is not a user of this workspace")
        }
        other => other.into(),
    }
}

impl super::Sales {
    pub async fn log_activity(
        &self,
        principal: &Principal,
        req: ActivityRequest,
    ) -> Result<Activity, AppError> {
        let ws = principal.workspace_id;
        let contact = match crate::contacts::readable_contact(
            self.store.as_ref(),
            principal,
            Action::WorkContacts,
            req.contact_id,
        )
        .await
        {
            Err(AppError::NotFound) => return Err(refs(StoreError::NotFound, "contact_id")),
            other => other?,
        };
        let now = Timestamp::now();
        let occurred_at = req.occurred_at.unwrap_or(now);
        not_future("occurred_at", occurred_at, now)?;
        if let Some(owner) = req.owner_id {
            self.store.user(ws, owner).await.map_err(|e| match e {
                StoreError::NotFound => {
                    AppError::invalid("owner_id", "is not a user of this workspace")
                }
                other => other.into(),
            })?;
        }
        let activity = Activity {
            id: req.id.unwrap_or_default(),
            contact_id: req.contact_id,
            deal_id: req.deal_id,
            kind: req.kind,
            occurred_at,
            owner_id: req.owner_id,
            outcome: req.outcome,
            text: req.text,
            created_at: now,
        };
        // `@name` in what was written tells that user, in the same write.
        let mut notices = Vec::new();
        if let Some(text) = activity.text.as_deref().filter(|t| t.contains('@')) {
            let users = self.store.list_users(ws).await?;
            let to = crate::notify::mentions_in(text, &users, principal.user());
            if !to.is_empty() {
                let title = format!(
                    "{} mentioned you on {}",
                    crate::notify::actor_name(self.store.as_ref(), principal).await,
                    crate::notify::contact_name(&contact)
                );
                let link = format!("/contacts/{}", contact.id.0);
                let telling = crate::notify::Telling {
                    lines: &[],
                    kind: NoticeKind::Mention,
                    contact: Some(contact.id),
                    title: &title,
                    link: &link,
                    at: now,
                };
                notices = crate::notify::notices(self.store.as_ref(), ws, &to, telling).await?;
            }
        }
        match self.store.add_activity(ws, &activity, &notices).await {
            Ok(()) => Ok(activity),
            // The same request again: what the first one logged.
            Err(StoreError::Conflict { .. }) if req.id.is_some() => self
                .activities(ws, activity.contact_id, MAX_ITEMS)
                .await?
                .into_iter()
                .find(|a| a.id == activity.id)
                .ok_or_else(|| AppError::Conflict("this activity id is taken".into())),
            Err(e) => Err(refs(e, "contact_id")),
        }
    }

    /// The activity, if the principal may see its contact and do `action` on it: a rep
    /// works the activities they logged (or nobody did) on contacts they may open.
    async fn activity_for(
        &self,
        principal: &Principal,
        action: Action,
        id: ActivityId,
    ) -> Result<Activity, AppError> {
        let activity = self.store.activity(principal.workspace_id, id).await?;
        crate::contacts::readable_contact(
            self.store.as_ref(),
            principal,
            Action::ReadContacts,
            activity.contact_id,
        )
        .await?;
        principal.check(action, activity.owner_id)?;
        Ok(activity)
    }

    pub async fn activity(
        &self,
        principal: &Principal,
        id: ActivityId,
    ) -> Result<Activity, AppError> {
        self.activity_for(principal, Action::ReadContacts, id).await
    }

    /// Corrects an activity's kind, time, outcome or text (a time in the future is refused,
    /// as when it was logged). The contact's first touch follows (speed-to-lead).
    pub async fn edit_activity(
        &self,
        principal: &Principal,
        id: ActivityId,
        patch: &ActivityPatch,
    ) -> Result<Activity, AppError> {
        let stored = self
            .activity_for(principal, Action::WorkContacts, id)
            .await?;
        if patch.is_empty() {
            return Ok(stored);
        }
        if let Some(at) = patch.occurred_at {
            not_future("occurred_at", at, Timestamp::now())?;
        }
        let edited = patch.apply(&stored);
        self.store
            .edit_activity(principal.workspace_id, &edited)
            .await?;
        self.rescore_contact(principal.workspace_id, edited.contact_id)
            .await;
        Ok(edited)
    }

    pub async fn delete_activity(
        &self,
        principal: &Principal,
        id: ActivityId,
    ) -> Result<(), AppError> {
        let stored = self
            .activity_for(principal, Action::WorkContacts, id)
            .await?;
        self.store
            .delete_activity(principal.workspace_id, id)
            .await?;
        self.rescore_contact(principal.workspace_id, stored.contact_id)
            .await;
        Ok(())
    }

    /// Deletes a task the principal may work.
    pub async fn delete_task(&self, principal: &Principal, id: TaskId) -> Result<(), AppError> {
        self.task_for(principal, Action::WorkTasks, id).await?;
        Ok(self.store.delete_task(principal.workspace_id, id).await?)
    }

    pub async fn activities(
        &self,
        ws: WorkspaceId,
        contact: ContactId,
        limit: u32,
    ) -> Result<Vec<Activity>, AppError> {
        self.store.contact(ws, contact).await?;
        Ok(self
            .store
            .activities(ws, contact, crate::pipeline::page_limit(limit, MAX_ITEMS)?)
            .await?)
    }

    /// A rep's tasks are their own: one for someone else (or for nobody) is refused.
    pub async fn create_task(
        &self,
        principal: &Principal,
        req: TaskRequest,
    ) -> Result<Task, AppError> {
        let ws = principal.workspace_id;
        principal.check(Action::WorkTasks, req.assignee_id)?;
        let task = Task {
            id: req.id.unwrap_or_default(),
            kind: TaskKind::FollowUp,
            title: req.title,
            text: req.text,
            contact_id: req.contact_id,
            deal_id: req.deal_id,
            assignee_id: req.assignee_id,
            due_at: req.due_at,
            status: TaskStatus::Open,
            done_at: None,
            created_at: Timestamp::now(),
        };
        // A task given to someone else tells them, in the same write.
        let notices = match task.assignee_id.filter(|a| Some(*a) != principal.user()) {
            Some(assignee) => {
                let title = format!(
                    "{} gave you a task: {}",
                    crate::notify::actor_name(self.store.as_ref(), principal).await,
                    task.title
                );
                let link = task
                    .contact_id
                    .map_or_else(|| "/tasks".to_owned(), |c| format!("/contacts/{}", c.0));
                let telling = crate::notify::Telling {
                    lines: &[],
                    kind: NoticeKind::TaskAssigned,
                    contact: task.contact_id,
                    title: &title,
                    link: &link,
                    at: task.created_at,
                };
                crate::notify::notices(self.store.as_ref(), ws, &[assignee], telling).await?
            }
            None => Vec::new(),
        };
        match self.store.add_task(ws, &task, &notices).await {
            Ok(()) => Ok(task),
            // The same form posted again: the task it added.
            Err(StoreError::Conflict { .. }) if req.id.is_some() => {
                self.task_for(principal, Action::WorkTasks, task.id).await
            }
            Err(e) => Err(refs(e, "contact_id")),
        }
    }

    /// The task, if the principal may do `action` on it (one it may not even see is not
    /// found).
    async fn task_for(
        &self,
        principal: &Principal,
        action: Action,
        id: TaskId,
    ) -> Result<Task, AppError> {
        let task = self.store.task(principal.workspace_id, id).await?;
        principal.check_record(Action::ReadPipeline, action, task.assignee_id)?;
        Ok(task)
    }

    pub async fn task(&self, principal: &Principal, id: TaskId) -> Result<Task, AppError> {
        self.task_for(principal, Action::ReadPipeline, id).await
    }

    /// Completes, reopens, reschedules or reassigns a task the principal may work; handing
    /// it to someone else needs the right to work theirs too.
    pub async fn patch_task(
        &self,
        principal: &Principal,
        id: TaskId,
        patch: &TaskPatch,
    ) -> Result<Task, AppError> {
        let ws = principal.workspace_id;
        self.task_for(principal, Action::WorkTasks, id).await?;
        if let Some(assignee) = patch.assignee_id {
            principal.check(Action::WorkTasks, assignee)?;
            crate::access::workspace_user(self.store.as_ref(), ws, assignee)
                .await
                .map_err(|e| match e {
                    AppError::Invalid(_) => {
                        AppError::invalid("assignee_id", "is not a user of this workspace")
                    }
                    other => other,
                })?;
        }
        if patch.title.as_deref().is_some_and(|t| t.trim().is_empty()) {
            return Err(AppError::invalid("title", "must not be empty"));
        }
        self.store
            .patch_task(ws, id, patch, Timestamp::now())
            .await
            .map_err(|e| refs(e, "assignee_id"))
    }

    /// Tasks the query names; a rep's are always their own.
    pub async fn list_tasks(
        &self,
        principal: &Principal,
        mut query: TaskQuery,
    ) -> Result<Vec<Task>, AppError> {
        principal.check(Action::ReadPipeline, principal.user())?;
        if reach(principal.role, Action::ReadPipeline) == Reach::Own {
            query.assignee = principal.user();
        }
        crate::pipeline::page_limit(query.limit, MAX_ITEMS)?;
        Ok(self
            .store
            .list_tasks(principal.workspace_id, &query)
            .await?)
    }

    /// An order placed directly (a repeat purchase, an import): the contact becomes a customer.
    pub async fn place_order(
        &self,
        principal: &Principal,
        req: OrderRequest,
    ) -> Result<Order, AppError> {
        let ws = principal.workspace_id;
        let actor = principal.actor();
        let actor = actor.as_str();
        match self.store.contact(ws, req.contact_id).await {
            Ok(c) => principal.check(Action::WorkDeals, c.owner_id)?,
            Err(StoreError::NotFound) => return Err(refs(StoreError::NotFound, "contact_id")),
            Err(e) => return Err(e.into()),
        }
        let now = Timestamp::now();
        let placed_at = req.placed_at.unwrap_or(now);
        not_future("placed_at", placed_at, now)?;
        let (lines, total) = parse_lines(&req.lines).map_err(AppError::Invalid)?;
        let order = Order {
            id: req.id.unwrap_or_default(),
            contact_id: req.contact_id,
            deal_id: None,
            currency: req.currency,
            lines,
            total,
            source: req.source,
            placed_at,
            created_at: now,
        };
        self.store
            .add_order(ws, &order, actor)
            .await
            .map_err(|e| refs(e, "contact_id"))?;
        self.scoring
            .queue_scoring(crate::qualification::ScoreJob {
                workspace: ws,
                contact: order.contact_id,
                signals: Vec::new(),
                rescan: false,
            })
            .await;
        Ok(order)
    }

    /// When a person first touched the contact (speed-to-lead), if anyone has.
    pub async fn first_touch(
        &self,
        principal: &crate::Principal,
        contact: ContactId,
    ) -> Result<Option<Timestamp>, AppError> {
        Ok(self
            .store
            .first_touch(principal.workspace_id, contact)
            .await?)
    }

    pub async fn orders(
        &self,
        principal: &Principal,
        contact: Option<ContactId>,
        limit: u32,
    ) -> Result<Vec<Order>, AppError> {
        let ws = principal.workspace_id;
        principal.check(Action::ReadContacts, None)?;
        if let Some(c) = contact {
            self.store.contact(ws, c).await.map_err(|e| match e {
                StoreError::NotFound => AppError::Invalid(vec![FieldError::new(
                    "contact_id",
                    "is not a contact of this workspace",
                )]),
                other => other.into(),
            })?;
        }
        Ok(self
            .store
            .orders(ws, contact, crate::pipeline::page_limit(limit, MAX_ITEMS)?)
            .await?)
    }
}
