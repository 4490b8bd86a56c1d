//! Prometheus metrics (`serve --metrics-listen ADDR`, off by default): requests by route,
//! method and status with latency histograms; tracked events accepted, stored and dropped by
//! reason; the ingestion queue; the scoring backlog and drops; the ingestion writer's batch
//! sizes and commit times; the database pool. Exposition is `metrics-exporter-prometheus`'s.
//!
//! Requests are recorded as they are answered (the `metrics` macros cost next to nothing
//! when no recorder is installed); the counters closer already keeps (`IngestStats`, the
//! queues) are read when Prometheus scrapes, so the hot paths gain nothing.

use std::net::SocketAddr;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use closer_app::{App, IngestStats};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

/// Latency buckets, in seconds: a millisecond to ten seconds.
const SECONDS: [f64; 14] = [
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0,
];
/// Batch-size buckets, in events.
const EVENTS: [f64; 10] = [
    1.0, 5.0, 10.0, 50.0, 100.0, 500.0, 1_000.0, 2_000.0, 5_000.0, 10_000.0,
];

/// Records one answered request: its route template (never the raw path, which can hold
/// ids and emails), method and status, and how long it took.
pub async fn record(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!("closer_http_requests_total", "route" => route.clone(), "method" => method.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("closer_http_request_duration_seconds", "route" => route, "method" => method)
        .record(started.elapsed().as_secs_f64());
    res
}

/// Installs the process's recorder and serves `/metrics` on `addr`; returns the bound
/// address. Call once per process.
pub async fn spawn(addr: SocketAddr, app: App) -> std::io::Result<SocketAddr> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &SECONDS)
        .and_then(|b| b.set_buckets_for_metric(Matcher::Suffix("_events".into()), &EVENTS))
        .and_then(PrometheusBuilder::install_recorder)
        .map_err(std::io::Error::other)?;
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let router = Router::new()
        .route("/metrics", get(scrape))
        .with_state((handle, app));
    tokio::spawn(async move {
        // Scrapes end with the process: nothing to finish on shutdown.
        let _ = crate::serve::serve(listener, router, std::future::pending()).await;
    });
    Ok(bound)
}

async fn scrape(State((handle, app)): State<(PrometheusHandle, App)>) -> String {
    refresh(&app);
    handle.run_upkeep();
    handle.render()
}

/// Copies the counters and queue depths closer keeps into the recorder.
fn refresh(app: &App) {
    if let Some(s) = app.traffic().ingest_stats() {
        metrics::counter!("closer_events_accepted_total").absolute(IngestStats::get(&s.accepted));
        metrics::counter!("closer_events_stored_total").absolute(IngestStats::get(&s.stored));
        for (reason, counter) in [
            ("bot", &s.dropped_bot),
            ("spam_referrer", &s.dropped_spam),
            ("unknown_site", &s.dropped_unknown_site),
            ("invalid", &s.invalid),
            ("rate_limited", &s.rate_limited),
            ("queue_full", &s.queue_full),
            ("write_failed", &s.write_failed),
        ] {
            metrics::counter!("closer_events_dropped_total", "reason" => reason)
                .absolute(IngestStats::get(counter));
        }
        metrics::counter!("closer_scoring_dropped_total", "from" => "tracking")
            .absolute(IngestStats::get(&s.scoring_dropped));
    }
    let (events, bytes) = app.traffic().ingest_queue();
    #[allow(clippy::cast_precision_loss)] // queue sizes are far below 2^52
    {
        metrics::gauge!("closer_ingest_queue_events").set(events as f64);
        metrics::gauge!("closer_ingest_queue_bytes").set(bytes as f64);
        let (backlog, dropped) = app.scoring().scoring_backlog();
        metrics::gauge!("closer_scoring_backlog").set(backlog as f64);
        metrics::counter!("closer_scoring_dropped_total", "from" => "scorer").absolute(dropped);
    }
    let pool = app.pool_use();
    metrics::gauge!("closer_db_pool_connections", "state" => "open").set(f64::from(pool.open));
    metrics::gauge!("closer_db_pool_connections", "state" => "idle").set(f64::from(pool.idle));
}
