//! Access: workspaces, API tokens and the principal a request acts as.
//!
//! Tokens are `clsr_` + 64 hex characters (256 bits from the OS RNG via UUIDv4). Only their
//! SHA-256 is stored: a fast hash is right for a high-entropy secret (no dictionary to guess
//! from), and it keeps per-request authentication to one indexed lookup.

use closer_domain::access::{Action, Reach, allows, reach};
use closer_domain::{Region, Role, Slug, Timestamp, TokenId, UserId, UserRole, WorkspaceId};
use std::sync::Arc;

use closer_store::{Store, TokenRecord, User, Workspace};
use sha2::{Digest, Sha256};

use crate::{App, AppError, hex};

const TOKEN_PREFIX: &str = "clsr_";

/// Who a request acts as: a workspace, a role from the one role table
/// (`closer_domain::access`), and whose credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    pub workspace_id: WorkspaceId,
    pub role: UserRole,
    pub by: Actor,
}

/// Whose credentials a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// An API token.
    Token(TokenId),
    /// A user signed in to the web app.
    User(UserId),
    /// The `closer` command on the server's host.
    Operator,
}

impl Principal {
    /// The CLI acting on a workspace: an admin.
    pub fn operator(workspace_id: WorkspaceId) -> Self {
        Self {
            workspace_id,
            role: UserRole::Admin,
            by: Actor::Operator,
        }
    }

    /// The signed-in user, if a user (not a token or the CLI) acts.
    pub fn user(&self) -> Option<UserId> {
        match self.by {
            Actor::User(id) => Some(id),
            Actor::Token(_) | Actor::Operator => None,
        }
    }

    /// Whether the role table lets this principal do `action` on a record owned by `owner`.
    pub fn may(&self, action: Action, owner: Option<UserId>) -> bool {
        allows(self.role, self.user(), action, owner)
    }

    /// `may`, as the error a use case returns: `Forbidden` naming the action.
    pub fn check(&self, action: Action, owner: Option<UserId>) -> Result<(), AppError> {
        if self.may(action, owner) {
            Ok(())
        } else {
            let who = match self.by {
                Actor::Token(_) => "a member token".to_owned(),
                Actor::User(_) | Actor::Operator => format!("a {}", self.role.as_str()),
            };
            Err(AppError::Forbidden(format!(
                "{who} may not {}",
                action.describe()
            )))
        }
    }

    /// `check` for a stored record: one the principal could see others of but not this one
    /// (a rep and a colleague's deal) is not found, so its existence is not given away.
    pub fn check_record(
        &self,
        read: Action,
        action: Action,
        owner: Option<UserId>,
    ) -> Result<(), AppError> {
        if reach(self.role, read) != Reach::Nobody && !self.may(read, owner) {
            return Err(AppError::NotFound);
        }
        self.check(action, owner)
    }

    /// How this principal is named in stage history.
    pub fn actor(&self) -> String {
        match self.by {
            Actor::Token(id) => format!("token:{id}"),
            Actor::User(id) => format!("user:{id}"),
            Actor::Operator => "cli".to_owned(),
        }
    }
}

/// A freshly made token: the secret is shown once and never stored.
pub struct NewToken {
    pub secret: String,
    pub record: TokenRecord,
}

/// The row of the role table an API token acts as: an admin token as an admin, a member token
/// as a manager (every contact and deal, no settings).
pub fn token_role(role: Role) -> UserRole {
    match role {
        Role::Admin => UserRole::Admin,
        Role::Member => UserRole::Manager,
    }
}

fn hash_secret(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Workspaces, API tokens and users, and who a token's secret is, as a service of its own
/// over the store. `App` composes it (`App::access`).
#[derive(Clone)]
pub struct Access {
    store: Arc<dyn Store>,
}

impl Access {
    pub(crate) fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Creates the `default` workspace unless it exists. Run at every start.
    pub async fn ensure_default_workspace(&self) -> Result<Workspace, AppError> {
        let ws = Workspace {
            id: WorkspaceId::new(),
            slug: Slug::default_slug(),
            name: "Default".into(),
            default_region: None,
            created_at: Timestamp::now(),
        };
        Ok(self.store().ensure_workspace(&ws).await?)
    }

    pub async fn create_workspace(
        &self,
        slug: &str,
        name: Option<&str>,
        region: Option<&str>,
    ) -> Result<Workspace, AppError> {
        let slug = Slug::parse(slug)?;
        let default_region = region.map(Region::parse).transpose()?.map(Region::code);
        let name = match name {
            Some(raw) => closer_domain::text::clean("name", raw)?
                .ok_or_else(|| AppError::invalid("name", "must not be empty"))?,
            None => slug.to_string(),
        };
        let ws = Workspace {
            id: WorkspaceId::new(),
            name,
            slug,
            default_region,
            created_at: Timestamp::now(),
        };
        self.store().create_workspace(&ws).await?;
        Ok(ws)
    }

    pub async fn workspace_by_slug(&self, slug: &str) -> Result<Workspace, AppError> {
        workspace_by_slug(self.store().as_ref(), slug).await
    }

    pub async fn workspace(&self, id: WorkspaceId) -> Result<Workspace, AppError> {
        Ok(self.store().workspace(id).await?)
    }

    pub async fn list_workspaces(&self) -> Result<Vec<Workspace>, AppError> {
        Ok(self.store().list_workspaces().await?)
    }

    pub async fn create_token(
        &self,
        workspace: &str,
        role: Role,
        label: Option<String>,
    ) -> Result<NewToken, AppError> {
        let ws = self.workspace_by_slug(workspace).await?;
        let label = match label {
            Some(raw) => closer_domain::text::clean("label", &raw)?,
            None => None,
        };
        let secret = format!(
            "{TOKEN_PREFIX}{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let record = TokenRecord {
            id: TokenId::new(),
            workspace_id: ws.id,
            role,
            hash: hash_secret(&secret),
            label,
            created_at: Timestamp::now(),
        };
        self.store().create_token(&record).await?;
        Ok(NewToken { secret, record })
    }

    pub async fn list_tokens(&self, workspace: &str) -> Result<Vec<TokenRecord>, AppError> {
        let ws = self.workspace_by_slug(workspace).await?;
        Ok(self.store().list_tokens(ws.id).await?)
    }

    /// Revokes a token: requests carrying it are refused from now on.
    pub async fn revoke_token(&self, workspace: &str, id: &str) -> Result<(), AppError> {
        let ws = self.workspace_by_slug(workspace).await?;
        let id: TokenId = id.parse().map_err(|_| {
            AppError::invalid("id", "is not a token id (a UUID, from `closer token list`)")
        })?;
        self.store()
            .delete_token(ws.id, id)
            .await
            .map_err(|e| match e {
                closer_store::StoreError::NotFound => AppError::invalid(
                    "id",
                    format!("no token with this id in workspace \"{}\"", ws.slug),
                ),
                other => other.into(),
            })
    }

    /// Resolves a bearer secret. Anything malformed or unknown is the same `Unauthorized`,
    /// so a client cannot probe which part was wrong.
    pub async fn authenticate(&self, secret: &str) -> Result<Principal, AppError> {
        let well_formed = secret.len() == TOKEN_PREFIX.len() + 64
            && secret.starts_with(TOKEN_PREFIX)
            && secret[TOKEN_PREFIX.len()..]
                .bytes()
                .all(|b| b.is_ascii_hexdigit());
        if !well_formed {
            return Err(AppError::Unauthorized);
        }
        let token = self
            .store()
            .token_by_hash(&hash_secret(secret))
            .await?
            .ok_or(AppError::Unauthorized)?;
        Ok(Principal {
            workspace_id: token.workspace_id,
            role: token_role(token.role),
            by: Actor::Token(token.id),
        })
    }

    /// Adds a user to a workspace (the pipeline gives roles their powers).
    pub async fn add_user(
        &self,
        workspace: &str,
        email: &str,
        name: &str,
        role: &str,
    ) -> Result<User, AppError> {
        let ws = self.workspace_by_slug(workspace).await?;
        self.add_user_to(&Principal::operator(ws.id), email, name, role)
            .await
    }

    /// Adds a user (sales rep, manager…) to the principal's workspace (the API's and the
    /// web app's way in).
    pub async fn add_user_to(
        &self,
        principal: &Principal,
        email: &str,
        name: &str,
        role: &str,
    ) -> Result<User, AppError> {
        principal.check(Action::Configure, None)?;
        let ws = principal.workspace_id;
        let email = closer_domain::Email::parse(email)?;
        let name = closer_domain::text::clean("name", name)?
            .ok_or_else(|| AppError::invalid("name", "must not be empty"))?;
        if !["admin", "manager", "rep", "marketer"].contains(&role) {
            return Err(AppError::invalid(
                "role",
                format!("{role:?} is not a role; use admin, manager, rep or marketer"),
            ));
        }
        let user = User {
            id: UserId::new(),
            workspace_id: ws,
            email,
            name,
            role: role.to_owned(),
            created_at: Timestamp::now(),
        };
        self.store().create_user(&user).await?;
        Ok(user)
    }

    /// A workspace's users (owners to choose from).
    pub async fn users(&self, ws: WorkspaceId) -> Result<Vec<User>, AppError> {
        Ok(self.store().list_users(ws).await?)
    }

    /// A workspace's users, for the operator's CLI.
    pub async fn list_users_in(&self, workspace: &str) -> Result<Vec<User>, AppError> {
        let ws = self.workspace_by_slug(workspace).await?;
        Ok(self.store().list_users(ws.id).await?)
    }
}

impl App {
    /// The region national phone numbers are read in, from the principal's workspace.
    pub async fn region(&self, principal: &Principal) -> Result<Option<Region>, AppError> {
        let ws = self.store().workspace(principal.workspace_id).await?;
        Ok(ws
            .default_region
            .as_deref()
            .and_then(|r| Region::parse(r).ok()))
    }
}

/// The workspace called `slug`; an unknown one is a mistake in the `workspace` field.
pub(crate) async fn workspace_by_slug(
    store: &dyn closer_store::Store,
    slug: &str,
) -> Result<Workspace, AppError> {
    let slug = Slug::parse(slug)?;
    store.workspace_by_slug(&slug).await.map_err(|e| match e {
        closer_store::StoreError::NotFound => {
            AppError::invalid("workspace", format!("no workspace is called \"{slug}\""))
        }
        other => other.into(),
    })
}

/// The owner a request names, if any, must be a user of the workspace: a precise 422 on
/// `owner_id` otherwise.
pub(crate) async fn workspace_user(
    store: &dyn Store,
    ws: WorkspaceId,
    owner: Option<UserId>,
) -> Result<(), AppError> {
    let Some(owner) = owner else { return Ok(()) };
    match store.user(ws, owner).await {
        Ok(_) => Ok(()),
        Err(closer_store::StoreError::NotFound) => Err(AppError::invalid(
            "owner_id",
            "is not a user of this workspace",
        )),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_hex_sha256() {
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
