//! The pipeline port on PostgreSQL: pipelines, loss reasons, deals, their history, the board
//! and their orders, over `pipeline.rs`, `deals.rs` and `orders.rs`.

use closer_domain::pipeline::{
    Deal, DealId, DealPatch, LossReason, Order, Pipeline, PipelineDraft, PipelineId,
    PipelineStageId,
};
use closer_domain::{Stage, Timestamp, WorkspaceId};
use closer_store::{BoardColumn, DealMove, DealQuery, DealSpan, PipelineStore, StoreError};

use crate::PostgresStore;
use crate::error::db_err;
use crate::rows::{get, ts, ts_opt};

use closer_store_sql::{DEAL_COLUMNS, board_columns};

use crate::deals::{advance_contact, deal, move_in, one, open_span, patch_in};
use crate::orders::order_of;

#[async_trait::async_trait]
impl PipelineStore for PostgresStore {
    async fn pipelines(
        &self,
        ws: WorkspaceId,
        defaults: &PipelineDraft,
        reasons: &[LossReason],
        now: Timestamp,
    ) -> Result<Vec<Pipeline>, StoreError> {
        let found = crate::pipeline::list(&self.pool, ws).await?;
        if !found.is_empty() {
            return Ok(found);
        }
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        crate::pipeline::ensure_defaults(&mut tx, ws, defaults, reasons, now).await?;
        tx.commit().await.map_err(db_err)?;
        crate::pipeline::list(&self.pool, ws).await
    }

    async fn create_pipeline(
        &self,
        ws: WorkspaceId,
        id: PipelineId,
        draft: &PipelineDraft,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        crate::pipeline::create(&mut tx, ws, id, draft, false, now).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn replace_pipeline(
        &self,
        ws: WorkspaceId,
        id: PipelineId,
        draft: &PipelineDraft,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        crate::pipeline::replace(&mut tx, ws, id, draft).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn loss_reasons(&self, ws: WorkspaceId) -> Result<Vec<LossReason>, StoreError> {
        crate::pipeline::reasons(&self.pool, ws).await
    }

    async fn put_loss_reasons(
        &self,
        ws: WorkspaceId,
        reasons: &[LossReason],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        crate::pipeline::put_reasons(&mut tx, ws, reasons).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn create_deal(
        &self,
        ws: WorkspaceId,
        d: &Deal,
        stage_name: &str,
        actor: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        advance_contact(
            &mut tx,
            ws,
            d.contact_id,
            &[Stage::Lead, Stage::Prospect, Stage::Disqualified],
            Stage::Opportunity,
            actor,
            d.created_at,
        )
        .await?;
        sqlx::query(
            "insert into deals (id, workspace_id, pipeline_id, stage_id, status, contact_id, company, title, amount, \
               currency, expected_close, owner_id, source, loss_reason, objection, closed_at, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, null, null, null, $14, $14)",
        )
        .bind(d.id.0)
        .bind(ws.0)
        .bind(d.pipeline_id.0)
        .bind(d.stage_id.0)
        .bind(d.status.as_str())
        .bind(d.contact_id.0)
        .bind(&d.company)
        .bind(&d.title)
        .bind(d.amount.units())
        .bind(d.currency.as_str())
        .bind(d.expected_close)
        .bind(d.owner_id.map(|u| u.0))
        .bind(&d.source)
        .bind(d.created_at.get())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        open_span(
            &mut tx,
            ws,
            d.id,
            d.stage_id,
            stage_name,
            d.created_at,
            actor,
        )
        .await?;
        tx.commit().await.map_err(db_err)
    }

    async fn deal(&self, ws: WorkspaceId, id: DealId) -> Result<Deal, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        one(&mut conn, ws, id).await
    }

    async fn list_deals(&self, ws: WorkspaceId, q: &DealQuery) -> Result<Vec<Deal>, StoreError> {
        let sql = closer_store_sql::deal_list(closer_store_sql::Dialect::Postgres, ws, q);
        let rows = crate::rows::query(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter().map(deal).collect()
    }

    async fn patch_deal(
        &self,
        ws: WorkspaceId,
        id: DealId,
        patch: &DealPatch,
        now: Timestamp,
    ) -> Result<Deal, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        patch_in(&mut tx, ws, id, patch, now).await?;
        let d = one(&mut tx, ws, id).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(d)
    }

    async fn move_deal(
        &self,
        ws: WorkspaceId,
        mv: &DealMove,
        now: Timestamp,
    ) -> Result<Deal, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        move_in(&mut tx, ws, mv, now).await?;
        let d = one(&mut tx, ws, mv.deal).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(d)
    }

    async fn deal_history(&self, ws: WorkspaceId, id: DealId) -> Result<Vec<DealSpan>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        one(&mut conn, ws, id).await?;
        let rows = sqlx::query(
            "select stage_id, stage_name, entered_at, left_at, changed_by from deal_stages \
             where workspace_id = $1 and deal_id = $2 order by entered_at, id",
        )
        .bind(ws.0)
        .bind(id.0)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(DealSpan {
                    stage_id: PipelineStageId(get(r, "stage_id")?),
                    stage_name: get(r, "stage_name")?,
                    entered_at: ts(r, "entered_at")?,
                    left_at: ts_opt(r, "left_at")?,
                    changed_by: get(r, "changed_by")?,
                })
            })
            .collect()
    }

    async fn board(
        &self,
        ws: WorkspaceId,
        pipeline: PipelineId,
        per_stage: u32,
    ) -> Result<Vec<BoardColumn>, StoreError> {
        let sums = sqlx::query(
            "select stage_id, currency, count(*) as n, sum(amount)::bigint as total from deals \
             where workspace_id = $1 and pipeline_id = $2 and status = 'open' \
             group by stage_id, currency order by stage_id, currency",
        )
        .bind(ws.0)
        .bind(pipeline.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let mut columns = board_columns(
            sums.iter()
                .map(|r| {
                    Ok((
                        get(r, "stage_id")?,
                        get(r, "currency")?,
                        get(r, "n")?,
                        get(r, "total")?,
                    ))
                })
                .collect::<Result<Vec<_>, StoreError>>()?,
        )?;
        if per_stage > 0 {
            let sql = format!(
                "select {DEAL_COLUMNS} from deals where workspace_id = $1 and pipeline_id = $2 \
                 and status = 'open' and stage_id = $3 order by updated_at desc, id desc limit $4"
            );
            for column in &mut columns {
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(ws.0)
                    .bind(pipeline.0)
                    .bind(column.stage_id.0)
                    .bind(i64::from(per_stage))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_err)?;
                column.deals = rows.iter().map(deal).collect::<Result<_, _>>()?;
            }
        }
        Ok(columns)
    }

    async fn deal_order(&self, ws: WorkspaceId, deal: DealId) -> Result<Option<Order>, StoreError> {
        order_of(&self.pool, ws, deal).await
    }
}
