//! Passwords, sign-in attempts, browser sessions and invites, written once over `Engine`.

use closer_domain::{Email, Timestamp, UserId, WorkspaceId};
use closer_store::{Credentials, Invite, StoreError, User, WebSession};

use crate::{Columns, Engine, Sql, Step, required};

fn credentials_row(r: &dyn Columns) -> Result<Credentials, StoreError> {
    Ok(Credentials {
        user: crate::user(r)?,
        password_hash: r.text("password_hash")?,
        failed_sign_ins: u32::try_from(required("failed_sign_ins", r.integer("failed_sign_ins")?)?)
            .unwrap_or(0),
        locked_until: r.timestamp("locked_until")?,
    })
}

pub async fn credentials(e: &impl Engine, email: &Email) -> Result<Vec<Credentials>, StoreError> {
    let sql = e.sql(
        "select * from users where email = $1 order by created_at, id",
        [email.as_str().into()],
    );
    e.fetch(sql, credentials_row).await
}

/// One statement: concurrent reservations queue on the row's lock and each sees the count
/// (and lock) the one before left.
pub async fn reserve_sign_in(
    e: &impl Engine,
    ws: WorkspaceId,
    user: UserId,
    lock_after: u32,
    now: Timestamp,
    lock_until: Timestamp,
) -> Result<bool, StoreError> {
    let sql = e.sql(
        "update users set \
           locked_until = case when failed_sign_ins + 1 >= $1 then $2 else locked_until end, \
           failed_sign_ins = case when failed_sign_ins + 1 >= $1 then 0 else failed_sign_ins + 1 end \
         where workspace_id = $3 and id = $4 and (locked_until is null or locked_until <= $5)",
        [
            i64::from(lock_after).into(),
            lock_until.into(),
            ws.0.into(),
            user.0.into(),
            now.into(),
        ],
    );
    Ok(e.execute(sql).await? == 1)
}

fn session_row(r: &dyn Columns) -> Result<(WebSession, User), StoreError> {
    let u = crate::user(r)?;
    Ok((
        WebSession {
            id: required("session_id", r.text("session_id")?)?,
            workspace_id: u.workspace_id,
            user_id: u.id,
            csrf: required("csrf", r.text("csrf")?)?,
            created_at: required("session_created_at", r.timestamp("session_created_at")?)?,
            expires_at: required("expires_at", r.timestamp("expires_at")?)?,
        },
        u,
    ))
}

pub async fn session(
    e: &impl Engine,
    id: &str,
    now: Timestamp,
) -> Result<Option<(WebSession, User)>, StoreError> {
    let sql = e.sql(
        "select u.*, s.id as session_id, s.csrf, s.created_at as session_created_at, s.expires_at \
         from web_sessions s join users u on u.id = s.user_id and u.workspace_id = s.workspace_id \
         where s.id = $1 and s.expires_at > $2",
        [id.into(), now.into()],
    );
    e.fetch_optional(sql, session_row).await
}

pub async fn delete_session(e: &impl Engine, id: &str) -> Result<(), StoreError> {
    let sql = e.sql("delete from web_sessions where id = $1", [id.into()]);
    e.execute(sql).await.map(drop)
}

pub async fn create_invite(e: &impl Engine, inv: &Invite) -> Result<(), StoreError> {
    let sql = e.sql(
        "insert into user_invites (id, workspace_id, user_id, created_at, expires_at) \
         values ($1, $2, $3, $4, $5)",
        [
            inv.id.as_str().into(),
            inv.workspace_id.0.into(),
            inv.user_id.0.into(),
            inv.created_at.into(),
            inv.expires_at.into(),
        ],
    );
    e.execute(sql).await.map(drop)
}

pub async fn invite(e: &impl Engine, id: &str, now: Timestamp) -> Result<Option<User>, StoreError> {
    let sql = e.sql(
        "select u.* from user_invites i join users u on u.id = i.user_id \
         and u.workspace_id = i.workspace_id where i.id = $1 and i.expires_at > $2",
        [id.into(), now.into()],
    );
    e.fetch_optional(sql, |r| crate::user(r)).await
}

/// Sets the user's password, clears failed sign-ins and ends their sessions; `NotFound` for a
/// user not in the workspace.
pub async fn set_password(
    e: &impl Engine,
    ws: WorkspaceId,
    user: UserId,
    hash: &str,
) -> Result<(), StoreError> {
    e.transaction(vec![
        Step::must_change(new_password(e, ws, user, hash)),
        Step::any(end_sessions(e, ws, user)),
    ])
    .await
}

fn new_password(e: &impl Engine, ws: WorkspaceId, user: UserId, hash: &str) -> Sql {
    e.sql(
        "update users set password_hash = $1, failed_sign_ins = 0, locked_until = null \
         where workspace_id = $2 and id = $3",
        [hash.into(), ws.0.into(), user.0.into()],
    )
}

fn end_sessions(e: &impl Engine, ws: WorkspaceId, user: UserId) -> Sql {
    e.sql(
        "delete from web_sessions where workspace_id = $1 and user_id = $2",
        [ws.0.into(), user.0.into()],
    )
}

/// Stores the session and clears the user's failed sign-ins, together.
pub async fn create_session(e: &impl Engine, s: &WebSession) -> Result<(), StoreError> {
    e.transaction(vec![
        Step::any(e.sql(
            "insert into web_sessions (id, workspace_id, user_id, csrf, created_at, expires_at) \
             values ($1, $2, $3, $4, $5, $6)",
            [
                s.id.as_str().into(),
                s.workspace_id.0.into(),
                s.user_id.0.into(),
                s.csrf.as_str().into(),
                s.created_at.into(),
                s.expires_at.into(),
            ],
        )),
        Step::any(e.sql(
            "update users set failed_sign_ins = 0, locked_until = null \
             where workspace_id = $1 and id = $2",
            [s.workspace_id.0.into(), s.user_id.0.into()],
        )),
    ])
    .await
}

/// Uses the invite once: sets the password, ends the user's sessions; `None` if the invite is
/// unknown, expired or taken meanwhile (its deletion must be this transaction's).
pub async fn accept_invite(
    e: &impl Engine,
    id: &str,
    password_hash: &str,
    now: Timestamp,
) -> Result<Option<User>, StoreError> {
    let Some(user) = invite(e, id, now).await? else {
        return Ok(None);
    };
    let taken = e
        .transaction(vec![
            Step::must_change(e.sql(
                "delete from user_invites where id = $1 and expires_at > $2",
                [id.into(), now.into()],
            )),
            Step::any(new_password(e, user.workspace_id, user.id, password_hash)),
            Step::any(end_sessions(e, user.workspace_id, user.id)),
        ])
        .await;
    match taken {
        Ok(()) => Ok(Some(user)),
        Err(StoreError::NotFound) => Ok(None),
        Err(other) => Err(other),
    }
}
