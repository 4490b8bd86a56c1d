//! The import page (Settings → Import): upload a CSV file of contacts (HubSpot's, Pipedrive's
//! or closer's own columns), try it first with a dry run, and follow the job: its progress
//! (the page refreshes itself while it runs), what it did, and the rows it set aside with a
//! download to fix and import again.

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use closer_app::imports::ImportOptions;
use closer_domain::ImportJobId;
use closer_domain::import::Mapping;
use closer_domain::import::job::{ImportEntity, ImportJob, JobStatus};
use maud::{Markup, html};

use super::format::when;
use super::layout::page;
use super::session::Signed;
use super::{Failure, id};
use crate::AppState;
use crate::routes::imports::{IMPORT_LIMIT, error_file, spool};

/// Rejected rows listed on a job's page (the download has them all).
const REJECTS_SHOWN: u32 = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/settings/import",
            get(show).post(upload).layer(DefaultBodyLimit::max(
                usize::try_from(IMPORT_LIMIT).unwrap_or(usize::MAX) + 64 * 1024,
            )),
        )
        .route("/settings/import/{id}", get(job_page))
        .route("/settings/import/{id}/errors", get(errors))
}

async fn show(State(st): State<AppState>, user: Signed) -> Result<Markup, Failure> {
    let principal = user.0.principal();
    let jobs = st.app.imports().jobs(&principal, 20).await?;
    let csrf = user.csrf();
    let content = html! {
        h1 { "Import" }
        p.lede { "Bring your contacts, companies and deals from HubSpot, Pipedrive or another closer, or a shop's order history (closer's columns or Shopify's order export): export them there as CSV and upload the file here. Columns are recognised by their names; unknown contact columns become custom properties. Importing the same file again changes nothing." }
        form.stack method="post" action="/settings/import" enctype="multipart/form-data" {
            input type="hidden" name="csrf" value=(csrf);
            label for="import-entity" { "What the file holds" }
            select #import-entity name="entity" {
                option value="contacts" selected { "Contacts" }
                option value="companies" { "Companies" }
                option value="deals" { "Deals" }
                option value="activities" { "Activities (done ones are logged, the rest become tasks)" }
                option value="tasks" { "Tasks" }
                option value="orders" { "Orders (a shop's order history)" }
            }
            label for="import-file" { "CSV file" }
            input #import-file type="file" name="file" accept=".csv,text/csv" required;
            details {
                summary { "Columns named otherwise" }
                label for="import-mapping" { "Column mapping (optional)" }
                textarea #import-mapping name="mapping" rows="5" placeholder="id_column = \"Legacy ID\"\n[columns]\n\"Work Email\" = \"email\"\n\"Segment\" = \"property:segment\"" {}
                p.hint { "One line per column the file names otherwise: its header = the field, as closer's export names its column (email, name, domains, title, due_date…), \"property:NAME\", or \"skip\"." }
            }
            label.check {
                input type="checkbox" name="dry_run" value="true" checked;
                " Dry run: check the file and count what would change, write nothing"
            }
            label.check {
                input type="checkbox" name="continue_on_error" value="true";
                " Import the valid rows even if some are invalid (the invalid ones are set aside to fix)"
            }
            button type="submit" { "Upload" }
        }
        @if !jobs.is_empty() {
            h2 { "Latest imports" }
            table {
                thead { tr { th { "Started" } th { "File" } th { "Status" } th.num { "Rows" } th.num { "New" } th.num { "Updated" } th.num { "Unchanged" } th.num { "Rejected" } } }
                tbody {
                    @for j in &jobs {
                        tr {
                            td { a href=(format!("/settings/import/{}", j.id)) { (when(j.created_at)) } }
                            td { (j.file_name.as_deref().unwrap_or("(unnamed)")) @if j.dry_run { " · dry run" } }
                            td { (status_text(j)) }
                            td.num { (j.summary.rows) }
                            td.num { (j.summary.created) }
                            td.num { (j.summary.updated) }
                            td.num { (j.summary.unchanged) }
                            td.num { (j.summary.rejected) }
                        }
                    }
                }
            }
        }
    };
    Ok(page(&user.0, "Import", "/settings", false, &content))
}

fn status_text(j: &ImportJob) -> String {
    match j.status {
        JobStatus::Running => format!("running, {:.0}% read", j.progress() * 100.0),
        JobStatus::Done if j.dry_run => "dry run done: nothing written".into(),
        JobStatus::Done if !j.summary.written && j.summary.rejected > 0 => {
            "stopped: invalid rows, nothing written".into()
        }
        JobStatus::Done => "done".into(),
        JobStatus::Failed => "failed".into(),
        JobStatus::Interrupted => "interrupted: upload the file again".into(),
    }
}

/// The upload: its fields in the form's order, the file spooled to disk as it arrives.
async fn upload(State(st): State<AppState>, user: Signed, req: Request) -> Response {
    match start(&st, &user, req).await {
        Ok(id) => Redirect::to(&format!("/settings/import/{id}")).into_response(),
        Err(f) => f.into_response(),
    }
}

async fn start(st: &AppState, user: &Signed, req: Request) -> Result<ImportJobId, Failure> {
    let principal = user.0.principal();
    closer_app::imports::may_import(&principal)?;
    let mut multipart = Multipart::from_request(req, st)
        .await
        .map_err(|e| Failure::new(StatusCode::BAD_REQUEST, e.body_text()))?;
    let bad = |e: axum::extract::multipart::MultipartError| {
        Failure::new(
            e.status(),
            format!("The upload was refused: {}", e.body_text()),
        )
    };
    let (mut csrf, mut entity, mut file, mut file_name) = (None, None, None, None);
    let mut options = ImportOptions::default();
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        match field.name().unwrap_or_default() {
            "file" => {
                file_name = field
                    .file_name()
                    .filter(|n| !n.is_empty())
                    .map(str::to_owned);
                file = Some(spool(field).await?);
            }
            name => {
                let name = name.to_owned();
                let value = field.text().await.map_err(bad)?;
                match name.as_str() {
                    "csrf" => csrf = Some(value),
                    "entity" => entity = ImportEntity::parse(&value),
                    "dry_run" => options.dry_run = value == "true",
                    "continue_on_error" => options.continue_on_error = value == "true",
                    "mapping" if !value.trim().is_empty() => {
                        options.mapping = Mapping::parse(&value).map_err(|e| {
                            Failure::new(
                                StatusCode::UNPROCESSABLE_ENTITY,
                                format!("The column mapping: {}: {}", e.field, e.message),
                            )
                        })?;
                    }
                    _ => {}
                }
            }
        }
    }
    user.check_csrf(csrf.as_deref().unwrap_or_default())?;
    let entity = entity.ok_or_else(|| {
        Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose what the file holds.",
        )
    })?;
    let file = file.ok_or_else(|| {
        Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose a CSV file to upload.",
        )
    })?;
    options.source_name = file_name.clone();
    let job = st
        .app
        .imports()
        .start(&principal, entity, file, file_name, options)
        .await?;
    Ok(job.id)
}

async fn job_page(
    State(st): State<AppState>,
    user: Signed,
    Path(raw): Path<String>,
) -> Result<Response, Failure> {
    let principal = user.0.principal();
    let id = ImportJobId(id(&raw)?);
    let imports = st.app.imports();
    let job = imports.job(&principal, id).await?;
    let rejects = imports.rejects(&principal, id, 0, REJECTS_SHOWN).await?;
    let s = &job.summary;
    let running = job.status == JobStatus::Running;
    let title = format!("Import of {}", job.file_name.as_deref().unwrap_or("a file"));
    let content = html! {
        @if running {
            // Without JavaScript, the page follows the job by refreshing itself.
            meta http-equiv="refresh" content="2";
        }
        h1 { (title) }
        p role="status" #import-status { strong { (status_text(&job)) } " · started " (when(job.created_at)) @if job.dry_run { " · dry run" } }
        @if running {
            progress value=(format!("{:.3}", job.progress())) max="1" aria-label="Share of the file read" {}
        }
        @if let Some(e) = &job.error {
            div.error role="alert" { p { (e) } }
        }
        table.summary {
            tbody {
                tr { th { "Rows read" } td.num #rows { (s.rows) } }
                tr { th { @if job.dry_run { "Would be new" } @else { "New" } } td.num #created { (s.created) } }
                tr { th { @if job.dry_run { "Would be updated" } @else { "Updated" } } td.num #updated { (s.updated) } }
                tr { th { "Unchanged" } td.num #unchanged { (s.unchanged) } }
                tr { th { "Repeats of an earlier row" } td.num #merged { (s.merged) } }
                tr { th { "Invalid" } td.num #rejected { (s.rejected) } }
            }
        }
        @if !s.owners_not_set.is_empty() {
            p { "Owners not set (not users of this workspace, or not yours to assign): "
                @for (i, (owner, n)) in s.owners_not_set.iter().enumerate() {
                    @if i > 0 { ", " } (owner) " (" (n) ")"
                }
            }
        }
        @if job.status == JobStatus::Done && !job.dry_run && !s.written && s.rejected > 0 {
            p { "Nothing was imported because some rows are invalid. Fix them in your file, or upload it again with “Import the valid rows” ticked." }
        }
        @if job.status == JobStatus::Done && job.dry_run && s.rejected == 0 {
            p { "The file is ready: upload it again without the dry run to import it." }
        }
        @if !rejects.is_empty() {
            h2 { "Invalid rows" }
            p { a href=(format!("/settings/import/{}/errors", job.id)) download { "Download the invalid rows as CSV" } " — each with the reason in an “Import error” column; fix them and import that file." }
            table #rejects {
                thead { tr { th.num { "Line" } th { "Why" } } }
                tbody {
                    @for r in &rejects {
                        tr { td.num { (r.line) } td { (r.reasons.join("; ")) } }
                    }
                }
            }
            @if s.rejected > u64::from(REJECTS_SHOWN) {
                p.hint { "The first " (REJECTS_SHOWN) " of " (s.rejected) " are shown; the download has them all." }
            }
        }
        p { a href="/settings/import" { "Import another file" } }
    };
    Ok(page(&user.0, &title, "/settings", false, &content).into_response())
}

async fn errors(
    State(st): State<AppState>,
    user: Signed,
    Path(raw): Path<String>,
) -> Result<Response, Failure> {
    let principal = user.0.principal();
    let id = ImportJobId(id(&raw)?);
    Ok(error_file(&st, &principal, id).await?)
}
