//! `/api/v1/deals`: create on a contact, read with history and order, list, edit, move through
//! the pipeline; `/api/v1/pipelines/{id}/board`: open deals by stage with totals.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use closer_app::Principal;
use closer_domain::pipeline::{DealId, DealStatus, PipelineId};
use closer_domain::{ContactId, UserId};
use closer_store::DealQuery;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::contacts::bad;
use super::deals_dto::{
    BoardView, DealDetail, DealInput, DealPatchInput, DealSpanView, DealView, MoveInput, OrderView,
};
use super::pipelines::pipeline_id;
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiQuery};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_deal, list_deals))
        .routes(routes!(get_deal, patch_deal, delete_deal))
        .routes(routes!(move_deal))
        .routes(routes!(board))
}

fn deal_id(raw: &str) -> Result<DealId, ApiError> {
    super::path_id(raw, "a deal").map(DealId)
}

async fn detail(
    state: &AppState,
    principal: &Principal,
    id: DealId,
) -> Result<DealDetail, ApiError> {
    let ws = principal.workspace_id;
    let deal = state.app.sales().deal(principal, id).await?;
    let pipeline = state.app.sales().pipeline(ws, deal.pipeline_id).await?;
    let stage_name = pipeline
        .stage(deal.stage_id)
        .map(|s| s.name.clone())
        .unwrap_or_default();
    let history = state.app.sales().deal_history(principal, id).await?;
    let order = state.app.sales().deal_order(principal, id).await?;
    Ok(DealDetail {
        deal: deal.into(),
        stage: stage_name,
        history: history.into_iter().map(DealSpanView::from).collect(),
        order: order.map(OrderView::from),
    })
}

/// Open a deal on a contact; the contact becomes an opportunity.
#[utoipa::path(post, path = "/api/v1/deals", tag = "pipeline", request_body = DealInput,
    responses((status = 201, description = "Created; `Location` names it", body = DealDetail),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn create_deal(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<DealInput>,
) -> Result<Response, ApiError> {
    let req = input.parse().map_err(ApiError::invalid)?;
    let deal = state.app.sales().create_deal(&principal, req).await?;
    let body = detail(&state, &principal, deal.id).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/deals/{}", deal.id))],
        Json(body),
    )
        .into_response())
}

/// A deal with its stage history and, once won, its order.
#[utoipa::path(get, path = "/api/v1/deals/{id}", tag = "pipeline",
    params(("id" = Uuid, Path, description = "Deal id")),
    responses((status = 200, body = DealDetail), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn get_deal(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<DealDetail>, ApiError> {
    Ok(Json(detail(&state, &principal, deal_id(&id)?).await?))
}

/// Edit a deal (fields present are set, `null` clears). A closed deal's amount or currency
/// changes only after a reopen (409).
#[utoipa::path(patch, path = "/api/v1/deals/{id}", tag = "pipeline", request_body = DealPatchInput,
    params(("id" = Uuid, Path, description = "Deal id")),
    responses((status = 200, body = DealView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn patch_deal(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<DealPatchInput>,
) -> Result<Json<DealView>, ApiError> {
    let id = deal_id(&id)?;
    let patch = input.parse().map_err(ApiError::invalid)?;
    let deal = state.app.sales().patch_deal(&principal, id, &patch).await?;
    Ok(Json(deal.into()))
}

/// Delete a deal, with its stage history, tags and tasks. Its activities stay on the contact
/// and its order (a won deal's) stays the customer's.
#[utoipa::path(delete, path = "/api/v1/deals/{id}", tag = "pipeline",
    params(("id" = Uuid, Path, description = "Deal id")),
    responses((status = 204, description = "Deleted"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn delete_deal(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .sales()
        .delete_deal(&principal, deal_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Move a deal to another stage of its pipeline: won makes an order and a customer, lost
/// takes a reason from the catalogue, an open stage after a closed one reopens the deal.
#[utoipa::path(post, path = "/api/v1/deals/{id}/move", tag = "pipeline", request_body = MoveInput,
    params(("id" = Uuid, Path, description = "Deal id")),
    responses((status = 200, body = DealDetail),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn move_deal(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<MoveInput>,
) -> Result<Json<DealDetail>, ApiError> {
    let id = deal_id(&id)?;
    let req = input.parse().map_err(ApiError::invalid)?;
    state.app.sales().move_deal(&principal, id, req).await?;
    Ok(Json(detail(&state, &principal, id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DealParams {
    #[param(format = Uuid)]
    pipeline_id: Option<String>,
    #[param(format = Uuid)]
    stage_id: Option<String>,
    /// open, won or lost.
    #[param(pattern = "^(open|won|lost)$")]
    status: Option<String>,
    #[param(format = Uuid)]
    owner_id: Option<String>,
    #[param(format = Uuid)]
    contact_id: Option<String>,
    /// The last id of the previous page (newest first).
    #[param(format = Uuid)]
    before: Option<String>,
    /// 1–500, default 50.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

/// An optional UUID query parameter; 400 naming it when malformed.
pub(super) fn uuid_param(field: &str, raw: Option<&str>) -> Result<Option<Uuid>, ApiError> {
    raw.map(|r| r.parse().map_err(|_| bad(field, "must be a UUID")))
        .transpose()
}

/// Deals, newest first, filtered.
#[utoipa::path(get, path = "/api/v1/deals", tag = "pipeline", params(DealParams),
    responses((status = 200, body = Vec<DealView>), (status = 400, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn list_deals(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(p): ApiQuery<DealParams>,
) -> Result<Json<Vec<DealView>>, ApiError> {
    let query = p.parse()?;
    let deals = state.app.sales().list_deals(&principal, query).await?;
    Ok(Json(deals.into_iter().map(DealView::from).collect()))
}

/// The deal list's filters in a saved view's query, read as `GET /api/v1/deals` reads them.
pub(crate) fn deal_filters(query: &str) -> Result<DealQuery, ApiError> {
    let params: DealParams = serde_urlencoded::from_str(query).map_err(|e| {
        ApiError::invalid(vec![closer_domain::FieldError::new(
            "query",
            format!("is not the deal list's filters: {e}"),
        )])
    })?;
    params.parse()
}

impl DealParams {
    fn parse(self) -> Result<DealQuery, ApiError> {
        Ok(DealQuery {
            pipeline: uuid_param("pipeline_id", self.pipeline_id.as_deref())?.map(PipelineId),
            stage: uuid_param("stage_id", self.stage_id.as_deref())?
                .map(closer_domain::pipeline::PipelineStageId),
            status: self
                .status
                .as_deref()
                .map(|s| DealStatus::parse(s).map_err(|e| bad("status", &e.message)))
                .transpose()?,
            owner: uuid_param("owner_id", self.owner_id.as_deref())?.map(UserId),
            contact: uuid_param("contact_id", self.contact_id.as_deref())?.map(ContactId),
            before: uuid_param("before", self.before.as_deref())?.map(DealId),
            limit: self.limit.unwrap_or(50),
        })
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BoardParams {
    /// Cards per stage, 0–500 (default 50); counts and totals always cover every open deal.
    #[param(minimum = 0, maximum = 500)]
    per_stage: Option<u32>,
    /// One owner's deals only (a user id). A rep's board is always their own.
    owner: Option<Uuid>,
}

/// The pipeline board: each open stage with its deal count, totals per currency, the totals
/// weighted by the stage's probability, and its most recently updated deals.
#[utoipa::path(get, path = "/api/v1/pipelines/{id}/board", tag = "pipeline", params(("id" = Uuid, Path, description = "Pipeline id"), BoardParams),
    responses((status = 200, body = BoardView), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn board(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<BoardParams>,
) -> Result<Json<BoardView>, ApiError> {
    let id = pipeline_id(&id)?;
    let per_stage = p.per_stage.unwrap_or(50);
    if per_stage > 500 {
        return Err(bad("per_stage", "must be from 0 to 500"));
    }
    let owner = p.owner.map(closer_domain::UserId);
    let (pipeline, columns) = state
        .app
        .sales()
        .board(&principal, id, per_stage, owner)
        .await?;
    Ok(Json(BoardView::new(&pipeline, columns)))
}
