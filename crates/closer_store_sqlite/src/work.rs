//! Activities, tasks and direct orders on SQLite.

use closer_domain::notify::Notice;
use closer_domain::pipeline::{Activity, DealId, Order, Task, TaskId};
use closer_domain::{Advance, ContactId, Timestamp, UserId, WorkspaceId};
use closer_store::{StoreError, TaskPatch, WorkStore};
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use crate::SqliteStore;
use crate::error::{rs_err, rs_err_fk};

/// `NotFound` unless the contact is the workspace's (and the deal, if any, the contact's).
fn check_refs(
    conn: &Connection,
    ws: WorkspaceId,
    contact: Option<ContactId>,
    deal: Option<DealId>,
) -> Result<(), StoreError> {
    if let Some(c) = contact {
        conn.query_row(
            "select 1 from contacts where workspace_id = ?1 and id = ?2",
            params![ws.0, c.0],
            |_| Ok(()),
        )
        .map_err(rs_err)?;
    }
    if let Some(d) = deal {
        let owner: Uuid = conn
            .query_row(
                "select contact_id from deals where workspace_id = ?1 and id = ?2",
                params![ws.0, d.0],
                |r| r.get(0),
            )
            .map_err(rs_err)?;
        if contact.is_some_and(|c| c.0 != owner) {
            return Err(StoreError::NotFound);
        }
    }
    Ok(())
}

/// The activity's row alone (the bulk load derives first touches itself).
pub(crate) fn insert_activity(
    conn: &Connection,
    ws: WorkspaceId,
    a: &Activity,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "insert into activities (id, workspace_id, contact_id, deal_id, kind, occurred_at, owner_id, outcome, body, created_at) \
         values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )
    .and_then(|mut s| {
        s.execute(params![
            a.id.0,
            ws.0,
            a.contact_id.0,
            a.deal_id.map(|d| d.0),
            a.kind.as_str(),
            a.occurred_at.unix_micros(),
            a.owner_id.map(|u| u.0),
            a.outcome,
            a.text,
            a.created_at.unix_micros()
        ])
    })
    .map_err(rs_err)?;
    Ok(())
}

fn add_activity(conn: &Connection, ws: WorkspaceId, a: &Activity) -> Result<(), StoreError> {
    check_refs(conn, ws, Some(a.contact_id), a.deal_id)?;
    insert_activity(conn, ws, a)?;
    if a.kind.touches() {
        // The earliest touch wins, even one logged late.
        conn.prepare_cached(
            "update contacts set first_touch_at = ?3 where workspace_id = ?1 and id = ?2 \
             and (first_touch_at is null or first_touch_at > ?3)",
        )
        .and_then(|mut s| s.execute(params![ws.0, a.contact_id.0, a.occurred_at.unix_micros()]))
        .map_err(rs_err)?;
        conn.prepare_cached(
            "update tasks set status = 'done', done_at = ?3 where workspace_id = ?1 and contact_id = ?2 \
             and kind = 'first_contact' and status = 'open'",
        )
        .and_then(|mut s| s.execute(params![ws.0, a.contact_id.0, a.created_at.unix_micros()]))
        .map_err(rs_err)?;
    }
    Ok(())
}

/// A task's assignee must be a user of the workspace.
fn check_user(conn: &Connection, ws: WorkspaceId, user: Option<UserId>) -> Result<(), StoreError> {
    let Some(u) = user else { return Ok(()) };
    conn.query_row(
        "select 1 from users where workspace_id = ?1 and id = ?2",
        params![ws.0, u.0],
        |_| Ok(()),
    )
    .optional()
    .map_err(rs_err)?
    .ok_or_else(|| StoreError::Conflict {
        constraint: "tasks_assignee_fk".into(),
    })
}

fn add_task(conn: &Connection, ws: WorkspaceId, t: &Task) -> Result<(), StoreError> {
    check_refs(conn, ws, t.contact_id, t.deal_id)?;
    check_user(conn, ws, t.assignee_id)?;
    conn.prepare_cached(
        "insert into tasks (id, workspace_id, kind, title, body, contact_id, deal_id, assignee_id, due_at, status, done_at, created_at) \
         values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )
    .and_then(|mut s| {
        s.execute(params![
            t.id.0,
            ws.0,
            t.kind.as_str(),
            t.title,
            t.text,
            t.contact_id.map(|c| c.0),
            t.deal_id.map(|d| d.0),
            t.assignee_id.map(|u| u.0),
            t.due_at.unix_micros(),
            t.status.as_str(),
            t.done_at.map(Timestamp::unix_micros),
            t.created_at.unix_micros()
        ])
    })
    .map_err(rs_err_fk("tasks_assignee_fk"))?;
    Ok(())
}

fn add_order(conn: &Connection, ws: WorkspaceId, o: &Order, actor: &str) -> Result<(), StoreError> {
    check_refs(conn, ws, Some(o.contact_id), None)?;
    crate::deals::advance_contact(conn, ws, o.contact_id, Advance::BOUGHT, actor, o.created_at)?;
    crate::deals::insert_order(conn, ws, o).map(|_| ())
}

/// A write's notifications and their e-mails, in its transaction.
fn write_notices(conn: &Connection, notices: &[Notice]) -> Result<(), StoreError> {
    for sql in
        closer_store_sql::notify_store::notice_sql(closer_store_sql::Dialect::Sqlite, notices)
    {
        conn.prepare_cached(&sql.text)
            .and_then(|mut s| s.execute(crate::read::params(&sql)))
            .map_err(rs_err)?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl WorkStore for SqliteStore {
    async fn add_activity(
        &self,
        ws: WorkspaceId,
        a: &Activity,
        notices: &[Notice],
    ) -> Result<(), StoreError> {
        let a = a.clone();
        let notices = notices.to_vec();
        self.writer
            .write(move |conn| {
                add_activity(conn, ws, &a)?;
                write_notices(conn, &notices)
            })
            .await
    }

    async fn add_task(
        &self,
        ws: WorkspaceId,
        t: &Task,
        notices: &[Notice],
    ) -> Result<(), StoreError> {
        let t = t.clone();
        let notices = notices.to_vec();
        self.writer
            .write(move |conn| {
                add_task(conn, ws, &t)?;
                write_notices(conn, &notices)
            })
            .await
    }

    async fn patch_task(
        &self,
        ws: WorkspaceId,
        id: TaskId,
        patch: &TaskPatch,
        now: Timestamp,
    ) -> Result<Task, StoreError> {
        closer_store_sql::work_edits::patch_task(self, ws, id, patch, now).await
    }

    async fn add_order(&self, ws: WorkspaceId, o: &Order, actor: &str) -> Result<(), StoreError> {
        let (o, actor) = (o.clone(), actor.to_owned());
        self.writer
            .write(move |conn| add_order(conn, ws, &o, &actor))
            .await
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
        let actor = actor.to_owned();
        // One writer job: the orders, their lines and the buyers' moves, or nothing.
        self.writer
            .write(move |conn| {
                for sql in &batch.statements {
                    conn.prepare_cached(&sql.text)
                        .and_then(|mut s| s.execute(crate::read::params(sql)))
                        .map_err(rs_err)?;
                }
                for (contact, at) in &batch.to_advance {
                    crate::deals::advance_contact(
                        conn,
                        ws,
                        *contact,
                        Advance::BOUGHT,
                        &actor,
                        *at,
                    )?;
                }
                Ok(batch.new)
            })
            .await
    }
}
