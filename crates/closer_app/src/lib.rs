//! closer's use cases over the storage ports: access (workspaces, tokens, users), contacts and
//! lead capture. No HTTP here: the web crate and the CLI both call these.
//!
//! Each use case is a service of its own holding only what it needs, and `App` composes them;
//! it is the only door to data for every interface. Who depends on whom (each arrow a field):
//!
//! ```text
//! access, auth, forms, WorkspaceRules          over the store only
//! Assign      → rules                          hot leads get an owner and a task
//! Scoring     → rules, Assign                  the scorer, rescore, rules file, explain
//! Reports     → rules                          dashboard, reports, lifetime value
//! Contacts    → Scoring, Reports               a list sorted by customer value
//! Companies   → rules, Scoring                 people rescored when company fit rules apply
//! Sales       → Scoring                        pipelines, deals, activities, tasks, orders
//! Traffic     → Scoring                        sites, ingestion, identify, traffic report
//! Capture     → Forms, Traffic, Scoring
//! Queue       → rules, Access, Contacts, Sales, Reports
//! Demo        → Scoring, Sales, Access
//! Exports     → (the store)                    contacts, companies, deals as files
//! Imports     → Scoring                        contact files from HubSpot, Pipedrive, closer
//! ```

mod access;
mod auth;
mod capture;
mod companies;
mod contacts;
mod demo;
mod demo_rows;
mod demo_stepwise;
pub mod duplicates;
mod error;
pub mod export;
mod forms;
pub mod imports;
pub mod merge;
pub mod notify;
pub mod orders_csv;
pub mod outbox;
mod person_export;
mod pipeline;
pub mod properties;
mod qualification;
pub mod reminders;
mod reports;
pub mod search;
pub mod tags;
mod traffic;

use std::sync::Arc;

use closer_store::Store;

pub use access::{Access, Actor, NewToken, Principal};
pub use auth::{
    Auth, INVITE_FOR, LOCK_AFTER, LOCK_FOR, MIN_PASSWORD, SESSION_FOR, SignedIn, WebUser,
};
pub use capture::{Capture, CaptureOutcome, FormPayload, VISITOR_FIELD};
pub use companies::{Companies, CompanyOverview};
pub use contacts::{COUNT_CAP, Contacts, Counted};
pub use demo::{Demo, DemoSummary};
pub use error::AppError;
pub use forms::Forms;
pub use person_export::PersonExport;
pub use pipeline::{
    ActivityRequest, Assign, DealRequest, MoveRequest, OrderRequest, Sales, StageRef, TaskRequest,
};
pub use qualification::{
    EngagementLine, Qualification, Queue, QueueItem, QueueQuery, RecentLine, RescoreProgress,
    Scoring, StageTouches,
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
    ReportRange, TrackInput, Tracked, Traffic, TrafficReport,
};

#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    access: access::Access,
    auth: auth::Auth,
    forms: forms::Forms,
    companies: companies::Companies,
    exports: export::Exports,
    imports: imports::Imports,
    assign: pipeline::Assign,
    scoring: qualification::Scoring,
    reports: reports::Reports,
    contacts: contacts::Contacts,
    sales: pipeline::Sales,
    traffic: traffic::Traffic,
    capture: capture::Capture,
    queue: qualification::Queue,
    demo: demo::Demo,
}

impl App {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self::with_mirrors(store, reports::JourneyMirrors::default())
    }

    fn with_mirrors(store: Arc<dyn Store>, mirrors: reports::JourneyMirrors) -> Self {
        let rules = qualification::WorkspaceRules::new(store.clone());
        let access = access::Access::new(store.clone());
        let forms = forms::Forms::new(store.clone());
        let assign = pipeline::Assign::new(store.clone(), rules.clone());
        let scoring = qualification::Scoring::new(store.clone(), rules.clone(), assign.clone());
        let reports = reports::Reports::new(store.clone(), rules.clone(), mirrors);
        // What each recently asked-about email domain names, shared by every write path.
        let domains_seen = companies::DomainCache::default();
        let contacts = contacts::Contacts::new(
            store.clone(),
            scoring.clone(),
            reports.clone(),
            domains_seen.clone(),
        );
        let sales = pipeline::Sales::new(store.clone(), scoring.clone());
        let traffic = traffic::Traffic::new(store.clone(), scoring.clone(), domains_seen.clone());
        let companies = companies::Companies::new(
            store.clone(),
            rules.clone(),
            scoring.clone(),
            domains_seen.clone(),
        );
        Self {
            inner: Arc::new(Inner {
                auth: auth::Auth::new(store.clone()),
                capture: capture::Capture::new(
                    store.clone(),
                    forms.clone(),
                    traffic.clone(),
                    scoring.clone(),
                    domains_seen.clone(),
                ),
                queue: qualification::Queue::new(
                    store.clone(),
                    rules.clone(),
                    access.clone(),
                    contacts.clone(),
                    sales.clone(),
                    reports.clone(),
                ),
                demo: demo::Demo::new(
                    store.clone(),
                    scoring.clone(),
                    sales.clone(),
                    access.clone(),
                ),
                companies: companies.clone(),
                exports: export::Exports::new(store.clone()),
                imports: imports::Imports::new(
                    store.clone(),
                    scoring.clone(),
                    sales.clone(),
                    companies,
                ),
                access,
                reports,
                forms,
                assign,
                scoring,
                contacts,
                sales,
                traffic,
                store,
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

    /// Giving hot leads an owner and a first-contact task.
    pub fn assign(&self) -> &pipeline::Assign {
        &self.inner.assign
    }

    /// Scoring contacts, `closer rescore`, the rules file and why a contact scores as it does.
    pub fn scoring(&self) -> &qualification::Scoring {
        &self.inner.scoring
    }

    /// Companies: create (deduped by domain), read, list, edit, delete, their people.
    pub fn companies(&self) -> &companies::Companies {
        &self.inner.companies
    }

    /// The workspace's contacts, companies and deals as CSV or JSON lines.
    pub fn exports(&self) -> &export::Exports {
        &self.inner.exports
    }

    pub fn imports(&self) -> &imports::Imports {
        &self.inner.imports
    }

    /// Contacts: upsert, read, edit, assign, erase, list, history.
    pub fn contacts(&self) -> &contacts::Contacts {
        &self.inner.contacts
    }

    /// Pipelines, deals, activities, tasks and orders.
    pub fn sales(&self) -> &pipeline::Sales {
        &self.inner.sales
    }

    /// Tracked sites, event ingestion, identity stitching, the traffic report.
    pub fn traffic(&self) -> &traffic::Traffic {
        &self.inner.traffic
    }

    /// Lead capture from forms.
    pub fn capture(&self) -> &capture::Capture {
        &self.inner.capture
    }

    /// The sales queue and taking leads from it.
    pub fn queue(&self) -> &qualification::Queue {
        &self.inner.queue
    }

    /// The demo workspace's generated history.
    pub fn demo(&self) -> &demo::Demo {
        &self.inner.demo
    }

    /// The store's connection pool at this moment.
    pub fn pool_use(&self) -> closer_store::PoolUse {
        self.inner.store.pool_use()
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
