//! The web app's sign-in port: users' password hashes and failed-attempt counters, and
//! browser sessions. Secrets never reach the store: a password arrives as its argon2 PHC
//! string, a session as the SHA-256 of its cookie value.

use async_trait::async_trait;
use closer_domain::{Email, Timestamp, UserId, WorkspaceId};

use crate::{StoreError, User};

/// A user as sign-in sees them.
#[derive(Debug, Clone, PartialEq)]
pub struct Credentials {
    pub user: User,
    /// `None`: no password set yet (the user cannot sign in).
    pub password_hash: Option<String>,
    /// Password checks reserved since the last success or lock.
    pub failed_sign_ins: u32,
    /// Sign-in is refused until then, whatever the password.
    pub locked_until: Option<Timestamp>,
}

/// A signed-in browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSession {
    /// Hex SHA-256 of the cookie's secret.
    pub id: String,
    pub workspace_id: WorkspaceId,
    pub user_id: UserId,
    /// The token every form of this session carries.
    pub csrf: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

#[async_trait]
pub trait SessionStore {
    /// Sets the user's password hash, clears failures and any lock, and ends every session
    /// the user had (a changed password signs out everywhere). `NotFound` for another
    /// workspace's user.
    async fn set_password(
        &self,
        ws: WorkspaceId,
        user: UserId,
        hash: &str,
    ) -> Result<(), StoreError>;
    /// Every user with this email, in any workspace, oldest first.
    async fn credentials(&self, email: &Email) -> Result<Vec<Credentials>, StoreError>;
    /// Reserves one password check for the user, in one statement: `false` while the user
    /// is locked at `now` (nothing is counted, no password may be checked). The
    /// `lock_after`-th reservation in a row locks the user until `lock_until` and starts a new
    /// count, so concurrent attempts can never check more than `lock_after` passwords.
    async fn reserve_sign_in(
        &self,
        ws: WorkspaceId,
        user: UserId,
        lock_after: u32,
        now: Timestamp,
        lock_until: Timestamp,
    ) -> Result<bool, StoreError>;
    /// Stores the session and clears the user's attempts and any lock (the right password
    /// was given within the reserved checks).
    async fn create_session(&self, session: &WebSession) -> Result<(), StoreError>;
    /// The session with this id and its user, unless it expired by `now`.
    async fn session(
        &self,
        id: &str,
        now: Timestamp,
    ) -> Result<Option<(WebSession, User)>, StoreError>;
    /// Ends the session; ending one that is gone is not an error.
    async fn delete_session(&self, id: &str) -> Result<(), StoreError>;
    /// Stores a one-time invite link's hash for the user.
    async fn create_invite(&self, invite: &Invite) -> Result<(), StoreError>;
    /// The invite's user, if the invite is live at `now`, without using it up.
    async fn invite(&self, id: &str, now: Timestamp) -> Result<Option<User>, StoreError>;
    /// Uses the invite up: sets the user's password hash (as `set_password`) and deletes the
    /// invite, in one transaction; `None` (and nothing changed) if it is gone or expired.
    async fn accept_invite(
        &self,
        id: &str,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<Option<User>, StoreError>;
}

/// A one-time link for a user to set their password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    /// Hex SHA-256 of the link's secret.
    pub id: String,
    pub workspace_id: WorkspaceId,
    pub user_id: UserId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}
