//! `/api/v1/contacts`: upsert, read, edit, erase, list and timeline.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use closer_app::Principal;
use closer_domain::{ContactId, FieldError, Stage, Timestamp, UserId};
use closer_store::{ContactQuery, ContactSort, Cursor, OwnerFilter};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::contacts_dto::{
    ContactDetail, ContactInput, ContactPage, ContactPatchInput, ContactView, EventPage, EventView,
    StageView,
};
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiQuery};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_contact, list_contacts))
        .routes(routes!(get_contact, patch_contact, delete_contact))
        .routes(routes!(contact_events))
        .routes(routes!(export_contact))
        .routes(routes!(bulk_update))
        .routes(routes!(bulk_erase))
}

/// Many people to erase.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkErase {
    /// The contacts, 1–200.
    #[schema(min_items = 1, max_items = 200)]
    ids: Vec<uuid::Uuid>,
}

/// Erases many people at once (admins): every id is checked first — one that is not found
/// erases nobody (404) — then each is erased as `DELETE /api/v1/contacts/{id}` would.
#[utoipa::path(post, path = "/api/v1/contacts/erase", tag = "contacts", request_body = BulkErase,
    responses((status = 204),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn bulk_erase(
    State(app_state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<BulkErase>,
) -> Result<StatusCode, ApiError> {
    let ids: Vec<ContactId> = body.ids.into_iter().map(ContactId).collect();
    app_state
        .app
        .contacts()
        .erase_contacts(&principal, &ids)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Many contacts changed at once.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkUpdate {
    /// The contacts, 1–200.
    #[schema(min_items = 1, max_items = 200)]
    ids: Vec<uuid::Uuid>,
    /// A user's id to give them to, or `none` to unassign them.
    #[schema(
        pattern = "^(none|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    owner: Option<String>,
    /// lead, prospect, opportunity, customer or disqualified.
    #[schema(pattern = "^(lead|prospect|opportunity|customer|disqualified)$")]
    stage: Option<String>,
}

/// Gives many contacts an owner, moves them to a stage, or both: all of them, or — when one
/// is not found or not the caller's to change — none.
#[utoipa::path(post, path = "/api/v1/contacts/bulk", tag = "contacts", request_body = BulkUpdate,
    responses((status = 204),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn bulk_update(
    State(app_state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<BulkUpdate>,
) -> Result<StatusCode, ApiError> {
    let owner = match body.owner.as_deref() {
        None => None,
        Some("none") => Some(None),
        Some(raw) => Some(Some(closer_domain::UserId(raw.parse().map_err(|_| {
            ApiError::invalid(vec![FieldError::new(
                "owner",
                "must be a user's id or none",
            )])
        })?))),
    };
    let stage = body
        .stage
        .as_deref()
        .map(Stage::parse)
        .transpose()
        .map_err(|e| ApiError::invalid(vec![FieldError::new("stage", e.message)]))?;
    let ids: Vec<ContactId> = body.ids.into_iter().map(ContactId).collect();
    app_state
        .app
        .contacts()
        .update_contacts(&principal, &ids, owner, stage)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) fn contact_id(raw: &str) -> Result<ContactId, ApiError> {
    super::path_id(raw, "a contact").map(ContactId)
}

/// Create a contact, or update the one with the same email or phone.
#[utoipa::path(post, path = "/api/v1/contacts", tag = "contacts", request_body = ContactInput,
    responses(
        (status = 201, description = "Created; `Location` names it", body = ContactView),
        (status = 200, description = "Matched an existing contact by email or phone, which was updated", body = ContactView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
async fn create_contact(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<ContactInput>,
) -> Result<Response, ApiError> {
    let region = state.app.region(&principal).await?;
    let (draft, overwrite) = input.parse(region).map_err(ApiError::invalid)?;
    let out = state
        .app
        .contacts()
        .upsert_contact(&principal, draft, overwrite)
        .await?;
    let id = out.contact.id;
    let body = Json(ContactView::from(out.contact));
    Ok(if out.created {
        (
            StatusCode::CREATED,
            [(header::LOCATION, format!("/api/v1/contacts/{id}"))],
            body,
        )
            .into_response()
    } else {
        (StatusCode::OK, body).into_response()
    })
}

/// A contact with its stage history.
#[utoipa::path(get, path = "/api/v1/contacts/{id}", tag = "contacts",
    params(("id" = Uuid, Path, description = "Contact id")),
    responses((status = 200, body = ContactDetail), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn get_contact(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<ContactDetail>, ApiError> {
    let id = contact_id(&id)?;
    let contact = state.app.contacts().contact(&principal, id).await?;
    let history = state.app.contacts().stage_history(&principal, id).await?;
    let first_touch = state.app.sales().first_touch(&principal, id).await?;
    let speed = first_touch
        .map(|t| (t.unix_micros() - contact.created_at.unix_micros()).max(0) / 1_000_000);
    Ok(Json(ContactDetail {
        contact: contact.into(),
        stage_history: history.into_iter().map(StageView::from).collect(),
        first_touch_at: first_touch.map(|t| t.to_string()),
        speed_to_lead_seconds: speed,
    }))
}

/// Edit a contact (fields present are set, `null` clears).
#[utoipa::path(patch, path = "/api/v1/contacts/{id}", tag = "contacts", request_body = ContactPatchInput,
    params(("id" = Uuid, Path, description = "Contact id")),
    responses((status = 200, body = ContactView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn patch_contact(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ContactPatchInput>,
) -> Result<Json<ContactView>, ApiError> {
    let id = contact_id(&id)?;
    let region = state.app.region(&principal).await?;
    let patch = input.parse(region).map_err(ApiError::invalid)?;
    Ok(Json(
        state
            .app
            .contacts()
            .patch_contact(&principal, id, &patch)
            .await?
            .into(),
    ))
}

/// Everything closer holds about the person, as one JSON document (an access or
/// portability request): fields, identities, consent, company, stage history, scores, value,
/// linked visitors and sessions, the whole timeline, deals, activities, tasks, orders.
#[utoipa::path(get, path = "/api/v1/contacts/{id}/export", tag = "contacts",
    params(("id" = Uuid, Path, description = "Contact id")),
    responses((status = 200, body = Object, description = "The person's export"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn export_contact(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = contact_id(&id)?;
    let export = state.app.contacts().export(&principal, id).await?;
    Ok((
        [(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"contact-{}.json\"", id.0),
        )],
        Json(export),
    )
        .into_response())
}

/// Erase a contact: its personal data is deleted everywhere (an erasure request).
#[utoipa::path(delete, path = "/api/v1/contacts/{id}", tag = "contacts",
    params(("id" = Uuid, Path, description = "Contact id")),
    responses((status = 204, description = "Erased"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn delete_contact(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .contacts()
        .erase_contact(&principal, contact_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// lead, prospect, opportunity, customer or disqualified.
    #[param(pattern = "^(lead|prospect|opportunity|customer|disqualified)$")]
    stage: Option<String>,
    /// A user id, or `none` for unassigned contacts.
    #[param(
        pattern = "^(none|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    owner: Option<String>,
    /// RFC 3339; created at or after.
    #[param(format = DateTime)]
    created_from: Option<String>,
    /// RFC 3339; created before.
    #[param(format = DateTime)]
    created_to: Option<String>,
    /// Case-insensitive text in name, email or company.
    #[param(max_length = 200)]
    q: Option<String>,
    /// cold, warm or hot (as last scored).
    #[param(pattern = "^(cold|warm|hot)$")]
    temperature: Option<String>,
    /// The channel of the first tracked visit: direct, organic_search, paid_search…
    #[param(
        pattern = "^(affiliates|ai_assistants|direct|display|email|organic_search|organic_social|organic_video|other|paid_search|paid_social|paid_video|referral)$"
    )]
    channel: Option<String>,
    /// Contacts holding this tag (blank: any). A tag that is not one (a character tags cannot
    /// hold) is refused with 422.
    #[param(max_length = 40)]
    tag: Option<String>,
    /// The source of the first tracked visit, as the traffic report names it (`google`).
    #[param(max_length = 200)]
    source: Option<String>,
    /// The campaign of the first tracked visit (`utm_campaign`).
    #[param(max_length = 200)]
    campaign: Option<String>,
    /// Fit score at least (0–100).
    #[param(minimum = 0, maximum = 100)]
    fit_min: Option<f64>,
    /// Fit score at most.
    #[param(minimum = 0, maximum = 100)]
    fit_max: Option<f64>,
    /// Engagement score at least.
    #[param(minimum = 0)]
    engagement_min: Option<f64>,
    /// Engagement score at most.
    #[param(minimum = 0)]
    engagement_max: Option<f64>,
    /// `NAME:VALUE`: a custom property's value (case aside; a checkbox is `yes` or `no`, a
    /// multi-select matches any of its options). Blank: none.
    #[param(max_length = 300, pattern = "^([a-z][a-z0-9_]{0,39}:.*)?$")]
    property: Option<String>,
    /// RFC 3339: some activity logged at or after this time.
    #[param(format = DateTime)]
    active_from: Option<String>,
    /// RFC 3339: no activity logged at or after this time (idle since).
    #[param(format = DateTime)]
    active_to: Option<String>,
    /// `created`, `-created` (default), `updated`, `-updated`, or `-value`: highest predicted
    /// customer value first (the lifetime-value fit's 52 weeks), customers with a value only.
    #[param(pattern = "^(-?(created|updated)|-value)$")]
    sort: Option<String>,
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// `next_cursor` from the previous page.
    #[param(pattern = "^(v[0-9]{1,18}|[0-9]{1,16})\\.[0-9a-fA-F]{32}$")]
    cursor: Option<String>,
}

/// `?owner=`: a user id, or `none` for unassigned contacts.
pub(super) fn owner_filter(raw: Option<&str>) -> Result<Option<OwnerFilter>, ApiError> {
    Ok(match raw {
        None => None,
        Some("none") => Some(OwnerFilter::Unassigned),
        Some(raw) => Some(OwnerFilter::User(UserId(
            raw.parse()
                .map_err(|_| bad("owner", "must be a user id or none"))?,
        ))),
    })
}

/// Text searched for cannot hold a NUL character (no stored text does, and PostgreSQL
/// refuses it in a statement): 422 naming the field.
pub(super) fn no_nul(field: &str, text: Option<&str>) -> Result<(), ApiError> {
    if text.is_some_and(|t| t.contains('\0')) {
        return Err(ApiError::invalid(vec![FieldError::new(
            field,
            "must not contain a NUL character",
        )]));
    }
    Ok(())
}

pub(super) fn bad(field: &str, message: &str) -> ApiError {
    ApiError::field(StatusCode::BAD_REQUEST, "bad-query", field, message)
}

/// A filter's text: trimmed, blank meaning none, at most 200 characters, no NUL.
fn text_filter(field: &str, raw: Option<String>) -> Result<Option<String>, ApiError> {
    let t = raw.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    if t.as_ref().is_some_and(|t| t.chars().count() > 200) {
        return Err(bad(field, "must be at most 200 characters"));
    }
    no_nul(field, t.as_deref())?;
    Ok(t)
}

/// `NAME:VALUE`, the name a property's (letters, digits, `_`).
fn property_filter(raw: &str) -> Result<(String, String), ApiError> {
    let (name, value) = raw
        .split_once(':')
        .ok_or_else(|| bad("property", "must be NAME:VALUE, like plan:gold"))?;
    let name = closer_domain::property::property_name(name)
        .map_err(|e| ApiError::invalid(vec![FieldError::new("property", e.message)]))?;
    let value = value.trim();
    let refused = |why: &str| ApiError::invalid(vec![FieldError::new("property", why)]);
    if value.is_empty() {
        return Err(refused("needs a value after the name, like plan:gold"));
    }
    if value.chars().count() > 200 || value.contains('\0') {
        return Err(refused("a value is at most 200 characters, without a NUL"));
    }
    let value = value.to_owned();
    Ok((name, value))
}

/// A score range from its two ends, each optional, the low one not above the high one.
fn score_range(
    field: &str,
    min: Option<f64>,
    max: Option<f64>,
    top: f64,
) -> Result<closer_store::ScoreRange, ApiError> {
    let finite = |v: Option<f64>, end: &str| match v {
        Some(x) if !x.is_finite() || x < 0.0 || x > top => {
            Err(ApiError::invalid(vec![FieldError::new(
                format!("{field}_{end}"),
                if top.is_finite() {
                    format!("must be a score from 0 to {top}")
                } else {
                    "must be a score of 0 or more".to_owned()
                },
            )]))
        }
        other => Ok(other),
    };
    let (min, max) = (finite(min, "min")?, finite(max, "max")?);
    if let (Some(lo), Some(hi)) = (min, max)
        && lo > hi
    {
        return Err(ApiError::invalid(vec![FieldError::new(
            format!("{field}_min"),
            "must not be above the maximum",
        )]));
    }
    Ok(closer_store::ScoreRange { min, max })
}

/// A time filter: RFC 3339, or a day (`YYYY-MM-DD`, its midnight UTC) as a date picker
/// sends it.
fn time_param(field: &str, raw: Option<&str>) -> Result<Option<Timestamp>, ApiError> {
    raw.map(|r| {
        Timestamp::parse_rfc3339(r)
            .or_else(|| {
                closer_domain::parse_date(field, r).ok().and_then(|d| {
                    Timestamp::from_unix_micros(
                        d.midnight().assume_utc().unix_timestamp() * 1_000_000,
                    )
                })
            })
            .ok_or_else(|| {
                bad(
                    field,
                    "must be an RFC 3339 time, like 2026-11-23T00:00:00Z, or a day, like 2026-11-23",
                )
            })
    })
    .transpose()
}

impl ListParams {
    pub(crate) fn parse(self) -> Result<ContactQuery, ApiError> {
        let sort = match self.sort.as_deref() {
            None | Some("-created") => ContactSort::CreatedDesc,
            Some("created") => ContactSort::CreatedAsc,
            Some("-updated") => ContactSort::UpdatedDesc,
            Some("updated") => ContactSort::UpdatedAsc,
            Some("-value") => ContactSort::ValueDesc,
            Some(_) => {
                return Err(bad(
                    "sort",
                    "must be created, -created, updated, -updated or -value",
                ));
            }
        };
        let owner = owner_filter(self.owner.as_deref())?;
        let q = self
            .q
            .map(|q| q.trim().to_owned())
            .filter(|q| !q.is_empty());
        if q.as_ref().is_some_and(|q| q.chars().count() > 200) {
            return Err(bad("q", "must be at most 200 characters"));
        }
        no_nul("q", q.as_deref())?;
        Ok(ContactQuery {
            stage: self
                .stage
                .map(|s| Stage::parse(&s))
                .transpose()
                .map_err(|e| bad("stage", &e.message))?,
            owner,
            created_from: time_param("created_from", self.created_from.as_deref())?,
            created_to: time_param("created_to", self.created_to.as_deref())?,
            q,
            temperature: self
                .temperature
                .map(|t| {
                    closer_domain::qualification::Temperature::parse(&t)
                        .map_err(|e| bad("temperature", &e.message))
                })
                .transpose()?,
            channel: self
                .channel
                .map(|c| {
                    closer_domain::traffic::Channel::parse(&c)
                        .ok_or_else(|| bad("channel", "is not a channel (direct, organic_search, paid_search, organic_social, paid_social, email, referral…)"))
                })
                .transpose()?,
            tag: self
                .tag
                .filter(|t| !t.trim().is_empty())
                .map(|t| {
                    closer_domain::tag::Tag::parse(&t).map_err(|e| {
                        ApiError::invalid(vec![FieldError::new("tag", e.message)])
                    })
                })
                .transpose()?,
            source: text_filter("source", self.source)?
                .map(|s| closer_domain::traffic::source_name(&s)),
            campaign: text_filter("campaign", self.campaign)?,
            fit: score_range("fit", self.fit_min, self.fit_max, 100.0)?,
            engagement: score_range(
                "engagement",
                self.engagement_min,
                self.engagement_max,
                f64::INFINITY,
            )?,
            property: self
                .property
                .filter(|p| !p.trim().is_empty())
                .map(|p| property_filter(&p))
                .transpose()?,
            active_from: time_param("active_from", self.active_from.as_deref())?,
            active_to: time_param("active_to", self.active_to.as_deref())?,
            sort,
            limit: self.limit.unwrap_or(50),
            after: self
                .cursor
                .map(|c| {
                    let cursor = Cursor::decode(&c)
                        .ok_or_else(|| bad("cursor", "is not a cursor from this API"))?;
                    // A cursor names a place in one order: one from another is refused.
                    if cursor.value.is_some() == (sort == ContactSort::ValueDesc) {
                        Ok(cursor)
                    } else {
                        Err(ApiError::invalid(vec![FieldError::new(
                            "cursor",
                            "comes from a list in another order: start again without it",
                        )]))
                    }
                })
                .transpose()?,
        })
    }
}

/// List contacts, newest first by default, a page at a time.
#[utoipa::path(get, path = "/api/v1/contacts", tag = "contacts", params(ListParams),
    responses((status = 200, body = ContactPage), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn list_contacts(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<ContactPage>, ApiError> {
    let query = params.parse()?;
    let page = state
        .app
        .contacts()
        .list_contacts(&principal, &query)
        .await?;
    Ok(Json(ContactPage {
        items: page.items.into_iter().map(ContactView::from).collect(),
        next_cursor: page.next.map(|c| c.encode()),
    }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventParams {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// `next_before` from the previous page.
    #[param(pattern = "^[0-9]{1,16}\\.[0-9a-fA-F]{32}$")]
    before: Option<String>,
}

/// The contact's timeline, newest first.
#[utoipa::path(get, path = "/api/v1/contacts/{id}/events", tag = "contacts",
    params(("id" = Uuid, Path, description = "Contact id"), EventParams),
    responses((status = 200, body = EventPage), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn contact_events(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<EventParams>,
) -> Result<Json<EventPage>, ApiError> {
    let id = contact_id(&id)?;
    let limit = params.limit.unwrap_or(50);
    let before = params
        .before
        .map(|c| Cursor::decode(&c).ok_or_else(|| bad("before", "is not a cursor from this API")))
        .transpose()?;
    let events = state
        .app
        .contacts()
        .contact_events(&principal, id, limit, before)
        .await?;
    let next_before = (events.len() == limit as usize)
        .then(|| {
            events
                .last()
                .map(|e| Cursor::new(e.occurred_at, e.id.0).encode())
        })
        .flatten();
    Ok(Json(EventPage {
        items: events.into_iter().map(EventView::from).collect(),
        next_before,
    }))
}
