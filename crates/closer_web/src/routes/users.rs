//! `/api/v1/users`: the people of a workspace who own contacts, deals and tasks.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use closer_app::Principal;
use closer_store::User;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::ApiJson;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_users, add_user))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    pub email: String,
    pub name: String,
    /// admin, manager, rep (default) or marketer. New hot leads go to reps.
    pub role: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: String,
    pub created_at: String,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        Self {
            id: u.id.0,
            email: u.email.as_str().to_owned(),
            name: u.name,
            role: u.role,
            created_at: u.created_at.to_string(),
        }
    }
}

/// The workspace's users.
#[utoipa::path(get, path = "/api/v1/users", tag = "pipeline",
    responses((status = 200, body = Vec<UserView>)), security(("bearer" = [])))]
async fn list_users(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<UserView>>, ApiError> {
    let users = state.app.access().users(principal.workspace_id).await?;
    Ok(Json(users.into_iter().map(UserView::from).collect()))
}

/// Add a user (admin).
#[utoipa::path(post, path = "/api/v1/users", tag = "pipeline", request_body = UserInput,
    responses((status = 201, body = UserView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn add_user(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<UserInput>,
) -> Result<Response, ApiError> {
    let user = state
        .app
        .access()
        .add_user_to(
            &principal,
            &input.email,
            &input.name,
            input.role.as_deref().unwrap_or("rep"),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(UserView::from(user))).into_response())
}
