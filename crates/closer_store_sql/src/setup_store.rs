//! Workspaces, API tokens, users and forms: their statements are the same on both engines,
//! so the four ports are written here once, over `Engine`, and each adapter takes them with
//! `setup_ports!(ItsStore)`.

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

/// Implements `WorkspaceStore`, `TokenStore`, `UserStore` and `FormStore` for an adapter's
/// store (which implements `Engine`) by the functions of this module.
#[macro_export]
macro_rules! setup_ports {
    ($store:ty) => {
        #[$crate::async_trait]
        impl closer_store::WorkspaceStore for $store {
            async fn create_workspace(
                &self,
                ws: &closer_store::Workspace,
            ) -> Result<(), closer_store::StoreError> {
                $crate::setup_store::create_workspace(self, ws).await
            }
            async fn ensure_workspace(
                &self,
                ws: &closer_store::Workspace,
            ) -> Result<closer_store::Workspace, closer_store::StoreError> {
                $crate::setup_store::ensure_workspace(self, ws).await
            }
            async fn workspace_by_slug(
                &self,
                slug: &closer_domain::Slug,
            ) -> Result<closer_store::Workspace, closer_store::StoreError> {
                $crate::setup_store::workspace_by_slug(self, slug).await
            }
            async fn workspace(
                &self,
                id: closer_domain::WorkspaceId,
            ) -> Result<closer_store::Workspace, closer_store::StoreError> {
                $crate::setup_store::workspace(self, id).await
            }
            async fn list_workspaces(
                &self,
            ) -> Result<Vec<closer_store::Workspace>, closer_store::StoreError> {
                $crate::setup_store::list_workspaces(self).await
            }
        }

        #[$crate::async_trait]
        impl closer_store::TokenStore for $store {
            async fn create_token(
                &self,
                t: &closer_store::TokenRecord,
            ) -> Result<(), closer_store::StoreError> {
                $crate::setup_store::create_token(self, t).await
            }
            async fn list_tokens(
                &self,
                ws: closer_domain::WorkspaceId,
            ) -> Result<Vec<closer_store::TokenRecord>, closer_store::StoreError> {
                $crate::setup_store::list_tokens(self, ws).await
            }
            async fn delete_token(
                &self,
                ws: closer_domain::WorkspaceId,
                id: closer_domain::TokenId,
            ) -> Result<(), closer_store::StoreError> {
                $crate::setup_store::delete_token(self, ws, id).await
            }
            async fn token_by_hash(
                &self,
                hash: &str,
            ) -> Result<Option<closer_store::TokenRecord>, closer_store::StoreError> {
                $crate::setup_store::token_by_hash(self, hash).await
            }
        }

        #[$crate::async_trait]
        impl closer_store::UserStore for $store {
            async fn create_user(
                &self,
                u: &closer_store::User,
            ) -> Result<(), closer_store::StoreError> {
                $crate::setup_store::create_user(self, u).await
            }
            async fn user(
                &self,
                ws: closer_domain::WorkspaceId,
                id: closer_domain::UserId,
            ) -> Result<closer_store::User, closer_store::StoreError> {
                $crate::setup_store::user(self, ws, id).await
            }
            async fn list_users(
                &self,
                ws: closer_domain::WorkspaceId,
            ) -> Result<Vec<closer_store::User>, closer_store::StoreError> {
                $crate::setup_store::list_users(self, ws).await
            }
        }

        #[$crate::async_trait]
        impl closer_store::FormStore for $store {
            async fn create_form(
                &self,
                f: &closer_store::Form,
            ) -> Result<(), closer_store::StoreError> {
                $crate::setup_store::create_form(self, f).await
            }
            async fn form_by_key(
                &self,
                key: &closer_domain::FormKey,
            ) -> Result<Option<closer_store::Form>, closer_store::StoreError> {
                $crate::setup_store::form_by_key(self, key).await
            }
            async fn form(
                &self,
                ws: closer_domain::WorkspaceId,
                id: closer_domain::FormId,
            ) -> Result<closer_store::Form, closer_store::StoreError> {
                $crate::setup_store::form(self, ws, id).await
            }
            async fn list_forms(
                &self,
                ws: closer_domain::WorkspaceId,
            ) -> Result<Vec<closer_store::Form>, closer_store::StoreError> {
                $crate::setup_store::list_forms(self, ws).await
            }
        }
    };
}
