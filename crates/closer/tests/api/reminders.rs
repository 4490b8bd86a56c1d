//! Reminders through the terminal, the API and the web app: a task due and a day overdue, the
//! morning digest from the workspace's hour, a deal idle for the workspace's days — each told
//! once, to its owner, in the app and the API; the workspace's settings changed on the
//! Settings page, over the API and with the CLI, refused precisely when wrong.

use reqwest::StatusCode;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime, Time};

use crate::helpers::{TestApp, closer_on, problem};
use crate::web_app::{PASSWORD, Session, field, user};

crate::on_both_backends!(reminders_are_told_once_each);

fn rfc(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// `closer notifications remind --at T`'s line.
fn remind(app: &TestApp, at: OffsetDateTime) -> String {
    let (out, err, ok) = closer_on(app, &["notifications", "remind", "--at", &rfc(at)]);
    assert!(ok, "{err}");
    out.trim().to_owned()
}

#[allow(clippy::too_many_lines)]
async fn reminders_are_told_once_each(app: TestApp) {
    let rita = user(&app, "rita@acme.example", "rep").await;
    user(&app, "carl@acme.example", "rep").await;
    user(&app, "owner@acme.example", "admin").await;
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
    let res = app
        .post_json(
            "/api/v1/deals",
            &app.token,
            &json!({"contact_id": grace_id, "title": "Fleet licences", "amount": "9000",
                    "currency": "USD", "owner_id": rita.id.0}),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    // A day two days ahead, so every reminder below is in the future of the deal's creation.
    let day = (OffsetDateTime::now_utc() + Duration::days(2)).replace_time(Time::MIDNIGHT);
    let at = |h: i64, m: i64| day + Duration::hours(h) + Duration::minutes(m);
    let res = app
        .post_json(
            "/api/v1/tasks",
            &app.token,
            &json!({"title": "Call Grace back", "due_at": rfc(at(10, 0)), "contact_id": grace_id,
                    "assignee_id": rita.id.0}),
        )
        .await;
    assert_eq!(res.status(), 201);

    // The digest's hour, over the API (admins only), checked.
    let res = app.get("/api/v1/settings/reminders", &app.token).await;
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"idle_deal_days": 14, "digest_hour": 7})
    );
    let put = |token: String, body: Value| {
        let app = &app;
        async move {
            app.client
                .put(app.url("/api/v1/settings/reminders"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let res = put(
        app.token.clone(),
        json!({"idle_deal_days": 14, "digest_hour": 8}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let p = problem(
        put(
            app.token.clone(),
            json!({"idle_deal_days": -1, "digest_hour": 24}),
        )
        .await,
        422,
        "out of range",
    )
    .await;
    assert!(p.to_string().contains("idle_deal_days"), "{p}");
    problem(
        put(
            app.member.clone(),
            json!({"idle_deal_days": 3, "digest_hour": 8}),
        )
        .await,
        403,
        "a member does not configure",
    )
    .await;
    problem(
        put(app.token.clone(), json!({"idle_deal_days": 3})).await,
        422,
        "a field missing",
    )
    .await;

    // Before the hour and before the task is due: nothing.
    assert_eq!(
        remind(&app, at(6, 0)),
        "told 0 due, 0 overdue, 0 idle deals, 0 digests"
    );
    // From 08:00 the digest, once (Carl and the admin have no tasks: nothing to say).
    assert_eq!(
        remind(&app, at(8, 30)),
        "told 0 due, 0 overdue, 0 idle deals, 1 digests"
    );
    assert_eq!(
        remind(&app, at(8, 31)),
        "told 0 due, 0 overdue, 0 idle deals, 0 digests"
    );
    // Due, once.
    assert_eq!(
        remind(&app, at(10, 1)),
        "told 1 due, 0 overdue, 0 idle deals, 0 digests"
    );
    assert_eq!(
        remind(&app, at(10, 2)),
        "told 0 due, 0 overdue, 0 idle deals, 0 digests"
    );
    // The next day: a day overdue, and that day's digest says so.
    assert_eq!(
        remind(&app, at(34, 30)),
        "told 0 due, 1 overdue, 0 idle deals, 1 digests"
    );
    // A deal idle for a day, once the workspace says a day is idle (the CLI).
    let (out, err, ok) = closer_on(
        &app,
        &["notifications", "reminders", "--idle-deal-days", "1"],
    );
    assert!(ok, "{err}");
    assert_eq!(out, "idle_deal_days\t1\ndigest_hour\t8\n");
    assert_eq!(
        remind(&app, at(34, 31)),
        "told 0 due, 0 overdue, 1 idle deals, 0 digests"
    );
    assert_eq!(
        remind(&app, at(34, 32)),
        "told 0 due, 0 overdue, 0 idle deals, 0 digests"
    );

    // Rita reads them over the API, newest first; Carl has none.
    let list: Value = app
        .get("/api/v1/notifications?user=rita%40acme.example", &app.token)
        .await
        .json()
        .await
        .unwrap();
    let mut told: Vec<(&str, &str)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["kind"].as_str().unwrap(), n["title"].as_str().unwrap()))
        .collect();
    // How many whole days idle depends on the hour the test runs: 2 or 3.
    let (kind, idle) = told.remove(0);
    assert_eq!(kind, "deal_idle");
    assert!(
        idle.starts_with("No activity for ") && idle.ends_with(" days: Fleet licences"),
        "{idle}"
    );
    let overdue_day = format!("{} {}", day.day(), &day.month().to_string()[..3]);
    assert_eq!(
        told,
        [
            ("digest", "Your day: 1 task, 1 overdue"),
            (
                "task_overdue",
                &*format!("Overdue since {overdue_day}: Call Grace back")
            ),
            ("task_due", "Due at 10:00 UTC: Call Grace back"),
            ("digest", "Your day: 1 task"),
            ("task_assigned", "Someone gave you a task: Call Grace back"),
        ]
    );
    let carl: Value = app
        .get("/api/v1/notifications?user=carl%40acme.example", &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(carl["items"], json!([]));

    // The Settings page: the section, a mistake beside its field, then saved.
    let mut s = Session::new(&app);
    s.sign_in("owner@acme.example", PASSWORD).await;
    let page = s.get("/settings").await;
    assert!(page.body.contains("Morning digest from (hour, UTC)"));
    let csrf = field(&page.body, "csrf");
    let refused = s
        .post(
            "/settings/reminders",
            &[
                ("csrf", &csrf),
                ("idle_deal_days", "ten"),
                ("digest_hour", "24"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("id=\"idle_deal_days-error\"")
            && refused.body.contains("must be a whole number")
            && refused.body.contains("value=\"ten\""),
        "{}",
        refused.body
    );
    let saved = s
        .post(
            "/settings/reminders",
            &[
                ("csrf", &csrf),
                ("idle_deal_days", "0"),
                ("digest_hour", "6"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let res = app.get("/api/v1/settings/reminders", &app.token).await;
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"idle_deal_days": 0, "digest_hour": 6})
    );
    // Rita is no admin: the settings are not hers to change.
    let mut r = Session::new(&app);
    r.sign_in("rita@acme.example", PASSWORD).await;
    let csrf = field(&r.get("/notifications").await.body, "csrf");
    let denied = r
        .post(
            "/settings/reminders",
            &[
                ("csrf", &csrf),
                ("idle_deal_days", "5"),
                ("digest_hour", "6"),
            ],
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    // Her Notifications page offers every reminder kind.
    let mine = r.get("/notifications").await;
    assert!(
        mine.body.contains("Each morning, my tasks for the day")
            && mine
                .body
                .contains("A deal of mine has had no activity for a while"),
        "{}",
        mine.body
    );

    // The terminal's refusals.
    let (_, err, ok) = closer_on(&app, &["notifications", "remind", "--at", "tomorrow"]);
    assert!(!ok && err.contains("--at"), "{err}");
    let (_, err, ok) = closer_on(&app, &["notifications", "reminders", "--digest-hour", "30"]);
    assert!(
        !ok && err.contains("--digest-hour: must be an hour"),
        "{err}"
    );
}
