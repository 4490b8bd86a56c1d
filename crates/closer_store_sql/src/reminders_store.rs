//! Reminders written once over `Engine`: a workspace's settings, the scans for what is owed a
//! reminder and not yet told (each excludes what a `notice_marks` row says was told for the
//! same moment), and `tell_once` — the mark, written only if it changes, and the notices in
//! one transaction. A second process telling the same thing finds the mark unchanged and
//! writes nothing: on PostgreSQL its insert waits for the first's row, then sees it.

use closer_domain::notify::{Notice, NoticeKind};
use closer_domain::pipeline::{DealId, TaskId};
use closer_domain::reminders::{DueTask, IdleDeal, NoticeMark, Reminders};
use closer_domain::{ContactId, Timestamp, UserId, WorkspaceId};
use closer_store::StoreError;

use crate::notify_store::notice_sql;
use crate::{Columns, Engine, Param, Step, required};

pub async fn reminders(e: &impl Engine, ws: WorkspaceId) -> Result<Reminders, StoreError> {
    let sql = e.sql(
        "select idle_deal_days, digest_hour from workspaces where id = $1",
        [Param::Uuid(ws.0)],
    );
    e.fetch_one(sql, |r| {
        let days = required("idle_deal_days", r.integer("idle_deal_days")?)?;
        let hour = required("digest_hour", r.integer("digest_hour")?)?;
        Reminders::new(days, hour)
            .map_err(|_| StoreError::Corrupt(format!("reminder settings {days} days, hour {hour}")))
    })
    .await
}

pub async fn set_reminders(
    e: &impl Engine,
    ws: WorkspaceId,
    r: Reminders,
) -> Result<(), StoreError> {
    let sql = e.sql(
        "update workspaces set idle_deal_days = $2, digest_hour = $3 where id = $1",
        [
            Param::Uuid(ws.0),
            Param::Int(i64::from(r.idle_deal_days)),
            Param::Int(i64::from(r.digest_hour)),
        ],
    );
    if e.execute(sql).await? == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

const TASK_COLUMNS: &str = "t.id, t.workspace_id, t.assignee_id, t.title, t.contact_id, t.due_at";

fn due_task(r: &dyn Columns) -> Result<DueTask, StoreError> {
    Ok(DueTask {
        id: TaskId(required("id", r.uuid("id")?)?),
        workspace_id: WorkspaceId(required("workspace_id", r.uuid("workspace_id")?)?),
        assignee: UserId(required("assignee_id", r.uuid("assignee_id")?)?),
        title: required("title", r.text("title")?)?,
        contact_id: r.uuid("contact_id")?.map(ContactId),
        due_at: required("due_at", r.timestamp("due_at")?)?,
    })
}

pub async fn untold_tasks(
    e: &impl Engine,
    kind: NoticeKind,
    after: Timestamp,
    until: Timestamp,
    limit: u32,
) -> Result<Vec<DueTask>, StoreError> {
    let sql = e.sql(
        &format!(
            "select {TASK_COLUMNS} from tasks t \
             where t.status = 'open' and t.due_at > $1 and t.due_at <= $2 \
               and t.assignee_id is not null \
               and not exists (select 1 from notice_marks m \
                 where m.kind = $3 and m.subject_id = t.id and m.told_for = t.due_at) \
             order by t.due_at limit $4"
        ),
        [
            Param::Time(after),
            Param::Time(until),
            Param::Text(kind.as_str().to_owned()),
            Param::Int(i64::from(limit)),
        ],
    );
    e.fetch(sql, due_task).await
}

pub async fn untold_idle_deals(
    e: &impl Engine,
    ws: WorkspaceId,
    after: Timestamp,
    until: Timestamp,
    limit: u32,
) -> Result<Vec<IdleDeal>, StoreError> {
    // The latest activity is read per open deal through the contact's activity index; the
    // deal's own `updated_at` counts too (a stage move is activity on the deal).
    let sql = e.sql(
        "select id, workspace_id, owner_id, title, contact_id, last_active from ( \
           select d.id, d.workspace_id, d.owner_id, d.title, d.contact_id, \
             case when d.last_logged is not null and d.last_logged > d.updated_at \
               then d.last_logged else d.updated_at end as last_active \
           from (select x.id, x.workspace_id, x.owner_id, x.title, x.contact_id, x.updated_at, \
                   (select max(a.occurred_at) from activities a where a.contact_id = x.contact_id) \
                     as last_logged \
                 from deals x where x.workspace_id = $1 and x.status = 'open' \
                   and x.owner_id is not null) d \
         ) i \
         where i.last_active > $2 and i.last_active <= $3 \
           and not exists (select 1 from notice_marks m \
             where m.kind = 'deal_idle' and m.subject_id = i.id and m.told_for = i.last_active) \
         order by i.last_active limit $4",
        [
            Param::Uuid(ws.0),
            Param::Time(after),
            Param::Time(until),
            Param::Int(i64::from(limit)),
        ],
    );
    e.fetch(sql, |r| {
        Ok(IdleDeal {
            id: DealId(required("id", r.uuid("id")?)?),
            workspace_id: WorkspaceId(required("workspace_id", r.uuid("workspace_id")?)?),
            owner: UserId(required("owner_id", r.uuid("owner_id")?)?),
            title: required("title", r.text("title")?)?,
            contact_id: ContactId(required("contact_id", r.uuid("contact_id")?)?),
            last_active: required("last_active", r.timestamp("last_active")?)?,
        })
    })
    .await
}

pub async fn untold_digests(
    e: &impl Engine,
    ws: WorkspaceId,
    day: Timestamp,
) -> Result<Vec<UserId>, StoreError> {
    let sql = e.sql(
        "select u.id from users u where u.workspace_id = $1 \
           and not exists (select 1 from notice_marks m \
             where m.kind = 'digest' and m.subject_id = u.id and m.told_for = $2) \
         order by u.created_at, u.id",
        [Param::Uuid(ws.0), Param::Time(day)],
    );
    e.fetch(sql, |r| Ok(UserId(required("id", r.uuid("id")?)?)))
        .await
}

pub async fn tasks_due_before(
    e: &impl Engine,
    ws: WorkspaceId,
    user: UserId,
    before: Timestamp,
    limit: u32,
) -> Result<Vec<DueTask>, StoreError> {
    let sql = e.sql(
        &format!(
            "select {TASK_COLUMNS} from tasks t \
             where t.workspace_id = $1 and t.assignee_id = $2 and t.status = 'open' \
               and t.due_at < $3 \
             order by t.due_at, t.id limit $4"
        ),
        [
            Param::Uuid(ws.0),
            Param::Uuid(user.0),
            Param::Time(before),
            Param::Int(i64::from(limit)),
        ],
    );
    e.fetch(sql, due_task).await
}

pub async fn tell_once(
    e: &impl Engine,
    mark: &NoticeMark,
    notices: &[Notice],
) -> Result<bool, StoreError> {
    let upsert = e.sql(
        "insert into notice_marks (kind, subject_id, workspace_id, told_for) \
         values ($1, $2, $3, $4) \
         on conflict (kind, subject_id) do update set told_for = excluded.told_for \
         where notice_marks.told_for <> excluded.told_for",
        [
            Param::Text(mark.kind.as_str().to_owned()),
            Param::Uuid(mark.subject),
            Param::Uuid(mark.workspace_id.0),
            Param::Time(mark.told_for),
        ],
    );
    let mut steps = vec![Step::must_change(upsert)];
    steps.extend(notice_sql(e.dialect(), notices).into_iter().map(Step::any));
    match e.transaction(steps).await {
        Ok(()) => Ok(true),
        Err(StoreError::NotFound) => Ok(false),
        Err(other) => Err(other),
    }
}
