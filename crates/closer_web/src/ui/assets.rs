//! The web app's static files, compiled into the binary (no CDN: closer works offline).
//! Names carry the crate version, so a new release is fetched again while browsers may keep
//! a file for a year.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::AppState;

pub const CSS_PATH: &str = concat!("/assets/app-", env!("CARGO_PKG_VERSION"), ".css");
pub const JS_PATH: &str = concat!("/assets/app-", env!("CARGO_PKG_VERSION"), ".js");
pub const CHART_PATH: &str = "/assets/chart-4.6.1.umd.min.js";

const CSS: &str = include_str!("../../assets/app.css");
const JS: &str = include_str!("../../assets/app.js");
/// Chart.js 4.6.1 (MIT, `assets/vendor/chart.js.LICENSE.md`), its source-map line removed.
const CHART: &str = include_str!("../../assets/vendor/chart.umd.min.js");

fn asset(kind: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        body,
    )
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            CSS_PATH,
            get(|| async { asset("text/css; charset=utf-8", CSS) }),
        )
        .route(
            JS_PATH,
            get(|| async { asset("text/javascript; charset=utf-8", JS) }),
        )
        .route(
            CHART_PATH,
            get(|| async { asset("text/javascript; charset=utf-8", CHART) }),
        )
}
