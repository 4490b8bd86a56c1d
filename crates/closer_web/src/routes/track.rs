//! Public ingestion: `POST /api/event` (the Plausible Events API, as-is), `POST /api/v1/track`
//! (closer's own batch format) and `GET /js/closer.js` (the first-party tracker). No token;
//! CORS open; a per-client-IP rate limit. Both endpoints answer 202 once an event is checked
//! and queued (see `closer_app`'s ingest module for when it is durable).

use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use closer_app::{AppError, Client, DropReason, Prepared, TrackInput, Tracked};
use closer_domain::traffic::{HitInput, SiteDomain};
use closer_domain::{FieldError, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::client::{peer, user_agent};
use crate::error::{ApiError, PROBLEM_JSON, Problem};
use crate::extract::RawBody;
use crate::ratelimit::refused;

/// Most events one `/api/v1/track` request carries.
pub const MAX_BATCH: usize = 100;
/// Most domains one Plausible event may name (`d: "a.com,b.com"` rolls one event up to several sites).
const MAX_DOMAINS: usize = 10;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(plausible_event))
        .routes(routes!(track))
        .routes(routes!(script))
}

/// The client's IP (see `client::client_ip`) and user agent.
fn client<'a>(state: &AppState, parts: &'a Parts) -> (Option<std::net::IpAddr>, &'a str) {
    (
        state.proxies.client_ip(&parts.headers, peer(parts)),
        user_agent(&parts.headers),
    )
}

fn dropped(reason: DropReason) -> Response {
    let mut res = (StatusCode::ACCEPTED, "ok").into_response();
    let h = res.headers_mut();
    h.insert("x-plausible-dropped", HeaderValue::from_static("1"));
    h.insert(
        "x-closer-dropped",
        HeaderValue::from_static(reason.as_str()),
    );
    res
}

/// A Plausible Events API payload. Short and long keys are both read; unknown keys (`w`,
/// `v`…) are ignored, as Plausible does.
#[derive(Deserialize, ToSchema)]
pub struct PlausibleEvent {
    /// `pageview`, `engagement`, or a custom event's name.
    #[serde(alias = "n")]
    name: Option<String>,
    /// The page's full URL.
    #[serde(alias = "u")]
    url: Option<String>,
    /// The site's domain (several, comma-separated, roll the event up to each).
    #[serde(alias = "d")]
    domain: Option<String>,
    #[serde(alias = "r")]
    referrer: Option<String>,
    /// Custom properties: an object, or an object encoded as a JSON string.
    #[serde(alias = "p", alias = "m", alias = "meta")]
    #[schema(value_type = Object)]
    props: Option<Value>,
    /// `{"amount": "49.90", "currency": "EUR"}`.
    #[serde(rename = "revenue", alias = "$")]
    #[schema(value_type = Object)]
    revenue: Option<Value>,
    /// Hash-based routing: keep the `#fragment` in the path.
    #[serde(rename = "h")]
    #[schema(value_type = Object)]
    hash_mode: Option<Value>,
    /// `false`: the event does not stop the visit counting as a bounce.
    #[serde(rename = "i")]
    interactive: Option<bool>,
    /// Scroll depth and engagement time of `engagement` events: accepted, not stored.
    #[serde(rename = "sd")]
    #[schema(value_type = Object)]
    _scroll_depth: Option<Value>,
    #[serde(rename = "e")]
    #[schema(value_type = Object)]
    _engagement_time: Option<Value>,
}

impl PlausibleEvent {
    /// The hit this event describes, once its name and URL are known to be there.
    fn hit<'a>(&'a self, name: &'a str, url: &'a str) -> HitInput<'a> {
        HitInput {
            name,
            url,
            referrer: self.referrer.as_deref(),
            props: self.props.as_ref(),
            revenue: self.revenue.as_ref(),
            hash_routing: truthy(self.hash_mode.as_ref()),
            interactive: self.interactive.unwrap_or(true),
        }
    }
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64().is_some_and(|n| n != 0),
        Some(Value::String(s)) => s == "1" || s == "true",
        _ => false,
    }
}

/// Plausible's error body: `{"errors": {field: [message]}}`, here inside a problem document.
/// A refused Plausible event: a problem document whose `errors` is Plausible's
/// `{field: [message]}` map, so clients written for Plausible read it.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documents the shape `plausible_errors` writes
pub struct PlausibleProblem {
    #[schema(rename = "type")]
    kind: String,
    title: String,
    status: u16,
    detail: String,
    errors: std::collections::BTreeMap<String, Vec<String>>,
}

fn plausible_errors(errors: &[FieldError]) -> Response {
    let mut map = serde_json::Map::new();
    for e in errors {
        let entry = map
            .entry(e.field.clone())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = entry {
            list.push(Value::String(e.message.clone()));
        }
    }
    let detail = errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    let body = serde_json::json!({
        "type": "urn:closer:problem:validation",
        "title": "Bad Request",
        "status": 400,
        "detail": detail,
        "errors": map,
    });
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, PROBLEM_JSON)],
        body.to_string(),
    )
        .into_response()
}

fn required<'a>(field: &str, value: Option<&'a str>, errors: &mut Vec<FieldError>) -> &'a str {
    if let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) {
        v
    } else {
        errors.push(FieldError::new(field, "can't be blank"));
        ""
    }
}

/// Record an event (Plausible Events API).
///
/// Takes the body Plausible's script and `plausible-tracker` send (as `text/plain` or JSON),
/// so a site using them can point at closer unchanged. Answers `202 ok`; an event that is not
/// stored (a bot, an unknown domain, referrer spam) is still answered 202, with
/// `x-plausible-dropped: 1` and `x-closer-dropped: <reason>`.
#[utoipa::path(post, path = "/api/event", tag = "tracking",
    request_body(content((PlausibleEvent = "text/plain"), (PlausibleEvent = "application/json"))),
    responses(
        (status = 202, description = "Accepted (or dropped: see `x-closer-dropped`)", body = String, content_type = "text/plain"),
        (status = 400, description = "Invalid, in Plausible's shape: `errors` maps each field to its messages", body = PlausibleProblem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The queue is full; retry", body = Problem, content_type = "application/problem+json"),
    ))]
async fn plausible_event(
    State(state): State<AppState>,
    parts: Parts,
    RawBody(body): RawBody,
) -> Response {
    let (ip, ua) = client(&state, &parts);
    if !state.limiter.check(ip) {
        return refused(
            &state,
            "too many events from this address; slow down and retry",
        );
    }
    let event: PlausibleEvent = match serde_json::from_slice(&body) {
        Ok(e) => e,
        Err(e) if e.is_data() => {
            return plausible_errors(&[FieldError::new("request", strip(&e.to_string()))]);
        }
        Err(e) => {
            return plausible_errors(&[FieldError::new(
                "request",
                format!("is not a JSON object: {}", strip(&e.to_string())),
            )]);
        }
    };
    let mut errors = Vec::new();
    let name = required("name", event.name.as_deref(), &mut errors);
    let url = required("url", event.url.as_deref(), &mut errors);
    let domains = required("domain", event.domain.as_deref(), &mut errors);
    if !errors.is_empty() {
        return plausible_errors(&errors);
    }
    // Every domain is checked before any event is queued: a bad one later in the list must
    // not leave the earlier ones stored behind a 400.
    let domains: Vec<&str> = domains
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .collect();
    if domains.len() > MAX_DOMAINS {
        return plausible_errors(&[FieldError::new(
            "domain",
            format!("at most {MAX_DOMAINS} domains"),
        )]);
    }
    let (sites, bad): (Vec<_>, Vec<_>) = domains
        .iter()
        .map(|d| SiteDomain::parse(d))
        .partition(Result::is_ok);
    if !bad.is_empty() {
        return plausible_errors(&bad.into_iter().filter_map(Result::err).collect::<Vec<_>>());
    }
    // One event per site: `site.example,www.site.example` names one site twice.
    let mut sites: Vec<SiteDomain> = sites.into_iter().filter_map(Result::ok).collect();
    let mut seen = std::collections::HashSet::new();
    sites.retain(|s| seen.insert(s.as_str().to_owned()));
    let client = Client { ip, user_agent: ua };
    let mut outcome = None;
    for site in &sites {
        let input = TrackInput {
            site: Some(site.as_str()),
            hit: event.hit(name, url),
            visitor_id: None,
            occurred_at: None,
        };
        match state.app.traffic().track(input, &client).await {
            Ok(Tracked::Accepted) => outcome = Some(Tracked::Accepted),
            Ok(dropped) => {
                outcome.get_or_insert(dropped);
            }
            Err(AppError::Invalid(errors)) => return plausible_errors(&errors),
            Err(e) => return ApiError::from(e).into_response(),
        }
    }
    match outcome {
        Some(Tracked::Dropped(reason)) => dropped(reason),
        Some(Tracked::Accepted) => (StatusCode::ACCEPTED, "ok").into_response(),
        None => plausible_errors(&[FieldError::new("domain", "can't be blank")]),
    }
}

fn strip(message: &str) -> String {
    message
        .rfind(" at line ")
        .map_or(message, |i| &message[..i])
        .to_owned()
}

/// One event in closer's own format.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrackEvent {
    /// A first-party visitor id (8–64 of `A-Za-z0-9_-`); leave it out for cookieless counting.
    visitor_id: Option<String>,
    /// `pageview`, or a custom event's name.
    #[serde(rename = "type")]
    kind: String,
    /// The page's full URL.
    url: String,
    referrer: Option<String>,
    /// The site's domain; defaults to the URL's host (or its nearest tracked parent domain).
    site: Option<String>,
    /// String, number or boolean values; at most 30.
    #[schema(value_type = Object)]
    properties: Option<Value>,
    #[schema(value_type = Object)]
    revenue: Option<Value>,
    /// RFC 3339, or Unix milliseconds; within the last 30 days. Defaults to now.
    #[schema(value_type = String)]
    timestamp: Option<Value>,
    /// Keep the `#fragment` in the path (hash-routed apps).
    #[serde(default)]
    hash: bool,
    /// `false`: the event does not stop the visit counting as a bounce.
    interactive: Option<bool>,
}

impl TrackEvent {
    /// The hit this event describes.
    fn hit(&self) -> HitInput<'_> {
        HitInput {
            name: &self.kind,
            url: &self.url,
            referrer: self.referrer.as_deref(),
            props: self.properties.as_ref(),
            revenue: self.revenue.as_ref(),
            hash_routing: self.hash,
            interactive: self.interactive.unwrap_or(true),
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Batch {
    Many(Vec<Value>),
    One(Box<Value>),
}

#[derive(Serialize, ToSchema)]
pub struct TrackResult {
    /// Events queued.
    accepted: usize,
    /// Events not stored, with why (`bot`, `unknown-domain`, `spam-referrer`).
    dropped: Vec<DroppedEvent>,
}

#[derive(Serialize, ToSchema)]
pub struct DroppedEvent {
    index: usize,
    reason: String,
}

fn parse_timestamp(v: &Value) -> Result<Timestamp, FieldError> {
    let bad = || {
        FieldError::new(
            "timestamp",
            "must be RFC 3339 (2026-11-23T10:00:00Z) or Unix milliseconds",
        )
    };
    match v {
        Value::String(s) => Timestamp::parse_rfc3339(s).ok_or_else(bad),
        Value::Number(n) => n
            .as_i64()
            .and_then(|ms| ms.checked_mul(1_000))
            .and_then(Timestamp::from_unix_micros)
            .ok_or_else(bad),
        _ => Err(bad()),
    }
}

fn prefixed(index: usize, errors: Vec<FieldError>) -> impl Iterator<Item = FieldError> {
    errors
        .into_iter()
        .map(move |e| FieldError::new(format!("[{index}].{}", e.field), e.message))
}

/// Record events (closer's batch format).
///
/// An array of up to 100 events (or one event object), for servers and the closer script. The
/// batch is checked whole: if any event is invalid, none is queued (422 naming each one by
/// index). Takes JSON sent as `application/json` or `text/plain`.
#[utoipa::path(post, path = "/api/v1/track", tag = "tracking",
    request_body(content((Vec<TrackEvent> = "application/json"), (Vec<TrackEvent> = "text/plain"))),
    responses(
        (status = 202, description = "Queued", body = TrackResult),
        (status = 400, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid events, by index", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The queue is full; retry", body = Problem, content_type = "application/problem+json"),
    ))]
async fn track(State(state): State<AppState>, parts: Parts, RawBody(body): RawBody) -> Response {
    let (ip, ua) = client(&state, &parts);
    if !state.limiter.check(ip) {
        return refused(
            &state,
            "too many events from this address; slow down and retry",
        );
    }
    match track_batch(&state, ip, ua, &body).await {
        Ok(result) => (StatusCode::ACCEPTED, axum::Json(result)).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn track_batch(
    state: &AppState,
    ip: Option<std::net::IpAddr>,
    ua: &str,
    body: &[u8],
) -> Result<TrackResult, ApiError> {
    let batch: Batch = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!(
            "the body is not valid JSON: {}",
            strip(&e.to_string())
        ))
    })?;
    let values = match batch {
        Batch::Many(v) => v,
        Batch::One(v) => vec![*v],
    };
    if values.is_empty() || values.len() > MAX_BATCH {
        return Err(ApiError::invalid(vec![FieldError::new(
            "body",
            format!("send 1 to {MAX_BATCH} events"),
        )]));
    }
    let client = Client { ip, user_agent: ua };
    let (mut hits, mut dropped, mut errors) = (Vec::new(), Vec::new(), Vec::new());
    for (index, value) in values.into_iter().enumerate() {
        let event: TrackEvent = match serde_json::from_value(value) {
            Ok(e) => e,
            Err(e) => {
                errors.push(FieldError::new(format!("[{index}]"), e.to_string()));
                continue;
            }
        };
        let occurred_at = match event.timestamp.as_ref().map(parse_timestamp).transpose() {
            Ok(t) => t,
            Err(e) => {
                errors.extend(prefixed(index, vec![e]));
                continue;
            }
        };
        let input = TrackInput {
            site: event.site.as_deref(),
            hit: event.hit(),
            visitor_id: event.visitor_id.as_deref(),
            occurred_at,
        };
        match state.app.traffic().prepare_hit(input, &client).await {
            Ok(Prepared::Hit(hit)) => hits.push(*hit),
            Ok(Prepared::Dropped(reason)) => dropped.push(DroppedEvent {
                index,
                reason: reason.as_str().to_owned(),
            }),
            Err(AppError::Invalid(e)) => errors.extend(prefixed(index, e)),
            Err(e) => return Err(e.into()),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let accepted = state.app.traffic().enqueue(hits).await?;
    Ok(TrackResult { accepted, dropped })
}

/// The closer tracker script.
///
/// Put `<script defer src="https://closer.example.com/js/closer.js"></script>` on every page.
/// Optional attributes: `data-site` (defaults to the page's host), `data-cookieless` (no
/// stored visitor id), `data-api` (defaults to the script's origin).
#[utoipa::path(get, path = "/js/closer.js", tag = "tracking",
    responses((status = 200, description = "The script", body = String, content_type = "application/javascript")))]
async fn script() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/javascript; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        crate::tracker::SCRIPT,
    )
        .into_response()
}

/// The parsing the two ingestion routes do before anything reaches the app, for the fuzz
/// targets (`fuzz/`): the same decoding and checks, minus the queue.
pub mod fuzzing {
    use super::{Batch, PlausibleEvent, SiteDomain, TrackEvent, parse_timestamp};

    /// `POST /api/event`'s body: the payload, its required fields, each named site, the hit.
    pub fn plausible(body: &[u8]) {
        let Ok(event) = serde_json::from_slice::<PlausibleEvent>(body) else {
            return;
        };
        let (Some(name), Some(url), Some(domains)) = (&event.name, &event.url, &event.domain)
        else {
            return;
        };
        for d in domains.split(',').map(str::trim).filter(|d| !d.is_empty()) {
            let _ = SiteDomain::parse(d);
        }
        let _ = event.hit(name, url).parse();
    }

    /// `POST /api/v1/track`'s body: one event or a batch, each event, its time, its hit.
    pub fn track(body: &[u8]) {
        let Ok(batch) = serde_json::from_slice::<Batch>(body) else {
            return;
        };
        let values = match batch {
            Batch::Many(v) => v,
            Batch::One(v) => vec![*v],
        };
        for value in values.into_iter().take(super::MAX_BATCH) {
            let Ok(event) = serde_json::from_value::<TrackEvent>(value) else {
                continue;
            };
            if let Some(t) = &event.timestamp {
                let _ = parse_timestamp(t);
            }
            if let Some(site) = &event.site {
                let _ = SiteDomain::parse(site);
            }
            let _ = event.hit().parse();
        }
    }
}
