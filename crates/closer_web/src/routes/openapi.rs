//! `GET /api/openapi.json`: the OpenAPI 3.1 document, generated from the route table.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(openapi_json))
}

/// This document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "health", responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")))]
async fn openapi_json() -> impl IntoResponse {
    static DOC: OnceLock<String> = OnceLock::new();
    let body = DOC.get_or_init(|| {
        serde_json::to_string_pretty(&crate::openapi()).expect("OpenAPI document serialises")
    });
    ([(header::CONTENT_TYPE, "application/json")], body.as_str())
}
