//! closer's HTTP layer: axum routers per feature, extractors, `ApiError` (problem+json), the
//! OpenAPI document, and `Application` (bind first, then serve until shut down).
//!
//! Handlers stay thin: parse input into domain types, call `closer_app`, shape the answer.
//! No SQL and no business rules here.

pub mod client;
mod contract;
pub mod error;
pub mod extract;
pub mod metrics;
pub mod ratelimit;
mod routes;
mod security;
pub mod serve;
pub mod snippet;
mod tracker;
pub mod ui;

/// Entry points for the fuzz targets (`fuzz/`): the request parsing of the public routes.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::routes::capture::fuzzing::form;
    pub use crate::routes::track::fuzzing::{plausible, track};
}

pub use axum::http::HeaderName;
pub use ratelimit::RateLimit;
pub use routes::tracking_snippet;
/// Saved views with their queries checked by the lists' own parsers (for the CLI).
pub mod views {
    pub use crate::routes::tags::{save, view_count};
}

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{Method, StatusCode};
use closer_app::App;
use tokio::net::TcpListener;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use tower_http::trace::TraceLayer;

use error::ApiError;
use extract::BODY_LIMIT;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    /// The address landing pages reach this server at (form snippets use it).
    pub public_url: Arc<str>,
    /// Peers whose forwarding header is believed, and which header that is.
    pub proxies: client::Proxies,
    /// Per-client-IP limit on the public routes.
    pub limiter: ratelimit::Limiter,
    /// Per-client-IP limit on sign-in and invite posts.
    pub sign_ins: ratelimit::Limiter,
    /// Computed report pages.
    pub report_pages: Arc<ui::reports::ReportPages>,
    /// How long a dashboard or report page waits for figures nobody has computed yet
    /// before answering with a notice that they are being computed (`WebConfig::page_wait`).
    pub page_wait: std::time::Duration,
}

/// The full OpenAPI document: every route of `router`, with the statuses every route of its
/// kind answers (`contract`).
pub fn openapi() -> serde_json::Value {
    let (_, mut doc) = routes::api().split_for_parts();
    doc.merge(routes::public_capture().split_for_parts().1);
    doc.merge(routes::meta().split_for_parts().1);
    let mut doc = serde_json::to_value(&doc).expect("the OpenAPI document serialises");
    contract::complete(&mut doc);
    doc
}

/// All routes, with their layers.
pub fn router(state: AppState) -> Router {
    let https = state.public_url.starts_with("https://");
    let (api, _) = routes::api().split_for_parts();
    let (capture, _) = routes::public_capture().split_for_parts();
    let (meta, _) = routes::meta().split_for_parts();
    Router::new()
        .merge(api.layer(DefaultBodyLimit::max(BODY_LIMIT)))
        .merge(capture.layer(DefaultBodyLimit::max(BODY_LIMIT)))
        .merge(meta)
        .merge(ui::router())
        .fallback(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not-found",
                "no route here; see /api/openapi.json",
            )
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "this route does not take that method; see /api/openapi.json",
            )
        })
        .layer(axum::middleware::from_fn(metrics::record))
        .layer(axum::middleware::map_response(move |res| async move {
            security::add(res, https)
        }))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            serve::BODY_TIMEOUT,
        ))
        // gzip or brotli, as the client accepts: pages, JSON, closer.js, the app's assets.
        // Level 5 of either is a few milliseconds for Chart.js and within a few percent of
        // the best size; answers under 32 bytes (the tracking endpoints' `ok`) go as they are.
        .layer(
            tower_http::compression::CompressionLayer::new()
                .quality(tower_http::CompressionLevel::Precise(5)),
        )
        .layer(public_cors())
        .layer(
            // Spans name the route template, never the raw URI: query strings can hold emails.
            // No per-request failure log: real 5xx are logged once by `ApiError`, and a 503
            // under overload (a full queue) must not turn into a log line per refused event.
            TraceLayer::new_for_http()
                .on_failure(())
                .make_span_with(|req: &Request| {
                    let route = req
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or("unmatched", MatchedPath::as_str);
                    tracing::info_span!("http", method = %req.method(), route = %route)
                }),
        )
        .with_state(state)
}

/// CORS is open on the public routes only (form posts and event ingestion): any landing page
/// may post a lead or an event, but no other origin may script the authenticated API.
/// Applied around the whole router so preflight `OPTIONS` requests are answered before
/// routing.
fn public_cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(|_, parts| {
            let path = parts.uri.path();
            path.starts_with("/f/") || path == "/api/event" || path == "/api/v1/track"
        }))
        .allow_methods([Method::POST])
        .allow_headers(Any)
        .max_age(std::time::Duration::from_hours(24))
}

pub struct WebConfig {
    pub listen: SocketAddr,
    /// Defaults to `http://{bound address}`.
    pub public_url: Option<String>,
    /// Proxies whose `X-Forwarded-For` names the client; defaults to loopback and private
    /// ranges (`client::DEFAULT_TRUSTED`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The header those proxies set to the client's address, believed instead of
    /// `X-Forwarded-For` (`CF-Connecting-IP`, `X-Real-IP`, `Forwarded`…).
    pub client_ip_header: Option<axum::http::HeaderName>,
    pub rate_limit: RateLimit,
    /// How long a dashboard or report page waits for figures nobody has computed yet: past
    /// it, the page answers at once, saying they are being computed, and shows them when
    /// ready (a year of a large workspace takes longer to count than a page should take).
    pub page_wait: std::time::Duration,
}

/// `WebConfig::page_wait` by default: with the session, the data version and the rendering
/// around it, a page answers within a tenth of a second.
pub const PAGE_WAIT: std::time::Duration = std::time::Duration::from_millis(50);

impl WebConfig {
    /// Listens on `listen` with every other setting at its default.
    pub fn new(listen: SocketAddr) -> Self {
        Self {
            listen,
            public_url: None,
            trusted_proxies: client::default_trusted(),
            client_ip_header: None,
            rate_limit: RateLimit::default(),
            page_wait: PAGE_WAIT,
        }
    }
}

/// A bound, ready-to-serve server. Binding happens in `build`, so tests can bind port 0 and
/// read the port before serving.
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    app: App,
    addr: SocketAddr,
    public_url: String,
}

impl Application {
    pub async fn build(config: WebConfig, app: App) -> std::io::Result<Self> {
        let listener = TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let public_url = config
            .public_url
            .unwrap_or_else(|| format!("http://{addr}"));
        app.traffic().start_ingest();
        let limiter = ratelimit::Limiter::new(config.rate_limit);
        limiter.spawn_pruning();
        let state = AppState {
            app: app.clone(),
            public_url: public_url.clone().into(),
            proxies: client::Proxies::new(config.trusted_proxies, config.client_ip_header),
            limiter,
            sign_ins: {
                let l = ratelimit::Limiter::sign_ins();
                l.spawn_pruning();
                l
            },
            report_pages: Arc::default(),
            page_wait: config.page_wait,
        };
        Ok(Self {
            listener,
            app,
            router: router(state.clone()),
            state,
            addr,
            public_url,
        })
    }

    /// Keeps the dashboards and report pages people use computed in the background: first
    /// each workspace's default views and its queue's reads (so the first visit after a
    /// start does not wait), then,
    /// every `WARM_EVERY`, those asked for lately whose data changed or whose figures would
    /// soon be too old to show (`ReportCache::keep_warm`). `closer serve` starts it; tests
    /// that count computations do not.
    pub fn spawn_report_warming(&self) -> tokio::task::JoinHandle<()> {
        let st = self.state.clone();
        tokio::spawn(async move {
            for ws in st.app.reports().workspaces_with_users().await {
                st.app
                    .reports()
                    .warm_dashboards(ws, &ui::dashboard::PERIODS)
                    .await;
                ui::reports::warm(&st, ws).await;
                st.app.queue().warm_queue(ws).await;
            }
            let mut tick = tokio::time::interval(closer_app::reports_view::WARM_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                st.app.reports().keep_dashboards_warm().await;
                st.report_pages.keep_warm(st.app.reports()).await;
                st.app
                    .reports()
                    .forget_idle_report_memory(closer_app::reports_view::WANTED_FOR);
            }
        })
    }

    /// Rescores, in the background, the contacts whose scoring the last stop interrupted
    /// (`App::rescore_stale`). `closer serve` starts it.
    pub fn spawn_stale_rescore(&self) -> tokio::task::JoinHandle<()> {
        self.app.scoring().spawn_stale_rescore()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests (for at most
    /// `serve::SHUTDOWN_GRACE`) and writes every tracked event it accepted.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let served = serve::serve(self.listener, self.router, shutdown).await;
        self.app.traffic().stop_ingest().await;
        served
    }
}
