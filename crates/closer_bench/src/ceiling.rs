//! The ceiling: a bare axum endpoint that parses the same Plausible JSON and reads the same
//! headers as closer's `/api/event`, then answers `202 ok`, storing nothing. Run as a separate
//! process (`closer-bench ceiling --listen …`) so it shares the machine with the load
//! generator exactly as closer does.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
#[allow(dead_code)]
struct Event {
    #[serde(alias = "n")]
    name: Option<String>,
    #[serde(alias = "u")]
    url: Option<String>,
    #[serde(alias = "d")]
    domain: Option<String>,
    #[serde(alias = "r")]
    referrer: Option<String>,
    #[serde(alias = "p", alias = "m", alias = "meta")]
    props: Option<Value>,
    #[serde(rename = "revenue", alias = "$")]
    revenue: Option<Value>,
    #[serde(rename = "h")]
    hash_mode: Option<Value>,
    #[serde(rename = "i")]
    interactive: Option<bool>,
}

async fn event(headers: HeaderMap, body: Bytes) -> (StatusCode, &'static str) {
    let ua = headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let ip = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match serde_json::from_slice::<Event>(&body) {
        Ok(e)
            if e.name.is_some()
                && e.url.is_some()
                && e.domain.is_some()
                && !ua.is_empty()
                && !ip.is_empty() =>
        {
            (StatusCode::ACCEPTED, "ok")
        }
        _ => (StatusCode::BAD_REQUEST, "bad"),
    }
}

pub async fn serve(listen: SocketAddr) -> anyhow::Result<()> {
    let app = axum::Router::new().route("/api/event", post(event));
    let listener = tokio::net::TcpListener::bind(listen).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
