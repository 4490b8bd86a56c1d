//! A person's export (access and portability requests): one document with every section
//! closer keeps about them, over the API and the terminal, and nothing across workspaces.

use serde_json::{Value, json};

use crate::helpers::{TestApp, closer};

crate::on_both_backends!(a_persons_export_holds_everything_about_them);

async fn a_persons_export_holds_everything_about_them(app: TestApp) {
    // A customer with a predicted value (a shop's year), a company, a visitor, a call, a task
    // and a deal.
    let (ids, _) = crate::contacts_list::shop_year(&app, 120, "EUR").await;
    let top: Value = app
        .get("/api/v1/contacts?sort=-value&limit=1", &app.token)
        .await
        .json()
        .await
        .unwrap();
    let id = top["items"][0]["id"].as_str().unwrap().to_owned();
    assert!(ids.contains(&id));
    let res = app
        .post_json(
            "/api/v1/companies",
            &app.token,
            &json!({"name": "Shop", "domains": ["shop.example"]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = app
        .post_json(
            "/api/v1/identify",
            &app.token,
            &json!({"visitor_id": "0192f0a17c3e7a108d2b1f2e3d4c5b6a", "contact_id": id}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .post_json(
            &format!("/api/v1/contacts/{id}/activities"),
            &app.token,
            &json!({"kind": "call", "outcome": "reached", "text": "Wants more boxes"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = app
        .post_json(
            "/api/v1/tasks",
            &app.token,
            &json!({"title": "Send the quote", "due_at": "2030-01-01T09:00:00Z", "contact_id": id}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = app
        .post_json(
            "/api/v1/deals",
            &app.token,
            &json!({"contact_id": id, "title": "Bulk boxes", "amount": "900", "currency": "EUR"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    // The record's id in the tool it came from.
    let person: Value = app
        .get(&format!("/api/v1/contacts/{id}"), &app.token)
        .await
        .json()
        .await
        .unwrap();
    let file = std::env::temp_dir().join(format!("closer-person-{id}.csv"));
    std::fs::write(
        &file,
        format!(
            "Record ID,Email\nhs-77,{}\n",
            person["emails"][0].as_str().unwrap()
        ),
    )
    .unwrap();
    let out = closer(
        &app.database_url(),
        &["import", "contacts", file.to_str().unwrap()],
    );
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let res = app
        .post_json(
            "/api/v1/tags",
            &app.token,
            &json!({"on": "contacts", "ids": [id], "add": ["repeat buyer"]}),
        )
        .await;
    assert_eq!(res.status(), 204);

    let res = app
        .get(&format!("/api/v1/contacts/{id}/export"), &app.token)
        .await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("contact-{id}.json"))
    );
    let export: Value = res.json().await.unwrap();
    // Every section a table of contact data lands in (closer_store::CONTACT_TABLES) holds
    // this person's rows.
    for (table, section) in closer_store::CONTACT_TABLES {
        if section.starts_with("not exported") {
            continue;
        }
        let key = section.split_whitespace().next().unwrap();
        let v = &export[key];
        let filled = match v {
            Value::Null => false,
            Value::Array(a) => !a.is_empty(),
            _ => true,
        };
        assert!(filled, "{table} → {key} is empty: {export:#}");
    }
    assert_eq!(export["contact"]["id"], json!(id));
    assert_eq!(export["external_ids"], json!(["hs-77"]));
    assert_eq!(export["tags"], json!(["repeat buyer"]));
    assert_eq!(export["company"]["name"], "Shop");
    assert!(!export["orders"].as_array().unwrap().is_empty());
    assert!(
        export["timeline"].as_array().unwrap().iter().any(
            |e| e["kind"] == "activity_logged" || e["properties"]["text"] == "Wants more boxes"
        ),
        "the call is on the timeline"
    );

    // The terminal gives the same document.
    let out = closer(&app.database_url(), &["contact", "export", &id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "contact",
        "stage_history",
        "timeline",
        "deals",
        "activities",
        "tasks",
        "orders",
    ] {
        assert_eq!(cli[key], export[key], "{key}");
    }

    // The contact page offers the same download.
    crate::web_app::user(&app, "owner@shop.example", "admin").await;
    let mut s = crate::web_app::Session::new(&app);
    s.sign_in("owner@shop.example", crate::web_app::PASSWORD)
        .await;
    let page = s.get(&format!("/contacts/{id}")).await;
    assert!(page.body.contains(&format!("/contacts/{id}/export")));
    let download = s.get(&format!("/contacts/{id}/export")).await;
    assert_eq!(download.status, 200);
    let web: Value = serde_json::from_str(&download.body).unwrap();
    assert_eq!(web["orders"], export["orders"]);

    // Another workspace cannot ask for it.
    let res = app
        .get(&format!("/api/v1/contacts/{id}/export"), &app.other)
        .await;
    assert_eq!(res.status(), 404);
}
