//! Corrections and deletions through the API, the web app and the terminal: an activity's
//! kind, time and words corrected, a task renamed, activities, tasks and deals deleted (the web
//! app asks for a ticked box, the terminal for --yes), a person erased by an admin only, a
//! stage moved with a reason, consent recorded from the edit form; a change made meanwhile
//! shown instead of overwritten; precise refusals.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, closer_on, problem};
use crate::web_app::{PASSWORD, Session, field, user};

crate::on_both_backends!(
    activities_tasks_and_deals_corrected_and_deleted,
    people_erased_moved_with_a_reason_and_asked_for_consent
);

async fn created(res: reqwest::Response) -> String {
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn pairs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// Posts the activity form of `act` as drawn (`read`), with `day` and `outcome`.
async fn correct(
    s: &mut Session<'_>,
    act: &str,
    csrf: &str,
    (day, time): (&str, &str),
    read: &str,
    outcome: &str,
) -> crate::web_app::Page {
    s.post(
        &format!("/activities/{act}/edit"),
        &[
            ("csrf", csrf),
            ("read", read),
            ("kind", "call"),
            ("day", day),
            ("time", time),
            ("outcome", outcome),
            ("text", "Left a message"),
        ],
    )
    .await
}

fn hours_ago(h: i64) -> String {
    (time::OffsetDateTime::now_utc() - time::Duration::hours(h))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

#[allow(clippy::too_many_lines)]
async fn activities_tasks_and_deals_corrected_and_deleted(app: TestApp) {
    let rita = user(&app, "rita@acme.example", "rep").await;
    user(&app, "reg@acme.example", "rep").await;
    let ada = created(
        app.post_json(
            "/api/v1/contacts",
            &app.token,
            &json!({"name": "Ada Lovelace", "email": "ada@math.example", "owner_id": rita.id.0}),
        )
        .await,
    )
    .await;

    // The API: an activity read, corrected, refused precisely, deleted.
    let call = created(
        app.post_json(
            &format!("/api/v1/contacts/{ada}/activities"),
            &app.token,
            &json!({"kind": "call", "outcome": "reached", "occurred_at": hours_ago(2)}),
        )
        .await,
    )
    .await;
    let path = format!("/api/v1/activities/{call}");
    let got: Value = app.get(&path, &app.token).await.json().await.unwrap();
    assert_eq!(
        (got["kind"].as_str(), got["outcome"].as_str()),
        (Some("call"), Some("reached"))
    );
    let res = app
        .patch_json(
            &path,
            &app.token,
            &json!({"kind": "demo", "outcome": null, "text": "Showed the board"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let fixed: Value = res.json().await.unwrap();
    assert_eq!(fixed["kind"], "demo");
    assert_eq!(fixed["outcome"], Value::Null);
    assert_eq!(fixed["text"], "Showed the board");
    assert_eq!(fixed["occurred_at"], got["occurred_at"], "the time stays");
    let p = problem(
        app.patch_json(
            &path,
            &app.token,
            &json!({"kind": "fax", "occurred_at": "2999-01-01T00:00:00Z"}),
        )
        .await,
        422,
        "not an activity, and in the future",
    )
    .await;
    assert!(p.to_string().contains("kind"), "{p}");
    let p = problem(
        app.patch_json(
            &path,
            &app.token,
            &json!({"occurred_at": "2999-01-01T00:00:00Z"}),
        )
        .await,
        422,
        "in the future",
    )
    .await;
    assert!(p.to_string().contains("occurred_at"), "{p}");
    problem(
        app.get("/api/v1/activities/nope", &app.token).await,
        400,
        "not an id",
    )
    .await;
    problem(
        app.get(
            &format!("/api/v1/activities/{}", uuid::Uuid::now_v7()),
            &app.token,
        )
        .await,
        404,
        "no such activity",
    )
    .await;
    problem(
        app.patch_json(&path, &app.token, &json!({"contact_id": ada}))
            .await,
        422,
        "an activity's contact is not corrected",
    )
    .await;
    assert_eq!(app.delete(&path, &app.token).await.status(), 204);
    problem(app.get(&path, &app.token).await, 404, "deleted").await;
    problem(app.delete(&path, &app.token).await, 404, "deleted twice").await;

    // A task renamed, its notes cleared, an empty title refused, deleted.
    let task = created(
        app.post_json(
            "/api/v1/tasks",
            &app.token,
            &json!({"title": "Call back", "text": "budget?", "due_at": hours_ago(-24), "contact_id": ada}),
        )
        .await,
    )
    .await;
    let tpath = format!("/api/v1/tasks/{task}");
    let res = app
        .patch_json(
            &tpath,
            &app.token,
            &json!({"title": "Send the quote", "text": null}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let t: Value = res.json().await.unwrap();
    assert_eq!(
        (t["title"].as_str(), &t["text"]),
        (Some("Send the quote"), &Value::Null)
    );
    let p = problem(
        app.patch_json(&tpath, &app.token, &json!({"title": "  "}))
            .await,
        422,
        "an empty title",
    )
    .await;
    assert!(p.to_string().contains("title"), "{p}");
    assert_eq!(app.delete(&tpath, &app.token).await.status(), 204);
    problem(app.delete(&tpath, &app.token).await, 404, "deleted task").await;

    // A deal deleted.
    let deal = created(
        app.post_json(
            "/api/v1/deals",
            &app.token,
            &json!({"contact_id": ada, "title": "Gone soon"}),
        )
        .await,
    )
    .await;
    let dpath = format!("/api/v1/deals/{deal}");
    assert_eq!(app.delete(&dpath, &app.token).await.status(), 204);
    problem(app.get(&dpath, &app.token).await, 404, "deleted deal").await;

    // The web app: Rita corrects her own call, and meets a change made meanwhile.
    let mut r = Session::new(&app);
    r.sign_in("rita@acme.example", PASSWORD).await;
    let page = r.get(&format!("/contacts/{ada}")).await;
    let csrf = field(&page.body, "csrf");
    let once = field(&page.body, "once");
    let logged = r
        .post(
            &format!("/contacts/{ada}/activities"),
            &[
                ("csrf", &csrf),
                ("once", &once),
                ("kind", "call"),
                ("outcome", "voicemail"),
                ("text", ""),
            ],
        )
        .await;
    assert_eq!(logged.status, StatusCode::SEE_OTHER, "{}", logged.body);
    let page = r.get(&format!("/contacts/{ada}")).await;
    let act = page
        .body
        .split("href=\"/activities/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("an Edit link on the logged call")
        .to_owned();
    let form = r.get(&format!("/activities/{act}/edit")).await;
    assert_eq!(form.status, StatusCode::OK);
    let read = field(&form.body, "read");
    let day = field(&form.body, "day");
    let time = field(&form.body, "time");
    // Someone else corrects it first (through the API).
    let res = app
        .patch_json(
            &format!("/api/v1/activities/{act}"),
            &app.token,
            &json!({"outcome": "reached"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let clash = correct(&mut r, &act, &csrf, (&day, &time), &read, "no answer").await;
    assert_eq!(clash.status, StatusCode::CONFLICT, "{}", clash.body);
    assert!(clash.body.contains("Someone changed this activity") && clash.body.contains("reached"));
    let again = field(&clash.body, "read");
    let saved = correct(&mut r, &act, &csrf, (&day, &time), &again, "no answer").await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let stored: Value = app
        .get(&format!("/api/v1/activities/{act}"), &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (stored["outcome"].as_str(), stored["text"].as_str()),
        (Some("no answer"), Some("Left a message"))
    );
    // A day that is no day is named by its field.
    let read = field(
        &r.get(&format!("/activities/{act}/edit")).await.body,
        "read",
    );
    let bad = correct(&mut r, &act, &csrf, ("someday", &time), &read, "").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("id=\"day-error\""), "{}", bad.body);
    // Deleting asks for the ticked box.
    let unticked = r
        .post(&format!("/activities/{act}/delete"), &[("csrf", &csrf)])
        .await;
    assert_eq!(unticked.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Another rep cannot even see it.
    let mut g = Session::new(&app);
    g.sign_in("reg@acme.example", PASSWORD).await;
    let theirs = g.get(&format!("/activities/{act}/edit")).await;
    assert!(
        [StatusCode::NOT_FOUND, StatusCode::FORBIDDEN].contains(&theirs.status),
        "{}",
        theirs.status
    );
    let gone = r
        .post(
            &format!("/activities/{act}/delete"),
            &[("csrf", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    assert_eq!(
        gone.location.as_deref(),
        Some(format!("/contacts/{ada}").as_str())
    );
    problem(
        app.get(&format!("/api/v1/activities/{act}"), &app.token)
            .await,
        404,
        "deleted in the app",
    )
    .await;

    // A task edited in the app: an empty title is named; then renamed and moved; deleted.
    let task = created(
        app.post_json(
            "/api/v1/tasks",
            &app.token,
            &json!({"title": "Call back", "due_at": hours_ago(-24), "contact_id": ada, "assignee_id": rita.id.0}),
        )
        .await,
    )
    .await;
    let form = r.get(&format!("/tasks/{task}/edit")).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let read = field(&form.body, "read");
    let send = |title: &str, read: &str| {
        vec![
            ("csrf".to_owned(), csrf.clone()),
            ("read".to_owned(), read.to_owned()),
            ("title".to_owned(), title.to_owned()),
            ("text".to_owned(), "Bring the numbers".to_owned()),
            ("due_date".to_owned(), "2031-03-04".to_owned()),
            ("due_time".to_owned(), "15:30".to_owned()),
        ]
    };
    let empty = r
        .post(&format!("/tasks/{task}/edit"), &pairs(&send(" ", &read)))
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("id=\"title-error\""), "{}", empty.body);
    let ok = r
        .post(
            &format!("/tasks/{task}/edit"),
            &pairs(&send("Send the quote", &read)),
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let t: Value = app
        .get("/api/v1/tasks?limit=10", &app.token)
        .await
        .json()
        .await
        .unwrap();
    let t = t
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == task.as_str())
        .unwrap()
        .clone();
    assert_eq!(t["title"], "Send the quote");
    assert_eq!(t["text"], "Bring the numbers");
    assert_eq!(t["due_at"], "2031-03-04T15:30:00Z");
    let gone = r
        .post(
            &format!("/tasks/{task}/delete"),
            &[("csrf", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    problem(
        app.patch_json(
            &format!("/api/v1/tasks/{task}"),
            &app.token,
            &json!({"status": "done"}),
        )
        .await,
        404,
        "deleted in the app",
    )
    .await;

    // A deal deleted from its edit page.
    let deal = created(
        app.post_json(
            "/api/v1/deals",
            &app.token,
            &json!({"contact_id": ada, "title": "Small deal", "owner_id": rita.id.0}),
        )
        .await,
    )
    .await;
    let edit = r.get(&format!("/deals/{deal}/edit")).await;
    assert!(edit.body.contains("Delete deal"), "{}", edit.body);
    let gone = r
        .post(
            &format!("/deals/{deal}/delete"),
            &[("csrf", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    problem(
        app.get(&format!("/api/v1/deals/{deal}"), &app.token).await,
        404,
        "deleted in the app",
    )
    .await;

    // The terminal: log, correct, list, delete (only with --yes).
    let (out, err, ok) = closer_on(
        &app,
        &[
            "activity",
            "log",
            &ada,
            "--kind",
            "call",
            "--outcome",
            "reached",
        ],
    );
    assert!(ok, "{err}");
    let id = out.split_whitespace().next().unwrap().to_owned();
    let (out, err, ok) = closer_on(
        &app,
        &[
            "activity",
            "edit",
            &id,
            "--kind",
            "meeting",
            "--outcome",
            "",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("meeting") && !out.contains("reached"), "{out}");
    let (_, err, ok) = closer_on(&app, &["activity", "edit", &id, "--kind", "fax"]);
    assert!(!ok && err.contains("kind"), "{err}");
    let (out, _, ok) = closer_on(&app, &["activity", "list", &ada]);
    assert!(ok && out.contains(&id), "{out}");
    let (_, err, ok) = closer_on(&app, &["activity", "delete", &id]);
    assert!(!ok && err.contains("--yes"), "{err}");
    let (_, err, ok) = closer_on(&app, &["activity", "delete", &id, "--yes"]);
    assert!(ok, "{err}");
    let (_, err, ok) = closer_on(&app, &["activity", "delete", &id, "--yes"]);
    assert!(!ok && err.contains("not found"), "{err}");
    let task = created(
        app.post_json(
            "/api/v1/tasks",
            &app.token,
            &json!({"title": "Ping", "due_at": hours_ago(-1)}),
        )
        .await,
    )
    .await;
    let (out, err, ok) = closer_on(
        &app,
        &[
            "task",
            "set",
            &task,
            "--title",
            "Ping again",
            "--text",
            "twice",
        ],
    );
    assert!(ok && out.contains("Ping again"), "{out}{err}");
    let (_, err, ok) = closer_on(&app, &["task", "delete", &task, "--yes"]);
    assert!(ok, "{err}");
    let deal = created(
        app.post_json(
            "/api/v1/deals",
            &app.token,
            &json!({"contact_id": ada, "title": "CLI deal"}),
        )
        .await,
    )
    .await;
    let (_, err, ok) = closer_on(&app, &["deal", "delete", &deal]);
    assert!(!ok && err.contains("--yes"), "{err}");
    let (_, err, ok) = closer_on(&app, &["deal", "delete", &deal, "--yes"]);
    assert!(ok, "{err}");
    problem(
        app.get(&format!("/api/v1/deals/{deal}"), &app.token).await,
        404,
        "deleted from the terminal",
    )
    .await;
}

#[allow(clippy::too_many_lines)]
async fn people_erased_moved_with_a_reason_and_asked_for_consent(app: TestApp) {
    user(&app, "owner@acme.example", "admin").await;
    user(&app, "mona@acme.example", "manager").await;
    let bob = created(
        app.post_json(
            "/api/v1/contacts",
            &app.token,
            &json!({"name": "Bob Babbage", "email": "bob@engines.example"}),
        )
        .await,
    )
    .await;

    // The API: a reason goes with a stage.
    let p = problem(
        app.patch_json(
            &format!("/api/v1/contacts/{bob}"),
            &app.token,
            &json!({"stage_reason": "why not"}),
        )
        .await,
        422,
        "a reason without a stage",
    )
    .await;
    assert!(p.to_string().contains("stage_reason"), "{p}");
    let res = app
        .patch_json(
            &format!("/api/v1/contacts/{bob}"),
            &app.token,
            &json!({"stage": "disqualified", "stage_reason": "Bought elsewhere"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let export: Value = app
        .get(&format!("/api/v1/contacts/{bob}/export"), &app.token)
        .await
        .json()
        .await
        .unwrap();
    let history = export["stage_history"].as_array().unwrap();
    assert_eq!(
        history.last().unwrap()["reason"],
        "Bought elsewhere",
        "{history:?}"
    );

    // The web app: the stage back to lead with a reason, consent given.
    let mut m = Session::new(&app);
    m.sign_in("mona@acme.example", PASSWORD).await;
    let form = m.get(&format!("/contacts/{bob}/edit")).await;
    assert!(
        form.body.contains("E-mail consent") && form.body.contains("for=\"edit-stage-reason\"")
    );
    let csrf = field(&form.body, "csrf");
    let read_at = field(&form.body, "read_at");
    let saved = m
        .post(
            &format!("/contacts/{bob}/edit"),
            &[
                ("csrf", &csrf),
                ("read_at", &read_at),
                ("name", "Bob Babbage"),
                ("emails", "bob@engines.example"),
                ("phones", ""),
                ("company", ""),
                ("job_title", ""),
                ("stage", "lead"),
                ("stage_reason", "Came back after a year"),
                ("consent", "granted"),
                ("consent_was", ""),
                ("owner", ""),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let c: Value = app
        .get(&format!("/api/v1/contacts/{bob}"), &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(c["stage"], "lead");
    assert_eq!(c["consent"]["granted"], true);
    assert_eq!(c["consent"]["source"], "web app");
    let page = m.get(&format!("/contacts/{bob}")).await;
    assert!(
        page.body.contains("Came back after a year"),
        "the reason on the timeline"
    );
    // A manager may not erase: no form, and the post is refused.
    assert!(!page.body.contains("Erase person"));
    let refused = m
        .post(
            &format!("/contacts/{bob}/erase"),
            &[("csrf", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);

    // An admin erases, once the box is ticked.
    let mut o = Session::new(&app);
    o.sign_in("owner@acme.example", PASSWORD).await;
    let page = o.get(&format!("/contacts/{bob}")).await;
    assert!(page.body.contains("Erase person"), "{}", page.body);
    let csrf = field(&page.body, "csrf");
    let unticked = o
        .post(&format!("/contacts/{bob}/erase"), &[("csrf", &csrf)])
        .await;
    assert_eq!(unticked.status, StatusCode::UNPROCESSABLE_ENTITY);
    let erased = o
        .post(
            &format!("/contacts/{bob}/erase"),
            &[("csrf", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(erased.status, StatusCode::SEE_OTHER);
    problem(
        app.get(&format!("/api/v1/contacts/{bob}"), &app.token)
            .await,
        404,
        "erased",
    )
    .await;

    // Many at once: over the API (an unknown id erases nobody), and ticked in the list.
    let mut made = Vec::new();
    for mail in [
        "e1@engines.example",
        "e2@engines.example",
        "e3@engines.example",
    ] {
        made.push(
            created(
                app.post_json("/api/v1/contacts", &app.token, &json!({"email": mail}))
                    .await,
            )
            .await,
        );
    }
    problem(
        app.post_json(
            "/api/v1/contacts/erase",
            &app.token,
            &json!({"ids": [made[0], uuid::Uuid::now_v7()]}),
        )
        .await,
        404,
        "one unknown id",
    )
    .await;
    assert_eq!(
        app.get(&format!("/api/v1/contacts/{}", made[0]), &app.token)
            .await
            .status(),
        200,
        "nobody erased"
    );
    let res = app
        .post_json(
            "/api/v1/contacts/erase",
            &app.token,
            &json!({"ids": [made[0]]}),
        )
        .await;
    assert_eq!(res.status(), 204);
    let list = o.get("/contacts").await;
    assert!(
        list.body.contains("formaction=\"/contacts/erase\""),
        "admins erase from the list"
    );
    let unticked = o
        .post(
            "/contacts/erase",
            &[("csrf", &csrf), ("id", &made[1]), ("id", &made[2])],
        )
        .await;
    assert_eq!(unticked.status, StatusCode::UNPROCESSABLE_ENTITY);
    let gone = o
        .post(
            "/contacts/erase",
            &[
                ("csrf", &csrf),
                ("confirm", "yes"),
                ("id", &made[1]),
                ("id", &made[2]),
            ],
        )
        .await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER, "{}", gone.body);
    for id in &made {
        problem(
            app.get(&format!("/api/v1/contacts/{id}"), &app.token).await,
            404,
            "erased in bulk",
        )
        .await;
    }
    let mut m2 = Session::new(&app);
    m2.sign_in("mona@acme.example", PASSWORD).await;
    let list = m2.get("/contacts").await;
    assert!(
        !list.body.contains("formaction=\"/contacts/erase\""),
        "a manager does not erase"
    );

    // The terminal: erasure needs --yes; the stage reason and consent are options.
    let cy = created(
        app.post_json(
            "/api/v1/contacts",
            &app.token,
            &json!({"email": "cy@engines.example"}),
        )
        .await,
    )
    .await;
    let (out, err, ok) = closer_on(
        &app,
        &[
            "contact",
            "edit",
            &cy,
            "--stage",
            "prospect",
            "--stage-reason",
            "Asked for a demo",
            "--consent",
            "withdrawn",
        ],
    );
    assert!(ok, "{out}{err}");
    let export: Value = app
        .get(&format!("/api/v1/contacts/{cy}/export"), &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        export["stage_history"].as_array().unwrap().last().unwrap()["reason"],
        "Asked for a demo"
    );
    let (_, err, ok) = closer_on(&app, &["contact", "edit", &cy, "--consent", "maybe"]);
    assert!(!ok && err.contains("consent"), "{err}");
    let (_, err, ok) = closer_on(&app, &["contact", "erase", &cy]);
    assert!(!ok && err.contains("--yes"), "{err}");
    let (_, err, ok) = closer_on(&app, &["contact", "erase", &cy, "--yes"]);
    assert!(ok, "{err}");
    problem(
        app.get(&format!("/api/v1/contacts/{cy}"), &app.token).await,
        404,
        "erased from the terminal",
    )
    .await;
}
