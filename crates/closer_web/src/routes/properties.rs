//! `/api/v1/properties`: the custom properties a workspace defines for its contacts,
//! companies and deals — name, label, type and a select's options. Anyone with a token reads
//! them (forms and integrations draw from them); admins define, change and remove them.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use closer_app::Principal;
use closer_app::properties::PropertyRequest;
use closer_domain::FieldError;
use closer_domain::property::{PropertyDef, PropertyOf, PropertyType};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiQuery};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_properties, define_property))
        .routes(routes!(update_property, delete_property))
}

#[derive(Serialize, ToSchema)]
pub struct PropertyView {
    id: Uuid,
    /// contacts, companies or deals.
    of: &'static str,
    /// The key in the records' `properties`.
    name: String,
    label: String,
    /// text, number, money, date, select, multi_select, checkbox or url.
    #[serde(rename = "type")]
    kind: &'static str,
    /// A select's options, in the order forms offer them.
    options: Vec<String>,
}

impl From<PropertyDef> for PropertyView {
    fn from(d: PropertyDef) -> Self {
        Self {
            id: d.id,
            of: d.of.as_str(),
            name: d.name,
            label: d.label,
            kind: d.kind.as_str(),
            options: d.options,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PropertyList {
    items: Vec<PropertyView>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OfParam {
    /// contacts, companies or deals (all when absent).
    #[param(pattern = "^(contacts|companies|deals)$")]
    of: Option<String>,
}

fn of(raw: &str) -> Result<PropertyOf, ApiError> {
    PropertyOf::parse(raw).map_err(|e| ApiError::invalid(vec![e]))
}

/// The workspace's defined properties, by kind of record then name.
#[utoipa::path(get, path = "/api/v1/properties", tag = "contacts", params(OfParam),
    responses((status = 200, body = PropertyList),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn list_properties(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(p): ApiQuery<OfParam>,
) -> Result<Json<PropertyList>, ApiError> {
    let of = p.of.as_deref().map(of).transpose()?;
    let defs = state.app.property_defs(&principal, of).await?;
    Ok(Json(PropertyList {
        items: defs.into_iter().map(PropertyView::from).collect(),
    }))
}

/// A property to define.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PropertyInput {
    /// contacts, companies or deals.
    of: String,
    /// 1 to 40 lower-case letters, digits or `_`, starting with a letter.
    name: String,
    /// What forms and pages call it (the name when absent).
    label: Option<String>,
    /// text, number, money, date, select, multi_select, checkbox or url.
    #[serde(rename = "type")]
    kind: String,
    /// A select's options (required for select and multi_select, refused otherwise).
    #[serde(default)]
    #[schema(max_items = 100)]
    options: Vec<String>,
}

/// Define a property: values written under its name on that kind of record are checked by
/// its type from then on (422 naming `properties.NAME`).
#[utoipa::path(post, path = "/api/v1/properties", tag = "contacts", request_body = PropertyInput,
    responses((status = 201, body = PropertyView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn define_property(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<PropertyInput>,
) -> Result<Response, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let of = PropertyOf::parse(&input.of)
        .map_err(|e| errors.push(e))
        .ok();
    let kind = PropertyType::parse(&input.kind)
        .map_err(|e| errors.push(e))
        .ok();
    let (Some(of), Some(kind), true) = (of, kind, errors.is_empty()) else {
        return Err(ApiError::invalid(errors));
    };
    let def = state
        .app
        .define_property(
            &principal,
            PropertyRequest {
                of,
                name: input.name,
                label: input.label.unwrap_or_default(),
                kind,
                options: input.options,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(PropertyView::from(def))).into_response())
}

/// A definition's new label and options (its name and type stay).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PropertyUpdate {
    label: String,
    #[serde(default)]
    #[schema(max_items = 100)]
    options: Vec<String>,
}

fn property_id(raw: &str) -> Result<Uuid, ApiError> {
    super::path_id(raw, "a property")
}

/// Change a property's label and options. Values already stored keep what they hold.
#[utoipa::path(patch, path = "/api/v1/properties/{id}", tag = "contacts", request_body = PropertyUpdate,
    params(("id" = Uuid, Path, description = "Property id")),
    responses((status = 200, body = PropertyView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn update_property(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<PropertyUpdate>,
) -> Result<Json<PropertyView>, ApiError> {
    let def = state
        .app
        .update_property(&principal, property_id(&id)?, &input.label, &input.options)
        .await?;
    Ok(Json(def.into()))
}

/// Remove a property's definition: the values already written stay on their records,
/// unchecked from then on.
#[utoipa::path(delete, path = "/api/v1/properties/{id}", tag = "contacts",
    params(("id" = Uuid, Path, description = "Property id")),
    responses((status = 204),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn delete_property(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .delete_property(&principal, property_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
