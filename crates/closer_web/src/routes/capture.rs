//! `POST /f/{key}`: the public lead-capture endpoint any landing page can post to.
//!
//! Takes a plain HTML form post (urlencoded — no JavaScript needed — or multipart, as
//! `fetch(url, {body: new FormData(form)})` sends), or JSON. A browser (`Accept: text/html`)
//! gets a 303 to the form's redirect URL or a thank-you page, and readable HTML errors; other
//! clients get 201 with the contact id, or `application/problem+json`. No token; CORS is open
//! on this route only.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use closer_app::{AppError, FormPayload};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{content_type, parse_json, read_body};
use crate::snippet;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(submit))
}

#[derive(Serialize, ToSchema)]
pub struct Captured {
    pub contact_id: Uuid,
}

/// Any fields: `email`, `phone`, `name` (or `first_name` + `last_name`), `company`,
/// `job_title`, `consent` map to the contact; `_gotcha` is the honeypot; names starting with
/// `_` are reserved; everything else is kept as a custom property.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Submission {
    email: Option<FormValue>,
    phone: Option<FormValue>,
    name: Option<FormValue>,
    company: Option<FormValue>,
    /// A tick: `on`, `yes`, `true`, `1` (or JSON `true`) grant consent; any other value does
    /// not.
    consent: Option<FormValue>,
    _gotcha: Option<FormValue>,
}

/// A field's value: text as a form posts it, or a JSON number or boolean read as its text
/// (a page's script may post `{"consent": true}`); lists and objects are refused.
#[derive(serde::Deserialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum FormValue {
    Text(String),
    Number(f64),
    Flag(bool),
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"))
}

/// Submit a lead-capture form.
#[utoipa::path(post, path = "/f/{key}", tag = "capture",
    params(("key" = String, Path, description = "The form's public key")),
    request_body(content(
        (Submission = "application/x-www-form-urlencoded"),
        (Submission = "multipart/form-data"),
        (Submission = "application/json"),
    )),
    responses(
        (status = 201, description = "Captured (JSON clients)", body = Captured),
        (status = 303, description = "Captured; browsers go to the form's redirect URL"),
        (status = 200, description = "Captured; browsers see a thank-you page", content_type = "text/html"),
        (status = 404, description = "No form has this key", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing email and phone, or an invalid one", body = Problem, content_type = "application/problem+json"),
    ))]
async fn submit(State(state): State<AppState>, Path(key): Path<String>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let ip = state
        .proxies
        .client_ip(&parts.headers, crate::client::peer(&parts));
    let user_agent = crate::client::user_agent(&parts.headers).to_owned();
    let req = Request::from_parts(parts, body);
    if !state.limiter.check(ip) {
        return crate::ratelimit::refused(
            &state,
            "too many posts from this address; retry shortly",
        );
    }
    let html = wants_html(req.headers());
    let page = req
        .headers()
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let result = async {
        let fields = read_fields(req, &state).await?;
        let outcome = state
            .app
            .capture()
            .capture(
                &key,
                FormPayload {
                    fields,
                    page,
                    ip,
                    user_agent,
                },
            )
            .await?;
        Ok::<_, ApiError>(outcome)
    }
    .await;
    match (result, html) {
        (Ok(out), true) => match out.form.redirect_url {
            Some(url) => Redirect::to(&url).into_response(),
            None => Html(snippet::thank_you_page(&out.form.name)).into_response(),
        },
        (Ok(out), false) => (
            StatusCode::CREATED,
            Json(Captured {
                contact_id: out.contact_id.0,
            }),
        )
            .into_response(),
        (Err(e), true) if e.status.is_client_error() => {
            let title = if e.status == StatusCode::NOT_FOUND {
                "This form does not exist"
            } else {
                "Please check the form"
            };
            (
                e.status,
                Html(snippet::error_page(title, &e.errors, &e.detail)),
            )
                .into_response()
        }
        (Err(e), _) => e.into_response(),
    }
}

async fn read_fields(req: Request, state: &AppState) -> Result<Vec<(String, Value)>, ApiError> {
    match content_type(req.headers()).as_deref() {
        Some("application/x-www-form-urlencoded") => {
            let body: Bytes = read_body(req, state).await?;
            Ok(form_urlencoded::parse(&body)
                .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                .collect())
        }
        Some("multipart/form-data") => read_multipart(req, state).await,
        Some("application/json") => {
            let body = read_body(req, state).await?;
            let map: serde_json::Map<String, Value> = parse_json(&body)?;
            Ok(map.into_iter().collect())
        }
        _ => Err(ApiError::unsupported_media(
            "application/x-www-form-urlencoded (an HTML form's default), multipart/form-data or application/json",
        )),
    }
}

async fn read_multipart(req: Request, state: &AppState) -> Result<Vec<(String, Value)>, ApiError> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(crate::extract::BODY_LIMIT)
        } else {
            ApiError::bad_request(format!(
                "the multipart body is malformed: {}",
                e.body_text()
            ))
        }
    };
    let mut multipart = Multipart::from_request(req, state).await.map_err(|e| {
        ApiError::bad_request(format!(
            "the multipart body is malformed: {}",
            e.body_text()
        ))
    })?;
    let mut fields = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if field.file_name().is_some() {
            return Err(
                AppError::invalid(&name, "file uploads are not accepted by lead forms").into(),
            );
        }
        let value = field.text().await.map_err(bad)?;
        fields.push((name, Value::String(value)));
    }
    Ok(fields)
}

/// The parsing a form post goes through before the app, for the fuzz targets (`fuzz/`): an
/// urlencoded or JSON body read into fields, then the submission parsed from them.
pub mod fuzzing {
    use serde_json::Value;

    /// `body` as an HTML form post (`json == false`) or a JSON one.
    pub fn form(body: &[u8], json: bool) {
        let pairs: Vec<(String, Value)> = if json {
            match crate::extract::parse_json::<serde_json::Map<String, Value>>(body) {
                Ok(map) => map.into_iter().collect(),
                Err(_) => return,
            }
        } else {
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                .collect()
        };
        let _ = closer_domain::form::parse_submission(
            pairs,
            None,
            "fuzz",
            closer_domain::Timestamp::now(),
        );
    }
}
