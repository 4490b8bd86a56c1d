//! `closer activity log|list|edit|delete`: the calls, emails, meetings, demos and notes on a
//! contact, from the terminal, under the same rules as the API and the web app.

use closer_app::{ActivityRequest, App, AppError, Principal};
use closer_domain::pipeline::{Activity, ActivityId, ActivityKind, ActivityPatch, DealId, work};
use closer_domain::{ContactId, FieldError};

use crate::cli::ActivityCommand;

fn id(what: &str, raw: &str) -> anyhow::Result<uuid::Uuid> {
    raw.trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("{raw:?} is not {what} id (a UUID)"))
}

/// "" clears: `Some(None)`.
fn cleared(errors: &mut Vec<FieldError>, r: Result<Option<String>, FieldError>) -> Option<String> {
    r.map_err(|e| errors.push(e)).ok().flatten()
}

fn print(a: &Activity) -> anyhow::Result<()> {
    outln!(
        "{}  {}  {}{}{}",
        a.id,
        a.occurred_at,
        a.kind.as_str(),
        a.outcome
            .as_deref()
            .map_or_else(String::new, |o| format!(" ({o})")),
        a.text.as_deref().map_or_else(String::new, |t| format!(
            ": {}",
            t.lines().next().unwrap_or("")
        )),
    );
    Ok(())
}

/// Refuses a deletion that was not confirmed.
pub fn confirmed(yes: bool, what: &str) -> anyhow::Result<()> {
    if yes {
        Ok(())
    } else {
        Err(anyhow::anyhow!(
            "deleting {what} cannot be undone: add --yes to confirm"
        ))
    }
}

pub async fn run(app: App, cmd: ActivityCommand) -> anyhow::Result<()> {
    match cmd {
        ActivityCommand::Log {
            contact,
            kind,
            outcome,
            text,
            at,
            deal,
            workspace,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?.id;
            let contact_id = ContactId(id("a contact", &contact)?);
            let deal_id = deal.map(|d| id("a deal", &d).map(DealId)).transpose()?;
            let mut errors = Vec::new();
            let kind = ActivityKind::parse(&kind).map_err(|e| errors.push(e)).ok();
            let outcome =
                outcome.and_then(|o| cleared(&mut errors, work::label("outcome", &o, 200)));
            let text = text.and_then(|t| cleared(&mut errors, work::body("text", &t)));
            let occurred_at = at.and_then(|t| {
                crate::task_edit::due_time(&t)
                    .map_err(|e| errors.push(FieldError::new("at", e.message)))
                    .ok()
            });
            let (Some(kind), true) = (kind, errors.is_empty()) else {
                return Err(AppError::Invalid(errors).into());
            };
            let req = ActivityRequest {
                id: None,
                contact_id,
                deal_id,
                kind,
                occurred_at,
                owner_id: None,
                outcome,
                text,
            };
            let a = app
                .sales()
                .log_activity(&Principal::operator(ws), req)
                .await?;
            print(&a)?;
        }
        ActivityCommand::List {
            contact,
            limit,
            workspace,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?.id;
            let contact = ContactId(id("a contact", &contact)?);
            let list = app.sales().activities(ws, contact, limit).await?;
            if list.is_empty() {
                outln!("no activities");
            }
            for a in &list {
                print(a)?;
            }
        }
        ActivityCommand::Edit {
            id: raw,
            kind,
            outcome,
            text,
            at,
            workspace,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?.id;
            let activity = ActivityId(id("an activity", &raw)?);
            let mut errors = Vec::new();
            let patch = ActivityPatch {
                kind: kind.and_then(|k| ActivityKind::parse(&k).map_err(|e| errors.push(e)).ok()),
                occurred_at: at.and_then(|t| {
                    crate::task_edit::due_time(&t)
                        .map_err(|e| errors.push(FieldError::new("at", e.message)))
                        .ok()
                }),
                outcome: outcome.map(|o| cleared(&mut errors, work::label("outcome", &o, 200))),
                text: text.map(|t| cleared(&mut errors, work::body("text", &t))),
            };
            if !errors.is_empty() {
                return Err(AppError::Invalid(errors).into());
            }
            let a = app
                .sales()
                .edit_activity(&Principal::operator(ws), activity, &patch)
                .await?;
            print(&a)?;
        }
        ActivityCommand::Delete {
            id: raw,
            yes,
            workspace,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?.id;
            let activity = ActivityId(id("an activity", &raw)?);
            confirmed(yes, "an activity")?;
            app.sales()
                .delete_activity(&Principal::operator(ws), activity)
                .await?;
            outln!("activity {} deleted", activity.0);
        }
    }
    Ok(())
}
