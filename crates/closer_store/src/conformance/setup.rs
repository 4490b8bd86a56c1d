//! Conformance: workspaces, tokens, users and forms.

use std::sync::Arc;

use closer_domain::{Email, FormId, FormKey, Role, Slug, Timestamp, TokenId, UserId, WorkspaceId};

use super::workspace;
use crate::{Form, Store, StoreError, TokenRecord, User, Workspace};

pub async fn workspaces_round_trip(store: Arc<dyn Store>) {
    let slug = Slug::parse(&format!(
        "ws-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..10]
    ))
    .unwrap();
    let ws = Workspace {
        id: WorkspaceId::new(),
        slug: slug.clone(),
        name: "Acme".into(),
        default_region: Some("US".into()),
        created_at: Timestamp::now(),
    };
    store.create_workspace(&ws).await.unwrap();
    assert_eq!(store.workspace_by_slug(&slug).await.unwrap(), ws);
    assert_eq!(store.workspace(ws.id).await.unwrap(), ws);

    let twin = Workspace {
        id: WorkspaceId::new(),
        ..ws.clone()
    };
    let err = store.create_workspace(&twin).await.unwrap_err();
    assert!(
        err.is_conflict_on("workspaces_slug_key"),
        "slug taken: {err:?}"
    );
    assert_eq!(
        store.ensure_workspace(&twin).await.unwrap(),
        ws,
        "ensure returns the stored one"
    );
    assert!(store.list_workspaces().await.unwrap().contains(&ws));

    let missing = Slug::parse("no-such-workspace-here").unwrap();
    assert!(matches!(
        store.workspace_by_slug(&missing).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.workspace(WorkspaceId::new()).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn tokens_round_trip(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "tok").await;
    let token = TokenRecord {
        id: TokenId::new(),
        workspace_id: ws,
        role: Role::Member,
        hash: format!("{:064x}", uuid::Uuid::new_v4().as_u128()),
        label: Some("zapier".into()),
        created_at: Timestamp::now(),
    };
    store.create_token(&token).await.unwrap();
    assert_eq!(
        store.token_by_hash(&token.hash).await.unwrap(),
        Some(token.clone())
    );
    assert_eq!(
        store.token_by_hash("0".repeat(64).as_str()).await.unwrap(),
        None
    );
    let dup = TokenRecord {
        id: TokenId::new(),
        ..token
    };
    assert!(
        store
            .create_token(&dup)
            .await
            .unwrap_err()
            .is_conflict_on("api_tokens_hash_key")
    );
}

pub async fn users_round_trip(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "users").await;
    let other = workspace(&*store, "users-other").await;
    let user = User {
        id: UserId::new(),
        workspace_id: ws,
        email: Email::parse("rep@acme.example.com").unwrap(),
        name: "Rita Rep".into(),
        role: "rep".into(),
        created_at: Timestamp::now(),
    };
    store.create_user(&user).await.unwrap();
    assert_eq!(store.user(ws, user.id).await.unwrap(), user);
    assert!(matches!(
        store.user(other, user.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.list_users(ws).await.unwrap(), vec![user.clone()]);
    assert!(store.list_users(other).await.unwrap().is_empty());
    let dup = User {
        id: UserId::new(),
        ..user.clone()
    };
    assert!(
        store
            .create_user(&dup)
            .await
            .unwrap_err()
            .is_conflict_on("users_email_key")
    );
    // The same email may be a user of another workspace.
    store
        .create_user(&User {
            id: UserId::new(),
            workspace_id: other,
            ..user
        })
        .await
        .unwrap();
}

pub async fn forms_round_trip(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "forms").await;
    let other = workspace(&*store, "forms-other").await;
    let form = Form {
        id: FormId::new(),
        workspace_id: ws,
        key: FormKey::parse(&uuid::Uuid::new_v4().simple().to_string()[..20]).unwrap(),
        name: "Demo request".into(),
        redirect_url: Some("https://acme.example.com/thanks".into()),
        created_at: Timestamp::now(),
    };
    store.create_form(&form).await.unwrap();
    assert_eq!(
        store.form_by_key(&form.key).await.unwrap(),
        Some(form.clone())
    );
    assert_eq!(store.form(ws, form.id).await.unwrap(), form);
    assert!(matches!(
        store.form(other, form.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.list_forms(ws).await.unwrap(), vec![form.clone()]);
    assert!(store.list_forms(other).await.unwrap().is_empty());
    assert_eq!(
        store
            .form_by_key(&FormKey::parse("nosuchkey123").unwrap())
            .await
            .unwrap(),
        None
    );
    let dup = Form {
        id: FormId::new(),
        ..form
    };
    assert!(
        store
            .create_form(&dup)
            .await
            .unwrap_err()
            .is_conflict_on("forms_key_key")
    );
}
