//! The web app: server-rendered pages (maud) for reps and owners, over the same use cases as
//! the API. Forms work without JavaScript; the little script there is (`assets/app.js`)
//! adds dragging on the board and draws the charts with the embedded Chart.js.
//!
//! Pages answer HTML, errors included (`Failure`); nothing here reaches the store directly.

mod activity_edit;
mod assets;
mod board;
mod companies;
mod confirm;
mod contact;
mod contact_edit;
mod contacts;
pub(crate) mod dashboard;
mod deal_edit;
mod form_notes;
mod format;
mod imports;
mod layout;
mod login;
mod merge;
mod notifications;
mod property_fields;
mod queue;
pub(crate) mod reports;
mod search;
pub mod session;
mod settings;
mod tags;
mod task_edit;
mod tasks;

use std::fmt::Write;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use closer_app::AppError;
use maud::html;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{BODY_LIMIT, read_body};

/// Every page and form of the web app.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(login::router())
        .merge(dashboard::router())
        .merge(queue::router())
        .merge(contacts::router())
        .merge(contact::router())
        .merge(contact_edit::router())
        .merge(deal_edit::router())
        .merge(activity_edit::router())
        .merge(task_edit::router())
        .merge(merge::router())
        .merge(companies::router())
        .merge(board::router())
        .merge(tasks::router())
        .merge(search::router())
        .merge(notifications::router())
        .merge(reports::router())
        .merge(settings::router())
        .merge(imports::router())
        .merge(assets::router())
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

/// A page that could not be shown or a form that was refused: an HTML page with the status
/// and a sentence saying what to do. Internal details are logged (by `ApiError`), never shown.
#[derive(Debug)]
pub struct Failure {
    status: StatusCode,
    message: String,
}

impl Failure {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "Your session has ended. Sign in again, then repeat what you were doing.",
        )
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "There is nothing here, or it belongs to another workspace.",
        )
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        let mut message = e.detail.clone();
        for f in &e.errors {
            let _ = write!(message, " {}: {}.", f.field, f.message);
        }
        if e.status == StatusCode::NOT_FOUND {
            return Self::not_found();
        }
        Self::new(e.status, message)
    }
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        ApiError::from(e).into()
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("Error");
        let body = html! {
            (maud::DOCTYPE)
            html lang="en" {
                head { (layout::head(title)) }
                body.failure {
                    main {
                        h1 { (self.status.as_u16()) " " (title) }
                        p role="alert" { (self.message) }
                        p { a href="/" { "Back to the dashboard" } }
                    }
                }
            }
        };
        (self.status, body).into_response()
    }
}

/// A form that carries only the session's CSRF token (a button that does one thing).
#[derive(serde::Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

/// An id from a page's path or form; anything that is not one is a page that is not there.
pub fn id(raw: &str) -> Result<uuid::Uuid, Failure> {
    uuid::Uuid::parse_str(raw.trim()).map_err(|_| Failure::not_found())
}

/// A page's query string as its filled-in parameters, trimmed (a GET form sends empty
/// fields too, as `name=`).
pub fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k.into_owned(), v.trim().to_owned()))
        .collect()
}

/// What a dashboard or report page shows while its figures are first computed
/// (`AppState::page_wait` ran out): the script reloads the page each second until they are
/// there; without script, the link does.
pub fn computing() -> maud::Markup {
    html! {
        p.lede role="status" data-reload-in="1000" {
            "These figures are being computed; they appear here as soon as they are ready. "
            a href="" { "Show them" }
        }
    }
}

/// The first value of `key` among `pairs`.
pub fn param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// A urlencoded form body, parsed strictly: a bad or missing field is a 422 page naming it.
pub struct UiForm<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for UiForm<T> {
    type Rejection = Failure;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let bytes = read_body(req, state).await.map_err(Failure::from)?;
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(&bytes));
        serde_path_to_error::deserialize(de)
            .map(UiForm)
            .map_err(|e| {
                let field = e.path().to_string();
                Failure::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("The form could not be read ({field}: {}).", e.into_inner()),
                )
            })
    }
}
