//! The business reports on `closer demo` data: they recover the rates the generator was
//! given (within a few standard errors), say the same on SQLite and PostgreSQL, and answer bad
//! or empty queries with a precise 422 or an explicit "not enough data" — never NaN.

use closer_domain::demo::{
    CHANNELS, DEAL_MEDIAN, HOURS_TO_FIRST_TOUCH, LEAD_TO_PROSPECT, PROSPECT_TO_OPPORTUNITY,
    REPEAT_RATE, WIN_RATE,
};
use closer_domain::{Role, Timestamp};
use serde_json::{Value, json};

use crate::helpers::{BROWSER, Backend, TestApp, closer, fields, problem, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    bad_and_empty_queries_are_answered_precisely,
    reports_from_the_terminal,
    a_demo_that_fails_takes_its_traffic_back,
    a_dashboard_shows_each_channel_as_the_reports_count_it,
    reports_from_memory_agree_with_the_tables_after_every_kind_of_write,
    downloaded_reports_hold_no_live_formulas,
    a_customers_value_comes_from_the_workspaces_fit,
);

const LEADS: u64 = 2_500;
const SEED: u64 = 11;
/// The demo's history ends here and covers the year before.
const UNTIL: &str = "2026-06-01T00:00:00Z";
const YEAR: &str = "from=2025-06-01&to=2026-05-31";
/// The first half of the year: cohorts that have had months to convert.
const EARLY: &str = "from=2025-06-01&to=2025-11-30";

/// A demo workspace filled with the same history on each engine, and an admin token for it.
async fn demo(app: &TestApp) -> String {
    let ws = app
        .app
        .access()
        .create_workspace("demo", None, None)
        .await
        .unwrap();
    let until = Timestamp::parse_rfc3339(UNTIL).unwrap();
    app.app
        .demo()
        .fill_demo(ws.id, LEADS, SEED, until, |_, _| {})
        .await
        .unwrap();
    app.app
        .access()
        .create_token("demo", Role::Admin, None)
        .await
        .unwrap()
        .secret
}

async fn report(app: &TestApp, token: &str, name: &str, query: &str) -> Value {
    let res = app
        .get(&format!("/api/v1/reports/{name}?{query}"), token)
        .await;
    assert_eq!(res.status(), 200, "{name}?{query}");
    let text = res.text().await.unwrap();
    assert!(
        !text.contains("NaN") && !text.contains("inf"),
        "{name}: {text}"
    );
    serde_json::from_str(&text).unwrap()
}

fn f(v: &Value) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| v.as_str().and_then(|s| s.parse().ok()).expect("a number"))
}

/// `observed` is within four standard errors of `p` over `n` trials.
fn near(what: &str, observed: f64, p: f64, n: f64) {
    let tolerance = 4.0 * (p * (1.0 - p) / n).sqrt();
    assert!(
        (observed - p).abs() <= tolerance,
        "{what}: {observed:.4} against {p} (± {tolerance:.4} over {n})"
    );
}

fn step<'a>(group: &'a Value, name: &str) -> &'a Value {
    group["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == name)
        .unwrap()
}

/// Every report of the demo year and its first half, as JSON.
async fn all_reports(app: &TestApp, token: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for (name, query) in [
        ("funnel", EARLY.to_owned()),
        ("funnel", format!("{YEAR}&view=flow&by=channel")),
        ("measures", YEAR.to_owned()),
        ("measures", format!("{YEAR}&by=owner")),
        ("retention", EARLY.to_owned()),
        ("ltv", YEAR.to_owned()),
        ("attribution", format!("{YEAR}&model=position_based")),
        (
            "attribution",
            format!("{YEAR}&by=campaign&model=first_touch"),
        ),
        ("bottleneck", format!("{YEAR}&by=channel")),
        ("attribution", format!("{YEAR}&model=first_touch")),
        ("attribution", format!("{YEAR}&model=last_touch")),
        ("attribution", format!("{YEAR}&model=linear")),
    ] {
        out.push(report(app, token, name, &query).await);
    }
    out
}

fn recovers_the_generator(r: &[Value]) {
    // The funnel of the early cohorts: each conversion as generated.
    let funnel = &r[0]["total"];
    let (visitors, leads) = (
        f(&step(funnel, "visitor")["count"]),
        f(&step(funnel, "lead")["count"]),
    );
    let lead_rate: f64 = CHANNELS.iter().map(|c| c.1 * c.2).sum();
    near("visitor → lead", leads / visitors, lead_rate, visitors);
    let prospects = f(&step(funnel, "prospect")["count"]);
    near(
        "lead → prospect",
        f(&step(funnel, "prospect")["conversion"]),
        LEAD_TO_PROSPECT,
        leads,
    );
    let opportunities = f(&step(funnel, "opportunity")["count"]);
    near(
        "prospect → opportunity",
        f(&step(funnel, "opportunity")["conversion"]),
        PROSPECT_TO_OPPORTUNITY,
        prospects,
    );
    near(
        "win rate (cohort)",
        f(&step(funnel, "customer")["conversion"]),
        WIN_RATE,
        opportunities,
    );
    // Per channel (flow), paid search converts visitors better than organic social, as generated.
    let by_channel = r[1]["groups"].as_array().unwrap();
    let conv = |c: &str| {
        let g = by_channel.iter().find(|g| g["group"] == c).unwrap();
        f(&step(g, "lead")["conversion"])
    };
    assert!(
        conv("paid_search") > conv("organic_social"),
        "{by_channel:?}"
    );

    // Measures over the year.
    let m = &r[2]["total"];
    near(
        "win rate",
        f(&m["win_rate"]),
        WIN_RATE,
        f(&m["closed_deals"]),
    );
    let average = f(&m["revenue"][0]["average_deal_size"]);
    let mean = DEAL_MEDIAN * (0.6f64 * 0.6 / 2.0).exp();
    assert!(
        (average / mean - 1.0).abs() < 0.25,
        "average deal {average} against {mean}"
    );
    assert_eq!(
        m["loss_reasons"][0]["reason"], "price",
        "the most common reason first"
    );
    let median = f(&m["speed_to_lead"]["median_seconds"]);
    let expected = HOURS_TO_FIRST_TOUCH * 3_600.0 * std::f64::consts::LN_2;
    assert!(
        (median / expected - 1.0).abs() < 0.2,
        "speed-to-lead median {median} against {expected}"
    );
    assert!(f(&m["speed_to_lead"]["p90_seconds"]) > median);
    let cycle = f(&m["sales_cycle_median_days"]);
    assert!(
        (cycle / (30.0 * std::f64::consts::LN_2) - 1.0).abs() < 0.35,
        "cycle {cycle}"
    );
    assert_eq!(
        r[3]["groups"].as_array().unwrap().len(),
        3,
        "three demo reps"
    );

    // Retention of the early customers.
    let t = &r[4]["total"];
    near(
        "repeat customers",
        f(&t["repeat_purchase_rate"]),
        REPEAT_RATE,
        f(&t["customers"]),
    );

    // Lifetime value: historical above the average deal (repeat orders add to it).
    let ltv = &r[5];
    assert!(f(&ltv["total"]["average_value"]) > 0.0);
    assert!(
        ltv["predicted"].is_object() || ltv["not_enough_data"].is_string(),
        "{ltv}"
    );

    // Attribution: every conversion credited exactly once in total.
    for a in [&r[6], &r[7]] {
        let rows = a["rows"].as_array().unwrap();
        let sum: f64 = rows.iter().map(|row| f(&row["leads"])).sum();
        assert!(
            (sum - f(&a["total"]["leads"])).abs()
                < 0.001 * f64::from(u32::try_from(rows.len()).unwrap()),
            "{a}"
        );
    }
    let campaigns: Vec<_> = r[7]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["group"].as_str().unwrap())
        .collect();
    assert!(
        campaigns.contains(&"brand-search") && campaigns.contains(&"monthly-newsletter"),
        "{campaigns:?}"
    );

    // People come back through other channels than the first: the four models credit the
    // channels differently, each from the others.
    let credit = |a: &Value| -> Vec<(String, String)> {
        a["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| {
                (
                    row["group"].as_str().unwrap().to_owned(),
                    format!("{:.2}", f(&row["leads"])),
                )
            })
            .collect()
    };
    let models = [&r[9], &r[10], &r[11], &r[6]];
    for (i, a) in models.iter().enumerate() {
        for b in &models[i + 1..] {
            assert_ne!(credit(a), credit(b), "two models agree: {a} {b}");
        }
    }
    let direct = |a: &Value| {
        a["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row["group"] == "direct")
            .map_or(0.0, |row| f(&row["leads"]))
    };
    assert!(
        direct(&r[10]) > direct(&r[9]),
        "people come back typing the address: more last touches than first"
    );

    // The bottleneck: the win rate (generated at 20%) is the one step under its 25% target.
    let b = &r[8];
    let headline = b["headline"].as_str().unwrap();
    assert!(
        headline.starts_with("Opportunities → customers (win rate)"),
        "{headline}"
    );
    assert!(headline.contains("a quarter"), "{headline}");
    assert!(!b["groups"].as_array().unwrap().is_empty());
}

/// The demo's reports agree with the generator's rates, and the same history gives the same
/// reports on SQLite and on PostgreSQL, and whether it was bulk-loaded or written through the
/// row-at-a-time operations.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_recover_the_generated_rates_on_both_engines() {
    let sqlite = spawn_app(Backend::Sqlite).await.unwrap();
    let token = demo(&sqlite).await;
    let on_sqlite = all_reports(&sqlite, &token).await;
    recovers_the_generator(&on_sqlite);
    let stepwise = spawn_app(Backend::Sqlite).await.unwrap();
    let ws = stepwise
        .app
        .access()
        .create_workspace("demo", None, None)
        .await
        .unwrap();
    let until = Timestamp::parse_rfc3339(UNTIL).unwrap();
    stepwise
        .app
        .demo()
        .fill_demo_stepwise(ws.id, LEADS, SEED, until)
        .await
        .unwrap();
    let token = stepwise
        .app
        .access()
        .create_token("demo", Role::Admin, None)
        .await
        .unwrap()
        .secret;
    for (a, b) in on_sqlite.iter().zip(&all_reports(&stepwise, &token).await) {
        assert_eq!(a, b, "the same history, bulk-loaded or row by row");
    }
    if let Some(pg) = spawn_app(Backend::Postgres).await {
        let token = demo(&pg).await;
        let on_pg = all_reports(&pg, &token).await;
        for (a, b) in on_sqlite.iter().zip(&on_pg) {
            assert_eq!(a, b, "the same history, the same report");
        }
    }
}

async fn bad_and_empty_queries_are_answered_precisely(app: TestApp) {
    for (query, field) in [
        ("from=2026-03-01&to=2026-02-01", "to"),
        ("from=2026-03-01T00:00:00Z&to=2026-03-01T00:00:00Z", "to"),
        ("from=last+week", "from"),
        ("by=colour", "by"),
        ("by=property:plan", "by"),
        ("by=property:", "by"),
        ("view=sideways", "view"),
        ("model=time_decay", "model"),
        ("from=1990-01-01&to=2026-01-01", "from"),
    ] {
        let res = app
            .get(&format!("/api/v1/reports/funnel?{query}"), &app.token)
            .await;
        let p = problem(res, 422, query).await;
        assert_eq!(fields(&p), [field], "{query}: {p}");
    }
    let res = app
        .get("/api/v1/reports/funnel?colour=red", &app.token)
        .await;
    assert_eq!(res.status(), 400, "unknown parameters are refused");
    let res = app
        .get("/api/v1/reports/attribution?by=owner", &app.token)
        .await;
    assert_eq!(
        fields(&problem(res, 422, "attribution by owner").await),
        ["by"]
    );
    let res = app
        .get("/api/v1/reports/bottleneck?by=property:plan", &app.token)
        .await;
    assert_eq!(
        fields(&problem(res, 422, "bottleneck by a property").await),
        ["by"]
    );

    // A workspace with nothing yet: zeros, nulls and "not enough data", never NaN.
    for name in [
        "funnel",
        "measures",
        "retention",
        "ltv",
        "attribution",
        "bottleneck",
    ] {
        let r = report(&app, &app.token, name, "from=2026-01-01&to=2026-02-01").await;
        match name {
            "funnel" => {
                assert_eq!(step(&r["total"], "visitor")["count"], 0);
                assert!(step(&r["total"], "lead")["conversion"].is_null());
            }
            "measures" => assert!(r["total"]["win_rate"].is_null()),
            "retention" => assert!(r["total"]["repeat_purchase_rate"].is_null()),
            "ltv" => {
                assert!(r["predicted"].is_null());
                assert!(
                    r["not_enough_data"]
                        .as_str()
                        .unwrap()
                        .contains("not enough data"),
                    "{r}"
                );
            }
            "bottleneck" => {
                assert!(r["headline"].is_null());
                assert!(r["total"]["not_enough_data"].is_string());
            }
            _ => assert_eq!(r["total"]["leads"], 0.0),
        }
    }
}

/// `closer report NAME`: tables within 80 columns, CSV with a header, JSON like the API's,
/// and the mistakes a person types, each with a message naming the flag.
async fn reports_from_the_terminal(app: TestApp) {
    let db = app.database_url();
    let run = |args: &[&str]| {
        let mut all = vec!["report"];
        all.extend_from_slice(args);
        closer(&db, &all)
    };
    let out = run(&[
        "funnel",
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-31",
        "--by",
        "channel",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("Funnel (cohort)") && table.contains("visitor"),
        "{table}"
    );
    assert!(table.lines().all(|l| l.chars().count() <= 80), "{table}");
    for name in ["measures", "retention", "ltv", "attribution", "bottleneck"] {
        let out = run(&[name, "--from", "2026-01-01", "--to", "2026-01-31"]);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.lines().all(|l| l.chars().count() <= 80),
            "{name}:\n{text}"
        );
    }
    let csv = run(&["measures", "--format", "csv"]);
    let csv = String::from_utf8(csv.stdout).unwrap();
    assert!(csv.starts_with("section,group,closed,won"), "{csv}");
    // For spreadsheets: rates as fractions, durations in seconds (said in the header), no
    // value as an empty cell — never "10.7%", "12 min" or "–".
    assert!(csv.contains("median (seconds)"), "{csv}");
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(csv.as_bytes());
    let mut rates = 0;
    let mut header = Vec::new();
    for record in reader.records() {
        let record = record.unwrap();
        if record.get(0) == Some("section") {
            header = record.iter().map(str::to_owned).collect();
            continue;
        }
        for (name, cell) in header.iter().zip(&record) {
            assert!(
                !cell.ends_with('%') && cell != "–" && !cell.ends_with(" min"),
                "{name}: {cell:?} in\n{csv}"
            );
            if ["win rate", "share"].contains(&name.as_str()) && !cell.is_empty() {
                let v: f64 = cell.parse().unwrap_or_else(|_| panic!("{name}: {cell:?}"));
                assert!((0.0..=1.0).contains(&v), "{name}: {v}");
                rates += 1;
            }
        }
    }
    // Nothing closed yet: no win rate, no cycle, no touches — empty cells.
    assert!(
        rates > 0 || csv.contains("Deals closed,total,0,0,,,"),
        "{csv}"
    );
    let json = run(&["funnel", "--format", "json", "--view", "flow"]);
    let json: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["view"], "flow");
    for (args, says) in [
        (
            &["funnel", "--from", "2026-02-01", "--to", "2026-01-01"][..],
            "to: must be after",
        ),
        (&["funnel", "--by", "colour"][..], "by:"),
        (&["funnel", "--view", "sideways"][..], "view:"),
        (&["attribution", "--model", "time_decay"][..], "model:"),
        (&["funnel", "--from", "yesterday"][..], "from:"),
        (&["funnel", "--workspace", "nowhere"][..], "nowhere"),
    ] {
        let out = run(args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(
            out.stdout.is_empty(),
            "{args:?}: nothing printed but the error"
        );
    }
}

/// A demo writes its traffic in committed batches, then its people in one transaction. When
/// that transaction is refused — here because a lead was captured into the workspace while
/// the traffic went in — the demo takes its traffic back: no site, no visits, no counts are
/// left half-written, and the lead captured meanwhile is kept.
async fn a_demo_that_fails_takes_its_traffic_back(app: TestApp) {
    let ws = app
        .app
        .access()
        .create_workspace("halfway", None, None)
        .await
        .unwrap();
    let token = app
        .app
        .access()
        .create_token("halfway", Role::Admin, None)
        .await
        .unwrap()
        .secret;
    let until = Timestamp::parse_rfc3339(UNTIL).unwrap();
    let mut captured = false;
    let failed = app
        .app
        .demo()
        .fill_demo(ws.id, 50, SEED, until, |sent, total| {
            if sent == total && !captured {
                captured = true;
                // The callback is synchronous: the capture runs on this worker meanwhile.
                let res = tokio::task::block_in_place(|| {
                    tokio::runtime::Handle::current().block_on(app.post_json(
                        "/api/v1/contacts",
                        &token,
                        &serde_json::json!({"email": "meanwhile@example.com"}),
                    ))
                });
                assert_eq!(res.status(), 201);
            }
        })
        .await;
    assert!(captured, "the traffic was written");
    assert!(failed.is_err(), "{failed:?}");
    let store = app.app.store_for_tests();
    assert!(store.list_sites(Some(ws.id)).await.unwrap().is_empty());
    let year = closer_store::Period {
        from: Timestamp::parse_rfc3339("2025-01-01T00:00:00Z").unwrap(),
        to: until,
    };
    let visitors = store
        .new_visitors(ws.id, year, &closer_domain::reports::Breakdown::Total)
        .await
        .unwrap();
    assert!(visitors.iter().all(|v| v.visitors == 0), "{visitors:?}");
    let traffic = store
        .traffic(
            ws.id,
            &closer_store::TrafficQuery {
                site: None,
                from: year.from,
                to: until,
                bucket: closer_store::Bucket::Day,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(traffic.totals.sessions, 0, "{traffic:?}");
    assert_eq!(traffic.totals.pageviews, 0, "{traffic:?}");
    assert_eq!(
        store.count_contacts(ws.id).await.unwrap(),
        1,
        "the lead stays"
    );
}

/// The dashboard is computed once per period for every channel; the view of one channel
/// shows that channel's figures as the reports by channel count them, and its series adds up
/// with the others' to the whole business's.
#[allow(clippy::cast_precision_loss)] // counts of a small demo
async fn a_dashboard_shows_each_channel_as_the_reports_count_it(app: TestApp) {
    use closer_app::{ReportQuery, View};
    use closer_domain::reports::Breakdown;
    use closer_store::Period;
    demo(&app).await;
    let ws = app.app.access().workspace_by_slug("demo").await.unwrap().id;
    let period = Period {
        from: Timestamp::parse_rfc3339("2025-12-01T00:00:00Z").unwrap(),
        to: Timestamp::parse_rfc3339(UNTIL).unwrap(),
    };
    let data = app.app.reports().dashboard_data(ws, period).await.unwrap();
    let q = ReportQuery {
        period,
        by: Breakdown::Channel,
    };
    let funnel = app
        .app
        .reports()
        .funnel_report(ws, &q, View::Cohort)
        .await
        .unwrap();
    let measures = app.app.reports().measures_report(ws, &q).await.unwrap();
    let whole = data.view(None);
    assert!(whole.funnel[1].count > 100, "{:?}", whole.funnel);
    assert_eq!(whole.channels.len(), funnel.groups.len());
    let (mut leads, mut won) = (vec![0u64; whole.series.len()], 0u64);
    for group in &funnel.groups {
        let view = data.view(Some(&group.group));
        assert_eq!(view.channel.as_deref(), Some(group.group.as_str()));
        assert_eq!(view.funnel, group.steps, "{}", group.group);
        let m = measures.groups.iter().find(|m| m.group == group.group);
        let won_here = m.map_or(0, |m| m.won_deals) as f64;
        assert!(
            (view.won_deals.now - won_here).abs() < 1e-9,
            "{}",
            group.group
        );
        // Everything the demo wins is in one currency, so the series counts every win.
        let series_won: u64 = view.series.iter().map(|b| b.won_deals).sum();
        assert!(
            (series_won as f64 - view.won_deals.now).abs() < 1e-9,
            "{}",
            group.group
        );
        for (sum, b) in leads.iter_mut().zip(&view.series) {
            *sum += b.leads;
        }
        won += series_won;
        assert_eq!(
            view.headline, whole.headline,
            "one sentence for the business"
        );
    }
    assert_eq!(
        leads,
        whole.series.iter().map(|b| b.leads).collect::<Vec<_>>(),
        "the channels' leads add up to the business's, bucket by bucket"
    );
    assert_eq!(won, whole.series.iter().map(|b| b.won_deals).sum::<u64>());
    assert!(won > 0);
    // A channel nobody came from: nothing, not an error.
    let none = data.view(Some("pigeon"));
    assert!(none.funnel.is_empty());
    assert!(none.series.iter().all(|b| b.leads == 0 && b.won_deals == 0));
    assert_eq!(none.series.len(), whole.series.len());
}

/// Every report the kept journeys answer (`closer_app`'s mirror), as JSON, next to the same
/// report read from the tables.
async fn kept_and_read(
    kept: &closer_app::App,
    tables: &closer_app::App,
    ws: closer_domain::WorkspaceId,
) -> Vec<(String, Value, Value)> {
    use closer_app::{ReportQuery, View};
    use closer_domain::reports::{Breakdown, Model};
    let q =
        |by: &str| ReportQuery::parse(Some("2025-06-01"), Some("2026-12-31"), Some(by)).unwrap();
    let mut out = Vec::new();
    for by in ["total", "channel", "source", "campaign", "site", "owner"] {
        for view in [View::Cohort, View::Flow] {
            let a = kept
                .reports()
                .funnel_report(ws, &q(by), view)
                .await
                .unwrap();
            let b = tables
                .reports()
                .funnel_report(ws, &q(by), view)
                .await
                .unwrap();
            out.push((
                format!("funnel {by} {view:?}"),
                serde_json::to_value(a).unwrap(),
                serde_json::to_value(b).unwrap(),
            ));
        }
        let a = kept.reports().measures_report(ws, &q(by)).await.unwrap();
        let b = tables.reports().measures_report(ws, &q(by)).await.unwrap();
        out.push((
            format!("measures {by}"),
            serde_json::to_value(a).unwrap(),
            serde_json::to_value(b).unwrap(),
        ));
    }
    for (by, model) in [
        ("channel", Model::Linear),
        ("campaign", Model::PositionBased),
    ] {
        let a = kept
            .reports()
            .attribution_report(ws, &q(by), model)
            .await
            .unwrap();
        let b = tables
            .reports()
            .attribution_report(ws, &q(by), model)
            .await
            .unwrap();
        out.push((
            format!("attribution {by} {model:?}"),
            serde_json::to_value(a).unwrap(),
            serde_json::to_value(b).unwrap(),
        ));
    }
    let q = ReportQuery {
        by: Breakdown::Channel,
        ..q("total")
    };
    let a = kept.reports().bottleneck_report(ws, &q).await.unwrap();
    let b = tables.reports().bottleneck_report(ws, &q).await.unwrap();
    out.push((
        "bottleneck channel".into(),
        serde_json::to_value(a).unwrap(),
        serde_json::to_value(b).unwrap(),
    ));
    out
}

/// Reports keep each workspace's journeys in memory and read only the changed ones before
/// each report. After every kind of write that moves a journey — a new lead, a stage, a first
/// touch, an owner, an order, an erasure — they still say exactly what a read of the tables
/// says, for every breakdown the memory answers.
async fn reports_from_memory_agree_with_the_tables_after_every_kind_of_write(app: TestApp) {
    let ws = app
        .app
        .access()
        .create_workspace("demo", None, None)
        .await
        .unwrap()
        .id;
    let tables = closer_app::App::reading_tables(app.app.store_for_tests().clone());
    let same = |pairs: Vec<(String, Value, Value)>| {
        for (what, kept, read) in pairs {
            assert_eq!(kept, read, "{what}");
        }
    };
    // The first report reads every journey and deal of the empty workspace; the bulk load
    // of the demo then reaches the memory as changes.
    same(kept_and_read(&app.app, &tables, ws).await);
    let until = Timestamp::parse_rfc3339(UNTIL).unwrap();
    app.app
        .demo()
        .fill_demo(ws, LEADS, SEED, until, |_, _| {})
        .await
        .unwrap();
    let token = app
        .app
        .access()
        .create_token("demo", Role::Admin, None)
        .await
        .unwrap()
        .secret;
    same(kept_and_read(&app.app, &tables, ws).await);
    let before = kept_and_read(&app.app, &tables, ws).await;

    let contacts: Value = app
        .get("/api/v1/contacts?limit=3", &token)
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<String> = contacts["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 3);
    let rep = app
        .app
        .access()
        .add_user("demo", "kept@demo.example.com", "Kim", "rep")
        .await
        .unwrap();
    // A new lead, touched, qualified, owned and buying twice.
    let res = app
        .post_json(
            "/api/v1/contacts",
            &token,
            &json!({"name": "New", "email": "new@demo.example.com", "stage": "lead"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let new = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/contacts/{new}");
    let res = app
        .post_json(
            &format!("{path}/activities"),
            &token,
            &json!({"kind": "call"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = app
        .patch_json(
            &path,
            &token,
            &json!({"stage": "prospect", "owner_id": rep.id.0}),
        )
        .await;
    assert_eq!(res.status(), 200);
    for _ in 0..2 {
        let res = app
            .post_json(
                "/api/v1/orders",
                &token,
                &json!({"contact_id": new, "currency": "usd",
                        "lines": [{"product": "Plan", "quantity": 1, "unit_price": "90"}]}),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    // A deal for the new contact that moves through two stages and is won; a demo deal the
    // memory already holds is lost.
    let res = app
        .post_json(
            "/api/v1/deals",
            &token,
            &json!({"contact_id": new, "title": "Kept", "amount": "500", "currency": "usd"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let deal = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for stage in ["Demo", "Won"] {
        let res = app
            .post_json(
                &format!("/api/v1/deals/{deal}/move"),
                &token,
                &json!({"stage": stage}),
            )
            .await;
        assert_eq!(res.status(), 200, "{stage}: {}", res.text().await.unwrap());
    }
    let open: Value = app
        .get("/api/v1/deals?status=open&limit=1", &token)
        .await
        .json()
        .await
        .unwrap();
    let old_deal = open[0]["id"].as_str().unwrap().to_owned();
    let res = app
        .post_json(
            &format!("/api/v1/deals/{old_deal}/move"),
            &token,
            &json!({"stage": "Lost", "loss_reason": "price"}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

    // Demo contacts the memory already holds: one changes owner, one is erased.
    let res = app
        .patch_json(
            &format!("/api/v1/contacts/{}", ids[0]),
            &token,
            &json!({"owner_id": rep.id.0}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .delete(&format!("/api/v1/contacts/{}", ids[1]), &token)
        .await;
    assert_eq!(res.status(), 204);

    let after = kept_and_read(&app.app, &tables, ws).await;
    // The writes moved the figures (so the comparison below is of something that changed)…
    assert_ne!(
        before.iter().map(|p| &p.2).collect::<Vec<_>>(),
        after.iter().map(|p| &p.2).collect::<Vec<_>>()
    );
    // …and the kept journeys followed every one.
    same(after);
}

/// A tracked campaign value that a spreadsheet would run (`=HYPERLINK(…)`) reaches a report's
/// CSV as text: the cell starts with `'`.
async fn downloaded_reports_hold_no_live_formulas(app: TestApp) {
    app.site("formula.example").await;
    let vid = "0192f0a17c3e7a108d2b1f2e3d4c5b6b";
    let formula = "=HYPERLINK(\"https://evil.example\",\"Click\")";
    let url = format!(
        "https://formula.example/?utm_source={}&utm_medium=%2Bcpc&utm_campaign=%40sum",
        crate::helpers::urlencoded(&[("x", formula)]).trim_start_matches("x=")
    );
    let visit = json!([{"type": "pageview", "url": url, "visitor_id": vid}]);
    let res = app
        .track_raw("/api/v1/track", visit.to_string(), "203.0.113.71", BROWSER)
        .await;
    assert_eq!(res.status(), 202);
    app.traffic_when("site=formula.example", 1).await;
    let form = app.form("Formula", None).await;
    let res = app
        .client
        .post(app.url(&format!("/f/{}", form["key"].as_str().unwrap())))
        .header("accept", "application/json")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(crate::helpers::urlencoded(&[
            ("email", "formula@example.com"),
            ("_closer_vid", vid),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    let db = app.database_url();
    for (by, neutralised) in [("source", "'=hyperlink("), ("campaign", "'@sum")] {
        let out = closer(&db, &["report", "funnel", "--by", by, "--format", "csv"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.to_lowercase().contains(neutralised), "{by}: {text}");
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(false)
            .from_reader(text.as_bytes());
        for record in reader.records() {
            for cell in &record.unwrap() {
                assert!(
                    !cell.starts_with(['=', '+', '@', '\t', '\r']),
                    "{by}: a live formula {cell:?} in\n{text}"
                );
            }
        }
    }
}

/// A year of a shop drawn from the lifetime-value models themselves: each customer's value
/// over the API and the terminal, from one fit of the workspace.
async fn a_customers_value_comes_from_the_workspaces_fit(app: TestApp) {
    let (ids, count) = crate::contacts_list::shop_year(&app, 120, "EUR").await;
    let value = |id: String| {
        let app = &app;
        async move {
            let res = app
                .get(&format!("/api/v1/contacts/{id}/value"), &app.token)
                .await;
            assert_eq!(res.status(), 200);
            res.json::<Value>().await.unwrap()
        }
    };
    // The customer who ordered most, and one who ordered once.
    let most = (0..ids.len()).max_by_key(|&c| count[c]).unwrap();
    let once = (0..ids.len()).find(|&c| count[c] == 1).unwrap();
    let v = value(ids[most].clone()).await;
    assert_eq!(v["orders"], count[most], "{v}");
    assert_eq!(v["currency"], "EUR");
    assert_eq!(v["fitted_on"], ids.len(), "every customer: {v}");
    assert!(v["not_enough_data"].is_null(), "{v}");
    let e = v["expected_purchases"].as_f64().unwrap();
    let alive = v["probability_alive"].as_f64().unwrap();
    assert!(e > 0.0 && (0.0..=1.0).contains(&alive), "{v}");
    assert!(
        v["expected_value"]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .unwrap()
            > 0.0
    );
    let single = value(ids[once].clone()).await;
    assert_eq!(single["orders"], 1);
    assert!(single["expected_purchases"].as_f64().is_some(), "{single}");
    // A contact with no orders: words; another workspace's contact: not found.
    let res = app
        .post_json(
            "/api/v1/contacts",
            &app.token,
            &json!({"email": "browser@shop.example"}),
        )
        .await;
    let none = value(
        res.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
    .await;
    assert_eq!(none["orders"], 0);
    assert!(none["not_enough_data"].is_string(), "{none}");
    let res = app
        .get(&format!("/api/v1/contacts/{}/value", ids[most]), &app.other)
        .await;
    assert_eq!(res.status(), 404);
    // The contact page of a customer says it in words.
    crate::web_app::user(&app, "owner@shop.example", "admin").await;
    let mut s = crate::web_app::Session::new(&app);
    s.sign_in("owner@shop.example", crate::web_app::PASSWORD)
        .await;
    let page = s.get(&format!("/contacts/{}", ids[most])).await;
    assert!(
        page.body.contains("Value") && page.body.contains("purchases expected"),
        "{}",
        page.body
    );
    // The terminal says the same.
    let out = closer(
        &app.database_url(),
        &["contact", "value", &ids[most], "--format", "json"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cli["orders"], v["orders"]);
    assert_eq!(cli["expected_purchases"], v["expected_purchases"]);
    let by_value = crate::contacts_list::lists_sort_by_customer_value(&app, &ids).await;
    // The contacts page orders by value when asked, and shows it.
    let page = s.get("/contacts?sort=-value").await;
    let body = &page.body;
    assert!(body.contains("Expected value (52 weeks)"), "{body}");
    let top = ids
        .iter()
        .filter_map(|id| Some((body.find(id.as_str())?, id)))
        .min()
        .map(|(_, id)| id);
    assert_eq!(top, Some(&by_value[0]), "the page's first row is the API's");
    let queue = s.get("/queue?sort=-value").await;
    assert!(
        queue
            .body
            .contains("highest predicted customer value first"),
        "{}",
        queue.body
    );
}
