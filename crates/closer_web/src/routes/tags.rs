//! `/api/v1/tags`: tags put on and taken off contacts, companies or deals, many at once, and
//! the workspace's tags with their counts. `/api/v1/views`: saved views of the contact and
//! deal lists — a name and the list's query string — for their author or the team, with how
//! many contacts each matches now.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use closer_app::Principal;
use closer_domain::tag::ViewOf;
use closer_store::{SavedView, Tagged};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::contacts::ListParams;
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiQuery};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tags, retag))
        .routes(routes!(list_views, save_view))
        .routes(routes!(delete_view))
}

fn tagged(raw: &str) -> Result<Tagged, ApiError> {
    match raw {
        "contacts" => Ok(Tagged::Contacts),
        "companies" => Ok(Tagged::Companies),
        "deals" => Ok(Tagged::Deals),
        _ => Err(ApiError::invalid(vec![closer_domain::FieldError::new(
            "on",
            "must be contacts, companies or deals",
        )])),
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OnParam {
    /// contacts, companies or deals.
    #[param(pattern = "^(contacts|companies|deals)$")]
    on: String,
}

#[derive(Serialize, ToSchema)]
pub struct TagCount {
    tag: String,
    /// Records holding it.
    count: u64,
}

#[derive(Serialize, ToSchema)]
pub struct TagList {
    items: Vec<TagCount>,
}

/// The workspace's tags on contacts, companies or deals, by name, with how many hold each.
#[utoipa::path(get, path = "/api/v1/tags", tag = "contacts", params(OnParam),
    responses((status = 200, body = TagList),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn list_tags(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(params): ApiQuery<OnParam>,
) -> Result<Json<TagList>, ApiError> {
    let kind = tagged(&params.on)?;
    let tags = state.app.workspace_tags(&principal, kind).await?;
    Ok(Json(TagList {
        items: tags
            .into_iter()
            .map(|(t, count)| TagCount {
                tag: t.to_string(),
                count,
            })
            .collect(),
    }))
}

/// Tags to put on and take off records, all of one kind.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Retag {
    /// contacts, companies or deals.
    #[schema(pattern = "^(contacts|companies|deals)$")]
    on: String,
    /// The records, 1–1000.
    #[schema(min_items = 1, max_items = 1000)]
    ids: Vec<Uuid>,
    /// Tags to put on (kept as they are where held already). A tag is up to 40 letters,
    /// digits, spaces and `- _ . & + / : # '`, compared in lower case.
    #[serde(default)]
    #[schema(max_items = 30)]
    add: Vec<String>,
    /// Tags to take off.
    #[serde(default)]
    #[schema(max_items = 30)]
    remove: Vec<String>,
}

/// Puts tags on and takes tags off many records at once: all of them or, when one is not
/// found or not the caller's to edit, none.
#[utoipa::path(post, path = "/api/v1/tags", tag = "contacts", request_body = Retag,
    responses((status = 204),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn retag(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<Retag>,
) -> Result<StatusCode, ApiError> {
    let kind = tagged(&body.on)?;
    state
        .app
        .retag(&principal, kind, &body.ids, &body.add, &body.remove)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParam {
    /// contacts (the default) or deals.
    #[param(pattern = "^(contacts|deals)$")]
    list: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ViewItem {
    id: Uuid,
    name: String,
    /// contacts or deals.
    list: String,
    /// The list's filters, as its query string (`stage=lead&tag=vip`): `GET
    /// /api/v1/contacts?{query}` lists the view.
    query: String,
    /// The team's (true) or its author's own.
    shared: bool,
    created_at: String,
    /// Contacts it matches now, as far as the caller sees (contact views); counting stops
    /// past 10,000.
    count: Option<u64>,
    /// More match than `count` (it stopped at 10,000).
    more: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ViewList {
    items: Vec<ViewItem>,
}

/// The contact list's filters in a view's query, read as `GET /api/v1/contacts` reads them.
pub(crate) fn contact_filters(query: &str) -> Result<closer_store::ContactQuery, ApiError> {
    let params: ListParams = serde_urlencoded::from_str(query).map_err(|e| {
        ApiError::invalid(vec![closer_domain::FieldError::new(
            "query",
            format!("is not the contact list's filters: {e}"),
        )])
    })?;
    params.parse()
}

/// How many contacts a contact view matches now, as far as `principal` sees (up to
/// `closer_app::COUNT_CAP`); `None` for other lists.
pub async fn view_count(
    app: &closer_app::App,
    principal: &Principal,
    v: &SavedView,
) -> Result<Option<closer_app::Counted>, ApiError> {
    Ok(match v.list {
        ViewOf::Contacts => {
            let q = contact_filters(&v.query)?;
            Some(app.contacts().count_contacts(principal, &q).await?)
        }
        ViewOf::Deals => None,
    })
}

async fn item(state: &AppState, principal: &Principal, v: SavedView) -> Result<ViewItem, ApiError> {
    let count = view_count(&state.app, principal, &v).await?;
    Ok(ViewItem {
        id: v.id,
        name: v.name,
        list: v.list.as_str().to_owned(),
        query: v.query,
        shared: v.owner_id.is_none(),
        created_at: v.created_at.to_string(),
        count: count.map(|c| match c {
            closer_app::Counted::Exactly(n) | closer_app::Counted::AtLeast(n) => n,
        }),
        more: matches!(count, Some(closer_app::Counted::AtLeast(_))),
    })
}

/// The team's saved views of a list and the caller's own, by name, each with its count.
#[utoipa::path(get, path = "/api/v1/views", tag = "contacts", params(ListParam),
    responses((status = 200, body = ViewList),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn list_views(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(params): ApiQuery<ListParam>,
) -> Result<Json<ViewList>, ApiError> {
    let list = ViewOf::parse(params.list.as_deref().unwrap_or("contacts"))
        .map_err(|e| ApiError::invalid(vec![e]))?;
    let mut items = Vec::new();
    for v in state.app.views(&principal, list).await? {
        items.push(item(&state, &principal, v).await?);
    }
    Ok(Json(ViewList { items }))
}

/// A view to save.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewView {
    /// 1–80 characters.
    #[schema(min_length = 1, max_length = 80)]
    name: String,
    /// contacts (the default) or deals.
    #[schema(pattern = "^(contacts|deals)$")]
    list: Option<String>,
    /// The list's filters as its query string (`stage=lead&temperature=hot&tag=vip`), as
    /// `GET /api/v1/contacts` takes them; checked the same way.
    #[schema(max_length = 2000)]
    query: String,
    /// For the whole team (a token's views always are); the author's own otherwise.
    #[serde(default)]
    shared: bool,
}

/// Saves a view of a list.
#[utoipa::path(post, path = "/api/v1/views", tag = "contacts", request_body = NewView,
    responses((status = 201, body = ViewItem),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn save_view(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<NewView>,
) -> Result<(StatusCode, Json<ViewItem>), ApiError> {
    let list = ViewOf::parse(body.list.as_deref().unwrap_or("contacts"))
        .map_err(|e| ApiError::invalid(vec![e]))?;
    let view = save(
        &state.app,
        &principal,
        list,
        &body.name,
        &body.query,
        body.shared,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(item(&state, &principal, view).await?),
    ))
}

/// Saves a view whose query the list's own parser reads (the web app's form and the CLI
/// too).
pub async fn save(
    app: &closer_app::App,
    principal: &Principal,
    list: ViewOf,
    name: &str,
    query: &str,
    shared: bool,
) -> Result<SavedView, ApiError> {
    let filters = query.trim().trim_start_matches('?');
    match list {
        ViewOf::Contacts => contact_filters(filters).map(|_| ())?,
        ViewOf::Deals => super::deals::deal_filters(filters).map(|_| ())?,
    }
    Ok(app.save_view(principal, list, name, query, shared).await?)
}

/// Deletes a view: one's own, or a team view one made (managers and admins: any).
#[utoipa::path(delete, path = "/api/v1/views/{id}", tag = "contacts", params(("id" = Uuid, Path)),
    responses((status = 204),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn delete_view(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found("view"))?;
    state.app.delete_view(&principal, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
