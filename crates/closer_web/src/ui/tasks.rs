//! Tasks: the signed-in user's open follow-ups — overdue first, then today's, then later —
//! each done or snoozed a day with one press; a follow-up added from a contact's page (title,
//! due day and time, who does it), a done one reopened there.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use closer_app::TaskRequest;
use closer_domain::pipeline::{Task, TaskId, TaskStatus};
use closer_domain::{ContactId, FieldError, Timestamp, UserId};
use closer_store::{TaskPatch, TaskQuery};
use maud::{Markup, html};
use serde::Deserialize;

use super::form_notes::Notes;
use super::format::when;
use super::layout::page;
use super::session::Signed;
use super::{CsrfForm, Failure, UiForm};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tasks", get(show))
        .route("/tasks/{id}/done", post(done))
        .route("/tasks/{id}/snooze", post(snooze))
        .route("/tasks/{id}/reopen", post(reopen))
        .route("/contacts/{id}/tasks", post(add))
}

/// A follow-up as the contact page's form posts it.
#[derive(Deserialize)]
struct TaskForm {
    csrf: String,
    once: String,
    #[serde(default)]
    title: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    due_date: String,
    /// `HH:MM` (UTC); 09:00 without one.
    #[serde(default)]
    due_time: String,
    /// A user's id; absent for someone who may not assign (the task is theirs).
    assignee: Option<String>,
}

const DAY_MICROS: i64 = 86_400_000_000;

/// A day (`YYYY-MM-DD`) and a time of day (`HH:MM`, UTC; 09:00 when empty) from two form
/// fields, each mistake named by its field.
pub(super) fn day_and_time(
    (day_field, day): (&str, &str),
    (time_field, time): (&str, &str),
    errors: &mut Vec<FieldError>,
) -> Option<Timestamp> {
    let time = if time.trim().is_empty() {
        "09:00"
    } else {
        time.trim()
    };
    closer_domain::parse_date(day_field, day)
        .map_err(|e| errors.push(e))
        .ok()
        .and_then(|d| {
            Timestamp::parse_rfc3339(&format!("{d}T{time}:00Z")).or_else(|| {
                errors.push(FieldError::new(
                    time_field,
                    format!("{time:?} is not a time (HH:MM)"),
                ));
                None
            })
        })
}

/// A time as a form's day and time of day (UTC), to draw a form with.
pub(super) fn day_time_fields(t: Timestamp) -> (String, String) {
    let dt = t.get();
    (
        format!("{}-{:02}-{:02}", dt.year(), u8::from(dt.month()), dt.day()),
        format!("{:02}:{:02}", dt.hour(), dt.minute()),
    )
}

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
                        form.inline method="post" action=(format!("/tasks/{}/snooze", t.id.0)) {
                            input type="hidden" name="csrf" value=(user.csrf());
                            button.secondary type="submit" aria-label=(format!("Snooze a day: {}", t.title)) { "Snooze a day" }
                        }
                        " "
                        @if let Some(c) = t.contact_id {
                            a href=(format!("/contacts/{}", c.0)) { (t.title) }
                        } @else {
                            (t.title)
                        }
                        span.sub { "due " (when(t.due_at)) @if let Some(x) = &t.text { " · " (x) } }
                        " " a href=(format!("/tasks/{}/edit", t.id.0)) aria-label=(format!("Edit: {}", t.title)) { "Edit" }
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

/// Due a day later than now or than it was due, whichever is later.
async fn snooze(
    State(st): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    UiForm(f): UiForm<CsrfForm>,
) -> Result<Response, Failure> {
    user.check_csrf(&f.csrf)?;
    let id = TaskId(super::id(&id)?);
    let principal = user.0.principal();
    let task = st.app.sales().task(&principal, id).await?;
    let from = task.due_at.max(Timestamp::now());
    let due = Timestamp::from_unix_micros(from.unix_micros() + DAY_MICROS).unwrap_or(from);
    let patch = TaskPatch {
        due_at: Some(due),
        ..TaskPatch::default()
    };
    st.app.sales().patch_task(&principal, id, &patch).await?;
    Ok(Redirect::to("/tasks").into_response())
}

/// Open again (a task closed by mistake); back to its contact's page.
async fn reopen(
    State(st): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    UiForm(f): UiForm<CsrfForm>,
) -> Result<Response, Failure> {
    user.check_csrf(&f.csrf)?;
    let id = TaskId(super::id(&id)?);
    let patch = TaskPatch {
        status: Some(TaskStatus::Open),
        ..TaskPatch::default()
    };
    let task = st
        .app
        .sales()
        .patch_task(&user.0.principal(), id, &patch)
        .await?;
    let back = task
        .contact_id
        .map_or_else(|| "/tasks".to_owned(), |c| format!("/contacts/{}", c.0));
    Ok(Redirect::to(&back).into_response())
}

/// A follow-up on the contact, due on the day and time given (UTC), for the user chosen or
/// this one. The form's id makes a second post of it add nothing.
async fn add(
    State(st): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    UiForm(f): UiForm<TaskForm>,
) -> Result<Response, Failure> {
    user.check_csrf(&f.csrf)?;
    let contact = ContactId(super::id(&id)?);
    let principal = user.0.principal();
    // Only someone who may see the contact adds to it.
    let c = st.app.contacts().contact(&principal, contact).await?;
    let mut errors = Vec::new();
    let title = match closer_domain::text::clean("title", &f.title) {
        Ok(Some(t)) => Some(t),
        Ok(None) => {
            errors.push(FieldError::new("title", "must not be empty"));
            None
        }
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let due_at = day_and_time(
        ("due_date", &f.due_date),
        ("due_time", &f.due_time),
        &mut errors,
    );
    let assignee = match f.assignee.as_deref().map(str::trim) {
        Some(a) if !a.is_empty() && user.0.may_assign() => Some(UserId(super::id(a)?)),
        _ => Some(user.0.user.id),
    };
    let (Some(title), Some(due_at)) = (title, due_at) else {
        // The form again on a page of its own: what was typed, each mistake by its field.
        let users = if user.0.may_assign() {
            st.app.access().users(user.0.user.workspace_id).await?
        } else {
            Vec::new()
        };
        let page = follow_up_page(&user, &c, &f, &errors, &users);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let req = TaskRequest {
        id: Some(TaskId(super::id(&f.once)?)),
        title,
        text: None,
        contact_id: Some(contact),
        deal_id: None,
        assignee_id: assignee,
        due_at,
    };
    st.app.sales().create_task(&principal, req).await?;
    Ok(Redirect::to(&format!("/contacts/{}", contact.0)).into_response())
}

/// The follow-up form of contact `c` as posted, with what was wrong next to each field.
fn follow_up_page(
    user: &Signed,
    c: &closer_domain::Contact,
    f: &TaskForm,
    errors: &[FieldError],
    users: &[closer_store::User],
) -> Markup {
    let notes = Notes(errors);
    let name = super::queue::display_name(c);
    let content = html! {
        h1 { "Add a follow-up for " (name) }
        form.stacked method="post" action=(format!("/contacts/{}/tasks", c.id.0)) {
            input type="hidden" name="csrf" value=(user.csrf());
            input type="hidden" name="once" value=(f.once);
            label for="task-title" { "What to do" }
            input #task-title name="title" value=(f.title) maxlength="200" aria-describedby=[notes.described("title")];
            (notes.about("title"))
            label for="task-date" { "Due day" }
            input #task-date type="date" name="due_date" value=(f.due_date) aria-describedby=[notes.described("due_date")];
            (notes.about("due_date"))
            label for="task-time" { "Time (UTC)" }
            input #task-time type="time" name="due_time" value=(f.due_time) aria-describedby=[notes.described("due_time")];
            (notes.about("due_time"))
            @if user.0.may_assign() {
                label for="task-assignee" { "Who does it" }
                select #task-assignee name="assignee" {
                    @for u in users {
                        option value=(u.id.0) selected[f.assignee.as_deref() == Some(u.id.0.to_string().as_str())] { (u.name) }
                    }
                }
            }
            button type="submit" { "Add task" }
        }
        p { a href=(format!("/contacts/{}", c.id.0)) { "Back to " (name) } }
    };
    page(&user.0, "Add a follow-up", "/tasks", false, &content)
}
