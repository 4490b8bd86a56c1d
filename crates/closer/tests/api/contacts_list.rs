//! Listing contacts: filters, search, sort and cursor pages through the API.

use serde_json::{Value, json};

use crate::helpers::TestApp;

crate::on_both_backends!(list_filters_and_pages);

async fn list_filters_and_pages(app: TestApp) {
    for i in 0..7 {
        let stage = if i % 2 == 0 { "lead" } else { "prospect" };
        let company = if i < 3 { "Acme Corp" } else { "Globex" };
        let res = app
            .post_json(
                "/api/v1/contacts",
                &app.token,
                &json!({"email": format!("c{i}@example.com"), "company": company, "stage": stage}),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    let emails = |page: &Value| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["email"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let page: Value = app
        .get("/api/v1/contacts?stage=prospect", &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(emails(&page).len(), 3);
    let page: Value = app
        .get("/api/v1/contacts?q=ACME&sort=created", &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        emails(&page),
        ["c0@example.com", "c1@example.com", "c2@example.com"]
    );
    let page: Value = app
        .get("/api/v1/contacts?q=c6%40example", &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(emails(&page), ["c6@example.com"], "q matches emails");
    let page: Value = app
        .get(
            "/api/v1/contacts?owner=none&created_from=2000-01-01T00:00:00Z",
            &app.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(emails(&page).len(), 7);
    let page: Value = app
        .get(
            "/api/v1/contacts?created_to=2000-01-01T00:00:00Z",
            &app.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(emails(&page).is_empty());

    // Newest first, three at a time, every contact exactly once.
    let mut seen = Vec::new();
    let mut path = "/api/v1/contacts?limit=3".to_owned();
    loop {
        let page: Value = app.get(&path, &app.token).await.json().await.unwrap();
        seen.extend(emails(&page));
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/contacts?limit=3&cursor={c}"),
            None => break,
        }
    }
    let expected: Vec<_> = (0..7).rev().map(|i| format!("c{i}@example.com")).collect();
    assert_eq!(seen, expected);
}
