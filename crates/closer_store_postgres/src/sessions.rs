//! Passwords, sign-in attempts and browser sessions on PostgreSQL.

use async_trait::async_trait;
use closer_domain::{Email, Timestamp, UserId, WorkspaceId};
use closer_store::{Credentials, Invite, SessionStore, StoreError, User, WebSession};

use crate::PostgresStore;
use crate::error::db_err;
use crate::setup::user;

#[async_trait]
impl SessionStore for PostgresStore {
    async fn set_password(
        &self,
        ws: WorkspaceId,
        user: UserId,
        hash: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let changed = sqlx::query(
            "update users set password_hash = $1, failed_sign_ins = 0, locked_until = null \
             where workspace_id = $2 and id = $3",
        )
        .bind(hash)
        .bind(ws.0)
        .bind(user.0)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if changed.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("delete from web_sessions where user_id = $1")
            .bind(user.0)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)
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
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        sqlx::query(
            "insert into web_sessions (id, workspace_id, user_id, csrf, created_at, expires_at) \
             values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&s.id)
        .bind(s.workspace_id.0)
        .bind(s.user_id.0)
        .bind(&s.csrf)
        .bind(s.created_at.get())
        .bind(s.expires_at.get())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        sqlx::query(
            "update users set failed_sign_ins = 0, locked_until = null \
             where workspace_id = $1 and id = $2",
        )
        .bind(s.workspace_id.0)
        .bind(s.user_id.0)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)
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
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let found: Option<(uuid::Uuid, uuid::Uuid)> = sqlx::query_as(
            "delete from user_invites where id = $1 and expires_at > $2 \
             returning workspace_id, user_id",
        )
        .bind(id)
        .bind(now.get())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        let Some((ws, u)) = found else {
            return Ok(None);
        };
        let row = sqlx::query(
            "update users set password_hash = $1, failed_sign_ins = 0, locked_until = null \
             where workspace_id = $2 and id = $3 returning *",
        )
        .bind(password_hash)
        .bind(ws)
        .bind(u)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        sqlx::query("delete from web_sessions where user_id = $1")
            .bind(u)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        user(&row).map(Some)
    }
}
