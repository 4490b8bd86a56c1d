//! Workspaces, tokens, users and forms on SQLite: writes on the writer thread, reads on the
//! sqlx read pool.

use async_trait::async_trait;
use closer_domain::{FormId, FormKey, Slug, TokenId, UserId, WorkspaceId};
use closer_store::{
    Form, FormStore, StoreError, TokenRecord, TokenStore, User, UserStore, Workspace,
    WorkspaceStore,
};

use sqlx::sqlite::SqliteRow;

use crate::SqliteStore;
use rusqlite::params;

use crate::error::{db_err, rs_err};

fn workspace(row: &SqliteRow) -> Result<Workspace, StoreError> {
    closer_store_sql::workspace(&crate::rows::Cols(row))
}

fn token(row: &SqliteRow) -> Result<TokenRecord, StoreError> {
    closer_store_sql::token(&crate::rows::Cols(row))
}

pub(crate) fn user(row: &SqliteRow) -> Result<User, StoreError> {
    closer_store_sql::user(&crate::rows::Cols(row))
}

fn form(row: &SqliteRow) -> Result<Form, StoreError> {
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
        let row = sqlx::query("select * from workspaces where slug = ?")
            .bind(slug.as_str())
            .fetch_optional(&self.reader)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound)?;
        workspace(&row)
    }

    async fn workspace(&self, id: WorkspaceId) -> Result<Workspace, StoreError> {
        let row = sqlx::query("select * from workspaces where id = ?")
            .bind(id.0)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound)?;
        workspace(&row)
    }

    async fn list_workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
        let rows = sqlx::query("select * from workspaces order by slug")
            .fetch_all(&self.reader)
            .await
            .map_err(db_err)?;
        rows.iter().map(workspace).collect()
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
        let rows =
            sqlx::query("select * from api_tokens where workspace_id = ? order by created_at, id")
                .bind(ws.0)
                .fetch_all(&self.reader)
                .await
                .map_err(db_err)?;
        rows.iter().map(token).collect()
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
        let row = sqlx::query("select * from api_tokens where hash = ?")
            .bind(hash)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_err)?;
        row.as_ref().map(token).transpose()
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
        let row = sqlx::query("select * from users where workspace_id = ? and id = ?")
            .bind(ws.0)
            .bind(id.0)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound)?;
        user(&row)
    }

    async fn list_users(&self, ws: WorkspaceId) -> Result<Vec<User>, StoreError> {
        let rows =
            sqlx::query("select * from users where workspace_id = ? order by created_at, id")
                .bind(ws.0)
                .fetch_all(&self.reader)
                .await
                .map_err(db_err)?;
        rows.iter().map(user).collect()
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
        let row = sqlx::query("select * from forms where key = ?")
            .bind(key.as_str())
            .fetch_optional(&self.reader)
            .await
            .map_err(db_err)?;
        row.as_ref().map(form).transpose()
    }

    async fn form(&self, ws: WorkspaceId, id: FormId) -> Result<Form, StoreError> {
        let row = sqlx::query("select * from forms where workspace_id = ? and id = ?")
            .bind(ws.0)
            .bind(id.0)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound)?;
        form(&row)
    }

    async fn list_forms(&self, ws: WorkspaceId) -> Result<Vec<Form>, StoreError> {
        let rows =
            sqlx::query("select * from forms where workspace_id = ? order by created_at, id")
                .bind(ws.0)
                .fetch_all(&self.reader)
                .await
                .map_err(db_err)?;
        rows.iter().map(form).collect()
    }
}
