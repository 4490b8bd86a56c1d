//! Bad input on the contact API: every case answers a precise 4xx problem and writes nothing.

use serde_json::json;

use crate::helpers::{TestApp, fields, problem};

crate::on_both_backends!(
    bad_bodies_are_refused_and_write_nothing,
    bad_queries_and_ids_are_refused
);

async fn bad_bodies_are_refused_and_write_nothing(app: TestApp) {
    let url = app.url("/api/v1/contacts");
    // (body, content type, status, offending fields, why)
    let cases: Vec<(String, &str, u16, &[&str], &str)> = vec![
        (
            "{\"email\": ".into(),
            "application/json",
            400,
            &[],
            "truncated JSON",
        ),
        (
            "{\"email\": \"a@example.com\"} trailing".into(),
            "application/json",
            400,
            &[],
            "trailing garbage",
        ),
        (
            "not json at all".into(),
            "application/json",
            400,
            &[],
            "not JSON",
        ),
        (
            json!({"email": 42}).to_string(),
            "application/json",
            422,
            &["email"],
            "wrong type",
        ),
        (
            json!({"emails": "a@example.com"}).to_string(),
            "application/json",
            422,
            &["emails"],
            "string for a list",
        ),
        (
            json!({"email": "a@example.com", "favourite": 1}).to_string(),
            "application/json",
            422,
            &["favourite"],
            "unknown field",
        ),
        (
            json!({"consent": {"granted": true, "when": "now"}}).to_string(),
            "application/json",
            422,
            &["consent.when"],
            "unknown nested field",
        ),
        (
            json!([1, 2]).to_string(),
            "application/json",
            422,
            &["body"],
            "not an object",
        ),
        (
            json!({"email": "not-an-email"}).to_string(),
            "application/json",
            422,
            &["emails[0]"],
            "invalid email",
        ),
        (
            json!({"email": "a@example.com", "phone": "12"}).to_string(),
            "application/json",
            422,
            &["phones[0]"],
            "invalid phone",
        ),
        (
            json!({"phone": "650 253 0000"}).to_string(),
            "application/json",
            422,
            &["phones[0]"],
            "national phone, no country",
        ),
        (
            json!({"email": "a@example.com", "stage": "visitor"}).to_string(),
            "application/json",
            422,
            &["stage"],
            "unknown stage",
        ),
        (
            json!({"email": "a@example.com", "properties": [1]}).to_string(),
            "application/json",
            422,
            &["properties"],
            "properties not an object",
        ),
        (
            json!({"email": "a@example.com", "owner_id": "nope"}).to_string(),
            "application/json",
            422,
            &["owner_id"],
            "owner not a uuid",
        ),
        (
            json!({"email": "a@example.com", "owner_id": uuid::Uuid::now_v7()}).to_string(),
            "application/json",
            422,
            &["owner_id"],
            "owner not a user",
        ),
        (
            json!({"email": "a@example.com", "name": "x".repeat(501)}).to_string(),
            "application/json",
            422,
            &["name"],
            "name too long",
        ),
        (
            json!({"email": "a@example.com", "name": "Bad\u{0}Name"}).to_string(),
            "application/json",
            422,
            &["name"],
            "control characters",
        ),
        (
            json!({"email": "a@example.com", "consent": {"granted": true, "at": "yesterday"}})
                .to_string(),
            "application/json",
            422,
            &["consent.at"],
            "bad consent time",
        ),
        (
            json!({"emails": (0..11).map(|i| format!("e{i}@example.com")).collect::<Vec<_>>()})
                .to_string(),
            "application/json",
            422,
            &["emails"],
            "too many emails",
        ),
        (
            json!({"email": "bad", "phone": "1", "stage": "x"}).to_string(),
            "application/json",
            422,
            &["emails[0]", "phones[0]", "stage"],
            "every error at once",
        ),
        (
            "email=a@example.com".into(),
            "application/x-www-form-urlencoded",
            415,
            &[],
            "form body on the JSON API",
        ),
        (
            json!({"email": "a@example.com"}).to_string(),
            "text/plain",
            415,
            &[],
            "wrong content type",
        ),
        (
            format!(
                "{{\"email\": \"a@example.com\", \"name\": \"{}\"}}",
                "x".repeat(70_000)
            ),
            "application/json",
            413,
            &[],
            "oversized",
        ),
    ];
    for (body, ct, status, expected_fields, why) in cases {
        let res = app
            .client
            .post(&url)
            .bearer_auth(&app.token)
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap();
        let p = problem(res, status, why).await;
        assert_eq!(fields(&p), expected_fields, "{why}: fields in {p}");
    }
    assert_eq!(app.contact_count().await, 0, "nothing was written");

    // Edits are held to the same rules.
    let c: serde_json::Value = app
        .post_json(
            "/api/v1/contacts",
            &app.token,
            &json!({"email": "edit@example.com"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let path = format!("/api/v1/contacts/{}", c["id"].as_str().unwrap());
    let p = problem(
        app.patch_json(
            &path,
            &app.token,
            &json!({"emails": ["nope"], "stage": "nope"}),
        )
        .await,
        422,
        "bad patch",
    )
    .await;
    assert_eq!(fields(&p), ["emails[0]", "stage"]);
    let p = problem(
        app.patch_json(&path, &app.token, &json!({"id": "x"})).await,
        422,
        "patching the id",
    )
    .await;
    assert_eq!(fields(&p), ["id"]);
    let after: serde_json::Value = app.get(&path, &app.token).await.json().await.unwrap();
    assert_eq!(after["stage"], "lead");
}

async fn bad_queries_and_ids_are_refused(app: TestApp) {
    let cases = [
        (
            "/api/v1/contacts?stgae=lead",
            400,
            "stgae",
            "misspelt parameter",
        ),
        (
            "/api/v1/contacts?stage=visitor",
            400,
            "stage",
            "unknown stage",
        ),
        ("/api/v1/contacts?sort=name", 400, "sort", "unknown sort"),
        ("/api/v1/contacts?limit=0", 422, "limit", "limit too small"),
        (
            "/api/v1/contacts?limit=201",
            422,
            "limit",
            "limit too large",
        ),
        (
            "/api/v1/contacts?limit=ten",
            400,
            "limit",
            "limit not a number",
        ),
        (
            "/api/v1/contacts?cursor=abc",
            400,
            "cursor",
            "forged cursor",
        ),
        (
            "/api/v1/contacts?owner=bob",
            400,
            "owner",
            "owner not a uuid",
        ),
        (
            "/api/v1/contacts?created_from=yesterday",
            400,
            "created_from",
            "bad time",
        ),
        (
            "/api/v1/contacts?created_from=2026-02-01T00:00:00Z&created_to=2026-01-01T00:00:00Z",
            422,
            "created_from",
            "inverted range",
        ),
        ("/api/v1/contacts/not-a-uuid", 400, "id", "bad id"),
        (
            "/api/v1/contacts/not-a-uuid/events",
            400,
            "id",
            "bad id on events",
        ),
        ("/api/v1/forms/42", 400, "id", "bad form id"),
    ];
    for (path, status, field, why) in cases {
        let p = problem(app.get(path, &app.token).await, status, why).await;
        assert_eq!(fields(&p), [field], "{why}");
    }
    let missing = format!("/api/v1/contacts/{}", uuid::Uuid::now_v7());
    problem(app.get(&missing, &app.token).await, 404, "unknown id").await;
}
