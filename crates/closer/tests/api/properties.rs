//! Custom properties through the API, the web app and the terminal: admins define them
//! (others may not), every write checks a defined property's value by its type and stores it
//! in one form (the API, the contact and deal forms, a form capture, an import), refusals
//! name `properties.NAME`, and a report breaks down by one.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, closer_on, problem};
use crate::web_app::{PASSWORD, Session, field, user};

crate::on_both_backends!(properties_are_defined_typed_and_reported);

fn as_pairs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

async fn define(app: &TestApp, body: Value) -> Value {
    let res = app.post_json("/api/v1/properties", &app.token, &body).await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

#[allow(clippy::too_many_lines)]
async fn properties_are_defined_typed_and_reported(app: TestApp) {
    user(&app, "owner@acme.example", "admin").await;
    user(&app, "mona@acme.example", "manager").await;
    let plan = define(
        &app,
        json!({"of": "contacts", "name": "plan", "label": "Plan", "type": "select", "options": ["Gold", "Silver"]}),
    )
    .await;
    define(
        &app,
        json!({"of": "contacts", "name": "seats", "type": "number"}),
    )
    .await;
    define(
        &app,
        json!({"of": "contacts", "name": "vip", "type": "checkbox"}),
    )
    .await;
    define(
        &app,
        json!({"of": "deals", "name": "renewal_on", "label": "Renewal", "type": "date"}),
    )
    .await;
    // Refusals name the field.
    for (body, field) in [
        (
            json!({"of": "contacts", "name": "plan", "type": "text"}),
            "name",
        ),
        (
            json!({"of": "contacts", "name": "Bad Name", "type": "text"}),
            "name",
        ),
        (
            json!({"of": "contacts", "name": "x", "type": "colour"}),
            "type",
        ),
        (json!({"of": "orders", "name": "x", "type": "text"}), "of"),
        (
            json!({"of": "contacts", "name": "tier", "type": "select"}),
            "options",
        ),
        (
            json!({"of": "contacts", "name": "note", "type": "text", "options": ["a"]}),
            "options",
        ),
    ] {
        let p = problem(
            app.post_json("/api/v1/properties", &app.token, &body).await,
            422,
            &body.to_string(),
        )
        .await;
        assert!(p.to_string().contains(field), "{body}: {p}");
    }
    let listed: Value = app
        .get("/api/v1/properties?of=contacts", &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 3);
    let id = plan["id"].as_str().unwrap();
    let res = app
        .patch_json(
            &format!("/api/v1/properties/{id}"),
            &app.token,
            &json!({"label": "Plan bought", "options": ["Gold", "Silver", "Bronze"]}),
        )
        .await;
    assert_eq!(res.status(), 200);

    // Values: checked by type, stored in one form; a wrong one names its property.
    let res = app
        .post_json(
            "/api/v1/contacts",
            &app.token,
            &json!({"email": "ada@math.example", "properties": {"plan": "gold", "seats": "40", "vip": "yes", "colour": "blue"}}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let ada: Value = res.json().await.unwrap();
    assert_eq!(
        ada["properties"],
        json!({"plan": "Gold", "seats": 40, "vip": true, "colour": "blue"})
    );
    let ada_id = ada["id"].as_str().unwrap().to_owned();
    let p = problem(
        app.patch_json(
            &format!("/api/v1/contacts/{ada_id}"),
            &app.token,
            &json!({"properties": {"plan": "Platinum", "seats": "many"}}),
        )
        .await,
        422,
        "an option that is none and a number that is none",
    )
    .await;
    let text = p.to_string();
    assert!(
        text.contains("properties.plan") && text.contains("properties.seats"),
        "{text}"
    );
    let deal = app
        .post_json(
            "/api/v1/deals",
            &app.token,
            &json!({"contact_id": ada_id, "title": "Renewal", "properties": {"renewal_on": "2027-02-01"}}),
        )
        .await;
    assert_eq!(deal.status(), 201);
    let deal: Value = deal.json().await.unwrap();
    assert_eq!(deal["properties"], json!({"renewal_on": "2027-02-01"}));
    let deal_id = deal["id"].as_str().unwrap().to_owned();
    problem(
        app.patch_json(
            &format!("/api/v1/deals/{deal_id}"),
            &app.token,
            &json!({"properties": {"renewal_on": "next spring"}}),
        )
        .await,
        422,
        "not a date",
    )
    .await;

    // A form capture: a field named after a defined property is checked too.
    let form = app.form("Trial", None).await;
    let key = form["key"].as_str().unwrap();
    let res = app
        .client
        .post(app.url(&format!("/f/{key}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body("email=bob%40engines.example&seats=twelve")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422, "{}", res.text().await.unwrap());

    // A manager may not define properties.
    let mut m = Session::new(&app);
    m.sign_in("mona@acme.example", PASSWORD).await;
    let settings = m.get("/settings").await;
    assert_eq!(settings.status, StatusCode::FORBIDDEN);

    // The web app: an admin adds one from Settings (the name made from its label), and the
    // contact form shows each defined property's input.
    let mut o = Session::new(&app);
    o.sign_in("owner@acme.example", PASSWORD).await;
    let settings = o.get("/settings").await;
    let csrf = field(&settings.body, "csrf");
    let added = o
        .post(
            "/settings/properties",
            &[
                ("csrf", &csrf),
                ("of", "contacts"),
                ("label", "Tools used"),
                ("name", ""),
                ("kind", "multi_select"),
                ("options", "Excel\nSlack\n"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let refused = o
        .post(
            "/settings/properties",
            &[
                ("csrf", &csrf),
                ("of", "contacts"),
                ("label", "Tier"),
                ("name", ""),
                ("kind", "select"),
                ("options", ""),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("id=\"options-error\""),
        "{}",
        refused.body
    );
    let form = o.get(&format!("/contacts/{ada_id}/edit")).await;
    assert!(
        form.body.contains("name=\"prop.plan\"")
            && form.body.contains("name=\"prop.tools_used.1\"")
            && form.body.contains("type=\"checkbox\" name=\"prop.vip\""),
        "{}",
        form.body
    );
    let read_at = field(&form.body, "read_at");
    let post = |seats: &'static str, read_at: String| {
        vec![
            ("csrf", csrf.clone()),
            ("read_at", read_at),
            ("name", "Ada Lovelace".into()),
            ("emails", "ada@math.example".into()),
            ("phones", String::new()),
            ("company", String::new()),
            ("job_title", String::new()),
            ("stage", "lead".into()),
            ("stage_reason", String::new()),
            ("consent", String::new()),
            ("consent_was", String::new()),
            ("owner", String::new()),
            ("drawn.plan", "1".into()),
            ("prop.plan", "Silver".into()),
            ("drawn.seats", "1".into()),
            ("prop.seats", seats.into()),
            ("drawn.vip", "1".into()),
            ("drawn.tools_used", "1".into()),
            ("prop.tools_used.1", "Slack".into()),
        ]
    };
    let wrong = post("lots", read_at.clone());
    let bad = o
        .post(&format!("/contacts/{ada_id}/edit"), &as_pairs(&wrong))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("id=\"properties.seats-error\""),
        "{}",
        bad.body
    );
    let good = post("12", read_at);
    let saved = o
        .post(&format!("/contacts/{ada_id}/edit"), &as_pairs(&good))
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let stored: Value = app
        .get(&format!("/api/v1/contacts/{ada_id}"), &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        stored["properties"],
        json!({"plan": "Silver", "seats": 12, "vip": false, "tools_used": ["Slack"], "colour": "blue"})
    );
    let page = o.get(&format!("/contacts/{ada_id}")).await;
    assert!(
        page.body.contains("Plan bought") && page.body.contains("Tools used"),
        "labels on the page"
    );

    // The lists filter by a property's value (and by scores and activity), refusing what
    // is not one precisely; the web app's list reads the same filters.
    let found: Value = app
        .get(
            "/api/v1/contacts?property=plan:silver&active_from=2026-01-01",
            &app.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        found["items"].as_array().unwrap().len(),
        0,
        "nothing logged on her"
    );
    let found: Value = app
        .get("/api/v1/contacts?property=tools_used:slack", &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["items"][0]["id"], ada_id.as_str());
    for (query, status, field) in [
        ("fit_min=50&fit_max=10", 422, "fit_min"),
        ("property=Plan:gold", 422, "property"),
        ("property=plan", 400, "property"),
        ("property=plan:%20", 422, "property"),
        ("active_from=soon", 400, "active_from"),
    ] {
        let p = problem(
            app.get(&format!("/api/v1/contacts?{query}"), &app.token)
                .await,
            status,
            query,
        )
        .await;
        assert!(p.to_string().contains(field), "{query}: {p}");
    }
    let listed = o.get("/contacts?property=plan%3Asilver").await;
    assert!(
        listed.body.contains("Ada") && listed.body.contains("<details class=\"more-filters\" open"),
        "{}",
        listed.body
    );

    // A report by a property.
    let res = app
        .get("/api/v1/reports/funnel?by=property:plan", &app.token)
        .await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("Silver"));

    // The terminal.
    let (out, err, ok) = closer_on(
        &app,
        &[
            "property",
            "add",
            "region",
            "--of",
            "companies",
            "--type",
            "select",
            "--option",
            "EMEA",
            "--option",
            "AMER",
        ],
    );
    assert!(ok && out.contains("region"), "{out}{err}");
    let (out, _, ok) = closer_on(&app, &["property", "list", "--of", "companies"]);
    assert!(ok && out.contains("EMEA, AMER"), "{out}");
    let (_, err, ok) = closer_on(
        &app,
        &["contact", "edit", &ada_id, "--property", "seats=several"],
    );
    assert!(!ok && err.contains("properties.seats"), "{err}");
    let (_, err, ok) = closer_on(
        &app,
        &[
            "deal",
            "set",
            &deal_id,
            "--property",
            "renewal_on=2028-01-01",
        ],
    );
    assert!(ok, "{err}");
    let region = out.split_whitespace().next().unwrap().to_owned();
    let (_, err, ok) = closer_on(&app, &["property", "delete", &region]);
    assert!(!ok && err.contains("--yes"), "{err}");
    let (_, err, ok) = closer_on(&app, &["property", "delete", &region, "--yes"]);
    assert!(ok, "{err}");

    // An import: a row whose defined property is wrong is set aside with its reason.
    let csv = "Email,Plan,Seats\ncy@engines.example,Gold,3\ndee@paths.example,Bronze,lots\n";
    let path = std::env::temp_dir().join(format!("props-{}.csv", uuid::Uuid::now_v7()));
    std::fs::write(&path, csv).unwrap();
    let (out, err, ok) = closer_on(
        &app,
        &["import", "contacts", path.to_str().unwrap(), "--dry-run"],
    );
    let said = format!("{out}{err}");
    assert!(
        said.contains("properties.seats") && said.contains("line 3"),
        "{said}"
    );
    // Without --continue-on-error a file with a wrong row imports nothing: the dry run says so.
    let _ = ok;
}
