//! `/api/v1/imports`: a CSV file posted as the body becomes a background job (202 with the
//! job); the job's progress and outcome, the workspace's latest jobs, and the rows a job set
//! aside as an error file to fix and import again.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use closer_app::Principal;
use closer_app::imports::{ImportOptions, Spooled};
use closer_domain::ImportJobId;
use closer_domain::import::job::{ImportEntity, ImportJob};
use closer_domain::import::{ERROR_COLUMN, Mapping};
use futures::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::ApiQuery;

/// Largest file an import takes (a million HubSpot contacts is about 200 MB).
pub const IMPORT_LIMIT: u64 = 1024 * 1024 * 1024;

/// Rejected rows read per page of the error file.
const ERRORS_PAGE: u32 = 1000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start_import, list_imports))
        .routes(routes!(get_import))
        .routes(routes!(import_errors))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// What the file holds: `contacts`, `companies`, `deals`, `activities`, `tasks` or
    /// `orders`.
    #[param(pattern = "^(contacts|companies|deals|activities|tasks|orders)$")]
    entity: String,
    /// Check and count everything; write nothing.
    dry_run: Option<bool>,
    /// Import the valid rows even when others are invalid (those are kept for the error file).
    /// Without it, a file with an invalid row imports nothing.
    continue_on_error: Option<bool>,
    /// The column that holds the records' ids in the tool the file comes from (HubSpot's
    /// `Record ID` and Pipedrive's `ID` are recognised without it).
    #[param(max_length = 200)]
    id_column: Option<String>,
    /// A mapping file's text (TOML): `id_column = "…"` and a `[columns]` table of header =
    /// a field as closer's export names its column (`"email"`, `"domains"`, `"title"`…),
    /// `"property:NAME"` or `"skip"`. Send it with `curl --url-query mapping@mapping.toml`.
    /// (A request's address holds at most 64 KiB, so the text is kept short.)
    #[param(max_length = 4096)]
    mapping: Option<String>,
    /// The file's name, shown with the job and in the records' stage history.
    #[param(max_length = 255)]
    file_name: Option<String>,
}

/// Most characters a mapping sent with an import may hold.
const MAX_MAPPING: usize = 4096;

/// What an import did, or in a dry run would do.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportSummaryView {
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Rows for a record an earlier row of the file made or updated.
    pub merged: u64,
    pub rejected: u64,
    /// Whether anything was written.
    pub written: bool,
    /// Owners the file names that could not be set, with their row counts.
    pub owners_not_set: BTreeMap<String, u64>,
}

/// An import job.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportJobView {
    pub id: Uuid,
    pub entity: String,
    /// `running`, `done`, `failed`, or `interrupted` (its server stopped before it finished:
    /// import the file again — records already imported are found, not doubled).
    pub status: String,
    pub dry_run: bool,
    pub continue_on_error: bool,
    pub file_name: Option<String>,
    pub bytes: u64,
    pub bytes_read: u64,
    /// The share of the file read, 0 to 1.
    pub progress: f64,
    pub summary: ImportSummaryView,
    /// Why a failed job stopped.
    pub error: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
    /// The rejected rows as CSV, when there are any.
    pub errors_url: Option<String>,
}

impl From<ImportJob> for ImportJobView {
    fn from(j: ImportJob) -> Self {
        let errors_url =
            (j.summary.rejected > 0).then(|| format!("/api/v1/imports/{}/errors", j.id));
        Self {
            id: j.id.0,
            entity: j.entity.as_str().into(),
            status: j.status.as_str().into(),
            dry_run: j.dry_run,
            continue_on_error: j.continue_on_error,
            file_name: j.file_name.clone(),
            bytes: j.bytes,
            bytes_read: j.bytes_read,
            progress: j.progress(),
            summary: ImportSummaryView {
                rows: j.summary.rows,
                created: j.summary.created,
                updated: j.summary.updated,
                unchanged: j.summary.unchanged,
                merged: j.summary.merged,
                rejected: j.summary.rejected,
                written: j.summary.written,
                owners_not_set: j.summary.owners_not_set,
            },
            error: j.error,
            created_at: j.created_at.to_string(),
            finished_at: j.finished_at.map(|t| t.to_string()),
            errors_url,
        }
    }
}

/// Import a CSV file (HubSpot's, Pipedrive's or closer's own export columns) in the
/// background. The body is the file. Answers 202 with the job; follow it at `Location`.
/// A file whose header closer cannot read is refused at once (422).
#[utoipa::path(post, path = "/api/v1/imports", tag = "contacts", params(ImportParams),
    request_body(content = String, content_type = "text/csv", description = "The CSV file, header row first"),
    responses((status = 202, body = ImportJobView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn start_import(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(params): ApiQuery<ImportParams>,
    body: Body,
) -> Result<Response, ApiError> {
    let entity = ImportEntity::parse(&params.entity).ok_or_else(|| {
        ApiError::field(
            StatusCode::BAD_REQUEST,
            "bad-query",
            "entity",
            "must be contacts, companies, deals, activities, tasks or orders",
        )
    })?;
    for (field, value, most) in [
        ("id_column", &params.id_column, 200),
        ("file_name", &params.file_name, 255),
    ] {
        if value.as_ref().is_some_and(|v| v.chars().count() > most) {
            return Err(closer_app::AppError::invalid(
                field,
                format!("is longer than {most} characters"),
            )
            .into());
        }
    }
    let mut mapping = match params.mapping.as_deref() {
        Some(text) if text.chars().count() > MAX_MAPPING => {
            return Err(closer_app::AppError::invalid(
                "mapping",
                format!("is longer than {MAX_MAPPING} characters"),
            )
            .into());
        }
        Some(text) => Mapping::parse(text).map_err(closer_app::AppError::from)?,
        None => Mapping::default(),
    };
    if let Some(column) = params.id_column.as_deref().filter(|c| !c.trim().is_empty()) {
        mapping = mapping.with_id_column(column);
    }
    // Refused before the body is read: a role that may not import sends nothing for nothing.
    closer_app::imports::may_import(&principal)?;
    let file = spool(body.into_data_stream()).await?;
    let options = ImportOptions {
        dry_run: params.dry_run.unwrap_or(false),
        continue_on_error: params.continue_on_error.unwrap_or(false),
        mapping,
        source_name: params.file_name.clone(),
    };
    let job = state
        .app
        .imports()
        .start(&principal, entity, file, params.file_name, options)
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, format!("/api/v1/imports/{}", job.id))],
        Json(ImportJobView::from(job)),
    )
        .into_response())
}

/// Writes a body to a temporary file, refusing past `IMPORT_LIMIT` (the file goes with the
/// refusal) and an empty body.
pub(crate) async fn spool<E: std::fmt::Display>(
    mut body: impl Stream<Item = Result<axum::body::Bytes, E>> + Unpin,
) -> Result<Spooled, ApiError> {
    use tokio::io::AsyncWriteExt;
    let internal = |e: std::io::Error| {
        ApiError::from(closer_app::AppError::Internal(format!(
            "the upload cannot be spooled: {e}"
        )))
    };
    let (file, path) = tempfile::NamedTempFile::new()
        .map_err(internal)?
        .into_parts();
    let mut out = tokio::io::BufWriter::new(tokio::fs::File::from_std(file));
    let mut bytes: u64 = 0;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad-body",
                format!("the upload was cut off: {e}"),
            )
        })?;
        bytes += chunk.len() as u64;
        if bytes > IMPORT_LIMIT {
            return Err(ApiError::too_large(
                usize::try_from(IMPORT_LIMIT).unwrap_or(usize::MAX),
            ));
        }
        out.write_all(&chunk).await.map_err(internal)?;
    }
    out.flush().await.map_err(internal)?;
    if bytes == 0 {
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "file",
            "is empty: send the CSV file as the body",
        ));
    }
    Ok(Spooled::new(path, bytes))
}

fn job_id(raw: &str) -> Result<ImportJobId, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::field(
            StatusCode::BAD_REQUEST,
            "bad-id",
            "id",
            "is not an import id (a UUID)",
        )
    })
}

/// An import job: its progress while it runs, what it did once done.
#[utoipa::path(get, path = "/api/v1/imports/{id}", tag = "contacts",
    params(("id" = Uuid, Path, description = "Import id")),
    responses((status = 200, body = ImportJobView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn get_import(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<ImportJobView>, ApiError> {
    let job = state.app.imports().job(&principal, job_id(&id)?).await?;
    Ok(Json(job.into()))
}

/// The workspace's latest imports (kept a week), newest first.
#[utoipa::path(get, path = "/api/v1/imports", tag = "contacts",
    responses((status = 200, body = Vec<ImportJobView>),
        (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn list_imports(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<ImportJobView>>, ApiError> {
    let jobs = state.app.imports().jobs(&principal, 50).await?;
    Ok(Json(jobs.into_iter().map(Into::into).collect()))
}

/// The rows an import set aside, as the file had them with an `Import error` column saying
/// why: fix them and import this file.
#[utoipa::path(get, path = "/api/v1/imports/{id}/errors", tag = "contacts",
    params(("id" = Uuid, Path, description = "Import id")),
    responses((status = 200, description = "The rejected rows", content_type = "text/csv", body = String),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn import_errors(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    error_file(&state, &principal, job_id(&id)?).await
}

/// The error file of a job (the API's and the web app's download).
pub(crate) async fn error_file(
    state: &AppState,
    principal: &Principal,
    id: ImportJobId,
) -> Result<Response, ApiError> {
    let imports = state.app.imports().clone();
    let job = imports.job(principal, id).await?;
    let mut header = job.headers.clone();
    header.push(ERROR_COLUMN.to_owned());
    let first = csv_line(&header);
    let width = job.headers.len();
    let principal = *principal;
    // Pages of rows, each as CSV text, read as the download goes.
    let rest = futures::stream::unfold(Some(0u64), move |after| {
        let imports = imports.clone();
        async move {
            let after = after?;
            match imports.rejects(&principal, id, after, ERRORS_PAGE).await {
                Ok(rows) if rows.is_empty() => None,
                Ok(rows) => {
                    let next = rows.last().map(|r| r.line);
                    let mut text = String::new();
                    for r in rows {
                        let mut cells = r.cells;
                        if cells.len() < width {
                            cells.resize(width, String::new());
                        }
                        cells.push(r.reasons.join("; "));
                        text.push_str(&csv_line(&cells));
                    }
                    Some((Ok::<_, std::io::Error>(text), next))
                }
                Err(e) => Some((Err(std::io::Error::other(e.to_string())), None)),
            }
        }
    });
    let body = futures::stream::once(async move { Ok::<_, std::io::Error>(first) }).chain(rest);
    // The uploader named the file: only plain characters go into the header.
    let name: String = job
        .file_name
        .as_deref()
        .unwrap_or_default()
        .trim_end_matches(".csv")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '))
        .collect();
    let name = if name.trim().is_empty() {
        "import".to_owned()
    } else {
        name
    };
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.errors.csv\""),
            ),
        ],
        Body::from_stream(body.fuse()),
    )
        .into_response())
}

/// One CSV record, line end included.
fn csv_line(cells: &[String]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(cells);
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
