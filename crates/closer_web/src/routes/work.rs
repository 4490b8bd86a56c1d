//! `/api/v1/contacts/{id}/activities`, `/api/v1/tasks` and `/api/v1/orders`: the rep's log,
//! follow-ups (overdue lists per rep), and orders placed directly.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use closer_app::Principal;
use closer_domain::pipeline::{ActivityId, TaskId, TaskStatus};
use closer_domain::{ContactId, Timestamp, UserId};
use closer_store::TaskQuery;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::contacts::{bad, contact_id};
use super::deals::uuid_param;
use super::deals_dto::OrderView;
use super::work_dto::{
    ActivityInput, ActivityPatchInput, ActivityView, OrderInput, TaskInput, TaskPatchInput,
    TaskView,
};
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiQuery};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(log_activity, list_activities))
        .routes(routes!(create_task, list_tasks))
        .routes(routes!(get_activity, patch_activity, delete_activity))
        .routes(routes!(patch_task, delete_task))
        .routes(routes!(place_order, list_orders))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LimitParams {
    /// 1–500, default 100.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

/// Log an activity on a contact. A call, email, meeting or demo is a human touch: the first
/// one is the contact's speed-to-lead, and completes its first-contact task.
#[utoipa::path(post, path = "/api/v1/contacts/{id}/activities", tag = "pipeline", request_body = ActivityInput,
    params(("id" = Uuid, Path, description = "Contact id")),
    responses((status = 201, body = ActivityView), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn log_activity(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ActivityInput>,
) -> Result<Response, ApiError> {
    let contact = contact_id(&id)?;
    state.app.contacts().contact(&principal, contact).await?;
    let req = input.parse(contact).map_err(ApiError::invalid)?;
    let a = state.app.sales().log_activity(&principal, req).await?;
    Ok((StatusCode::CREATED, Json(ActivityView::from(a))).into_response())
}

/// The contact's activities, newest first.
#[utoipa::path(get, path = "/api/v1/contacts/{id}/activities", tag = "pipeline",
    params(("id" = Uuid, Path, description = "Contact id"), LimitParams),
    responses((status = 200, body = Vec<ActivityView>), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn list_activities(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<LimitParams>,
) -> Result<Json<Vec<ActivityView>>, ApiError> {
    let all = state
        .app
        .sales()
        .activities(
            principal.workspace_id,
            contact_id(&id)?,
            p.limit.unwrap_or(100),
        )
        .await?;
    Ok(Json(all.into_iter().map(ActivityView::from).collect()))
}

/// Schedule a follow-up.
#[utoipa::path(post, path = "/api/v1/tasks", tag = "pipeline", request_body = TaskInput,
    responses((status = 201, body = TaskView), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn create_task(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<TaskInput>,
) -> Result<Response, ApiError> {
    let req = input.parse().map_err(ApiError::invalid)?;
    let t = state.app.sales().create_task(&principal, req).await?;
    let id = t.id;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/tasks/{id}"))],
        Json(TaskView::new(t, Timestamp::now())),
    )
        .into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TaskParams {
    /// A user id: that rep's tasks.
    #[param(format = Uuid)]
    assignee_id: Option<String>,
    #[param(format = Uuid)]
    contact_id: Option<String>,
    /// open (default), done, cancelled, or all.
    #[param(pattern = "^(open|done|cancelled|all)$")]
    status: Option<String>,
    /// Only open tasks already past due.
    overdue: Option<bool>,
    /// Only tasks due before this RFC 3339 time (today's: the end of today).
    #[param(format = DateTime)]
    due_before: Option<String>,
    /// 1–500, default 100.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

/// Tasks, soonest due first: a rep's, a contact's, the overdue ones.
#[utoipa::path(get, path = "/api/v1/tasks", tag = "pipeline", params(TaskParams),
    responses((status = 200, body = Vec<TaskView>), (status = 400, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn list_tasks(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(p): ApiQuery<TaskParams>,
) -> Result<Json<Vec<TaskView>>, ApiError> {
    let now = Timestamp::now();
    let status = match p.status.as_deref() {
        None => Some(TaskStatus::Open),
        Some("all") => None,
        Some(s) => Some(TaskStatus::parse(s).map_err(|e| bad("status", &e.message))?),
    };
    let mut due_before = p
        .due_before
        .as_deref()
        .map(|t| {
            Timestamp::parse_rfc3339(t).ok_or_else(|| bad("due_before", "must be an RFC 3339 time"))
        })
        .transpose()?;
    if p.overdue == Some(true) {
        if status != Some(TaskStatus::Open) {
            // Each value is well-formed; together they ask for nothing: a rule, so 422.
            return Err(ApiError::invalid(vec![closer_domain::FieldError::new(
                "overdue",
                "only open tasks are overdue",
            )]));
        }
        due_before = Some(due_before.map_or(now, |d| d.min(now)));
    }
    let query = TaskQuery {
        assignee: uuid_param("assignee_id", p.assignee_id.as_deref())?.map(UserId),
        contact: uuid_param("contact_id", p.contact_id.as_deref())?.map(ContactId),
        status,
        due_before,
        limit: p.limit.unwrap_or(100),
    };
    let tasks = state.app.sales().list_tasks(&principal, query).await?;
    Ok(Json(
        tasks.into_iter().map(|t| TaskView::new(t, now)).collect(),
    ))
}

/// Mark a task done or cancelled, move it, or reassign it.
#[utoipa::path(patch, path = "/api/v1/tasks/{id}", tag = "pipeline", request_body = TaskPatchInput,
    params(("id" = Uuid, Path, description = "Task id")),
    responses((status = 200, body = TaskView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn patch_task(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<TaskPatchInput>,
) -> Result<Json<TaskView>, ApiError> {
    let id = task_id(&id)?;
    let patch = input.parse().map_err(ApiError::invalid)?;
    let t = state.app.sales().patch_task(&principal, id, &patch).await?;
    Ok(Json(TaskView::new(t, Timestamp::now())))
}

/// Delete a task.
#[utoipa::path(delete, path = "/api/v1/tasks/{id}", tag = "pipeline",
    params(("id" = Uuid, Path, description = "Task id")),
    responses((status = 204, description = "Deleted"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn delete_task(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .sales()
        .delete_task(&principal, task_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn task_id(raw: &str) -> Result<TaskId, ApiError> {
    super::path_id(raw, "a task").map(TaskId)
}

fn activity_id(raw: &str) -> Result<ActivityId, ApiError> {
    super::path_id(raw, "an activity").map(ActivityId)
}

/// An activity.
#[utoipa::path(get, path = "/api/v1/activities/{id}", tag = "pipeline",
    params(("id" = Uuid, Path, description = "Activity id")),
    responses((status = 200, body = ActivityView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn get_activity(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<ActivityView>, ApiError> {
    let a = state
        .app
        .sales()
        .activity(&principal, activity_id(&id)?)
        .await?;
    Ok(Json(ActivityView::from(a)))
}

/// Correct a logged activity: its kind, time, outcome or text. The contact's first touch
/// (speed-to-lead) follows.
#[utoipa::path(patch, path = "/api/v1/activities/{id}", tag = "pipeline", request_body = ActivityPatchInput,
    params(("id" = Uuid, Path, description = "Activity id")),
    responses((status = 200, body = ActivityView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn patch_activity(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ActivityPatchInput>,
) -> Result<Json<ActivityView>, ApiError> {
    let id = activity_id(&id)?;
    let patch = input.parse().map_err(ApiError::invalid)?;
    let a = state
        .app
        .sales()
        .edit_activity(&principal, id, &patch)
        .await?;
    Ok(Json(ActivityView::from(a)))
}

/// Delete a logged activity. The contact's first touch is the earliest one left.
#[utoipa::path(delete, path = "/api/v1/activities/{id}", tag = "pipeline",
    params(("id" = Uuid, Path, description = "Activity id")),
    responses((status = 204, description = "Deleted"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn delete_activity(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .sales()
        .delete_activity(&principal, activity_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Record an order a customer placed directly (a repeat purchase); the contact becomes a
/// customer.
#[utoipa::path(post, path = "/api/v1/orders", tag = "pipeline", request_body = OrderInput,
    responses((status = 201, body = OrderView), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn place_order(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<OrderInput>,
) -> Result<Response, ApiError> {
    let req = input.parse().map_err(ApiError::invalid)?;
    let o = state.app.sales().place_order(&principal, req).await?;
    Ok((StatusCode::CREATED, Json(OrderView::from(o))).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OrderParams {
    #[param(format = Uuid)]
    contact_id: Option<String>,
    /// 1–500, default 100.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

/// Orders, newest first (a contact's, or the workspace's).
#[utoipa::path(get, path = "/api/v1/orders", tag = "pipeline", params(OrderParams),
    responses((status = 200, body = Vec<OrderView>), (status = 400, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn list_orders(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(p): ApiQuery<OrderParams>,
) -> Result<Json<Vec<OrderView>>, ApiError> {
    let contact = uuid_param("contact_id", p.contact_id.as_deref())?.map(ContactId);
    let orders = state
        .app
        .sales()
        .orders(&principal, contact, p.limit.unwrap_or(100))
        .await?;
    Ok(Json(orders.into_iter().map(OrderView::from).collect()))
}
