//! Passwords, sign-in attempts and browser sessions on SQLite (writes on the writer thread,
//! reads on the read pool).

use async_trait::async_trait;
use closer_domain::{Email, Timestamp, UserId, WorkspaceId};
use closer_store::{Credentials, Invite, SessionStore, StoreError, User, WebSession};
use rusqlite::params;

use crate::SqliteStore;
use crate::error::rs_err;
use crate::read::{all, one, optional};
use crate::rows::{get, ts};
use crate::setup::user;

fn count(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

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
        let email = email.as_str().to_owned();
        self.read(move |c| {
            all(
                c,
                "select * from users where email = ?1 order by created_at, id",
                [email],
                |r| {
                    Ok(Credentials {
                        user: user(r)?,
                        password_hash: get(r, "password_hash")?,
                        failed_sign_ins: count(get(r, "failed_sign_ins")?),
                        locked_until: get::<Option<i64>>(r, "locked_until")?.map(ts).transpose()?,
                    })
                },
            )
        })
        .await
    }

    async fn reserve_sign_in(
        &self,
        ws: WorkspaceId,
        user: UserId,
        lock_after: u32,
        now: Timestamp,
        lock_until: Timestamp,
    ) -> Result<bool, StoreError> {
        self.writer
            .write(move |conn| {
                let reserved = conn
                    .prepare_cached(
                        "update users set \
                           locked_until = case when failed_sign_ins + 1 >= ?1 then ?2 else locked_until end, \
                           failed_sign_ins = case when failed_sign_ins + 1 >= ?1 then 0 else failed_sign_ins + 1 end \
                         where workspace_id = ?3 and id = ?4 and (locked_until is null or locked_until <= ?5)",
                    )
                    .and_then(|mut s| {
                        s.execute(params![
                            lock_after,
                            lock_until.unix_micros(),
                            ws.0,
                            user.0,
                            now.unix_micros()
                        ])
                    })
                    .map_err(rs_err)?;
                Ok(reserved == 1)
            })
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
        let id = id.to_owned();
        self.read(move |c| {
            optional(
                c,
                "select u.*, s.id as session_id, s.csrf, s.created_at as session_created_at, s.expires_at \
                 from web_sessions s join users u on u.id = s.user_id and u.workspace_id = s.workspace_id \
                 where s.id = ?1 and s.expires_at > ?2",
                params![id, now.unix_micros()],
                |r| {
                    let u = user(r)?;
                    Ok((
                        WebSession {
                            id: get(r, "session_id")?,
                            workspace_id: u.workspace_id,
                            user_id: u.id,
                            csrf: get(r, "csrf")?,
                            created_at: ts(get(r, "session_created_at")?)?,
                            expires_at: ts(get(r, "expires_at")?)?,
                        },
                        u,
                    ))
                },
            )
        })
        .await
    }

    async fn delete_session(&self, id: &str) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.writer
            .write(move |conn| {
                conn.prepare_cached("delete from web_sessions where id = ?1")
                    .and_then(|mut s| s.execute(params![id]))
                    .map_err(rs_err)?;
                Ok(())
            })
            .await
    }

    async fn create_invite(&self, inv: &Invite) -> Result<(), StoreError> {
        let inv = inv.clone();
        self.writer
            .write(move |conn| {
                conn.prepare_cached(
                    "insert into user_invites (id, workspace_id, user_id, created_at, expires_at) \
                     values (?1, ?2, ?3, ?4, ?5)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        inv.id,
                        inv.workspace_id.0,
                        inv.user_id.0,
                        inv.created_at.unix_micros(),
                        inv.expires_at.unix_micros()
                    ])
                })
                .map_err(rs_err)?;
                Ok(())
            })
            .await
    }

    async fn invite(&self, id: &str, now: Timestamp) -> Result<Option<User>, StoreError> {
        let id = id.to_owned();
        self.read(move |c| {
            optional(
                c,
                "select u.* from user_invites i join users u on u.id = i.user_id \
                 and u.workspace_id = i.workspace_id where i.id = ?1 and i.expires_at > ?2",
                params![id, now.unix_micros()],
                user,
            )
        })
        .await
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
