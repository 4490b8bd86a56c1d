//! Workspaces, tokens, users and forms on PostgreSQL.

use async_trait::async_trait;
use closer_domain::{FormId, FormKey, Slug, TokenId, UserId, WorkspaceId};
use closer_store::{
    Form, FormStore, StoreError, TokenRecord, TokenStore, User, UserStore, Workspace,
    WorkspaceStore,
};

use sqlx::postgres::PgRow;

use crate::PostgresStore;
use crate::error::db_err;

fn workspace(row: &PgRow) -> Result<Workspace, StoreError> {
    closer_store_sql::workspace(&crate::rows::Cols(row))
}

fn token(row: &PgRow) -> Result<TokenRecord, StoreError> {
    closer_store_sql::token(&crate::rows::Cols(row))
}

pub(crate) fn user(row: &PgRow) -> Result<User, StoreError> {
    closer_store_sql::user(&crate::rows::Cols(row))
}

fn form(row: &PgRow) -> Result<Form, StoreError> {
    closer_store_sql::form(&crate::rows::Cols(row))
}

#[async_trait]
impl WorkspaceStore for PostgresStore {
    async fn create_workspace(&self, ws: &Workspace) -> Result<(), StoreError> {
        sqlx::query("insert into workspaces (id, slug, name, default_region, created_at) values ($1, $2, $3, $4, $5)")
            .bind(ws.id.0)
            .bind(ws.slug.as_str())
            .bind(&ws.name)
            .bind(&ws.default_region)
            .bind(ws.created_at.get())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn ensure_workspace(&self, ws: &Workspace) -> Result<Workspace, StoreError> {
        sqlx::query(
            "insert into workspaces (id, slug, name, default_region, created_at) values ($1, $2, $3, $4, $5) \
             on conflict (slug) do nothing",
        )
        .bind(ws.id.0)
        .bind(ws.slug.as_str())
        .bind(&ws.name)
        .bind(&ws.default_region)
        .bind(ws.created_at.get())
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        self.workspace_by_slug(&ws.slug).await
    }

    async fn workspace_by_slug(&self, slug: &Slug) -> Result<Workspace, StoreError> {
        let row = sqlx::query("select * from workspaces where slug = $1")
            .bind(slug.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound)?;
        workspace(&row)
    }

    async fn workspace(&self, id: WorkspaceId) -> Result<Workspace, StoreError> {
        let row = sqlx::query("select * from workspaces where id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound)?;
        workspace(&row)
    }

    async fn list_workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
        let rows = sqlx::query("select * from workspaces order by slug")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter().map(workspace).collect()
    }
}

#[async_trait]
impl TokenStore for PostgresStore {
    async fn create_token(&self, t: &TokenRecord) -> Result<(), StoreError> {
        sqlx::query("insert into api_tokens (id, workspace_id, role, hash, label, created_at) values ($1, $2, $3, $4, $5, $6)")
            .bind(t.id.0)
            .bind(t.workspace_id.0)
            .bind(t.role.as_str())
            .bind(&t.hash)
            .bind(&t.label)
            .bind(t.created_at.get())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn list_tokens(&self, ws: WorkspaceId) -> Result<Vec<TokenRecord>, StoreError> {
        let rows =
            sqlx::query("select * from api_tokens where workspace_id = $1 order by created_at, id")
                .bind(ws.0)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
        rows.iter().map(token).collect()
    }

    async fn delete_token(&self, ws: WorkspaceId, id: TokenId) -> Result<(), StoreError> {
        let gone = sqlx::query("delete from api_tokens where workspace_id = $1 and id = $2")
            .bind(ws.0)
            .bind(id.0)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        if gone.rows_affected() == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        let row = sqlx::query("select * from api_tokens where hash = $1")
            .bind(hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.as_ref().map(token).transpose()
    }
}

#[async_trait]
impl UserStore for PostgresStore {
    async fn create_user(&self, u: &User) -> Result<(), StoreError> {
        sqlx::query("insert into users (id, workspace_id, email, name, role, created_at) values ($1, $2, $3, $4, $5, $6)")
            .bind(u.id.0)
            .bind(u.workspace_id.0)
            .bind(u.email.as_str())
            .bind(&u.name)
            .bind(&u.role)
            .bind(u.created_at.get())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn user(&self, ws: WorkspaceId, id: UserId) -> Result<User, StoreError> {
        let row = sqlx::query("select * from users where workspace_id = $1 and id = $2")
            .bind(ws.0)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound)?;
        user(&row)
    }

    async fn list_users(&self, ws: WorkspaceId) -> Result<Vec<User>, StoreError> {
        let rows =
            sqlx::query("select * from users where workspace_id = $1 order by created_at, id")
                .bind(ws.0)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
        rows.iter().map(user).collect()
    }
}

#[async_trait]
impl FormStore for PostgresStore {
    async fn create_form(&self, f: &Form) -> Result<(), StoreError> {
        sqlx::query("insert into forms (id, workspace_id, key, name, redirect_url, created_at) values ($1, $2, $3, $4, $5, $6)")
            .bind(f.id.0)
            .bind(f.workspace_id.0)
            .bind(f.key.as_str())
            .bind(&f.name)
            .bind(&f.redirect_url)
            .bind(f.created_at.get())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn form_by_key(&self, key: &FormKey) -> Result<Option<Form>, StoreError> {
        let row = sqlx::query("select * from forms where key = $1")
            .bind(key.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.as_ref().map(form).transpose()
    }

    async fn form(&self, ws: WorkspaceId, id: FormId) -> Result<Form, StoreError> {
        let row = sqlx::query("select * from forms where workspace_id = $1 and id = $2")
            .bind(ws.0)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound)?;
        form(&row)
    }

    async fn list_forms(&self, ws: WorkspaceId) -> Result<Vec<Form>, StoreError> {
        let rows =
            sqlx::query("select * from forms where workspace_id = $1 order by created_at, id")
                .bind(ws.0)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
        rows.iter().map(form).collect()
    }
}
