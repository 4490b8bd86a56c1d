//! `closer task add` and `closer task set`: follow-ups added and changed from the terminal,
//! under the same rules as the API and the web app.

use closer_app::{App, AppError, Principal, TaskRequest};
use closer_domain::pipeline::{TaskId, TaskStatus};
use closer_domain::{ContactId, FieldError, Timestamp, UserId, WorkspaceId};
use closer_store::TaskPatch;

use crate::cli::{TaskAdd, TaskSet};

/// `closer task add`.
pub async fn add(app: App, cmd: TaskAdd) -> anyhow::Result<()> {
    let TaskAdd {
        title,
        due,
        contact,
        assignee,
        text,
        workspace,
    } = cmd;
    let ws = app.access().workspace_by_slug(&workspace).await?.id;
    let principal = Principal::operator(ws);
    let mut errors = Vec::new();
    let title = closer_domain::text::clean("title", &title)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    if title.is_none() && errors.is_empty() {
        errors.push(FieldError::new("title", "must not be empty"));
    }
    let due_at = due_time(&due).map_err(|e| errors.push(e)).ok();
    let contact_id = contact.and_then(|c| {
        let id = c.trim().parse().ok().map(ContactId);
        if id.is_none() {
            errors.push(FieldError::new(
                "contact",
                format!("{c:?} is not a contact id"),
            ));
        }
        id
    });
    let assignee_id = match assignee {
        Some(who) => user(&app, ws, &who)
            .await
            .map_err(|e| errors.push(e))
            .ok()
            .flatten(),
        None => None,
    };
    let (Some(title), Some(due_at), true) = (title, due_at, errors.is_empty()) else {
        return Err(AppError::Invalid(errors).into());
    };
    let req = TaskRequest {
        id: None,
        title,
        text,
        contact_id,
        deal_id: None,
        assignee_id,
        due_at,
    };
    let t = app.sales().create_task(&principal, req).await?;
    outln!("{}  due {}  {}", t.id, t.due_at, t.title);
    Ok(())
}

/// `closer task set`.
pub async fn set(app: App, cmd: TaskSet) -> anyhow::Result<()> {
    let TaskSet {
        id,
        status,
        due,
        assignee,
        title,
        text,
        workspace,
    } = cmd;
    let ws = app.access().workspace_by_slug(&workspace).await?.id;
    let principal = Principal::operator(ws);
    let id = TaskId(
        id.trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("{id:?} is not a task id (a UUID)"))?,
    );
    let mut errors = Vec::new();
    let patch = TaskPatch {
        status: status.and_then(|s| TaskStatus::parse(&s).map_err(|e| errors.push(e)).ok()),
        due_at: due.and_then(|d| due_time(&d).map_err(|e| errors.push(e)).ok()),
        assignee_id: match assignee {
            Some(who) => user(&app, ws, &who).await.map_err(|e| errors.push(e)).ok(),
            None => None,
        },
        title: title.and_then(
            |t| match closer_domain::pipeline::work::label("title", &t, 200) {
                Ok(Some(t)) => Some(t),
                Ok(None) => {
                    errors.push(FieldError::new("title", "must not be empty"));
                    None
                }
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
        ),
        text: text.map(|t| {
            closer_domain::pipeline::work::body("text", &t)
                .map_err(|e| errors.push(e))
                .ok()
                .flatten()
        }),
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors).into());
    }
    let t = app.sales().patch_task(&principal, id, &patch).await?;
    outln!(
        "{}  {}  due {}  {}",
        t.id,
        t.status.as_str(),
        t.due_at,
        t.title
    );
    Ok(())
}

/// A due time as people write it: a date (midnight UTC), a date and time, or RFC 3339.
pub(crate) fn due_time(raw: &str) -> Result<Timestamp, FieldError> {
    closer_domain::import::created_at(raw).map_err(|e| FieldError::new("due", e.message))
}

/// A user by email (`none`: nobody).
async fn user(app: &App, ws: WorkspaceId, who: &str) -> Result<Option<UserId>, FieldError> {
    if who.trim() == "none" {
        return Ok(None);
    }
    let users = app
        .access()
        .users(ws)
        .await
        .map_err(|e| FieldError::new("assignee", e.to_string()))?;
    users
        .iter()
        .find(|u| u.email.as_str().eq_ignore_ascii_case(who.trim()))
        .map(|u| Some(u.id))
        .ok_or_else(|| {
            FieldError::new(
                "assignee",
                format!("{who:?} is not a user of this workspace"),
            )
        })
}
