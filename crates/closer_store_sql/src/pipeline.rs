//! Deals, activities and tasks from rows of their tables (`DEAL_COLUMNS`, `TASK_COLUMNS`),
//! and the deal and task lists as statements for both engines.

use closer_domain::pipeline::{
    Activity, ActivityId, ActivityKind, Deal, DealId, DealStatus, Loss, PipelineId,
    PipelineStageId, Task, TaskId, TaskKind, TaskStatus,
};
use closer_domain::{ContactId, UserId};
use closer_store::StoreError;

use crate::{stored_amount, stored_currency};

use crate::{Columns, required};

pub const DEAL_COLUMNS: &str = "id, pipeline_id, stage_id, status, contact_id, company, company_id, title, amount, currency, \
     expected_close, owner_id, source, loss_reason, objection, closed_at, created_at, updated_at, properties";

pub const TASK_COLUMNS: &str =
    "id, kind, title, body, contact_id, deal_id, assignee_id, due_at, status, done_at, created_at";

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn text(row: &(impl Columns + ?Sized), column: &str) -> Result<String, StoreError> {
    required(column, row.text(column)?)
}

fn id(row: &(impl Columns + ?Sized), column: &str) -> Result<uuid::Uuid, StoreError> {
    required(column, row.uuid(column)?)
}

pub fn deal(row: &(impl Columns + ?Sized)) -> Result<Deal, StoreError> {
    let loss = match row.text("loss_reason")? {
        Some(reason) => Some(Loss {
            reason,
            objection: row.text("objection")?,
        }),
        None => None,
    };
    Ok(Deal {
        id: DealId(id(row, "id")?),
        pipeline_id: PipelineId(id(row, "pipeline_id")?),
        stage_id: PipelineStageId(id(row, "stage_id")?),
        status: DealStatus::parse(&text(row, "status")?).map_err(corrupt)?,
        contact_id: ContactId(id(row, "contact_id")?),
        company: row.text("company")?,
        company_id: row.uuid("company_id")?.map(closer_domain::CompanyId),
        title: text(row, "title")?,
        amount: stored_amount(required("amount", row.integer("amount")?)?)?,
        currency: stored_currency(&text(row, "currency")?)?,
        expected_close: row.date("expected_close")?,
        owner_id: row.uuid("owner_id")?.map(UserId),
        source: row.text("source")?,
        loss,
        closed_at: row.timestamp("closed_at")?,
        created_at: required("created_at", row.timestamp("created_at")?)?,
        updated_at: required("updated_at", row.timestamp("updated_at")?)?,
        properties: crate::json_as(row, "properties")?,
    })
}

pub fn activity(row: &(impl Columns + ?Sized)) -> Result<Activity, StoreError> {
    Ok(Activity {
        id: ActivityId(id(row, "id")?),
        contact_id: ContactId(id(row, "contact_id")?),
        deal_id: row.uuid("deal_id")?.map(DealId),
        kind: ActivityKind::parse(&text(row, "kind")?).map_err(corrupt)?,
        occurred_at: required("occurred_at", row.timestamp("occurred_at")?)?,
        owner_id: row.uuid("owner_id")?.map(UserId),
        outcome: row.text("outcome")?,
        text: row.text("body")?,
        created_at: required("created_at", row.timestamp("created_at")?)?,
    })
}

pub fn task(row: &(impl Columns + ?Sized)) -> Result<Task, StoreError> {
    Ok(Task {
        id: TaskId(id(row, "id")?),
        kind: TaskKind::parse(&text(row, "kind")?).map_err(corrupt)?,
        title: text(row, "title")?,
        text: row.text("body")?,
        contact_id: row.uuid("contact_id")?.map(ContactId),
        deal_id: row.uuid("deal_id")?.map(DealId),
        assignee_id: row.uuid("assignee_id")?.map(UserId),
        due_at: required("due_at", row.timestamp("due_at")?)?,
        status: TaskStatus::parse(&text(row, "status")?).map_err(corrupt)?,
        done_at: row.timestamp("done_at")?,
        created_at: required("created_at", row.timestamp("created_at")?)?,
    })
}

/// The deal list (`PipelineStore::list_deals`), newest first, for both engines.
pub fn deal_list(
    dialect: crate::Dialect,
    ws: closer_domain::WorkspaceId,
    q: &closer_store::DealQuery,
) -> crate::Sql {
    use crate::{Dialect, Param, Sql};
    // A contact's deals are found by the contact's index; the workspace's index would walk
    // every deal (`+` keeps SQLite from choosing it; PostgreSQL's planner needs no hint).
    let scope = if dialect == Dialect::Sqlite && q.contact.is_some() {
        "+workspace_id"
    } else {
        "workspace_id"
    };
    let mut sql = Sql::new(
        dialect,
        format!("select {DEAL_COLUMNS} from deals where {scope} = "),
    );
    sql.bind(Param::Uuid(ws.0));
    if let Some(p) = q.pipeline {
        sql.push(" and pipeline_id = ").bind(Param::Uuid(p.0));
    }
    if let Some(s) = q.stage {
        sql.push(" and stage_id = ").bind(Param::Uuid(s.0));
    }
    if let Some(s) = q.status {
        sql.push(" and status = ")
            .bind(Param::Text(s.as_str().to_owned()));
    }
    if let Some(o) = q.owner {
        sql.push(" and owner_id = ").bind(Param::Uuid(o.0));
    }
    if let Some(c) = q.contact {
        sql.push(" and contact_id = ").bind(Param::Uuid(c.0));
    }
    if let Some(b) = q.before {
        sql.push(" and id < ").bind(Param::Uuid(b.0));
    }
    sql.push(" order by id desc limit ")
        .bind(Param::Int(i64::from(q.limit)));
    sql
}

/// The task list (`WorkStore::list_tasks`), soonest due first, for both engines.
pub fn task_list(
    dialect: crate::Dialect,
    ws: closer_domain::WorkspaceId,
    q: &closer_store::TaskQuery,
) -> crate::Sql {
    use crate::{Param, Sql};
    let mut sql = Sql::new(
        dialect,
        format!("select {TASK_COLUMNS} from tasks where workspace_id = "),
    );
    sql.bind(Param::Uuid(ws.0));
    if let Some(s) = q.status {
        sql.push(" and status = ")
            .bind(Param::Text(s.as_str().to_owned()));
    }
    if let Some(u) = q.assignee {
        sql.push(" and assignee_id = ").bind(Param::Uuid(u.0));
    }
    if let Some(c) = q.contact {
        sql.push(" and contact_id = ").bind(Param::Uuid(c.0));
    }
    if let Some(before) = q.due_before {
        sql.push(" and due_at < ").bind(Param::Time(before));
    }
    sql.push(" order by due_at, id limit ")
        .bind(Param::Int(i64::from(q.limit)));
    sql
}

/// The journey mirror's deal feed (`$1` the workspace): every deal when `changed` is `None`,
/// else the deals whose change rows pass `changed` — the engine's own mark, a sequence number
/// on SQLite and a transaction id on PostgreSQL — each with its closed stage stays. A row is
/// the deal's id, its contact and owner, and one finished stay (stage name and id, entered and
/// left).
pub fn deal_feed_sql(dialect: crate::Dialect, changed: Option<&str>) -> String {
    const FEED_COLUMNS: &str =
        "d.contact_id, d.owner_id, s.stage_name, s.stage_id, s.entered_at, s.left_at";
    let stays = "left join deal_stages s on s.deal_id = d.id and s.left_at is not null";
    let text = match changed {
        None => {
            format!("select d.id, {FEED_COLUMNS} from deals d {stays} where d.workspace_id = $1")
        }
        Some(filter) => format!(
            "select c.deal_id, {FEED_COLUMNS} from deal_changes c \
             left join deals d on d.id = c.deal_id {stays} \
             where c.workspace_id = $1 and {filter}"
        ),
    };
    crate::Sql::of(dialect, &text, []).text
}
