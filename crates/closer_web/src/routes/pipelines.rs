//! `/api/v1/pipelines` and `/api/v1/loss-reasons`: read by everyone, changed by admins.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use closer_app::Principal;
use closer_domain::pipeline::{LossReason, PipelineId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::deals_dto::{LossReasonsDto, PipelineInputDto, PipelineView};
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::ApiJson;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_pipelines, create_pipeline))
        .routes(routes!(get_pipeline, replace_pipeline))
        .routes(routes!(get_loss_reasons, put_loss_reasons))
}

pub(super) fn pipeline_id(raw: &str) -> Result<PipelineId, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::field(
            StatusCode::BAD_REQUEST,
            "bad-id",
            "id",
            "is not a pipeline id (a UUID)",
        )
    })
}

/// The workspace's pipelines with their stages, the default first (made on first use).
#[utoipa::path(get, path = "/api/v1/pipelines", tag = "pipeline",
    responses((status = 200, body = Vec<PipelineView>)), security(("bearer" = [])))]
async fn list_pipelines(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<PipelineView>>, ApiError> {
    let all = state.app.sales().pipelines(principal.workspace_id).await?;
    Ok(Json(all.iter().map(PipelineView::from).collect()))
}

/// Add a pipeline (admin).
#[utoipa::path(post, path = "/api/v1/pipelines", tag = "pipeline", request_body = PipelineInputDto,
    responses((status = 201, body = PipelineView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn create_pipeline(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<PipelineInputDto>,
) -> Result<Response, ApiError> {
    let p = state
        .app
        .sales()
        .create_pipeline(&principal, &input.into_domain())
        .await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/pipelines/{}", p.id))],
        Json(PipelineView::from(&p)),
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/v1/pipelines/{id}", tag = "pipeline",
    params(("id" = Uuid, Path, description = "Pipeline id")),
    responses((status = 200, body = PipelineView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn get_pipeline(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<PipelineView>, ApiError> {
    let p = state
        .app
        .sales()
        .pipeline(principal.workspace_id, pipeline_id(&id)?)
        .await?;
    Ok(Json(PipelineView::from(&p)))
}

/// Replace a pipeline's name and stages (admin). Give existing stages their `id` to keep them
/// and their deals; a stage left out is deleted, refused (409) while it holds deals.
#[utoipa::path(put, path = "/api/v1/pipelines/{id}", tag = "pipeline", request_body = PipelineInputDto,
    params(("id" = Uuid, Path, description = "Pipeline id")),
    responses((status = 200, body = PipelineView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn replace_pipeline(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<PipelineInputDto>,
) -> Result<Json<PipelineView>, ApiError> {
    let id = pipeline_id(&id)?;
    let p = state
        .app
        .sales()
        .replace_pipeline(&principal, id, &input.into_domain())
        .await?;
    Ok(Json(PipelineView::from(&p)))
}

/// The loss-reason catalogue a lost deal picks from.
#[utoipa::path(get, path = "/api/v1/loss-reasons", tag = "pipeline",
    responses((status = 200, body = LossReasonsDto)), security(("bearer" = [])))]
async fn get_loss_reasons(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<LossReasonsDto>, ApiError> {
    let reasons = state
        .app
        .sales()
        .loss_reasons(principal.workspace_id)
        .await?;
    Ok(Json(reasons.into()))
}

/// Replace the catalogue (admin). Deals lost for a reason no longer listed keep it.
#[utoipa::path(put, path = "/api/v1/loss-reasons", tag = "pipeline", request_body = LossReasonsDto,
    responses((status = 200, body = LossReasonsDto),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn put_loss_reasons(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<LossReasonsDto>,
) -> Result<Json<LossReasonsDto>, ApiError> {
    let input: Vec<LossReason> = input.reasons.into_iter().map(LossReason::from).collect();
    let reasons = state
        .app
        .sales()
        .put_loss_reasons(&principal, &input)
        .await?;
    Ok(Json(reasons.into()))
}
