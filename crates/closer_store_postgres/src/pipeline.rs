//! Pipelines, their stages and the loss-reason catalogue on PostgreSQL.

use closer_domain::pipeline::{
    LossReason, PipelineDraft, PipelineId, PipelineStage, PipelineStageId,
};
use closer_domain::{Timestamp, WorkspaceId};
use closer_store::{STAGE_HAS_DEALS, StoreError};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::error::db_err;

async fn upsert_stages(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    pipeline: PipelineId,
    stages: &[PipelineStage],
) -> Result<(), StoreError> {
    for s in stages {
        let n = sqlx::query(
            "insert into pipeline_stages (id, workspace_id, pipeline_id, name, position, probability, forecast, kind) \
             values ($1, $2, $3, $4, $5, $6, $7, $8) \
             on conflict (id) do update set name = excluded.name, position = excluded.position, \
               probability = excluded.probability, forecast = excluded.forecast, kind = excluded.kind \
             where pipeline_stages.pipeline_id = excluded.pipeline_id",
        )
        .bind(s.id.0)
        .bind(ws.0)
        .bind(pipeline.0)
        .bind(&s.name)
        .bind(i32::from(s.position))
        .bind(i32::from(s.probability))
        .bind(s.forecast.as_str())
        .bind(s.kind.as_str())
        .execute(&mut *conn)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::Conflict {
                constraint: "pipeline_stages_pipeline_key".into(),
            });
        }
    }
    Ok(())
}

pub(crate) async fn create(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    id: PipelineId,
    draft: &PipelineDraft,
    is_default: bool,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "insert into pipelines (id, workspace_id, name, is_default, created_at) values ($1, $2, $3, $4, $5)",
    )
    .bind(id.0)
    .bind(ws.0)
    .bind(&draft.name)
    .bind(is_default)
    .bind(now.get())
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    upsert_stages(conn, ws, id, &draft.stages).await
}

/// The default pipeline and loss reasons, unless the workspace has a pipeline already. The
/// workspace row is locked so two processes starting at once create one default.
pub(crate) async fn ensure_defaults(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    defaults: &PipelineDraft,
    reasons: &[LossReason],
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("select 1 from workspaces where id = $1 for update")
        .bind(ws.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound)?;
    let any: Option<i32> =
        sqlx::query_scalar("select 1 from pipelines where workspace_id = $1 limit 1")
            .bind(ws.0)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?;
    if any.is_some() {
        return Ok(());
    }
    let mut draft = defaults.clone();
    for s in &mut draft.stages {
        s.id = PipelineStageId::new();
    }
    create(conn, ws, PipelineId::new(), &draft, true, now).await?;
    let has_reasons: Option<i32> =
        sqlx::query_scalar("select 1 from loss_reasons where workspace_id = $1 limit 1")
            .bind(ws.0)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?;
    if has_reasons.is_none() {
        put_reasons(conn, ws, reasons).await?;
    }
    Ok(())
}

pub(crate) async fn replace(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    id: PipelineId,
    draft: &PipelineDraft,
) -> Result<(), StoreError> {
    let n = sqlx::query("update pipelines set name = $1 where id = $2 and workspace_id = $3")
        .bind(&draft.name)
        .bind(id.0)
        .bind(ws.0)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?
        .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    let keep: Vec<Uuid> = draft.stages.iter().map(|s| s.id.0).collect();
    let holding: Option<i32> = sqlx::query_scalar(
        "select 1 from deals d join pipeline_stages s on s.id = d.stage_id \
         where s.pipeline_id = $1 and not (s.id = any($2)) limit 1",
    )
    .bind(id.0)
    .bind(&keep)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?;
    if holding.is_some() {
        return Err(StoreError::Conflict {
            constraint: STAGE_HAS_DEALS.into(),
        });
    }
    sqlx::query("delete from pipeline_stages where pipeline_id = $1 and not (id = any($2))")
        .bind(id.0)
        .bind(&keep)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    upsert_stages(conn, ws, id, &draft.stages).await
}

pub(crate) async fn put_reasons(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    reasons: &[LossReason],
) -> Result<(), StoreError> {
    sqlx::query("delete from loss_reasons where workspace_id = $1")
        .bind(ws.0)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    for (i, r) in reasons.iter().enumerate() {
        sqlx::query(
            "insert into loss_reasons (workspace_id, key, label, position) values ($1, $2, $3, $4)",
        )
        .bind(ws.0)
        .bind(&r.key)
        .bind(&r.label)
        .bind(i32::try_from(i).unwrap_or(i32::MAX))
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    }
    Ok(())
}
