//! `ApiError`: every error this crate answers, as `application/problem+json` (RFC 9457).
//!
//! Error policy: handlers return `Result<_, ApiError>`; `AppError` converts in one `match`
//! below. 5xx details are logged here and never sent; 4xx bodies say what was wrong and, for
//! input, which field (`errors: [{field, message}]`), so a person can act on them.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use closer_app::AppError;
use closer_domain::FieldError;
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// Short, stable name of the problem kind (`validation`, `not-found`…).
    pub kind: &'static str,
    pub detail: String,
    pub errors: Vec<FieldError>,
    /// A merged contact's survivor, for a 404 about the merged-away id.
    pub merged_into: Option<String>,
}

/// The problem document (RFC 9457) with closer's `errors` extension.
#[derive(Serialize, ToSchema)]
pub struct Problem {
    /// `urn:closer:problem:<kind>`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// One entry per offending input field; empty when the problem is not about a field.
    pub errors: Vec<ProblemField>,
    /// On a 404 for a contact merged into another: the contact the person is now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ProblemField {
    pub field: String,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            kind,
            detail: detail.into(),
            errors: Vec::new(),
            merged_into: None,
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-request", detail)
    }

    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            _ => format!("{} fields are invalid", errors.len()),
        };
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            kind: "validation",
            detail,
            errors,
            merged_into: None,
        }
    }

    pub fn field(
        status: StatusCode,
        kind: &'static str,
        field: &str,
        message: impl Into<String>,
    ) -> Self {
        let e = FieldError::new(field, message);
        Self {
            status,
            kind,
            detail: e.to_string(),
            errors: vec![e],
            merged_into: None,
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not-found",
            format!("no {what} here"),
        )
    }

    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            format!("the body is larger than the {limit}-byte limit"),
        )
    }

    pub fn unsupported_media(expected: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            format!("send the body as {expected}"),
        )
    }

    pub fn problem(&self) -> Problem {
        Problem {
            kind: format!("urn:closer:problem:{}", self.kind),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            errors: self
                .errors
                .iter()
                .map(|e| ProblemField {
                    field: e.field.clone(),
                    message: e.message.clone(),
                })
                .collect(),
            merged_into: self.merged_into.clone(),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Invalid(errors) => ApiError::invalid(errors),
            AppError::NotFound => ApiError::not_found("such record"),
            AppError::Merged(into) => ApiError {
                merged_into: Some(into.to_string()),
                ..ApiError::new(
                    StatusCode::NOT_FOUND,
                    "merged",
                    format!("this contact was merged into contact {into}"),
                )
            },
            AppError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            AppError::Stale(m) => ApiError::new(StatusCode::CONFLICT, "changed-since-read", m),
            AppError::Unauthorized => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "send a valid API token as `Authorization: Bearer <token>` (make one with `closer token create`)",
            ),
            AppError::Forbidden(m) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", m),
            AppError::Unavailable(m) => {
                tracing::warn!(error = %m, "store unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the database is busy or unreachable; retry shortly",
                )
            }
            AppError::Busy(m) => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", m),
            AppError::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "something went wrong on our side; it has been logged",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.problem()).expect("problem serialises");
        let mut res = (self.status, body).into_response();
        let headers = res.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        match self.status {
            StatusCode::UNAUTHORIZED => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        res
    }
}
