//! Notifications through the web app, the API and the CLI: a mention in a note and a task
//! given by someone else tell the user (in the same write); the bell counts them; opening one
//! marks it read and leads to its page; each user chooses how each kind reaches them.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, closer_on, problem};
use crate::web_app::{PASSWORD, Session, field, user};

crate::on_both_backends!(told_in_the_app_the_api_and_the_terminal);

fn titles(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap().to_owned())
        .collect()
}

#[allow(clippy::too_many_lines)]
async fn told_in_the_app_the_api_and_the_terminal(app: TestApp) {
    let rita = user(&app, "rita@acme.example", "rep").await;
    user(&app, "mona@acme.example", "manager").await;
    let res = app
        .post_json(
            "/api/v1/contacts",
            &app.token,
            &json!({"name": "Grace Hopper", "email": "grace@navy.example", "owner_id": rita.id.0}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let grace: Value = res.json().await.unwrap();
    let grace_id = grace["id"].as_str().unwrap().to_owned();

    // A manager's note on Grace's page mentions Rita.
    let mut mona = Session::new(&app);
    mona.sign_in("mona@acme.example", PASSWORD).await;
    let page = mona.get(&format!("/contacts/{grace_id}")).await;
    let csrf = field(&page.body, "csrf");
    let once = field(&page.body, "once");
    let logged = mona
        .post(
            &format!("/contacts/{grace_id}/activities"),
            &[
                ("csrf", &csrf),
                ("once", &once),
                ("kind", "note"),
                ("text", "Budget approved — @rita please call her today"),
            ],
        )
        .await;
    assert_eq!(logged.status, StatusCode::SEE_OTHER, "{}", logged.body);
    // Mona's own bell stays quiet: a mention tells who is mentioned.
    let quiet = mona.get("/contacts").await;
    assert!(quiet.body.contains("Notifications, 0 unread"));

    // Rita's bell counts it; the list shows it; opening it marks it read and leads to Grace.
    let mut s = Session::new(&app);
    s.sign_in("rita@acme.example", PASSWORD).await;
    let home = s.get("/tasks").await;
    assert!(
        home.body.contains("Notifications, 1 unread"),
        "the bell: {}",
        home.body
    );
    let list = s.get("/notifications").await;
    assert!(
        list.body.contains("mentioned you on Grace Hopper"),
        "{}",
        list.body
    );
    let id = list
        .body
        .split("action=\"/notifications/")
        .skip(1)
        .filter_map(|r| r.split('"').next())
        .find_map(|a| a.strip_suffix("/open"))
        .unwrap()
        .to_owned();
    let csrf = field(&list.body, "csrf");
    let opened = s
        .post(&format!("/notifications/{id}/open"), &[("csrf", &csrf)])
        .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER);
    assert_eq!(
        opened.location.as_deref(),
        Some(format!("/contacts/{grace_id}").as_str())
    );
    assert!(
        s.get("/tasks")
            .await
            .body
            .contains("Notifications, 0 unread")
    );
    let forged = s
        .post(&format!("/notifications/{id}/open"), &[("csrf", "nope")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // Her choices: tasks given to her by e-mail only, from the page.
    let saved = s
        .post(
            "/notifications/settings",
            &[
                ("csrf", &csrf),
                ("hot_lead", "both"),
                ("mention", "in_app"),
                ("task_assigned", "email"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let settings: Value = app
        .get(
            "/api/v1/notifications/settings?user=rita%40acme.example",
            &app.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        settings["choices"],
        json!([
            {"kind": "hot_lead", "delivery": "both"},
            {"kind": "mention", "delivery": "in_app"},
            {"kind": "task_assigned", "delivery": "email"},
            {"kind": "task_due", "delivery": "both"},
            {"kind": "task_overdue", "delivery": "both"},
            {"kind": "deal_idle", "delivery": "both"},
            {"kind": "digest", "delivery": "both"},
        ])
    );
    // A task given to her now is e-mailed, not shown; back to both, the next one shows.
    let task = |title: &str| json!({"title": title, "due_at": "2030-01-01T09:00:00Z", "contact_id": grace_id, "assignee_id": rita.id.0});
    let res = app
        .post_json("/api/v1/tasks", &app.token, &task("Send the quote"))
        .await;
    assert_eq!(res.status(), 201);
    let res = app
        .client
        .put(app.url("/api/v1/notifications/settings?user=rita%40acme.example"))
        .bearer_auth(&app.token)
        .json(&json!({"choices": [{"kind": "task_assigned", "delivery": "both"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = app
        .post_json("/api/v1/tasks", &app.token, &task("Book the demo"))
        .await;
    assert_eq!(res.status(), 201);
    let list: Value = app
        .get("/api/v1/notifications?user=rita%40acme.example", &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        titles(&list),
        [
            "Someone gave you a task: Book the demo",
            "Test User mentioned you on Grace Hopper"
        ]
    );
    let unread: Value = app
        .get(
            "/api/v1/notifications?user=rita%40acme.example&unread=true",
            &app.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(titles(&unread).len(), 1);
    let res = app
        .post_json(
            "/api/v1/notifications/read?user=rita%40acme.example",
            &app.token,
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 204);

    // Precise refusals.
    problem(
        app.get("/api/v1/notifications", &app.token).await,
        422,
        "a token names the user",
    )
    .await;
    problem(
        app.get(
            "/api/v1/notifications?user=nobody%40acme.example",
            &app.token,
        )
        .await,
        422,
        "not a user",
    )
    .await;
    let p = problem(
        app.client
            .put(app.url("/api/v1/notifications/settings?user=rita%40acme.example"))
            .bearer_auth(&app.token)
            .json(&json!({"choices": [{"kind": "hot_lead", "delivery": "sms"}]}))
            .send()
            .await
            .unwrap(),
        422,
        "a delivery that is not one",
    )
    .await;
    assert!(p.to_string().contains("choices[0].delivery"), "{p}");
    problem(
        app.post_json(
            &format!(
                "/api/v1/notifications/{}/read?user=rita%40acme.example",
                uuid::Uuid::now_v7()
            ),
            &app.token,
            &json!({}),
        )
        .await,
        404,
        "someone else's or none",
    )
    .await;

    // The terminal.
    let (out, err, ok) = closer_on(
        &app,
        &["notifications", "list", "--user", "rita@acme.example"],
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("Book the demo") && out.contains("mention"),
        "{out}"
    );
    let (out, err, ok) = closer_on(
        &app,
        &[
            "notifications",
            "deliver",
            "--user",
            "rita@acme.example",
            "--kind",
            "mention",
            "--delivery",
            "none",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("mention\tnone"), "{out}");
    let (_, err, ok) = closer_on(
        &app,
        &[
            "notifications",
            "deliver",
            "--user",
            "rita@acme.example",
            "--kind",
            "mention",
            "--delivery",
            "pigeon",
        ],
    );
    assert!(!ok);
    assert!(
        err.contains("--delivery: \"pigeon\" is not a delivery"),
        "{err}"
    );
}
