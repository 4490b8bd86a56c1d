//! Managing forms through the API.

use serde_json::{Value, json};

use crate::helpers::{TestApp, fields, problem};

crate::on_both_backends!(forms_are_created_listed_and_validated);

async fn forms_are_created_listed_and_validated(app: TestApp) {
    let res = app
        .post_json(
            "/api/v1/forms",
            &app.token,
            &json!({"name": "Demo request", "redirect_url": "https://acme.example.com/thanks"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert!(res.headers().get("location").is_some());
    let form: Value = res.json().await.unwrap();
    let key = form["key"].as_str().unwrap();
    assert_eq!(form["action_url"], app.url(&format!("/f/{key}")));
    let snippet = form["snippet"].as_str().unwrap();
    assert!(snippet.contains(&format!("action=\"{}\"", app.url(&format!("/f/{key}")))));
    assert!(
        snippet.contains("name=\"_gotcha\""),
        "the snippet carries the honeypot"
    );
    assert!(snippet.contains("name=\"email\""));

    let listed: Value = app
        .get("/api/v1/forms", &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let one: Value = app
        .get(
            &format!("/api/v1/forms/{}", form["id"].as_str().unwrap()),
            &app.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["key"], key);

    let cases = [
        (json!({"name": ""}), "name", "empty name"),
        (
            json!({"name": "x", "redirect_url": "javascript:alert(1)"}),
            "redirect_url",
            "script URL",
        ),
        (
            json!({"name": "x", "redirect_url": "/relative"}),
            "redirect_url",
            "relative URL",
        ),
        (
            json!({"name": "x", "color": "red"}),
            "color",
            "unknown field",
        ),
        (json!({}), "body", "missing name"),
    ];
    for (body, field, why) in cases {
        let p = problem(
            app.post_json("/api/v1/forms", &app.token, &body).await,
            422,
            why,
        )
        .await;
        assert_eq!(fields(&p), [field], "{why}");
    }
    let escaped = app.form("<script>alert(1)</script>", None).await;
    assert!(
        !escaped["snippet"].as_str().unwrap().contains("<script>"),
        "form names are escaped in snippets"
    );
}
