//! Extractors that turn requests into typed input, rejecting with `ApiError` so malformed
//! bodies, bad query strings and missing tokens get the same problem shape as everything else.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use closer_app::Principal;
use closer_domain::FieldError;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::ApiError;

/// Largest JSON or form body accepted, in bytes.
pub const BODY_LIMIT: usize = 64 * 1024;

/// A JSON body, deserialised with the path of any failing field.
pub struct ApiJson<T>(pub T);

pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    content_type(headers).is_some_and(|ct| {
        ct == "application/json" || (ct.starts_with("application/") && ct.ends_with("+json"))
    })
}

/// The media type, lower-cased, without parameters.
pub(crate) fn content_type(headers: &HeaderMap) -> Option<String> {
    let raw = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(
        raw.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase(),
    )
}

pub(crate) async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(BODY_LIMIT)
        } else {
            ApiError::bad_request(format!("could not read the body: {e}"))
        }
    })
}

/// Deserialises JSON, naming the failing field. Syntax errors are 400; well-formed JSON of
/// the wrong shape is 422 with the field's path.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Every body closer takes is an object; serde would read a struct from an array too and
    // report a confusing `[0]` path, so say plainly what is wrong.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
                Ok(_) => ApiError::invalid(vec![FieldError::new("body", "must be a JSON object")]),
                Err(e) => ApiError::bad_request(format!("the body is not valid JSON: {e}")),
            },
        );
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let message = strip_position(&inner.to_string());
                // The path already ends at the offending key, unknown fields included.
                let field = if path == "." { "body".to_owned() } else { path };
                ApiError::invalid(vec![FieldError::new(field, message)])
            }
            _ => ApiError::bad_request(format!("the body is not valid JSON: {inner}")),
        }
    })?;
    de.end()
        .map_err(|e| ApiError::bad_request(format!("the body is not valid JSON: {e}")))?;
    Ok(value)
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::unsupported_media(
                "JSON with `Content-Type: application/json`",
            ));
        }
        let bytes = read_body(req, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// A raw body within `BODY_LIMIT`; an oversized or unreadable one is a problem document.
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        read_body(req, state).await.map(RawBody)
    }
}

/// A query string, strictly parsed (unknown parameters are refused: a typo must not silently
/// widen a filter).
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let raw = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(raw.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let path = e.path().to_string();
                let message = e.into_inner().to_string();
                let field = if path == "." {
                    unknown_field(&message).unwrap_or("query").to_owned()
                } else {
                    path
                };
                ApiError::field(StatusCode::BAD_REQUEST, "bad-query", &field, message)
            })
    }
}

/// The name in serde's "unknown field `x`, expected …".
fn unknown_field(message: &str) -> Option<&str> {
    message.strip_prefix("unknown field `")?.split('`').next()
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(closer_app::AppError::Unauthorized)?;
        let (scheme, secret) = header
            .split_once(' ')
            .ok_or(closer_app::AppError::Unauthorized)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(closer_app::AppError::Unauthorized.into());
        }
        Ok(state.app.access().authenticate(secret.trim()).await?)
    }
}
