//! `/api/v1/duplicates`: pairs of contacts that may be one person, to merge
//! (`POST /api/v1/contacts/{keep}/merge`) or dismiss.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use closer_app::Principal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::contacts::contact_id;
use super::contacts_dto::ContactView;
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::ApiQuery;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_duplicates))
        .routes(routes!(dismiss_duplicate))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DuplicateParams {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct DuplicateView {
    /// The record suggested to keep: the older one.
    keep: ContactView,
    other: ContactView,
    /// `shared_identity` (one submission named an email or phone of each) or
    /// `name_at_company`.
    #[schema(pattern = "^(shared_identity|name_at_company)$")]
    reason: String,
    found_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct DuplicateList {
    items: Vec<DuplicateView>,
}

/// Possible duplicates nobody merged or dismissed, the latest found first: pairs whose one
/// submission named an email or phone of each, and people of the same name at the same
/// company. Only pairs whose both records the caller may edit.
#[utoipa::path(get, path = "/api/v1/duplicates", tag = "contacts", params(DuplicateParams),
    responses((status = 200, body = DuplicateList),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn list_duplicates(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(params): ApiQuery<DuplicateParams>,
) -> Result<Json<DuplicateList>, ApiError> {
    let pairs = state
        .app
        .contacts()
        .duplicates(&principal, params.limit.unwrap_or(50))
        .await?;
    Ok(Json(DuplicateList {
        items: pairs
            .into_iter()
            .map(|p| DuplicateView {
                keep: p.keep.into(),
                other: p.other.into(),
                reason: p.reason.as_str().to_owned(),
                found_at: p.found_at.to_string(),
            })
            .collect(),
    }))
}

/// "Not the same person": the pair is no longer listed, nor found again. Either order.
#[utoipa::path(delete, path = "/api/v1/duplicates/{a}/{b}", tag = "contacts",
    params(("a" = Uuid, Path, description = "A contact of the pair"),
        ("b" = Uuid, Path, description = "The other contact")),
    responses((status = 204, description = "Dismissed"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn dismiss_duplicate(
    State(state): State<AppState>,
    principal: Principal,
    Path((a, b)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .contacts()
        .dismiss_duplicate(&principal, contact_id(&a)?, contact_id(&b)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
