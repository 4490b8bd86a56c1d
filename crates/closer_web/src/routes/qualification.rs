//! `/api/v1/rules` (the workspace's qualification rules, as TOML), a contact's
//! `/qualification` (every verdict explained) and `/api/v1/queue` (the sales queue).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use closer_app::{Principal, QueueQuery};
use closer_domain::Stage;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::contacts::{bad, contact_id, owner_filter};
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiQuery, RawBody};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_rules, put_rules))
        .routes(routes!(qualification))
        .routes(routes!(queue))
}

/// The rules in force, as the TOML file (the shipped defaults until replaced).
#[utoipa::path(get, path = "/api/v1/rules", tag = "qualification",
    responses((status = 200, description = "The rules file", content_type = "application/toml", body = String)),
    security(("bearer" = [])))]
async fn get_rules(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Response, ApiError> {
    let rules = state.app.scoring().rules(&principal).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/toml; charset=utf-8")],
        rules.source.clone(),
    )
        .into_response())
}

#[derive(Serialize, ToSchema)]
pub struct RulesApplied {
    pub engagement_rules: usize,
    pub fit_rules: usize,
}

/// Replace the rules (admin token): the body is the TOML file. Every problem is reported with
/// its line and field; nothing is stored unless the whole file is valid.
#[utoipa::path(put, path = "/api/v1/rules", tag = "qualification",
    request_body(content = String, content_type = "application/toml"),
    responses(
        (status = 200, body = RulesApplied),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The file's problems, each `line N: why` under its field", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
async fn put_rules(
    State(state): State<AppState>,
    principal: Principal,
    RawBody(body): RawBody,
) -> Result<Json<RulesApplied>, ApiError> {
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::bad_request("the rules file must be UTF-8 text"))?;
    let rules = state.app.scoring().put_rules(&principal, text).await?;
    Ok(Json(RulesApplied {
        engagement_rules: rules.engagement.len(),
        fit_rules: rules.fit.len(),
    }))
}

/// Why a contact has its fit and engagement scores, temperature and stage: every rule that
/// counted, with its points and their decayed worth now, the latest contributions, the reasons,
/// and the touches before each stage change.
#[utoipa::path(get, path = "/api/v1/contacts/{id}/qualification", tag = "qualification",
    params(("id" = uuid::Uuid, Path, description = "Contact id")),
    responses((status = 200, body = Object), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn qualification(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<closer_app::Qualification>, ApiError> {
    let id = contact_id(&id)?;
    Ok(Json(
        state.app.scoring().qualification(&principal, id).await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QueueParams {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// `lead` or `prospect`; both by default.
    #[param(pattern = "^(lead|prospect)$")]
    stage: Option<String>,
    /// A user id, or `none` for unassigned contacts.
    #[param(
        pattern = "^(none|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    owner: Option<String>,
    /// `priority` (default: hottest first) or `-value` (highest predicted customer value
    /// first, from the lifetime-value fit; each item then carries `expected_value`).
    #[param(pattern = "^(priority|-value)$")]
    sort: Option<String>,
}

#[derive(Serialize)]
pub struct QueueView {
    pub items: Vec<closer_app::QueueItem>,
    /// More open contacts exist than the queue orders (see the README).
    pub truncated: bool,
}

/// The sales queue: open leads and prospects, hot first, then by engagement, fit, and time
/// waiting; with the time since the lead arrived and since a person last moved it.
#[utoipa::path(get, path = "/api/v1/queue", tag = "qualification", params(QueueParams),
    responses((status = 200, body = Object), (status = 400, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn queue(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(params): ApiQuery<QueueParams>,
) -> Result<Json<QueueView>, ApiError> {
    let only = params
        .stage
        .as_deref()
        .map(|s| Stage::parse(s).map_err(|e| bad("stage", &e.message)))
        .transpose()?;
    let owner = owner_filter(params.owner.as_deref())?;
    let by_value = match params.sort.as_deref() {
        None | Some("priority") => false,
        Some("-value") => true,
        Some(_) => return Err(bad("sort", "must be priority or -value")),
    };
    let query = QueueQuery {
        limit: params.limit.unwrap_or(50),
        stage: only,
        owner,
        by_value,
    };
    let (items, truncated) = state.app.queue().queue(&principal, &query).await?;
    Ok(Json(QueueView { items, truncated }))
}
