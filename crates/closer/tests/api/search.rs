//! Search through the API, the web app (the header's box, the results page, the fragment shown
//! as one types) and the CLI: the same answers, the same reach per role, the same messages.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, closer_on, problem};
use crate::web_app::{PASSWORD, Session, user};

crate::on_both_backends!(search_everywhere);

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[allow(clippy::too_many_lines)]
async fn search_everywhere(app: TestApp) {
    let colleague = user(&app, "carl@acme.example", "rep").await;
    user(&app, "rita@acme.example", "rep").await;
    for body in [
        json!({"name": "Grace Hopper", "email": "grace@navy.example", "phone": "+1 415 555 0100", "company": "Navy"}),
        json!({"name": "Grace Kelly", "email": "gk@monaco.example", "owner_id": colleague.id.0}),
        json!({"name": "Alan Turing", "email": "alan@bletchley.example"}),
    ] {
        let res = app.post_json("/api/v1/contacts", &app.token, &body).await;
        assert_eq!(res.status(), 201);
    }
    let res = app
        .post_json(
            "/api/v1/companies",
            &app.token,
            &json!({"name": "Navy Yard", "domains": ["navy.example"]}),
        )
        .await;
    assert_eq!(res.status(), 201);

    // The API: words as starts of words, any order; a phone in any notation; grouped.
    let found: Value = app
        .get("/api/v1/search?q=hop%20GRA", &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(names(&found["contacts"]), ["Grace Hopper"]);
    assert!(found["deals"].as_array().unwrap().is_empty());
    let found: Value = app
        .get("/api/v1/search?q=navy", &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(names(&found["contacts"]), ["Grace Hopper"]);
    assert_eq!(found["companies"][0]["name"], "Navy Yard");
    for typed in ["%2B1%20(415)%20555", "1-415-555-01", "0014155550100"] {
        let found: Value = app
            .get(&format!("/api/v1/search?q={typed}"), &app.token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(names(&found["contacts"]), ["Grace Hopper"], "{typed}");
    }
    let found: Value = app
        .get("/api/v1/search?q=grace&limit=1", &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["contacts"].as_array().unwrap().len(), 1);

    // Precise refusals.
    let p = problem(
        app.get("/api/v1/search?q=%40%40", &app.token).await,
        422,
        "nothing to search for",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "q", "{p}");
    let long = "a".repeat(201);
    let p = problem(
        app.get(&format!("/api/v1/search?q={long}"), &app.token)
            .await,
        422,
        "too long",
    )
    .await;
    assert!(p.to_string().contains("200 characters"), "{p}");
    problem(
        app.get("/api/v1/search?q=grace&limit=0", &app.token).await,
        422,
        "limit",
    )
    .await;
    problem(app.get("/api/v1/search", &app.token).await, 400, "no q").await;
    problem(
        app.get("/api/v1/search?q=a&colour=red", &app.token).await,
        400,
        "unknown parameter",
    )
    .await;
    assert_eq!(
        app.get("/api/v1/search?q=grace", "clsr_nope")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );

    // The web app: the box is on every page; a rep finds their own and unassigned people.
    let mut s = Session::new(&app);
    s.sign_in("rita@acme.example", PASSWORD).await;
    let contacts = s.get("/contacts").await;
    assert!(
        contacts.body.contains(r#"action="/search""#)
            && contacts
                .body
                .contains(r#"<label for="site-search">Search</label>"#),
        "the header's search box"
    );
    let page = s.get("/search?q=grace").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Grace Hopper"), "{}", page.body);
    assert!(
        !page.body.contains("Grace Kelly"),
        "a colleague's contact is not a rep's to find"
    );
    assert!(page.body.contains("<h2>Contacts</h2>"));
    let fragment = s.get("/search/suggest?q=tur").await;
    assert_eq!(fragment.status, StatusCode::OK);
    assert!(fragment.body.contains("Alan Turing"));
    assert!(
        !fragment.body.contains("<html"),
        "a fragment, not a page: {}",
        fragment.body
    );
    assert!(fragment.body.contains("/search?q=tur"), "links all results");
    let page = s.get("/search?q=%40%40").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("The search must contain a letter or a digit"),
        "{}",
        page.body
    );
    let page = s.get("/search?q=zebra").await;
    assert!(page.body.contains("Nothing matches"));

    // The terminal.
    let (out, err, ok) = closer_on(&app, &["search", "gra hop"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("Grace Hopper") && out.contains("grace@navy.example"),
        "{out}"
    );
    let (out, _, ok) = closer_on(&app, &["search", "navy", "--format", "json"]);
    assert!(ok);
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["companies"][0]["name"], "Navy Yard");
    let (_, err, ok) = closer_on(&app, &["search", "--", "--"]);
    assert!(!ok);
    assert!(err.contains("q: must contain a letter or a digit"), "{err}");
}
