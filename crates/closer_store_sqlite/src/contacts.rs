//! Contact writes on SQLite: upsert with dedupe, patch, erase. Each is one `BEGIN IMMEDIATE`
//! transaction on the single writer connection, so dedupe needs no retry here.

use async_trait::async_trait;
use closer_domain::{
    Contact, ContactId, ContactPatch, Event, NewEvent, Stage, Timestamp, WorkspaceId,
};
use closer_store::{
    ContactQuery, ContactStore, IdentityKind, Page, StageSpan, StoreError, UpsertContact, Upserted,
    draft_identities, plan_upsert, search_text, stage_event,
};
use sqlx::SqliteConnection;
use uuid::Uuid;

use crate::SqliteStore;
use crate::error::{db_err, db_err_fk};
use crate::rows::{self, CONTACT_COLUMNS, to_json};

const OWNER_FK: &str = "contacts_owner_fk";

pub(crate) async fn load(
    conn: &mut SqliteConnection,
    ws: WorkspaceId,
    id: ContactId,
) -> Result<Contact, StoreError> {
    let sql = const_format_select();
    let row = sqlx::query(sql)
        .bind(ws.0)
        .bind(id.0)
        .fetch_optional(conn)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound)?;
    rows::contact(&row)
}

fn const_format_select() -> &'static str {
    // Built once: the column list is shared with the read queries.
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        format!("select {CONTACT_COLUMNS} from contacts where workspace_id = ? and id = ?")
    })
}

async fn insert(conn: &mut SqliteConnection, c: &Contact) -> Result<(), StoreError> {
    sqlx::query(include_str!("../queries/insert_contact.sql"))
        .bind(c.id.0)
        .bind(c.workspace_id.0)
        .bind(&c.name)
        .bind(to_json(&c.emails))
        .bind(to_json(&c.phones))
        .bind(&c.company)
        .bind(&c.job_title)
        .bind(to_json(&c.properties))
        .bind(c.stage.as_str())
        .bind(c.owner_id.map(|o| o.0))
        .bind(c.consent.as_ref().map(|x| x.granted))
        .bind(c.consent.as_ref().map(|x| x.at.unix_micros()))
        .bind(c.consent.as_ref().and_then(|x| x.source.clone()))
        .bind(search_text(c))
        .bind(c.created_at.unix_micros())
        .bind(c.updated_at.unix_micros())
        .execute(conn)
        .await
        .map_err(db_err_fk(OWNER_FK))?;
    Ok(())
}

async fn update(conn: &mut SqliteConnection, c: &Contact) -> Result<(), StoreError> {
    sqlx::query(include_str!("../queries/update_contact.sql"))
        .bind(&c.name)
        .bind(to_json(&c.emails))
        .bind(to_json(&c.phones))
        .bind(&c.company)
        .bind(&c.job_title)
        .bind(to_json(&c.properties))
        .bind(c.stage.as_str())
        .bind(c.owner_id.map(|o| o.0))
        .bind(c.consent.as_ref().map(|x| x.granted))
        .bind(c.consent.as_ref().map(|x| x.at.unix_micros()))
        .bind(c.consent.as_ref().and_then(|x| x.source.clone()))
        .bind(search_text(c))
        .bind(c.updated_at.unix_micros())
        .bind(c.workspace_id.0)
        .bind(c.id.0)
        .execute(conn)
        .await
        .map_err(db_err_fk(OWNER_FK))?;
    Ok(())
}

/// Makes the identity rows match the contact's emails and phones.
async fn write_identities(
    conn: &mut SqliteConnection,
    c: &Contact,
    replace: bool,
) -> Result<(), StoreError> {
    if replace {
        sqlx::query("delete from contact_identities where contact_id = ?")
            .bind(c.id.0)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
    }
    let emails = c.emails.iter().map(|e| (IdentityKind::Email, e.as_str()));
    let phones = c.phones.iter().map(|p| (IdentityKind::Phone, p.as_str()));
    for (kind, value) in emails.chain(phones) {
        sqlx::query(
            "insert into contact_identities (workspace_id, kind, value, contact_id) values (?, ?, ?, ?) \
             on conflict (workspace_id, kind, value) do update set contact_id = contact_id \
             where contact_identities.contact_id = excluded.contact_id",
        )
        .bind(c.workspace_id.0)
        .bind(kind.as_str())
        .bind(value)
        .bind(c.id.0)
        .execute(&mut *conn)
        .await
        .map_err(db_err)
        .and_then(|r| {
            // 0 rows: the value belongs to another contact.
            if r.rows_affected() == 0 {
                Err(StoreError::Conflict { constraint: closer_store::IDENTITY_CONSTRAINT.into() })
            } else {
                Ok(())
            }
        })?;
    }
    Ok(())
}

pub(crate) async fn insert_event(
    conn: &mut SqliteConnection,
    ws: WorkspaceId,
    contact: ContactId,
    e: &NewEvent,
) -> Result<(), StoreError> {
    sqlx::query("insert into events (id, workspace_id, contact_id, kind, occurred_at, properties) values (?, ?, ?, ?, ?, ?)")
        .bind(e.id.0)
        .bind(ws.0)
        .bind(contact.0)
        .bind(e.kind.as_str())
        .bind(e.occurred_at.unix_micros())
        .bind(to_json(&e.properties))
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Closes the open stage row (never before it opened) and opens `to`, with its event.
async fn move_stage(
    conn: &mut SqliteConnection,
    c: &Contact,
    from: Option<Stage>,
    actor: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    let open: Option<i64> = sqlx::query_scalar(
        "select max(entered_at) from contact_stages where contact_id = ? and left_at is null",
    )
    .bind(c.id.0)
    .fetch_one(&mut *conn)
    .await
    .map_err(db_err)?;
    let at = open.map_or(now.unix_micros(), |o| o.max(now.unix_micros()));
    sqlx::query("update contact_stages set left_at = ? where contact_id = ? and left_at is null")
        .bind(at)
        .bind(c.id.0)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    sqlx::query(
        "insert into contact_stages (id, workspace_id, contact_id, stage, entered_at, left_at, changed_by) \
         values (?, ?, ?, ?, ?, null, ?)",
    )
    .bind(Uuid::now_v7())
    .bind(c.workspace_id.0)
    .bind(c.id.0)
    .bind(c.stage.as_str())
    .bind(at)
    .bind(actor)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    let at = rows::ts(at)?;
    insert_event(
        conn,
        c.workspace_id,
        c.id,
        &stage_event(from, c.stage, actor, at),
    )
    .await
}

#[async_trait]
impl ContactStore for SqliteStore {
    async fn upsert_contact(
        &self,
        ws: WorkspaceId,
        req: UpsertContact,
    ) -> Result<Upserted, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut owners = Vec::new();
        for (kind, value) in draft_identities(&req.draft) {
            let owner: Option<Uuid> = sqlx::query_scalar(
                "select contact_id from contact_identities where workspace_id = ? and kind = ? and value = ?",
            )
            .bind(ws.0)
            .bind(kind.as_str())
            .bind(&value)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
            if let Some(id) = owner {
                owners.push((kind, value, ContactId(id)));
            }
        }
        let (target, draft) = plan_upsert(req.draft, &owners);
        let (contact, created) = if let Some(id) = target {
            let mut c = load(&mut tx, ws, id).await?;
            let identities_before = (c.emails.len(), c.phones.len());
            let outcome = c.merge(&draft, req.overwrite, req.now);
            if outcome.changed {
                update(&mut tx, &c).await?;
            }
            if identities_before != (c.emails.len(), c.phones.len()) {
                write_identities(&mut tx, &c, false).await?;
            }
            if let Some((from, _)) = outcome.stage_change {
                move_stage(&mut tx, &c, Some(from), &req.actor, req.now).await?;
            }
            (c, false)
        } else {
            let c = Contact::from_draft(ContactId::new(), ws, draft, req.now);
            insert(&mut tx, &c).await?;
            write_identities(&mut tx, &c, false).await?;
            move_stage(&mut tx, &c, None, &req.actor, req.now).await?;
            (c, true)
        };
        if let Some(event) = &req.event {
            insert_event(&mut tx, ws, contact.id, event).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(Upserted { contact, created })
    }

    async fn contact(&self, ws: WorkspaceId, id: ContactId) -> Result<Contact, StoreError> {
        let mut conn = self.reader.acquire().await.map_err(db_err)?;
        load(&mut conn, ws, id).await
    }

    async fn patch_contact(
        &self,
        ws: WorkspaceId,
        id: ContactId,
        patch: &ContactPatch,
        actor: &str,
        now: Timestamp,
    ) -> Result<Contact, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut c = load(&mut tx, ws, id).await?;
        let outcome = c.apply(patch, now);
        if outcome.changed {
            update(&mut tx, &c).await?;
            if patch.emails.is_some() || patch.phones.is_some() {
                write_identities(&mut tx, &c, true).await?;
            }
        }
        if let Some((from, _)) = outcome.stage_change {
            move_stage(&mut tx, &c, Some(from), actor, now).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(c)
    }

    async fn erase_contact(
        &self,
        ws: WorkspaceId,
        id: ContactId,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        // Identities, stage rows and events go with the contact (on delete cascade).
        let gone = sqlx::query("delete from contacts where workspace_id = ? and id = ?")
            .bind(ws.0)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        if gone.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query(
            "insert into erasures (id, workspace_id, contact_id, erased_at) values (?, ?, ?, ?)",
        )
        .bind(Uuid::now_v7())
        .bind(ws.0)
        .bind(id.0)
        .bind(now.unix_micros())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    async fn list_contacts(
        &self,
        ws: WorkspaceId,
        query: &ContactQuery,
    ) -> Result<Page<Contact>, StoreError> {
        crate::contacts_read::list(&self.reader, ws, query).await
    }

    async fn stage_history(
        &self,
        ws: WorkspaceId,
        id: ContactId,
    ) -> Result<Vec<StageSpan>, StoreError> {
        crate::contacts_read::history(&self.reader, ws, id).await
    }

    async fn contact_events(
        &self,
        ws: WorkspaceId,
        id: ContactId,
        limit: u32,
        before: Option<closer_store::Cursor>,
    ) -> Result<Vec<Event>, StoreError> {
        crate::contacts_read::events(&self.reader, ws, id, limit, before).await
    }
}
