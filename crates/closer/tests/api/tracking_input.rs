//! Hostile and malformed input on the public tracking routes: each is a precise 4xx (or a
//! counted drop), nothing is queued, and the rate limit holds one client back without
//! touching others.

use std::num::NonZeroU32;

use serde_json::{Value, json};

use crate::helpers::{BROWSER, Backend, TestApp, problem, spawn_app_with};

crate::on_both_backends!(bad_events_are_refused_and_nothing_is_stored);

fn nested(depth: usize) -> String {
    format!(
        "{{\"n\":\"pageview\",\"u\":\"https://bad.example/\",\"d\":\"bad.example\",\"p\":{}1{}}}",
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

async fn bad_events_are_refused_and_nothing_is_stored(app: TestApp) {
    app.site("bad.example").await;
    let many_props: serde_json::Map<String, Value> =
        (0..10_000).map(|i| (format!("k{i}"), json!(1))).collect();
    let thirty_one: serde_json::Map<String, Value> =
        (0..31).map(|i| (format!("k{i}"), json!(1))).collect();
    // (body, status, the field Plausible's `errors` names, what it is)
    let plausible: Vec<(String, u16, Option<&str>, &str)> = vec![
        ("hello".into(), 400, Some("request"), "not JSON"),
        ("[1, 2]".into(), 400, Some("request"), "an array"),
        ("{}".into(), 400, Some("name"), "no fields"),
        (json!({"n": "pageview", "u": "/pricing", "d": "bad.example"}).to_string(), 400, Some("url"), "a URL without a host"),
        (json!({"n": "pageview", "u": "javascript:alert(1)", "d": "bad.example"}).to_string(), 400, Some("url"), "a script URL"),
        (json!({"n": "x".repeat(500), "u": "https://bad.example/", "d": "bad.example"}).to_string(), 400, Some("name"), "a 500-character name"),
        (json!({"n": "pageview", "u": "https://bad.example/", "d": "bad.example", "p": thirty_one}).to_string(), 400, Some("props"), "31 props"),
        (json!({"n": "pageview", "u": "https://bad.example/", "d": "bad.example", "p": {"a": {"b": 1}}}).to_string(), 400, Some("props"), "a nested prop"),
        (json!({"n": "pageview", "u": "https://bad.example/", "d": "bad.example", "$": {"amount": "-5", "currency": "EUR"}}).to_string(), 400, Some("revenue"), "negative revenue"),
        (json!({"n": "pageview", "u": "https://bad.example/", "d": "not a domain"}).to_string(), 400, Some("domain"), "a bad domain"),
        (json!({"n": "pageview", "u": "https://bad.example/", "d": "bad.example,not a domain"}).to_string(), 400, Some("domain"), "a bad domain after a good one (nothing queued for the good one)"),
        (json!({"n": "pageview", "u": "https://bad.example/", "d": "s0.example,s1.example,s2.example,s3.example,s4.example,s5.example,s6.example,s7.example,s8.example,s9.example,s10.example"}).to_string(), 400, Some("domain"), "11 domains"),
        (nested(10_000), 400, Some("request"), "10,000 levels of nesting"),
        (json!({"n": "pageview", "u": "https://bad.example/", "d": "bad.example", "p": many_props}).to_string(), 413, None, "10,000 props (over the body limit)"),
        (format!("{{\"n\":\"pageview\",\"u\":\"https://bad.example/{}\",\"d\":\"bad.example\"}}", "a".repeat(100_000)), 413, None, "a 100 KB body"),
    ];
    for (body, status, field, what) in plausible {
        let res = app
            .track_raw("/api/event", body, "203.0.113.50", BROWSER)
            .await;
        let p = problem(res, status, what).await;
        if let Some(field) = field {
            assert!(
                p["errors"][field].as_array().is_some_and(|m| !m.is_empty()),
                "{what}: errors.{field} in {p}"
            );
        }
    }
    let far_past = json!([{"type": "pageview", "url": "https://bad.example/", "timestamp": "2001-01-01T00:00:00Z"}]);
    let future = json!([{"type": "pageview", "url": "https://bad.example/", "timestamp": 99_999_999_999_999_i64}]);
    let batch: Vec<(String, u16, &str)> = vec![
        ("{".into(), 400, "truncated JSON"),
        (far_past.to_string(), 422, "a timestamp 25 years back"),
        (future.to_string(), 422, "a timestamp in 5138"),
        (json!([]).to_string(), 422, "an empty batch"),
        (
            Value::Array(vec![
                json!({"type": "pageview", "url": "https://bad.example/"});
                101
            ])
            .to_string(),
            422,
            "101 events",
        ),
        (
            json!([{"type": "pageview", "url": "https://bad.example/", "extra": 1}]).to_string(),
            422,
            "an unknown field",
        ),
    ];
    for (body, status, what) in batch {
        let res = app
            .track_raw("/api/v1/track", body, "203.0.113.50", BROWSER)
            .await;
        problem(res, status, what).await;
    }
    let stats = app.app.traffic().ingest_stats().unwrap();
    assert_eq!(
        closer_app::IngestStats::get(&stats.accepted),
        0,
        "nothing was queued"
    );
    assert!(
        closer_app::IngestStats::get(&stats.invalid) >= 8,
        "invalid events are counted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_noisy_client_is_held_back_and_others_are_not() {
    let Some(app) = spawn_app_with(Backend::Sqlite, |c| {
        c.rate_limit = closer_web::RateLimit {
            per_second: NonZeroU32::new(1).unwrap(),
            burst: NonZeroU32::new(5).unwrap(),
        };
    })
    .await
    else {
        return;
    };
    app.site("busy.example").await;
    let event = json!({"n": "pageview", "u": "https://busy.example/", "d": "busy.example"});
    let mut statuses = Vec::new();
    let started = std::time::Instant::now();
    for _ in 0..10 {
        statuses.push(
            app.plausible(&event, "203.0.113.60")
                .await
                .status()
                .as_u16(),
        );
    }
    // The burst of 5, plus one more for each whole second the loop took (1 a second
    // sustained): exact on a quiet machine, still right on a loaded one.
    let refill = usize::try_from(started.elapsed().as_secs()).unwrap();
    let accepted = statuses.iter().filter(|s| **s == 202).count();
    assert!((5..=5 + refill).contains(&accepted), "{statuses:?}");
    assert!(statuses.contains(&429), "{statuses:?}");
    let res = app.plausible(&event, "203.0.113.60").await;
    assert_eq!(res.headers()["retry-after"], "1");
    problem(res, 429, "over the limit").await;
    assert_eq!(
        app.plausible(&event, "203.0.113.61").await.status(),
        202,
        "another visitor is not limited"
    );
    // A client that is not a trusted proxy cannot dodge the limit with a forged header: the
    // peer here is loopback (trusted), so the header is believed; that is covered by the
    // client-IP unit tests. Form posts share the limit.
    let form = app.form("Busy", None).await;
    let res = app
        .client
        .post(app.url(&format!("/f/{}", form["key"].as_str().unwrap())))
        .header("x-forwarded-for", "203.0.113.60")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(crate::helpers::urlencoded(&[("email", "ada@example.com")]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
}
