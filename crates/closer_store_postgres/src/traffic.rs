//! The traffic port on PostgreSQL.

use async_trait::async_trait;
use closer_domain::traffic::{Hit, VisitorKey};
use closer_domain::{ContactId, Timestamp, WorkspaceId};
use closer_store::{Link, Recorded, Site, StoreError, TrafficStore};
use uuid::Uuid;

use crate::error::db_err;
use crate::{PostgresStore, traffic_write};

#[async_trait]
impl TrafficStore for PostgresStore {
    async fn create_site(&self, site: &Site) -> Result<(), StoreError> {
        sqlx::query(
            "insert into sites (id, workspace_id, domain, created_at) values ($1, $2, $3, $4)",
        )
        .bind(site.id.0)
        .bind(site.workspace_id.0)
        .bind(site.domain.as_str())
        .bind(site.created_at.get())
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn record_hits(&self, hits: std::sync::Arc<[Hit]>) -> Result<Recorded, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let recorded = traffic_write::record(&mut tx, &hits).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(recorded)
    }

    async fn daily_salt(&self, day: i64) -> Result<Vec<u8>, StoreError> {
        let mut candidate = Uuid::new_v4().as_bytes().to_vec();
        candidate.extend_from_slice(Uuid::new_v4().as_bytes());
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        sqlx::query(
            "insert into tracking_salts (day, salt) values ($1, $2) on conflict (day) do nothing",
        )
        .bind(day)
        .bind(candidate)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        sqlx::query("delete from tracking_salts where day < $1")
            .bind(day)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let salt: Vec<u8> = sqlx::query_scalar("select salt from tracking_salts where day = $1")
            .bind(day)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(salt)
    }

    async fn link_visitor(
        &self,
        ws: WorkspaceId,
        visitor: &VisitorKey,
        contact: ContactId,
        now: Timestamp,
    ) -> Result<Link, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let exists: bool = sqlx::query_scalar(
            "select exists (select 1 from contacts where workspace_id = $1 and id = $2)",
        )
        .bind(ws.0)
        .bind(contact.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        if !exists {
            return Err(StoreError::NotFound);
        }
        let link = crate::visitor_links::link(&mut tx, ws, visitor, contact, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(link)
    }
}
