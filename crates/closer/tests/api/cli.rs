//! The `closer` command line: set-up commands, clear errors, graceful shutdown.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use closer_store_sqlite::testing::TempDb;

use crate::helpers::closer;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn temp_db() -> TempDb {
    TempDb::new()
}

#[test]
fn setup_commands_work_and_errors_are_clear() {
    let db = temp_db();
    let url = db.url();
    let out = closer(&url, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = closer(&url, &["workspace", "create", "acme", "--country", "us"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = closer(&url, &["workspace", "list"]);
    let listed = text(&out.stdout);
    assert!(
        listed.contains("acme\tacme\tUS") && listed.contains("default"),
        "{listed}"
    );

    let out = closer(&url, &["workspace", "create", "acme"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("already exists"),
        "{}",
        text(&out.stderr)
    );
    let out = closer(&url, &["workspace", "create", "blank", "--name", "  "]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("name: must not be empty"),
        "{}",
        text(&out.stderr)
    );
    let out = closer(&url, &["token", "create", "--label", "bad\u{1b}[31m"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("label: must not contain control characters"),
        "{}",
        text(&out.stderr)
    );
    let out = closer(&url, &["workspace", "create", "Not A Slug"]);
    assert!(text(&out.stderr).contains("slug"), "{}", text(&out.stderr));

    let out = closer(
        &url,
        &["token", "create", "--workspace", "acme", "--role", "member"],
    );
    assert!(out.status.success());
    let token = text(&out.stdout);
    assert!(
        token.trim().starts_with("clsr_") && token.trim().len() == 69,
        "{token}"
    );
    let out = closer(&url, &["token", "list", "--workspace", "acme"]);
    let listed = text(&out.stdout);
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(!listed.contains(token.trim()), "secrets are never listed");
    let id = listed.split('\t').next().unwrap().to_owned();
    let out = closer(&url, &["token", "revoke", &id]);
    assert!(
        !out.status.success(),
        "not a token of the default workspace"
    );
    assert!(
        text(&out.stderr).contains("no token with this id"),
        "{}",
        text(&out.stderr)
    );
    let out = closer(&url, &["token", "revoke", &id, "--workspace", "acme"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&closer(&url, &["token", "list", "--workspace", "acme"]).stdout).is_empty());
    let out = closer(&url, &["token", "revoke", "not-an-id"]);
    assert!(
        text(&out.stderr).contains("is not a token id"),
        "{}",
        text(&out.stderr)
    );
    let out = closer(&url, &["token", "create", "--workspace", "nope"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no workspace is called \"nope\""),
        "{}",
        text(&out.stderr)
    );

    let out = closer(
        &url,
        &[
            "form",
            "create",
            "--name",
            "Demo",
            "--workspace",
            "acme",
            "--redirect",
            "ftp://x",
        ],
    );
    assert!(
        text(&out.stderr).contains("redirect_url"),
        "{}",
        text(&out.stderr)
    );
    let out = closer(
        &url,
        &["form", "create", "--name", "Demo", "--workspace", "acme"],
    );
    assert!(out.status.success());
    let created = text(&out.stdout);
    let key = created
        .lines()
        .find_map(|l| l.strip_prefix("key:"))
        .unwrap()
        .trim()
        .to_owned();
    let out = closer(
        &url,
        &[
            "form",
            "snippet",
            &key,
            "--workspace",
            "acme",
            "--public-url",
            "https://leads.acme.example.com",
        ],
    );
    assert!(out.status.success());
    assert!(text(&out.stdout).contains(&format!(
        "action=\"https://leads.acme.example.com/f/{key}\""
    )));
    let out = closer(&url, &["form", "snippet", &key]);
    assert!(
        !out.status.success(),
        "another workspace's form is not found"
    );
    assert!(
        text(&out.stderr).contains("no form"),
        "{}",
        text(&out.stderr)
    );

    let out = closer(
        &url,
        &[
            "user",
            "add",
            "rep@acme.example.com",
            "--name",
            "Rita",
            "--workspace",
            "acme",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = closer(
        &url,
        &[
            "user",
            "add",
            "bad",
            "--name",
            "Rita",
            "--workspace",
            "acme",
        ],
    );
    assert!(text(&out.stderr).contains("email"), "{}", text(&out.stderr));

    let out = closer("mysql://localhost/x", &["migrate"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("unsupported database URL"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn serve_answers_health_and_stops_on_sigterm() {
    let db = temp_db();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_closer"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("CLOSER_DATABASE_URL", db.url())
        .env("CLOSER_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let healthy = loop {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut answer = String::new();
            let _ = s.read_to_string(&mut answer);
            if answer.starts_with("HTTP/1.1 200") {
                break true;
            }
        }
        if Instant::now() > deadline {
            break false;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(healthy, "closer serve became healthy");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "closer did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
}

/// Sends one HTTP/1.1 request to the server; returns the whole answer.
fn http(port: u16, request: &str) -> String {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    s.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer
}

#[test]
fn sites_events_through_sigterm_and_the_traffic_report() {
    let db = temp_db();
    let url = db.url();
    let out = closer(&url, &["site", "add", "WWW.Shop.Example"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("tracking shop.example"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stdout).contains("/js/closer.js"),
        "prints the script tag"
    );
    let out = closer(&url, &["site", "add", "shop.example"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("already tracked"),
        "{}",
        text(&out.stderr)
    );
    let out = closer(&url, &["site", "add", "https://shop.example/"]);
    assert!(
        text(&out.stderr).contains("domain"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&closer(&url, &["site", "list"]).stdout).contains("shop.example"));

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_closer"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("CLOSER_DATABASE_URL", &url)
        .env("CLOSER_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !http(
        port,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .starts_with("HTTP/1.1 200")
    {
        assert!(Instant::now() < deadline, "closer serve became healthy");
        std::thread::sleep(Duration::from_millis(50));
    }
    for (i, path) in ["/", "/pricing", "/pricing"].iter().enumerate() {
        let body = format!(
            r#"{{"n":"pageview","u":"https://shop.example{path}","d":"shop.example","r":"https://www.bing.com/"}}"#
        );
        let answer = http(
            port,
            &format!(
                "POST /api/event HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: text/plain\r\nUser-Agent: Mozilla/5.0 (Windows NT 10.0) Firefox/128.0\r\nX-Forwarded-For: 203.0.113.{i}\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ),
        );
        assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");
    }
    // SIGTERM right away: the events are still queued, and must be written before exit.
    assert!(
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "closer did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }

    let out = closer(
        &url,
        &[
            "report",
            "traffic",
            "--site",
            "shop.example",
            "--format",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (report["pageviews"].as_i64(), report["visitors"].as_i64()),
        (Some(3), Some(3)),
        "{report}"
    );
    assert_eq!(report["channels"][0]["name"], "organic_search");
    let out = closer(&url, &["report", "traffic", "--site", "shop.example"]);
    let table = text(&out.stdout);
    assert!(
        table.contains("Organic Search") && table.contains("/pricing"),
        "{table}"
    );
    assert!(
        table.lines().all(|l| l.chars().count() <= 80),
        "fits 80 columns:\n{table}"
    );
    let out = closer(&url, &["report", "traffic", "--from", "2026-13-01"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("from"), "{}", text(&out.stderr));
    let out = closer(
        &url,
        &[
            "report",
            "traffic",
            "--from",
            "2026-11-10",
            "--to",
            "2026-11-01",
        ],
    );
    assert!(text(&out.stderr).contains("after"), "{}", text(&out.stderr));
    let out = closer(&url, &["report", "traffic", "--site", "nobody.example"]);
    assert!(
        text(&out.stderr).contains("not a site of this workspace"),
        "{}",
        text(&out.stderr)
    );
}

/// `closer rules show|apply`, `closer contact explain` and `closer rescore` on a database a
/// running server filled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_explain_and_rescore_from_the_terminal() {
    use crate::helpers::{Backend, spawn_app};
    use serde_json::{Value, json};

    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let url = app.sqlite_url().unwrap();
    let mut ids = Vec::new();
    for (email, title) in [("ana@acme.io", "Founder"), ("bo@gmail.com", "Student")] {
        let res = app
            .post_json(
                "/api/v1/contacts",
                &app.token,
                &json!({"email": email, "job_title": title}),
            )
            .await;
        assert_eq!(res.status(), 201);
        ids.push(
            res.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }

    let out = closer(&url, &["rules", "show"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let defaults = text(&out.stdout);
    assert!(defaults.contains("[temperature]"));

    let dir = std::env::temp_dir().join(format!("closer-rules-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        defaults.replace("warm_visits = 2", "warm_visits = \"two\""),
    )
    .unwrap();
    let out = closer(&url, &["rules", "apply", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let line = defaults
        .lines()
        .position(|l| l.starts_with("warm_visits"))
        .unwrap()
        + 1;
    assert!(
        text(&out.stderr).contains(&format!("line {line}")),
        "{}",
        text(&out.stderr)
    );
    let out = closer(
        &url,
        &["rules", "apply", dir.join("missing.toml").to_str().unwrap()],
    );
    assert!(
        text(&out.stderr).contains("cannot read"),
        "{}",
        text(&out.stderr)
    );

    // Founders are worth more under the new rules; rescore brings every contact up to date.
    let good = dir.join("good.toml");
    std::fs::write(
        &good,
        defaults.replace(
            "points = 25\n\n[[fit.rules]]\nname = \"company of",
            "points = 60\n\n[[fit.rules]]\nname = \"company of",
        ),
    )
    .unwrap();
    let out = closer(&url, &["rules", "apply", good.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("closer rescore"),
        "{}",
        text(&out.stdout)
    );
    let out = closer(&url, &["rescore", "--quiet"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("rescored 2 contacts"),
        "{}",
        text(&out.stdout)
    );

    let out = closer(&url, &["contact", "explain", &ids[0]]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(
        shown.contains("fit 80/100") && shown.contains("decision maker"),
        "{shown}"
    );
    assert!(
        shown.lines().all(|l| l.chars().count() <= 80),
        "fits 80 columns:\n{shown}"
    );
    let out = closer(&url, &["contact", "explain", &ids[1], "--format", "json"]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["fit"]["score"], 0.0);
    let out = closer(&url, &["contact", "explain", "nope"]);
    assert!(
        text(&out.stderr).contains("not a contact id"),
        "{}",
        text(&out.stderr)
    );
    let out = closer(
        &url,
        &["contact", "explain", &uuid::Uuid::new_v4().to_string()],
    );
    assert!(
        text(&out.stderr).contains("not found"),
        "{}",
        text(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
