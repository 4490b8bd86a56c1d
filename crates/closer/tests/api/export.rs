//! Exports: a workspace's contacts, companies and deals as CSV and JSON lines, over the API
//! (streamed, pages past the first) and the terminal; formulas never live in a cell; nothing
//! of another workspace.

use serde_json::{Value, json};

use crate::helpers::{TestApp, closer};

crate::on_both_backends!(a_workspace_exports_its_records);

async fn a_workspace_exports_its_records(app: TestApp) {
    // More contacts than one page of the export (1,000).
    for start in (0..1_005).step_by(50) {
        let posts = (start..(start + 50).min(1_005)).map(|i| {
            let app = &app;
            async move {
                let res = app
                    .post_json(
                        "/api/v1/contacts",
                        &app.token,
                        &json!({"email": format!("p{i}@acme.example"), "name": format!("Person {i}")}),
                    )
                    .await;
                assert!(res.status().is_success());
            }
        });
        futures::future::join_all(posts).await;
    }
    let res = app
        .post_json(
            "/api/v1/contacts",
            &app.token,
            &json!({"email": "evil@acme.example", "name": "=HYPERLINK(\"https://evil.example\")",
                    "properties": {"tier": "gold"}}),
        )
        .await;
    let evil: Value = res.json().await.unwrap();
    let res = app
        .post_json(
            "/api/v1/companies",
            &app.token,
            &json!({"name": "Acme", "domains": ["acme.example"]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = app
        .post_json(
            "/api/v1/deals",
            &app.token,
            &json!({"contact_id": evil["id"], "title": "Deal", "amount": "10", "currency": "EUR"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    app.post_json(
        "/api/v1/contacts",
        &app.other,
        &json!({"email": "theirs@other.example"}),
    )
    .await;

    let res = app.get("/api/v1/export/contacts", &app.token).await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = res.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(&header[..4], ["id", "name", "emails", "phones"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1_006, "every contact once, across pages");
    let evil_row = rows
        .iter()
        .find(|r| r.get(0) == evil["id"].as_str())
        .unwrap();
    assert!(
        evil_row.get(1).unwrap().starts_with("'="),
        "a formula is text"
    );
    assert!(evil_row.get(5).unwrap().len() == 36, "its company id");
    assert!(!text.contains("theirs@other.example"));

    let jsonl = app
        .get("/api/v1/export/contacts?format=jsonl", &app.token)
        .await
        .text()
        .await
        .unwrap();
    let lines: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1_006);
    let companies = app
        .get("/api/v1/export/companies", &app.token)
        .await
        .text()
        .await
        .unwrap();
    assert!(companies.lines().nth(1).unwrap().contains("acme.example"));
    let deals = app
        .get("/api/v1/export/deals?format=jsonl", &app.token)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(deals.lines().count(), 1);

    // Compressed, as browsers and most clients ask: the stream ends cleanly.
    let res = app
        .client
        .get(app.url("/api/v1/export/contacts"))
        .bearer_auth(&app.token)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(!res.bytes().await.expect("a whole body").is_empty());

    // The work around them: one order, the deal's activities none, a task.
    let res = app
        .post_json(
            "/api/v1/orders",
            &app.token,
            &json!({"contact_id": evil["id"], "currency": "EUR",
                    "lines": [{"product": "Box", "quantity": 2, "unit_price": "9.50"}]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = app
        .post_json(
            &format!(
                "/api/v1/contacts/{}/activities",
                evil["id"].as_str().unwrap()
            ),
            &app.token,
            &json!({"kind": "call", "text": "Left a message"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let orders = app
        .get("/api/v1/export/orders", &app.token)
        .await
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(orders.as_bytes());
    let order: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(order.len(), 1);
    assert_eq!(order[0].get(4), Some("19.00"), "the total");
    assert!(order[0].get(8).unwrap().contains("\"product\":\"Box\""));
    let activities = app
        .get("/api/v1/export/activities?format=jsonl", &app.token)
        .await
        .text()
        .await
        .unwrap();
    assert!(activities.contains("Left a message"));
    // The web app offers the same downloads.
    crate::web_app::user(&app, "owner@acme.example", "admin").await;
    let mut web = crate::web_app::Session::new(&app);
    web.sign_in("owner@acme.example", crate::web_app::PASSWORD)
        .await;
    let settings = web.get("/settings").await;
    assert!(settings.body.contains("/export/orders?format=jsonl"));
    let download = web.get("/export/contacts").await;
    assert_eq!(download.status, 200);
    assert_eq!(
        download.body.lines().count(),
        1_007,
        "the header and every contact"
    );

    // A rep sees only their own work: the workspace's orders are not theirs to export.
    let rep = crate::web_app::user(&app, "rep@acme.example", "rep").await;
    let as_rep = closer_app::Principal {
        workspace_id: app.default_workspace().await,
        role: closer_domain::UserRole::Rep,
        by: closer_app::Actor::User(rep.id),
    };
    let (tx, _rx) = tokio::sync::mpsc::channel(4);
    let refused = app
        .app
        .exports()
        .write(
            &as_rep,
            closer_app::export::Entity::Orders,
            closer_app::export::Format::Csv,
            tx,
        )
        .await;
    assert!(
        matches!(refused, Err(closer_app::AppError::Forbidden(_))),
        "{refused:?}"
    );

    let res = app.get("/api/v1/export/pets", &app.token).await;
    assert_eq!(res.status(), 404);
    let res = app
        .get("/api/v1/export/contacts?format=xlsx", &app.token)
        .await;
    assert_eq!(res.status(), 400);

    // The terminal writes the same records.
    let out = closer(
        &app.database_url(),
        &["export", "contacts", "--format", "jsonl"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1_006);
}
