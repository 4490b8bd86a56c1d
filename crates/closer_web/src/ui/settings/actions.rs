//! The settings page's forms. Each checks the admin and the CSRF token, calls the use case,
//! and goes back to its section; secrets made here (an invite link, an API token) are shown
//! once, on a page of their own.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use closer_app::AppError;
use closer_domain::pipeline::{PipelineId, PipelineInput, PipelineStageId, StageInput};
use closer_domain::reminders::Reminders;
use closer_domain::{FieldError, Role, UserId};
use maud::html;
use serde::Deserialize;

use super::super::layout::page;
use super::super::session::Signed;
use super::super::{CsrfForm, Failure, UiForm, id};
use super::{Drafts, ReminderDraft, RulesDraft, admin, render};
use crate::AppState;

#[derive(Deserialize)]
pub(super) struct SiteForm {
    csrf: String,
    domain: String,
}

#[derive(Deserialize)]
pub(super) struct NewForm {
    csrf: String,
    name: String,
    #[serde(default)]
    redirect: String,
}

#[derive(Deserialize)]
pub(super) struct UserForm {
    csrf: String,
    email: String,
    name: String,
    role: String,
}

#[derive(Deserialize)]
pub(super) struct TokenForm {
    csrf: String,
    #[serde(default)]
    label: String,
    role: String,
}

#[derive(Deserialize)]
pub(super) struct RulesForm {
    csrf: String,
    source: String,
}

#[derive(Deserialize)]
pub(super) struct RemindersForm {
    csrf: String,
    idle_deal_days: String,
    digest_hour: String,
}

pub(super) fn checked(user: &Signed, csrf: &str) -> Result<(), Failure> {
    user.check_csrf(csrf)?;
    admin(user)
}

pub(super) fn back(section: &str) -> Response {
    Redirect::to(&format!("/settings#{section}")).into_response()
}

/// A secret shown once, with what it is for.
fn shown_once(user: &Signed, title: &str, what: &str, secret: &str) -> Response {
    let content = html! {
        h1 { (title) }
        p { (what) }
        p { code.secret { (secret) } }
        p.hint { "It is shown only now: copy it before you leave this page." }
        p { a href="/settings" { "Back to settings" } }
    };
    page(&user.0, title, "/settings", false, &content).into_response()
}

pub(super) async fn add_site(
    State(st): State<AppState>,
    user: Signed,
    UiForm(f): UiForm<SiteForm>,
) -> Result<Response, Failure> {
    checked(&user, &f.csrf)?;
    st.app
        .traffic()
        .add_site(user.0.user.workspace_id, &f.domain)
        .await?;
    Ok(back("sites"))
}

pub(super) async fn add_form(
    State(st): State<AppState>,
    user: Signed,
    UiForm(f): UiForm<NewForm>,
) -> Result<Response, Failure> {
    checked(&user, &f.csrf)?;
    let redirect = Some(f.redirect.trim()).filter(|r| !r.is_empty());
    st.app
        .forms()
        .create_form(&user.0.principal(), &f.name, redirect)
        .await?;
    Ok(back("forms"))
}

pub(super) async fn add_user(
    State(st): State<AppState>,
    user: Signed,
    UiForm(f): UiForm<UserForm>,
) -> Result<Response, Failure> {
    checked(&user, &f.csrf)?;
    st.app
        .access()
        .add_user_to(&user.0.principal(), &f.email, &f.name, &f.role)
        .await?;
    Ok(back("users"))
}

pub(super) async fn invite(
    State(st): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    UiForm(f): UiForm<CsrfForm>,
) -> Result<Response, Failure> {
    checked(&user, &f.csrf)?;
    let id = UserId(super::super::id(&id)?);
    let ws = user.0.user.workspace_id;
    let secret = st.app.auth().invite_user(ws, id).await?;
    let link = format!("{}/invite/{secret}", st.public_url.trim_end_matches('/'));
    Ok(shown_once(
        &user,
        "Invite link",
        "Send this link to the user: it lets them set their password once, within 7 days.",
        &link,
    ))
}

pub(super) async fn add_token(
    State(st): State<AppState>,
    user: Signed,
    UiForm(f): UiForm<TokenForm>,
) -> Result<Response, Failure> {
    checked(&user, &f.csrf)?;
    let role = Role::parse(&f.role).map_err(AppError::from)?;
    let slug = st
        .app
        .access()
        .workspace(user.0.user.workspace_id)
        .await?
        .slug;
    let label = Some(f.label.trim().to_owned()).filter(|l| !l.is_empty());
    let token = st
        .app
        .access()
        .create_token(&slug.to_string(), role, label)
        .await?;
    Ok(shown_once(
        &user,
        "New API token",
        "Send it as `Authorization: Bearer <token>`.",
        &token.secret,
    ))
}

pub(super) async fn revoke_token(
    State(st): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    UiForm(f): UiForm<CsrfForm>,
) -> Result<Response, Failure> {
    checked(&user, &f.csrf)?;
    let slug = st
        .app
        .access()
        .workspace(user.0.user.workspace_id)
        .await?
        .slug;
    st.app.access().revoke_token(&slug.to_string(), &id).await?;
    Ok(back("tokens"))
}

pub(super) async fn put_rules(
    State(st): State<AppState>,
    user: Signed,
    UiForm(f): UiForm<RulesForm>,
) -> Result<Response, Failure> {
    checked(&user, &f.csrf)?;
    match st
        .app
        .scoring()
        .put_rules(&user.0.principal(), &f.source)
        .await
    {
        Ok(_) => Ok(back("rules")),
        // Refused: the page again, the text kept, each problem listed.
        Err(AppError::Invalid(errors)) => {
            let draft = RulesDraft {
                source: f.source,
                errors: errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect(),
            };
            let drafts = Drafts {
                rules: Some(draft),
                ..Drafts::default()
            };
            let page = render(&st, &user, drafts).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The stage rows of the pipeline form, in order: fields repeat once per row.
fn stage_rows(pairs: &[(String, String)]) -> Result<Vec<StageInput>, Failure> {
    let column = |name: &str| -> Vec<&str> {
        pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .collect()
    };
    let (ids, names) = (column("stage_id"), column("stage_name"));
    let (probs, forecasts, kinds) = (
        column("stage_probability"),
        column("stage_forecast"),
        column("stage_kind"),
    );
    let n = names.len();
    if [ids.len(), probs.len(), forecasts.len(), kinds.len()] != [n; 4] || n > 50 {
        return Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The stage rows are incomplete: reload the page and try again.",
        ));
    }
    let mut out = Vec::new();
    for i in 0..n {
        if names[i].is_empty() {
            continue;
        }
        let probability = match probs[i] {
            "" => None,
            p => Some(p.parse::<u8>().map_err(|_| {
                Failure::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!(
                        "Stage {:?}: the win probability is a whole percent, 0–100.",
                        names[i]
                    ),
                )
            })?),
        };
        let opt = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty());
        out.push(StageInput {
            id: if ids[i].is_empty() {
                None
            } else {
                Some(PipelineStageId(id(ids[i])?))
            },
            name: names[i].to_owned(),
            probability,
            forecast: opt(forecasts[i]),
            kind: opt(kinds[i]),
        });
    }
    Ok(out)
}

pub(super) async fn put_pipeline(
    State(st): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    UiForm(pairs): UiForm<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    let field = |k: &str| {
        pairs
            .iter()
            .find(|(name, _)| name == k)
            .map_or("", |(_, v)| v.as_str())
    };
    checked(&user, field("csrf"))?;
    let input = PipelineInput {
        name: field("name").to_owned(),
        stages: stage_rows(&pairs)?,
    };
    let id = PipelineId(super::super::id(&id)?);
    st.app
        .sales()
        .replace_pipeline(&user.0.principal(), id, &input)
        .await?;
    Ok(back("pipelines"))
}

pub(super) async fn put_reminders(
    State(st): State<AppState>,
    user: Signed,
    UiForm(f): UiForm<RemindersForm>,
) -> Result<Response, Failure> {
    checked(&user, &f.csrf)?;
    let number = |field: &str, raw: &str| {
        raw.trim()
            .parse::<i64>()
            .map_err(|_| FieldError::new(field, "must be a whole number"))
    };
    let parsed = match (
        number("idle_deal_days", &f.idle_deal_days),
        number("digest_hour", &f.digest_hour),
    ) {
        (Ok(days), Ok(hour)) => Reminders::new(days, hour),
        (days, hour) => Err([days.err(), hour.err()].into_iter().flatten().collect()),
    };
    match parsed {
        Ok(settings) => {
            st.app
                .set_reminder_settings(&user.0.principal(), settings)
                .await?;
            Ok(back("reminders"))
        }
        // Refused: the page again, the values kept, each mistake beside its field.
        Err(errors) => {
            let drafts = Drafts {
                reminders: Some(ReminderDraft {
                    idle_deal_days: f.idle_deal_days,
                    digest_hour: f.digest_hour,
                    errors,
                }),
                ..Drafts::default()
            };
            let page = render(&st, &user, drafts).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}
