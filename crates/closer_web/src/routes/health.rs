//! `GET /healthz`: 200 once the database answers, 503 while it does not.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `unavailable`.
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    pub engine: &'static str,
    pub version: &'static str,
}

/// Readiness: the database answers.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = Health), (status = 503, body = Health)))]
async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let engine = state.app.engine();
    let version = env!("CARGO_PKG_VERSION");
    match state.app.ready().await {
        Ok(()) => (
            StatusCode::OK,
            Json(Health {
                status: "ok",
                engine,
                version,
            }),
        ),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health {
                status: "unavailable",
                engine,
                version,
            }),
        ),
    }
}
