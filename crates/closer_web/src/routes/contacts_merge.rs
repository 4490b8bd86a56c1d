//! `POST /api/v1/contacts/{id}/merge`: merging other records of the same person into this one,
//! or previewing it (`dry_run`).

use axum::Json;
use axum::extract::{Path, State};
use closer_app::Principal;
use closer_app::merge::MergePreview;
use closer_domain::{ContactId, FieldError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::contacts::contact_id;
use super::contacts_dto::ContactView;
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::ApiJson;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(merge_contact))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeInput {
    /// The contacts to merge into this one (at most 20); they are gone afterwards, and each
    /// id answers 404 with `merged_into`.
    from: Vec<String>,
    /// Only show what the merge would do (default false).
    #[serde(default)]
    dry_run: bool,
}

impl MergeInput {
    fn ids(&self) -> Result<Vec<ContactId>, FieldError> {
        self.from
            .iter()
            .map(|raw| {
                raw.parse()
                    .map_err(|_| FieldError::new("from", format!("{raw:?} is not a contact id")))
            })
            .collect()
    }
}

/// One field of the merged record: its value, and why (`kept`, `filled_from_other`,
/// `combined`, `furthest`, `newer`, `earliest`).
#[derive(Serialize, ToSchema)]
pub struct MergeFieldView {
    field: String,
    #[schema(value_type = Object)]
    value: Value,
    #[schema(pattern = "^(kept|filled_from_other|combined|furthest|newer|earliest)$")]
    why: String,
    /// The record the value comes from.
    from: Uuid,
}

/// How many rows of the merged records move to the kept one.
#[derive(Serialize, ToSchema)]
pub struct MergeMovesView {
    identities: u64,
    external_ids: u64,
    visitors: u64,
    timeline: u64,
    traffic: u64,
    stage_history: u64,
    deals: u64,
    activities: u64,
    tasks: u64,
    orders: u64,
}

#[derive(Serialize, ToSchema)]
pub struct MergeView {
    /// True when nothing was written.
    dry_run: bool,
    /// The record after the merge.
    contact: ContactView,
    /// The records merged into it.
    merged: Vec<Uuid>,
    fields: Vec<MergeFieldView>,
    moves: MergeMovesView,
}

impl MergeView {
    fn new(p: MergePreview, dry_run: bool) -> Self {
        let m = p.moves;
        Self {
            dry_run,
            merged: p.others.iter().map(|c| c.id.0).collect(),
            fields: p
                .plan
                .fields
                .into_iter()
                .map(|f| MergeFieldView {
                    field: f.field.to_owned(),
                    value: f.value,
                    why: f.why.as_str().to_owned(),
                    from: f.from.0,
                })
                .collect(),
            contact: if dry_run { p.plan.merged } else { p.keep }.into(),
            moves: MergeMovesView {
                identities: m.identities,
                external_ids: m.external_ids,
                visitors: m.visitors,
                timeline: m.timeline,
                traffic: m.traffic,
                stage_history: m.stage_history,
                deals: m.deals,
                activities: m.activities,
                tasks: m.tasks,
                orders: m.orders,
            },
        }
    }
}

/// Merge other records of the same person into this contact, in one transaction: each
/// field's surviving value (`fields`, with why), and the others' identities, visitors,
/// timeline, traffic, stage history, deals, activities, tasks and orders moved to it. With
/// `dry_run` nothing is written and the answer is the preview.
#[utoipa::path(post, path = "/api/v1/contacts/{id}/merge", tag = "contacts", request_body = MergeInput,
    params(("id" = Uuid, Path, description = "The contact kept")),
    responses((status = 200, body = MergeView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn merge_contact(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<MergeInput>,
) -> Result<Json<MergeView>, ApiError> {
    let keep = contact_id(&id)?;
    let from = input.ids().map_err(|e| ApiError::invalid(vec![e]))?;
    let contacts = state.app.contacts();
    let preview = if input.dry_run {
        contacts.merge_preview(&principal, keep, &from).await?
    } else {
        contacts.merge_contacts(&principal, keep, &from).await?
    };
    Ok(Json(MergeView::new(preview, input.dry_run)))
}
