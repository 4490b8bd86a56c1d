//! The sales pipeline through the API: a form-captured lead taken through every stage to won
//! with an order, another to lost with a reason; bad moves and edits refused with clear 4xx;
//! pipelines and loss reasons edited by admins; concurrent moves keep every history row.

use serde_json::{Value, json};

use crate::helpers::{TestApp, closer, fields, problem, urlencoded};

crate::on_both_backends!(
    a_captured_lead_is_sold_through_every_stage,
    bad_moves_and_edits_are_refused,
    pipelines_and_loss_reasons_are_configurable,
    concurrent_moves_over_http_keep_every_history_row,
    deals_from_the_terminal,
    hot_leads_get_an_owner_a_first_contact_task_and_orders,
    demo_fills_a_new_workspace,
);

/// A lead captured by a form post, as a landing page sends it; returns its contact id.
async fn captured_lead(app: &TestApp, email: &str) -> String {
    let form = app.form("Quote request", None).await;
    let res = app
        .client
        .post(app.url(&format!("/f/{}", form["key"].as_str().unwrap())))
        .header("accept", "application/json")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(urlencoded(&[
            ("email", email),
            ("company", "Acme Industries"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["contact_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn deal(app: &TestApp, contact: &str, amount: Value) -> Value {
    let res = app
        .post_json(
            "/api/v1/deals",
            &app.member,
            &json!({"contact_id": contact, "title": "40 seats", "amount": amount, "currency": "eur",
                    "expected_close": "2027-03-31"}),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

async fn move_to(app: &TestApp, id: &str, body: &Value) -> reqwest::Response {
    app.post_json(&format!("/api/v1/deals/{id}/move"), &app.member, body)
        .await
}

async fn stage_of(app: &TestApp, contact: &str) -> String {
    let c: Value = app
        .get(&format!("/api/v1/contacts/{contact}"), &app.token)
        .await
        .json()
        .await
        .unwrap();
    c["stage"].as_str().unwrap().to_owned()
}

async fn a_captured_lead_is_sold_through_every_stage(app: TestApp) {
    let contact = captured_lead(&app, "buyer@acme-industries.com").await;
    let created = deal(&app, &contact, json!("12000.50")).await;
    assert_eq!(created["stage"], "Qualification");
    assert_eq!(created["amount"], "12000.50");
    assert_eq!(created["currency"], "EUR");
    assert_eq!(created["company"], "Acme Industries", "from the contact");
    assert_eq!(created["status"], "open");
    assert_eq!(stage_of(&app, &contact).await, "opportunity");
    let id = created["id"].as_str().unwrap();

    for stage in ["Demo", "Proposal", "Negotiation", "Closing"] {
        let res = move_to(&app, id, &json!({"stage": stage})).await;
        assert_eq!(res.status(), 200);
        let d: Value = res.json().await.unwrap();
        assert_eq!(d["stage"], stage);
    }
    // Won, with the order's lines: the deal's amount follows the order total.
    let res = move_to(
        &app,
        id,
        &json!({"stage": "won", "lines": [
            {"product": "Seat", "quantity": 40, "unit_price": "299.00"},
            {"product": "Onboarding", "unit_price": 1500}
        ]}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let won: Value = res.json().await.unwrap();
    assert_eq!(won["status"], "won");
    assert!(won["closed_at"].is_string());
    assert_eq!(won["amount"], "13460.00");
    assert_eq!(won["order"]["total"], "13460.00");
    assert_eq!(won["order"]["currency"], "EUR");
    assert_eq!(won["order"]["lines"][0]["total"], "11960.00");
    assert_eq!(stage_of(&app, &contact).await, "customer");
    let history = won["history"].as_array().unwrap();
    let names: Vec<&str> = history
        .iter()
        .map(|h| h["stage"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Qualification",
            "Demo",
            "Proposal",
            "Negotiation",
            "Closing",
            "Won"
        ]
    );
    for pair in history.windows(2) {
        assert_eq!(pair[0]["left_at"], pair[1]["entered_at"]);
    }
    assert!(
        history[0]["changed_by"]
            .as_str()
            .unwrap()
            .starts_with("token:")
    );

    // The contact's timeline merges the form, stage changes, the deal's moves and the order.
    let timeline: Value = app
        .get(
            &format!("/api/v1/contacts/{contact}/events?limit=100"),
            &app.member,
        )
        .await
        .json()
        .await
        .unwrap();
    let items = timeline["items"].as_array().unwrap();
    let count = |kind: &str| items.iter().filter(|e| e["kind"] == kind).count();
    assert_eq!(count("deal_moved"), 6, "{timeline:#}");
    assert_eq!(count("order_placed"), 1, "{timeline:#}");
    assert_eq!(count("form_submitted"), 1, "{timeline:#}");
    assert!(
        count("stage_changed") >= 3,
        "lead, opportunity, customer: {timeline:#}"
    );
    let order = items.iter().find(|e| e["kind"] == "order_placed").unwrap();
    assert_eq!(order["properties"]["total"], "13460.00");
    assert_eq!(order["properties"]["currency"], "EUR");
    let times: Vec<&str> = items
        .iter()
        .map(|e| e["occurred_at"].as_str().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {times:?}"
    );

    // A second lead, lost with a reason and the objection in their words.
    let other = captured_lead(&app, "maybe@globex.example").await;
    let d = deal(&app, &other, json!(800)).await;
    let res = move_to(
        &app,
        d["id"].as_str().unwrap(),
        &json!({"stage": "Lost", "loss_reason": "price", "objection": "We can't justify it this year"}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let lost: Value = res.json().await.unwrap();
    assert_eq!(lost["status"], "lost");
    assert_eq!(lost["loss_reason"], "price");
    assert_eq!(lost["objection"], "We can't justify it this year");
    assert_eq!(lost["order"], Value::Null);

    // The board shows open deals only: none are left.
    let pipeline = created["pipeline_id"].as_str().unwrap();
    let board: Value = app
        .get(&format!("/api/v1/pipelines/{pipeline}/board"), &app.member)
        .await
        .json()
        .await
        .unwrap();
    let columns = board["columns"].as_array().unwrap();
    assert_eq!(columns.len(), 5, "one column per open stage");
    assert!(columns.iter().all(|c| c["count"] == 0), "{board:#}");
    let listed: Value = app
        .get("/api/v1/deals?status=won", &app.member)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    // Another workspace cannot see the deal.
    let res = app.get(&format!("/api/v1/deals/{id}"), &app.other).await;
    problem(res, 404, "another workspace's deal").await;
}

async fn bad_moves_and_edits_are_refused(app: TestApp) {
    let contact = captured_lead(&app, "careful@acme-industries.com").await;
    let d = deal(&app, &contact, json!("100")).await;
    let id = d["id"].as_str().unwrap();

    let body = problem(
        move_to(&app, id, &json!({"stage": "Nowhere"})).await,
        422,
        "unknown stage",
    )
    .await;
    assert_eq!(fields(&body), ["stage"]);
    let body = problem(
        move_to(&app, id, &json!({"stage": "Lost"})).await,
        422,
        "lost without reason",
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("loss_reason"),
        "{body}"
    );
    problem(
        move_to(&app, id, &json!({"stage": "Lost", "loss_reason": "aliens"})).await,
        422,
        "a reason outside the catalogue",
    )
    .await;
    problem(
        move_to(
            &app,
            id,
            &json!({"stage": "Demo", "lines": [{"product": "x", "unit_price": 1}]}),
        )
        .await,
        422,
        "lines off a win",
    )
    .await;
    let body = problem(
        move_to(&app, id, &json!({"stage": "Won", "lines": [{"product": "Seat", "quantity": -3, "unit_price": "-1"}]})).await,
        422,
        "negative quantity and price",
    )
    .await;
    assert_eq!(fields(&body), ["lines[0].unit_price"], "{body}");
    let body = problem(
        move_to(&app, id, &json!({"stage": "Won", "lines": [{"product": "Seat", "quantity": -3, "unit_price": "1"}]})).await,
        422,
        "negative quantity",
    )
    .await;
    assert_eq!(fields(&body), ["lines[0].quantity"], "{body}");
    problem(
        move_to(&app, id, &json!({"stage": "Won", "currency": "USD"})).await,
        422,
        "a currency other than the deal's",
    )
    .await;
    // A stage of another pipeline.
    let res = app
        .post_json(
            "/api/v1/pipelines",
            &app.token,
            &json!({"name": "Renewals", "stages": [{"name": "Due"}, {"name": "Renewed", "kind": "won"}, {"name": "Churned", "kind": "lost"}]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let renewals: Value = res.json().await.unwrap();
    let due = renewals["stages"][0]["id"].as_str().unwrap();
    let body = problem(
        move_to(&app, id, &json!({"stage": due})).await,
        422,
        "another pipeline's stage",
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("not a stage of the deal's pipeline"),
        "{body}"
    );

    // Bad amounts on create and edit.
    for bad in [
        json!("-5"),
        json!(-5),
        json!("1,000"),
        json!("1e3"),
        json!(true),
        json!("0.00001"),
    ] {
        let res = app
            .post_json(
                "/api/v1/deals",
                &app.member,
                &json!({"contact_id": contact, "title": "x", "amount": bad}),
            )
            .await;
        let body = problem(res, 422, &format!("amount {bad}")).await;
        assert_eq!(fields(&body), ["amount"]);
    }
    let res = app
        .post_json(
            "/api/v1/deals",
            &app.member,
            &json!({"contact_id": contact, "title": " ", "currency": "EURO", "expected_close": "31/03/2027"}),
        )
        .await;
    let body = problem(res, 422, "every bad field at once").await;
    assert_eq!(fields(&body), ["title", "currency", "expected_close"]);
    let res = app
        .post_json(
            "/api/v1/deals",
            &app.member,
            &json!({"contact_id": uuid::Uuid::now_v7(), "title": "Ghost"}),
        )
        .await;
    assert_eq!(
        fields(&problem(res, 422, "unknown contact").await),
        ["contact_id"]
    );
    let res = app
        .post_json(
            "/api/v1/deals",
            &app.member,
            &json!({"contact_id": contact, "title": "x", "stage": "Won"}),
        )
        .await;
    problem(res, 422, "a deal created closed").await;
    let res = app
        .post_json(
            "/api/v1/deals",
            &app.member,
            &json!({"contact_id": contact, "title": "x", "owner_id": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_eq!(
        fields(&problem(res, 422, "unknown owner").await),
        ["owner_id"]
    );

    // A closed deal's amount needs a reopen; other fields stay editable.
    assert_eq!(
        move_to(&app, id, &json!({"stage": "Won"})).await.status(),
        200
    );
    let path = format!("/api/v1/deals/{id}");
    problem(
        app.patch_json(&path, &app.member, &json!({"amount": "250"}))
            .await,
        409,
        "amount of a won deal",
    )
    .await;
    let res = app
        .patch_json(
            &path,
            &app.member,
            &json!({"title": "40 seats, signed", "amount": "100"}),
        )
        .await;
    assert_eq!(res.status(), 200, "the same amount is no change");
    assert_eq!(
        move_to(&app, id, &json!({"stage": "Closing"}))
            .await
            .status(),
        200
    );
    let res = app
        .patch_json(&path, &app.member, &json!({"amount": 250}))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["amount"], "250.00");
    // Malformed ids and bodies.
    problem(
        app.get("/api/v1/deals/not-a-uuid", &app.member).await,
        400,
        "bad id",
    )
    .await;
    problem(
        app.post_json(
            &format!("/api/v1/deals/{id}/move"),
            &app.member,
            &json!({"stage": "Demo", "extra": 1}),
        )
        .await,
        422,
        "unknown field",
    )
    .await;
}

async fn pipelines_and_loss_reasons_are_configurable(app: TestApp) {
    let pipelines: Value = app
        .get("/api/v1/pipelines", &app.member)
        .await
        .json()
        .await
        .unwrap();
    let sales = &pipelines[0];
    assert_eq!(sales["is_default"], true);
    let names: Vec<&str> = sales["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Qualification",
            "Demo",
            "Proposal",
            "Negotiation",
            "Closing",
            "Won",
            "Lost"
        ]
    );
    assert_eq!(sales["stages"][4]["forecast"], "commit");
    let id = sales["id"].as_str().unwrap();

    // Members cannot change them.
    let res = app
        .client
        .put(app.url(&format!("/api/v1/pipelines/{id}")))
        .bearer_auth(&app.member)
        .json(&json!({"name": "x", "stages": []}))
        .send()
        .await
        .unwrap();
    problem(res, 403, "member edits a pipeline").await;
    // Every problem of a bad definition at once; nothing changes.
    let res = app
        .client
        .put(app.url(&format!("/api/v1/pipelines/{id}")))
        .bearer_auth(&app.token)
        .json(&json!({"name": "", "stages": [
            {"name": "A", "probability": 120}, {"name": "a"}, {"name": "Won", "kind": "won"}
        ]}))
        .send()
        .await
        .unwrap();
    let body = problem(res, 422, "bad pipeline").await;
    let f = fields(&body);
    assert!(
        f.contains(&"name".to_owned()) && f.contains(&"stages[0].probability".to_owned()),
        "{body}"
    );
    // A stage holding a deal cannot be dropped.
    let contact = captured_lead(&app, "held@acme-industries.com").await;
    deal(&app, &contact, json!(1)).await;
    let mut stages: Vec<Value> = sales["stages"].as_array().unwrap().clone();
    stages.remove(0);
    let res = app
        .client
        .put(app.url(&format!("/api/v1/pipelines/{id}")))
        .bearer_auth(&app.token)
        .json(&json!({"name": "Sales", "stages": stages}))
        .send()
        .await
        .unwrap();
    problem(res, 409, "drop a stage with deals").await;
    // Renaming keeps the stage and its deals.
    let mut stages: Vec<Value> = sales["stages"].as_array().unwrap().clone();
    stages[0]["name"] = json!("Discovery");
    let stages: Vec<Value> = stages
        .into_iter()
        .map(|s| json!({"id": s["id"], "name": s["name"], "probability": s["probability"], "kind": s["kind"]}))
        .collect();
    let res = app
        .client
        .put(app.url(&format!("/api/v1/pipelines/{id}")))
        .bearer_auth(&app.token)
        .json(&json!({"name": "New business", "stages": stages}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let board: Value = app
        .get(&format!("/api/v1/pipelines/{id}/board"), &app.member)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(board["columns"][0]["stage"], "Discovery");
    assert_eq!(board["columns"][0]["count"], 1);

    // Loss reasons: the defaults, then a workspace's own.
    let reasons: Value = app
        .get("/api/v1/loss-reasons", &app.member)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(reasons["reasons"].as_array().unwrap().len(), 8);
    let res = app
        .client
        .put(app.url("/api/v1/loss-reasons"))
        .bearer_auth(&app.token)
        .json(
            &json!({"reasons": [{"key": "price", "label": "Too expensive"}, {"key": "Bad Key!", "label": "x"}]}),
        )
        .send()
        .await
        .unwrap();
    let body = problem(res, 422, "bad key").await;
    assert_eq!(fields(&body), ["reasons[1].key"], "{body}");
    let res = app
        .client
        .put(app.url("/api/v1/loss-reasons"))
        .bearer_auth(&app.token)
        .json(&json!({"reasons": [{"key": "price", "label": "Too expensive"}, {"key": "ghosted", "label": "Stopped answering"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let reasons: Value = app
        .get("/api/v1/loss-reasons", &app.member)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(reasons["reasons"][1]["key"], "ghosted");
    // Another workspace keeps its own defaults.
    let theirs: Value = app
        .get("/api/v1/loss-reasons", &app.other)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["reasons"].as_array().unwrap().len(), 8);
    problem(
        app.get(&format!("/api/v1/pipelines/{id}"), &app.other)
            .await,
        404,
        "another workspace's pipeline",
    )
    .await;
}

async fn concurrent_moves_over_http_keep_every_history_row(app: TestApp) {
    let contact = captured_lead(&app, "racing@acme-industries.com").await;
    let d = deal(&app, &contact, json!(10)).await;
    let id = d["id"].as_str().unwrap().to_owned();
    let mut tasks = Vec::new();
    for stage in [
        "Demo",
        "Proposal",
        "Negotiation",
        "Closing",
        "Demo",
        "Proposal",
        "Negotiation",
        "Closing",
    ] {
        let (client, url, token) = (
            app.client.clone(),
            app.url(&format!("/api/v1/deals/{id}/move")),
            app.member.clone(),
        );
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&json!({"stage": stage}))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut moved = 0;
    for t in tasks {
        let status = t.await.unwrap();
        assert_eq!(status, 200);
        moved += 1;
    }
    let detail: Value = app
        .get(&format!("/api/v1/deals/{id}"), &app.member)
        .await
        .json()
        .await
        .unwrap();
    let history = detail["history"].as_array().unwrap();
    // Every move that changed the stage left its row (a move into the stage the deal was
    // already in, as read, changes nothing); the spans never overlap or leave gaps.
    assert!(
        history.len() >= 2 && history.len() <= moved + 1,
        "{detail:#}"
    );
    assert_eq!(history.iter().filter(|h| h["left_at"].is_null()).count(), 1);
    for pair in history.windows(2) {
        assert_eq!(pair[0]["left_at"], pair[1]["entered_at"], "{detail:#}");
    }
    assert_eq!(history.last().unwrap()["stage"], detail["stage"]);
}

fn ok(out: &std::process::Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The same sale from the terminal: create, move, win with lines, show; lose with a reason;
/// and the mistakes a person makes at a prompt, each with a message and nothing written.
async fn deals_from_the_terminal(app: TestApp) {
    let db = app.database_url();
    let contact = captured_lead(&app, "terminal@acme-industries.com").await;
    let out = ok(&closer(
        &db,
        &[
            "deal",
            "create",
            "--contact",
            &contact,
            "--title",
            "Annual plan",
            "--amount",
            "4800",
            "--currency",
            "usd",
        ],
    ));
    assert!(out.contains("4800.00 USD in Qualification (open)"), "{out}");
    let id = out.split_whitespace().nth(1).unwrap().to_owned();
    for stage in ["Demo", "proposal", "Negotiation", "Closing"] {
        ok(&closer(&db, &["deal", "move", &id, stage]));
    }
    let out = closer(&db, &["deal", "move", &id, "Nowhere"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a stage of the deal's pipeline"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = closer(&db, &["deal", "win", &id, "--line", "Seat,x,1"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a whole quantity"));
    let out = ok(&closer(
        &db,
        &[
            "deal",
            "win",
            &id,
            "--line",
            "Plan, annual,1,4000",
            "--line",
            "Setup,2,400.50",
        ],
    ));
    assert!(out.contains("4801.00 USD in Won (won)"), "{out}");
    let out = ok(&closer(&db, &["deal", "show", &id]));
    assert!(
        out.contains("order ") && out.contains("1 x Plan, annual at 4000.00"),
        "{out}"
    );
    for line in out.lines() {
        assert!(line.chars().count() <= 80, "fits 80 columns: {line:?}");
    }
    let shown: Value = serde_json::from_str(&ok(&closer(
        &db,
        &["deal", "show", &id, "--format", "json"],
    )))
    .unwrap();
    assert_eq!(shown["history"].as_array().unwrap().len(), 6);
    assert_eq!(shown["history"][5]["changed_by"], "cli");
    assert_eq!(shown["order"]["total"], "4801.00");
    assert_eq!(stage_of(&app, &contact).await, "customer");

    let other = captured_lead(&app, "later@acme-industries.com").await;
    let out = ok(&closer(
        &db,
        &["deal", "create", "--contact", &other, "--title", "Pilot"],
    ));
    let lost = out.split_whitespace().nth(1).unwrap().to_owned();
    let out = closer(&db, &["deal", "lose", &lost, "--reason", "vibes"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a loss reason"));
    let out = ok(&closer(
        &db,
        &[
            "deal",
            "lose",
            &lost,
            "--reason",
            "timing",
            "--objection",
            "Ask us again in Q3",
        ],
    ));
    assert!(out.contains("lost for timing"), "{out}");
    let out = ok(&closer(&db, &["deal", "list", "--status", "lost"]));
    assert!(
        out.contains("Pilot") && !out.contains("Annual plan"),
        "{out}"
    );
    let out = closer(
        &db,
        &[
            "deal",
            "create",
            "--contact",
            &other,
            "--title",
            "x",
            "--amount",
            "-3",
        ],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("must not be negative"));
    let out = ok(&closer(&db, &["pipeline", "list"]));
    assert!(out.starts_with("Sales (default)"), "{out}");

    // An order history import: checked whole first, then written, and not doubled when run
    // again.
    let dir = std::env::temp_dir().join(format!("closer-orders-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "email,placed_at,currency,product,quantity,unit_price,order\n\
         later@acme-industries.com,2026-01-05,EUR,Refill,2,9.90,A-1\n\
         not-an-email,2026-01-06,EUR,Refill,1,9.90,A-2\n\
         shop@new.example,yesterday,EUR,Refill,-1,-3,A-3\n",
    )
    .unwrap();
    let out = closer(&db, &["order", "import", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        err.contains("nothing was imported")
            && err.contains("line 3:")
            && err.contains("line 4: placed_at"),
        "{err}"
    );
    let orders: Value = app
        .get("/api/v1/orders", &app.member)
        .await
        .json()
        .await
        .unwrap();
    let before = orders.as_array().unwrap().len();
    let good = dir.join("good.csv");
    std::fs::write(
        &good,
        "email,placed_at,currency,product,quantity,unit_price,order\n\
         later@acme-industries.com,2026-01-05,EUR,Refill,2,9.90,A-1\n\
         later@acme-industries.com,2026-01-05,EUR,Filter,1,4.50,A-1\n\
         shop@new.example,2026-02-01T10:00:00Z,EUR,Refill,1,9.90,A-2\n",
    )
    .unwrap();
    let out = ok(&closer(
        &db,
        &["import", "orders", good.to_str().unwrap(), "--dry-run"],
    ));
    assert!(out.contains("2 new orders, 0 imported before"), "{out}");
    let out = ok(&closer(&db, &["import", "orders", good.to_str().unwrap()]));
    assert!(
        out.contains("imported 2 orders, 0 were imported before"),
        "{out}"
    );
    // The same file again (by the old spelling, kept): nothing is doubled.
    let out = ok(&closer(&db, &["order", "import", good.to_str().unwrap()]));
    assert!(
        out.contains("imported 0 orders, 2 were imported before"),
        "{out}"
    );
    let orders: Value = app
        .get("/api/v1/orders", &app.member)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(orders.as_array().unwrap().len(), before + 2);
    let first = orders
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["total"] == "24.30")
        .expect("A-1: 2 x 9.90 + 4.50");
    assert_eq!(first["source"], "import");
    assert_eq!(stage_of(&app, &other).await, "customer");
}

/// A visitor who read the pricing page and then filled a form: hot, per the default rules.
/// A page view of the pricing page by `vid`, waited for until it is stored, so the lead the
/// form post makes is hot from its first scoring.
async fn pricing_visit(app: &TestApp, vid: &str, ip: &str) {
    let before = app.traffic_when("site=sell.example", 0).await["pageviews"]
        .as_i64()
        .unwrap();
    let visit =
        json!([{"type": "pageview", "url": "https://sell.example/pricing", "visitor_id": vid}]);
    let res = app
        .track_raw(
            "/api/v1/track",
            visit.to_string(),
            ip,
            crate::helpers::BROWSER,
        )
        .await;
    assert_eq!(res.status(), 202);
    app.traffic_when("site=sell.example", before + 1).await;
}

async fn hot_lead(app: &TestApp, vid: &str, email: &str) -> String {
    pricing_visit(app, vid, "203.0.113.90").await;
    let form = app.form(&format!("Contact {vid}"), None).await;
    let res = app
        .client
        .post(app.url(&format!("/f/{}", form["key"].as_str().unwrap())))
        .header("accept", "application/json")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(urlencoded(&[("email", email), ("_closer_vid", vid)]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["contact_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The contact's open first-contact task, once the background scorer has made it.
async fn first_contact_task(app: &TestApp, contact: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let tasks: Value = app
            .get(&format!("/api/v1/tasks?contact_id={contact}"), &app.member)
            .await
            .json()
            .await
            .unwrap();
        if let Some(t) = tasks
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["kind"] == "first_contact")
        {
            return t.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no first-contact task: {tasks}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn hot_leads_get_an_owner_a_first_contact_task_and_orders(app: TestApp) {
    let rita = app
        .app
        .access()
        .add_user("default", "rita@closer.test", "Rita", "rep")
        .await
        .unwrap();
    let sam = app
        .app
        .access()
        .add_user("default", "sam@closer.test", "Sam", "rep")
        .await
        .unwrap();
    app.site("sell.example").await;
    let a = hot_lead(
        &app,
        "0193a0a17c3e7a108d2b1f2e3d4c5b01",
        "first@hot.example",
    )
    .await;
    let task_a = first_contact_task(&app, &a).await;
    let due = closer_domain::Timestamp::parse_rfc3339(task_a["due_at"].as_str().unwrap()).unwrap();
    let minutes = (due.unix_micros() - closer_domain::Timestamp::now().unix_micros()) / 60_000_000;
    assert!((13..=15).contains(&minutes), "due in 15 minutes: {task_a}");
    let owner_a = task_a["assignee_id"].as_str().unwrap().to_owned();
    let contact_a: Value = app
        .get(&format!("/api/v1/contacts/{a}"), &app.member)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(contact_a["owner_id"].as_str(), Some(owner_a.as_str()));
    // The next hot lead goes to the other rep.
    let b = hot_lead(
        &app,
        "0193a0a17c3e7a108d2b1f2e3d4c5b02",
        "second@hot.example",
    )
    .await;
    let task_b = first_contact_task(&app, &b).await;
    let mut owners = vec![
        owner_a.clone(),
        task_b["assignee_id"].as_str().unwrap().to_owned(),
    ];
    owners.sort();
    let mut both_reps = vec![rita.id.to_string(), sam.id.to_string()];
    both_reps.sort();
    assert_eq!(owners, both_reps, "round-robin");

    // Assignment rules: a German lead goes to Rita whatever the load; a rule naming someone
    // who is not a user is refused with its line.
    let rules = app
        .get("/api/v1/rules", &app.token)
        .await
        .text()
        .await
        .unwrap();
    let base = &rules[..rules.find("\n[assignment]").unwrap()];
    let put = |body: String| {
        app.client
            .put(app.url("/api/v1/rules"))
            .bearer_auth(&app.token)
            .header("content-type", "application/toml")
            .body(body)
            .send()
    };
    let stranger = format!(
        "{base}\n[assignment]\n[[assignment.rules]]\ncountry = \"DE\"\nowner = \"nobody@closer.test\"\n"
    );
    let body = problem(
        put(stranger).await.unwrap(),
        422,
        "an owner who is not a user",
    )
    .await;
    assert_eq!(fields(&body), ["assignment.rules[0].owner"], "{body}");
    let german = format!(
        "{base}\n[assignment]\nfirst_contact_minutes = 5\n\n[[assignment.rules]]\ncountry = \"DE\"\nowner = \"rita@closer.test\"\n"
    );
    assert_eq!(put(german).await.unwrap().status(), 200);
    let vid = "0193a0a17c3e7a108d2b1f2e3d4c5b03";
    pricing_visit(&app, vid, "203.0.113.91").await;
    let form = app.form("Kontakt", None).await;
    let res = app
        .client
        .post(app.url(&format!("/f/{}", form["key"].as_str().unwrap())))
        .header("accept", "application/json")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(urlencoded(&[
            ("email", "kunde@beispiel.de"),
            ("country", "DE"),
            ("_closer_vid", vid),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let c = res.json::<Value>().await.unwrap()["contact_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let task_c = first_contact_task(&app, &c).await;
    assert_eq!(
        task_c["assignee_id"].as_str(),
        Some(rita.id.to_string().as_str()),
        "{task_c}"
    );
    let due = closer_domain::Timestamp::parse_rfc3339(task_c["due_at"].as_str().unwrap()).unwrap();
    let minutes = (due.unix_micros() - closer_domain::Timestamp::now().unix_micros()) / 60_000_000;
    assert!(
        (3..=5).contains(&minutes),
        "due in the rules' 5 minutes: {task_c}"
    );

    // Bad activities are refused; a call completes the task and stores the first touch.
    let path = format!("/api/v1/contacts/{a}/activities");
    let res = app
        .post_json(&path, &app.member, &json!({"kind": "fax"}))
        .await;
    assert_eq!(fields(&problem(res, 422, "unknown kind").await), ["kind"]);
    let res = app
        .post_json(
            &path,
            &app.member,
            &json!({"kind": "call", "occurred_at": "2999-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(
        fields(&problem(res, 422, "future call").await),
        ["occurred_at"]
    );
    let res = app
        .post_json(
            &path,
            &app.member,
            &json!({"kind": "note", "text": "bad\u{0}byte"}),
        )
        .await;
    assert_eq!(
        fields(&problem(res, 422, "control character").await),
        ["text"]
    );
    let res = app
        .post_json(&path, &app.member, &json!({"kind": "call", "outcome": "reached", "text": "Wants 10 seats.\nSend a quote."}))
        .await;
    assert_eq!(res.status(), 201);
    let tasks: Value = app
        .get(
            &format!("/api/v1/tasks?contact_id={a}&status=all"),
            &app.member,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tasks[0]["status"], "done", "{tasks}");
    let timeline: Value = app
        .get(&format!("/api/v1/contacts/{a}/events"), &app.member)
        .await
        .json()
        .await
        .unwrap();
    let call = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "activity")
        .expect("the call is on the timeline");
    assert_eq!(call["properties"]["kind"], "call");
    assert_eq!(call["properties"]["outcome"], "reached");
    let detail: Value = app
        .get(&format!("/api/v1/contacts/{a}"), &app.member)
        .await
        .json()
        .await
        .unwrap();
    assert!(detail["first_touch_at"].is_string(), "{detail:#}");
    assert!(
        detail["speed_to_lead_seconds"].as_i64().unwrap() < 60,
        "{detail:#}"
    );
    // The queue shows the call: first touch (speed-to-lead) and the latest human touch.
    let queue: Value = app
        .get("/api/v1/queue?limit=50", &app.member)
        .await
        .json()
        .await
        .unwrap();
    let item = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["contact"]["id"] == a.as_str())
        .expect("the hot lead is queued");
    assert!(item["first_touch_at"].is_string(), "{item:#}");
    assert!(
        item["speed_to_lead_seconds"].as_i64().unwrap() < 60,
        "{item:#}"
    );
    assert!(
        item["since_human_touch_seconds"].as_i64().unwrap() < 60,
        "{item:#}"
    );
    let res = app
        .post_json(
            "/api/v1/users",
            &app.member,
            &json!({"email": "x@closer.test", "name": "X"}),
        )
        .await;
    problem(res, 403, "members do not add users").await;
    let res = app
        .post_json(
            "/api/v1/users",
            &app.token,
            &json!({"email": "rita@closer.test", "name": "Rita again"}),
        )
        .await;
    problem(res, 409, "a user's email twice").await;
    let res = app
        .post_json(
            "/api/v1/users",
            &app.token,
            &json!({"email": "max@closer.test", "name": "Max", "role": "boss"}),
        )
        .await;
    assert_eq!(fields(&problem(res, 422, "unknown role").await), ["role"]);
    let users: Value = app
        .get("/api/v1/users", &app.member)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(users.as_array().unwrap().len(), 2, "{users}");
    let log: Value = app.get(&path, &app.member).await.json().await.unwrap();
    assert_eq!(log[0]["text"], "Wants 10 seats.\nSend a quote.");
    problem(
        app.get(&path, &app.other).await,
        404,
        "another workspace's activities",
    )
    .await;

    // Tasks: scheduled, listed per rep, overdue, done.
    let res = app
        .post_json(
            "/api/v1/tasks",
            &app.member,
            &json!({"title": " ", "due_at": "soon"}),
        )
        .await;
    assert_eq!(
        fields(&problem(res, 422, "bad task").await),
        ["title", "due_at"]
    );
    let res = app
        .post_json(
            "/api/v1/tasks",
            &app.member,
            &json!({"title": "Send the quote", "due_at": "2020-01-01T09:00:00Z", "contact_id": a, "assignee_id": owner_a}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let quote: Value = res.json().await.unwrap();
    assert_eq!(quote["overdue"], true);
    let overdue: Value = app
        .get(
            &format!("/api/v1/tasks?overdue=true&assignee_id={owner_a}"),
            &app.member,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(overdue.as_array().unwrap().len(), 1, "{overdue}");
    let res = app
        .patch_json(
            &format!("/api/v1/tasks/{}", quote["id"].as_str().unwrap()),
            &app.member,
            &json!({"status": "done"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .post_json("/api/v1/tasks", &app.member, &json!({"title": "x", "due_at": "2030-01-01T00:00:00Z", "assignee_id": uuid::Uuid::now_v7()}))
        .await;
    assert_eq!(
        fields(&problem(res, 422, "unknown assignee").await),
        ["assignee_id"]
    );

    // A repeat purchase placed directly: a customer, with its orders listed.
    let order = |lines: Value| json!({"contact_id": b, "currency": "usd", "lines": lines});
    let res = app
        .post_json(
            "/api/v1/orders",
            &app.member,
            &order(json!([{"product": "Refill", "quantity": 0, "unit_price": "9.90"}])),
        )
        .await;
    assert_eq!(
        fields(&problem(res, 422, "zero quantity").await),
        ["lines[0].quantity"]
    );
    let res = app
        .post_json("/api/v1/orders", &app.member, &order(json!([])))
        .await;
    assert_eq!(fields(&problem(res, 422, "no lines").await), ["lines"]);
    let res = app
        .post_json(
            "/api/v1/orders",
            &app.other,
            &order(json!([{"product": "Refill", "unit_price": 1}])),
        )
        .await;
    assert_eq!(
        fields(&problem(res, 422, "another workspace's contact").await),
        ["contact_id"]
    );
    let res = app
        .post_json(
            "/api/v1/orders",
            &app.member,
            &order(json!([{"product": "Refill", "quantity": 3, "unit_price": "9.90"}])),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.json::<Value>().await.unwrap()["total"], "29.70");
    assert_eq!(stage_of(&app, &b).await, "customer");
    let orders: Value = app
        .get(&format!("/api/v1/orders?contact_id={b}"), &app.member)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(orders.as_array().unwrap().len(), 1);
}

/// `closer demo`: a year of history in a new workspace, written through the store; a second run
/// on the same workspace is refused.
async fn demo_fills_a_new_workspace(app: TestApp) {
    let db = app.database_url();
    let out = ok(&closer(
        &db,
        &["demo", "--contacts", "150", "--workspace", "showroom"],
    ));
    let numbers: Vec<u64> = out
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    // visitors, page views, leads, deals, won, lost, orders, seconds
    let (leads, deals, won, lost, orders) =
        (numbers[2], numbers[3], numbers[4], numbers[5], numbers[6]);
    assert!((100..=200).contains(&leads), "{out}");
    assert!(deals > 0 && won + lost <= deals && orders >= won, "{out}");
    let again = closer(
        &db,
        &["demo", "--contacts", "10", "--workspace", "showroom"],
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already has contacts"));
    let bad = closer(
        &db,
        &["demo", "--contacts", "0", "--workspace", "empty-showroom"],
    );
    assert!(String::from_utf8_lossy(&bad.stderr).contains("contacts: must be from 1"));
    let listed = ok(&closer(
        &db,
        &["deal", "list", "--workspace", "showroom", "--limit", "500"],
    ));
    assert!(listed.contains(" seats"), "{listed}");
    // The same seed, the same history: the counts repeat in another workspace.
    let twin = ok(&closer(
        &db,
        &["demo", "--contacts", "150", "--workspace", "showroom-twin"],
    ));
    let twin_numbers: Vec<u64> = twin
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    assert_eq!(numbers[..7], twin_numbers[..7], "{out}\n{twin}");
    // The default workspace saw none of it.
    let mine: Value = app
        .get("/api/v1/deals", &app.member)
        .await
        .json()
        .await
        .unwrap();
    assert!(mine.as_array().unwrap().is_empty());
}
