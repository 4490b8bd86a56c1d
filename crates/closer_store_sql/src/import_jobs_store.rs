//! Import jobs written once over `Engine`: the job's row, reported as it goes, and the rows
//! it set aside (multi-row inserts, read back a page at a time for the error file).

use closer_domain::import::job::{ImportEntity, ImportJob, ImportSummary, JobStatus, Rejected};
use closer_domain::{ImportJobId, Timestamp, UserId, WorkspaceId};
use closer_store::StoreError;

use crate::{Columns, Engine, Param, Sql, json_as, required};

const JOB_COLUMNS: &str = "id, workspace_id, entity, dry_run, continue_on_error, file_name, bytes, \
     bytes_read, headers, summary, status, error, created_by, created_at, updated_at, finished_at";

/// Rejected rows per insert statement (5 parameters each).
const ROWS: usize = 500;

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).expect("plain data serialises")
}

fn count(n: u64) -> Param {
    Param::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

fn job_row(r: &dyn Columns) -> Result<ImportJob, StoreError> {
    let entity = required("entity", r.text("entity")?)?;
    let status = required("status", r.text("status")?)?;
    let summary: ImportSummary = json_as(r, "summary")?;
    Ok(ImportJob {
        id: ImportJobId(required("id", r.uuid("id")?)?),
        workspace_id: WorkspaceId(required("workspace_id", r.uuid("workspace_id")?)?),
        entity: ImportEntity::parse(&entity)
            .ok_or_else(|| corrupt(format!("import entity {entity}")))?,
        dry_run: required("dry_run", r.boolean("dry_run")?)?,
        continue_on_error: required("continue_on_error", r.boolean("continue_on_error")?)?,
        file_name: r.text("file_name")?,
        bytes: u64::try_from(required("bytes", r.integer("bytes")?)?).map_err(corrupt)?,
        bytes_read: u64::try_from(required("bytes_read", r.integer("bytes_read")?)?)
            .map_err(corrupt)?,
        headers: json_as(r, "headers")?,
        summary,
        status: JobStatus::parse(&status)
            .ok_or_else(|| corrupt(format!("import status {status}")))?,
        error: r.text("error")?,
        created_by: r.uuid("created_by")?.map(UserId),
        created_at: required("created_at", r.timestamp("created_at")?)?,
        updated_at: required("updated_at", r.timestamp("updated_at")?)?,
        finished_at: r.timestamp("finished_at")?,
    })
}

pub async fn create_import_job(e: &impl Engine, job: &ImportJob) -> Result<(), StoreError> {
    let d = e.dialect();
    let sql = e.sql(
        &format!(
            "insert into import_jobs ({JOB_COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, {}, {}, \
             $11, $12, $13, $14, $15, $16)",
            d.json_text("$9"),
            d.json_text("$10"),
        ),
        [
            job.id.0.into(),
            job.workspace_id.0.into(),
            job.entity.as_str().into(),
            Param::Bool(job.dry_run),
            Param::Bool(job.continue_on_error),
            Param::MaybeText(job.file_name.clone()),
            count(job.bytes),
            count(job.bytes_read),
            Param::Text(json(&job.headers)),
            Param::Text(json(&job.summary)),
            job.status.as_str().into(),
            Param::MaybeText(job.error.clone()),
            Param::MaybeUuid(job.created_by.map(|u| u.0)),
            Param::Time(job.created_at),
            Param::Time(job.updated_at),
            Param::MaybeTime(job.finished_at),
        ],
    );
    e.execute(sql).await.map(|_| ())
}

pub async fn report_import_job(e: &impl Engine, job: &ImportJob) -> Result<(), StoreError> {
    let d = e.dialect();
    let sql = e.sql(
        &format!(
            "update import_jobs set bytes_read = $3, headers = {}, summary = {}, status = $6, \
             error = $7, updated_at = $8, finished_at = $9 where workspace_id = $1 and id = $2",
            d.json_text("$4"),
            d.json_text("$5"),
        ),
        [
            job.workspace_id.0.into(),
            job.id.0.into(),
            count(job.bytes_read),
            Param::Text(json(&job.headers)),
            Param::Text(json(&job.summary)),
            job.status.as_str().into(),
            Param::MaybeText(job.error.clone()),
            Param::Time(job.updated_at),
            Param::MaybeTime(job.finished_at),
        ],
    );
    match e.execute(sql).await? {
        0 => Err(StoreError::NotFound),
        _ => Ok(()),
    }
}

pub async fn add_import_rejects(
    e: &impl Engine,
    ws: WorkspaceId,
    job: ImportJobId,
    rows: &[Rejected],
) -> Result<(), StoreError> {
    for chunk in rows.chunks(ROWS) {
        let mut sql = Sql::new(
            e.dialect(),
            "insert into import_rejects (job_id, workspace_id, line, cells, reasons) values ",
        );
        for (i, r) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(job.0.into()).push(", ");
            sql.bind(ws.0.into()).push(", ");
            sql.bind(count(r.line)).push(", ");
            let cells = sql.dialect.json_text(&sql.next_placeholder());
            sql.push(&cells);
            sql.params.push(Param::Text(json(&r.cells)));
            sql.push(", ");
            let reasons = sql.dialect.json_text(&sql.next_placeholder());
            sql.push(&reasons);
            sql.params.push(Param::Text(json(&r.reasons)));
            sql.push(")");
        }
        sql.push(" on conflict (job_id, line) do nothing");
        e.execute(sql).await?;
    }
    Ok(())
}

pub async fn import_job(
    e: &impl Engine,
    ws: WorkspaceId,
    id: ImportJobId,
) -> Result<ImportJob, StoreError> {
    e.fetch_optional(
        e.sql(
            &format!("select {JOB_COLUMNS} from import_jobs where workspace_id = $1 and id = $2"),
            [ws.0.into(), id.0.into()],
        ),
        job_row,
    )
    .await?
    .ok_or(StoreError::NotFound)
}

pub async fn import_jobs(
    e: &impl Engine,
    ws: WorkspaceId,
    limit: u32,
) -> Result<Vec<ImportJob>, StoreError> {
    e.fetch(
        e.sql(
            &format!(
                "select {JOB_COLUMNS} from import_jobs where workspace_id = $1 \
                 order by created_at desc, id desc limit $2"
            ),
            [ws.0.into(), Param::Int(i64::from(limit))],
        ),
        job_row,
    )
    .await
}

pub async fn import_rejects(
    e: &impl Engine,
    ws: WorkspaceId,
    job: ImportJobId,
    after_line: u64,
    limit: u32,
) -> Result<Vec<Rejected>, StoreError> {
    e.fetch(
        e.sql(
            "select line, cells, reasons from import_rejects \
             where workspace_id = $1 and job_id = $2 and line > $3 order by line limit $4",
            [
                ws.0.into(),
                job.0.into(),
                count(after_line),
                Param::Int(i64::from(limit)),
            ],
        ),
        |r| {
            Ok(Rejected {
                line: u64::try_from(required("line", r.integer("line")?)?).map_err(corrupt)?,
                cells: json_as(r, "cells")?,
                reasons: json_as(r, "reasons")?,
            })
        },
    )
    .await
}

pub async fn forget_import_jobs(e: &impl Engine, before: Timestamp) -> Result<u64, StoreError> {
    e.execute(e.sql(
        "delete from import_jobs where updated_at < $1",
        [Param::Time(before)],
    ))
    .await
}
