//! Pipelines, their stages and the loss-reason catalogue on SQLite.

use closer_domain::pipeline::{
    LossReason, Pipeline, PipelineDraft, PipelineId, PipelineStage, PipelineStageId,
};
use closer_domain::{Timestamp, WorkspaceId};
use closer_store::{STAGE_HAS_DEALS, StoreError};
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use crate::error::rs_err;

fn insert_stages(
    conn: &Connection,
    ws: WorkspaceId,
    pipeline: PipelineId,
    stages: &[PipelineStage],
) -> Result<(), StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "insert into pipeline_stages (id, workspace_id, pipeline_id, name, position, probability, forecast, kind) \
             values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
             on conflict (id) do update set name = excluded.name, position = excluded.position, \
               probability = excluded.probability, forecast = excluded.forecast, kind = excluded.kind \
             where pipeline_stages.pipeline_id = excluded.pipeline_id",
        )
        .map_err(rs_err)?;
    for s in stages {
        let n = stmt
            .execute(params![
                s.id.0,
                ws.0,
                pipeline.0,
                s.name,
                s.position,
                s.probability,
                s.forecast.as_str(),
                s.kind.as_str()
            ])
            .map_err(rs_err)?;
        if n == 0 {
            // The id belongs to another pipeline's stage.
            return Err(StoreError::Conflict {
                constraint: "pipeline_stages_pipeline_key".into(),
            });
        }
    }
    Ok(())
}

pub(crate) fn create(
    conn: &Connection,
    ws: WorkspaceId,
    id: PipelineId,
    draft: &PipelineDraft,
    is_default: bool,
    now: Timestamp,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "insert into pipelines (id, workspace_id, name, is_default, created_at) values (?1, ?2, ?3, ?4, ?5)",
    )
    .and_then(|mut s| s.execute(params![id.0, ws.0, draft.name, is_default, now.unix_micros()]))
    .map_err(rs_err)?;
    insert_stages(conn, ws, id, &draft.stages)
}

/// The default pipeline and loss reasons, unless the workspace has a pipeline already.
pub(crate) fn ensure_defaults(
    conn: &Connection,
    ws: WorkspaceId,
    defaults: &PipelineDraft,
    reasons: &[LossReason],
    now: Timestamp,
) -> Result<(), StoreError> {
    let any: Option<i64> = conn
        .query_row(
            "select 1 from pipelines where workspace_id = ?1 limit 1",
            params![ws.0],
            |r| r.get(0),
        )
        .optional()
        .map_err(rs_err)?;
    if any.is_some() {
        return Ok(());
    }
    // Fresh stage ids per workspace: the defaults' ids are only placeholders.
    let mut draft = defaults.clone();
    for s in &mut draft.stages {
        s.id = PipelineStageId::new();
    }
    create(conn, ws, PipelineId::new(), &draft, true, now)?;
    let has_reasons: Option<i64> = conn
        .query_row(
            "select 1 from loss_reasons where workspace_id = ?1 limit 1",
            params![ws.0],
            |r| r.get(0),
        )
        .optional()
        .map_err(rs_err)?;
    if has_reasons.is_none() {
        put_reasons(conn, ws, reasons)?;
    }
    Ok(())
}

pub(crate) fn replace(
    conn: &Connection,
    ws: WorkspaceId,
    id: PipelineId,
    draft: &PipelineDraft,
) -> Result<(), StoreError> {
    let n = conn
        .execute(
            "update pipelines set name = ?1 where id = ?2 and workspace_id = ?3",
            params![draft.name, id.0, ws.0],
        )
        .map_err(rs_err)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    let existing: Vec<Uuid> = conn
        .prepare_cached("select id from pipeline_stages where pipeline_id = ?1")
        .and_then(|mut s| {
            s.query_map(params![id.0], |r| r.get(0))?
                .collect::<Result<Vec<Uuid>, _>>()
        })
        .map_err(rs_err)?;
    for gone in existing
        .iter()
        .filter(|e| !draft.stages.iter().any(|s| s.id.0 == **e))
    {
        let holding: Option<i64> = conn
            .query_row(
                "select 1 from deals where stage_id = ?1 limit 1",
                params![gone],
                |r| r.get(0),
            )
            .optional()
            .map_err(rs_err)?;
        if holding.is_some() {
            return Err(StoreError::Conflict {
                constraint: STAGE_HAS_DEALS.into(),
            });
        }
        conn.execute("delete from pipeline_stages where id = ?1", params![gone])
            .map_err(rs_err)?;
    }
    // Positions are unique only once all are written, so no constraint relies on them.
    insert_stages(conn, ws, id, &draft.stages)
}

pub(crate) fn put_reasons(
    conn: &Connection,
    ws: WorkspaceId,
    reasons: &[LossReason],
) -> Result<(), StoreError> {
    conn.execute(
        "delete from loss_reasons where workspace_id = ?1",
        params![ws.0],
    )
    .map_err(rs_err)?;
    let mut stmt = conn
        .prepare_cached(
            "insert into loss_reasons (workspace_id, key, label, position) values (?1, ?2, ?3, ?4)",
        )
        .map_err(rs_err)?;
    for (i, r) in reasons.iter().enumerate() {
        stmt.execute(params![
            ws.0,
            r.key,
            r.label,
            i64::try_from(i).unwrap_or(i64::MAX)
        ])
        .map_err(rs_err)?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl closer_store::PipelineStore for crate::SqliteStore {
    async fn pipelines(
        &self,
        ws: WorkspaceId,
        defaults: &PipelineDraft,
        reasons: &[LossReason],
        now: Timestamp,
    ) -> Result<Vec<Pipeline>, StoreError> {
        let found = closer_store_sql::deals_store::pipelines(self, ws).await?;
        if !found.is_empty() {
            return Ok(found);
        }
        let (defaults, reasons) = (defaults.clone(), reasons.to_vec());
        self.writer
            .write(move |conn| ensure_defaults(conn, ws, &defaults, &reasons, now))
            .await?;
        closer_store_sql::deals_store::pipelines(self, ws).await
    }

    async fn create_pipeline(
        &self,
        ws: WorkspaceId,
        id: PipelineId,
        draft: &PipelineDraft,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let draft = draft.clone();
        self.writer
            .write(move |conn| create(conn, ws, id, &draft, false, now))
            .await
    }

    async fn replace_pipeline(
        &self,
        ws: WorkspaceId,
        id: PipelineId,
        draft: &PipelineDraft,
    ) -> Result<(), StoreError> {
        let draft = draft.clone();
        self.writer
            .write(move |conn| replace(conn, ws, id, &draft))
            .await
    }

    async fn put_loss_reasons(
        &self,
        ws: WorkspaceId,
        reasons: &[LossReason],
    ) -> Result<(), StoreError> {
        let reasons = reasons.to_vec();
        self.writer
            .write(move |conn| put_reasons(conn, ws, &reasons))
            .await
    }

    async fn create_deal(
        &self,
        ws: WorkspaceId,
        deal: &closer_domain::pipeline::Deal,
        stage_name: &str,
        actor: &str,
    ) -> Result<(), StoreError> {
        let (deal, stage_name, actor) = (deal.clone(), stage_name.to_owned(), actor.to_owned());
        self.writer
            .write(move |conn| crate::deals::create(conn, ws, &deal, &stage_name, &actor))
            .await
    }

    async fn patch_deal(
        &self,
        ws: WorkspaceId,
        id: closer_domain::pipeline::DealId,
        patch: &closer_domain::pipeline::DealPatch,
        now: Timestamp,
    ) -> Result<closer_domain::pipeline::Deal, StoreError> {
        let patch = patch.clone();
        self.writer
            .write(move |conn| crate::deals::patch(conn, ws, id, &patch, now))
            .await?;
        closer_store_sql::deals_store::deal(self, ws, id).await
    }

    async fn move_deal(
        &self,
        ws: WorkspaceId,
        mv: &closer_store::DealMove,
        now: Timestamp,
    ) -> Result<closer_domain::pipeline::Deal, StoreError> {
        let (mv, id) = (mv.clone(), mv.deal);
        self.writer
            .write(move |conn| crate::deals::move_deal(conn, ws, &mv, now))
            .await?;
        closer_store_sql::deals_store::deal(self, ws, id).await
    }
}
