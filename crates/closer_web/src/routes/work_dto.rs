//! Wire types of activities, tasks and orders, and their parsing (parse, don't validate).

use closer_app::{ActivityRequest, OrderRequest, TaskRequest};
use closer_domain::pipeline::{
    Activity, ActivityKind, ActivityPatch, Currency, DealId, LineInput, OrderSource, Task, work,
};
use closer_domain::{ContactId, FieldError, Timestamp, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::deals_dto::{LineDto, amount};

fn time(field: &str, raw: &str) -> Result<Timestamp, FieldError> {
    Timestamp::parse_rfc3339(raw).ok_or_else(|| {
        FieldError::new(field, "must be an RFC 3339 time, like 2026-11-23T14:00:00Z")
    })
}

fn collect<T>(errors: &mut Vec<FieldError>, r: Result<T, FieldError>) -> Option<T> {
    r.map_err(|e| errors.push(e)).ok()
}

/// Log a call, email, meeting, demo or note on the contact (optionally on one of its deals).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityInput {
    /// call, email, meeting, demo or note.
    pub kind: String,
    /// RFC 3339; now when omitted; not in the future.
    pub occurred_at: Option<String>,
    pub deal_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    /// "reached", "voicemail", "interested"… (up to 200 characters).
    pub outcome: Option<String>,
    /// Notes, several lines allowed (up to 10,000 characters).
    pub text: Option<String>,
}

impl ActivityInput {
    pub fn parse(self, contact: ContactId) -> Result<ActivityRequest, Vec<FieldError>> {
        let mut e = Vec::new();
        let kind = collect(&mut e, ActivityKind::parse(&self.kind));
        let occurred_at = self
            .occurred_at
            .as_deref()
            .and_then(|t| collect(&mut e, time("occurred_at", t)));
        let outcome = self
            .outcome
            .as_deref()
            .and_then(|o| collect(&mut e, work::label("outcome", o, 200)))
            .flatten();
        let text = self
            .text
            .as_deref()
            .and_then(|t| collect(&mut e, work::body("text", t)))
            .flatten();
        match kind {
            Some(kind) if e.is_empty() => Ok(ActivityRequest {
                id: None,
                contact_id: contact,
                deal_id: self.deal_id.map(DealId),
                kind,
                occurred_at,
                owner_id: self.owner_id.map(UserId),
                outcome,
                text,
            }),
            _ => Err(e),
        }
    }
}

/// Correct a logged activity: only the fields given change (its contact, deal and owner
/// stay).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityPatchInput {
    /// call, email, meeting, demo or note.
    pub kind: Option<String>,
    /// RFC 3339; not in the future.
    pub occurred_at: Option<String>,
    /// Up to 200 characters; `null` or "" clears it.
    #[serde(default, deserialize_with = "super::contacts_dto::present")]
    #[schema(value_type = Option<String>)]
    pub outcome: Option<Option<String>>,
    /// Several lines allowed (up to 10,000 characters); `null` or "" clears it.
    #[serde(default, deserialize_with = "super::contacts_dto::present")]
    #[schema(value_type = Option<String>)]
    pub text: Option<Option<String>>,
}

impl ActivityPatchInput {
    pub fn parse(self) -> Result<ActivityPatch, Vec<FieldError>> {
        let mut e = Vec::new();
        let patch = ActivityPatch {
            kind: self
                .kind
                .as_deref()
                .and_then(|k| collect(&mut e, ActivityKind::parse(k))),
            occurred_at: self
                .occurred_at
                .as_deref()
                .and_then(|t| collect(&mut e, time("occurred_at", t))),
            outcome: self.outcome.map(|o| {
                o.as_deref()
                    .and_then(|o| collect(&mut e, work::label("outcome", o, 200)))
                    .flatten()
            }),
            text: self.text.map(|t| {
                t.as_deref()
                    .and_then(|t| collect(&mut e, work::body("text", t)))
                    .flatten()
            }),
        };
        if e.is_empty() { Ok(patch) } else { Err(e) }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityView {
    pub id: Uuid,
    pub contact_id: Uuid,
    pub deal_id: Option<Uuid>,
    pub kind: &'static str,
    pub occurred_at: String,
    pub owner_id: Option<Uuid>,
    pub outcome: Option<String>,
    pub text: Option<String>,
}

impl From<Activity> for ActivityView {
    fn from(a: Activity) -> Self {
        Self {
            id: a.id.0,
            contact_id: a.contact_id.0,
            deal_id: a.deal_id.map(|d| d.0),
            kind: a.kind.as_str(),
            occurred_at: a.occurred_at.to_string(),
            owner_id: a.owner_id.map(|u| u.0),
            outcome: a.outcome,
            text: a.text,
        }
    }
}

/// A follow-up task.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskInput {
    pub title: String,
    pub text: Option<String>,
    /// RFC 3339.
    pub due_at: String,
    pub contact_id: Option<Uuid>,
    pub deal_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
}

impl TaskInput {
    pub fn parse(self) -> Result<TaskRequest, Vec<FieldError>> {
        let mut e = Vec::new();
        let title = collect(&mut e, work::label("title", &self.title, 200))
            .flatten()
            .or_else(|| {
                if e.is_empty() {
                    e.push(FieldError::new("title", "must not be empty"));
                }
                None
            });
        let text = self
            .text
            .as_deref()
            .and_then(|t| collect(&mut e, work::body("text", t)))
            .flatten();
        let due_at = collect(&mut e, time("due_at", &self.due_at));
        match (title, due_at) {
            (Some(title), Some(due_at)) if e.is_empty() => Ok(TaskRequest {
                id: None,
                title,
                text,
                contact_id: self.contact_id.map(ContactId),
                deal_id: self.deal_id.map(DealId),
                assignee_id: self.assignee_id.map(UserId),
                due_at,
            }),
            _ => Err(e),
        }
    }
}

/// Change a task: mark it done or cancelled (or open again), move its due time, reassign it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskPatchInput {
    /// open, done or cancelled.
    pub status: Option<String>,
    pub due_at: Option<String>,
    #[serde(default, deserialize_with = "super::contacts_dto::present")]
    #[schema(value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<Uuid>>,
    /// Up to 200 characters; not empty.
    pub title: Option<String>,
    /// Several lines allowed (up to 10,000 characters); `null` or "" clears it.
    #[serde(default, deserialize_with = "super::contacts_dto::present")]
    #[schema(value_type = Option<String>)]
    pub text: Option<Option<String>>,
}

impl TaskPatchInput {
    pub fn parse(self) -> Result<closer_store::TaskPatch, Vec<FieldError>> {
        let mut e = Vec::new();
        let patch = closer_store::TaskPatch {
            status: self
                .status
                .as_deref()
                .and_then(|s| collect(&mut e, closer_domain::pipeline::TaskStatus::parse(s))),
            due_at: self
                .due_at
                .as_deref()
                .and_then(|t| collect(&mut e, time("due_at", t))),
            assignee_id: self.assignee_id.map(|a| a.map(UserId)),
            title: self.title.as_deref().and_then(|t| {
                let title = collect(&mut e, work::label("title", t, 200)).flatten();
                if title.is_none() && !e.iter().any(|f| f.field == "title") {
                    e.push(FieldError::new("title", "must not be empty"));
                }
                title
            }),
            text: self.text.map(|t| {
                t.as_deref()
                    .and_then(|t| collect(&mut e, work::body("text", t)))
                    .flatten()
            }),
        };
        if e.is_empty() { Ok(patch) } else { Err(e) }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskView {
    pub id: Uuid,
    /// follow_up, or first_contact (made for a new hot lead).
    pub kind: &'static str,
    pub title: String,
    pub text: Option<String>,
    pub contact_id: Option<Uuid>,
    pub deal_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub due_at: String,
    pub status: &'static str,
    pub overdue: bool,
    pub done_at: Option<String>,
    pub created_at: String,
}

impl TaskView {
    pub fn new(t: Task, now: Timestamp) -> Self {
        Self {
            overdue: t.overdue(now),
            id: t.id.0,
            kind: t.kind.as_str(),
            title: t.title,
            text: t.text,
            contact_id: t.contact_id.map(|c| c.0),
            deal_id: t.deal_id.map(|d| d.0),
            assignee_id: t.assignee_id.map(|u| u.0),
            due_at: t.due_at.to_string(),
            status: t.status.as_str(),
            done_at: t.done_at.map(|d| d.to_string()),
            created_at: t.created_at.to_string(),
        }
    }
}

/// An order a customer placed directly (a repeat purchase).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderInput {
    pub contact_id: Uuid,
    /// ISO 4217 code.
    pub currency: String,
    pub lines: Vec<LineDto>,
    /// RFC 3339; now when omitted; not in the future.
    pub placed_at: Option<String>,
}

impl OrderInput {
    pub fn parse(self) -> Result<OrderRequest, Vec<FieldError>> {
        let mut e = Vec::new();
        let currency = collect(&mut e, Currency::parse("currency", &self.currency));
        let placed_at = self
            .placed_at
            .as_deref()
            .and_then(|t| collect(&mut e, time("placed_at", t)));
        let mut lines = Vec::with_capacity(self.lines.len());
        for (i, l) in self.lines.into_iter().enumerate() {
            if let Some(price) = collect(
                &mut e,
                amount(&format!("lines[{i}].unit_price"), &l.unit_price),
            ) {
                lines.push(LineInput {
                    product: l.product,
                    quantity: l.quantity.unwrap_or(1),
                    unit_price: price,
                });
            }
        }
        match currency {
            Some(currency) if e.is_empty() => Ok(OrderRequest {
                id: None,
                contact_id: ContactId(self.contact_id),
                currency,
                lines,
                placed_at,
                source: OrderSource::Api,
            }),
            _ => Err(e),
        }
    }
}
