//! `GET /api/v1/traffic` (the traffic report), `POST /api/v1/identify` (server-side identity
//! stitching) and `GET /api/v1/contacts/{id}/traffic` (a contact's sources and touches).

use axum::Json;
use axum::extract::{Path, State};
use closer_app::{IdentifyInput, Principal, ReportRange, TrafficReport};
use closer_domain::{ContactId, FieldError};
use closer_store::{Link, Touch};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::contacts_dto::ContactInput;
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiQuery};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(report))
        .routes(routes!(identify))
        .routes(routes!(contact_traffic))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TrafficParams {
    /// Start: a date (`2026-11-01`, midnight UTC) or an RFC 3339 time. Default: 30 days ago.
    from: Option<String>,
    /// End, exclusive: a date (the whole day is included) or an RFC 3339 time. Default: now.
    to: Option<String>,
    /// A site's domain; all of the workspace's sites when left out.
    site: Option<String>,
}

/// The traffic report.
///
/// Visitors, sessions, page views, bounce rate and visit duration; top and entry pages;
/// channels, sources and campaigns; and a series by hour (ranges up to two days) or by day.
/// Sessions count in the range they started in.
#[utoipa::path(get, path = "/api/v1/traffic", tag = "tracking", params(TrafficParams),
    responses(
        (status = 200, body = Object, description = "The report"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad range, or a site that is not the workspace's", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
async fn report(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(params): ApiQuery<TrafficParams>,
) -> Result<Json<TrafficReport>, ApiError> {
    let range = ReportRange::parse(params.from.as_deref(), params.to.as_deref())
        .map_err(ApiError::invalid)?;
    Ok(Json(
        state
            .app
            .traffic()
            .traffic_report(principal.workspace_id, params.site.as_deref(), range)
            .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentifyRequest {
    /// The visitor id the closer script keeps (`localStorage.closer_vid`), or the one your
    /// server sends with its events.
    visitor_id: String,
    /// An existing contact…
    contact_id: Option<Uuid>,
    /// …or a person's details: upserted as a lead (deduplicated by email and phone).
    contact: Option<ContactInput>,
}

#[derive(Serialize, ToSchema)]
pub struct IdentifyResult {
    contact_id: Uuid,
    /// A new contact was made from `contact`.
    created: bool,
    /// `linked`: the visitor and its history now belong to the contact; `already`: it did;
    /// `other`: it belongs to another contact and stays there (people are never merged
    /// automatically).
    link: &'static str,
    /// With `other`: the contact the visitor belongs to.
    linked_contact_id: Option<Uuid>,
}

/// Identify a visitor (a sign-up, a login, a CRM sync).
#[utoipa::path(post, path = "/api/v1/identify", tag = "tracking", request_body = IdentifyRequest,
    responses(
        (status = 200, body = IdentifyResult),
        (status = 404, description = "No such contact", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
async fn identify(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<IdentifyRequest>,
) -> Result<Json<IdentifyResult>, ApiError> {
    let who = match (input.contact_id, input.contact) {
        (Some(id), None) => IdentifyInput::Contact(ContactId(id)),
        (None, Some(contact)) => {
            let region = state.app.region(&principal).await?;
            let (draft, _) = contact.parse(region).map_err(|errors| {
                ApiError::invalid(
                    errors
                        .into_iter()
                        .map(|e| FieldError::new(format!("contact.{}", e.field), e.message))
                        .collect(),
                )
            })?;
            IdentifyInput::Person(draft)
        }
        _ => {
            return Err(ApiError::invalid(vec![FieldError::new(
                "contact_id",
                "give either contact_id or contact",
            )]));
        }
    };
    let out = state
        .app
        .traffic()
        .identify(&principal, &input.visitor_id, who)
        .await?;
    let (link, linked) = match out.link {
        Link::Linked => ("linked", None),
        Link::Already => ("already", None),
        Link::Other(id) => ("other", Some(id.0)),
    };
    Ok(Json(IdentifyResult {
        contact_id: out.contact_id.0,
        created: out.created,
        link,
        linked_contact_id: linked,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct TouchView {
    started_at: String,
    channel: &'static str,
    channel_label: &'static str,
    source: Option<String>,
    campaign: Option<String>,
    site: String,
    entry_page: String,
}

impl From<Touch> for TouchView {
    fn from(t: Touch) -> Self {
        Self {
            started_at: t.started_at.to_string(),
            channel: t.channel.as_str(),
            channel_label: t.channel.label(),
            source: t.source,
            campaign: t.campaign,
            site: t.site.to_string(),
            entry_page: t.entry_page,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ChannelTouches {
    channel: &'static str,
    touches: u64,
}

#[derive(Serialize, ToSchema)]
pub struct ContactTrafficView {
    /// The first visit: the contact's original source (first touch).
    first_touch: Option<TouchView>,
    /// The latest visit (last touch).
    last_touch: Option<TouchView>,
    /// Visits (sessions) by channel, most first.
    touches: Vec<ChannelTouches>,
    /// Visits in all.
    sessions: u64,
}

/// A contact's sources: first and last touch, and visits per channel.
#[utoipa::path(get, path = "/api/v1/contacts/{id}/traffic", tag = "contacts",
    params(("id" = Uuid, Path, description = "Contact id")),
    responses((status = 200, body = ContactTrafficView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn contact_traffic(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<ContactTrafficView>, ApiError> {
    let id = super::contacts::contact_id(&id)?;
    let t = state.app.traffic().contact_traffic(&principal, id).await?;
    Ok(Json(ContactTrafficView {
        first_touch: t.first_touch.map(Into::into),
        last_touch: t.last_touch.map(Into::into),
        touches: t
            .touches
            .into_iter()
            .map(|(c, n)| ChannelTouches {
                channel: c.as_str(),
                touches: n,
            })
            .collect(),
        sessions: t.sessions,
    }))
}
