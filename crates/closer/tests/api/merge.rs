//! Merging records of one person, over the API and the terminal: a dry run that writes
//! nothing, the merge that keeps the best of each field and moves the other record's deals,
//! activities and tasks, the merged-away id answering 404 with `merged_into`; and what a
//! merge refuses (itself, an unknown or already merged record, another workspace's); and
//! possible duplicates listed, merged or dismissed — on both engines.

use serde_json::{Value, json};

use crate::helpers::{TestApp, closer, problem};

crate::on_both_backends!(
    two_records_of_one_person_merge_into_one,
    merges_refuse_what_they_cannot_do,
    possible_duplicates_are_listed_merged_or_dismissed
);

async fn create(app: &TestApp, body: Value) -> String {
    let res = app.post_json("/api/v1/contacts", &app.token, &body).await;
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    let c: Value = res.json().await.unwrap();
    c["id"].as_str().unwrap().to_owned()
}

async fn merge(app: &TestApp, keep: &str, body: &Value) -> reqwest::Response {
    app.post_json(&format!("/api/v1/contacts/{keep}/merge"), &app.token, body)
        .await
}

fn field<'a>(view: &'a Value, name: &str) -> &'a Value {
    view["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == name)
        .unwrap_or_else(|| panic!("no field {name} in {view}"))
}

async fn two_records_of_one_person_merge_into_one(app: TestApp) {
    let work = create(
        &app,
        json!({"email": "ada@work.example", "name": "Ada Lovelace"}),
    )
    .await;
    let home = create(
        &app,
        json!({"email": "ada@home.example", "phone": "+44 20 7946 0000", "job_title": "Engineer"}),
    )
    .await;
    for (path, body) in [
        (
            format!("/api/v1/contacts/{home}/activities"),
            json!({"kind": "call", "outcome": "reached"}),
        ),
        (
            "/api/v1/deals".to_owned(),
            json!({"contact_id": home, "title": "Engines", "amount": "900", "currency": "GBP"}),
        ),
        (
            "/api/v1/tasks".to_owned(),
            json!({"title": "Send the quote", "due_at": "2030-01-01T09:00:00Z", "contact_id": home}),
        ),
    ] {
        let res = app.post_json(&path, &app.token, &body).await;
        assert_eq!(res.status(), 201, "{path}: {:?}", res.text().await);
    }

    let res = merge(&app, &work, &json!({"from": [home], "dry_run": true})).await;
    assert_eq!(res.status(), 200);
    let dry: Value = res.json().await.unwrap();
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["merged"], json!([home]));
    assert_eq!(field(&dry, "name")["why"], "kept");
    assert_eq!(field(&dry, "job_title")["value"], "Engineer");
    assert_eq!(field(&dry, "job_title")["why"], "filled_from_other");
    assert_eq!(field(&dry, "job_title")["from"], home.as_str());
    assert_eq!(field(&dry, "emails")["why"], "combined");
    assert_eq!(
        dry["contact"]["emails"],
        json!(["ada@work.example", "ada@home.example"])
    );
    for (part, n) in [
        ("identities", 2),
        ("deals", 1),
        ("activities", 1),
        ("tasks", 1),
    ] {
        assert_eq!(dry["moves"][part], n, "{part}: {dry}");
    }
    // Nothing was written.
    assert_eq!(
        app.get(&format!("/api/v1/contacts/{home}"), &app.token)
            .await
            .status(),
        200
    );

    let res = merge(&app, &work, &json!({"from": [home]})).await;
    assert_eq!(res.status(), 200);
    let done: Value = res.json().await.unwrap();
    assert_eq!(done["dry_run"], false);
    assert_eq!(done["contact"]["id"], work.as_str());
    assert_eq!(done["contact"]["job_title"], "Engineer");
    assert_eq!(done["contact"]["phones"], json!(["+442079460000"]));
    let gone = problem(
        app.get(&format!("/api/v1/contacts/{home}"), &app.token)
            .await,
        404,
        "the merged-away id",
    )
    .await;
    assert_eq!(gone["merged_into"], work.as_str());
    assert_eq!(gone["type"], "urn:closer:problem:merged");
    let export: Value = app
        .get(&format!("/api/v1/contacts/{work}/export"), &app.token)
        .await
        .json()
        .await
        .unwrap();
    for part in ["deals", "activities", "tasks"] {
        assert_eq!(
            export[part].as_array().map(Vec::len),
            Some(1),
            "{part}: {export}"
        );
    }
    assert!(
        export["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "merged"),
        "{export}"
    );
    // The phone now finds the kept record.
    let res = app
        .post_json(
            "/api/v1/contacts",
            &app.token,
            &json!({"phone": "+44 20 7946 0000", "company": "Analytical Engines"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let found: Value = res.json().await.unwrap();
    assert_eq!(found["id"], work.as_str());
    // Merging the merged-away record again names what happened to it.
    let res = merge(&app, &work, &json!({"from": [home]})).await;
    let p = problem(res, 422, "merging a merged record").await;
    assert!(
        p["detail"].as_str().unwrap().contains("already merged"),
        "{p}"
    );

    // From the terminal: a dry run, then the merge.
    let third = create(&app, json!({"email": "a.lovelace@example.org"})).await;
    let db = app.database_url();
    let out = closer(&db, &["contact", "merge", &work, &third, "--dry-run"]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("dry run, nothing written"), "{text}");
    assert!(text.contains("a.lovelace@example.org"), "{text}");
    assert_eq!(
        app.get(&format!("/api/v1/contacts/{third}"), &app.token)
            .await
            .status(),
        200
    );
    let out = closer(
        &db,
        &["contact", "merge", &work, &third, "--format", "json"],
    );
    assert!(out.status.success(), "{out:?}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["dry_run"], false);
    assert_eq!(doc["merged"], json!([third]));
    let gone = problem(
        app.get(&format!("/api/v1/contacts/{third}"), &app.token)
            .await,
        404,
        "merged from the terminal",
    )
    .await;
    assert_eq!(gone["merged_into"], work.as_str());
    let out = closer(&db, &["contact", "merge", &work, &work]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("cannot be merged into itself"), "{err}");
}

async fn merges_refuse_what_they_cannot_do(app: TestApp) {
    let a = create(&app, json!({"email": "one@example.com"})).await;
    let b = create(&app, json!({"email": "two@example.com"})).await;
    let unknown = uuid::Uuid::now_v7().to_string();
    for (body, why) in [
        (json!({"from": [a]}), "itself"),
        (json!({"from": []}), "nothing to merge"),
        (json!({"from": ["not-an-id"]}), "a malformed id"),
        (json!({"from": [unknown]}), "an unknown contact"),
        (json!({"from": [b, b]}), "the same record twice"),
    ] {
        let p = problem(merge(&app, &a, &body).await, 422, why).await;
        assert_eq!(p["errors"][0]["field"], "from", "{why}: {p}");
    }
    problem(
        merge(&app, &a, &json!({"from": [b], "keep": true})).await,
        422,
        "an unknown field",
    )
    .await;
    problem(
        merge(&app, &unknown, &json!({"from": [b]})).await,
        404,
        "an unknown kept contact",
    )
    .await;
    problem(
        merge(&app, "nope", &json!({"from": [b]})).await,
        400,
        "a malformed path id",
    )
    .await;
    // Another workspace's contacts are not there to merge.
    let res = app
        .post_json(
            &format!("/api/v1/contacts/{a}/merge"),
            &app.other,
            &json!({"from": [b]}),
        )
        .await;
    problem(res, 404, "another workspace's contact").await;
    let theirs = app
        .post_json(
            "/api/v1/contacts",
            &app.other,
            &json!({"email": "three@example.com"}),
        )
        .await;
    let theirs: Value = theirs.json().await.unwrap();
    let p = problem(
        merge(&app, &a, &json!({"from": [theirs["id"]]})).await,
        422,
        "a record of another workspace",
    )
    .await;
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("not a contact of this workspace"),
        "{p}"
    );
    // Nothing was merged by any of it.
    for id in [&a, &b] {
        assert_eq!(
            app.get(&format!("/api/v1/contacts/{id}"), &app.token)
                .await
                .status(),
            200
        );
    }
}

async fn duplicates(app: &TestApp) -> Vec<Value> {
    let res = app.get("/api/v1/duplicates", &app.token).await;
    assert_eq!(res.status(), 200);
    let list: Value = res.json().await.unwrap();
    list["items"].as_array().unwrap().clone()
}

async fn possible_duplicates_are_listed_merged_or_dismissed(app: TestApp) {
    let ada = create(
        &app,
        json!({"email": "ada@work.example", "name": "Ada Lovelace"}),
    )
    .await;
    let phone_only = create(&app, json!({"phone": "+44 20 7946 0000"})).await;
    // A form names Ada's email and the other record's phone: stored on Ada, the phone stays.
    let res = app
        .post_json(
            "/api/v1/contacts",
            &app.token,
            &json!({"email": "ada@work.example", "phone": "+44 20 7946 0000"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let stored: Value = res.json().await.unwrap();
    assert_eq!(stored["id"], ada.as_str());
    assert_eq!(stored["phones"], json!([]));
    let listed = duplicates(&app).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["keep"]["id"], ada.as_str(), "the older is kept");
    assert_eq!(listed[0]["other"]["id"], phone_only.as_str());
    assert_eq!(listed[0]["reason"], "shared_identity");

    // The same name at the same company.
    let res = app
        .post_json(
            "/api/v1/companies",
            &app.token,
            &json!({"name": "Engines", "domains": ["engines.example"]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let charles = create(
        &app,
        json!({"email": "charles@engines.example", "name": "Charles Babbage"}),
    )
    .await;
    let again = create(
        &app,
        json!({"email": "cb@engines.example", "name": "C. Babbage"}),
    )
    .await;
    let listed = duplicates(&app).await;
    assert!(
        !listed.iter().any(|d| d["reason"] == "name_at_company"),
        "{listed:?}"
    );
    // Renamed: found by the next scan, spaces and case aside.
    let res = app
        .patch_json(
            &format!("/api/v1/contacts/{again}"),
            &app.token,
            &json!({"name": " charles   BABBAGE"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let listed = duplicates(&app).await;
    let by_name: Vec<&Value> = listed
        .iter()
        .filter(|d| d["reason"] == "name_at_company")
        .collect();
    assert_eq!(by_name.len(), 1, "{listed:?}");
    assert_eq!(by_name[0]["keep"]["id"], charles.as_str());
    assert_eq!(by_name[0]["other"]["id"], again.as_str());

    // Not the same person: dismissed for good, in either order.
    let res = app
        .delete(&format!("/api/v1/duplicates/{again}/{charles}"), &app.token)
        .await;
    assert_eq!(res.status(), 204);
    assert!(
        !duplicates(&app)
            .await
            .iter()
            .any(|d| d["reason"] == "name_at_company")
    );
    problem(
        app.delete(&format!("/api/v1/duplicates/{again}/{charles}"), &app.token)
            .await,
        404,
        "a pair dismissed already",
    )
    .await;
    problem(
        app.delete(&format!("/api/v1/duplicates/{ada}/{ada}"), &app.token)
            .await,
        422,
        "one contact twice",
    )
    .await;
    problem(
        app.delete(&format!("/api/v1/duplicates/{ada}/nope"), &app.token)
            .await,
        400,
        "a malformed id",
    )
    .await;
    problem(
        app.delete(
            &format!("/api/v1/duplicates/{ada}/{phone_only}"),
            &app.other,
        )
        .await,
        404,
        "another workspace's contacts",
    )
    .await;
    problem(
        app.get("/api/v1/duplicates?limit=0", &app.token).await,
        422,
        "a limit of 0",
    )
    .await;
    problem(
        app.get("/api/v1/duplicates?limit=many", &app.token).await,
        400,
        "a limit that is no number",
    )
    .await;
    let theirs: Value = app
        .get("/api/v1/duplicates", &app.other)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["items"], json!([]));

    // From the terminal: listed, then merged; the pair goes with the merged record.
    let db = app.database_url();
    let out = closer(&db, &["contact", "duplicates", "--format", "json"]);
    assert!(out.status.success(), "{out:?}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc[0]["keep"], ada.as_str());
    let out = closer(&db, &["contact", "duplicates"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&format!("closer contact merge {ada} {phone_only}")),
        "{text}"
    );
    let out = closer(&db, &["contact", "merge", &ada, &phone_only]);
    assert!(out.status.success(), "{out:?}");
    assert!(duplicates(&app).await.is_empty());
    // A new pair dismissed from the terminal.
    let other_phone = create(&app, json!({"phone": "+1 202 555 0143"})).await;
    let res = app
        .post_json(
            "/api/v1/contacts",
            &app.token,
            &json!({"email": "charles@engines.example", "phone": "+1 202 555 0143"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(duplicates(&app).await.len(), 1);
    let out = closer(&db, &["contact", "not-duplicates", &charles, &other_phone]);
    assert!(out.status.success(), "{out:?}");
    assert!(duplicates(&app).await.is_empty());
}
