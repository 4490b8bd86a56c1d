//! The role table (`closer_domain::access`) walked whole: every role of the web app and both
//! kinds of API token try each kind of action on someone else's records, and get exactly
//! what the table gives them. The expectations are written out here, not read from the
//! table, so a change to either shows.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::web_app::{PASSWORD, Session, field, user};

crate::on_both_backends!(the_role_table_over_the_web_app, the_role_table_over_the_api);

/// Someone else's records: a rep's contact with a deal and a task, and an unassigned lead.
struct Theirs {
    contact: String,
    deal: String,
    task: String,
    unassigned: String,
    won_stage: String,
}

async fn theirs(app: &TestApp, owner: &closer_store::User, tag: &str) -> Theirs {
    let made = |path: &'static str, body: Value| async move {
        let res = app.post_json(path, &app.token, &body).await;
        assert_eq!(res.status(), 201, "{path}");
        res.json::<Value>().await.unwrap()
    };
    let contact = made(
        "/api/v1/contacts",
        json!({"email": format!("oscar-lead-{tag}@example.com"), "owner_id": owner.id.0}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let deal = made(
        "/api/v1/deals",
        json!({"contact_id": contact, "title": format!("Deal {tag}"), "owner_id": owner.id.0}),
    )
    .await;
    let task = made(
        "/api/v1/tasks",
        json!({"title": format!("Call {tag}"), "due_at": "2030-01-01T09:00:00Z",
               "contact_id": contact, "assignee_id": owner.id.0}),
    )
    .await;
    let unassigned = made(
        "/api/v1/contacts",
        json!({"email": format!("queue-{tag}@example.com")}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let pipelines: Value = app
        .get("/api/v1/pipelines", &app.token)
        .await
        .json()
        .await
        .unwrap();
    let won_stage = pipelines[0]["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "won")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    Theirs {
        contact,
        deal: deal["id"].as_str().unwrap().to_owned(),
        task: task["id"].as_str().unwrap().to_owned(),
        unassigned,
        won_stage,
    }
}

/// What a person tries, where, with which form fields, and what each role gets (admin,
/// manager, rep, marketer).
type WebCase = (
    &'static str,
    String,
    Vec<(&'static str, String)>,
    [StatusCode; 4],
);

async fn the_role_table_over_the_web_app(app: TestApp) {
    let oscar = user(&app, "oscar@acme.example", "rep").await;
    for role in ["admin", "manager", "rep", "marketer"] {
        let email = format!("{role}@acme.example");
        user(&app, &email, role).await;
        let t = theirs(&app, &oscar, role).await;
        let mut s = Session::new(&app);
        assert_eq!(
            s.sign_in(&email, PASSWORD).await.status,
            StatusCode::SEE_OTHER
        );
        let csrf = field(&s.get("/").await.body, "csrf");
        // The board of their deals: a rep's board is their own whoever's they ask for; a
        // marketer has none.
        let board = s.get(&format!("/board?owner={}", oscar.id.0)).await;
        if role == "marketer" {
            assert_eq!(board.status, StatusCode::FORBIDDEN);
        } else {
            assert_eq!(board.status, StatusCode::OK, "{role}");
            assert_eq!(
                board.body.contains(&format!("data-deal=\"{}\"", t.deal)),
                role != "rep",
                "{role}'s board and their deal"
            );
        }
        let once = || uuid::Uuid::new_v4().to_string();
        let (ok, hidden, refused) = (
            StatusCode::SEE_OTHER,
            StatusCode::NOT_FOUND,
            StatusCode::FORBIDDEN,
        );
        // The contact as read, for the edit form's precondition.
        let read: Value = app
            .get(&format!("/api/v1/contacts/{}", t.contact), &app.token)
            .await
            .json()
            .await
            .unwrap();
        let read_at = closer_domain::Timestamp::parse_rfc3339(read["updated_at"].as_str().unwrap())
            .unwrap()
            .unix_micros()
            .to_string();
        let deal_read: Value = app
            .get(&format!("/api/v1/deals/{}", t.deal), &app.token)
            .await
            .json()
            .await
            .unwrap();
        let deal_read_at =
            closer_domain::Timestamp::parse_rfc3339(deal_read["updated_at"].as_str().unwrap())
                .unwrap()
                .unix_micros()
                .to_string();
        // (what, path, form, admin, manager, rep, marketer)
        let cases: Vec<WebCase> = vec![
            (
                "edit their deal",
                format!("/deals/{}/edit", t.deal),
                vec![
                    ("read_at", deal_read_at),
                    ("title", format!("Deal {role} renamed")),
                    ("amount", "10".into()),
                    ("currency", "USD".into()),
                ],
                [ok, ok, hidden, refused],
            ),
            (
                "open their contact",
                format!("/contacts/{}", t.contact),
                vec![],
                [StatusCode::OK, StatusCode::OK, hidden, StatusCode::OK],
            ),
            (
                "open their contact's edit form",
                format!("/contacts/{}/edit", t.contact),
                vec![],
                [StatusCode::OK, StatusCode::OK, hidden, StatusCode::OK],
            ),
            (
                "edit their contact",
                format!("/contacts/{}/edit", t.contact),
                vec![
                    ("read_at", read_at.clone()),
                    ("name", format!("Renamed by {role}")),
                    ("emails", format!("oscar-lead-{role}@example.com")),
                    ("stage", "lead".into()),
                ],
                [ok, ok, hidden, ok],
            ),
            (
                "log a call on their contact",
                format!("/contacts/{}/activities", t.contact),
                vec![("once", once()), ("kind", "call".into())],
                [ok, ok, hidden, refused],
            ),
            (
                "open a deal on their contact",
                format!("/contacts/{}/deals", t.contact),
                vec![("once", once()), ("title", "Upsell".into())],
                [ok, ok, hidden, refused],
            ),
            (
                "add a follow-up on their contact",
                format!("/contacts/{}/tasks", t.contact),
                vec![
                    ("once", once()),
                    ("title", "Call again".into()),
                    ("due_date", "2030-02-01".into()),
                ],
                [ok, ok, hidden, refused],
            ),
            (
                "snooze their task",
                format!("/tasks/{}/snooze", t.task),
                vec![],
                [ok, ok, hidden, refused],
            ),
            (
                "complete their task",
                format!("/tasks/{}/done", t.task),
                vec![],
                [ok, ok, hidden, refused],
            ),
            (
                "reopen their task",
                format!("/tasks/{}/reopen", t.task),
                vec![],
                [ok, ok, hidden, refused],
            ),
            (
                "win their deal",
                format!("/deals/{}/move", t.deal),
                vec![("stage", t.won_stage.clone())],
                [ok, ok, hidden, refused],
            ),
            (
                "hand their contact to someone",
                "/contacts/assign".to_owned(),
                vec![("id", t.contact.clone()), ("owner", oscar.id.0.to_string())],
                [ok, ok, refused, refused],
            ),
            (
                "take a lead from the queue",
                format!("/queue/{}/take", t.unassigned),
                vec![],
                [ok, ok, ok, refused],
            ),
            (
                "open the import page",
                "/settings/import".to_owned(),
                vec![],
                [StatusCode::OK, StatusCode::OK, refused, StatusCode::OK],
            ),
            (
                "add a site",
                "/settings/sites".to_owned(),
                vec![("domain", format!("{role}.example"))],
                [ok, refused, refused, refused],
            ),
            (
                "open the possible duplicates",
                "/contacts/duplicates".to_owned(),
                vec![],
                [StatusCode::OK; 4],
            ),
            (
                "preview merging a lead into their contact",
                format!("/contacts/{}/merge?other={}", t.contact, t.unassigned),
                vec![],
                [StatusCode::OK, StatusCode::OK, hidden, StatusCode::OK],
            ),
            (
                "merge a lead into their contact",
                format!("/contacts/{}/merge", t.contact),
                vec![("from", t.unassigned.clone())],
                [ok, ok, hidden, ok],
            ),
        ];
        let column = ["admin", "manager", "rep", "marketer"]
            .iter()
            .position(|r| *r == role)
            .unwrap();
        for (what, path, mut form, expected) in cases {
            let posted = ["done", "take", "snooze", "reopen"]
                .iter()
                .any(|end| path.ends_with(end));
            let page = if form.is_empty() && !posted {
                s.get(&path).await
            } else {
                form.push(("csrf", csrf.clone()));
                let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                s.post(&path, &form).await
            };
            assert_eq!(
                page.status,
                expected[column],
                "as {role}, {}{what}: {}",
                if expected[column] == ok || expected[column] == StatusCode::OK {
                    "may "
                } else {
                    "may not "
                },
                page.body
            );
        }
    }
}

async fn the_role_table_over_the_api(app: TestApp) {
    let oscar = user(&app, "oscar@acme.example", "rep").await;
    for (who, token) in [("admin", app.token.clone()), ("member", app.member.clone())] {
        let t = theirs(&app, &oscar, who).await;
        let spare: Value = app
            .post_json(
                "/api/v1/contacts",
                &app.token,
                &json!({"email": format!("spare-{who}@example.com")}),
            )
            .await
            .json()
            .await
            .unwrap();
        let spare = spare["id"].as_str().unwrap().to_owned();
        let admin_only = |status: u16| if who == "admin" { status } else { 403 };
        let cases: Vec<(&str, reqwest::Method, String, Value, u16)> = vec![
            (
                "add a site",
                reqwest::Method::POST,
                "/api/v1/sites".into(),
                json!({"domain": format!("{who}.example")}),
                admin_only(201),
            ),
            (
                "add a form",
                reqwest::Method::POST,
                "/api/v1/forms".into(),
                json!({"name": format!("Form {who}")}),
                admin_only(201),
            ),
            (
                "add a user",
                reqwest::Method::POST,
                "/api/v1/users".into(),
                json!({"email": format!("new-{who}@acme.example"), "name": "New"}),
                admin_only(201),
            ),
            (
                "add a pipeline",
                reqwest::Method::POST,
                "/api/v1/pipelines".into(),
                json!({"name": format!("P {who}"), "stages": [{"name": "Talk"}, {"name": "Won", "kind": "won"}, {"name": "Lost", "kind": "lost"}]}),
                admin_only(201),
            ),
            (
                "create a contact",
                reqwest::Method::POST,
                "/api/v1/contacts".into(),
                json!({"email": format!("api-{who}@example.com")}),
                201,
            ),
            (
                "open a deal",
                reqwest::Method::POST,
                "/api/v1/deals".into(),
                json!({"contact_id": t.contact, "title": "API deal"}),
                201,
            ),
            (
                "complete a rep's task",
                reqwest::Method::PATCH,
                format!("/api/v1/tasks/{}", t.task),
                json!({"status": "done"}),
                200,
            ),
            (
                "log a call",
                reqwest::Method::POST,
                format!("/api/v1/contacts/{}/activities", t.contact),
                json!({"kind": "call"}),
                201,
            ),
            (
                "read a report",
                reqwest::Method::GET,
                "/api/v1/reports/funnel".into(),
                Value::Null,
                200,
            ),
            (
                "merge a lead into a rep's contact",
                reqwest::Method::POST,
                format!("/api/v1/contacts/{}/merge", t.contact),
                json!({"from": [spare]}),
                200,
            ),
            (
                "erase a contact",
                reqwest::Method::DELETE,
                format!("/api/v1/contacts/{}", t.unassigned),
                Value::Null,
                admin_only(204),
            ),
        ];
        for (what, method, path, body, expected) in cases {
            let mut req = app
                .client
                .request(method, app.url(&path))
                .bearer_auth(&token);
            if !body.is_null() {
                req = req.json(&body);
            }
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            let text = res.text().await.unwrap();
            assert_eq!(status, expected, "a {who} token: {what}: {text}");
            if expected == 403 {
                assert!(text.contains("may not"), "{who}: {what}: {text}");
            }
        }
    }
}
