//! Activities, tasks and first contacts: the reads, written once over `Engine`. Adding an
//! activity, a task or an order checks its references in the same transaction, in each
//! adapter.

use closer_domain::pipeline::{Activity, Task, TaskId};
use closer_domain::{ContactId, Timestamp, UserId, WorkspaceId};
use closer_store::{StoreError, TaskQuery, Touches};

use crate::{Columns, Engine, Param, Sql, TASK_COLUMNS, required};

pub async fn activities(
    e: &impl Engine,
    ws: WorkspaceId,
    contact: ContactId,
    limit: u32,
) -> Result<Vec<Activity>, StoreError> {
    let sql = e.sql(
        "select id, contact_id, deal_id, kind, occurred_at, owner_id, outcome, body, created_at \
         from activities where workspace_id = $1 and contact_id = $2 \
         order by occurred_at desc, id desc limit $3",
        [ws.0.into(), contact.0.into(), i64::from(limit).into()],
    );
    e.fetch(sql, |r| crate::activity(r)).await
}

pub async fn first_touch(
    e: &impl Engine,
    ws: WorkspaceId,
    contact: ContactId,
) -> Result<Option<Timestamp>, StoreError> {
    let sql = e.sql(
        "select first_touch_at from contacts where workspace_id = $1 and id = $2",
        [ws.0.into(), contact.0.into()],
    );
    e.fetch_one(sql, |r| r.timestamp("first_touch_at")).await
}

fn touches_row(r: &dyn Columns) -> Result<Touches, StoreError> {
    Ok(Touches {
        contact: ContactId(required("id", r.uuid("id")?)?),
        first_touch_at: r.timestamp("first_touch_at")?,
        last_touch_at: r.timestamp("last_touch_at")?,
        last_human_move_at: r.timestamp("moved_at")?,
    })
}

pub async fn touches(
    e: &impl Engine,
    ws: WorkspaceId,
    contacts: &[ContactId],
) -> Result<Vec<Touches>, StoreError> {
    let mut out = Vec::with_capacity(contacts.len());
    for chunk in contacts.chunks(500) {
        // By key: SQLite would otherwise walk the workspace's index over every contact
        // (seconds at a million).
        let mut sql = Sql::new(
            e.dialect(),
            format!(
                "select c.id, c.first_touch_at, (select max(a.occurred_at) from activities a \
                 where a.contact_id = c.id and a.kind <> 'note') as last_touch_at, \
                 (select max(s.entered_at) from contact_stages s where s.contact_id = c.id \
                 and (s.changed_by like 'token:%' or s.changed_by like 'user:%')) as moved_at \
                 from contacts c where {} = ",
                e.dialect().unindexed("c.workspace_id")
            ),
        );
        sql.bind(Param::Uuid(ws.0)).push(" and c.id");
        sql.bind_ids(&chunk.iter().map(|c| c.0).collect::<Vec<_>>());
        out.extend(e.fetch(sql, touches_row).await?);
    }
    Ok(out)
}

pub async fn task(e: &impl Engine, ws: WorkspaceId, id: TaskId) -> Result<Task, StoreError> {
    let sql = e.sql(
        &format!("select {TASK_COLUMNS} from tasks where workspace_id = $1 and id = $2"),
        [ws.0.into(), id.0.into()],
    );
    e.fetch_one(sql, |r| crate::task(r)).await
}

pub async fn list_tasks(
    e: &impl Engine,
    ws: WorkspaceId,
    q: &TaskQuery,
) -> Result<Vec<Task>, StoreError> {
    e.fetch(crate::task_list(e.dialect(), ws, q), |r| crate::task(r))
        .await
}

/// Open first-contact tasks per assignee, for the round robin.
pub async fn first_contact_load(
    e: &impl Engine,
    ws: WorkspaceId,
) -> Result<Vec<(UserId, u64)>, StoreError> {
    let sql = e.sql(
        "select assignee_id, count(*) as n from tasks where workspace_id = $1 and status = 'open' \
         and kind = 'first_contact' and assignee_id is not null group by assignee_id",
        [ws.0.into()],
    );
    e.fetch(sql, |r| {
        Ok((
            UserId(required("assignee_id", r.uuid("assignee_id")?)?),
            u64::try_from(required("n", r.integer("n")?)?).unwrap_or(0),
        ))
    })
    .await
}

/// A page of the workspace's activities, oldest first by creation, after `after`.
pub async fn activities_after(
    e: &impl Engine,
    ws: WorkspaceId,
    after: Option<closer_store::Cursor>,
    limit: u32,
) -> Result<Vec<Activity>, StoreError> {
    let sql = e.sql(
        "select id, contact_id, deal_id, kind, occurred_at, owner_id, outcome, body, created_at \
         from activities where workspace_id = $1 \
         and ($2 is null or (created_at, id) > ($3, $4)) order by created_at, id limit $5",
        page_params(ws, after, limit),
    );
    e.fetch(sql, |r| crate::activity(r)).await
}

/// A page of the workspace's tasks, oldest first by creation, after `after`.
pub async fn tasks_after(
    e: &impl Engine,
    ws: WorkspaceId,
    after: Option<closer_store::Cursor>,
    limit: u32,
) -> Result<Vec<closer_domain::pipeline::Task>, StoreError> {
    let sql = e.sql(
        &format!(
            "select {} from tasks where workspace_id = $1 \
             and ($2 is null or (created_at, id) > ($3, $4)) order by created_at, id limit $5",
            crate::TASK_COLUMNS
        ),
        page_params(ws, after, limit),
    );
    e.fetch(sql, |r| crate::task(r)).await
}

/// `$1` the workspace, `$2`–`$4` the page's start (NULL for the first), `$5` its size.
fn page_params(
    ws: WorkspaceId,
    after: Option<closer_store::Cursor>,
    limit: u32,
) -> [crate::Param; 5] {
    use crate::Param;
    [
        ws.0.into(),
        Param::MaybeUuid(after.map(|c| c.id)),
        Param::Time(after.map_or(closer_domain::Timestamp::now(), |c| c.at)),
        Param::Uuid(after.map_or(uuid::Uuid::nil(), |c| c.id)),
        Param::Int(i64::from(limit)),
    ]
}
