//! Activities, tasks and direct orders on PostgreSQL.

use closer_domain::pipeline::{Activity, DealId, Order, Task, TaskId, TaskStatus};
use closer_domain::{ContactId, Stage, Timestamp, UserId, WorkspaceId};
use closer_store::{StoreError, TaskPatch, TaskQuery, Touches, WorkStore};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

use crate::PostgresStore;
use crate::error::db_err;
use crate::rows::{get, ts_opt};

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

fn activity(row: &PgRow) -> Result<Activity, StoreError> {
    closer_store_sql::activity(&crate::rows::Cols(row))
}

use closer_store_sql::TASK_COLUMNS;

fn task(row: &PgRow) -> Result<Task, StoreError> {
    closer_store_sql::task(&crate::rows::Cols(row))
}

#[async_trait::async_trait]
impl WorkStore for PostgresStore {
    async fn add_activity(&self, ws: WorkspaceId, a: &Activity) -> Result<(), StoreError> {
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
        tx.commit().await.map_err(db_err)
    }

    async fn activities(
        &self,
        ws: WorkspaceId,
        contact: ContactId,
        limit: u32,
    ) -> Result<Vec<Activity>, StoreError> {
        let rows = sqlx::query(
            "select id, contact_id, deal_id, kind, occurred_at, owner_id, outcome, body, created_at \
             from activities where workspace_id = $1 and contact_id = $2 \
             order by occurred_at desc, id desc limit $3",
        )
        .bind(ws.0)
        .bind(contact.0)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(activity).collect()
    }

    async fn first_touch(
        &self,
        ws: WorkspaceId,
        contact: ContactId,
    ) -> Result<Option<Timestamp>, StoreError> {
        let row =
            sqlx::query("select first_touch_at from contacts where workspace_id = $1 and id = $2")
                .bind(ws.0)
                .bind(contact.0)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?
                .ok_or(StoreError::NotFound)?;
        ts_opt(&row, "first_touch_at")
    }

    async fn touches(
        &self,
        ws: WorkspaceId,
        contacts: &[ContactId],
    ) -> Result<Vec<Touches>, StoreError> {
        let ids: Vec<Uuid> = contacts.iter().map(|c| c.0).collect();
        let rows = sqlx::query(
            "select c.id, c.first_touch_at, (select max(a.occurred_at) from activities a \
             where a.contact_id = c.id and a.kind <> 'note') as last_touch_at, \
             (select max(s.entered_at) from contact_stages s where s.contact_id = c.id \
             and (s.changed_by like 'token:%' or s.changed_by like 'user:%')) as moved_at \
             from contacts c where c.workspace_id = $1 and c.id = any($2)",
        )
        .bind(ws.0)
        .bind(&ids)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|row| {
                Ok(Touches {
                    contact: ContactId(get(row, "id")?),
                    first_touch_at: ts_opt(row, "first_touch_at")?,
                    last_touch_at: ts_opt(row, "last_touch_at")?,
                    last_human_move_at: ts_opt(row, "moved_at")?,
                })
            })
            .collect()
    }

    async fn add_task(&self, ws: WorkspaceId, t: &Task) -> Result<(), StoreError> {
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
        tx.commit().await.map_err(db_err)
    }

    async fn task(&self, ws: WorkspaceId, id: TaskId) -> Result<Task, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "select {TASK_COLUMNS} from tasks where workspace_id = $1 and id = $2"
        )))
        .bind(ws.0)
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound)?;
        task(&row)
    }

    async fn patch_task(
        &self,
        ws: WorkspaceId,
        id: TaskId,
        p: &TaskPatch,
        now: Timestamp,
    ) -> Result<Task, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        sqlx::query("select 1 from tasks where workspace_id = $1 and id = $2 for update")
            .bind(ws.0)
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound)?;
        if let Some(assignee) = p.assignee_id {
            check_user(&mut tx, ws, assignee).await?;
        }
        let mut sql: QueryBuilder<Postgres> = QueryBuilder::new("update tasks set id = id");
        if let Some(status) = p.status {
            let done = (status == TaskStatus::Done).then_some(now.get());
            sql.push(", status = ")
                .push_bind(status.as_str())
                .push(", done_at = ")
                .push_bind(done);
        }
        if let Some(due) = p.due_at {
            sql.push(", due_at = ").push_bind(due.get());
        }
        if let Some(assignee) = p.assignee_id {
            sql.push(", assignee_id = ")
                .push_bind(assignee.map(|u| u.0));
        }
        sql.push(" where workspace_id = ")
            .push_bind(ws.0)
            .push(" and id = ")
            .push_bind(id.0);
        sql.build().execute(&mut *tx).await.map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        self.task(ws, id).await
    }

    async fn list_tasks(&self, ws: WorkspaceId, q: &TaskQuery) -> Result<Vec<Task>, StoreError> {
        let sql = closer_store_sql::task_list(closer_store_sql::Dialect::Postgres, ws, q);
        let rows = crate::rows::query(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter().map(task).collect()
    }

    async fn first_contact_load(&self, ws: WorkspaceId) -> Result<Vec<(UserId, u64)>, StoreError> {
        let rows: Vec<(Uuid, i64)> = sqlx::query_as(
            "select assignee_id, count(*) from tasks where workspace_id = $1 and status = 'open' \
             and kind = 'first_contact' and assignee_id is not null group by assignee_id",
        )
        .bind(ws.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|(u, n)| (UserId(u), u64::try_from(n).unwrap_or(0)))
            .collect())
    }

    async fn add_order(&self, ws: WorkspaceId, o: &Order, actor: &str) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        check_refs(&mut tx, ws, Some(o.contact_id), None).await?;
        crate::deals::advance_contact(
            &mut tx,
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
        )
        .await?;
        crate::deals::insert_order(&mut tx, ws, o).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn orders(
        &self,
        ws: WorkspaceId,
        contact: Option<ContactId>,
        limit: u32,
    ) -> Result<Vec<Order>, StoreError> {
        crate::orders::orders(&self.pool, ws, contact, limit).await
    }
}
