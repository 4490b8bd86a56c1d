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

const FIREFOX: &str = "Mozilla/5.0 (Windows NT 10.0) Firefox/128.0";

/// Posts a Plausible event body as a browser behind a proxy would; returns the whole answer.
fn plausible(port: u16, body: &str, user_agent: &str, client_ip: &str) -> String {
    http(
        port,
        &format!(
            "POST /api/event HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: text/plain\r\nUser-Agent: {user_agent}\r\nX-Forwarded-For: {client_ip}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
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
        let answer = plausible(port, &body, FIREFOX, &format!("203.0.113.{i}"));
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

/// A reader that stops reading (`closer report retention | head -1`) ends the command quietly:
/// no panic, no error message, success.
#[test]
fn a_closed_pipe_ends_output_quietly() {
    let db = temp_db();
    let url = db.url();
    assert!(closer(&url, &["migrate"]).status.success());
    for args in [
        &["report", "retention"][..],
        &["report", "funnel", "--format", "csv"][..],
        &["workspace", "list"][..],
        &["pipeline", "list"][..],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        // Nobody will ever read: every write fails with a broken pipe.
        drop(reader);
        let out = Command::new(env!("CARGO_BIN_EXE_closer"))
            .args(args)
            .env("CLOSER_DATABASE_URL", &url)
            .env("CLOSER_LOG", "warn")
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = text(&out.stderr);
        assert!(out.status.success(), "{args:?}: {:?} {stderr}", out.status);
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
}

/// `closer serve` on `url` at a free port, once it answers `/healthz`.
fn serve_healthy(url: &str) -> (std::process::Child, u16) {
    serve_healthy_with(url, &[])
}

/// `serve_healthy` with settings from the environment.
fn serve_healthy_with(url: &str, env: &[(&str, &str)]) -> (std::process::Child, u16) {
    let (child, port) = crate::helpers::serve_process(url, env);
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
    (child, port)
}

/// Sends `partial` and waits (at most `wait`) for the server to answer or close: the answer,
/// and how long that took.
fn stall(port: u16, partial: &str, wait: Duration) -> (String, Duration) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(wait)).unwrap();
    let start = Instant::now();
    s.write_all(partial.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    (
        String::from_utf8_lossy(&answer).into_owned(),
        start.elapsed(),
    )
}

/// Half-sent headers are dropped after 10 s, a stalled body is refused, and neither keeps
/// SIGTERM from stopping the server within its 10 s grace.
#[test]
fn stalled_clients_are_dropped_and_do_not_hold_shutdown() {
    let db = temp_db();
    let (mut child, port) = serve_healthy(&db.url());
    let headers = std::thread::spawn(move || {
        stall(
            port,
            "GET /healthz HTTP/1.1\r\nHost: x\r\n",
            Duration::from_secs(30),
        )
    });
    let body = std::thread::spawn(move || {
        stall(
            port,
            "POST /api/v1/track HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n[{\"type\":",
            Duration::from_secs(30),
        )
    });
    let (answer, took) = headers.join().unwrap();
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    assert!(
        took >= Duration::from_secs(9) && took < Duration::from_secs(15),
        "half-sent headers dropped after {took:?}"
    );
    let (answer, took) = body.join().unwrap();
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
        "{answer}"
    );
    assert!(
        took < Duration::from_secs(15),
        "stalled body ended after {took:?}"
    );

    // A client stalls mid-request as SIGTERM arrives: the server still stops in time.
    let stalled = std::thread::spawn(move || {
        stall(
            port,
            "GET /healthz HTTP/1.1\r\nHost: x\r\n",
            Duration::from_mins(1),
        )
    });
    std::thread::sleep(Duration::from_millis(500));
    let start = Instant::now();
    assert!(
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(13),
            "closer did not stop within its grace period"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
    stalled.join().unwrap();
}

/// `closer backup` copies a live database while `closer serve` keeps capturing: the copy is
/// whole (`integrity_check`, no dangling keys), holds what was committed when it was taken,
/// and closer runs on it as it is.
#[test]
fn backups_are_consistent_under_write_load() {
    let db = temp_db();
    let url = db.url();
    assert!(closer(&url, &["migrate"]).status.success());
    let token = closer(&url, &["token", "create", "--role", "member"]);
    assert!(token.status.success(), "{}", text(&token.stderr));
    let token = text(&token.stdout).trim().to_owned();
    let (mut child, port) = serve_healthy(&url);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut created = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let body = format!(
                    r#"{{"email":"load{created}@example.com","name":"Load {created}","properties":{{"notes":"{}"}}}}"#,
                    "x".repeat(2_000)
                );
                let answer = http(
                    port,
                    &format!(
                        "POST /api/v1/contacts HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    ),
                );
                assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
                created += 1;
            }
            created
        })
    };
    std::thread::sleep(Duration::from_millis(500));
    let dir = std::env::temp_dir().join(format!("closer-backup-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let copy = dir.join("copy.db");
    let out = closer(&url, &["backup", copy.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("backed up"),
        "{}",
        text(&out.stdout)
    );
    // A second backup to the same file is refused: nothing is overwritten.
    let again = closer(&url, &["backup", copy.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("already exists"),
        "{}",
        text(&again.stderr)
    );
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let created = writer.join().unwrap();
    assert!(
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    child.wait().unwrap();

    let conn = rusqlite::Connection::open(&copy).unwrap();
    let check: String = conn
        .query_row("pragma integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let dangling: i64 = conn
        .query_row("select count(*) from pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(dangling, 0);
    let copied: i64 = conn
        .query_row(
            "select count(*) from contacts where name like 'Load %'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        copied > 0 && copied < i64::from(created),
        "the copy holds {copied} of {created} contacts: those committed before it was taken"
    );
    drop(conn);
    let copy_url = format!("sqlite://{}", copy.display());
    let out = closer(&copy_url, &["report", "funnel", "--format", "json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // On PostgreSQL the command says what to use instead.
    let out = closer("postgres://postgres@127.0.0.1/test", &["backup", "x.dump"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("pg_dump"),
        "{}",
        text(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// Contacts of `url`'s database that have no score record.
fn unscored(url: &str) -> (i64, i64) {
    let conn = rusqlite::Connection::open(url.trim_start_matches("sqlite://")).unwrap();
    conn.query_row(
        "select count(*), sum(s.contact_id is null) from contacts c \
         left join contact_scores s on s.contact_id = c.id",
        [],
        |r| Ok((r.get(0)?, r.get::<_, Option<i64>>(1)?.unwrap_or(0))),
    )
    .unwrap()
}

/// A lead captured just before `kill -9` is stored, but its scoring job lived in memory: the
/// next start finds every such contact and scores it.
#[test]
fn leads_whose_scoring_a_crash_interrupted_are_scored_at_the_next_start() {
    let db = temp_db();
    let url = db.url();
    let form = closer(&url, &["form", "create", "--name", "Crash"]);
    assert!(form.status.success(), "{}", text(&form.stderr));
    let out = text(&form.stdout);
    let key = out
        .lines()
        .find_map(|l| l.strip_prefix("key:"))
        .unwrap()
        .trim()
        .to_owned();
    // Captures as fast as they come, then SIGKILL at once; until a kill lands while some
    // scoring is still queued (the test proves nothing otherwise), again.
    let mut interrupted = false;
    for round in 0..5 {
        let (mut child, port) = serve_healthy(&url);
        let posts: Vec<_> = (0..4)
            .map(|t| {
                let key = key.clone();
                std::thread::spawn(move || {
                    for i in 0..100 {
                        let body = format!("email=crash{round}-{t}-{i}%40example.com&name=Crash");
                        let answer = http(
                            port,
                            &format!(
                                "POST /f/{key} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAccept: application/json\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
                                body.len()
                            ),
                        );
                        assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
                    }
                })
            })
            .collect();
        for p in posts {
            p.join().unwrap();
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let (contacts, waiting) = unscored(&url);
        assert_eq!(
            contacts,
            400 * (round + 1),
            "every answered capture is stored"
        );
        if waiting > 0 {
            interrupted = true;
            break;
        }
    }
    assert!(interrupted, "no kill landed while scoring was queued");

    let (mut child, _port) = serve_healthy(&url);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (contacts, waiting) = unscored(&url);
        if waiting == 0 {
            assert!(contacts > 0);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{waiting} of {contacts} contacts still unscored after the restart"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

/// `--metrics-listen` serves Prometheus text: requests by route and status with latency
/// histograms, events by outcome and reason, queues, the ingestion writer's batches and the
/// database pool. Off by default: the main port has no `/metrics`.
#[test]
fn metrics_are_served_when_asked_for() {
    let db = temp_db();
    let url = db.url();
    assert!(
        closer(&url, &["site", "add", "metrics.example"])
            .status
            .success()
    );
    let free = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let metrics = free();
    let (mut child, port) = serve_healthy_with(
        &url,
        &[("CLOSER_METRICS_LISTEN", &format!("127.0.0.1:{metrics}"))],
    );
    for (domain, ua) in [
        ("metrics.example", FIREFOX),
        ("nobody.example", FIREFOX),
        (
            "metrics.example",
            "Googlebot/2.1 (+http://www.google.com/bot.html)",
        ),
    ] {
        let body = format!(r#"{{"n":"pageview","u":"https://{domain}/","d":"{domain}"}}"#);
        let answer = plausible(port, &body, ua, "203.0.113.99");
        assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");
    }
    assert!(
        http(
            port,
            "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .starts_with("HTTP/1.1 404")
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let text = loop {
        let text = http(
            metrics,
            "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        if text.contains("closer_events_stored_total 1") {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "the event was never counted stored:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    for line in [
        r#"closer_http_requests_total{route="/api/event",method="POST",status="202"} 3"#,
        r#"closer_http_request_duration_seconds_bucket{route="/api/event",method="POST",le="#,
        "closer_events_accepted_total 1",
        r#"closer_events_dropped_total{reason="bot"} 1"#,
        r#"closer_events_dropped_total{reason="unknown_site"} 1"#,
        "closer_ingest_queue_events 0",
        "closer_scoring_backlog ",
        "closer_ingest_batch_events_bucket{",
        "closer_ingest_commit_seconds_bucket{",
        r#"closer_db_pool_connections{state="open"}"#,
    ] {
        assert!(text.contains(line), "{line} in\n{text}");
    }
    child.kill().unwrap();
    child.wait().unwrap();
}
