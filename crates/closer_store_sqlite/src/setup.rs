//! Workspaces, tokens, users and forms on SQLite: writes on the writer thread, reads on the
//! read pool.

use async_trait::async_trait;
use closer_domain::{FormId, FormKey, Slug, TokenId, UserId, WorkspaceId};
use closer_store::{
    Form, FormStore, StoreError, TokenRecord, TokenStore, User, UserStore, Workspace,
    WorkspaceStore,
};

use rusqlite::{Row, params};

use crate::SqliteStore;
use crate::error::rs_err;
use crate::read::{all, one, optional};

fn workspace(row: &Row<'_>) -> Result<Workspace, StoreError> {
    closer_store_sql::workspace(&crate::rows::Cols(row))
}

fn token(row: &Row<'_>) -> Result<TokenRecord, StoreError> {
    closer_store_sql::token(&crate::rows::Cols(row))
}

pub(crate) fn user(row: &Row<'_>) -> Result<User, StoreError> {
    closer_store_sql::user(&crate::rows::Cols(row))
}

fn form(row: &Row<'_>) -> Result<Form, StoreError> {
    closer_store_sql::form(&crate::rows::Cols(row))
}

#[async_trait]
impl WorkspaceStore for SqliteStore {
    async fn create_workspace(&self, ws: &Workspace) -> Result<(), StoreError> {
        let ws = ws.clone();
        self.writer
            .write(move |conn| {
                conn.prepare_cached("insert into workspaces (id, slug, name, default_region, created_at) values (?1, ?2, ?3, ?4, ?5)")
                    .and_then(|mut s| s.execute(params![ws.id.0, ws.slug.as_str(), ws.name, ws.default_region, ws.created_at.unix_micros()]))
                    .map_err(rs_err)?;
                Ok(())
            })
            .await
    }

    async fn ensure_workspace(&self, ws: &Workspace) -> Result<Workspace, StoreError> {
        let (slug, ws) = (ws.slug.clone(), ws.clone());
        self.writer
            .write(move |conn| {
                conn.prepare_cached(
                    "insert into workspaces (id, slug, name, default_region, created_at) values (?1, ?2, ?3, ?4, ?5) \
                     on conflict (slug) do nothing",
                )
                .and_then(|mut s| s.execute(params![ws.id.0, ws.slug.as_str(), ws.name, ws.default_region, ws.created_at.unix_micros()]))
                .map_err(rs_err)?;
                Ok(())
            })
            .await?;
        self.workspace_by_slug(&slug).await
    }

    async fn workspace_by_slug(&self, slug: &Slug) -> Result<Workspace, StoreError> {
        let slug = slug.as_str().to_owned();
        self.read(move |c| {
            one(
                c,
                "select * from workspaces where slug = ?1",
                [slug],
                workspace,
            )
        })
        .await
    }

    async fn workspace(&self, id: WorkspaceId) -> Result<Workspace, StoreError> {
        self.read(move |c| {
            one(
                c,
                "select * from workspaces where id = ?1",
                [id.0],
                workspace,
            )
        })
        .await
    }

    async fn list_workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
        self.read(|c| all(c, "select * from workspaces order by slug", [], workspace))
            .await
    }
}

#[async_trait]
impl TokenStore for SqliteStore {
    async fn create_token(&self, t: &TokenRecord) -> Result<(), StoreError> {
        let t = t.clone();
        self.writer
            .write(move |conn| {
                conn.prepare_cached("insert into api_tokens (id, workspace_id, role, hash, label, created_at) values (?1, ?2, ?3, ?4, ?5, ?6)")
                    .and_then(|mut s| s.execute(params![t.id.0, t.workspace_id.0, t.role.as_str(), t.hash, t.label, t.created_at.unix_micros()]))
                    .map_err(rs_err)?;
                Ok(())
            })
            .await
    }

    async fn list_tokens(&self, ws: WorkspaceId) -> Result<Vec<TokenRecord>, StoreError> {
        self.read(move |c| {
            all(
                c,
                "select * from api_tokens where workspace_id = ?1 order by created_at, id",
                [ws.0],
                token,
            )
        })
        .await
    }

    async fn delete_token(&self, ws: WorkspaceId, id: TokenId) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| {
                let gone = conn
                    .prepare_cached("delete from api_tokens where workspace_id = ?1 and id = ?2")
                    .and_then(|mut s| s.execute(params![ws.0, id.0]))
                    .map_err(rs_err)?;
                if gone == 0 {
                    Err(StoreError::NotFound)
                } else {
                    Ok(())
                }
            })
            .await
    }

    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        let hash = hash.to_owned();
        self.read(move |c| optional(c, "select * from api_tokens where hash = ?1", [hash], token))
            .await
    }
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn create_user(&self, u: &User) -> Result<(), StoreError> {
        let u = u.clone();
        self.writer
            .write(move |conn| {
                conn.prepare_cached("insert into users (id, workspace_id, email, name, role, created_at) values (?1, ?2, ?3, ?4, ?5, ?6)")
                    .and_then(|mut s| s.execute(params![u.id.0, u.workspace_id.0, u.email.as_str(), u.name, u.role, u.created_at.unix_micros()]))
                    .map_err(rs_err)?;
                Ok(())
            })
            .await
    }

    async fn user(&self, ws: WorkspaceId, id: UserId) -> Result<User, StoreError> {
        self.read(move |c| {
            one(
                c,
                "select * from users where workspace_id = ?1 and id = ?2",
                [ws.0, id.0],
                user,
            )
        })
        .await
    }

    async fn list_users(&self, ws: WorkspaceId) -> Result<Vec<User>, StoreError> {
        self.read(move |c| {
            all(
                c,
                "select * from users where workspace_id = ?1 order by created_at, id",
                [ws.0],
                user,
            )
        })
        .await
    }
}

#[async_trait]
impl FormStore for SqliteStore {
    async fn create_form(&self, f: &Form) -> Result<(), StoreError> {
        let f = f.clone();
        self.writer
            .write(move |conn| {
                conn.prepare_cached("insert into forms (id, workspace_id, key, name, redirect_url, created_at) values (?1, ?2, ?3, ?4, ?5, ?6)")
                    .and_then(|mut s| s.execute(params![f.id.0, f.workspace_id.0, f.key.as_str(), f.name, f.redirect_url, f.created_at.unix_micros()]))
                    .map_err(rs_err)?;
                Ok(())
            })
            .await
    }

    async fn form_by_key(&self, key: &FormKey) -> Result<Option<Form>, StoreError> {
        let key = key.as_str().to_owned();
        self.read(move |c| optional(c, "select * from forms where key = ?1", [key], form))
            .await
    }

    async fn form(&self, ws: WorkspaceId, id: FormId) -> Result<Form, StoreError> {
        self.read(move |c| {
            one(
                c,
                "select * from forms where workspace_id = ?1 and id = ?2",
                [ws.0, id.0],
                form,
            )
        })
        .await
    }

    async fn list_forms(&self, ws: WorkspaceId) -> Result<Vec<Form>, StoreError> {
        self.read(move |c| {
            all(
                c,
                "select * from forms where workspace_id = ?1 order by created_at, id",
                [ws.0],
                form,
            )
        })
        .await
    }
}
