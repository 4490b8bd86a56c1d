//! Contacts through the API: upsert and dedupe, concurrency, edit, stage history, erasure,
//! timeline.

use serde_json::{Value, json};

use crate::helpers::{TestApp, problem};

crate::on_both_backends!(
    create_then_upsert_by_email_or_phone,
    concurrent_posts_of_one_new_email_make_one_contact,
    patch_sets_clears_and_records_stage_moves,
    delete_erases_everything,
    timeline_pages_newest_first,
);

async fn create_then_upsert_by_email_or_phone(app: TestApp) {
    let res = app
        .post_json(
            "/api/v1/contacts",
            &app.token,
            &json!({
                "name": "Ada", "email": "Ada@Example.com", "properties": {"plan": "pro"},
                "consent": {"granted": true, "source": "webinar"}
            }),
        )
        .await;
    assert_eq!(res.status(), 201);
    let location = res
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let ada: Value = res.json().await.unwrap();
    assert_eq!(
        location,
        format!("/api/v1/contacts/{}", ada["id"].as_str().unwrap())
    );
    assert_eq!(ada["email"], "ada@example.com");
    assert_eq!(ada["stage"], "lead");
    assert_eq!(ada["consent"]["granted"], true);
    assert_eq!(ada["consent"]["source"], "webinar");

    // Same email: 200, empty fields filled, set ones kept.
    let res = app
        .post_json("/api/v1/contacts", &app.token, &json!({
            "name": "Ada Lovelace", "email": "ada@example.com", "phone": "+1 (650) 253-0000", "company": "Analytical",
            "properties": {"plan": "free", "seats": 3}
        }))
        .await;
    assert_eq!(res.status(), 200);
    let merged: Value = res.json().await.unwrap();
    assert_eq!(merged["id"], ada["id"]);
    assert_eq!(merged["name"], "Ada");
    assert_eq!(merged["company"], "Analytical");
    assert_eq!(merged["phone"], "+16502530000");
    assert_eq!(merged["properties"], json!({"plan": "pro", "seats": 3}));

    // Found by phone in another notation; overwrite replaces.
    let res = app
        .post_json(
            "/api/v1/contacts",
            &app.token,
            &json!({"phone": "+16502530000", "name": "Ada L.", "overwrite": true}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let over: Value = res.json().await.unwrap();
    assert_eq!(over["id"], ada["id"]);
    assert_eq!(over["name"], "Ada L.");
    assert_eq!(app.contact_count().await, 1);
}

async fn concurrent_posts_of_one_new_email_make_one_contact(app: TestApp) {
    let app = std::sync::Arc::new(app);
    let posts = (0..24).map(|i| {
        let app = app.clone();
        async move {
            let res = app
                .post_json(
                    "/api/v1/contacts",
                    &app.token,
                    &json!({"email": "burst@example.com", "properties": {format!("p{i}"): i}}),
                )
                .await;
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap();
            (status, body["id"].as_str().unwrap().to_owned())
        }
    });
    let results = futures::future::join_all(posts).await;
    let created = results.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(created, 1, "exactly one 201: {results:?}");
    assert!(
        results
            .iter()
            .all(|(s, id)| (*s == 200 || *s == 201) && *id == results[0].1),
        "{results:?}"
    );
    assert_eq!(app.contact_count().await, 1);
    let one: Value = app
        .get(&format!("/api/v1/contacts/{}", results[0].1), &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        one["properties"].as_object().unwrap().len(),
        24,
        "no post's properties lost"
    );
}

async fn patch_sets_clears_and_records_stage_moves(app: TestApp) {
    let c: Value = app.post_json("/api/v1/contacts", &app.token, &json!({"name": "Bo", "email": "bo@example.com", "company": "Acme", "properties": {"a": 1, "b": 2}})).await.json().await.unwrap();
    let path = format!("/api/v1/contacts/{}", c["id"].as_str().unwrap());
    let res = app.patch_json(&path, &app.token, &json!({"company": null, "stage": "prospect", "properties": {"a": null, "c": 3}, "job_title": "CTO"})).await;
    assert_eq!(res.status(), 200);
    let after: Value = res.json().await.unwrap();
    assert_eq!(after["company"], Value::Null, "null clears");
    assert_eq!(after["name"], "Bo", "absent is kept");
    assert_eq!(after["job_title"], "CTO");
    assert_eq!(after["stage"], "prospect");
    assert_eq!(after["properties"], json!({"b": 2, "c": 3}));
    let detail: Value = app.get(&path, &app.token).await.json().await.unwrap();
    let history = detail["stage_history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["stage"], "lead");
    assert_eq!(history[0]["left_at"], history[1]["entered_at"]);
    assert_eq!(history[1]["stage"], "prospect");
    assert_eq!(history[1]["left_at"], Value::Null);
    assert!(
        history[1]["changed_by"]
            .as_str()
            .unwrap()
            .starts_with("token:")
    );

    // Taking another contact's email is a conflict, and nothing changes.
    app.post_json(
        "/api/v1/contacts",
        &app.token,
        &json!({"email": "taken@example.com"}),
    )
    .await;
    let res = app
        .patch_json(
            &path,
            &app.token,
            &json!({"emails": ["taken@example.com"], "name": "Changed"}),
        )
        .await;
    problem(res, 409, "email of another contact").await;
    let unchanged: Value = app.get(&path, &app.token).await.json().await.unwrap();
    assert_eq!(unchanged["name"], "Bo");
    assert_eq!(unchanged["emails"], json!(["bo@example.com"]));

    // An owner must be a user of the workspace.
    let res = app
        .patch_json(
            &path,
            &app.token,
            &json!({"owner_id": uuid::Uuid::now_v7()}),
        )
        .await;
    let p = problem(res, 422, "unknown owner").await;
    assert_eq!(crate::helpers::fields(&p), ["owner_id"]);
    let user = app
        .app
        .access()
        .add_user("default", "rep@acme.example.com", "Rita", "rep")
        .await
        .unwrap();
    let res = app
        .patch_json(&path, &app.token, &json!({"owner_id": user.id.0}))
        .await;
    assert_eq!(res.status(), 200);
    let owned: Value = app
        .get(&format!("/api/v1/contacts?owner={}", user.id), &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(owned["items"].as_array().unwrap().len(), 1);
}

async fn delete_erases_everything(app: TestApp) {
    let form = app.form("Erase me", None).await;
    let res = app
        .client
        .post(app.url(&format!("/f/{}", form["key"].as_str().unwrap())))
        .json(&json!({"email": "gone@example.com", "name": "Gone", "message": "call me"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["contact_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/contacts/{id}");
    assert_eq!(app.delete(&path, &app.token).await.status(), 204);
    problem(app.get(&path, &app.token).await, 404, "erased contact").await;
    problem(
        app.get(&format!("{path}/events"), &app.token).await,
        404,
        "erased timeline",
    )
    .await;
    problem(app.delete(&path, &app.token).await, 404, "erased twice").await;
    let search: Value = app
        .get("/api/v1/contacts?q=gone", &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        search["items"].as_array().unwrap().is_empty(),
        "not findable"
    );
    // The same person coming back is a new contact.
    let back = app
        .post_json(
            "/api/v1/contacts",
            &app.token,
            &json!({"email": "gone@example.com"}),
        )
        .await;
    assert_eq!(back.status(), 201);
    assert_ne!(back.json::<Value>().await.unwrap()["id"], id.as_str());
}

async fn timeline_pages_newest_first(app: TestApp) {
    let form = app.form("Timeline", None).await;
    let url = app.url(&format!("/f/{}", form["key"].as_str().unwrap()));
    let mut id = String::new();
    for i in 0..3 {
        let res = app
            .client
            .post(&url)
            .json(&json!({"email": "tl@example.com", "visit": i}))
            .send()
            .await
            .unwrap();
        let body: Value = res.json().await.unwrap();
        id.clone_from(&body["contact_id"].as_str().unwrap().to_owned());
    }
    app.patch_json(
        &format!("/api/v1/contacts/{id}"),
        &app.token,
        &json!({"stage": "customer"}),
    )
    .await;
    // 3 form submissions + the creating stage move + the patch's stage move.
    let mut kinds = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let path = match &before {
            Some(b) => format!("/api/v1/contacts/{id}/events?limit=2&before={b}"),
            None => format!("/api/v1/contacts/{id}/events?limit=2"),
        };
        let page: Value = app.get(&path, &app.token).await.json().await.unwrap();
        for e in page["items"].as_array().unwrap() {
            kinds.push((
                e["kind"].as_str().unwrap().to_owned(),
                e["occurred_at"].as_str().unwrap().to_owned(),
            ));
        }
        match page["next_before"].as_str() {
            Some(b) => before = Some(b.to_owned()),
            None => break,
        }
    }
    assert_eq!(kinds.len(), 5, "{kinds:?}");
    assert_eq!(kinds[0].0, "stage_changed", "newest first");
    assert_eq!(
        kinds.iter().filter(|(k, _)| k == "form_submitted").count(),
        3
    );
}
