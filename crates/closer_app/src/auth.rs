//! Signing in to the web app: argon2id password hashes, a lock after repeated failures, and
//! browser sessions.
//!
//! A session's cookie carries a 256-bit secret; the store keeps only its SHA-256 (as for API
//! tokens), so a read of the database does not sign anyone in. Each session has its own CSRF
//! token that every form posts back. Wrong email, wrong password and "no password set" are one
//! answer, and an unknown email still costs an argon2 verification, so neither the message nor
//! the time tells which emails are users.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use closer_domain::access::Action;
use closer_domain::{Email, Timestamp, UserRole};
use closer_store::{Credentials, Store, User, WebSession};
use sha2::{Digest, Sha256};

use crate::{Actor, AppError, Principal, hex};

/// Shortest password accepted, in characters.
pub const MIN_PASSWORD: usize = 10;
/// Longest, in bytes: argon2 hashes anything, but nobody types more and a huge body costs.
pub const MAX_PASSWORD: usize = 1024;
/// Password checks a user gets in a row without signing in; the last of them locks the user…
pub const LOCK_AFTER: u32 = 5;
/// …for this long.
pub const LOCK_FOR: Duration = Duration::from_mins(15);
/// How long a session lasts after signing in.
pub const SESSION_FOR: Duration = Duration::from_hours(12);

/// A hash to verify against when the email is unknown, so that answer takes as long as a
/// wrong password does.
static DECOY: LazyLock<String> = LazyLock::new(|| hash_password("decoy password, never matches"));

fn random_hex() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

fn session_id(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn hash_password(password: &str) -> String {
    let salt = SaltString::encode_b64(uuid::Uuid::new_v4().as_bytes()).expect("16 bytes fit");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters hashes any password")
        .to_string()
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A password as typed: long enough, not absurdly long.
fn check_password(password: &str) -> Result<(), AppError> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(AppError::invalid(
            "password",
            format!("must be at least {MIN_PASSWORD} characters"),
        ));
    }
    if password.len() > MAX_PASSWORD {
        return Err(AppError::invalid(
            "password",
            format!("must be at most {MAX_PASSWORD} bytes"),
        ));
    }
    Ok(())
}

/// Argon2 takes tens of milliseconds of CPU: off the async workers.
/// The answer to a sign-in that may not check the password, after as long as a check takes.
async fn refused(password: &str) -> Result<SignedIn, AppError> {
    let password = password.to_owned();
    blocking(move || verify_password(&password, &DECOY)).await?;
    Err(AppError::Unauthorized)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AppError::Internal(format!("password hashing task failed: {e}")))
}

/// How long an invite link works.
pub const INVITE_FOR: Duration = Duration::from_hours(7 * 24);

/// A fresh session: `secret` goes in the cookie and is never stored.
pub struct SignedIn {
    pub secret: String,
    pub session: WebSession,
    pub user: User,
}

/// The user behind a browser's session cookie.
#[derive(Debug, Clone)]
pub struct WebUser {
    pub user: User,
    pub role: UserRole,
    pub session: WebSession,
    /// Notifications not yet read, for the header's bell.
    pub unread: u64,
}

impl WebUser {
    /// Whether the user hands contacts out in bulk (managers and admins).
    pub fn may_assign(&self) -> bool {
        self.principal().may(Action::AssignContacts, None)
    }

    /// What the user's requests act as in the use cases.
    pub fn principal(&self) -> Principal {
        Principal {
            workspace_id: self.user.workspace_id,
            role: self.role,
            by: Actor::User(self.user.id),
        }
    }
}

/// Signing in as a service of its own: passwords, sessions and invites over the store, and
/// nothing else of the app. `App` composes it (`App::auth`).
#[derive(Clone)]
pub struct Auth {
    store: Arc<dyn Store>,
}

impl Auth {
    pub(crate) fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    async fn workspace_by_slug(&self, slug: &str) -> Result<closer_store::Workspace, AppError> {
        crate::access::workspace_by_slug(self.store.as_ref(), slug).await
    }

    /// Sets a user's password (the operator's `closer user passwd`); every session the user
    /// had ends.
    pub async fn set_password(
        &self,
        workspace: &str,
        email: &str,
        password: &str,
    ) -> Result<User, AppError> {
        check_password(password)?;
        let ws = self.workspace_by_slug(workspace).await?;
        let email = Email::parse(email)?;
        let user = self
            .store()
            .credentials(&email)
            .await?
            .into_iter()
            .map(|c| c.user)
            .find(|u| u.workspace_id == ws.id)
            .ok_or_else(|| {
                AppError::invalid(
                    "email",
                    format!(
                        "no user of \"{}\" has this email (closer user add)",
                        ws.slug
                    ),
                )
            })?;
        let password = password.to_owned();
        let hash = blocking(move || hash_password(&password)).await?;
        self.store().set_password(ws.id, user.id, &hash).await?;
        Ok(user)
    }

    /// Checks an email and password (and the workspace, when the email is a user of several)
    /// and opens a session.
    pub async fn sign_in(
        &self,
        workspace: Option<&str>,
        email: &str,
        password: &str,
    ) -> Result<SignedIn, AppError> {
        let now = Timestamp::now();
        if password.len() > MAX_PASSWORD {
            return Err(AppError::Unauthorized);
        }
        let found = match Email::parse(email) {
            Ok(e) => self.store().credentials(&e).await?,
            Err(_) => Vec::new(),
        };
        let workspace = workspace.map(str::trim).filter(|w| !w.is_empty());
        let candidates: Vec<Credentials> = match workspace {
            Some(slug) => {
                let ws = self.workspace_by_slug(slug).await.ok();
                found
                    .into_iter()
                    .filter(|c| ws.as_ref().is_some_and(|w| w.id == c.user.workspace_id))
                    .collect()
            }
            None => found,
        };
        if candidates.len() > 1 {
            return Err(AppError::invalid(
                "workspace",
                "this email signs in to several workspaces: name the one you want",
            ));
        }
        // An unknown email, a locked account and a wrong password get one answer in about
        // one argon2 check's time: nothing tells which accounts exist or are locked.
        let Some(c) = candidates.into_iter().next() else {
            return refused(password).await;
        };
        // The attempt is counted before the password is checked, so guesses sent at once
        // can never check more than `LOCK_AFTER` passwords per lock period.
        let until = Timestamp::new(now.get() + LOCK_FOR);
        let reserved = self
            .store()
            .reserve_sign_in(c.user.workspace_id, c.user.id, LOCK_AFTER, now, until)
            .await?;
        if !reserved {
            return refused(password).await;
        }
        let hash = c.password_hash.clone().unwrap_or_else(|| DECOY.clone());
        let typed = password.to_owned();
        let matches = blocking(move || verify_password(&typed, &hash)).await?;
        if !matches || c.password_hash.is_none() {
            return Err(AppError::Unauthorized);
        }
        UserRole::parse(&c.user.role)
            .map_err(|e| AppError::Internal(format!("stored role: {}", e.message)))?;
        self.open_session(c.user).await
    }

    /// The signed-in user of a session cookie, if it is a live session.
    pub async fn web_user(&self, secret: &str) -> Result<Option<WebUser>, AppError> {
        if secret.len() != 64 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let Some((session, user)) = self
            .store()
            .session(&session_id(secret), Timestamp::now())
            .await?
        else {
            return Ok(None);
        };
        let role = UserRole::parse(&user.role)
            .map_err(|e| AppError::Internal(format!("stored role: {}", e.message)))?;
        let unread = self
            .store()
            .unread_count(user.workspace_id, user.id)
            .await?;
        Ok(Some(WebUser {
            user,
            role,
            session,
            unread,
        }))
    }

    /// A one-time link secret (shown once, stored as its hash) with which the user sets their
    /// password within `INVITE_FOR`.
    pub async fn invite_user(
        &self,
        ws: closer_domain::WorkspaceId,
        user: closer_domain::UserId,
    ) -> Result<String, AppError> {
        self.store().user(ws, user).await?;
        let secret = random_hex();
        let now = Timestamp::now();
        self.store()
            .create_invite(&closer_store::Invite {
                id: session_id(&secret),
                workspace_id: ws,
                user_id: user,
                created_at: now,
                expires_at: Timestamp::new(now.get() + INVITE_FOR),
            })
            .await?;
        Ok(secret)
    }

    /// The user an invite link is for, while it works.
    pub async fn invitee(&self, secret: &str) -> Result<Option<User>, AppError> {
        if secret.len() != 64 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        Ok(self
            .store()
            .invite(&session_id(secret), Timestamp::now())
            .await?)
    }

    /// Sets the invited user's password (the link then stops working) and signs them in.
    pub async fn accept_invite(&self, secret: &str, password: &str) -> Result<SignedIn, AppError> {
        check_password(password)?;
        if self.invitee(secret).await?.is_none() {
            return Err(AppError::NotFound);
        }
        let typed = password.to_owned();
        let hash = blocking(move || hash_password(&typed)).await?;
        let user = self
            .store()
            .accept_invite(&session_id(secret), &hash, Timestamp::now())
            .await?
            .ok_or(AppError::NotFound)?;
        self.open_session(user).await
    }

    async fn open_session(&self, user: User) -> Result<SignedIn, AppError> {
        let now = Timestamp::now();
        let secret = random_hex();
        let session = WebSession {
            id: session_id(&secret),
            workspace_id: user.workspace_id,
            user_id: user.id,
            csrf: random_hex(),
            created_at: now,
            expires_at: Timestamp::new(now.get() + SESSION_FOR),
        };
        self.store().create_session(&session).await?;
        Ok(SignedIn {
            secret,
            session,
            user,
        })
    }

    /// Ends a session (signing out).
    pub async fn sign_out(&self, secret: &str) -> Result<(), AppError> {
        Ok(self.store().delete_session(&session_id(secret)).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_a_salt_and_verify() {
        let a = hash_password("correct horse battery");
        let b = hash_password("correct horse battery");
        assert_ne!(a, b, "a fresh salt each time");
        assert!(a.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &a));
        assert!(!verify_password("correct horse batterY", &a));
        assert!(!verify_password("anything", "not a hash"));
    }

    fn web_user(role: UserRole) -> WebUser {
        let ws = closer_domain::WorkspaceId::new();
        let user = User {
            id: closer_domain::UserId::new(),
            workspace_id: ws,
            email: Email::parse("who@acme.example").unwrap(),
            name: "Who".into(),
            role: role.as_str().into(),
            created_at: Timestamp::now(),
        };
        let session = WebSession {
            id: String::new(),
            workspace_id: ws,
            user_id: user.id,
            csrf: String::new(),
            created_at: Timestamp::now(),
            expires_at: Timestamp::now(),
        };
        WebUser {
            user,
            role,
            session,
            unread: 0,
        }
    }

    #[test]
    fn roles_decide_what_a_user_sees_and_works() {
        // A signed-in user's principal reads the role table with their own id.
        let rep = web_user(UserRole::Rep);
        let someone = Some(closer_domain::UserId::new());
        let (sees, works) = (Action::ReadContacts, Action::WorkDeals);
        let p = rep.principal();
        assert!(p.may(sees, None) && p.may(sees, Some(rep.user.id)));
        assert!(!p.may(sees, someone));
        assert!(p.may(works, Some(rep.user.id)) && !p.may(works, None) && !p.may(works, someone));
        assert!(!rep.may_assign());
        let manager = web_user(UserRole::Manager);
        let p = manager.principal();
        assert!(p.may(sees, someone) && p.may(works, someone) && manager.may_assign());
        let marketer = web_user(UserRole::Marketer);
        let p = marketer.principal();
        assert!(p.may(sees, someone) && !marketer.may_assign());
        assert!(!p.may(works, Some(marketer.user.id)) && !p.may(works, someone));
        assert_eq!(manager.principal().role, UserRole::Manager);
    }

    #[test]
    fn password_rules() {
        assert!(check_password("short").is_err());
        assert!(check_password("long enough").is_ok());
        assert!(check_password(&"x".repeat(MAX_PASSWORD + 1)).is_err());
    }
}
