//! The traffic port on SQLite: writes on the writer thread (`traffic_write.rs`), reads on the
//! kit (`closer_store_sql::traffic_store`).

use async_trait::async_trait;
use closer_domain::traffic::{Hit, VisitorKey};
use closer_domain::{ContactId, Timestamp, WorkspaceId};
use closer_store::{Link, Recorded, Site, StoreError, TrafficStore};
use rusqlite::params;

use crate::error::rs_err;
use crate::{SqliteStore, traffic_write};

#[async_trait]
impl TrafficStore for SqliteStore {
    async fn create_site(&self, site: &Site) -> Result<(), StoreError> {
        let site = site.clone();
        self.writer
            .write(move |conn| {
                conn.prepare_cached("insert into sites (id, workspace_id, domain, created_at) values (?1, ?2, ?3, ?4)")
                    .and_then(|mut s| s.execute(params![site.id.0, site.workspace_id.0, site.domain.as_str(), site.created_at.unix_micros()]))
                    .map_err(rs_err)?;
                Ok(())
            })
            .await
    }

    async fn record_hits(&self, hits: std::sync::Arc<[Hit]>) -> Result<Recorded, StoreError> {
        self.writer
            .write(move |conn| traffic_write::record(conn, &hits))
            .await
    }

    async fn daily_salt(&self, day: i64) -> Result<Vec<u8>, StoreError> {
        self.writer
            .write(move |conn| traffic_write::salt(conn, day))
            .await
    }

    async fn link_visitor(
        &self,
        ws: WorkspaceId,
        visitor: &VisitorKey,
        contact: ContactId,
        now: Timestamp,
    ) -> Result<Link, StoreError> {
        let visitor = visitor.clone();
        self.writer
            .write(move |conn| {
                let exists: i64 = conn
                    .prepare_cached(
                        "select count(*) from contacts where workspace_id = ?1 and id = ?2",
                    )
                    .and_then(|mut s| s.query_row(params![ws.0, contact.0], |r| r.get(0)))
                    .map_err(rs_err)?;
                if exists == 0 {
                    return Err(StoreError::NotFound);
                }
                traffic_write::link(conn, ws, &visitor, contact, now)
            })
            .await
    }
}
