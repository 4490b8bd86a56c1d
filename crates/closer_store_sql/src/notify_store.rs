//! Notifications and the outbox written once over `Engine`: the statements that write a
//! write's notices inside the adapter's own transaction (`notice_sql`), a user's list, count
//! and read marks, delivery choices, and the outbox's claim, done, retry and purge. A claim
//! marks rows with a fresh token and reads them back by it; on PostgreSQL concurrent workers
//! skip each other's locked rows, on SQLite the one writer runs claims one after another.

use closer_domain::notify::{Delivery, Notice, NoticeKind, Notification};
use closer_domain::{Timestamp, UserId, WorkspaceId};
use closer_store::{OutboxItem, StoreError};
use serde_json::json;

use crate::{Dialect, Engine, Param, Sql, required};

/// The e-mail an outbox row of kind `email` carries.
pub fn email_payload(n: &Notice, to: &str) -> serde_json::Value {
    json!({
        "to": to,
        "subject": n.title,
        "link": n.link,
        "lines": n.lines,
        "message_id": n.id.to_string(),
    })
}

/// The statements writing `notices`: the in-app row for those who want it, the e-mail's
/// outbox row for those who want that.
pub fn notice_sql(dialect: Dialect, notices: &[Notice]) -> Vec<Sql> {
    let mut out = Vec::new();
    for n in notices {
        let contact = Param::MaybeUuid(n.contact_id.map(|c| c.0));
        if n.in_app {
            out.push(Sql::of(
                dialect,
                "insert into notifications (id, workspace_id, user_id, contact_id, kind, title, link, created_at) \
                 values ($1, $2, $3, $4, $5, $6, $7, $8)",
                [
                    Param::Uuid(n.id),
                    Param::Uuid(n.workspace_id.0),
                    Param::Uuid(n.user_id.0),
                    contact.clone(),
                    Param::Text(n.kind.as_str().to_owned()),
                    Param::Text(n.title.clone()),
                    Param::Text(n.link.clone()),
                    Param::Time(n.created_at),
                ],
            ));
        }
        if let Some(to) = &n.email_to {
            out.push(Sql::of(
                dialect,
                "insert into outbox (id, workspace_id, contact_id, kind, payload, created_at, next_attempt_at) \
                 values ($1, $2, $3, 'email', $4, $5, $5)",
                [
                    Param::Uuid(n.id),
                    Param::Uuid(n.workspace_id.0),
                    contact,
                    Param::Text(email_payload(n, to).to_string()),
                    Param::Time(n.created_at),
                ],
            ));
        }
    }
    out
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

const NOTIFICATION_COLUMNS: &str = "id, kind, title, link, created_at, read_at";

fn notification_row(r: &dyn crate::Columns) -> Result<Notification, StoreError> {
    Ok(Notification {
        id: required("id", r.uuid("id")?)?,
        kind: NoticeKind::parse(&required("kind", r.text("kind")?)?).map_err(corrupt)?,
        title: required("title", r.text("title")?)?,
        link: required("link", r.text("link")?)?,
        created_at: required("created_at", r.timestamp("created_at")?)?,
        read_at: r.timestamp("read_at")?,
    })
}

pub async fn notifications(
    e: &impl Engine,
    ws: WorkspaceId,
    user: UserId,
    unread_only: bool,
    limit: u32,
) -> Result<Vec<Notification>, StoreError> {
    let unread = if unread_only {
        " and read_at is null"
    } else {
        ""
    };
    let sql = e.sql(
        &format!(
            "select {NOTIFICATION_COLUMNS} from notifications \
             where user_id = $2 and workspace_id = $1{unread} \
             order by created_at desc, id desc limit $3"
        ),
        [
            Param::Uuid(ws.0),
            Param::Uuid(user.0),
            Param::Int(i64::from(limit)),
        ],
    );
    e.fetch(sql, notification_row).await
}

pub async fn notification(
    e: &impl Engine,
    ws: WorkspaceId,
    user: UserId,
    id: uuid::Uuid,
) -> Result<Notification, StoreError> {
    let sql = e.sql(
        &format!(
            "select {NOTIFICATION_COLUMNS} from notifications \
             where id = $3 and user_id = $2 and workspace_id = $1"
        ),
        [Param::Uuid(ws.0), Param::Uuid(user.0), Param::Uuid(id)],
    );
    e.fetch_one(sql, notification_row).await
}

pub async fn unread_count(
    e: &impl Engine,
    ws: WorkspaceId,
    user: UserId,
) -> Result<u64, StoreError> {
    let sql = e.sql(
        "select count(*) as n from notifications \
         where user_id = $2 and read_at is null and workspace_id = $1",
        [Param::Uuid(ws.0), Param::Uuid(user.0)],
    );
    let n = e.fetch_one(sql, |r| required("n", r.integer("n")?)).await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

pub async fn mark_read(
    e: &impl Engine,
    ws: WorkspaceId,
    user: UserId,
    id: Option<uuid::Uuid>,
    now: Timestamp,
) -> Result<(), StoreError> {
    if let Some(id) = id {
        // A notification already read stays as it was, and is still found.
        let sql = e.sql(
            "update notifications set read_at = coalesce(read_at, $4) \
             where workspace_id = $1 and user_id = $2 and id = $3",
            [
                Param::Uuid(ws.0),
                Param::Uuid(user.0),
                Param::Uuid(id),
                Param::Time(now),
            ],
        );
        if e.execute(sql).await? == 0 {
            return Err(StoreError::NotFound);
        }
    } else {
        let sql = e.sql(
            "update notifications set read_at = $3 \
             where workspace_id = $1 and user_id = $2 and read_at is null",
            [Param::Uuid(ws.0), Param::Uuid(user.0), Param::Time(now)],
        );
        e.execute(sql).await?;
    }
    Ok(())
}

pub async fn delivery_choices(
    e: &impl Engine,
    ws: WorkspaceId,
    user: UserId,
) -> Result<Vec<(NoticeKind, Delivery)>, StoreError> {
    let sql = e.sql(
        "select s.kind, s.delivery from notification_settings s \
         join users u on u.id = s.user_id where u.workspace_id = $1 and s.user_id = $2",
        [Param::Uuid(ws.0), Param::Uuid(user.0)],
    );
    e.fetch(sql, |r| {
        Ok((
            NoticeKind::parse(&required("kind", r.text("kind")?)?).map_err(corrupt)?,
            Delivery::parse(&required("delivery", r.text("delivery")?)?).map_err(corrupt)?,
        ))
    })
    .await
}

pub async fn set_delivery(
    e: &impl Engine,
    ws: WorkspaceId,
    user: UserId,
    kind: NoticeKind,
    delivery: Delivery,
) -> Result<(), StoreError> {
    // Only a user of the workspace: the select finds no one otherwise.
    let sql = e.sql(
        "insert into notification_settings (user_id, kind, delivery) \
         select id, $3, $4 from users where workspace_id = $1 and id = $2 \
         on conflict (user_id, kind) do update set delivery = excluded.delivery",
        [
            Param::Uuid(ws.0),
            Param::Uuid(user.0),
            Param::Text(kind.as_str().to_owned()),
            Param::Text(delivery.as_str().to_owned()),
        ],
    );
    if e.execute(sql).await? == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn claim_outbox(
    e: &impl Engine,
    now: Timestamp,
    lease: std::time::Duration,
    limit: u32,
) -> Result<Vec<OutboxItem>, StoreError> {
    let token = uuid::Uuid::now_v7();
    let skip_locked = match e.dialect() {
        Dialect::Postgres => " for update skip locked",
        Dialect::Sqlite => "",
    };
    let claim = e.sql(
        &format!(
            "update outbox set claim = $1, claimed_until = $2, attempts = attempts + 1 \
             where id in (select id from outbox where done_at is null and failed_at is null \
               and next_attempt_at <= $3 and (claimed_until is null or claimed_until < $3) \
               order by next_attempt_at limit $4{skip_locked})"
        ),
        [
            Param::Uuid(token),
            Param::Time(Timestamp::new(now.get() + lease)),
            Param::Time(now),
            Param::Int(i64::from(limit)),
        ],
    );
    if e.execute(claim).await? == 0 {
        return Ok(Vec::new());
    }
    let read = e.sql(
        "select id, workspace_id, kind, payload, attempts from outbox where claim = $1 \
         order by next_attempt_at",
        [Param::Uuid(token)],
    );
    e.fetch(read, |r| {
        let payload = required("payload", r.text("payload")?)?;
        Ok(OutboxItem {
            id: required("id", r.uuid("id")?)?,
            workspace_id: WorkspaceId(required("workspace_id", r.uuid("workspace_id")?)?),
            kind: required("kind", r.text("kind")?)?,
            payload: serde_json::from_str(&payload).map_err(corrupt)?,
            attempts: u32::try_from(required("attempts", r.integer("attempts")?)? - 1).unwrap_or(0),
        })
    })
    .await
}

pub async fn outbox_done(
    e: &impl Engine,
    id: uuid::Uuid,
    now: Timestamp,
) -> Result<(), StoreError> {
    let sql = e.sql(
        "update outbox set done_at = $2, claim = null, claimed_until = null, last_error = null \
         where id = $1",
        [Param::Uuid(id), Param::Time(now)],
    );
    e.execute(sql).await?;
    Ok(())
}

pub async fn outbox_failed(
    e: &impl Engine,
    id: uuid::Uuid,
    error: &str,
    retry_at: Option<Timestamp>,
    now: Timestamp,
) -> Result<(), StoreError> {
    let sql = match retry_at {
        Some(at) => e.sql(
            "update outbox set next_attempt_at = $2, last_error = $3, claim = null, \
             claimed_until = null where id = $1",
            [
                Param::Uuid(id),
                Param::Time(at),
                Param::Text(error.to_owned()),
            ],
        ),
        None => e.sql(
            "update outbox set failed_at = $2, last_error = $3, claim = null, \
             claimed_until = null where id = $1",
            [
                Param::Uuid(id),
                Param::Time(now),
                Param::Text(error.to_owned()),
            ],
        ),
    };
    e.execute(sql).await?;
    Ok(())
}

pub async fn purge_outbox(e: &impl Engine, before: Timestamp) -> Result<u64, StoreError> {
    let sql = e.sql(
        "delete from outbox where (done_at is not null and done_at < $1) \
         or (failed_at is not null and failed_at < $1)",
        [Param::Time(before)],
    );
    e.execute(sql).await
}
