//! Tracking through the public endpoints: the Plausible Events API, closer's batch format, the
//! script, sites, the traffic report, and shutdown writing what was accepted.

use serde_json::{Value, json};

use crate::helpers::{BROWSER, Backend, TestApp, fields, problem, spawn_app};

crate::on_both_backends!(
    cookieless_visitors_hash_with_todays_salt,
    plausible_events_land_in_the_traffic_report,
    drops_are_answered_202_with_a_reason,
    batches_are_checked_whole,
    sites_are_managed_by_admins,
);

async fn plausible_events_land_in_the_traffic_report(app: TestApp) {
    app.site("www.Acme.example").await;
    // Long keys as JSON, short keys as text/plain (what Plausible's script sends), props as a
    // JSON string (what plausible-tracker sends); unknown keys (`w`) are ignored.
    let landing = json!({"name": "pageview", "url": "https://acme.example/?utm_source=newsletter&utm_medium=email&utm_campaign=november", "domain": "acme.example", "referrer": null});
    let res = app.plausible(&landing, "203.0.113.10").await;
    assert_eq!(res.status(), 202);
    assert!(res.headers().get("x-closer-dropped").is_none());
    assert_eq!(res.text().await.unwrap(), "ok");
    for (path, ip) in [("/pricing", "203.0.113.10"), ("/", "203.0.113.11")] {
        let e = json!({"n": "pageview", "u": format!("https://www.acme.example{path}"), "d": "acme.example", "r": "https://www.google.com/", "w": 1280});
        assert_eq!(app.plausible(&e, ip).await.status(), 202);
    }
    let signup = json!({"n": "Signup", "u": "https://acme.example/pricing", "d": "acme.example", "p": "{\"plan\":\"pro\"}", "$": {"amount": "49.90", "currency": "EUR"}});
    assert_eq!(app.plausible(&signup, "203.0.113.10").await.status(), 202);

    let report = app.traffic_when("site=acme.example", 3).await;
    assert_eq!(report["site"], "acme.example");
    assert_eq!(report["visitors"], 2, "{report}");
    assert_eq!(report["sessions"], 2);
    assert_eq!(report["pageviews"], 3);
    // .11 saw one page and did nothing else: a bounce; .10 did not bounce.
    assert_eq!(report["bounce_rate"], 50.0);
    let channels: Vec<&str> = report["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        channels.contains(&"email") && channels.contains(&"organic_search"),
        "{channels:?}"
    );
    let email = report["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "email")
        .unwrap();
    assert_eq!(email["label"], "Email");
    assert!(
        report["campaigns"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "november")
    );
    assert!(
        report["sources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "Google")
    );
    let pricing = report["top_pages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["path"] == "/pricing")
        .unwrap();
    assert_eq!(pricing["pageviews"], 1);
    assert_eq!(report["interval"], "day");
    // 30 days back from now touch 31 calendar days.
    assert_eq!(
        report["series"].as_array().unwrap().len(),
        31,
        "every day of the default range"
    );

    // One site named three ways in `d` (Plausible's roll-up list) is one event, not three.
    app.site("twice.example").await;
    let repeated = json!({"n": "pageview", "u": "https://twice.example/", "d": "twice.example,twice.example, www.Twice.example"});
    assert_eq!(app.plausible(&repeated, "203.0.113.12").await.status(), 202);
    let sentinel =
        json!({"n": "pageview", "u": "https://twice.example/after", "d": "twice.example"});
    assert_eq!(app.plausible(&sentinel, "203.0.113.12").await.status(), 202);
    let twice = app.traffic_when("site=twice.example", 2).await;
    assert_eq!(twice["pageviews"], 2, "{twice}");

    // Another workspace sees none of it, and cannot name the site.
    let res = app
        .get("/api/v1/traffic?site=acme.example", &app.other)
        .await;
    let p = problem(res, 422, "another workspace's site").await;
    assert_eq!(fields(&p), ["site"]);
    let theirs: Value = app
        .get("/api/v1/traffic", &app.other)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["sessions"], 0);
    assert!(
        theirs["bounce_rate"].is_null(),
        "no NaN: null when there are no sessions"
    );
}

async fn drops_are_answered_202_with_a_reason(app: TestApp) {
    app.site("drops.example").await;
    let page = json!({"n": "pageview", "u": "https://drops.example/", "d": "drops.example"});
    let cases = [
        (
            json!({"n": "pageview", "u": "https://nobody.example/", "d": "nobody.example"}),
            BROWSER,
            "unknown-domain",
        ),
        (
            page.clone(),
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "bot",
        ),
        (page.clone(), "", "bot"),
        (
            json!({"n": "pageview", "u": "https://drops.example/", "d": "drops.example", "r": "https://semalt.com/"}),
            BROWSER,
            "spam-referrer",
        ),
    ];
    for (event, ua, reason) in cases {
        let res = app
            .track_raw("/api/event", event.to_string(), "203.0.113.20", ua)
            .await;
        assert_eq!(res.status(), 202, "{reason}");
        assert_eq!(res.headers()["x-plausible-dropped"], "1", "{reason}");
        assert_eq!(res.headers()["x-closer-dropped"], reason);
    }
    let stats = app.app.traffic().ingest_stats().unwrap();
    let get = closer_app::IngestStats::get;
    assert_eq!(
        (
            get(&stats.dropped_unknown_site),
            get(&stats.dropped_bot),
            get(&stats.dropped_spam)
        ),
        (1, 2, 1)
    );
    // One real page view, so the report can be awaited: the drops never reach it.
    assert_eq!(app.plausible(&page, "203.0.113.21").await.status(), 202);
    let report = app.traffic_when("site=drops.example", 1).await;
    assert_eq!(
        (report["pageviews"].as_i64(), report["visitors"].as_i64()),
        (Some(1), Some(1))
    );
}

async fn batches_are_checked_whole(app: TestApp) {
    app.site("batch.example").await;
    let good =
        json!({"type": "pageview", "url": "https://batch.example/a", "visitor_id": "visitor-0001"});
    let bad = json!([good, {"type": "pageview", "url": "/no-host", "visitor_id": "x"}, {"url": "https://batch.example/"}]);
    let res = app
        .track_raw(
            "/api/v1/track",
            bad.to_string(),
            "203.0.113.30",
            crate::helpers::BROWSER,
        )
        .await;
    let p = problem(res, 422, "a batch with bad events").await;
    assert_eq!(fields(&p), ["[1].url", "[1].visitor_id", "[2]"]);
    assert_eq!(
        closer_app::IngestStats::get(&app.app.traffic().ingest_stats().unwrap().accepted),
        0,
        "nothing queued"
    );

    let now = time::OffsetDateTime::now_utc();
    let earlier = (now - time::Duration::minutes(10))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let ms = (now - time::Duration::minutes(5)).unix_timestamp() * 1000;
    let batch = json!([
        {"type": "pageview", "url": "https://batch.example/a", "visitor_id": "visitor-0001", "timestamp": earlier},
        {"type": "pageview", "url": "https://shop.batch.example/cart", "visitor_id": "visitor-0001", "timestamp": ms},
        {"type": "Checkout started", "url": "https://batch.example/cart", "visitor_id": "visitor-0001", "properties": {"items": 2}},
        {"type": "pageview", "url": "https://elsewhere.example/", "visitor_id": "visitor-0002"},
    ]);
    let res = app
        .track_raw(
            "/api/v1/track",
            batch.to_string(),
            "203.0.113.30",
            crate::helpers::BROWSER,
        )
        .await;
    assert_eq!(res.status(), 202);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body,
        json!({"accepted": 3, "dropped": [{"index": 3, "reason": "unknown-domain"}]})
    );
    let report = app.traffic_when("site=batch.example", 2).await;
    assert_eq!(
        (report["sessions"].as_i64(), report["pageviews"].as_i64()),
        (Some(1), Some(2)),
        "{report}"
    );
    assert_eq!(
        report["avg_duration_s"], 600.0,
        "ten minutes from the first page to the checkout"
    );
    // One event as a bare object works too.
    let res = app
        .track_raw(
            "/api/v1/track",
            good.to_string(),
            "203.0.113.30",
            crate::helpers::BROWSER,
        )
        .await;
    assert_eq!(res.status(), 202);
}

async fn sites_are_managed_by_admins(app: TestApp) {
    let site = app.site("https-less.example").await;
    assert_eq!(site["domain"], "https-less.example");
    assert!(site["snippet"].as_str().unwrap().contains("/js/closer.js"));
    let cases = [
        (
            app.post_json(
                "/api/v1/sites",
                &app.token,
                &json!({"domain": "www.https-less.example"}),
            )
            .await,
            409,
            "the same domain again",
        ),
        (
            app.post_json(
                "/api/v1/sites",
                &app.other,
                &json!({"domain": "https-less.example"}),
            )
            .await,
            409,
            "another workspace's domain",
        ),
        (
            app.post_json(
                "/api/v1/sites",
                &app.member,
                &json!({"domain": "member.example"}),
            )
            .await,
            403,
            "a member token",
        ),
        (
            app.post_json(
                "/api/v1/sites",
                &app.token,
                &json!({"domain": "https://x.example/"}),
            )
            .await,
            422,
            "a URL, not a domain",
        ),
    ];
    for (res, status, context) in cases {
        problem(res, status, context).await;
    }
    let listed: Value = app
        .get("/api/v1/sites", &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let theirs: Value = app
        .get("/api/v1/sites", &app.other)
        .await
        .json()
        .await
        .unwrap();
    assert!(theirs.as_array().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_writes_every_accepted_event() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(mut app) = spawn_app(backend).await else {
            continue;
        };
        app.site("flush.example").await;
        let batch: Vec<Value> = (0..100)
            .map(|i| json!({"type": "pageview", "url": format!("https://flush.example/p{i}"), "visitor_id": format!("flush-visitor-{}", i % 7)}))
            .collect();
        let mut sent = 0;
        for _ in 0..20 {
            let res = app
                .track_raw(
                    "/api/v1/track",
                    Value::Array(batch.clone()).to_string(),
                    "203.0.113.40",
                    BROWSER,
                )
                .await;
            assert_eq!(res.status(), 202);
            sent += 100;
        }
        app.shut_down().await;
        let stats = app.app.traffic().ingest_stats().unwrap();
        assert_eq!(
            closer_app::IngestStats::get(&stats.stored),
            sent,
            "{backend:?}: every accepted event stored by the time the server stopped"
        );
        let ws = app.app.access().workspace_by_slug("default").await.unwrap();
        let range = closer_app::ReportRange::parse(None, None).unwrap();
        let report = app
            .app
            .traffic()
            .traffic_report(ws.id, Some("flush.example"), range)
            .await
            .unwrap();
        assert_eq!(report.totals.pageviews, 2_000, "{backend:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_script_is_served_small_and_cacheable() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let res = app
        .client
        .get(app.url("/js/closer.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/javascript")
    );
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let body = res.text().await.unwrap();
    assert!(body.contains("/api/v1/track") && body.contains("_closer_vid"));
}

/// A database that cannot keep up: another connection holds SQLite's write lock, so the real
/// writer stalls and the real queue fills. Past it, an event waits a moment for room and is
/// refused with 503 and `Retry-After`; once the database is free again, every event that was
/// accepted is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_refuses_with_retry_after_and_loses_nothing() {
    use closer_domain::traffic::{Attribution, Hit, HitKind, Props, VisitorKey};

    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    app.site("full.example").await;
    let ws = app.app.access().workspace_by_slug("default").await.unwrap();
    let site = app.app.traffic().list_sites(ws.id).await.unwrap().remove(0);
    let event = json!({"n": "pageview", "u": "https://full.example/", "d": "full.example"});
    // One event first: the day's salt for cookieless visitors is fetched (through the writer)
    // and kept, so the refusal below is the queue's.
    assert_eq!(app.plausible(&event, "203.0.113.98").await.status(), 202);
    app.traffic_when("site=full.example", 1).await;
    let path = app
        .sqlite_url()
        .unwrap()
        .trim_start_matches("sqlite://")
        .to_owned();
    let blocker = rusqlite::Connection::open(&path).unwrap();
    blocker.execute_batch("begin immediate").unwrap();

    let hit = |i: usize| Hit {
        workspace_id: ws.id,
        site_id: site.id,
        visitor: VisitorKey::client(&format!("full-visitor-{}", i % 1_000)).unwrap(),
        kind: HitKind::Pageview,
        occurred_at: closer_domain::Timestamp::now(),
        path: format!("/p{}", i % 50),
        attribution: Attribution::direct(),
        props: Props::new(),
        revenue: None,
        interactive: true,
    };
    // The writer takes a batch (and stalls on the lock with it); the rest fills the queue, and
    // then the queue refuses.
    let mut accepted = 0;
    for chunk in 0..100 {
        let hits: Vec<Hit> = (0..1_000).map(|i| hit(chunk * 1_000 + i)).collect();
        match app.app.traffic().enqueue(hits).await {
            Ok(n) => accepted += n,
            Err(closer_app::AppError::Busy(_)) => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(
        (50_000..100_000).contains(&accepted),
        "the queue holds 50,000 events: {accepted} accepted"
    );
    // A chunk was refused with a few slots still free: fill them one event at a time.
    while app.app.traffic().enqueue(vec![hit(accepted)]).await.is_ok() {
        accepted += 1;
    }
    let started = std::time::Instant::now();
    let res = app.plausible(&event, "203.0.113.99").await;
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(900),
        "it waited for room first"
    );
    assert_eq!(res.headers()["retry-after"], "1");
    problem(res, 503, "a full queue").await;
    let stats = app.app.traffic().ingest_stats().unwrap();
    assert_eq!(
        closer_app::IngestStats::get(&stats.queue_full),
        1_000 + 1 + 1,
        "the refused chunk, the refused single event and the HTTP event"
    );

    blocker.execute_batch("rollback").unwrap();
    drop(blocker);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while closer_app::IngestStats::get(&stats.stored) < u64::try_from(accepted).unwrap() + 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "the queue never drained"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let range = closer_app::ReportRange::parse(None, None).unwrap();
    let report = app
        .app
        .traffic()
        .traffic_report(ws.id, Some("full.example"), range)
        .await
        .unwrap();
    assert_eq!(
        report.totals.pageviews,
        i64::try_from(accepted).unwrap() + 1,
        "every accepted event is stored"
    );
    assert_eq!(closer_app::IngestStats::get(&stats.write_failed), 0);
}

/// A cookieless event carrying its own older timestamp is still counted with today's salt:
/// the hash names the browser sending now, and older salts are gone for good.
async fn cookieless_visitors_hash_with_todays_salt(app: TestApp) {
    app.site("salt.example").await;
    let two_days_ago =
        (time::OffsetDateTime::now_utc() - time::Duration::days(2)).unix_timestamp() * 1000;
    let old =
        json!([{"type": "pageview", "url": "https://salt.example/old", "timestamp": two_days_ago}]);
    let res = app
        .track_raw("/api/v1/track", old.to_string(), "203.0.113.120", BROWSER)
        .await;
    assert_eq!(res.status(), 202);
    let now = json!({"n": "pageview", "u": "https://salt.example/new", "d": "salt.example"});
    assert_eq!(app.plausible(&now, "203.0.113.120").await.status(), 202);
    let report = app.traffic_when("site=salt.example", 2).await;
    assert_eq!(report["sessions"], 2, "two days apart: two visits");
    assert_eq!(
        report["visitors"], 1,
        "one browser, one cookieless visitor: {report}"
    );
}
