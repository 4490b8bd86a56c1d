//! Plain records the ports read and write (workspaces, tokens, users, forms). Contacts and
//! events are domain types (`closer_domain`).

use closer_domain::{FormId, FormKey, Role, Slug, Timestamp, TokenId, UserId, WorkspaceId};

#[derive(Debug, Clone, PartialEq)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub slug: Slug,
    pub name: String,
    /// ISO 3166-1 alpha-2 code used to read national phone numbers, if set.
    pub default_region: Option<String>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TokenRecord {
    pub id: TokenId,
    pub workspace_id: WorkspaceId,
    pub role: Role,
    /// Hex SHA-256 of the secret.
    pub hash: String,
    pub label: Option<String>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    pub workspace_id: WorkspaceId,
    pub email: closer_domain::Email,
    pub name: String,
    /// `admin`, `manager`, `rep` or `marketer`: what each may do is `closer_domain::access`.
    pub role: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    pub id: FormId,
    pub workspace_id: WorkspaceId,
    pub key: FormKey,
    pub name: String,
    /// Where an HTML form post is sent after success (303); none shows a thank-you page.
    pub redirect_url: Option<String>,
    pub created_at: Timestamp,
}
