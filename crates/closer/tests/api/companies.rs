//! Companies through the API, the capture path, the terminal and the web app: created and
//! deduped by domain, people joining by their email's domain (never a free-mail one), edits,
//! deletion that keeps the people, and workspaces kept apart.

use serde_json::{Value, json};

use crate::helpers::{TestApp, closer, fields, problem};

crate::on_both_backends!(
    companies_gather_their_people_deals_and_orders,
    fit_rules_read_the_company,
    a_process_that_read_a_domain_before_its_company_still_links_its_people
);

async fn contact(app: &TestApp, email: &str) -> Value {
    let res = app
        .post_json("/api/v1/contacts", &app.token, &json!({ "email": email }))
        .await;
    assert!(res.status().is_success());
    res.json().await.unwrap()
}

async fn companies_gather_their_people_deals_and_orders(app: TestApp) {
    // Someone who arrived before the company did.
    let ada = contact(&app, "ada@acme.com").await;
    let gmail = contact(&app, "bob@gmail.com").await;
    let res = app
        .post_json(
            "/api/v1/companies",
            &app.token,
            &json!({"name": " Acme ", "domains": ["https://www.Acme.com/about", "acme.io"],
                    "employees": 40, "industry": "Tools", "properties": {"tier": "gold"}}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let acme: Value = res.json().await.unwrap();
    let id = acme["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/companies/{id}"));
    assert_eq!(acme["name"], "Acme");
    assert_eq!(acme["domains"], json!(["acme.com", "acme.io"]));
    // The same domain again finds it: 200, nothing new.
    let res = app
        .post_json(
            "/api/v1/companies",
            &app.token,
            &json!({"name": "ACME Corp", "domains": ["acme.io"]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["id"], acme["id"]);
    // Refused, each field named: a free-mail domain, a bad domain, no name.
    let res = app
        .post_json(
            "/api/v1/companies",
            &app.token,
            &json!({"name": "Gmail", "domains": ["gmail.com"]}),
        )
        .await;
    assert_eq!(
        fields(&problem(res, 422, "free mail").await),
        vec!["domains"]
    );
    let res = app
        .post_json(
            "/api/v1/companies",
            &app.token,
            &json!({"name": "  ", "domains": ["not a domain"]}),
        )
        .await;
    let mut named = fields(&problem(res, 422, "no name, bad domain").await);
    named.sort();
    assert_eq!(named, vec!["domains", "name"]);
    let res = app
        .post_json(
            "/api/v1/companies",
            &app.token,
            &json!({"name": "Big\u{9e}", "employees": 2_147_483_648u64}),
        )
        .await;
    let mut named = fields(&problem(res, 422, "a control character, too many employees").await);
    named.sort();
    assert_eq!(named, vec!["employees", "name"]);

    // People join by their email's domain: the one there before, one added by the API, one
    // from a form; never the free-mail one.
    let get = |path: String| {
        let app = &app;
        async move {
            let res = app.get(&path, &app.token).await;
            assert_eq!(res.status(), 200, "{path}");
            res.json::<Value>().await.unwrap()
        }
    };
    let ada_id = ada["id"].as_str().unwrap();
    assert_eq!(
        get(format!("/api/v1/contacts/{ada_id}")).await["company_id"],
        acme["id"]
    );
    let cy = contact(&app, "cy@ACME.io").await;
    assert_eq!(cy["company_id"], acme["id"], "linked as it is stored");
    let form = app.form("Demo", None).await;
    let res = app
        .client
        .post(form["action_url"].as_str().unwrap())
        .json(&json!({"email": "dee@acme.com"}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    let gmail_id = gmail["id"].as_str().unwrap();
    assert!(get(format!("/api/v1/contacts/{gmail_id}")).await["company_id"].is_null());

    // A deal and an order on one of its people show on the company.
    let res = app
        .post_json(
            "/api/v1/deals",
            &app.token,
            &json!({"contact_id": ada_id, "title": "40 seats", "amount": "4800", "currency": "EUR"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let deal: Value = res.json().await.unwrap();
    assert_eq!(
        deal["company_id"], acme["id"],
        "a deal belongs to its contact's company"
    );
    let res = app
        .post_json(
            "/api/v1/orders",
            &app.token,
            &json!({"contact_id": cy["id"], "currency": "EUR",
                    "lines": [{"product": "Box", "unit_price": "99.00"}]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let detail = get(format!("/api/v1/companies/{id}")).await;
    let mut people: Vec<&str> = detail["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["email"].as_str().unwrap())
        .collect();
    people.sort_unstable();
    assert_eq!(people, vec!["ada@acme.com", "cy@acme.io", "dee@acme.com"]);
    assert_eq!(detail["deals"][0]["title"], "40 seats");
    assert_eq!(detail["orders"][0]["total"], "99.00");
    assert_eq!(detail["properties"]["tier"], "gold");

    // A free-mail person joins by hand, and leaves; another workspace's company is refused.
    let put_company = |body: Value| {
        let app = &app;
        async move {
            app.client
                .put(app.url(&format!("/api/v1/contacts/{gmail_id}/company")))
                .bearer_auth(&app.token)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let res = put_company(json!({ "company_id": acme["id"] })).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["company_id"], acme["id"]);
    let detail = get(format!("/api/v1/companies/{id}")).await;
    assert_eq!(detail["people"].as_array().unwrap().len(), 4);
    let res = put_company(json!({ "company_id": null })).await;
    assert!(res.json::<Value>().await.unwrap()["company_id"].is_null());
    let theirs: Value = app
        .post_json(
            "/api/v1/companies",
            &app.other,
            &json!({"name": "Theirs", "domains": ["theirs.example"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let res = put_company(json!({ "company_id": theirs["id"] })).await;
    assert_eq!(
        fields(&problem(res, 422, "another workspace's company").await),
        vec!["company_id"]
    );

    // Taken out by hand, a person stays out, even when the company's domains are saved
    // again (which links everyone else at them).
    let res = app
        .client
        .put(app.url(&format!("/api/v1/contacts/{ada_id}/company")))
        .bearer_auth(&app.token)
        .json(&json!({ "company_id": null }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = app
        .patch_json(
            &format!("/api/v1/companies/{id}"),
            &app.token,
            &json!({"domains": ["acme.com", "acme.io", "acme.dev"]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert!(get(format!("/api/v1/contacts/{ada_id}")).await["company_id"].is_null());
    let res = app
        .client
        .put(app.url(&format!("/api/v1/contacts/{ada_id}/company")))
        .bearer_auth(&app.token)
        .json(&json!({ "company_id": acme["id"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // Lists and search.
    let page = get("/api/v1/companies?q=ACME.IO".into()).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert!(
        get("/api/v1/companies?q=zzz".into()).await["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Edits: set, clear, merge properties; a domain another company holds is a 409.
    let res = app
        .patch_json(
            &format!("/api/v1/companies/{id}"),
            &app.token,
            &json!({"industry": null, "employees": 45, "properties": {"tier": null, "plan": "pro"}}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let edited: Value = res.json().await.unwrap();
    assert!(edited["industry"].is_null());
    assert_eq!(edited["employees"], 45);
    assert_eq!(edited["properties"], json!({"plan": "pro"}));
    let res = app
        .post_json(
            "/api/v1/companies",
            &app.token,
            &json!({"name": "Globex", "domains": ["globex.example"]}),
        )
        .await;
    let globex: Value = res.json().await.unwrap();
    let res = app
        .patch_json(
            &format!("/api/v1/companies/{}", globex["id"].as_str().unwrap()),
            &app.token,
            &json!({"domains": ["globex.example", "acme.com"]}),
        )
        .await;
    assert_eq!(res.status(), 409);

    // Another workspace sees none of it.
    let res = app
        .get(&format!("/api/v1/companies/{id}"), &app.other)
        .await;
    assert_eq!(res.status(), 404);
    let theirs: Value = app
        .get("/api/v1/companies?q=acme", &app.other)
        .await
        .json()
        .await
        .unwrap();
    assert!(theirs["items"].as_array().unwrap().is_empty());

    // The terminal lists and shows the same.
    let out = closer(
        &app.database_url(),
        &["company", "show", &id, "--format", "json"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["people"].as_array().unwrap().len(), 3);
    let out = closer(
        &app.database_url(),
        &[
            "company",
            "add",
            "Initech",
            "--domain",
            "initech.example",
            "--domain",
            "gmail.com",
        ],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("free-mail"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = closer(
        &app.database_url(),
        &["company", "list", "--search", "acme"],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Acme"));

    // Deleting keeps the people, without a company.
    let res = app
        .delete(&format!("/api/v1/companies/{id}"), &app.token)
        .await;
    assert_eq!(res.status(), 204);
    assert!(get(format!("/api/v1/contacts/{ada_id}")).await["company_id"].is_null());
    let res = app
        .get(&format!("/api/v1/companies/{id}"), &app.token)
        .await;
    assert_eq!(res.status(), 404);
}

async fn qualification(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/api/v1/contacts/{id}/qualification"), &app.token)
        .await
        .json()
        .await
        .unwrap()
}

/// Whether the contact's fit counts the company-size rule.
async fn account_rule(app: &TestApp, id: &str) -> bool {
    qualification(app, id).await["fit"]["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["rule"] == "mid-size account")
}

/// A fit rule on the company's size scores its people once they belong to a company of that
/// size, and again when the company changes.
async fn fit_rules_read_the_company(app: TestApp) {
    let defaults = app
        .get("/api/v1/rules", &app.token)
        .await
        .text()
        .await
        .unwrap();
    let rules = format!(
        "{defaults}\n[[fit.rules]]\nname = \"mid-size account\"\nfield = \"company.employees\"\nmin = 50\nmax = 1000\npoints = 30\n"
    );
    let res = app
        .client
        .put(app.url("/api/v1/rules"))
        .bearer_auth(&app.token)
        .header("content-type", "application/toml")
        .body(rules)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let ann = contact(&app, "ann@initech.example").await;
    let id = ann["id"].as_str().unwrap().to_owned();
    assert!(!account_rule(&app, &id).await, "no company yet");
    let res = app
        .post_json(
            "/api/v1/companies",
            &app.token,
            &json!({"name": "Initech", "domains": ["initech.example"], "employees": 120}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let company: Value = res.json().await.unwrap();
    assert!(account_rule(&app, &id).await, "the company's size counts");
    // The stored score (what the queue and lists read) follows, off the request path.
    let want = qualification(&app, &id).await["fit"]["score"]
        .as_f64()
        .unwrap();
    let mut stored = None;
    for _ in 0..100 {
        stored = qualification(&app, &id).await["stored"]["fit"].as_f64();
        if stored == Some(want) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(stored, Some(want), "rescored after the company was made");
    // Shrinking the company takes the points away.
    let res = app
        .patch_json(
            &format!("/api/v1/companies/{}", company["id"].as_str().unwrap()),
            &app.token,
            &json!({"employees": 10}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert!(!account_rule(&app, &id).await);
}

/// Each process trusts what it read about a domain for a few seconds (capture asks for every
/// lead). A second process that read "no company" just before a company was made elsewhere
/// stores a lead of that domain without one for that moment; the process that made the
/// company links its people again once that moment is over, so nobody is left out.
async fn a_process_that_read_a_domain_before_its_company_still_links_its_people(app: TestApp) {
    let ws = app.default_workspace().await;
    let other_node = closer_app::App::new(app.app.store_for_tests().clone());
    let operator = closer_app::Principal::operator(ws);
    let lead = |email: &str| closer_domain::ContactDraft {
        emails: vec![closer_domain::Email::parse(email).unwrap()],
        ..closer_domain::ContactDraft::default()
    };
    let first = other_node
        .contacts()
        .upsert_contact(&operator, lead("first@late.example"), false)
        .await
        .unwrap();
    assert!(first.contact.company_id.is_none(), "no company yet");
    let res = app
        .post_json(
            "/api/v1/companies",
            &app.token,
            &json!({"name": "Late", "domains": ["late.example"]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let company: Value = res.json().await.unwrap();
    let second = other_node
        .contacts()
        .upsert_contact(&operator, lead("second@late.example"), false)
        .await
        .unwrap();
    let company_of = |id: closer_domain::ContactId| {
        let app = &app;
        async move {
            app.get(&format!("/api/v1/contacts/{id}"), &app.token)
                .await
                .json::<Value>()
                .await
                .unwrap()["company_id"]
                .clone()
        }
    };
    // The first was there when the company was made; the second arrives at the other
    // process while it still trusts its "no company", and is linked a moment later.
    assert_eq!(company_of(first.contact.id).await, company["id"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while company_of(second.contact.id).await != company["id"] {
        assert!(
            std::time::Instant::now() < deadline,
            "the lead captured meanwhile was never linked"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
