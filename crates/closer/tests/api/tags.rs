//! Tags, saved views and bulk changes through the API, the web app and the terminal: contacts
//! tagged many at once (all or none, only one's own for a rep), the list filtered by tag, a
//! view saved from the filters in use with its count, shared with the team or kept, deleted by
//! whoever may; many contacts given an owner or moved to a stage at once; precise refusals.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, closer_on, problem};
use crate::web_app::{PASSWORD, Session, field, user};

crate::on_both_backends!(tagged_filtered_and_saved_as_views, contacts_changed_in_bulk);

async fn contact(app: &TestApp, name: &str, mail: &str, owner: Option<uuid::Uuid>) -> String {
    let res = app
        .post_json(
            "/api/v1/contacts",
            &app.token,
            &json!({"name": name, "email": mail, "owner_id": owner}),
        )
        .await;
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[allow(clippy::too_many_lines)]
async fn tagged_filtered_and_saved_as_views(app: TestApp) {
    let rita = user(&app, "rita@acme.example", "rep").await;
    let mona = user(&app, "mona@acme.example", "manager").await;
    let ada = contact(&app, "Ada Lovelace", "ada@math.example", Some(rita.id.0)).await;
    let bob = contact(&app, "Bob Babbage", "bob@engines.example", None).await;
    let cy = contact(&app, "Cy Clone", "cy@engines.example", None).await;
    let dee = contact(&app, "Dee Dijkstra", "dee@paths.example", Some(mona.id.0)).await;

    // The API: many at once.
    let retag = |body: Value| {
        let app = &app;
        async move { app.post_json("/api/v1/tags", &app.token, &body).await }
    };
    let res =
        retag(json!({"on": "contacts", "ids": [ada, bob], "add": ["VIP", "trade show"]})).await;
    assert_eq!(res.status(), 204);
    let res = retag(json!({"on": "contacts", "ids": [bob], "remove": ["trade show"]})).await;
    assert_eq!(res.status(), 204);
    let tags: Value = app
        .get("/api/v1/tags?on=contacts", &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        tags["items"],
        json!([{"tag": "trade show", "count": 1}, {"tag": "vip", "count": 2}])
    );
    let listed: Value = app
        .get("/api/v1/contacts?tag=vip", &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    // All or none: an unknown id tags nobody.
    problem(
        retag(json!({"on": "contacts", "ids": [cy, uuid::Uuid::now_v7()], "add": ["lost"]})).await,
        404,
        "one record missing",
    )
    .await;
    let p = problem(
        retag(json!({"on": "contacts", "ids": [cy], "add": ["ok", "<b>"]})).await,
        422,
        "a tag that is not one",
    )
    .await;
    assert!(p.to_string().contains("tags[1]"), "{p}");
    problem(
        retag(json!({"on": "orders", "ids": [cy], "add": ["x"]})).await,
        422,
        "not a kind of record",
    )
    .await;
    problem(
        retag(json!({"on": "contacts", "ids": [], "add": ["x"]})).await,
        422,
        "no records",
    )
    .await;
    let p = problem(
        app.get("/api/v1/contacts?tag=%3Cb%3E", &app.token).await,
        422,
        "a filter that is not a tag",
    )
    .await;
    assert!(p.to_string().contains("tag"), "{p}");

    // A NUL in searched text is refused, on both engines.
    for list in ["contacts", "companies"] {
        problem(
            app.get(&format!("/api/v1/{list}?q=a%00b"), &app.token)
                .await,
            422,
            "a NUL in q",
        )
        .await;
    }

    // Views over the API: saved checked, listed with their counts.
    let res = app
        .post_json(
            "/api/v1/views",
            &app.token,
            &json!({"name": "VIPs", "query": "tag=vip", "shared": true}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let saved: Value = res.json().await.unwrap();
    assert_eq!(saved["count"], 2);
    assert_eq!(saved["shared"], true);
    // Downloaded as CSV: the header and the view's two contacts.
    let view_id = saved["id"].as_str().unwrap().to_owned();
    let res = app
        .get(
            &format!("/api/v1/export/contacts?view={view_id}"),
            &app.token,
        )
        .await;
    assert_eq!(res.status(), 200);
    let csv = res.text().await.unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(
        csv.contains("ada@math.example") && csv.contains("bob@engines.example"),
        "{csv}"
    );
    assert!(!csv.contains("cy@engines.example"), "{csv}");
    problem(
        app.get(&format!("/api/v1/export/deals?view={view_id}"), &app.token)
            .await,
        422,
        "a contact view exports contacts",
    )
    .await;
    problem(
        app.get(
            &format!("/api/v1/export/contacts?view={}", uuid::Uuid::now_v7()),
            &app.token,
        )
        .await,
        404,
        "no such view",
    )
    .await;
    let p = problem(
        app.post_json(
            "/api/v1/views",
            &app.token,
            &json!({"name": "Bad", "query": "stage=sideways"}),
        )
        .await,
        400,
        "a filter the list refuses",
    )
    .await;
    assert!(p.to_string().contains("stage"), "{p}");
    problem(
        app.post_json(
            "/api/v1/views",
            &app.token,
            &json!({"name": "  ", "query": "tag=vip"}),
        )
        .await,
        422,
        "no name",
    )
    .await;
    // Found by Schemathesis: a NUL in a name was a 500 on PostgreSQL.
    problem(
        app.post_json(
            "/api/v1/views",
            &app.token,
            &json!({"name": "VIPs\u{0}", "query": ""}),
        )
        .await,
        422,
        "a NUL in a view's name",
    )
    .await;

    // A rep: tags her own, not another's; sees the team's view counted as far as she sees.
    let mut r = Session::new(&app);
    r.sign_in("rita@acme.example", PASSWORD).await;
    let page = r.get("/contacts").await;
    assert!(page.body.contains("VIPs"), "{}", page.body);
    let csrf = field(&page.body, "csrf");
    let tagged = r
        .post(
            "/contacts/tag",
            &[
                ("csrf", &csrf),
                ("id", &ada),
                ("tag", "hot lead"),
                ("op", "add"),
            ],
        )
        .await;
    assert_eq!(tagged.status, StatusCode::SEE_OTHER, "{}", tagged.body);
    let refused = r
        .post(
            "/contacts/tag",
            &[
                ("csrf", &csrf),
                ("id", &dee),
                ("tag", "hot lead"),
                ("op", "add"),
            ],
        )
        .await;
    assert!(
        [StatusCode::NOT_FOUND, StatusCode::FORBIDDEN].contains(&refused.status),
        "{}: {}",
        refused.status,
        refused.body
    );
    // Her own view, from the filters in use.
    let saved = r
        .post(
            "/contacts/views",
            &[
                ("csrf", &csrf),
                ("name", "My hot leads"),
                ("query", "tag=hot+lead"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let page = r.get("/contacts?tag=hot+lead").await;
    assert!(
        page.body.contains("My hot leads") && page.body.contains("Ada Lovelace"),
        "{}",
        page.body
    );
    // Her view as a download from the page's link: her contact only.
    let link = page
        .body
        .split("href=\"/export/contacts?view=")
        .skip(1)
        .map(|r| r.split('"').next().unwrap().to_owned())
        .collect::<Vec<_>>();
    assert_eq!(link.len(), 2, "a CSV link per view");
    let mut rows = 0;
    for id in &link {
        let got = r.get(&format!("/export/contacts?view={id}")).await;
        assert_eq!(got.status, StatusCode::OK);
        rows += got.body.lines().count() - 1;
        assert!(!got.body.contains("dee@paths.example"), "{}", got.body);
    }
    assert_eq!(
        rows, 2,
        "Ada in each of her views, counted as far as she sees"
    );
    assert!(!page.body.contains("Bob Babbage"));
    // The contact page: her tags, edited as one field.
    let edited = r
        .post(
            &format!("/contacts/{ada}/tags"),
            &[("csrf", &csrf), ("tags", "vip, Follow-up")],
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER);
    let shown = r.get(&format!("/contacts/{ada}")).await;
    assert!(
        shown.body.contains(">follow-up<") && shown.body.contains(">vip<"),
        "{}",
        shown.body
    );
    assert!(!shown.body.contains(">hot lead<"));
    // A deal's and a company's tags, on their pages.
    let res = app
        .post_json(
            "/api/v1/deals",
            &app.token,
            &json!({"contact_id": ada, "title": "Engines", "amount": "900", "currency": "USD"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let deal = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .post_json(
            "/api/v1/companies",
            &app.token,
            &json!({"name": "Analytical Engines", "domains": ["engines.example"]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let company = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut m = Session::new(&app);
    m.sign_in("mona@acme.example", PASSWORD).await;
    let edit = m.get(&format!("/deals/{deal}/edit")).await;
    let csrf_m = field(&edit.body, "csrf");
    for (path, typed) in [
        (format!("/deals/{deal}/tags"), "renewal, Q3"),
        (format!("/companies/{company}/tags"), "partner"),
    ] {
        let saved = m.post(&path, &[("csrf", &csrf_m), ("tags", typed)]).await;
        assert_eq!(
            saved.status,
            StatusCode::SEE_OTHER,
            "{path}: {}",
            saved.body
        );
    }
    assert!(
        m.get(&format!("/deals/{deal}/edit"))
            .await
            .body
            .contains(">renewal<")
    );
    assert!(
        m.get(&format!("/companies/{company}"))
            .await
            .body
            .contains(">partner<")
    );
    for (on, want) in [
        (
            "deals",
            json!([{"tag": "q3", "count": 1}, {"tag": "renewal", "count": 1}]),
        ),
        ("companies", json!([{"tag": "partner", "count": 1}])),
    ] {
        let got: Value = app
            .get(&format!("/api/v1/tags?on={on}"), &app.token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(got["items"], want, "{on}");
    }

    // Another user does not see her own view; the manager deletes the team's.
    let page = m.get("/contacts").await;
    assert!(!page.body.contains("My hot leads"));
    let views: Value = app
        .get("/api/v1/views", &app.token)
        .await
        .json()
        .await
        .unwrap();
    let team_id = views["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(views["items"].as_array().unwrap().len(), 1, "{views}");
    let csrf_m = field(&page.body, "csrf");
    let gone = m
        .post(
            &format!("/contacts/views/{team_id}/delete"),
            &[("csrf", &csrf_m)],
        )
        .await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    let (out, _, _) = closer_on(&app, &["view", "list"]);
    assert!(out.trim().is_empty(), "the team has no views now: {out}");

    // The terminal.
    let (out, err, ok) = closer_on(&app, &["tag", "contacts", &cy, &bob, "--add", "newsletter"]);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "tagged 2 records");
    let (out, _, _) = closer_on(&app, &["tag", "contacts"]);
    assert!(out.contains("newsletter\t2"), "{out}");
    let (out, err, ok) = closer_on(&app, &["view", "save", "Newsletter", "tag=newsletter"]);
    assert!(ok, "{err}");
    let id = out.trim().to_owned();
    let (out, _, _) = closer_on(&app, &["view", "list"]);
    assert!(
        out.contains(&format!("{id}\t2\tNewsletter\ttag=newsletter")),
        "{out}"
    );
    let (_, err, ok) = closer_on(&app, &["view", "save", "Bad", "temperature=tepid"]);
    assert!(!ok && err.contains("temperature"), "{err}");
    let (_, err, ok) = closer_on(&app, &["tag", "contacts", "not-an-id", "--add", "x"]);
    assert!(!ok && err.contains("not a record id"), "{err}");
    let (out, err, ok) = closer_on(&app, &["view", "delete", &id]);
    assert!(ok && out.trim() == "deleted", "{err}");
}

async fn get_contact(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/api/v1/contacts/{id}"), &app.token)
        .await
        .json()
        .await
        .unwrap()
}

#[allow(clippy::too_many_lines)]
async fn contacts_changed_in_bulk(app: TestApp) {
    let rita = user(&app, "rita@acme.example", "rep").await;
    let mona = user(&app, "mona@acme.example", "manager").await;
    let ada = contact(&app, "Ada Lovelace", "ada@math.example", Some(rita.id.0)).await;
    let bob = contact(&app, "Bob Babbage", "bob@engines.example", None).await;
    let dee = contact(&app, "Dee Dijkstra", "dee@paths.example", Some(mona.id.0)).await;
    let bulk = |body: Value| {
        let app = &app;
        async move {
            app.post_json("/api/v1/contacts/bulk", &app.token, &body)
                .await
        }
    };

    // The API: an owner and a stage for two at once.
    let res = bulk(json!({"ids": [ada, bob], "owner": rita.id.0, "stage": "prospect"})).await;
    assert_eq!(res.status(), 204);
    for id in [&ada, &bob] {
        let c = get_contact(&app, id).await;
        assert_eq!(c["stage"], "prospect", "{c}");
        assert_eq!(c["owner_id"], json!(rita.id.0), "{c}");
    }
    // All or none.
    problem(
        bulk(json!({"ids": [ada, uuid::Uuid::now_v7()], "stage": "customer"})).await,
        404,
        "one contact missing",
    )
    .await;
    assert_eq!(get_contact(&app, &ada).await["stage"], "prospect");
    for (body, field) in [
        (json!({"ids": [ada]}), "owner_id"),
        (json!({"ids": [ada], "stage": "sideways"}), "stage"),
        (json!({"ids": [ada], "owner": "nobody"}), "owner"),
        (json!({"ids": [], "stage": "lead"}), "ids"),
    ] {
        let p = problem(bulk(body.clone()).await, 422, "refused").await;
        assert!(p.to_string().contains(field), "{body}: {p}");
    }

    // A rep in the app: her own move; one of someone else's stops them all.
    let mut r = Session::new(&app);
    r.sign_in("rita@acme.example", PASSWORD).await;
    let page = r.get("/contacts").await;
    assert!(page.body.contains("Change stage"), "{}", page.body);
    let csrf = field(&page.body, "csrf");
    let moved = r
        .post(
            "/contacts/stage",
            &[("csrf", &csrf), ("id", &ada), ("to_stage", "opportunity")],
        )
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.body);
    assert_eq!(get_contact(&app, &ada).await["stage"], "opportunity");
    let refused = r
        .post(
            "/contacts/stage",
            &[
                ("csrf", &csrf),
                ("id", &ada),
                ("id", &dee),
                ("to_stage", "customer"),
            ],
        )
        .await;
    assert!(
        [StatusCode::NOT_FOUND, StatusCode::FORBIDDEN].contains(&refused.status),
        "{}",
        refused.status
    );
    assert_eq!(get_contact(&app, &ada).await["stage"], "opportunity");
    assert_eq!(get_contact(&app, &dee).await["stage"], "lead");

    // The terminal.
    let (out, err, ok) = closer_on(
        &app,
        &[
            "contact", "bulk", &ada, &bob, "--owner", "none", "--stage", "lead",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "changed 2 contacts");
    for id in [&ada, &bob] {
        let c = get_contact(&app, id).await;
        assert_eq!(
            (c["stage"].as_str(), c["owner_id"].is_null()),
            (Some("lead"), true),
            "{c}"
        );
    }
    let (_, err, ok) = closer_on(&app, &["contact", "bulk", &ada, "--stage", "sideways"]);
    assert!(!ok && err.contains("stage"), "{err}");
    let (_, err, ok) = closer_on(
        &app,
        &["contact", "bulk", &ada, "--owner", "ghost@acme.example"],
    );
    assert!(!ok && err.contains("not a user"), "{err}");
}
