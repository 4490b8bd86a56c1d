//! Imports over the API: a HubSpot file posted as a job with a dry run first, then for real,
//! then again without change; a file with invalid rows refused whole or imported with its
//! rows set aside as an error file that imports once fixed; and the refusals (a header closer
//! cannot read, an empty body, another workspace's job; who may import is walked in
//! `roles.rs`) — on both
//! engines.

#![allow(clippy::cast_possible_truncation)] // counts of a small file

use serde_json::Value;

use crate::helpers::{TestApp, problem};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

async fn post(app: &TestApp, query: &str, token: &str, body: Vec<u8>) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/imports?{query}")))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Starts an import and waits for its job to finish; the finished job.
pub(crate) async fn import(app: &TestApp, query: &str, body: Vec<u8>) -> Value {
    let res = post(app, query, &app.token, body).await;
    assert_eq!(res.status(), 202, "{:?}", res.text().await);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let job: Value = res.json().await.unwrap();
    assert_eq!(
        location,
        format!("/api/v1/imports/{}", job["id"].as_str().unwrap())
    );
    for _ in 0..600 {
        let res = app.get(&location, &app.token).await;
        assert_eq!(res.status(), 200);
        let job: Value = res.json().await.unwrap();
        if job["status"] != "running" {
            assert_eq!(job["status"], "done", "{job}");
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the import did not finish");
}

crate::on_both_backends!(
    a_shops_orders_import_over_the_api_once_however_often_they_are_sent,
    a_file_posted_to_the_api_imports_as_a_job_after_a_dry_run,
    invalid_rows_stop_an_api_import_or_come_back_as_an_error_file,
    api_imports_refuse_what_they_cannot_read
);

async fn a_file_posted_to_the_api_imports_as_a_job_after_a_dry_run(app: TestApp) {
    let file = fixture("hubspot-contacts.csv");
    let before = app.contact_count().await;
    let dry = import(
        &app,
        "entity=contacts&dry_run=true&file_name=hubspot.csv",
        file.clone(),
    )
    .await;
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["summary"]["written"], false);
    assert_eq!(dry["file_name"], "hubspot.csv");
    let new = dry["summary"]["created"].as_u64().unwrap();
    assert!(new > 0, "{dry}");
    assert_eq!(dry["progress"], 1.0);
    assert_eq!(
        app.contact_count().await,
        before,
        "a dry run writes nothing"
    );

    let done = import(&app, "entity=contacts&file_name=hubspot.csv", file.clone()).await;
    assert_eq!(
        done["summary"]["created"], new,
        "the dry run said what would happen: {done}"
    );
    assert_eq!(done["summary"]["written"], true);
    assert!(done["finished_at"].is_string());
    assert_eq!(app.contact_count().await, before + new as usize);

    let again = import(&app, "entity=contacts", file).await;
    assert_eq!(again["summary"]["created"], 0, "{again}");
    assert_eq!(again["summary"]["updated"], 0, "{again}");
    assert_eq!(app.contact_count().await, before + new as usize);

    // The latest jobs, newest first.
    let list: Value = app
        .get("/api/v1/imports", &app.token)
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            again["id"].as_str().unwrap(),
            done["id"].as_str().unwrap(),
            dry["id"].as_str().unwrap()
        ]
    );
}

async fn invalid_rows_stop_an_api_import_or_come_back_as_an_error_file(app: TestApp) {
    let file = fixture("hubspot-contacts-invalid.csv");
    let before = app.contact_count().await;
    let strict = import(&app, "entity=contacts", file.clone()).await;
    let rejected = strict["summary"]["rejected"].as_u64().unwrap();
    assert!(rejected >= 3, "{strict}");
    assert_eq!(strict["summary"]["written"], false);
    assert_eq!(
        app.contact_count().await,
        before,
        "an invalid row imports nothing"
    );

    let lenient = import(&app, "entity=contacts&continue_on_error=true", file).await;
    assert_eq!(lenient["summary"]["written"], true);
    assert_eq!(lenient["summary"]["rejected"], rejected);
    let imported = lenient["summary"]["created"].as_u64().unwrap() as usize;
    assert!(imported > 0);
    assert_eq!(app.contact_count().await, before + imported);

    // The error file: the header, then each rejected row as it was with the reason.
    let url = lenient["errors_url"].as_str().unwrap().to_owned();
    let res = app.get(&url, &app.token).await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = res.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header.last().unwrap(), "Import error");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len() as u64, rejected);
    let line = rows
        .iter()
        .find(|r| &r[3] == "not-an-email")
        .expect("the bad email row");
    assert!(line[header.len() - 1].contains("email"), "{line:?}");
    assert!(app.get(&url, &app.other).await.status() == 404);
    // A file name with a line break and quotes (the uploader's) still downloads.
    let odd = import(
        &app,
        "entity=contacts&dry_run=true&file_name=bad%0D%0Aname%22.csv",
        fixture("hubspot-contacts-invalid.csv"),
    )
    .await;
    let res = app
        .get(odd["errors_url"].as_str().unwrap(), &app.token)
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-disposition"],
        "attachment; filename=\"badname.errors.csv\""
    );

    // Fixed (every row given an address), the error file imports.
    let mut fixed = csv::Writer::from_writer(Vec::new());
    fixed.write_record(&header).unwrap();
    for (i, r) in rows.iter().enumerate() {
        let mut cells: Vec<String> = r.iter().map(str::to_owned).collect();
        cells[3] = format!("fixed{i}@example.com");
        cells[5] = "lead".into();
        cells[6] = "2024-02-01".into();
        fixed.write_record(&cells).unwrap();
    }
    let again = import(&app, "entity=contacts", fixed.into_inner().unwrap()).await;
    assert_eq!(again["summary"]["rejected"], 0, "{again}");
    assert_eq!(again["summary"]["created"], rejected);
    assert_eq!(
        app.contact_count().await,
        before + imported + rejected as usize
    );
}

async fn api_imports_refuse_what_they_cannot_read(app: TestApp) {
    let file = fixture("hubspot-contacts.csv");
    // A header without an email or phone column: refused before any job exists.
    let res = post(
        &app,
        "entity=contacts",
        &app.token,
        b"Name,City\nAda,London\n".to_vec(),
    )
    .await;
    let p = problem(res, 422, "no identity column").await;
    assert!(p.to_string().contains("email"), "{p}");
    let res = post(&app, "entity=contacts", &app.token, Vec::new()).await;
    problem(res, 422, "an empty body").await;
    let res = post(&app, "entity=planets", &app.token, file.clone()).await;
    problem(res, 400, "an unknown entity").await;
    let res = post(
        &app,
        "entity=contacts&dry_run=maybe",
        &app.token,
        file.clone(),
    )
    .await;
    problem(res, 400, "a dry_run that is not a boolean").await;
    let list: Value = app
        .get("/api/v1/imports", &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        list.as_array().unwrap().is_empty(),
        "no job was made: {list}"
    );

    let job = import(&app, "entity=contacts&dry_run=true", file).await;
    let url = format!("/api/v1/imports/{}", job["id"].as_str().unwrap());
    problem(
        app.get(&url, &app.other).await,
        404,
        "another workspace's job",
    )
    .await;
    problem(
        app.get("/api/v1/imports/not-an-id", &app.token).await,
        400,
        "a bad id",
    )
    .await;
    let unknown = format!("/api/v1/imports/{}", uuid::Uuid::now_v7());
    problem(app.get(&unknown, &app.token).await, 404, "an unknown job").await;
}

async fn a_shops_orders_import_over_the_api_once_however_often_they_are_sent(app: TestApp) {
    // Shopify's order export, as it comes: one row per line item.
    let shopify = "Name,Email,Financial Status,Created at,Currency,Lineitem quantity,Lineitem name,Lineitem price\n\
                   #1001,ada@shop.example,paid,2025-03-01 10:15:00 +0100,EUR,2,Tea,4.50\n\
                   #1001,ada@shop.example,paid,2025-03-01 10:15:00 +0100,EUR,1,Cup,12.00\n\
                   #1002,bob@shop.example,paid,2025-03-02 09:00:00 +0100,EUR,1,Tea,4.50\n\
                   #1003,,paid,2025-03-03 09:00:00 +0100,EUR,1,Tea,4.50\n";
    let before = order_count(&app).await;
    let strict = import(&app, "entity=orders", shopify.as_bytes().to_vec()).await;
    assert_eq!(strict["summary"]["rejected"], 1, "{strict}");
    assert_eq!(strict["summary"]["written"], false);
    assert_eq!(order_count(&app).await, before);

    let dry = import(
        &app,
        "entity=orders&dry_run=true&continue_on_error=true",
        shopify.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(dry["summary"]["created"], 2, "{dry}");
    assert_eq!(order_count(&app).await, before);

    let done = import(
        &app,
        "entity=orders&continue_on_error=true",
        shopify.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(done["summary"]["created"], 2, "{done}");
    assert_eq!(done["summary"]["rejected"], 1);
    assert_eq!(order_count(&app).await, before + 2);
    let list: Value = app
        .get("/api/v1/orders", &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|o| o["total"] == "21.00"),
        "#1001: 2 x 4.50 + 12.00: {list}"
    );

    let again = import(
        &app,
        "entity=orders&continue_on_error=true",
        shopify.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(again["summary"]["created"], 0, "{again}");
    assert_eq!(again["summary"]["unchanged"], 2);
    assert_eq!(
        order_count(&app).await,
        before + 2,
        "importing again doubles nothing"
    );

    // Another workspace importing the same file gets its own orders.
    let res = post(
        &app,
        "entity=orders&continue_on_error=true",
        &app.other,
        shopify.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(res.status(), 202);

    let res = post(
        &app,
        "entity=orders",
        &app.token,
        b"Email,Total\nada@shop.example,3\n".to_vec(),
    )
    .await;
    let p = problem(res, 422, "an orders file without its columns").await;
    assert!(p.to_string().contains("placed_at"), "{p}");
}

async fn order_count(app: &TestApp) -> usize {
    let list: Value = app
        .get("/api/v1/orders?limit=500", &app.token)
        .await
        .json()
        .await
        .unwrap();
    list.as_array().unwrap().len()
}
