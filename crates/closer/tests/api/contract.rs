//! The OpenAPI document against the server it describes: an OpenAPI 3.1 validator reads it,
//! and Schemathesis (`st run --checks all`) sends it thousands of generated requests, on a
//! live `closer serve` on SQLite and on PostgreSQL. Both tools come from PyPI (`.ci/run`
//! installs them from `.ci/requirements.txt`); without them the test says so and passes,
//! except under `CI=true`. What the document cannot state is written, with why, in
//! `tests/contract/schemathesis.toml`.

use std::process::{Command, Stdio};

use crate::helpers::{Backend, serve_process, spawn_app};

/// Generated requests per operation: enough to find a loose schema, little enough for CI.
const EXAMPLES: &str = "30";
/// A fixed seed: CI answers for the document as it is, not for the luck of a draw. Run `st`
/// without it (README, "The API") to explore further.
const SEED: &str = "22";

fn tool(name: &str) -> bool {
    let found = Command::new(name)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{name} is not installed (pip install -r .ci/requirements.txt)"
        );
        eprintln!("SKIPPED: {name} is not installed (pip install -r .ci/requirements.txt)");
    }
    found
}

async fn the_document_is_valid_and_true(backend: Backend) {
    if !tool("openapi-spec-validator") || !tool("st") {
        return;
    }
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    // Generated requests come fast from one address: the public routes' limit would answer
    // 429 to most of them and hide what they test.
    let (mut child, port) = serve_process(
        &app.database_url(),
        &[
            ("CLOSER_RATE_LIMIT", "100000"),
            ("CLOSER_RATE_BURST", "100000"),
        ],
    );
    let base = format!("http://127.0.0.1:{port}");
    let doc = reqwest::get(format!("{base}/api/openapi.json"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let file = std::env::temp_dir().join(format!("closer-openapi-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&file, &doc).unwrap();
    let token = app.token.clone();
    let config = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/contract/schemathesis.toml"
    );
    let (validated, fuzzed) = tokio::task::spawn_blocking(move || {
        let validated = Command::new("openapi-spec-validator")
            .arg(&file)
            .output()
            .unwrap();
        let _ = std::fs::remove_file(&file);
        let fuzzed = Command::new("st")
            .args(["--config-file", config, "run"])
            .arg(format!("{base}/api/openapi.json"))
            .args([
                "--checks",
                "all",
                "--max-examples",
                EXAMPLES,
                "--seed",
                SEED,
            ])
            .arg("--no-color")
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .output()
            .unwrap();
        (validated, fuzzed)
    })
    .await
    .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        validated.status.success(),
        "the OpenAPI document is not valid:\n{}{}",
        String::from_utf8_lossy(&validated.stdout),
        String::from_utf8_lossy(&validated.stderr)
    );
    assert!(
        fuzzed.status.success(),
        "Schemathesis found failures ({backend:?}):\n{}",
        String::from_utf8_lossy(&fuzzed.stdout)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_holds_on_sqlite() {
    the_document_is_valid_and_true(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_holds_on_postgres() {
    the_document_is_valid_and_true(Backend::Postgres).await;
}
