//! `/api/v1/companies`: create (deduped by domain), read with people, deals and orders,
//! edit, delete, and list.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use closer_app::Principal;
use closer_domain::company::{company_name, domains, employees, optional_text};
use closer_domain::contact::parse_properties;
use closer_domain::{Company, CompanyDraft, CompanyId, CompanyPatch, FieldError, UserId};
use closer_store::{CompanyQuery, Cursor};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::contacts::{bad, owner_filter};
use super::contacts_dto::{ContactView, present};
use super::deals_dto::{DealView, OrderView};
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiQuery};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_company, list_companies))
        .routes(routes!(get_company, patch_company, delete_company))
        .routes(routes!(set_contact_company))
}

/// Which company a contact belongs to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactCompanyInput {
    /// A company of the workspace, or `null` for none.
    pub company_id: Option<Uuid>,
}

/// Put a contact in a company by hand (or, with `null`, in none): for people whose email
/// names no company, or the wrong one. Automatic linking never undoes it.
#[utoipa::path(put, path = "/api/v1/contacts/{id}/company", tag = "contacts", request_body = ContactCompanyInput,
    params(("id" = Uuid, Path, description = "Contact id")),
    responses((status = 200, body = ContactView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn set_contact_company(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ContactCompanyInput>,
) -> Result<Json<ContactView>, ApiError> {
    let id = super::contacts::contact_id(&id)?;
    let contact = state
        .app
        .companies()
        .set_contact_company(&principal, id, input.company_id.map(CompanyId))
        .await?;
    Ok(Json(contact.into()))
}

fn company_id(raw: &str) -> Result<CompanyId, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::field(
            StatusCode::BAD_REQUEST,
            "bad-id",
            "id",
            "is not a company id (a UUID)",
        )
    })
}

/// A new company. If one of its domains already names a company of the workspace, that
/// company is returned (200) instead of a second one being made.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyInput {
    pub name: String,
    /// Web domains (`acme.com`; a URL is reduced to its host, `www.` dropped). Free-mail
    /// domains are refused.
    #[serde(default)]
    pub domains: Vec<String>,
    /// Number of employees.
    #[schema(maximum = 10_000_000)]
    pub employees: Option<u32>,
    pub industry: Option<String>,
    pub country: Option<String>,
    pub owner_id: Option<Uuid>,
    #[schema(value_type = Option<Object>)]
    pub properties: Option<Value>,
}

/// An edit: fields present are set (`null` clears), `domains` replaces the list,
/// `properties` merges key by key (a `null` value removes the key).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyPatchInput {
    pub name: Option<String>,
    pub domains: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>, maximum = 10_000_000)]
    pub employees: Option<Option<u32>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub industry: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub country: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub owner_id: Option<Option<Uuid>>,
    #[schema(value_type = Option<Object>)]
    pub properties: Option<Value>,
}

/// Every field error at once.
fn collect<T>(errors: &mut Vec<FieldError>, r: Result<T, FieldError>) -> Option<T> {
    r.map_err(|e| errors.push(e)).ok()
}

impl CompanyInput {
    pub fn parse(self) -> Result<CompanyDraft, Vec<FieldError>> {
        let mut errs = Vec::new();
        let draft = CompanyDraft {
            name: collect(&mut errs, company_name(&self.name)).unwrap_or_default(),
            domains: collect(&mut errs, domains(self.domains.iter().map(String::as_str)))
                .unwrap_or_default(),
            employees: collect(&mut errs, employees(self.employees)).flatten(),
            industry: collect(
                &mut errs,
                optional_text("industry", self.industry.as_deref()),
            )
            .flatten(),
            country: collect(&mut errs, optional_text("country", self.country.as_deref()))
                .flatten(),
            owner_id: self.owner_id.map(UserId),
            properties: self
                .properties
                .and_then(|p| {
                    collect(
                        &mut errs,
                        parse_properties(p, false)
                            .map_err(|e| FieldError::new("properties", e.message)),
                    )
                })
                .unwrap_or_default(),
        };
        if errs.is_empty() {
            Ok(draft)
        } else {
            Err(errs)
        }
    }
}

impl CompanyPatchInput {
    pub fn parse(self) -> Result<CompanyPatch, Vec<FieldError>> {
        let mut errs = Vec::new();
        let mut text = |field: &str, v: Option<Option<String>>| {
            v.map(|inner| collect(&mut errs, optional_text(field, inner.as_deref())).flatten())
        };
        let industry = text("industry", self.industry);
        let country = text("country", self.country);
        let patch = CompanyPatch {
            industry,
            country,
            name: self.name.and_then(|n| collect(&mut errs, company_name(&n))),
            domains: self
                .domains
                .and_then(|d| collect(&mut errs, domains(d.iter().map(String::as_str)))),
            employees: self
                .employees
                .map(|e| collect(&mut errs, employees(e)).flatten()),
            owner_id: self.owner_id.map(|o| o.map(UserId)),
            properties: self.properties.and_then(|p| {
                collect(
                    &mut errs,
                    parse_properties(p, true).map_err(|e| FieldError::new("properties", e.message)),
                )
            }),
        };
        if errs.is_empty() {
            Ok(patch)
        } else {
            Err(errs)
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CompanyView {
    pub id: Uuid,
    pub name: String,
    pub domains: Vec<String>,
    pub employees: Option<u32>,
    pub industry: Option<String>,
    pub country: Option<String>,
    pub owner_id: Option<Uuid>,
    #[schema(value_type = Object)]
    pub properties: Value,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Company> for CompanyView {
    fn from(c: Company) -> Self {
        Self {
            id: c.id.0,
            name: c.name,
            domains: c.domains.iter().map(ToString::to_string).collect(),
            employees: c.employees,
            industry: c.industry,
            country: c.country,
            owner_id: c.owner_id.map(|u| u.0),
            properties: Value::Object(c.properties),
            created_at: c.created_at.to_string(),
            updated_at: c.updated_at.to_string(),
        }
    }
}

/// A company with its people, deals and orders (as far as the caller may see them).
#[derive(Serialize, ToSchema)]
pub struct CompanyDetail {
    #[serde(flatten)]
    pub company: CompanyView,
    pub people: Vec<ContactView>,
    pub deals: Vec<DealView>,
    pub orders: Vec<OrderView>,
}

#[derive(Serialize, ToSchema)]
pub struct CompanyPage {
    pub items: Vec<CompanyView>,
    pub next_cursor: Option<String>,
}

/// Create a company (or find the one its domains name). Contacts whose email is at one of
/// its domains join it.
#[utoipa::path(post, path = "/api/v1/companies", tag = "contacts", request_body = CompanyInput,
    responses((status = 201, body = CompanyView), (status = 200, body = CompanyView, description = "A company already held one of the domains"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn create_company(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<CompanyInput>,
) -> Result<Response, ApiError> {
    let draft = input.parse().map_err(ApiError::invalid)?;
    let (company, created) = state.app.companies().create(&principal, draft).await?;
    let id = company.id;
    let body = Json(CompanyView::from(company));
    Ok(if created {
        (
            StatusCode::CREATED,
            [(header::LOCATION, format!("/api/v1/companies/{id}"))],
            body,
        )
            .into_response()
    } else {
        (StatusCode::OK, body).into_response()
    })
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CompanyListParams {
    /// Case-insensitive text in the name or a domain.
    #[param(max_length = 200)]
    q: Option<String>,
    /// A user id, or `none` for companies without an owner.
    #[param(
        pattern = "^(none|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    owner: Option<String>,
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// `next_cursor` from the previous page.
    #[param(pattern = "^[0-9]{1,16}\\.[0-9a-fA-F]{32}$")]
    cursor: Option<String>,
}

/// List companies, newest first, a page at a time.
#[utoipa::path(get, path = "/api/v1/companies", tag = "contacts", params(CompanyListParams),
    responses((status = 200, body = CompanyPage), (status = 400, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn list_companies(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(params): ApiQuery<CompanyListParams>,
) -> Result<Json<CompanyPage>, ApiError> {
    let q = params
        .q
        .map(|q| q.trim().to_owned())
        .filter(|q| !q.is_empty());
    if q.as_ref().is_some_and(|q| q.chars().count() > 200) {
        return Err(bad("q", "must be at most 200 characters"));
    }
    super::contacts::no_nul("q", q.as_deref())?;
    let query = CompanyQuery {
        q,
        owner: owner_filter(params.owner.as_deref())?,
        limit: params.limit.unwrap_or(50),
        after: params
            .cursor
            .map(|c| {
                Cursor::decode(&c).ok_or_else(|| bad("cursor", "is not a cursor from this API"))
            })
            .transpose()?,
    };
    let page = state.app.companies().list(&principal, &query).await?;
    Ok(Json(CompanyPage {
        items: page.items.into_iter().map(CompanyView::from).collect(),
        next_cursor: page.next.map(|c| c.encode()),
    }))
}

/// A company with its people, deals and orders.
#[utoipa::path(get, path = "/api/v1/companies/{id}", tag = "contacts",
    params(("id" = Uuid, Path, description = "Company id")),
    responses((status = 200, body = CompanyDetail), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn get_company(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<CompanyDetail>, ApiError> {
    let o = state
        .app
        .companies()
        .overview(&principal, company_id(&id)?)
        .await?;
    Ok(Json(CompanyDetail {
        company: o.company.into(),
        people: o.people.into_iter().map(ContactView::from).collect(),
        deals: o.deals.into_iter().map(DealView::from).collect(),
        orders: o.orders.into_iter().map(OrderView::from).collect(),
    }))
}

/// Edit a company (fields present are set, `null` clears, `domains` replaces the list).
#[utoipa::path(patch, path = "/api/v1/companies/{id}", tag = "contacts", request_body = CompanyPatchInput,
    params(("id" = Uuid, Path, description = "Company id")),
    responses((status = 200, body = CompanyView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn patch_company(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CompanyPatchInput>,
) -> Result<Json<CompanyView>, ApiError> {
    let id = company_id(&id)?;
    let patch = input.parse().map_err(ApiError::invalid)?;
    Ok(Json(
        state
            .app
            .companies()
            .patch(&principal, id, &patch)
            .await?
            .into(),
    ))
}

/// Delete a company: its people and deals stay, without a company.
#[utoipa::path(delete, path = "/api/v1/companies/{id}", tag = "contacts",
    params(("id" = Uuid, Path, description = "Company id")),
    responses((status = 204, description = "Deleted"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn delete_company(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .companies()
        .delete(&principal, company_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
