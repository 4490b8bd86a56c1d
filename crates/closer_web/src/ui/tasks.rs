//! Tasks: the signed-in user's open follow-ups — overdue first, then today's, then later —
//! each done with one press.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use closer_domain::Timestamp;
use closer_domain::pipeline::{Task, TaskId, TaskStatus};
use closer_store::{TaskPatch, TaskQuery};
use maud::{Markup, html};

use super::format::when;
use super::layout::page;
use super::session::Signed;
use super::{CsrfForm, Failure, UiForm};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tasks", get(show))
        .route("/tasks/{id}/done", post(done))
}

const DAY_MICROS: i64 = 86_400_000_000;

fn list(user: &Signed, tasks: &[&Task], empty: &str) -> Markup {
    html! {
        @if tasks.is_empty() {
            p.empty { (empty) }
        } @else {
            ul.tasks {
                @for t in tasks {
                    li {
                        form.inline method="post" action=(format!("/tasks/{}/done", t.id.0)) {
                            input type="hidden" name="csrf" value=(user.csrf());
                            button type="submit" aria-label=(format!("Done: {}", t.title)) { "Done" }
                        }
                        " "
                        @if let Some(c) = t.contact_id {
                            a href=(format!("/contacts/{}", c.0)) { (t.title) }
                        } @else {
                            (t.title)
                        }
                        span.sub { "due " (when(t.due_at)) @if let Some(x) = &t.text { " · " (x) } }
                    }
                }
            }
        }
    }
}

async fn show(State(st): State<AppState>, user: Signed) -> Result<Markup, Failure> {
    let tasks = st
        .app
        .sales()
        .list_tasks(
            &user.0.principal(),
            TaskQuery {
                assignee: Some(user.0.user.id),
                status: Some(TaskStatus::Open),
                limit: 500,
                ..TaskQuery::default()
            },
        )
        .await?;
    let now = Timestamp::now();
    let end_of_day = (now.unix_micros().div_euclid(DAY_MICROS) + 1) * DAY_MICROS;
    let overdue: Vec<&Task> = tasks.iter().filter(|t| t.due_at < now).collect();
    let today: Vec<&Task> = tasks
        .iter()
        .filter(|t| t.due_at >= now && t.due_at.unix_micros() < end_of_day)
        .collect();
    let later: Vec<&Task> = tasks
        .iter()
        .filter(|t| t.due_at.unix_micros() >= end_of_day)
        .collect();
    let content = html! {
        h1 { "My tasks" }
        h2 { "Overdue " span.count { (overdue.len()) } }
        (list(&user, &overdue, "Nothing overdue."))
        h2 { "Today " span.count { (today.len()) } }
        (list(&user, &today, "Nothing else due today."))
        h2 { "Later" }
        (list(&user, &later, "Nothing scheduled."))
    };
    Ok(page(&user.0, "Tasks", "/tasks", false, &content))
}

async fn done(
    State(st): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    UiForm(f): UiForm<CsrfForm>,
) -> Result<Response, Failure> {
    user.check_csrf(&f.csrf)?;
    let id = TaskId(super::id(&id)?);
    let patch = TaskPatch {
        status: Some(TaskStatus::Done),
        ..TaskPatch::default()
    };
    // Whose task it is, and whether this user may close it, is the use case's to decide.
    st.app
        .sales()
        .patch_task(&user.0.principal(), id, &patch)
        .await?;
    Ok(Redirect::to("/tasks").into_response())
}
