//! closer's use cases over the storage ports: access (workspaces, tokens, users), contacts and
//! lead capture. No HTTP here: the web crate and the CLI both call these.
//!
//! `App` is cheap to clone (an `Arc` inside) and holds the store as `Arc<dyn Store>`; it is
//! the only door to data for every interface. Use cases are becoming services of their own,
//! each holding only what it needs and composed here: the reports (`App::reports`, over the
//! store and `WorkspaceRules`), signing in (`App::auth`), access (`App::access`: workspaces,
//! tokens, users) and forms (`App::forms`) are; the others are still methods of `App`.

mod access;
mod auth;
mod capture;
mod contacts;
mod demo;
mod demo_rows;
mod demo_stepwise;
mod error;
mod forms;
pub mod orders_csv;
mod pipeline;
mod qualification;
mod reports;
mod traffic;

use std::sync::Arc;

use closer_store::Store;

pub use access::{Access, Actor, NewToken, Principal};
pub use auth::{
    Auth, INVITE_FOR, LOCK_AFTER, LOCK_FOR, MIN_PASSWORD, SESSION_FOR, SignedIn, WebUser,
};
pub use capture::{CaptureOutcome, FormPayload, VISITOR_FIELD};
pub use demo::DemoSummary;
pub use error::AppError;
pub use forms::Forms;
pub use pipeline::{
    ActivityRequest, DealRequest, MoveRequest, OrderRequest, StageRef, TaskRequest,
};
pub use qualification::{
    EngagementLine, Qualification, QueueItem, QueueQuery, RecentLine, RescoreProgress, StageTouches,
};
/// The dashboard's parts and the reports as sections of rows, for the interfaces.
pub mod reports_view {
    pub use crate::reports::{
        Bucket, Cached, Change, ChannelRow, FRESH_FOR, ReportCache, Reports, SHOWN_FOR, WANTED_FOR,
        WARM_EVERY, sections,
    };
}
pub use reports::{
    AttributionReport, BottleneckReport, CustomerValue, Dashboard, DashboardData, FunnelReport,
    FunnelStep, LtvReport, MeasuresReport, ReportQuery, ReportRequest, RetentionReport, View,
};
pub use traffic::{
    Client, ContactTraffic, DropReason, Identified, IdentifyInput, IngestStats, Prepared,
    ReportRange, TrackInput, Tracked, TrafficReport,
};

#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    forms: forms::Forms,
    sites: traffic::SiteIndex,
    /// Started by `start_ingest` (the server), not by CLI commands that never track.
    ingest: std::sync::OnceLock<traffic::Ingest>,
    rules: qualification::WorkspaceRules,
    /// Started by `start_scoring` (the server); CLI commands score inline.
    scorer: std::sync::OnceLock<qualification::Scorer>,
    scoring_stop: tokio::sync::Notify,
    /// Minutes a new hot lead's first-contact task is due in.
    first_contact_minutes: std::sync::atomic::AtomicU32,
    reports: reports::Reports,
    auth: auth::Auth,
    access: access::Access,
}

impl App {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self::with_mirrors(store, reports::JourneyMirrors::default())
    }

    fn with_mirrors(store: Arc<dyn Store>, mirrors: reports::JourneyMirrors) -> Self {
        let rules = qualification::WorkspaceRules::new(store.clone());
        Self {
            inner: Arc::new(Inner {
                reports: reports::Reports::new(store.clone(), rules.clone(), mirrors),
                auth: auth::Auth::new(store.clone()),
                access: access::Access::new(store.clone()),
                rules,
                forms: forms::Forms::new(store.clone()),
                store,
                sites: traffic::SiteIndex::default(),
                ingest: std::sync::OnceLock::new(),
                scorer: std::sync::OnceLock::new(),
                scoring_stop: tokio::sync::Notify::new(),
                first_contact_minutes: std::sync::atomic::AtomicU32::new(
                    pipeline::FIRST_CONTACT_MINUTES,
                ),
            }),
        }
    }

    /// An app whose reports read every journey from the database each time instead of
    /// keeping them in memory: what the kept ones must always agree with (tests compare the
    /// two).
    pub fn reading_tables(store: Arc<dyn Store>) -> Self {
        Self::with_mirrors(store, reports::JourneyMirrors::off())
    }

    /// The storage the use cases work on; the web app and the CLI reach data only through
    /// the use cases.
    pub(crate) fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// The store itself, for tests that look under the use cases (feature `testing`).
    #[cfg(feature = "testing")]
    pub fn store_for_tests(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// `sqlite` or `postgres`.
    pub fn engine(&self) -> &'static str {
        self.inner.store.engine()
    }

    /// The reports use case.
    pub fn reports(&self) -> &reports::Reports {
        &self.inner.reports
    }

    /// Signing in: passwords, sessions, invites.
    pub fn auth(&self) -> &auth::Auth {
        &self.inner.auth
    }

    /// Workspaces, API tokens, users; who a token is.
    pub fn access(&self) -> &access::Access {
        &self.inner.access
    }

    /// Forms, and the cache of forms by key that captures read.
    pub fn forms(&self) -> &forms::Forms {
        &self.inner.forms
    }

    /// Readiness: the database answers.
    pub async fn ready(&self) -> Result<(), AppError> {
        self.inner.store.ping().await.map_err(AppError::from)
    }
}

/// Lowercase hex of bytes (token hashes, form keys).
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
