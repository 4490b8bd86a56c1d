//! `/api/v1/notifications`: a user's notifications (a hot lead given to them, a mention, a task
//! given to them, reminders of tasks due and overdue, idle deals, the morning digest), read
//! marks, and how they want each kind delivered. A token names the user by email (`user=`);
//! managers' and admins' tokens may. `/api/v1/settings/reminders`: the workspace's reminder
//! settings (admins).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use closer_app::Principal;
use closer_domain::notify::{Delivery, NoticeKind};
use closer_domain::reminders::Reminders;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiQuery};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(read_all))
        .routes(routes!(read_one))
        .routes(routes!(choices, set_choices))
        .routes(routes!(reminders, set_reminders))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Whose (their email); needed with a token, a signed-in user reads their own.
    #[param(max_length = 254)]
    user: Option<String>,
    /// Only those not read yet.
    unread: Option<bool>,
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserParam {
    /// Whose (their email); needed with a token, a signed-in user acts on their own.
    #[param(max_length = 254)]
    user: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct NotificationView {
    id: Uuid,
    /// `hot_lead`, `mention`, `task_assigned`, `task_due`, `task_overdue`, `deal_idle` or
    /// `digest`.
    #[schema(
        pattern = "^(hot_lead|mention|task_assigned|task_due|task_overdue|deal_idle|digest)$"
    )]
    kind: String,
    title: String,
    /// Where it leads in the web app (a path).
    link: String,
    created_at: String,
    read_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct NotificationList {
    items: Vec<NotificationView>,
}

/// How a user wants one kind of notification.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    #[schema(
        pattern = "^(hot_lead|mention|task_assigned|task_due|task_overdue|deal_idle|digest)$"
    )]
    kind: String,
    /// `in_app`, `email`, `both` or `none`.
    #[schema(pattern = "^(in_app|email|both|none)$")]
    delivery: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Choices {
    /// Every kind (the default, `both`, where none was chosen); a PUT changes the kinds named.
    #[schema(max_items = 10)]
    choices: Vec<Choice>,
}

/// The user's notifications, newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "contacts", params(ListParams),
    responses((status = 200, body = NotificationList),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn list_notifications(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<NotificationList>, ApiError> {
    let items = state
        .app
        .notifications(
            &principal,
            params.user.as_deref(),
            params.unread.unwrap_or(false),
            params.limit.unwrap_or(50),
        )
        .await?;
    Ok(Json(NotificationList {
        items: items
            .into_iter()
            .map(|n| NotificationView {
                id: n.id,
                kind: n.kind.as_str().to_owned(),
                title: n.title,
                link: n.link,
                created_at: n.created_at.to_string(),
                read_at: n.read_at.map(|t| t.to_string()),
            })
            .collect(),
    }))
}

/// Marks all of the user's notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "contacts", params(UserParam),
    responses((status = 204),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn read_all(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(params): ApiQuery<UserParam>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .mark_notifications_read(&principal, params.user.as_deref(), None)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Marks one notification read (again: no change).
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "contacts",
    params(("id" = Uuid, Path), UserParam),
    responses((status = 204),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn read_one(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<UserParam>,
) -> Result<StatusCode, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found("notification"))?;
    state
        .app
        .mark_notifications_read(&principal, params.user.as_deref(), Some(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn current(
    state: &AppState,
    principal: &Principal,
    user: Option<&str>,
) -> Result<Choices, ApiError> {
    let choices = state.app.notification_choices(principal, user).await?;
    Ok(Choices {
        choices: choices
            .into_iter()
            .map(|(k, d)| Choice {
                kind: k.as_str().to_owned(),
                delivery: d.as_str().to_owned(),
            })
            .collect(),
    })
}

/// How the user wants each kind: in the app, by e-mail, both or not at all.
#[utoipa::path(get, path = "/api/v1/notifications/settings", tag = "contacts", params(UserParam),
    responses((status = 200, body = Choices),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn choices(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(params): ApiQuery<UserParam>,
) -> Result<Json<Choices>, ApiError> {
    Ok(Json(
        current(&state, &principal, params.user.as_deref()).await?,
    ))
}

/// Changes how the user wants the kinds named; answers every kind's choice.
#[utoipa::path(put, path = "/api/v1/notifications/settings", tag = "contacts", params(UserParam),
    request_body = Choices,
    responses((status = 200, body = Choices),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn set_choices(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(params): ApiQuery<UserParam>,
    ApiJson(body): ApiJson<Choices>,
) -> Result<Json<Choices>, ApiError> {
    // Every choice is read before any is written: a mistake changes nothing.
    let mut parsed = Vec::new();
    let mut errors = Vec::new();
    for (i, c) in body.choices.iter().enumerate() {
        match (NoticeKind::parse(&c.kind), Delivery::parse(&c.delivery)) {
            (Ok(k), Ok(d)) => parsed.push((k, d)),
            (Err(e), _) | (_, Err(e)) => errors.push(closer_domain::FieldError::new(
                format!("choices[{i}].{}", e.field),
                e.message,
            )),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    for (kind, delivery) in parsed {
        state
            .app
            .set_notification_choice(&principal, params.user.as_deref(), kind, delivery)
            .await?;
    }
    Ok(Json(
        current(&state, &principal, params.user.as_deref()).await?,
    ))
}

/// A workspace's reminder settings.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReminderSettings {
    /// An owned open deal with no activity for this many days tells its owner; 0 is off.
    #[schema(minimum = 0, maximum = 365)]
    idle_deal_days: i64,
    /// The hour (UTC) from which each user's digest of the day's tasks is sent.
    #[schema(minimum = 0, maximum = 23)]
    digest_hour: i64,
}

impl From<Reminders> for ReminderSettings {
    fn from(r: Reminders) -> Self {
        Self {
            idle_deal_days: i64::from(r.idle_deal_days),
            digest_hour: i64::from(r.digest_hour),
        }
    }
}

/// The workspace's reminder settings.
#[utoipa::path(get, path = "/api/v1/settings/reminders", tag = "settings",
    responses((status = 200, body = ReminderSettings),
        (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn reminders(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<ReminderSettings>, ApiError> {
    Ok(Json(state.app.reminder_settings(&principal).await?.into()))
}

/// Changes the workspace's reminder settings.
#[utoipa::path(put, path = "/api/v1/settings/reminders", tag = "settings",
    request_body = ReminderSettings,
    responses((status = 200, body = ReminderSettings),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn set_reminders(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<ReminderSettings>,
) -> Result<Json<ReminderSettings>, ApiError> {
    let settings =
        Reminders::new(body.idle_deal_days, body.digest_hour).map_err(ApiError::invalid)?;
    state
        .app
        .set_reminder_settings(&principal, settings)
        .await?;
    Ok(Json(settings.into()))
}
