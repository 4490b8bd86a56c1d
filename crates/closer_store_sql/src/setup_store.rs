//! Workspaces, API tokens, users and forms: their statements are the same on both engines,
//! so the four ports are written here once, over `Engine` (implemented by `shared_ports!`).

use closer_domain::{FormId, FormKey, Slug, TokenId, UserId, WorkspaceId};
use closer_store::{Form, StoreError, TokenRecord, User, Workspace};

use crate::{Engine, Param};

pub async fn create_workspace(e: &impl Engine, ws: &Workspace) -> Result<(), StoreError> {
    e.execute(insert_workspace(e, ws, "")).await.map(drop)
}

fn insert_workspace(e: &impl Engine, ws: &Workspace, tail: &str) -> crate::Sql {
    e.sql(
        &format!(
            "insert into workspaces (id, slug, name, default_region, created_at) \
             values ($1, $2, $3, $4, $5){tail}"
        ),
        [
            ws.id.0.into(),
            ws.slug.as_str().into(),
            ws.name.as_str().into(),
            ws.default_region.as_deref().into(),
            ws.created_at.into(),
        ],
    )
}

/// The workspace with `ws`'s slug, created as `ws` if there is none (a race is no error).
pub async fn ensure_workspace(e: &impl Engine, ws: &Workspace) -> Result<Workspace, StoreError> {
    e.execute(insert_workspace(e, ws, " on conflict (slug) do nothing"))
        .await?;
    workspace_by_slug(e, &ws.slug).await
}

pub async fn workspace_by_slug(e: &impl Engine, slug: &Slug) -> Result<Workspace, StoreError> {
    let sql = e.sql(
        "select * from workspaces where slug = $1",
        [slug.as_str().into()],
    );
    e.fetch_one(sql, |r| crate::workspace(r)).await
}

pub async fn workspace(e: &impl Engine, id: WorkspaceId) -> Result<Workspace, StoreError> {
    let sql = e.sql("select * from workspaces where id = $1", [id.0.into()]);
    e.fetch_one(sql, |r| crate::workspace(r)).await
}

pub async fn list_workspaces(e: &impl Engine) -> Result<Vec<Workspace>, StoreError> {
    let sql = e.sql("select * from workspaces order by slug", []);
    e.fetch(sql, |r| crate::workspace(r)).await
}

pub async fn create_token(e: &impl Engine, t: &TokenRecord) -> Result<(), StoreError> {
    let sql = e.sql(
        "insert into api_tokens (id, workspace_id, role, hash, label, created_at) \
         values ($1, $2, $3, $4, $5, $6)",
        [
            t.id.0.into(),
            t.workspace_id.0.into(),
            t.role.as_str().into(),
            t.hash.as_str().into(),
            t.label.as_deref().into(),
            t.created_at.into(),
        ],
    );
    e.execute(sql).await.map(drop)
}

pub async fn list_tokens(e: &impl Engine, ws: WorkspaceId) -> Result<Vec<TokenRecord>, StoreError> {
    let sql = e.sql(
        "select * from api_tokens where workspace_id = $1 order by created_at, id",
        [ws.0.into()],
    );
    e.fetch(sql, |r| crate::token(r)).await
}

pub async fn delete_token(e: &impl Engine, ws: WorkspaceId, id: TokenId) -> Result<(), StoreError> {
    let sql = e.sql(
        "delete from api_tokens where workspace_id = $1 and id = $2",
        [ws.0.into(), id.0.into()],
    );
    match e.execute(sql).await? {
        0 => Err(StoreError::NotFound),
        _ => Ok(()),
    }
}

pub async fn token_by_hash(e: &impl Engine, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
    let sql = e.sql("select * from api_tokens where hash = $1", [hash.into()]);
    e.fetch_optional(sql, |r| crate::token(r)).await
}

pub async fn create_user(e: &impl Engine, u: &User) -> Result<(), StoreError> {
    let sql = e.sql(
        "insert into users (id, workspace_id, email, name, role, created_at) \
         values ($1, $2, $3, $4, $5, $6)",
        [
            u.id.0.into(),
            u.workspace_id.0.into(),
            u.email.as_str().into(),
            u.name.as_str().into(),
            u.role.as_str().into(),
            u.created_at.into(),
        ],
    );
    e.execute(sql).await.map(drop)
}

pub async fn user(e: &impl Engine, ws: WorkspaceId, id: UserId) -> Result<User, StoreError> {
    let sql = e.sql(
        "select * from users where workspace_id = $1 and id = $2",
        [ws.0.into(), id.0.into()],
    );
    e.fetch_one(sql, |r| crate::user(r)).await
}

pub async fn list_users(e: &impl Engine, ws: WorkspaceId) -> Result<Vec<User>, StoreError> {
    let sql = e.sql(
        "select * from users where workspace_id = $1 order by created_at, id",
        [ws.0.into()],
    );
    e.fetch(sql, |r| crate::user(r)).await
}

pub async fn create_form(e: &impl Engine, f: &Form) -> Result<(), StoreError> {
    let sql = e.sql(
        "insert into forms (id, workspace_id, key, name, redirect_url, created_at) \
         values ($1, $2, $3, $4, $5, $6)",
        [
            f.id.0.into(),
            f.workspace_id.0.into(),
            f.key.as_str().into(),
            f.name.as_str().into(),
            Param::from(f.redirect_url.as_deref()),
            f.created_at.into(),
        ],
    );
    e.execute(sql).await.map(drop)
}

pub async fn form_by_key(e: &impl Engine, key: &FormKey) -> Result<Option<Form>, StoreError> {
    let sql = e.sql("select * from forms where key = $1", [key.as_str().into()]);
    e.fetch_optional(sql, |r| crate::form(r)).await
}

pub async fn form(e: &impl Engine, ws: WorkspaceId, id: FormId) -> Result<Form, StoreError> {
    let sql = e.sql(
        "select * from forms where workspace_id = $1 and id = $2",
        [ws.0.into(), id.0.into()],
    );
    e.fetch_one(sql, |r| crate::form(r)).await
}

pub async fn list_forms(e: &impl Engine, ws: WorkspaceId) -> Result<Vec<Form>, StoreError> {
    let sql = e.sql(
        "select * from forms where workspace_id = $1 order by created_at, id",
        [ws.0.into()],
    );
    e.fetch(sql, |r| crate::form(r)).await
}
