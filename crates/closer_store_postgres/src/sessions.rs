//! Passwords, sign-in attempts and browser sessions on PostgreSQL.

use async_trait::async_trait;
use closer_domain::{Email, Timestamp, UserId, WorkspaceId};
use closer_store::{Credentials, Invite, SessionStore, StoreError, User, WebSession};

use crate::PostgresStore;
use crate::error::db_err;
use crate::rows::{get, ts, ts_opt};
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
        let rows = sqlx::query("select * from users where email = $1 order by created_at, id")
            .bind(email.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(Credentials {
                    user: user(r)?,
                    password_hash: get(r, "password_hash")?,
                    failed_sign_ins: u32::try_from(get::<i32>(r, "failed_sign_ins")?).unwrap_or(0),
                    locked_until: ts_opt(r, "locked_until")?,
                })
            })
            .collect()
    }

    async fn reserve_sign_in(
        &self,
        ws: WorkspaceId,
        user: UserId,
        lock_after: u32,
        now: Timestamp,
        lock_until: Timestamp,
    ) -> Result<bool, StoreError> {
        // One statement: concurrent reservations queue on the row's lock and each sees the
        // count (and lock) the one before left.
        let reserved = sqlx::query(
            "update users set \
               locked_until = case when failed_sign_ins + 1 >= $1 then $2 else locked_until end, \
               failed_sign_ins = case when failed_sign_ins + 1 >= $1 then 0 else failed_sign_ins + 1 end \
             where workspace_id = $3 and id = $4 and (locked_until is null or locked_until <= $5)",
        )
        .bind(i32::try_from(lock_after).unwrap_or(i32::MAX))
        .bind(lock_until.get())
        .bind(ws.0)
        .bind(user.0)
        .bind(now.get())
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
        Ok(reserved == 1)
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
        let row = sqlx::query(
            "select u.*, s.id as session_id, s.csrf, s.created_at as session_created_at, s.expires_at \
             from web_sessions s join users u on u.id = s.user_id and u.workspace_id = s.workspace_id \
             where s.id = $1 and s.expires_at > $2",
        )
        .bind(id)
        .bind(now.get())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        row.map(|r| {
            let u = user(&r)?;
            Ok((
                WebSession {
                    id: get(&r, "session_id")?,
                    workspace_id: u.workspace_id,
                    user_id: u.id,
                    csrf: get(&r, "csrf")?,
                    created_at: ts(&r, "session_created_at")?,
                    expires_at: ts(&r, "expires_at")?,
                },
                u,
            ))
        })
        .transpose()
    }

    async fn delete_session(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("delete from web_sessions where id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn create_invite(&self, inv: &Invite) -> Result<(), StoreError> {
        sqlx::query(
            "insert into user_invites (id, workspace_id, user_id, created_at, expires_at) \
             values ($1, $2, $3, $4, $5)",
        )
        .bind(&inv.id)
        .bind(inv.workspace_id.0)
        .bind(inv.user_id.0)
        .bind(inv.created_at.get())
        .bind(inv.expires_at.get())
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn invite(&self, id: &str, now: Timestamp) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(
            "select u.* from user_invites i join users u on u.id = i.user_id \
             and u.workspace_id = i.workspace_id where i.id = $1 and i.expires_at > $2",
        )
        .bind(id)
        .bind(now.get())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        row.as_ref().map(user).transpose()
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
