//! Contact writes on PostgreSQL: upsert with dedupe (written by `capture.rs`; a lost race is
//! retried here), patch, erase. Patches lock the row `FOR UPDATE`.

use async_trait::async_trait;
use closer_domain::contact::upsert::{IdentityKind, search_text, stage_event};
use closer_domain::{
    Contact, ContactId, ContactPatch, Event, NewEvent, Stage, Timestamp, WorkspaceId,
};
use closer_store::{
    ContactQuery, ContactStore, IDENTITY_CONSTRAINT, Page, StageMove, StageSpan, StoreError,
    UpsertContact, Upserted,
};
use sqlx::PgConnection;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::PostgresStore;
use crate::error::db_err;
use crate::rows::{self, CONTACT_COLUMNS};

/// How often an upsert that lost a race starts over (it then finds the winner's result).
const UPSERT_ATTEMPTS: usize = 8;
/// Attempts without a transaction; later ones lock the row they read, so they cannot lose again
/// to a change of the contact (only to a new identity's owner).
const OPTIMISTIC_ATTEMPTS: usize = 2;

fn select_sql(lock: bool) -> &'static str {
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

async fn update(conn: &mut PgConnection, c: &Contact) -> Result<(), StoreError> {
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
async fn write_identities(
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
    let outcome = c.apply(patch, now);
    if outcome.changed {
        update(conn, &c).await?;
        if patch.emails.is_some() || patch.phones.is_some() {
            write_identities(conn, &c, true).await?;
        }
    }
    if let Some((from, _)) = outcome.stage_change {
        move_stage(conn, &c, Some(from), actor, now).await?;
    }
    Ok(c)
}

/// Closes the open stage row (never before it opened) and opens the contact's current stage.
async fn move_stage(
    conn: &mut PgConnection,
    c: &Contact,
    from: Option<Stage>,
    actor: &str,
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
        "insert into contact_stages (id, workspace_id, contact_id, stage, entered_at, left_at, changed_by) \
         values ($1, $2, $3, $4, $5, null, $6)",
    )
    .bind(Uuid::now_v7())
    .bind(c.workspace_id.0)
    .bind(c.id.0)
    .bind(c.stage.as_str())
    .bind(at.get())
    .bind(actor)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    insert_event(
        conn,
        c.workspace_id,
        c.id,
        &stage_event(from, c.stage, actor, at),
    )
    .await
}

#[async_trait]
impl ContactStore for PostgresStore {
    async fn upsert_contact(
        &self,
        ws: WorkspaceId,
        req: UpsertContact,
    ) -> Result<Upserted, StoreError> {
        let mut attempt = 1;
        loop {
            let result = if attempt <= OPTIMISTIC_ATTEMPTS {
                let mut conn = self.pool.acquire().await.map_err(db_err)?;
                crate::capture::try_upsert(&mut conn, ws, &req, false).await
            } else {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                let done = crate::capture::try_upsert(&mut tx, ws, &req, true).await;
                if matches!(done, Ok(Some(_))) {
                    tx.commit().await.map_err(db_err)?;
                }
                done
            };
            match result {
                Ok(Some(done)) => return Ok(done),
                // Another transaction created, changed or erased the person between our lookup
                // and our write; the next attempt sees its committed result.
                Ok(None) if attempt < UPSERT_ATTEMPTS => attempt += 1,
                Err(e) if attempt < UPSERT_ATTEMPTS && e.is_conflict_on(IDENTITY_CONSTRAINT) => {
                    attempt += 1;
                }
                Ok(None) => {
                    return Err(StoreError::Unavailable(
                        "the contact kept changing while it was being saved".into(),
                    ));
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn contact(&self, ws: WorkspaceId, id: ContactId) -> Result<Contact, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        load(&mut conn, ws, id, false).await
    }

    async fn contacts_by_id(
        &self,
        ws: WorkspaceId,
        ids: &[ContactId],
    ) -> Result<Vec<Contact>, StoreError> {
        crate::contacts_read::by_ids(&self.pool, ws, ids).await
    }

    async fn patch_contact(
        &self,
        ws: WorkspaceId,
        id: ContactId,
        patch: &ContactPatch,
        actor: &str,
        now: Timestamp,
    ) -> Result<Contact, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let c = patch_in(&mut tx, ws, id, patch, actor, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(c)
    }

    async fn patch_contacts(
        &self,
        ws: WorkspaceId,
        ids: &[ContactId],
        patch: &ContactPatch,
        actor: &str,
        now: Timestamp,
    ) -> Result<Vec<Contact>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            // An error drops the transaction: nothing of it is kept.
            out.push(patch_in(&mut tx, ws, *id, patch, actor, now).await?);
        }
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }

    async fn move_stages(
        &self,
        ws: WorkspaceId,
        moves: &[StageMove],
        now: Timestamp,
    ) -> Result<Vec<ContactId>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let mut applied = Vec::new();
        for m in moves {
            // Locked, so a concurrent move by a person is either seen here or waits for us.
            let mut c = match load(&mut tx, ws, m.contact, true).await {
                Ok(c) => c,
                Err(StoreError::NotFound) => continue,
                Err(e) => return Err(e),
            };
            if c.stage != m.from {
                continue;
            }
            let patch = ContactPatch {
                stage: Some(m.to),
                ..ContactPatch::default()
            };
            let outcome = c.apply(&patch, now);
            if outcome.changed {
                update(&mut tx, &c).await?;
            }
            if let Some((from, _)) = outcome.stage_change {
                move_stage(&mut tx, &c, Some(from), &m.actor, now).await?;
                applied.push(c.id);
            }
        }
        tx.commit().await.map_err(db_err)?;
        Ok(applied)
    }

    async fn erase_contact(
        &self,
        ws: WorkspaceId,
        id: ContactId,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        // The tracked history of the contact's visitors goes first (it is found through the
        // links); identities, links, stage rows and events go with the contact (on delete cascade).
        crate::traffic_write::erase_history(&mut tx, ws, id).await?;
        let gone = sqlx::query("delete from contacts where workspace_id = $1 and id = $2")
            .bind(ws.0)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        if gone.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("insert into erasures (id, workspace_id, contact_id, erased_at) values ($1, $2, $3, $4)")
            .bind(Uuid::now_v7())
            .bind(ws.0)
            .bind(id.0)
            .bind(now.get())
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
        crate::contacts_read::list(&self.pool, ws, query).await
    }

    async fn claim_contact(
        &self,
        ws: WorkspaceId,
        contact: ContactId,
        user: closer_domain::UserId,
        now: Timestamp,
    ) -> Result<closer_store::Claim, StoreError> {
        let taken = sqlx::query(
            "update contacts set owner_id = $1, updated_at = $2 \
             where workspace_id = $3 and id = $4 and owner_id is null",
        )
        .bind(user.0)
        .bind(now.get())
        .bind(ws.0)
        .bind(contact.0)
        .execute(&self.pool)
        .await
        .map_err(crate::error::db_err)?;
        if taken.rows_affected() == 1 {
            return Ok(closer_store::Claim::Taken);
        }
        let owner: Option<Option<uuid::Uuid>> =
            sqlx::query_scalar("select owner_id from contacts where workspace_id = $1 and id = $2")
                .bind(ws.0)
                .bind(contact.0)
                .fetch_optional(&self.pool)
                .await
                .map_err(crate::error::db_err)?;
        closer_store::Claim::missed(owner.map(|o| o.map(closer_domain::UserId)), user)
    }

    async fn count_contacts(&self, ws: WorkspaceId) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("select count(*) from contacts where workspace_id = $1")
            .bind(ws.0)
            .fetch_one(&self.pool)
            .await
            .map_err(crate::error::db_err)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn stage_history(
        &self,
        ws: WorkspaceId,
        id: ContactId,
    ) -> Result<Vec<StageSpan>, StoreError> {
        crate::contacts_read::history(&self.pool, ws, id).await
    }

    async fn contact_events(
        &self,
        ws: WorkspaceId,
        id: ContactId,
        limit: u32,
        before: Option<closer_store::Cursor>,
    ) -> Result<Vec<Event>, StoreError> {
        crate::contacts_read::events(&self.pool, ws, id, limit, before).await
    }
}
