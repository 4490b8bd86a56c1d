//! Activities, tasks and direct orders on PostgreSQL.

use closer_domain::notify::Notice;
use closer_domain::pipeline::{Activity, DealId, Order, Task, TaskId};
use closer_domain::{Advance, ContactId, Timestamp, UserId, WorkspaceId};
use closer_store::{StoreError, TaskPatch, WorkStore};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::PostgresStore;
use crate::error::db_err;

/// `NotFound` unless the contact is the workspace's (and the deal, if any, the contact's).
async fn check_refs(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    contact: Option<ContactId>,
    deal: Option<DealId>,
) -> Result<(), StoreError> {
    if let Some(c) = contact {
        sqlx::query("select 1 from contacts where workspace_id = $1 and id = $2")
            .bind(ws.0)
            .bind(c.0)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound)?;
    }
    if let Some(d) = deal {
        let owner: Uuid =
            sqlx::query_scalar("select contact_id from deals where workspace_id = $1 and id = $2")
                .bind(ws.0)
                .bind(d.0)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_err)?
                .ok_or(StoreError::NotFound)?;
        if contact.is_some_and(|c| c.0 != owner) {
            return Err(StoreError::NotFound);
        }
    }
    Ok(())
}

async fn check_user(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    user: Option<UserId>,
) -> Result<(), StoreError> {
    if let Some(u) = user {
        sqlx::query("select 1 from users where workspace_id = $1 and id = $2")
            .bind(ws.0)
            .bind(u.0)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?
            .ok_or_else(|| StoreError::Conflict {
                constraint: "tasks_assignee_fk".into(),
            })?;
    }
    Ok(())
}

/// A write's notifications and their e-mails, in its transaction.
async fn write_notices(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    notices: &[Notice],
) -> Result<(), StoreError> {
    for sql in
        closer_store_sql::notify_store::notice_sql(closer_store_sql::Dialect::Postgres, notices)
    {
        crate::rows::query(&sql)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl WorkStore for PostgresStore {
    async fn add_activity(
        &self,
        ws: WorkspaceId,
        a: &Activity,
        notices: &[Notice],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        check_refs(&mut tx, ws, Some(a.contact_id), a.deal_id).await?;
        sqlx::query(
            "insert into activities (id, workspace_id, contact_id, deal_id, kind, occurred_at, owner_id, outcome, body, created_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(a.id.0)
        .bind(ws.0)
        .bind(a.contact_id.0)
        .bind(a.deal_id.map(|d| d.0))
        .bind(a.kind.as_str())
        .bind(a.occurred_at.get())
        .bind(a.owner_id.map(|u| u.0))
        .bind(&a.outcome)
        .bind(&a.text)
        .bind(a.created_at.get())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if a.kind.touches() {
            sqlx::query(
                "update contacts set first_touch_at = $3 where workspace_id = $1 and id = $2 \
                 and (first_touch_at is null or first_touch_at > $3)",
            )
            .bind(ws.0)
            .bind(a.contact_id.0)
            .bind(a.occurred_at.get())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            sqlx::query(
                "update tasks set status = 'done', done_at = $3 where workspace_id = $1 and contact_id = $2 \
                 and kind = 'first_contact' and status = 'open'",
            )
            .bind(ws.0)
            .bind(a.contact_id.0)
            .bind(a.created_at.get())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        write_notices(&mut tx, notices).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn add_task(
        &self,
        ws: WorkspaceId,
        t: &Task,
        notices: &[Notice],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        check_refs(&mut tx, ws, t.contact_id, t.deal_id).await?;
        check_user(&mut tx, ws, t.assignee_id).await?;
        sqlx::query(
            "insert into tasks (id, workspace_id, kind, title, body, contact_id, deal_id, assignee_id, due_at, status, done_at, created_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(t.id.0)
        .bind(ws.0)
        .bind(t.kind.as_str())
        .bind(&t.title)
        .bind(&t.text)
        .bind(t.contact_id.map(|c| c.0))
        .bind(t.deal_id.map(|d| d.0))
        .bind(t.assignee_id.map(|u| u.0))
        .bind(t.due_at.get())
        .bind(t.status.as_str())
        .bind(t.done_at.map(Timestamp::get))
        .bind(t.created_at.get())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        write_notices(&mut tx, notices).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn patch_task(
        &self,
        ws: WorkspaceId,
        id: TaskId,
        p: &TaskPatch,
        now: Timestamp,
    ) -> Result<Task, StoreError> {
        closer_store_sql::work_edits::patch_task(self, ws, id, p, now).await
    }

    async fn add_order(&self, ws: WorkspaceId, o: &Order, actor: &str) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        check_refs(&mut tx, ws, Some(o.contact_id), None).await?;
        crate::deals::advance_contact(
            &mut tx,
            ws,
            o.contact_id,
            Advance::BOUGHT,
            actor,
            o.created_at,
        )
        .await?;
        crate::deals::insert_order(&mut tx, ws, o).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn add_orders(
        &self,
        ws: WorkspaceId,
        orders: &[Order],
        actor: &str,
    ) -> Result<u64, StoreError> {
        let batch = closer_store_sql::order_batch::plan_orders(self, ws, orders).await?;
        if batch.new == 0 {
            return Ok(0);
        }
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        for sql in &batch.statements {
            crate::rows::query(sql)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        for (contact, at) in &batch.to_advance {
            crate::deals::advance_contact(&mut tx, ws, *contact, Advance::BOUGHT, actor, *at)
                .await?;
        }
        let new = batch.new;
        tx.commit().await.map_err(db_err)?;
        Ok(new)
    }
}
