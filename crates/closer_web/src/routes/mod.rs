//! One route table: each feature's `router()` merged here, which also yields the OpenAPI
//! document (so every route is in it by construction).

pub(crate) mod capture;
pub(crate) mod companies;
pub(crate) mod contacts;
pub(crate) mod contacts_dto;
mod contacts_merge;
mod customer_value;
mod deals;
pub(crate) mod deals_dto;
mod duplicates;
pub(crate) mod export;
mod forms;
mod health;
pub(crate) mod imports;
mod notifications;
mod openapi;
mod pipelines;
mod properties;
mod qualification;
mod reports;
mod search;
mod sites;
pub(crate) mod tags;
pub(crate) mod track;
mod traffic;
mod users;
mod work;
mod work_dto;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "closer", description = "closer's REST API: contacts, lead capture, traffic, qualification, the sales pipeline and reports. Every `/api/v1` route needs `Authorization: Bearer <token>`; errors are `application/problem+json` (RFC 9457)."),
    modifiers(&BearerAuth),
    tags(
        (name = "contacts", description = "People, from lead to customer, and the companies they work for"),
        (name = "forms", description = "Lead-capture forms"),
        (name = "capture", description = "Public form posts from landing pages"),
        (name = "tracking", description = "Sites, event ingestion (Plausible-compatible and closer's own), identity stitching, the traffic report"),
        (name = "qualification", description = "Rules, scores, temperature, lifecycle and the sales queue, every verdict explained"),
        (name = "pipeline", description = "Pipelines and stages, loss reasons, deals with their stage history, the board, and the order a won deal produces"),
        (name = "reports", description = "The funnel, success measures, retention and lifetime value, attribution, and the step to fix first"),
        (name = "health", description = "Readiness"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A token from `closer token create`"))
                    .build(),
            ),
        );
    }
}

/// The authenticated API.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(contacts::router())
        .merge(contacts_merge::router())
        .merge(duplicates::router())
        .merge(search::router())
        .merge(notifications::router())
        .merge(tags::router())
        .merge(properties::router())
        .merge(companies::router())
        .merge(export::router())
        .merge(imports::router())
        .merge(customer_value::router())
        .merge(forms::router())
        .merge(sites::router())
        .merge(traffic::router())
        .merge(qualification::router())
        .merge(pipelines::router())
        .merge(deals::router())
        .merge(work::router())
        .merge(users::router())
        .merge(reports::router())
}

/// Public, token-less routes with open CORS: form posts and event ingestion.
pub fn public_capture() -> OpenApiRouter<AppState> {
    capture::router().merge(track::router())
}

pub use sites::snippet as tracking_snippet;

/// Health and the OpenAPI document: public, no CORS.
pub fn meta() -> OpenApiRouter<AppState> {
    health::router().merge(openapi::router())
}

/// A path's id: a 400 naming what it is not.
pub(super) fn path_id(raw: &str, what: &str) -> Result<uuid::Uuid, crate::error::ApiError> {
    raw.parse().map_err(|_| {
        crate::error::ApiError::field(
            axum::http::StatusCode::BAD_REQUEST,
            "bad-id",
            "id",
            format!("is not {what} id (a UUID)"),
        )
    })
}
