//! E-mail through a real SMTP server the test starts (aiosmtpd, writing what it receives to a
//! Maildir): a mention and a task given written while no server sends mail wait in the outbox,
//! and `closer serve --smtp-url` started later sends them, with the reminders its first pass
//! tells (the task is due, the morning digest listing it) — each once, to the user, with a
//! link to the person, across a restart.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{TestApp, serve_process};
use crate::web_app::user;

crate::on_both_backends!(mentions_and_reminders_are_emailed_once_even_across_restarts);

struct Smtp {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// aiosmtpd on a free port, or `None` (reported) where it is not installed and CI is not
/// asking for every test.
fn smtp_server() -> Option<Smtp> {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = Command::new("python3")
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(dir.path().join("mail"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut smtp = Smtp { child, port, dir };
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline || smtp.child.try_wait().ok().flatten().is_some() {
            assert!(
                std::env::var_os("CI").is_none(),
                "aiosmtpd did not start (python3 -m pip install -r .ci/requirements.txt)"
            );
            eprintln!("skipped: aiosmtpd is not installed");
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(smtp)
}

fn received(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir.join("mail").join("new"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                .collect()
        })
        .unwrap_or_default()
}

async fn mentions_and_reminders_are_emailed_once_even_across_restarts(app: TestApp) {
    let Some(smtp) = smtp_server() else { return };
    let rita = user(&app, "rita@acme.example", "rep").await;
    let res = app
        .post_json(
            "/api/v1/contacts",
            &app.token,
            &json!({"name": "Grace Hopper", "email": "grace@navy.example"}),
        )
        .await;
    let grace: Value = res.json().await.unwrap();
    let grace_id = grace["id"].as_str().unwrap().to_owned();
    // Written by a process that sends no mail: the e-mail waits in the outbox.
    let res = app
        .post_json(
            &format!("/api/v1/contacts/{grace_id}/activities"),
            &app.token,
            &json!({"kind": "note", "text": "@rita she asked for a call back"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    // A task given to her (e-mailed at once), due two hours ago: the reminder that it is due
    // and, with the digest hour at 0, her digest come from the server's first reminder pass.
    let due = time::OffsetDateTime::now_utc() - time::Duration::hours(2);
    let res = app
        .post_json(
            "/api/v1/tasks",
            &app.token,
            &json!({"title": "Call Grace back", "contact_id": grace_id, "assignee_id": rita.id.0,
                    "due_at": due.format(&time::format_description::well_known::Rfc3339).unwrap()}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = app
        .client
        .put(app.url("/api/v1/settings/reminders"))
        .bearer_auth(&app.token)
        .json(&json!({"idle_deal_days": 14, "digest_hour": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(received(smtp.dir.path()).is_empty());

    // A server with a mail server sends it.
    let (mut serve, _) = serve_process(
        &app.database_url(),
        &[
            (
                "CLOSER_SMTP_URL",
                &format!("smtp://127.0.0.1:{}", smtp.port),
            ),
            ("CLOSER_MAIL_FROM", "closer <closer@acme.example>"),
            ("CLOSER_PUBLIC_URL", "https://crm.acme.example"),
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let mails = loop {
        let mails = received(smtp.dir.path());
        if mails.len() >= 4 {
            break mails;
        }
        assert!(Instant::now() < deadline, "e-mails missing: {mails:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // The body is quoted-printable: long lines are broken with a trailing `=`.
    let mails: Vec<String> = mails
        .iter()
        .map(|m| {
            m.replace("=\r\n", "")
                .replace("=\n", "")
                .replace("=3D", "=")
        })
        .collect();
    let about = |subject: &str| {
        let found: Vec<&String> = mails
            .iter()
            .filter(|m| m.contains(&format!("Subject: {subject}")))
            .collect();
        assert_eq!(found.len(), 1, "one {subject:?} in {mails:?}");
        found[0].clone()
    };
    about("Someone gave you a task: Call Grace back");
    about("Due at ");
    let digest = about("Your day: 1 task");
    assert!(
        digest.contains("Call Grace back"),
        "the day's tasks: {digest}"
    );
    assert!(digest.contains("To: rita@acme.example"), "{digest}");
    let mail = about("Someone mentioned you on Grace Hopper");
    assert!(mail.contains("To: rita@acme.example"), "{mail}");
    assert!(
        mail.contains("From: closer <closer@acme.example>"),
        "{mail}"
    );
    assert!(
        mail.contains("Subject: Someone mentioned you on Grace Hopper"),
        "{mail}"
    );
    assert!(
        mail.contains(&format!("https://crm.acme.example/contacts/{grace_id}")),
        "{mail}"
    );
    assert!(mail.contains("@closer>"), "its Message-ID: {mail}");
    // Sent once: marked done, not sent again by this server or the next one.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let _ = serve.kill();
    let _ = serve.wait();
    let (mut again, _) = serve_process(
        &app.database_url(),
        &[(
            "CLOSER_SMTP_URL",
            &format!("smtp://127.0.0.1:{}", smtp.port),
        )],
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let _ = again.kill();
    let _ = again.wait();
    assert_eq!(received(smtp.dir.path()).len(), 4);
}
