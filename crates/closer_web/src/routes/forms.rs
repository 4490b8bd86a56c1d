//! `/api/v1/forms`: manage lead-capture forms (admin tokens create them).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use closer_app::Principal;
use closer_domain::FormId;
use closer_store::Form;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::ApiJson;
use crate::snippet;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_form, list_forms))
        .routes(routes!(get_form))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormInput {
    pub name: String,
    /// Where a browser goes after a successful post (303); without it, a thank-you page.
    pub redirect_url: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct FormView {
    pub id: Uuid,
    /// The public key in the form's address.
    pub key: String,
    pub name: String,
    pub redirect_url: Option<String>,
    /// Where landing pages post: `{public_url}/f/{key}`.
    pub action_url: String,
    /// An HTML form to paste into a landing page.
    pub snippet: String,
    pub created_at: String,
}

fn view(form: Form, public_url: &str) -> FormView {
    FormView {
        action_url: snippet::action_url(&form, public_url),
        snippet: snippet::form_snippet(&form, public_url),
        id: form.id.0,
        key: form.key.to_string(),
        name: form.name,
        redirect_url: form.redirect_url,
        created_at: form.created_at.to_string(),
    }
}

/// Create a lead-capture form (admin).
#[utoipa::path(post, path = "/api/v1/forms", tag = "forms", request_body = FormInput,
    responses((status = 201, body = FormView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn create_form(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<FormInput>,
) -> Result<Response, ApiError> {
    let form = state
        .app
        .forms()
        .create_form(&principal, &input.name, input.redirect_url.as_deref())
        .await?;
    let location = format!("/api/v1/forms/{}", form.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(view(form, &state.public_url)),
    )
        .into_response())
}

/// The workspace's forms.
#[utoipa::path(get, path = "/api/v1/forms", tag = "forms", responses((status = 200, body = Vec<FormView>)), security(("bearer" = [])))]
async fn list_forms(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<FormView>>, ApiError> {
    let forms = state.app.forms().list_forms(&principal).await?;
    Ok(Json(
        forms
            .into_iter()
            .map(|f| view(f, &state.public_url))
            .collect(),
    ))
}

/// One form, with its snippet.
#[utoipa::path(get, path = "/api/v1/forms/{id}", tag = "forms", params(("id" = Uuid, Path, description = "Form id")),
    responses((status = 200, body = FormView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn get_form(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<FormView>, ApiError> {
    let id: FormId = id.parse().map_err(|_| {
        ApiError::field(
            StatusCode::BAD_REQUEST,
            "bad-id",
            "id",
            "is not a form id (a UUID)",
        )
    })?;
    Ok(Json(view(
        state.app.forms().form(&principal, id).await?,
        &state.public_url,
    )))
}
