//! Identity stitching: a visitor's anonymous history follows them when they become a contact
//! (by a form post or an identify call), and never jumps to another person.

use serde_json::{Value, json};

use crate::helpers::{BROWSER, TestApp, problem};

crate::on_both_backends!(
    a_form_post_brings_the_visitors_history,
    cookieless_visitors_stitch_within_the_day,
    identify_links_and_never_merges,
);

async fn timeline(app: &TestApp, contact: &str) -> Vec<Value> {
    let res = app
        .get(&format!("/api/v1/contacts/{contact}/events"), &app.token)
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["items"].as_array().unwrap().clone()
}

fn kinds(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_form_post_brings_the_visitors_history(app: TestApp) {
    app.site("stitch.example").await;
    let vid = "0192f0a17c3e7a108d2b1f2e3d4c5b6a";
    let visits = json!([
        {"type": "pageview", "url": "https://stitch.example/?utm_source=linkedin&utm_medium=social&utm_campaign=launch", "visitor_id": vid,
         "timestamp": (time::OffsetDateTime::now_utc() - time::Duration::hours(3)).unix_timestamp() * 1000},
        {"type": "pageview", "url": "https://stitch.example/pricing", "referrer": "https://www.google.com/", "visitor_id": vid},
    ]);
    assert_eq!(
        app.track_raw("/api/v1/track", visits.to_string(), "203.0.113.70", BROWSER)
            .await
            .status(),
        202
    );
    app.traffic_when("site=stitch.example", 2).await;

    let form = app.form("Demo", None).await;
    let res = app
        .client
        .post(app.url(&format!("/f/{}", form["key"].as_str().unwrap())))
        .header("accept", "application/json")
        .header("referer", "https://stitch.example/pricing")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(crate::helpers::urlencoded(&[
            ("email", "grace@example.com"),
            ("name", "Grace Hopper"),
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

    let events = timeline(&app, &contact).await;
    let k = kinds(&events);
    assert_eq!(k.iter().filter(|k| *k == "pageview").count(), 2, "{k:?}");
    assert!(k.contains(&"form_submitted".to_owned()));
    let pricing = events
        .iter()
        .find(|e| e["properties"]["path"] == "/pricing")
        .unwrap();
    assert_eq!(pricing["properties"]["site"], "stitch.example");

    // Events after identification go straight to the contact.
    let later =
        json!({"type": "Demo booked", "url": "https://stitch.example/thanks", "visitor_id": vid});
    assert_eq!(
        app.track_raw("/api/v1/track", later.to_string(), "203.0.113.70", BROWSER)
            .await
            .status(),
        202
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !kinds(&timeline(&app, &contact).await).contains(&"custom_event".to_owned()) {
        assert!(
            std::time::Instant::now() < deadline,
            "the event after identification never reached the contact"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    let sources: Value = app
        .get(&format!("/api/v1/contacts/{contact}/traffic"), &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sources["sessions"], 2, "{sources}");
    assert_eq!(sources["first_touch"]["channel"], "organic_social");
    assert_eq!(sources["first_touch"]["source"], "LinkedIn");
    assert_eq!(sources["first_touch"]["campaign"], "launch");
    assert_eq!(sources["last_touch"]["channel"], "organic_search");
    assert_eq!(
        sources["touches"],
        json!([{"channel": "organic_search", "touches": 1}, {"channel": "organic_social", "touches": 1}])
    );
    problem(
        app.get(&format!("/api/v1/contacts/{contact}/traffic"), &app.other)
            .await,
        404,
        "another workspace's contact",
    )
    .await;

    // Erasure takes the visits with it.
    assert_eq!(
        app.delete(&format!("/api/v1/contacts/{contact}"), &app.token)
            .await
            .status(),
        204
    );
    let report: Value = app
        .get("/api/v1/traffic?site=stitch.example", &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["sessions"], 0, "{report}");
}

async fn cookieless_visitors_stitch_within_the_day(app: TestApp) {
    app.site("plain.example").await;
    // Plausible's script: no visitor id; closer counts the visitor by a daily hash.
    let e = json!({"n": "pageview", "u": "https://plain.example/offer", "d": "plain.example", "r": "https://news.ycombinator.com/"});
    assert_eq!(app.plausible(&e, "198.51.100.80").await.status(), 202);
    let other = json!({"n": "pageview", "u": "https://plain.example/", "d": "plain.example"});
    assert_eq!(app.plausible(&other, "198.51.100.81").await.status(), 202);
    app.traffic_when("site=plain.example", 2).await;

    let form = app.form("Offer", None).await;
    let res = app
        .client
        .post(app.url(&format!("/f/{}", form["key"].as_str().unwrap())))
        .header("accept", "application/json")
        .header("referer", "https://plain.example/offer")
        .header("user-agent", BROWSER)
        .header("x-forwarded-for", "198.51.100.80")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(crate::helpers::urlencoded(&[
            ("email", "linus@example.com"),
            ("_closer_vid", "auto"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let contact = res.json::<Value>().await.unwrap()["contact_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let events = timeline(&app, &contact).await;
    let pages: Vec<&Value> = events.iter().filter(|e| e["kind"] == "pageview").collect();
    assert_eq!(pages.len(), 1, "only this browser's visit: {events:?}");
    assert_eq!(pages[0]["properties"]["path"], "/offer");
    let sources: Value = app
        .get(&format!("/api/v1/contacts/{contact}/traffic"), &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sources["first_touch"]["source"], "Hacker News");
}

async fn identify_links_and_never_merges(app: TestApp) {
    app.site("app.example").await;
    let vid = "server-visitor-42";
    let e = json!([{"type": "pageview", "url": "https://app.example/signup", "visitor_id": vid}]);
    assert_eq!(
        app.track_raw("/api/v1/track", e.to_string(), "203.0.113.90", BROWSER)
            .await
            .status(),
        202
    );
    app.traffic_when("site=app.example", 1).await;

    let res = app.post_json("/api/v1/identify", &app.token, &json!({"visitor_id": vid, "contact": {"emails": ["new@example.com"], "name": "New Person"}})).await;
    assert_eq!(res.status(), 200);
    let first: Value = res.json().await.unwrap();
    assert_eq!(
        (first["created"].as_bool(), first["link"].as_str()),
        (Some(true), Some("linked"))
    );
    let contact = first["contact_id"].as_str().unwrap();
    let k = kinds(&timeline(&app, contact).await);
    assert!(
        k.contains(&"pageview".to_owned()) && !k.contains(&"form_submitted".to_owned()),
        "made by identify, not by a form: {k:?}"
    );

    let again = app
        .post_json(
            "/api/v1/identify",
            &app.token,
            &json!({"visitor_id": vid, "contact_id": contact}),
        )
        .await;
    assert_eq!(again.json::<Value>().await.unwrap()["link"], "already");
    let someone: Value = app
        .post_json(
            "/api/v1/contacts",
            &app.token,
            &json!({"emails": ["someone@example.com"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let res = app
        .post_json(
            "/api/v1/identify",
            &app.token,
            &json!({"visitor_id": vid, "contact_id": someone["id"]}),
        )
        .await;
    let refused: Value = res.json().await.unwrap();
    assert_eq!(
        (
            refused["link"].as_str(),
            refused["linked_contact_id"].as_str()
        ),
        (Some("other"), Some(contact))
    );

    let cases = [
        (
            app.post_json(
                "/api/v1/identify",
                &app.token,
                &json!({"visitor_id": "bad id!", "contact_id": contact}),
            )
            .await,
            422,
            "a bad visitor id",
        ),
        (
            app.post_json("/api/v1/identify", &app.token, &json!({"visitor_id": vid}))
                .await,
            422,
            "nobody named",
        ),
        (
            app.post_json(
                "/api/v1/identify",
                &app.token,
                &json!({"visitor_id": vid, "contact": {"emails": ["nope"]}}),
            )
            .await,
            422,
            "a bad email",
        ),
        (
            app.post_json(
                "/api/v1/identify",
                &app.other,
                &json!({"visitor_id": vid, "contact_id": contact}),
            )
            .await,
            404,
            "another workspace's contact",
        ),
        (
            app.post_json(
                "/api/v1/identify",
                "wrong",
                &json!({"visitor_id": vid, "contact_id": contact}),
            )
            .await,
            401,
            "no valid token",
        ),
    ];
    for (res, status, what) in cases {
        problem(res, status, what).await;
    }
}
