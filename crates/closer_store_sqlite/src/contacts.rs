//! The contact port's writes on SQLite, on the writer thread (`write.rs`); the reads are the
//! kit's (`closer_store_sql::contacts_store`, `timeline`).

use async_trait::async_trait;
use closer_domain::{Contact, ContactId, ContactPatch, Timestamp, WorkspaceId};
use closer_store::{ContactStore, StageMove, StoreError, UpsertContact, Upserted};

use crate::{SqliteStore, write};

#[async_trait]
impl ContactStore for SqliteStore {
    async fn upsert_contact(
        &self,
        ws: WorkspaceId,
        req: UpsertContact,
    ) -> Result<Upserted, StoreError> {
        self.writer
            .write(move |conn| write::upsert(conn, ws, req))
            .await
    }

    async fn patch_contact(
        &self,
        ws: WorkspaceId,
        id: ContactId,
        patch: &ContactPatch,
        actor: &str,
        now: Timestamp,
    ) -> Result<Contact, StoreError> {
        let (patch, actor) = (patch.clone(), actor.to_owned());
        self.writer
            .write(move |conn| write::patch(conn, ws, id, &patch, &actor, now))
            .await
    }

    async fn patch_contacts(
        &self,
        ws: WorkspaceId,
        ids: &[ContactId],
        patch: &ContactPatch,
        actor: &str,
        now: Timestamp,
    ) -> Result<Vec<Contact>, StoreError> {
        let (ids, patch, actor) = (ids.to_vec(), patch.clone(), actor.to_owned());
        // One job: the writer runs it in its own savepoint, so a failure undoes all of it.
        self.writer
            .write(move |conn| {
                ids.iter()
                    .map(|id| write::patch(conn, ws, *id, &patch, &actor, now))
                    .collect()
            })
            .await
    }

    async fn move_stages(
        &self,
        ws: WorkspaceId,
        moves: &[StageMove],
        now: Timestamp,
    ) -> Result<Vec<ContactId>, StoreError> {
        let moves = moves.to_vec();
        self.writer
            .write(move |conn| crate::stage_moves::move_stages(conn, ws, &moves, now))
            .await
    }

    async fn erase_contact(
        &self,
        ws: WorkspaceId,
        id: ContactId,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.writer
            .erase(move |conn| write::erase(conn, ws, id, now))
            .await
    }

    async fn claim_contact(
        &self,
        ws: WorkspaceId,
        contact: ContactId,
        user: closer_domain::UserId,
        now: Timestamp,
    ) -> Result<closer_store::Claim, StoreError> {
        let taken = self
            .writer
            .write(move |conn| {
                conn.prepare_cached(
                    "update contacts set owner_id = ?1, updated_at = ?2 \
                     where workspace_id = ?3 and id = ?4 and owner_id is null",
                )
                .and_then(|mut s| {
                    s.execute(rusqlite::params![
                        user.0,
                        now.unix_micros(),
                        ws.0,
                        contact.0
                    ])
                })
                .map_err(crate::error::rs_err_fk("contacts_owner_fk"))
            })
            .await?;
        if taken == 1 {
            return Ok(closer_store::Claim::Taken);
        }
        let owner: Option<Option<uuid::Uuid>> = self
            .read(move |c| {
                crate::read::optional(
                    c,
                    "select owner_id from contacts where workspace_id = ?1 and id = ?2",
                    [ws.0, contact.0],
                    |r| crate::rows::get(r, "owner_id"),
                )
            })
            .await?;
        closer_store::Claim::missed(owner.map(|o| o.map(closer_domain::UserId)), user)
    }
}
