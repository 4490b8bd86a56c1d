//! The rep's work on a contact: activities (calls, emails, meetings, demos, notes) and follow-up
//! tasks with a due time. The first activity a person logs on a lead is its first human touch.

use serde::{Deserialize, Serialize};

use crate::text::clean;
use crate::{ContactId, FieldError, Timestamp, UserId};

use super::{ActivityId, DealId, TaskId};

/// Longest activity or task text, in characters.
pub const MAX_BODY: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    Call,
    Email,
    Meeting,
    Demo,
    Note,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 5] = [
        ActivityKind::Call,
        ActivityKind::Email,
        ActivityKind::Meeting,
        ActivityKind::Demo,
        ActivityKind::Note,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::Call => "call",
            ActivityKind::Email => "email",
            ActivityKind::Meeting => "meeting",
            ActivityKind::Demo => "demo",
            ActivityKind::Note => "note",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw.trim())
            .ok_or_else(|| {
                FieldError::new(
                    "kind",
                    format!("{raw:?} is not an activity; use call, email, meeting, demo or note"),
                )
            })
    }

    /// A note is written about a person, not to them: it is no touch.
    pub fn touches(self) -> bool {
        self != ActivityKind::Note
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Activity {
    pub id: ActivityId,
    pub contact_id: ContactId,
    pub deal_id: Option<DealId>,
    pub kind: ActivityKind,
    pub occurred_at: Timestamp,
    pub owner_id: Option<UserId>,
    /// "reached", "voicemail", "no answer", "interested"… as the rep puts it.
    pub outcome: Option<String>,
    pub text: Option<String>,
    pub created_at: Timestamp,
}

/// Multi-line text (an activity's notes, a task's description): trimmed, bounded, no control
/// characters but line breaks and tabs.
pub fn body(field: &str, raw: &str) -> Result<Option<String>, FieldError> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if value.chars().count() > MAX_BODY {
        return Err(FieldError::new(
            field,
            format!("must be at most {MAX_BODY} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(Some(value.to_owned()))
}

/// A short one-line label (an outcome, a task title).
pub fn label(field: &str, raw: &str, max: usize) -> Result<Option<String>, FieldError> {
    let value = clean(field, raw)?;
    if value.as_ref().is_some_and(|v| v.chars().count() > max) {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(value)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Open,
    Done,
    Cancelled,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::Done => "done",
            TaskStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw.trim() {
            "open" => Ok(TaskStatus::Open),
            "done" => Ok(TaskStatus::Done),
            "cancelled" => Ok(TaskStatus::Cancelled),
            other => Err(FieldError::new(
                "status",
                format!("{other:?} is not a task status; use open, done or cancelled"),
            )),
        }
    }
}

/// Why a task exists: made by a person, or the first-contact task a new hot lead gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    FollowUp,
    FirstContact,
}

impl TaskKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::FollowUp => "follow_up",
            TaskKind::FirstContact => "first_contact",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw.trim() {
            "follow_up" => Ok(TaskKind::FollowUp),
            "first_contact" => Ok(TaskKind::FirstContact),
            other => Err(FieldError::new(
                "kind",
                format!("{other:?} is not a task kind; use follow_up or first_contact"),
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Task {
    pub id: TaskId,
    pub kind: TaskKind,
    pub title: String,
    pub text: Option<String>,
    pub contact_id: Option<ContactId>,
    pub deal_id: Option<DealId>,
    pub assignee_id: Option<UserId>,
    pub due_at: Timestamp,
    pub status: TaskStatus,
    pub done_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

impl Task {
    pub fn overdue(&self, now: Timestamp) -> bool {
        self.status == TaskStatus::Open && self.due_at < now
    }
}

/// A correction to a logged activity: what kind it was, when, how it went, what was said. Its
/// contact, deal and owner stay as they were logged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivityPatch {
    pub kind: Option<ActivityKind>,
    pub occurred_at: Option<Timestamp>,
    pub outcome: Option<Option<String>>,
    pub text: Option<Option<String>>,
}

impl ActivityPatch {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The activity as the patch leaves it.
    pub fn apply(&self, a: &Activity) -> Activity {
        Activity {
            kind: self.kind.unwrap_or(a.kind),
            occurred_at: self.occurred_at.unwrap_or(a.occurred_at),
            outcome: self.outcome.clone().unwrap_or_else(|| a.outcome.clone()),
            text: self.text.clone().unwrap_or_else(|| a.text.clone()),
            ..a.clone()
        }
    }
}
