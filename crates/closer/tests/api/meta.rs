//! Health, the OpenAPI document, unknown routes and methods, migration parity.

use serde_json::Value;

use crate::helpers::{TestApp, problem};

crate::on_both_backends!(
    healthz_reports_the_engine,
    openapi_covers_every_route,
    unknown_routes_and_methods_are_problems
);

async fn healthz_reports_the_engine(app: TestApp) {
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert!(["sqlite", "postgres"].contains(&body["engine"].as_str().unwrap()));
}

async fn openapi_covers_every_route(app: TestApp) {
    let res = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let doc: Value = res.json().await.unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "OpenAPI 3.1"
    );
    let paths = doc["paths"].as_object().unwrap();
    let expected = [
        ("/api/v1/contacts", &["get", "post"][..]),
        ("/api/v1/contacts/{id}", &["get", "patch", "delete"]),
        ("/api/v1/contacts/{id}/events", &["get"]),
        ("/api/v1/forms", &["get", "post"]),
        ("/api/v1/forms/{id}", &["get"]),
        ("/f/{key}", &["post"]),
        ("/healthz", &["get"]),
        ("/api/openapi.json", &["get"]),
        ("/api/event", &["post"]),
        ("/api/v1/track", &["post"]),
        ("/js/closer.js", &["get"]),
        ("/api/v1/sites", &["get", "post"]),
        ("/api/v1/traffic", &["get"]),
        ("/api/v1/identify", &["post"]),
        ("/api/v1/contacts/{id}/traffic", &["get"]),
        ("/api/v1/rules", &["get", "put"]),
        ("/api/v1/contacts/{id}/qualification", &["get"]),
        ("/api/v1/queue", &["get"]),
        ("/api/v1/pipelines", &["get", "post"]),
        ("/api/v1/pipelines/{id}", &["get", "put"]),
        ("/api/v1/pipelines/{id}/board", &["get"]),
        ("/api/v1/loss-reasons", &["get", "put"]),
        ("/api/v1/deals", &["get", "post"]),
        ("/api/v1/deals/{id}", &["get", "patch", "delete"]),
        ("/api/v1/deals/{id}/move", &["post"]),
        ("/api/v1/contacts/{id}/activities", &["get", "post"]),
        ("/api/v1/tasks", &["get", "post"]),
        ("/api/v1/tasks/{id}", &["patch", "delete"]),
        ("/api/v1/activities/{id}", &["get", "patch", "delete"]),
        ("/api/v1/properties", &["get", "post"]),
        ("/api/v1/properties/{id}", &["patch", "delete"]),
        ("/api/v1/orders", &["get", "post"]),
        ("/api/v1/contacts/{id}/value", &["get"]),
        ("/api/v1/companies", &["get", "post"]),
        ("/api/v1/companies/{id}", &["delete", "get", "patch"]),
        ("/api/v1/contacts/{id}/company", &["put"]),
        ("/api/v1/contacts/{id}/export", &["get"]),
        ("/api/v1/contacts/{id}/merge", &["post"]),
        ("/api/v1/duplicates", &["get"]),
        ("/api/v1/duplicates/{a}/{b}", &["delete"]),
        ("/api/v1/search", &["get"]),
        ("/api/v1/notifications", &["get"]),
        ("/api/v1/notifications/read", &["post"]),
        ("/api/v1/notifications/settings", &["get", "put"]),
        ("/api/v1/notifications/{id}/read", &["post"]),
        ("/api/v1/settings/reminders", &["get", "put"]),
        ("/api/v1/tags", &["get", "post"]),
        ("/api/v1/contacts/bulk", &["post"]),
        ("/api/v1/contacts/erase", &["post"]),
        ("/api/v1/views", &["get", "post"]),
        ("/api/v1/views/{id}", &["delete"]),
        ("/api/v1/export/{entity}", &["get"]),
        ("/api/v1/imports", &["get", "post"]),
        ("/api/v1/imports/{id}", &["get"]),
        ("/api/v1/imports/{id}/errors", &["get"]),
        ("/api/v1/users", &["get", "post"]),
        ("/api/v1/reports/funnel", &["get"]),
        ("/api/v1/reports/measures", &["get"]),
        ("/api/v1/reports/retention", &["get"]),
        ("/api/v1/reports/ltv", &["get"]),
        ("/api/v1/reports/attribution", &["get"]),
        ("/api/v1/reports/bottleneck", &["get"]),
    ];
    assert_eq!(
        paths.len(),
        expected.len(),
        "no undocumented or stray paths: {:?}",
        paths.keys()
    );
    for (path, methods) in expected {
        let item = paths
            .get(path)
            .unwrap_or_else(|| panic!("{path} is documented"));
        for m in methods {
            assert!(item.get(*m).is_some(), "{m} {path} is documented");
        }
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

async fn unknown_routes_and_methods_are_problems(app: TestApp) {
    problem(
        app.get("/api/v1/nothing", &app.token).await,
        404,
        "unknown route",
    )
    .await;
    let res = app
        .client
        .put(app.url("/api/v1/contacts"))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    problem(res, 405, "wrong method").await;
}

#[test]
fn migrations_match_across_engines() {
    let names = |list: &[(i64, &str, &str)]| {
        list.iter()
            .map(|(v, n, _)| (*v, n.to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(closer_store_sqlite::MIGRATIONS),
        names(closer_store_postgres::MIGRATIONS)
    );
}

/// closer.js, pages, assets and JSON travel compressed when the client accepts it (brotli
/// preferred), and plain when it does not. Engine-independent: SQLite only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_are_compressed_when_accepted() {
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite)
        .await
        .unwrap();
    let get = |path: &str, accept: &str| {
        app.client
            .get(app.url(path))
            .header("accept-encoding", accept)
            .header("authorization", format!("Bearer {}", app.token))
            .send()
    };
    let plain = get("/js/closer.js", "identity").await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let plain_len = plain.bytes().await.unwrap().len();
    for (accept, encoding, most) in [("br", "br", 1_600), ("gzip", "gzip", 1_700)] {
        let res = get("/js/closer.js", accept).await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-encoding"], encoding);
        let len = res.bytes().await.unwrap().len();
        assert!(
            len <= most && len < plain_len,
            "closer.js as {encoding}: {len} bytes of {plain_len}"
        );
    }
    for path in ["/login", "/api/openapi.json", "/api/v1/pipelines"] {
        let res = get(path, "gzip, deflate, br").await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers()["content-encoding"], "br", "{path}");
    }
}
