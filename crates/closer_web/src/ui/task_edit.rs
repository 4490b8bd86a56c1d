//! Editing a task in the app (`/tasks/{id}/edit`): what to do, notes, due day and time, who
//! does it, and deleting it. The form carries a digest of the task as it was read: when
//! someone changed it meanwhile, the page shows theirs beside what this user typed and saves
//! nothing.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use closer_domain::pipeline::{Task, TaskId, work};
use closer_domain::{FieldError, UserId};
use closer_store::TaskPatch;
use maud::{Markup, html};
use serde::Deserialize;

use super::confirm::ConfirmForm;
use super::form_notes::{Notes, fingerprint};
use super::format::when;
use super::layout::page;
use super::session::Signed;
use super::tasks::{day_and_time, day_time_fields};
use super::{Failure, UiForm};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tasks/{id}/edit", get(show).post(save))
        .route("/tasks/{id}/delete", post(delete))
}

#[derive(Deserialize, Default, Clone)]
struct TaskEditForm {
    csrf: String,
    /// `fingerprint` of the task when the form was drawn.
    #[serde(default)]
    read: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    due_date: String,
    #[serde(default)]
    due_time: String,
    /// A user's id, or empty for nobody; absent for someone who may not assign.
    assignee: Option<String>,
}

impl TaskEditForm {
    fn of(t: &Task) -> Self {
        let (due_date, due_time) = day_time_fields(t.due_at);
        Self {
            csrf: String::new(),
            read: fingerprint(t),
            title: t.title.clone(),
            text: t.text.clone().unwrap_or_default(),
            due_date,
            due_time,
            assignee: Some(t.assignee_id.map(|a| a.0.to_string()).unwrap_or_default()),
        }
    }

    /// The patch the form asks for: every field, each mistake named by its field.
    fn patch(&self, may_assign: bool) -> Result<TaskPatch, Vec<FieldError>> {
        let mut errors = Vec::new();
        let title = match work::label("title", &self.title, 200) {
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
        let text = work::body("text", &self.text)
            .map_err(|e| errors.push(e))
            .ok();
        let due_at = day_and_time(
            ("due_date", &self.due_date),
            ("due_time", &self.due_time),
            &mut errors,
        );
        let assignee_id = match self.assignee.as_deref().map(str::trim) {
            Some(a) if may_assign => match a {
                "" => Some(None),
                id => {
                    let user = uuid::Uuid::parse_str(id).ok().map(UserId);
                    if user.is_none() {
                        errors.push(FieldError::new(
                            "assignee_id",
                            "is not one of the workspace's users",
                        ));
                    }
                    user.map(Some)
                }
            },
            _ => None,
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(TaskPatch {
            title,
            text,
            due_at,
            assignee_id,
            ..TaskPatch::default()
        })
    }
}

/// Where a task's pages lead back to: its contact, or the task list.
fn back(t: &Task) -> String {
    t.contact_id
        .map_or_else(|| "/tasks".to_owned(), |c| format!("/contacts/{}", c.0))
}

async fn show(
    State(st): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
) -> Result<Markup, Failure> {
    let id = TaskId(super::id(&id)?);
    let t = st.app.sales().task(&user.0.principal(), id).await?;
    form_page(&st, &user, &t, &TaskEditForm::of(&t), &[], None).await
}

async fn save(
    State(st): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    UiForm(f): UiForm<TaskEditForm>,
) -> Result<Response, Failure> {
    user.check_csrf(&f.csrf)?;
    let id = TaskId(super::id(&id)?);
    let principal = user.0.principal();
    let stored = st.app.sales().task(&principal, id).await?;
    // Changed by someone since this form was drawn: theirs beside this one's, nothing saved.
    if fingerprint(&stored) != f.read {
        let again = TaskEditForm {
            read: fingerprint(&stored),
            ..f.clone()
        };
        let page = form_page(&st, &user, &stored, &again, &[], Some(&stored)).await?;
        return Ok((StatusCode::CONFLICT, page).into_response());
    }
    let result = match f.patch(user.0.may_assign()) {
        Ok(patch) => st.app.sales().patch_task(&principal, id, &patch).await,
        Err(errors) => Err(closer_app::AppError::Invalid(errors)),
    };
    match result {
        Ok(t) => Ok(Redirect::to(&back(&t)).into_response()),
        Err(closer_app::AppError::Invalid(errors)) => {
            let page = form_page(&st, &user, &stored, &f, &errors, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn delete(
    State(st): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    UiForm(f): UiForm<ConfirmForm>,
) -> Result<Response, Failure> {
    user.check_csrf(&f.csrf)?;
    f.check()?;
    let id = TaskId(super::id(&id)?);
    let principal = user.0.principal();
    let t = st.app.sales().task(&principal, id).await?;
    st.app.sales().delete_task(&principal, id).await?;
    Ok(Redirect::to(&back(&t)).into_response())
}

async fn form_page(
    st: &AppState,
    user: &Signed,
    t: &Task,
    f: &TaskEditForm,
    errors: &[FieldError],
    theirs: Option<&Task>,
) -> Result<Markup, Failure> {
    let assigns = user.0.may_assign();
    let users = if assigns {
        st.app.access().users(user.0.user.workspace_id).await?
    } else {
        Vec::new()
    };
    let name = |id: Option<UserId>| {
        id.and_then(|id| users.iter().find(|u| u.id == id))
            .map_or_else(|| "nobody".to_owned(), |u| u.name.clone())
    };
    let notes = Notes(errors);
    let content = html! {
        h1 { "Edit task: " (t.title) }
        @if let Some(t) = theirs {
            section.conflict role="alert" aria-labelledby="conflict-h" {
                h2 #conflict-h { "Someone changed this task while you were editing it" }
                p { "Nothing of yours was saved. This is what is stored now; your changes are still in the form below. Save again to put yours over theirs." }
                dl {
                    dt { "What to do" } dd { (t.title) }
                    dt { "Notes" } dd { (t.text.as_deref().unwrap_or("—")) }
                    dt { "Due" } dd { (when(t.due_at)) }
                    dt { "Status" } dd { (t.status.as_str()) }
                    @if assigns { dt { "Who does it" } dd { (name(t.assignee_id)) } }
                }
            }
        }
        form.stacked method="post" action=(format!("/tasks/{}/edit", t.id.0)) novalidate {
            input type="hidden" name="csrf" value=(user.csrf());
            input type="hidden" name="read" value=(f.read);
            label for="task-edit-title" { "What to do" }
            input #task-edit-title name="title" value=(f.title) maxlength="200" aria-describedby=[notes.described("title")];
            (notes.about("title"))
            label for="task-edit-text" { "Notes" }
            textarea #task-edit-text name="text" rows="3" aria-describedby=[notes.described("text")] { (f.text) }
            (notes.about("text"))
            label for="task-edit-date" { "Due day" }
            input #task-edit-date type="date" name="due_date" value=(f.due_date) aria-describedby=[notes.described("due_date")];
            (notes.about("due_date"))
            label for="task-edit-time" { "Time (UTC)" }
            input #task-edit-time type="time" name="due_time" value=(f.due_time) aria-describedby=[notes.described("due_time")];
            (notes.about("due_time"))
            @if assigns {
                label for="task-edit-assignee" { "Who does it" }
                select #task-edit-assignee name="assignee" aria-describedby=[notes.described("assignee_id")] {
                    option value="" { "Nobody" }
                    @for u in &users {
                        option value=(u.id.0) selected[f.assignee.as_deref() == Some(u.id.0.to_string().as_str())] { (u.name) }
                    }
                }
                (notes.about("assignee_id"))
            }
            button type="submit" { "Save" }
        }
        h2 { "Delete" }
        (super::confirm::form(&format!("/tasks/{}/delete", t.id.0), user.csrf(), &format!("Delete the task \u{201c}{}\u{201d}", t.title), "Delete task"))
        p { a href=(back(t)) { "Back" } }
    };
    Ok(page(
        &user.0,
        &format!("Edit {}", t.title),
        "/tasks",
        false,
        &content,
    ))
}
