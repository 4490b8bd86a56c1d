//! The public form endpoint: plain HTML posts, JSON, multipart, dedupe, honeypot, CORS and
//! bad input.

use serde_json::{Value, json};

use crate::helpers::{TestApp, fields, problem};

crate::on_both_backends!(
    html_form_post_makes_a_lead,
    json_post_and_dedupe_keep_every_submission,
    honeypot_posts_vanish_quietly,
    bad_submissions_are_refused_and_write_nothing,
    cors_is_open_on_forms_only,
    multipart_posts_work_and_files_are_refused,
);

const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

fn action(form: &Value) -> String {
    form["action_url"].as_str().unwrap().to_owned()
}

async fn html_form_post_makes_a_lead(app: TestApp) {
    let plain = app.form("Newsletter", None).await;
    let res = app
        .client
        .post(action(&plain))
        .header("accept", BROWSER_ACCEPT)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("referer", "https://acme.example.com/pricing")
        .body("name=Ada+Lovelace&email=ada%40example.com&budget=5k&consent=yes&_gotcha=")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(res.text().await.unwrap().contains("Thank you"));

    let redirecting = app
        .form("Demo", Some("https://acme.example.com/thanks"))
        .await;
    let res = app
        .client
        .post(action(&redirecting))
        .header("accept", BROWSER_ACCEPT)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=ada%40example.com&phone=%2B1+650+253+0000")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "https://acme.example.com/thanks");

    let list: Value = app
        .get("/api/v1/contacts", &app.token)
        .await
        .json()
        .await
        .unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "same person, one contact");
    let ada = &items[0];
    assert_eq!(ada["name"], "Ada Lovelace");
    assert_eq!(ada["stage"], "lead");
    assert_eq!(ada["phone"], "+16502530000");
    assert_eq!(ada["properties"]["budget"], "5k");
    assert_eq!(ada["consent"]["granted"], true);
    assert_eq!(ada["consent"]["source"], "Newsletter");
    let events: Value = app
        .get(
            &format!("/api/v1/contacts/{}/events", ada["id"].as_str().unwrap()),
            &app.token,
        )
        .await
        .json()
        .await
        .unwrap();
    let submissions: Vec<_> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "form_submitted")
        .collect();
    assert_eq!(submissions.len(), 2, "one event per submission");
    let first = submissions
        .iter()
        .find(|e| e["properties"]["form_name"] == "Newsletter")
        .unwrap();
    assert_eq!(
        first["properties"]["page"],
        "https://acme.example.com/pricing"
    );
    assert_eq!(
        first["properties"]["fields"]["budget"], "5k",
        "the submission is stored whole"
    );
    assert!(first["properties"]["fields"].get("_gotcha").is_none());
}

async fn json_post_and_dedupe_keep_every_submission(app: TestApp) {
    let form = app.form("Contact us", None).await;
    let mut ids = Vec::new();
    for email in ["Grace@Example.com", "grace@example.com "] {
        let res = app
            .client
            .post(action(&form))
            .json(&json!({"email": email, "message": "Hello", "employees": 40}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        ids.push(
            res.json::<Value>().await.unwrap()["contact_id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(ids[0], ids[1]);
    let c: Value = app
        .get(&format!("/api/v1/contacts/{}", ids[0]), &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(c["properties"]["employees"], 40);
    let events: Value = app
        .get(&format!("/api/v1/contacts/{}/events", ids[0]), &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        events["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "form_submitted")
            .count(),
        2
    );
}

async fn honeypot_posts_vanish_quietly(app: TestApp) {
    let form = app
        .form("Bots welcome", Some("https://acme.example.com/thanks"))
        .await;
    let res = app
        .client
        .post(action(&form))
        .header("accept", BROWSER_ACCEPT)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=bot%40spam.example.com&_gotcha=http%3A%2F%2Fspam.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "the bot sees success");
    let res = app
        .client
        .post(action(&form))
        .json(&json!({"email": "bot@spam.example.com", "_gotcha": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "JSON bots see success too");
    assert!(res.json::<Value>().await.unwrap()["contact_id"].is_string());
    assert_eq!(app.contact_count().await, 0, "nothing stored");
}

async fn bad_submissions_are_refused_and_write_nothing(app: TestApp) {
    let form = app.form("Strict", None).await;
    let url = action(&form);
    // (content type, body, status, fields, why)
    let cases: Vec<(&str, String, u16, &[&str], &str)> = vec![
        (
            "application/x-www-form-urlencoded",
            "name=Ada".into(),
            422,
            &["email"],
            "no email or phone",
        ),
        (
            "application/x-www-form-urlencoded",
            "email=not-an-email".into(),
            422,
            &["email"],
            "invalid email",
        ),
        (
            "application/x-www-form-urlencoded",
            "phone=12345".into(),
            422,
            &["phone"],
            "invalid phone",
        ),
        (
            "application/json",
            "{\"email\": ".into(),
            400,
            &[],
            "malformed JSON",
        ),
        (
            "application/json",
            "[1]".into(),
            422,
            &["body"],
            "JSON not an object",
        ),
        (
            "application/json",
            json!({"email": ["a@example.com"]}).to_string(),
            422,
            &["email"],
            "nested value",
        ),
        (
            "text/plain",
            "email=a@example.com".into(),
            415,
            &[],
            "unsupported type",
        ),
        (
            "application/x-www-form-urlencoded",
            format!("email=a%40example.com&note={}", "x".repeat(70_000)),
            413,
            &[],
            "oversized",
        ),
        (
            "application/x-www-form-urlencoded",
            (0..101)
                .map(|i| format!("f{i}=v"))
                .collect::<Vec<_>>()
                .join("&")
                + "&email=a%40example.com",
            422,
            &["form"],
            "too many fields",
        ),
    ];
    for (ct, body, status, expected, why) in cases {
        let res = app
            .client
            .post(&url)
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap();
        let p = problem(res, status, why).await;
        assert_eq!(fields(&p), expected, "{why}");
    }
    // Unknown keys, JSON and browser.
    let bogus = app.url("/f/0123456789abcdef0000");
    problem(
        app.client
            .post(&bogus)
            .json(&json!({"email": "a@example.com"}))
            .send()
            .await
            .unwrap(),
        404,
        "unknown key",
    )
    .await;
    problem(
        app.client
            .post(app.url("/f/x"))
            .json(&json!({"email": "a@example.com"}))
            .send()
            .await
            .unwrap(),
        404,
        "malformed key",
    )
    .await;
    // A person in a browser gets a readable page, with their input escaped.
    let res = app
        .client
        .post(&url)
        .header("accept", BROWSER_ACCEPT)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("Please check the form"));
    assert!(!page.contains("<script>alert"), "escaped");
    let res = app
        .client
        .post(&bogus)
        .header("accept", BROWSER_ACCEPT)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=a%40example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("does not exist"));
    assert_eq!(app.contact_count().await, 0, "nothing was written");
}

async fn cors_is_open_on_forms_only(app: TestApp) {
    let form = app.form("Cross-origin", None).await;
    let res = app
        .client
        .request(reqwest::Method::OPTIONS, action(&form))
        .header("origin", "https://landing.example.com")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://landing.example.com"
    );
    let res = app
        .client
        .post(action(&form))
        .header("origin", "https://landing.example.com")
        .json(&json!({"email": "x@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://landing.example.com"
    );
    let res = app
        .client
        .get(app.url("/api/v1/contacts"))
        .bearer_auth(&app.token)
        .header("origin", "https://evil.example.com")
        .send()
        .await
        .unwrap();
    assert!(
        res.headers().get("access-control-allow-origin").is_none(),
        "the API is not open to other origins"
    );
}

fn multipart(parts: &[(&str, Option<&str>, &str)]) -> (String, String) {
    use std::fmt::Write;
    let boundary = "closer-test-boundary";
    let mut body = String::new();
    for (name, filename, value) in parts {
        let _ = write!(
            body,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\""
        );
        if let Some(f) = filename {
            let _ = write!(body, "; filename=\"{f}\"\r\nContent-Type: text/plain");
        }
        let _ = write!(body, "\r\n\r\n{value}\r\n");
    }
    let _ = write!(body, "--{boundary}--\r\n");
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn multipart_posts_work_and_files_are_refused(app: TestApp) {
    let form = app.form("FormData", None).await;
    let (ct, body) = multipart(&[
        ("email", None, "lin@example.com"),
        ("company", None, "Lin & Co"),
    ]);
    let res = app
        .client
        .post(action(&form))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["contact_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let c: Value = app
        .get(&format!("/api/v1/contacts/{id}"), &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(c["company"], "Lin & Co");
    let (ct, body) = multipart(&[
        ("email", None, "f@example.com"),
        ("cv", Some("cv.txt"), "hello"),
    ]);
    let p = problem(
        app.client
            .post(action(&form))
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap(),
        422,
        "file upload",
    )
    .await;
    assert_eq!(fields(&p), ["cv"]);
    let res = app
        .client
        .post(action(&form))
        .header("content-type", "multipart/form-data; boundary=x")
        .body("garbage")
        .send()
        .await
        .unwrap();
    problem(res, 400, "malformed multipart").await;
    assert_eq!(app.contact_count().await, 1);
}
