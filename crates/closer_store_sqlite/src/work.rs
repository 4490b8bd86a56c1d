//! Activities, tasks and direct orders on SQLite.

use closer_domain::pipeline::{Activity, DealId, Order, Task, TaskId, TaskStatus};
use closer_domain::{ContactId, Stage, Timestamp, UserId, WorkspaceId};
use closer_store::{StoreError, TaskPatch, TaskQuery, Touches, WorkStore};
use rusqlite::Row;
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use crate::SqliteStore;
use crate::error::{rs_err, rs_err_fk};
use crate::read::{all, one};
use crate::rows::{get, ts};

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

fn activity(row: &Row<'_>) -> Result<Activity, StoreError> {
    closer_store_sql::activity(&crate::rows::Cols(row))
}

use closer_store_sql::TASK_COLUMNS;

fn task(row: &Row<'_>) -> Result<Task, StoreError> {
    closer_store_sql::task(&crate::rows::Cols(row))
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

fn patch_task(
    conn: &Connection,
    ws: WorkspaceId,
    id: TaskId,
    p: &TaskPatch,
    now: Timestamp,
) -> Result<(), StoreError> {
    conn.query_row(
        "select 1 from tasks where workspace_id = ?1 and id = ?2",
        params![ws.0, id.0],
        |_| Ok(()),
    )
    .map_err(rs_err)?;
    if let Some(assignee) = p.assignee_id {
        check_user(conn, ws, assignee)?;
    }
    if let Some(status) = p.status {
        let done = (status == TaskStatus::Done).then_some(now.unix_micros());
        conn.execute(
            "update tasks set status = ?3, done_at = ?4 where workspace_id = ?1 and id = ?2",
            params![ws.0, id.0, status.as_str(), done],
        )
        .map_err(rs_err)?;
    }
    if let Some(due) = p.due_at {
        conn.execute(
            "update tasks set due_at = ?3 where workspace_id = ?1 and id = ?2",
            params![ws.0, id.0, due.unix_micros()],
        )
        .map_err(rs_err)?;
    }
    if let Some(assignee) = p.assignee_id {
        conn.execute(
            "update tasks set assignee_id = ?3 where workspace_id = ?1 and id = ?2",
            params![ws.0, id.0, assignee.map(|u| u.0)],
        )
        .map_err(rs_err)?;
    }
    Ok(())
}

fn add_order(conn: &Connection, ws: WorkspaceId, o: &Order, actor: &str) -> Result<(), StoreError> {
    check_refs(conn, ws, Some(o.contact_id), None)?;
    crate::deals::advance_contact(
        conn,
        ws,
        o.contact_id,
        &[
            Stage::Lead,
            Stage::Prospect,
            Stage::Opportunity,
            Stage::Disqualified,
        ],
        Stage::Customer,
        actor,
        o.created_at,
    )?;
    crate::deals::insert_order(conn, ws, o)
}

#[async_trait::async_trait]
impl WorkStore for SqliteStore {
    async fn add_activity(&self, ws: WorkspaceId, a: &Activity) -> Result<(), StoreError> {
        let a = a.clone();
        self.writer
            .write(move |conn| add_activity(conn, ws, &a))
            .await
    }

    async fn activities(
        &self,
        ws: WorkspaceId,
        contact: ContactId,
        limit: u32,
    ) -> Result<Vec<Activity>, StoreError> {
        self.read(move |c| {
            all(
                c,
                "select id, contact_id, deal_id, kind, occurred_at, owner_id, outcome, body, created_at \
                 from activities where workspace_id = ?1 and contact_id = ?2 \
                 order by occurred_at desc, id desc limit ?3",
                params![ws.0, contact.0, i64::from(limit)],
                activity,
            )
        })
        .await
    }

    async fn first_touch(
        &self,
        ws: WorkspaceId,
        contact: ContactId,
    ) -> Result<Option<Timestamp>, StoreError> {
        self.read(move |c| {
            one(
                c,
                "select first_touch_at from contacts where workspace_id = ?1 and id = ?2",
                [ws.0, contact.0],
                |r| get::<Option<i64>>(r, "first_touch_at")?.map(ts).transpose(),
            )
        })
        .await
    }

    async fn touches(
        &self,
        ws: WorkspaceId,
        contacts: &[ContactId],
    ) -> Result<Vec<Touches>, StoreError> {
        let contacts = contacts.to_vec();
        self.read(move |conn| {
            let mut out = Vec::with_capacity(contacts.len());
            for chunk in contacts.chunks(500) {
                let (list, mut values) = crate::read::in_list(2, chunk.iter().map(|c| c.0));
                values.insert(0, rusqlite::types::Value::Blob(ws.0.as_bytes().to_vec()));
                // `+workspace_id`: look the ids up by key; SQLite would otherwise walk the
                // workspace's index over every contact (seconds at a million).
                let sql = format!(
                    "select c.id, c.first_touch_at, (select max(a.occurred_at) from activities a \
                     where a.contact_id = c.id and a.kind <> 'note') as last_touch_at, \
                     (select max(s.entered_at) from contact_stages s where s.contact_id = c.id \
                     and (s.changed_by like 'token:%' or s.changed_by like 'user:%')) as moved_at \
                     from contacts c where +c.workspace_id = ?1 and c.id in ({list})"
                );
                out.extend(all(
                    conn,
                    &sql,
                    rusqlite::params_from_iter(values),
                    |row| {
                        let at = |col: &str| -> Result<Option<Timestamp>, StoreError> {
                            get::<Option<i64>>(row, col)?.map(ts).transpose()
                        };
                        Ok(Touches {
                            contact: ContactId(get(row, "id")?),
                            first_touch_at: at("first_touch_at")?,
                            last_touch_at: at("last_touch_at")?,
                            last_human_move_at: at("moved_at")?,
                        })
                    },
                )?);
            }
            Ok(out)
        })
        .await
    }

    async fn add_task(&self, ws: WorkspaceId, t: &Task) -> Result<(), StoreError> {
        let t = t.clone();
        self.writer.write(move |conn| add_task(conn, ws, &t)).await
    }

    async fn task(&self, ws: WorkspaceId, id: TaskId) -> Result<Task, StoreError> {
        static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let sql = SQL.get_or_init(|| {
            format!("select {TASK_COLUMNS} from tasks where workspace_id = ?1 and id = ?2")
        });
        self.read(move |c| one(c, sql, [ws.0, id.0], task)).await
    }

    async fn patch_task(
        &self,
        ws: WorkspaceId,
        id: TaskId,
        patch: &TaskPatch,
        now: Timestamp,
    ) -> Result<Task, StoreError> {
        let patch = patch.clone();
        self.writer
            .write(move |conn| patch_task(conn, ws, id, &patch, now))
            .await?;
        self.task(ws, id).await
    }

    async fn list_tasks(&self, ws: WorkspaceId, q: &TaskQuery) -> Result<Vec<Task>, StoreError> {
        let sql = closer_store_sql::task_list(closer_store_sql::Dialect::Sqlite, ws, q);
        self.read(move |c| all(c, &sql.text, crate::read::params(&sql), task))
            .await
    }

    async fn first_contact_load(&self, ws: WorkspaceId) -> Result<Vec<(UserId, u64)>, StoreError> {
        self.read(move |c| {
            all(
                c,
                "select assignee_id, count(*) from tasks where workspace_id = ?1 and status = 'open' \
                 and kind = 'first_contact' and assignee_id is not null group by assignee_id",
                [ws.0],
                |r| {
                    let n: i64 = r.get(1).map_err(rs_err)?;
                    Ok((UserId(r.get(0).map_err(rs_err)?), u64::try_from(n).unwrap_or(0)))
                },
            )
        })
        .await
    }

    async fn add_order(&self, ws: WorkspaceId, o: &Order, actor: &str) -> Result<(), StoreError> {
        let (o, actor) = (o.clone(), actor.to_owned());
        self.writer
            .write(move |conn| add_order(conn, ws, &o, &actor))
            .await
    }

    async fn orders(
        &self,
        ws: WorkspaceId,
        contact: Option<ContactId>,
        limit: u32,
    ) -> Result<Vec<Order>, StoreError> {
        self.read(move |c| crate::deals_read::orders(c, ws, contact, limit))
            .await
    }
}
