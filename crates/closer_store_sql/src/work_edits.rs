//! Corrections and removals of activities, tasks and deals, written once over `Engine`: each
//! one transaction of plain statements; what follows from them (a won deal's touches, the
//! reports' deal feed, the journeys' first touch) is kept by the triggers.

use closer_domain::pipeline::{Activity, ActivityId, DealId, Task, TaskId, TaskStatus};
use closer_domain::{Timestamp, WorkspaceId};
use closer_store::{StoreError, TaskPatch};

use crate::{Engine, Param, Sql, Step};

pub async fn activity(
    e: &impl Engine,
    ws: WorkspaceId,
    id: ActivityId,
) -> Result<Activity, StoreError> {
    let sql = e.sql(
        "select id, contact_id, deal_id, kind, occurred_at, owner_id, outcome, body, created_at \
         from activities where workspace_id = $1 and id = $2",
        [ws.0.into(), id.0.into()],
    );
    e.fetch_one(sql, |r| crate::activity(r)).await
}

/// The contact of activity `$2` gets the earliest touch left on it as its first, leaving out
/// activity `$3` (the one being deleted; the nil id leaves out none).
fn first_touch_again(e: &impl Engine, ws: WorkspaceId, id: ActivityId, without: bool) -> Sql {
    let left_out = if without { id.0 } else { uuid::Uuid::nil() };
    e.sql(
        "update contacts set first_touch_at = (select min(a.occurred_at) from activities a \
         where a.contact_id = contacts.id and a.kind <> 'note' and a.id <> $3) \
         where workspace_id = $1 \
         and id = (select contact_id from activities where workspace_id = $1 and id = $2)",
        [ws.0.into(), id.0.into(), left_out.into()],
    )
}

pub async fn edit_activity(
    e: &impl Engine,
    ws: WorkspaceId,
    a: &Activity,
) -> Result<(), StoreError> {
    let update = e.sql(
        "update activities set kind = $3, occurred_at = $4, outcome = $5, body = $6 \
         where workspace_id = $1 and id = $2",
        [
            ws.0.into(),
            a.id.0.into(),
            a.kind.as_str().into(),
            a.occurred_at.into(),
            a.outcome.clone().into(),
            a.text.clone().into(),
        ],
    );
    e.transaction(vec![
        Step::must_change(update),
        Step::any(first_touch_again(e, ws, a.id, false)),
    ])
    .await
}

pub async fn delete_activity(
    e: &impl Engine,
    ws: WorkspaceId,
    id: ActivityId,
) -> Result<(), StoreError> {
    let delete = e.sql(
        "delete from activities where workspace_id = $1 and id = $2",
        [ws.0.into(), id.0.into()],
    );
    e.transaction(vec![
        Step::any(first_touch_again(e, ws, id, true)),
        Step::must_change(delete),
    ])
    .await
}

/// Reminders already told about a task or deal go with it (`notice_marks`).
fn marks_of(e: &impl Engine, ws: WorkspaceId, subject: &str, id: uuid::Uuid) -> Sql {
    e.sql(
        &format!("delete from notice_marks where workspace_id = $1 and subject_id in ({subject})"),
        [ws.0.into(), id.into()],
    )
}

pub async fn delete_task(e: &impl Engine, ws: WorkspaceId, id: TaskId) -> Result<(), StoreError> {
    let delete = e.sql(
        "delete from tasks where workspace_id = $1 and id = $2",
        [ws.0.into(), id.0.into()],
    );
    e.transaction(vec![
        Step::must_change(delete),
        Step::any(marks_of(e, ws, "$2", id.0)),
    ])
    .await
}

pub async fn delete_deal(e: &impl Engine, ws: WorkspaceId, id: DealId) -> Result<(), StoreError> {
    let delete = e.sql(
        "delete from deals where workspace_id = $1 and id = $2",
        [ws.0.into(), id.0.into()],
    );
    e.transaction(vec![
        Step::any(marks_of(
            e,
            ws,
            "select id from tasks where workspace_id = $1 and deal_id = $2",
            id.0,
        )),
        Step::any(marks_of(e, ws, "$2", id.0)),
        Step::must_change(delete),
    ])
    .await
}

/// Changes what the patch names in one statement; `NotFound` when the task is not the
/// workspace's. The assignee is checked by the caller (a user of the workspace).
pub async fn patch_task(
    e: &impl Engine,
    ws: WorkspaceId,
    id: TaskId,
    p: &TaskPatch,
    now: Timestamp,
) -> Result<Task, StoreError> {
    let mut sql = Sql::new(e.dialect(), "update tasks set id = id");
    if let Some(status) = p.status {
        let done = (status == TaskStatus::Done).then_some(now);
        sql.push(", status = ").bind(status.as_str().into());
        sql.push(", done_at = ").bind(Param::MaybeTime(done));
    }
    if let Some(due) = p.due_at {
        sql.push(", due_at = ").bind(due.into());
    }
    if let Some(assignee) = p.assignee_id {
        sql.push(", assignee_id = ")
            .bind(Param::MaybeUuid(assignee.map(|u| u.0)));
    }
    if let Some(title) = &p.title {
        sql.push(", title = ").bind(title.clone().into());
    }
    if let Some(text) = &p.text {
        sql.push(", body = ").bind(Param::MaybeText(text.clone()));
    }
    sql.push(" where workspace_id = ")
        .bind(ws.0.into())
        .push(" and id = ")
        .bind(id.0.into());
    e.transaction(vec![Step::must_change(sql)]).await?;
    crate::work_store::task(e, ws, id).await
}
