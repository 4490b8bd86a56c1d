//! Access: bearer tokens, roles, and workspaces that never see each other.

use serde_json::json;

use crate::helpers::{TestApp, problem};

crate::on_both_backends!(
    api_needs_a_valid_token,
    revoked_tokens_stop_working_at_once,
    members_cannot_manage_forms,
    other_workspaces_records_are_invisible
);

async fn revoked_tokens_stop_working_at_once(app: TestApp) {
    let token = app
        .app
        .access()
        .create_token(
            "default",
            closer_domain::Role::Member,
            Some("zapier".into()),
        )
        .await
        .unwrap();
    assert_eq!(
        app.get("/api/v1/contacts", &token.secret).await.status(),
        200
    );
    let listed = app.app.access().list_tokens("default").await.unwrap();
    assert!(
        listed
            .iter()
            .any(|t| t.id == token.record.id && t.label.as_deref() == Some("zapier"))
    );
    assert!(
        app.app
            .access()
            .revoke_token("other", &token.record.id.to_string())
            .await
            .is_err(),
        "not from another workspace"
    );
    app.app
        .access()
        .revoke_token("default", &token.record.id.to_string())
        .await
        .unwrap();
    problem(
        app.get("/api/v1/contacts", &token.secret).await,
        401,
        "revoked token",
    )
    .await;
    assert_eq!(
        app.get("/api/v1/contacts", &app.token).await.status(),
        200,
        "other tokens keep working"
    );
}

async fn api_needs_a_valid_token(app: TestApp) {
    let url = app.url("/api/v1/contacts");
    let res = app.client.get(&url).send().await.unwrap();
    assert_eq!(res.headers().get("www-authenticate").unwrap(), "Bearer");
    problem(res, 401, "no token").await;
    let cases = [
        ("Bearer clsr_".to_owned() + &"0".repeat(64), "unknown token"),
        ("Bearer nonsense".to_owned(), "malformed token"),
        (format!("Basic {}", app.token), "wrong scheme"),
        (app.token.clone(), "no scheme"),
    ];
    for (header, why) in cases {
        let res = app
            .client
            .get(&url)
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        problem(res, 401, why).await;
    }
    let res = app
        .client
        .get(&url)
        .header("authorization", format!("bearer {}", app.token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the scheme is case-insensitive");
}

async fn members_cannot_manage_forms(app: TestApp) {
    let res = app
        .post_json("/api/v1/forms", &app.member, &json!({"name": "x"}))
        .await;
    problem(res, 403, "member creates a form").await;
    assert_eq!(
        app.get("/api/v1/forms", &app.member).await.status(),
        200,
        "members may list forms"
    );
    let res = app
        .post_json(
            "/api/v1/contacts",
            &app.member,
            &json!({"email": "m@example.com"}),
        )
        .await;
    assert_eq!(res.status(), 201, "members work contacts");
}

async fn other_workspaces_records_are_invisible(app: TestApp) {
    let created: serde_json::Value = app
        .post_json(
            "/api/v1/contacts",
            &app.token,
            &json!({"email": "mine@example.com"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let path = format!("/api/v1/contacts/{id}");
    problem(app.get(&path, &app.other).await, 404, "get").await;
    problem(
        app.get(&format!("{path}/events"), &app.other).await,
        404,
        "events",
    )
    .await;
    problem(
        app.patch_json(&path, &app.other, &json!({"name": "x"}))
            .await,
        404,
        "patch",
    )
    .await;
    problem(app.delete(&path, &app.other).await, 404, "delete").await;
    let listed: serde_json::Value = app
        .get("/api/v1/contacts", &app.other)
        .await
        .json()
        .await
        .unwrap();
    assert!(listed["items"].as_array().unwrap().is_empty());
    let form = app.form("Mine", None).await;
    problem(
        app.get(
            &format!("/api/v1/forms/{}", form["id"].as_str().unwrap()),
            &app.other,
        )
        .await,
        404,
        "form",
    )
    .await;
    // The same email in the other workspace is a different person record.
    let theirs = app
        .post_json(
            "/api/v1/contacts",
            &app.other,
            &json!({"email": "mine@example.com"}),
        )
        .await;
    assert_eq!(theirs.status(), 201);
    let mine: serde_json::Value = app.get(&path, &app.token).await.json().await.unwrap();
    assert_eq!(mine["name"], serde_json::Value::Null, "untouched");
}
