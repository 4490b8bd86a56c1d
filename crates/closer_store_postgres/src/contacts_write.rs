//! Contact writes on PostgreSQL within a transaction: load (optionally locked), update,
//! identities, events, patch and stage moves. The upsert itself is `capture.rs`.

use closer_domain::contact::upsert::{IdentityKind, search_text, stage_event_why};
use closer_domain::{Contact, ContactId, ContactPatch, NewEvent, Stage, Timestamp, WorkspaceId};
use closer_store::{IDENTITY_CONSTRAINT, StoreError};
use sqlx::PgConnection;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::db_err;
use crate::rows::{self, CONTACT_COLUMNS};

pub(crate) fn select_sql(lock: bool) -> &'static str {
    static PLAIN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    static LOCKED: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let build = |suffix: &str| {
        format!(
            "select {CONTACT_COLUMNS} from contacts where workspace_id = $1 and id = $2{suffix}"
        )
    };
    if lock {
        LOCKED.get_or_init(|| build(" for update"))
    } else {
        PLAIN.get_or_init(|| build(""))
    }
}

pub(crate) async fn load(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    id: ContactId,
    lock: bool,
) -> Result<Contact, StoreError> {
    let row = sqlx::query(select_sql(lock))
        .bind(ws.0)
        .bind(id.0)
        .fetch_optional(conn)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound)?;
    rows::contact(&row)
}

pub(crate) async fn update(conn: &mut PgConnection, c: &Contact) -> Result<(), StoreError> {
    sqlx::query(include_str!("../queries/update_contact.sql"))
        .bind(&c.name)
        .bind(Json(&c.emails))
        .bind(Json(&c.phones))
        .bind(&c.company)
        .bind(&c.job_title)
        .bind(Json(&c.properties))
        .bind(c.stage.as_str())
        .bind(c.owner_id.map(|o| o.0))
        .bind(c.consent.as_ref().map(|x| x.granted))
        .bind(c.consent.as_ref().map(|x| x.at.get()))
        .bind(c.consent.as_ref().and_then(|x| x.source.clone()))
        .bind(search_text(c))
        .bind(c.updated_at.get())
        .bind(c.workspace_id.0)
        .bind(c.id.0)
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Makes the identity rows match the contact's emails and phones, in one statement.
pub(crate) async fn write_identities(
    conn: &mut PgConnection,
    c: &Contact,
    replace: bool,
) -> Result<(), StoreError> {
    if replace {
        sqlx::query("delete from contact_identities where contact_id = $1")
            .bind(c.id.0)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
    }
    let (kinds, values): (Vec<&str>, Vec<&str>) = c
        .emails
        .iter()
        .map(|e| (IdentityKind::Email.as_str(), e.as_str()))
        .chain(
            c.phones
                .iter()
                .map(|p| (IdentityKind::Phone.as_str(), p.as_str())),
        )
        .unzip();
    // `do update … where same contact` touches our own rows and skips others', so the count
    // tells whether any value belongs to another contact.
    let written = sqlx::query(
        "insert into contact_identities (workspace_id, kind, value, contact_id) \
         select $1, k, v, $2 from unnest($3::text[], $4::text[]) as t(k, v) \
         on conflict (workspace_id, kind, value) do update set contact_id = excluded.contact_id \
         where contact_identities.contact_id = excluded.contact_id",
    )
    .bind(c.workspace_id.0)
    .bind(c.id.0)
    .bind(&kinds)
    .bind(&values)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    if u64::try_from(kinds.len()).ok() == Some(written.rows_affected()) {
        Ok(())
    } else {
        Err(StoreError::Conflict {
            constraint: IDENTITY_CONSTRAINT.into(),
        })
    }
}

pub(crate) async fn insert_event(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    contact: ContactId,
    e: &NewEvent,
) -> Result<(), StoreError> {
    sqlx::query("insert into events (id, workspace_id, contact_id, kind, occurred_at, properties) values ($1, $2, $3, $4, $5, $6)")
        .bind(e.id.0)
        .bind(ws.0)
        .bind(contact.0)
        .bind(e.kind.as_str())
        .bind(e.occurred_at.get())
        .bind(Json(&e.properties))
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// `patch_contact` inside the caller's transaction (the contact's row locked).
pub(crate) async fn patch_in(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    id: ContactId,
    patch: &ContactPatch,
    actor: &str,
    now: Timestamp,
) -> Result<Contact, StoreError> {
    let mut c = load(conn, ws, id, true).await?;
    if !patch.still_applies_to(&c) {
        return Err(StoreError::Conflict {
            constraint: closer_store::CONTACT_CHANGED.into(),
        });
    }
    let outcome = c.apply(patch, now);
    if outcome.changed {
        update(conn, &c).await?;
        if patch.emails.is_some() || patch.phones.is_some() {
            write_identities(conn, &c, true).await?;
        }
    }
    if let Some((from, _)) = outcome.stage_change {
        move_stage(
            conn,
            &c,
            Some(from),
            (actor, patch.stage_reason.as_deref()),
            now,
        )
        .await?;
    }
    Ok(c)
}

/// Closes the open stage row (never before it opened) and opens the contact's current stage,
/// with the mover's reason if they gave one.
pub(crate) async fn move_stage(
    conn: &mut PgConnection,
    c: &Contact,
    from: Option<Stage>,
    (actor, reason): (&str, Option<&str>),
    now: Timestamp,
) -> Result<(), StoreError> {
    // A new contact (`from` is None) has no open row to close.
    let at = if from.is_some() {
        let open: Option<OffsetDateTime> = sqlx::query_scalar(
            "select max(entered_at) from contact_stages where contact_id = $1 and left_at is null",
        )
        .bind(c.id.0)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
        let at = closer_domain::stage::next_stay_start(open.map(Timestamp::new), now);
        sqlx::query(
            "update contact_stages set left_at = $1 where contact_id = $2 and left_at is null",
        )
        .bind(at.get())
        .bind(c.id.0)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
        at
    } else {
        now
    };
    sqlx::query(
        "insert into contact_stages (id, workspace_id, contact_id, stage, entered_at, left_at, changed_by, reason) \
         values ($1, $2, $3, $4, $5, null, $6, $7)",
    )
    .bind(Uuid::now_v7())
    .bind(c.workspace_id.0)
    .bind(c.id.0)
    .bind(c.stage.as_str())
    .bind(at.get())
    .bind(actor)
    .bind(reason)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    insert_event(
        conn,
        c.workspace_id,
        c.id,
        &stage_event_why(from, c.stage, actor, at, reason),
    )
    .await
}
