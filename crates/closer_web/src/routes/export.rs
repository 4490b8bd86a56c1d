//! `/api/v1/export/{entity}`: a workspace's contacts, companies, deals, activities, tasks or
//! orders as one CSV or JSON
//! lines download, streamed a page at a time (memory stays flat however many there are).

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use closer_app::Principal;
use closer_app::export::{Entity, Format};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::ApiQuery;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `csv` (default) or `jsonl`.
    #[param(pattern = "^(csv|jsonl)$")]
    format: Option<String>,
    /// A saved view of the contact list (`/api/v1/views`): only the contacts it matches.
    #[param(format = Uuid)]
    view: Option<String>,
}

/// The filters of the saved view `raw` names, for an export of `entity`; `None` without one.
pub(crate) async fn view_filters(
    state: &AppState,
    principal: &Principal,
    entity: Entity,
    raw: Option<&str>,
) -> Result<Option<closer_store::ContactQuery>, ApiError> {
    let Some(raw) = raw else { return Ok(None) };
    let id = uuid::Uuid::parse_str(raw.trim()).map_err(|_| ApiError::not_found("view"))?;
    let view = state.app.view(principal, id).await?;
    if entity != Entity::Contacts || view.list != closer_domain::tag::ViewOf::Contacts {
        return Err(ApiError::invalid(vec![closer_domain::FieldError::new(
            "view",
            "exports of a view are of contact views, as contacts",
        )]));
    }
    super::tags::contact_filters(&view.query).map(Some)
}

/// Export a workspace's contacts, companies or deals (CSV with a header row, or one JSON
/// object per line). The columns are listed in the README.
#[utoipa::path(get, path = "/api/v1/export/{entity}", tag = "contacts", params(
        ("entity" = String, Path, description = "contacts, companies, deals, activities, tasks or orders", pattern = "^(contacts|companies|deals|activities|tasks|orders)$"),
        ExportParams),
    responses((status = 200, description = "The records, streamed", content((String = "text/csv"), (String = "application/x-ndjson"))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn export(
    State(state): State<AppState>,
    principal: Principal,
    Path(entity): Path<String>,
    ApiQuery(params): ApiQuery<ExportParams>,
) -> Result<Response, ApiError> {
    let Some(entity) = Entity::parse(&entity) else {
        return Err(ApiError::field(
            StatusCode::NOT_FOUND,
            "not-found",
            "entity",
            "is not contacts, companies, deals, activities, tasks or orders",
        ));
    };
    let (format, mime, ext) = match params.format.as_deref() {
        None | Some("csv") => (Format::Csv, "text/csv; charset=utf-8", "csv"),
        Some("jsonl") => (Format::Jsonl, "application/x-ndjson", "jsonl"),
        Some(_) => {
            return Err(ApiError::field(
                StatusCode::BAD_REQUEST,
                "bad-query",
                "format",
                "must be csv or jsonl",
            ));
        }
    };
    let filters = view_filters(&state, &principal, entity, params.view.as_deref()).await?;
    download(&state, principal, entity, format, filters, mime, ext).await
}

/// The export as a streamed download (the API's and the web app's).
pub(crate) async fn download(
    state: &AppState,
    principal: Principal,
    entity: Entity,
    format: Format,
    filters: Option<closer_store::ContactQuery>,
    mime: &'static str,
    ext: &'static str,
) -> Result<Response, ApiError> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<String>(4);
    let exports = state.app.exports().clone();
    // The first chunk is awaited here, so a refusal (the role table) is a proper status
    // rather than a cut-off download.
    let task = tokio::spawn(async move {
        match filters {
            Some(f) => exports.write_contacts(&principal, &f, format, tx).await,
            None => exports.write(&principal, entity, format, tx).await,
        }
    });
    let Some(first) = rx.recv().await else {
        return match task.await {
            Ok(Err(e)) => Err(e.into()),
            _ => Err(ApiError::from(closer_app::AppError::Internal(
                "the export ended before it began".into(),
            ))),
        };
    };
    let rest = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|chunk| (Ok::<_, std::io::Error>(chunk), rx))
    });
    // Fused: the compression layer may poll once more after the end.
    let body = futures::StreamExt::fuse(futures::StreamExt::chain(
        futures::stream::once(async move { Ok::<_, std::io::Error>(first) }),
        rest,
    ));
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}.{ext}\"", entity.as_str()),
            ),
        ],
        Body::from_stream(body),
    )
        .into_response())
}
