//! Passwords, sign-in attempts and browser sessions on SQLite (writes on the writer thread,
//! reads on the read pool).

use async_trait::async_trait;
use closer_domain::{Email, Timestamp, UserId, WorkspaceId};
use closer_store::{Credentials, Invite, SessionStore, StoreError, User, WebSession};
use rusqlite::params;

use crate::SqliteStore;
use crate::error::rs_err;
use crate::read::one;
use crate::setup::user;

#[async_trait]
impl SessionStore for SqliteStore {
    async fn set_password(
        &self,
        ws: WorkspaceId,
        user: UserId,
        hash: &str,
    ) -> Result<(), StoreError> {
        let hash = hash.to_owned();
        self.writer
            .write(move |conn| {
                let changed = conn
                    .prepare_cached(
                        "update users set password_hash = ?1, failed_sign_ins = 0, locked_until = null \
                         where workspace_id = ?2 and id = ?3",
                    )
                    .and_then(|mut s| s.execute(params![hash, ws.0, user.0]))
                    .map_err(rs_err)?;
                if changed == 0 {
                    return Err(StoreError::NotFound);
                }
                conn.prepare_cached("delete from web_sessions where user_id = ?1")
                    .and_then(|mut s| s.execute(params![user.0]))
                    .map_err(rs_err)?;
                Ok(())
            })
            .await
    }

    async fn credentials(&self, email: &Email) -> Result<Vec<Credentials>, StoreError> {
        closer_store_sql::sessions_store::credentials(self, email).await
    }

    async fn reserve_sign_in(
        &self,
        ws: WorkspaceId,
        user: UserId,
        lock_after: u32,
        now: Timestamp,
        lock_until: Timestamp,
    ) -> Result<bool, StoreError> {
        closer_store_sql::sessions_store::reserve_sign_in(
            self, ws, user, lock_after, now, lock_until,
        )
        .await
    }

    async fn create_session(&self, s: &WebSession) -> Result<(), StoreError> {
        let s = s.clone();
        self.writer
            .write(move |conn| {
                conn.prepare_cached(
                    "insert into web_sessions (id, workspace_id, user_id, csrf, created_at, expires_at) \
                     values (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .and_then(|mut st| {
                    st.execute(params![
                        s.id,
                        s.workspace_id.0,
                        s.user_id.0,
                        s.csrf,
                        s.created_at.unix_micros(),
                        s.expires_at.unix_micros()
                    ])
                })
                .map_err(rs_err)?;
                conn.prepare_cached(
                    "update users set failed_sign_ins = 0, locked_until = null \
                     where workspace_id = ?1 and id = ?2",
                )
                .and_then(|mut st| st.execute(params![s.workspace_id.0, s.user_id.0]))
                .map_err(rs_err)?;
                Ok(())
            })
            .await
    }

    async fn session(
        &self,
        id: &str,
        now: Timestamp,
    ) -> Result<Option<(WebSession, User)>, StoreError> {
        closer_store_sql::sessions_store::session(self, id, now).await
    }

    async fn delete_session(&self, id: &str) -> Result<(), StoreError> {
        closer_store_sql::sessions_store::delete_session(self, id).await
    }

    async fn create_invite(&self, inv: &Invite) -> Result<(), StoreError> {
        closer_store_sql::sessions_store::create_invite(self, inv).await
    }

    async fn invite(&self, id: &str, now: Timestamp) -> Result<Option<User>, StoreError> {
        closer_store_sql::sessions_store::invite(self, id, now).await
    }

    async fn accept_invite(
        &self,
        id: &str,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<Option<User>, StoreError> {
        let (id, hash) = (id.to_owned(), password_hash.to_owned());
        let found: Option<(uuid::Uuid, uuid::Uuid)> = self
            .writer
            .write(move |conn| {
                let found = rusqlite::OptionalExtension::optional(
                    conn.prepare_cached(
                        "delete from user_invites where id = ?1 and expires_at > ?2 \
                         returning workspace_id, user_id",
                    )
                    .and_then(|mut s| {
                        s.query_row(params![id, now.unix_micros()], |r| Ok((r.get(0)?, r.get(1)?)))
                    }),
                )
                .map_err(rs_err)?;
                if let Some((ws, user)) = found {
                    conn.prepare_cached(
                        "update users set password_hash = ?1, failed_sign_ins = 0, locked_until = null \
                         where workspace_id = ?2 and id = ?3",
                    )
                    .and_then(|mut s| s.execute(params![hash, ws, user]))
                    .map_err(rs_err)?;
                    conn.prepare_cached("delete from web_sessions where user_id = ?1")
                        .and_then(|mut s| s.execute(params![user]))
                        .map_err(rs_err)?;
                }
                Ok(found)
            })
            .await?;
        match found {
            Some((ws, u)) => {
                let found = self
                    .read(move |c| {
                        one(
                            c,
                            "select * from users where workspace_id = ?1 and id = ?2",
                            [ws, u],
                            user,
                        )
                    })
                    .await?;
                Ok(Some(found))
            }
            None => Ok(None),
        }
    }
}
