//! `/api/v1/sites`: tracked sites (admin tokens add them), each with its tracking snippet.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use closer_app::Principal;
use closer_store::Site;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::ApiJson;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_site, list_sites))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteInput {
    /// The site's host name, like `example.com` (a leading `www.` is dropped).
    pub domain: String,
}

#[derive(Serialize, ToSchema)]
pub struct SiteView {
    pub id: Uuid,
    pub domain: String,
    /// The `<script>` tag to put on every page of the site.
    pub snippet: String,
    pub created_at: String,
}

pub fn snippet(public_url: &str) -> String {
    format!(
        "<script defer src=\"{}/js/closer.js\"></script>",
        public_url.trim_end_matches('/')
    )
}

fn view(site: &Site, public_url: &str) -> SiteView {
    SiteView {
        id: site.id.0,
        domain: site.domain.to_string(),
        snippet: snippet(public_url),
        created_at: site.created_at.to_string(),
    }
}

/// Add a tracked site (admin token).
#[utoipa::path(post, path = "/api/v1/sites", tag = "tracking", request_body = SiteInput,
    responses(
        (status = 201, body = SiteView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The domain is already tracked", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
async fn create_site(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<SiteInput>,
) -> Result<Response, ApiError> {
    let site = state
        .app
        .traffic()
        .create_site(&principal, &input.domain)
        .await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/sites/{}", site.id))],
        Json(view(&site, &state.public_url)),
    )
        .into_response())
}

/// The workspace's tracked sites.
#[utoipa::path(get, path = "/api/v1/sites", tag = "tracking",
    responses((status = 200, body = Vec<SiteView>)),
    security(("bearer" = [])))]
async fn list_sites(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<SiteView>>, ApiError> {
    let sites = state
        .app
        .traffic()
        .list_sites(principal.workspace_id)
        .await?;
    Ok(Json(
        sites
            .into_iter()
            .map(|s| view(&s, &state.public_url))
            .collect(),
    ))
}
