//! The contact port's writes on PostgreSQL: upsert with dedupe (written by `capture.rs`; a
//! lost race is retried here), patch, erase. Patches lock the row `FOR UPDATE`
//! (`contacts_write.rs`). The reads are the kit's (`closer_store_sql::contacts_store`,
//! `timeline`).

use async_trait::async_trait;
use closer_domain::{Contact, ContactId, ContactPatch, Timestamp, WorkspaceId};
use closer_store::{
    ContactStore, IDENTITY_CONSTRAINT, StageMove, StoreError, UpsertContact, Upserted,
};
use uuid::Uuid;

use crate::PostgresStore;
use crate::contacts_write::{load, move_stage, patch_in, update};
use crate::error::db_err;

/// How often an upsert that lost a race starts over (it then finds the winner's result).
const UPSERT_ATTEMPTS: usize = 8;
/// Attempts without a transaction; later ones lock the row they read, so they cannot lose again
/// to a change of the contact (only to a new identity's owner).
const OPTIMISTIC_ATTEMPTS: usize = 2;

#[async_trait]
impl ContactStore for PostgresStore {
    async fn upsert_contact(
        &self,
        ws: WorkspaceId,
        req: UpsertContact,
    ) -> Result<Upserted, StoreError> {
        use crate::capture::Attempt;
        let mut attempt = 1;
        let mut in_transaction = false;
        loop {
            let result = if attempt <= OPTIMISTIC_ATTEMPTS && !in_transaction {
                let mut conn = self.pool.acquire().await.map_err(db_err)?;
                crate::capture::try_upsert(&mut conn, ws, &req, false).await
            } else {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                let done = crate::capture::try_upsert(&mut tx, ws, &req, true).await;
                if matches!(done, Ok(Attempt::Written(_))) {
                    tx.commit().await.map_err(db_err)?;
                }
                done
            };
            match result {
                Ok(Attempt::Written(done)) => return Ok(done),
                Ok(Attempt::NeedsTransaction) => in_transaction = true,
                // Another transaction created, changed or erased the person between our lookup
                // and our write; the next attempt sees its committed result.
                Ok(Attempt::Changed) if attempt < UPSERT_ATTEMPTS => attempt += 1,
                Err(e) if attempt < UPSERT_ATTEMPTS && e.is_conflict_on(IDENTITY_CONSTRAINT) => {
                    attempt += 1;
                }
                Ok(Attempt::Changed) => {
                    return Err(StoreError::Unavailable(
                        "the contact kept changing while it was being saved".into(),
                    ));
                }
                Err(e) => return Err(e),
            }
        }
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
                move_stage(&mut tx, &c, Some(from), (&m.actor, None), now).await?;
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
        crate::visitor_links::erase_history(&mut tx, ws, id).await?;
        let gone = sqlx::query("delete from contacts where workspace_id = $1 and id = $2")
            .bind(ws.0)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        if gone.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        // The ids merged into the erased contact would still lead to it.
        sqlx::query("delete from contact_merges where workspace_id = $1 and into_id = $2")
            .bind(ws.0)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
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
}
