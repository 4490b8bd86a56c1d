//! The OpenAPI document made whole: utoipa writes what each route's annotation says; this
//! adds what every route of a kind answers anyway, so generated clients and contract tests
//! (Schemathesis) can trust the document to list every status a route may answer.
//!
//! - every response has a description (the reason phrase where the annotation gave none);
//! - a route behind a token answers 401 without one; a route with a body answers 400
//!   (unreadable), 413 (too large), 415 (not JSON) and 422 (invalid); a route with query
//!   parameters answers 400 and 422; a route with an `{id}` answers 404; the public
//!   ingestion routes answer 429 past the per-address rate and 503 when the queue is full;
//!   every route answers 503 while the database is unreachable.

use axum::http::StatusCode;
use serde_json::{Value, json};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Completes `doc` (an OpenAPI 3.1 document as JSON) in place.
pub fn complete(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        for method in METHODS {
            let Some(op) = item.get_mut(method) else {
                continue;
            };
            complete_operation(path, op);
        }
    }
}

fn complete_operation(path: &str, op: &mut Value) {
    let secured = op.get("security").is_some();
    let has_body = op.get("requestBody").is_some();
    let params = op
        .get("parameters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let has_query = params.iter().any(|p| p["in"] == "query");
    let has_path = path.contains('{');
    let public_ingest = path == "/api/event" || path == "/api/v1/track" || path.starts_with("/f/");
    let Some(responses) = op
        .as_object_mut()
        .map(|o| o.entry("responses").or_insert_with(|| json!({})))
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let mut add = |status: u16, why: &str| {
        responses.entry(status.to_string()).or_insert_with(|| {
            json!({
                "description": why,
                "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
            })
        });
    };
    if secured {
        add(401, "No token, or one that is unknown or revoked");
    }
    if has_body {
        add(
            400,
            "The body cannot be read (malformed JSON, a broken encoding)",
        );
        add(413, "The body is larger than closer takes");
        add(415, "The body is not of a type this route takes");
        add(
            422,
            "The body is well-formed but a field is invalid; `errors` names each",
        );
    }
    if has_query {
        add(400, "The query string cannot be read");
        add(422, "A query parameter is invalid; `errors` names it");
    }
    if has_path {
        add(
            400,
            "The id in the path is not one (not a UUID, or not a form key)",
        );
        add(404, "Nothing with this id in the workspace");
    }
    if public_ingest {
        add(
            429,
            "Too many requests from this address; see `Retry-After`",
        );
    }
    add(
        503,
        "The database is unreachable or the queue is full; retry later",
    );
    for (status, response) in responses.iter_mut() {
        let missing = response
            .get("description")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty);
        if missing && response.get("$ref").is_none() {
            let phrase = status
                .parse::<u16>()
                .ok()
                .and_then(|s| StatusCode::from_u16(s).ok())
                .and_then(|s| s.canonical_reason())
                .unwrap_or("Answer");
            response["description"] = Value::String(phrase.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_of_routes_get_their_statuses() {
        let mut doc = json!({"paths": {
            "/api/v1/things/{id}": {
                "patch": {
                    "security": [{"bearer": []}],
                    "requestBody": {},
                    "responses": {"200": {"content": {}}}
                }
            },
            "/api/event": {"post": {"responses": {"202": {"description": "Accepted"}}}}
        }});
        complete(&mut doc);
        let patch = &doc["paths"]["/api/v1/things/{id}"]["patch"]["responses"];
        for status in ["200", "400", "401", "404", "413", "415", "422", "503"] {
            assert!(
                patch[status]["description"].is_string(),
                "{status}: {patch}"
            );
        }
        assert_eq!(patch["200"]["description"], "OK");
        let event = &doc["paths"]["/api/event"]["post"]["responses"];
        assert!(
            event["429"].is_object() && event["401"].is_null(),
            "{event}"
        );
    }
}
