//! Listing contacts: filters, search, sort and cursor pages through the API.

use closer_domain::Timestamp;
use serde_json::{Value, json};

use crate::helpers::TestApp;

crate::on_both_backends!(list_filters_and_pages);

async fn list_filters_and_pages(app: TestApp) {
    for i in 0..7 {
        let stage = if i % 2 == 0 { "lead" } else { "prospect" };
        let company = if i < 3 { "Acme Corp" } else { "Globex" };
        let res = app
            .post_json(
                "/api/v1/contacts",
                &app.token,
                &json!({"email": format!("c{i}@example.com"), "company": company, "stage": stage}),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    let emails = |page: &Value| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["email"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let page: Value = app
        .get("/api/v1/contacts?stage=prospect", &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(emails(&page).len(), 3);
    let page: Value = app
        .get("/api/v1/contacts?q=ACME&sort=created", &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        emails(&page),
        ["c0@example.com", "c1@example.com", "c2@example.com"]
    );
    let page: Value = app
        .get("/api/v1/contacts?q=c6%40example", &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(emails(&page), ["c6@example.com"], "q matches emails");
    let page: Value = app
        .get(
            "/api/v1/contacts?owner=none&created_from=2000-01-01T00:00:00Z",
            &app.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(emails(&page).len(), 7);
    let page: Value = app
        .get(
            "/api/v1/contacts?created_to=2000-01-01T00:00:00Z",
            &app.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(emails(&page).is_empty());

    // Newest first, three at a time, every contact exactly once.
    let mut seen = Vec::new();
    let mut path = "/api/v1/contacts?limit=3".to_owned();
    loop {
        let page: Value = app.get(&path, &app.token).await.json().await.unwrap();
        seen.extend(emails(&page));
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/contacts?limit=3&cursor={c}"),
            None => break,
        }
    }
    let expected: Vec<_> = (0..7).rev().map(|i| format!("c{i}@example.com")).collect();
    assert_eq!(seen, expected);
}

/// A shop's customers listed by predicted value, highest first, over the API (a page at a
/// time), the queue, the terminal and the web page — each in the order of their values at
/// `/api/v1/contacts/{id}/value`. `ids` are the shop's customers, every one with orders;
/// returns them as the API listed them.
pub async fn lists_sort_by_customer_value(app: &TestApp, ids: &[String]) -> Vec<String> {
    let mut listed: Vec<String> = Vec::new();
    let mut url = "/api/v1/contacts?sort=-value&limit=7".to_owned();
    loop {
        let res = app.get(&url, &app.token).await;
        assert_eq!(res.status(), 200);
        let page: Value = res.json().await.unwrap();
        listed.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => url = format!("/api/v1/contacts?sort=-value&limit=7&cursor={next}"),
            None => break,
        }
    }
    // Every customer once (the contact with no orders has no value and is not listed).
    let mut sorted = listed.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), listed.len(), "no contact twice");
    let mut want = ids.to_vec();
    want.sort();
    assert_eq!(sorted, want);
    let mut values = Vec::new();
    for id in &listed {
        let v: Value = app
            .get(&format!("/api/v1/contacts/{id}/value"), &app.token)
            .await
            .json()
            .await
            .unwrap();
        values.push(
            v["expected_value"]
                .as_str()
                .unwrap()
                .parse::<f64>()
                .unwrap(),
        );
    }
    assert!(
        values.windows(2).all(|w| w[0] >= w[1]),
        "highest first: {values:?}"
    );
    // A cursor from one order is refused by another.
    let first: Value = app
        .get("/api/v1/contacts?sort=-value&limit=1", &app.token)
        .await
        .json()
        .await
        .unwrap();
    let value_cursor = first["next_cursor"].as_str().unwrap();
    let res = app
        .get(
            &format!("/api/v1/contacts?cursor={value_cursor}"),
            &app.token,
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = app.get("/api/v1/contacts?sort=value", &app.token).await;
    assert_eq!(res.status(), 400, "only -value: highest first");
    // The queue takes the order too (its leads have no orders, so no values here).
    let res = app.get("/api/v1/queue?sort=-value", &app.token).await;
    assert_eq!(res.status(), 200);
    let res = app.get("/api/v1/queue?sort=value", &app.token).await;
    assert_eq!(res.status(), 400);
    // The terminal lists the same order.
    let out = crate::helpers::closer(
        &app.database_url(),
        &[
            "contact", "list", "--sort", "value", "--limit", "5", "--format", "json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    let cli_ids: Vec<&str> = cli
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["contact"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        cli_ids,
        listed[..5].iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert!(cli[0]["expected_value"].is_string(), "{cli}");
    let out = crate::helpers::closer(&app.database_url(), &["queue", "--sort", "value"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    listed
}

/// A year of a shop drawn from the lifetime-value models themselves: `customers` contacts and
/// their orders in `currency`, over the API. Their ids, and how many orders each placed.
pub async fn shop_year(app: &TestApp, customers: u32, currency: &str) -> (Vec<String>, Vec<u64>) {
    let day = |d: i64| {
        Timestamp::from_unix_micros(Timestamp::now().unix_micros() - (365 - d) * 86_400_000_000)
            .unwrap()
            .to_string()
    };
    let orders = closer_domain::reports::simulate(
        customers,
        365,
        [0.243, 4.414, 0.793, 2.426],
        [6.25, 3.74, 15.44],
        3,
    );
    let mut ids: Vec<String> = Vec::new();
    let mut count = vec![0u64; customers as usize];
    for (customer, d, amount) in orders {
        let c = customer as usize;
        if ids.len() <= c {
            let res = app
                .post_json(
                    "/api/v1/contacts",
                    &app.token,
                    &json!({"email": format!("buyer{c}@shop.example")}),
                )
                .await;
            ids.push(
                res.json::<Value>().await.unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        let res = app
            .post_json(
                "/api/v1/orders",
                &app.token,
                &json!({
                    "contact_id": ids[c], "currency": currency, "placed_at": day(d),
                    "lines": [{"product": "Box", "unit_price": format!("{amount:.2}")}],
                }),
            )
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        count[c] += 1;
    }
    (ids, count)
}
