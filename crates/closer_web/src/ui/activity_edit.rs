//! Correcting a logged activity in the app (`/activities/{id}/edit`): what it was, when, how
//! it went, what was said; and deleting it. As with tasks, the form carries a digest of the
//! activity as read, so a change made meanwhile is shown, not overwritten.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use closer_domain::FieldError;
use closer_domain::pipeline::{Activity, ActivityId, ActivityKind, ActivityPatch, work};
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
        .route("/activities/{id}/edit", get(show).post(save))
        .route("/activities/{id}/delete", post(delete))
}

#[derive(Deserialize, Default, Clone)]
struct ActivityForm {
    csrf: String,
    /// `fingerprint` of the activity when the form was drawn.
    #[serde(default)]
    read: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    time: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    text: String,
}

impl ActivityForm {
    fn of(a: &Activity) -> Self {
        let (day, time) = day_time_fields(a.occurred_at);
        Self {
            csrf: String::new(),
            read: fingerprint(a),
            kind: a.kind.as_str().to_owned(),
            day,
            time,
            outcome: a.outcome.clone().unwrap_or_default(),
            text: a.text.clone().unwrap_or_default(),
        }
    }

    /// The patch: every field as the form has it, each mistake named by its field. The time
    /// is kept to the second it had when the form did not change its minute.
    fn patch(&self, stored: &Activity) -> Result<ActivityPatch, Vec<FieldError>> {
        let mut errors = Vec::new();
        let kind = ActivityKind::parse(&self.kind)
            .map_err(|e| errors.push(e))
            .ok();
        let at = day_and_time(("day", &self.day), ("time", &self.time), &mut errors);
        let outcome = work::label("outcome", &self.outcome, 200)
            .map_err(|e| errors.push(e))
            .ok();
        let text = work::body("text", &self.text)
            .map_err(|e| errors.push(e))
            .ok();
        if !errors.is_empty() {
            return Err(errors);
        }
        let same_minute =
            at.is_some_and(|t| day_time_fields(t) == day_time_fields(stored.occurred_at));
        Ok(ActivityPatch {
            kind,
            occurred_at: if same_minute { None } else { at },
            outcome,
            text,
        })
    }
}

fn back(a: &Activity) -> String {
    format!("/contacts/{}", a.contact_id.0)
}

async fn show(
    State(st): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
) -> Result<Markup, Failure> {
    let id = ActivityId(super::id(&id)?);
    let a = st.app.sales().activity(&user.0.principal(), id).await?;
    Ok(form_page(&user, &a, &ActivityForm::of(&a), &[], None))
}

async fn save(
    State(st): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    UiForm(f): UiForm<ActivityForm>,
) -> Result<Response, Failure> {
    user.check_csrf(&f.csrf)?;
    let id = ActivityId(super::id(&id)?);
    let principal = user.0.principal();
    let stored = st.app.sales().activity(&principal, id).await?;
    if fingerprint(&stored) != f.read {
        let again = ActivityForm {
            read: fingerprint(&stored),
            ..f.clone()
        };
        let page = form_page(&user, &stored, &again, &[], Some(&stored));
        return Ok((StatusCode::CONFLICT, page).into_response());
    }
    let result = match f.patch(&stored) {
        Ok(patch) => st.app.sales().edit_activity(&principal, id, &patch).await,
        Err(errors) => Err(closer_app::AppError::Invalid(errors)),
    };
    match result {
        Ok(a) => Ok(Redirect::to(&back(&a)).into_response()),
        Err(closer_app::AppError::Invalid(mut errors)) => {
            // The API names the time `occurred_at`; this form has it as day and time.
            for e in &mut errors {
                if e.field == "occurred_at" {
                    e.field = "day".into();
                }
            }
            let page = form_page(&user, &stored, &f, &errors, None);
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
    let id = ActivityId(super::id(&id)?);
    let principal = user.0.principal();
    let a = st.app.sales().activity(&principal, id).await?;
    st.app.sales().delete_activity(&principal, id).await?;
    Ok(Redirect::to(&back(&a)).into_response())
}

fn form_page(
    user: &Signed,
    a: &Activity,
    f: &ActivityForm,
    errors: &[FieldError],
    theirs: Option<&Activity>,
) -> Markup {
    let notes = Notes(errors);
    let title = format!("Edit {} of {}", a.kind.as_str(), when(a.occurred_at));
    let content = html! {
        h1 { (title) }
        @if let Some(t) = theirs {
            section.conflict role="alert" aria-labelledby="conflict-h" {
                h2 #conflict-h { "Someone changed this activity while you were editing it" }
                p { "Nothing of yours was saved. This is what is stored now; your changes are still in the form below. Save again to put yours over theirs." }
                dl {
                    dt { "What" } dd { (t.kind.as_str()) }
                    dt { "When" } dd { (when(t.occurred_at)) }
                    dt { "Outcome" } dd { (t.outcome.as_deref().unwrap_or("—")) }
                    dt { "Notes" } dd { (t.text.as_deref().unwrap_or("—")) }
                }
            }
        }
        form.stacked method="post" action=(format!("/activities/{}/edit", a.id.0)) novalidate {
            input type="hidden" name="csrf" value=(user.csrf());
            input type="hidden" name="read" value=(f.read);
            label for="act-edit-kind" { "What" }
            select #act-edit-kind name="kind" aria-describedby=[notes.described("kind")] {
                @for k in ActivityKind::ALL {
                    option value=(k.as_str()) selected[f.kind == k.as_str()] { (k.as_str()) }
                }
            }
            (notes.about("kind"))
            label for="act-edit-day" { "Day" }
            input #act-edit-day type="date" name="day" value=(f.day) aria-describedby=[notes.described("day")];
            (notes.about("day"))
            label for="act-edit-time" { "Time (UTC)" }
            input #act-edit-time type="time" name="time" value=(f.time) aria-describedby=[notes.described("time")];
            (notes.about("time"))
            label for="act-edit-outcome" { "Outcome" }
            input #act-edit-outcome name="outcome" value=(f.outcome) maxlength="200" aria-describedby=[notes.described("outcome")];
            (notes.about("outcome"))
            label for="act-edit-text" { "Notes" }
            textarea #act-edit-text name="text" rows="4" aria-describedby=[notes.described("text")] { (f.text) }
            (notes.about("text"))
            button type="submit" { "Save" }
        }
        h2 { "Delete" }
        (super::confirm::form(&format!("/activities/{}/delete", a.id.0), user.csrf(), &format!("Delete this {}", a.kind.as_str()), "Delete activity"))
        p { a href=(back(a)) { "Back to the contact" } }
    };
    page(&user.0, &title, "", false, &content)
}
