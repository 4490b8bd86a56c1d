//! Workspaces, API tokens, users and forms, from rows of their tables (`select *` order does
//! not matter: columns are read by name).

use closer_domain::{Email, FormId, FormKey, Role, Slug, TokenId, UserId, WorkspaceId};
use closer_store::{Form, StoreError, TokenRecord, User, Workspace};

use crate::{Columns, required};

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn text(row: &(impl Columns + ?Sized), column: &str) -> Result<String, StoreError> {
    required(column, row.text(column)?)
}

pub fn workspace(row: &(impl Columns + ?Sized)) -> Result<Workspace, StoreError> {
    Ok(Workspace {
        id: WorkspaceId(required("id", row.uuid("id")?)?),
        slug: Slug::parse(&text(row, "slug")?).map_err(corrupt)?,
        name: text(row, "name")?,
        default_region: row.text("default_region")?,
        created_at: required("created_at", row.timestamp("created_at")?)?,
    })
}

pub fn token(row: &(impl Columns + ?Sized)) -> Result<TokenRecord, StoreError> {
    Ok(TokenRecord {
        id: TokenId(required("id", row.uuid("id")?)?),
        workspace_id: WorkspaceId(required("workspace_id", row.uuid("workspace_id")?)?),
        role: Role::parse(&text(row, "role")?).map_err(corrupt)?,
        hash: text(row, "hash")?,
        label: row.text("label")?,
        created_at: required("created_at", row.timestamp("created_at")?)?,
    })
}

pub fn user(row: &(impl Columns + ?Sized)) -> Result<User, StoreError> {
    Ok(User {
        id: UserId(required("id", row.uuid("id")?)?),
        workspace_id: WorkspaceId(required("workspace_id", row.uuid("workspace_id")?)?),
        email: Email::parse(&text(row, "email")?).map_err(corrupt)?,
        name: text(row, "name")?,
        role: text(row, "role")?,
        created_at: required("created_at", row.timestamp("created_at")?)?,
    })
}

pub fn form(row: &(impl Columns + ?Sized)) -> Result<Form, StoreError> {
    Ok(Form {
        id: FormId(required("id", row.uuid("id")?)?),
        workspace_id: WorkspaceId(required("workspace_id", row.uuid("workspace_id")?)?),
        key: FormKey::parse(&text(row, "key")?).map_err(corrupt)?,
        name: text(row, "name")?,
        redirect_url: row.text("redirect_url")?,
        created_at: required("created_at", row.timestamp("created_at")?)?,
    })
}
