//! `/api/v1/search`: the search box's answer — contacts, companies and deals whose words start
//! with those typed, contacts also by the start of a phone number in any notation.

use axum::Json;
use axum::extract::State;
use closer_app::Principal;
use closer_store::SearchHits;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::companies::CompanyView;
use super::contacts_dto::ContactView;
use super::deals_dto::DealView;
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::ApiQuery;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// What to look for: words matched as the start of words of names, emails, companies,
    /// domains and deal titles (`gra hop` finds Grace Hopper), or the start of a phone number
    /// written any way (`(415) 555-01`, `+1 415 555`, national numbers in the workspace's
    /// country). At most 200 characters and 8 words.
    #[param(max_length = 200)]
    q: String,
    /// Most records of each kind, 1–50, default 8.
    #[param(minimum = 1, maximum = 50)]
    limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct SearchResults {
    /// Contacts the caller may read: those with a phone starting with the number typed
    /// first, then the latest added first.
    contacts: Vec<ContactView>,
    /// Companies, the latest added first.
    companies: Vec<CompanyView>,
    /// Deals the caller may read, the latest added first.
    deals: Vec<DealView>,
}

impl From<SearchHits> for SearchResults {
    fn from(hits: SearchHits) -> Self {
        Self {
            contacts: hits.contacts.into_iter().map(Into::into).collect(),
            companies: hits.companies.into_iter().map(Into::into).collect(),
            deals: hits.deals.into_iter().map(Into::into).collect(),
        }
    }
}

/// Searches contacts, companies and deals at once, grouped by kind. A rep finds their own and
/// unassigned contacts and their own deals; a marketer no deals.
#[utoipa::path(get, path = "/api/v1/search", tag = "contacts", params(SearchParams),
    responses((status = 200, body = SearchResults),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn search(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<SearchResults>, ApiError> {
    let hits = state
        .app
        .search(&principal, &params.q, params.limit.unwrap_or(8))
        .await?;
    Ok(Json(hits.into()))
}
