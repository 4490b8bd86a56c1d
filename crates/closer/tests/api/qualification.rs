//! Qualification through the API: rules read and replaced (with line-precise errors), scores
//! and temperature updated as events arrive, lead → prospect by rule, every verdict explained,
//! and the sales queue.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{BROWSER, TestApp, fields, problem, urlencoded};

crate::on_both_backends!(
    rules_are_read_checked_and_replaced,
    a_visitor_who_fills_a_form_is_scored_explained_and_queued,
    manual_moves_win_and_tenancy_holds,
);

async fn put_rules(
    app: &TestApp,
    token: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    app.client
        .put(app.url("/api/v1/rules"))
        .bearer_auth(token)
        .header("content-type", "application/toml")
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn rules_are_read_checked_and_replaced(app: TestApp) {
    let res = app.get("/api/v1/rules", &app.token).await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/toml")
    );
    let defaults = res.text().await.unwrap();
    assert!(
        defaults.contains("[[engagement.rules]]"),
        "the shipped defaults"
    );

    // Each problem with its line; nothing stored.
    let broken = defaults
        .replace("half_life_days = 30", "half_life_days = 0")
        .replace(
            "finished_when = [\"purchased\"]",
            "finished_when = [\"bought\"]",
        );
    let body = problem(
        put_rules(&app, &app.token, broken.clone()).await,
        422,
        "bad rules",
    )
    .await;
    assert_eq!(
        fields(&body),
        ["engagement.half_life_days", "temperature.finished_when"],
        "{body}"
    );
    let line = broken
        .lines()
        .position(|l| l.starts_with("half_life_days = 0"))
        .unwrap()
        + 1;
    assert_eq!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .split(':')
            .next(),
        Some(format!("line {line}").as_str()),
        "{body}"
    );
    let body = problem(
        put_rules(&app, &app.token, "[engagement\n").await,
        422,
        "not TOML",
    )
    .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("line 1:"),
        "{body}"
    );
    problem(
        put_rules(&app, &app.token, vec![0xff_u8, 0xfe]).await,
        400,
        "not UTF-8",
    )
    .await;
    problem(
        put_rules(&app, &app.token, "#".repeat(70_000)).await,
        413,
        "too large",
    )
    .await;
    problem(
        put_rules(&app, &app.member, defaults.clone()).await,
        403,
        "a member token",
    )
    .await;
    assert_eq!(
        app.get("/api/v1/rules", &app.token)
            .await
            .text()
            .await
            .unwrap(),
        defaults
    );

    let mine = defaults.replace("half_life_days = 30", "half_life_days = 7");
    let res = put_rules(&app, &app.token, mine.clone()).await;
    assert_eq!(res.status(), 200);
    let applied: Value = res.json().await.unwrap();
    assert!(applied["engagement_rules"].as_u64().unwrap() >= 10);
    assert_eq!(
        app.get("/api/v1/rules", &app.token)
            .await
            .text()
            .await
            .unwrap(),
        mine
    );
    // Another workspace still has the defaults.
    assert_eq!(
        app.get("/api/v1/rules", &app.other)
            .await
            .text()
            .await
            .unwrap(),
        defaults
    );
}

/// The contact's qualification once `ready` holds (scoring runs in the background).
async fn qualification_when(app: &TestApp, contact: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let res = app
            .get(
                &format!("/api/v1/contacts/{contact}/qualification"),
                &app.token,
            )
            .await;
        assert_eq!(res.status(), 200);
        let q: Value = res.json().await.unwrap();
        if ready(&q) {
            return q;
        }
        assert!(
            Instant::now() < deadline,
            "qualification never got there: {q:#}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn rule<'a>(q: &'a Value, name: &str) -> Option<&'a Value> {
    q["engagement_rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rule"] == name)
}

async fn a_visitor_who_fills_a_form_is_scored_explained_and_queued(app: TestApp) {
    app.site("qualify.example").await;
    let vid = "0193a0a17c3e7a108d2b1f2e3d4c5b6a";
    let visits = json!([
        {"type": "pageview", "url": "https://qualify.example/", "referrer": "https://www.google.com/", "visitor_id": vid,
         "timestamp": (time::OffsetDateTime::now_utc() - time::Duration::days(2)).unix_timestamp() * 1000},
        {"type": "pageview", "url": "https://qualify.example/pricing", "visitor_id": vid},
    ]);
    let res = app
        .track_raw("/api/v1/track", visits.to_string(), "203.0.113.80", BROWSER)
        .await;
    assert_eq!(res.status(), 202);
    app.traffic_when("site=qualify.example", 2).await;

    // A cold lead first, for the queue's order.
    let cold = app
        .post_json(
            "/api/v1/contacts",
            &app.token,
            &json!({"email": "cold@gmail.com"}),
        )
        .await;
    assert_eq!(cold.status(), 201);

    let form = app.form("Contact us", None).await;
    let res = app
        .client
        .post(app.url(&format!("/f/{}", form["key"].as_str().unwrap())))
        .header("accept", "application/json")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(urlencoded(&[
            ("email", "ines@acme-industries.com"),
            ("company", "Acme Industries"),
            ("job_title", "Head of Operations"),
            ("message", "We need 40 seats by March"),
            ("_closer_vid", vid),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let contact = res.json::<Value>().await.unwrap()["contact_id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Earlier visits and the form all count; stating requirements made a prospect.
    let q = qualification_when(&app, &contact, |q| q["stage"] == "prospect").await;
    assert!(q["stored"]["scored_at"].is_string(), "{q:#}");
    assert!(
        q["stage_set_by"]
            .as_str()
            .unwrap()
            .starts_with("rule:stated requirements"),
        "{q:#}"
    );
    for name in [
        "viewed a page",
        "visited pricing",
        "submitted a form",
        "stated requirements",
    ] {
        assert!(rule(&q, name).is_some(), "{name} counted: {q:#}");
    }
    assert_eq!(rule(&q, "viewed a page").unwrap()["matches"], 2);
    let engagement = q["engagement"].as_f64().unwrap();
    assert!(
        (35.0..=37.0).contains(&engagement),
        "1+1+10+15+10, barely decayed: {engagement}"
    );
    // Pricing plus contact: hot.
    assert_eq!(q["temperature"]["temperature"], "hot", "{q:#}");
    let fit_rules: Vec<&str> = q["fit"]["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["rule"].as_str().unwrap())
        .collect();
    assert!(
        fit_rules.contains(&"company email address") && fit_rules.contains(&"decision maker"),
        "{fit_rules:?}"
    );
    // Two visits (one from Google) before becoming a lead.
    let lead = &q["touches"][0];
    assert_eq!(lead["stage"], "lead");
    assert_eq!(lead["touches"], 2, "{q:#}");
    assert_eq!(lead["by_channel"]["organic_search"], 1, "{q:#}");

    // A later event goes to the contact's score incrementally.
    let demo =
        json!([{"type": "Demo Request", "url": "https://qualify.example/demo", "visitor_id": vid}]);
    app.track_raw("/api/v1/track", demo.to_string(), "203.0.113.80", BROWSER)
        .await;
    let q = qualification_when(&app, &contact, |q| rule(q, "asked for a demo").is_some()).await;
    assert!(
        q["engagement"].as_f64().unwrap() > engagement + 29.0,
        "{q:#}"
    );

    // The queue: hot prospect first, the cold lead after it, with speed-to-lead.
    let res = app.get("/api/v1/queue?limit=10", &app.token).await;
    assert_eq!(res.status(), 200);
    let queue: Value = res.json().await.unwrap();
    let items = queue["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{queue:#}");
    assert_eq!(items[0]["contact"]["id"], contact);
    assert_eq!(items[0]["temperature"], "hot");
    assert_eq!(items[1]["temperature"], "cold");
    assert!(items[1]["waiting_seconds"].as_i64().unwrap() >= 0);
    assert!(
        items[1]["last_human_touch_at"].is_string(),
        "created through the API: a person"
    );
    assert!(
        items[0]["last_human_touch_at"].is_null(),
        "a form and a rule are not people"
    );
    let leads: Value = app
        .get("/api/v1/queue?stage=lead", &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(leads["items"].as_array().unwrap().len(), 1);
    for (bad, status) in [
        ("/api/v1/queue?limit=0", 422),
        ("/api/v1/queue?stage=customer", 422),
        ("/api/v1/queue?stage=nope", 400),
        ("/api/v1/queue?owner=x", 400),
        ("/api/v1/queue?nope=1", 400),
    ] {
        problem(app.get(bad, &app.token).await, status, bad).await;
    }
}

async fn manual_moves_win_and_tenancy_holds(app: TestApp) {
    let res = app
        .post_json(
            "/api/v1/contacts",
            &app.token,
            &json!({"email": "moved@example.com"}),
        )
        .await;
    let contact = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .patch_json(
            &format!("/api/v1/contacts/{contact}"),
            &app.token,
            &json!({"stage": "customer"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let q = qualification_when(&app, &contact, |q| q["stage"] == "customer").await;
    assert!(
        q["stage_set_by"].as_str().unwrap().starts_with("token:"),
        "{q:#}"
    );
    assert_eq!(q["temperature"]["temperature"], "cold");
    // Another workspace's token cannot see it; a malformed id is a 4xx.
    let res = app
        .get(
            &format!("/api/v1/contacts/{contact}/qualification"),
            &app.other,
        )
        .await;
    problem(res, 404, "another workspace").await;
    let res = app
        .get("/api/v1/contacts/not-a-uuid/qualification", &app.token)
        .await;
    assert!(res.status().is_client_error());
}
