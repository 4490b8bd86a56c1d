//! The pipeline port on PostgreSQL: pipelines, loss reasons, deals, their history, the board
//! and their orders, over `pipeline.rs`, `deals.rs` and `orders.rs`.

use closer_domain::pipeline::{
    Deal, DealId, DealPatch, LossReason, Pipeline, PipelineDraft, PipelineId,
};
use closer_domain::{Advance, Timestamp, WorkspaceId};
use closer_store::{DealMove, PipelineStore, StoreError};

use crate::PostgresStore;
use crate::error::db_err;

use crate::deals::{advance_contact, move_in, one, open_span, patch_in};

#[async_trait::async_trait]
impl PipelineStore for PostgresStore {
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
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        crate::pipeline::ensure_defaults(&mut tx, ws, defaults, reasons, now).await?;
        tx.commit().await.map_err(db_err)?;
        closer_store_sql::deals_store::pipelines(self, ws).await
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
            Advance::DEAL_OPENED,
            actor,
            d.created_at,
        )
        .await?;
        sqlx::query(
            // The deal belongs to its contact's company, as the contact does when it opens.
            "insert into deals (id, workspace_id, pipeline_id, stage_id, status, contact_id, company, title, amount, \
               currency, expected_close, owner_id, source, loss_reason, objection, closed_at, created_at, updated_at, \
               company_id, properties) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, null, null, null, $14, $14, \
               (select company_id from contacts where id = $6), $15)",
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
        .bind(sqlx::types::Json(&d.properties))
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
}
