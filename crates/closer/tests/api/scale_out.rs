//! Scale-out on PostgreSQL: two `closer serve` processes on one database, requests split
//! between them — the same new people captured through both at once, tracked events through
//! both, deals moved through both, reports read from both. One contact per email, every
//! accepted event stored exactly once, and both nodes' reports equal once the writes are in.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{BROWSER, Backend, serve_process, spawn_app};

/// A `closer serve` node on `url`, once it answers.
fn node(url: &str) -> (Child, String) {
    let (child, port) = serve_process(url, &[]);
    (child, format!("http://127.0.0.1:{port}"))
}

/// SIGTERM, and wait: the node writes every event it accepted before it exits.
fn stop(mut child: Child) {
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "a node exited with {status:?}");
            return;
        }
        assert!(Instant::now() < deadline, "a node did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_one_postgres_agree() {
    let Some(app) = spawn_app(Backend::Postgres).await else {
        return;
    };
    app.site("nodes.example").await;
    let form = app.form("Nodes", None).await;
    let key = form["key"].as_str().unwrap().to_owned();
    let url = app.database_url();
    let (a, a_base) = node(&url);
    let (b, b_base) = node(&url);
    let nodes = [a_base.as_str(), b_base.as_str()];
    let client = reqwest::Client::new();

    // The same 40 new people, each posted through both nodes at once.
    let captures = (0..40).flat_map(|i| {
        let (client, key) = (&client, &key);
        nodes.map(move |base| async move {
            let res = client
                .post(format!("{base}/f/{key}"))
                .header("accept", "application/json")
                .json(&json!({"email": format!("both{i}@nodes.example"), "name": format!("Both {i}")}))
                .send()
                .await
                .unwrap();
            assert!(res.status() == 201, "capture through {base}: {}", res.status());
            res.json::<Value>().await.unwrap()["contact_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
    });
    let ids = join_all(captures).await;
    for pair in ids.chunks(2) {
        assert_eq!(pair[0], pair[1], "both nodes answered with one contact");
    }
    let listed: Value = app
        .get("/api/v1/contacts?q=nodes.example&limit=200", &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        40,
        "one contact per email"
    );

    // 300 page views, split between the nodes, from many visitors.
    let events = (0..300).map(|i| {
        let client = &client;
        let base = nodes[i % 2];
        async move {
            let body = json!({"n": "pageview", "u": format!("https://nodes.example/p{}", i % 7), "d": "nodes.example"});
            let res = client
                .post(format!("{base}/api/event"))
                .header("content-type", "text/plain")
                .header("user-agent", BROWSER)
                .header("x-forwarded-for", format!("203.0.{}.{}", i / 200, i % 200 + 1))
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 202);
            assert!(res.headers().get("x-closer-dropped").is_none());
        }
    });
    join_all(events).await;

    // Deals opened and moved through alternating nodes, one move each at the same time.
    let mut deals = Vec::new();
    for (i, contact) in ids.iter().step_by(2).take(10).enumerate() {
        let res = client
            .post(format!("{}/api/v1/deals", nodes[i % 2]))
            .bearer_auth(&app.token)
            .json(&json!({"contact_id": contact, "title": format!("Deal {i}"), "amount": "1000"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        deals.push(
            res.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let moves = deals.iter().enumerate().map(|(i, deal)| {
        let client = &client;
        let token = &app.token;
        async move {
            let stage = if i % 3 == 0 { "Won" } else { "Demo" };
            let res = client
                .post(format!("{}/api/v1/deals/{deal}/move", nodes[(i + 1) % 2]))
                .bearer_auth(token)
                .json(&json!({"stage": stage}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200, "{deal} to {stage}");
        }
    });
    join_all(moves).await;

    // Both nodes stop as SIGTERM stops them, writing what they accepted; every page view is
    // stored exactly once.
    stop(a);
    stop(b);
    let report = app.traffic_when("site=nodes.example", 300).await;
    assert_eq!(report["pageviews"], 300, "{report}");

    // Reports read from two fresh nodes agree with each other and with the writes.
    let (a, a_base) = node(&url);
    let (b, b_base) = node(&url);
    let mut answers = Vec::new();
    for base in [&a_base, &b_base] {
        let mut node_reports = Vec::new();
        for path in ["/api/v1/reports/funnel", "/api/v1/reports/measures"] {
            let res = client
                .get(format!("{base}{path}"))
                .bearer_auth(&app.token)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200, "{path} on {base}");
            let mut body: Value = res.json().await.unwrap();
            // The default period ends when each node was asked.
            if let Some(o) = body.as_object_mut() {
                o.remove("from");
                o.remove("to");
            }
            node_reports.push(body);
        }
        answers.push(node_reports);
    }
    assert_eq!(answers[0], answers[1], "both nodes report the same");
    let measures = &answers[0][1]["total"];
    assert_eq!(measures["won_deals"], 4, "{measures}");
    assert_eq!(measures["open_pipeline"][0]["deals"], 6, "{measures}");
    let funnel = &answers[0][0]["total"]["steps"];
    assert_eq!(funnel[1]["count"], 40, "40 leads: {funnel}");
    stop(a);
    stop(b);
}
