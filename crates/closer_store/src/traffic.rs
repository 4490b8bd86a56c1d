//! The traffic port: tracked sites, hits placed in sessions, visitor links (identity
//! stitching), the daily salt of cookieless ids, and the traffic report's aggregates.

use async_trait::async_trait;
use closer_domain::traffic::{Channel, Hit, SiteDomain, SiteId, VisitorKey};
use closer_domain::{ContactId, Timestamp, WorkspaceId};

use crate::StoreError;

pub const SITE_DOMAIN_CONSTRAINT: &str = "sites_domain_key";

#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    pub id: SiteId,
    pub workspace_id: WorkspaceId,
    pub domain: SiteDomain,
    pub created_at: Timestamp,
}

/// What `record_hits` stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    /// Page views and custom events written.
    pub events: usize,
    pub new_sessions: usize,
    /// The hits (by index in the batch) whose visitor is linked to a contact, with that
    /// contact: what incremental scoring takes.
    pub identified: Vec<(usize, ContactId)>,
}

/// The result of linking a visitor to a contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// The visitor was anonymous; it and its history now belong to the contact.
    Linked,
    /// The visitor already belonged to this contact.
    Already,
    /// The visitor belongs to another contact, and stays with it: two identified people are
    /// never merged automatically.
    Other(ContactId),
}

/// Time buckets of the report's series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    Hour,
    Day,
}

impl Bucket {
    pub fn micros(self) -> i64 {
        match self {
            Bucket::Hour => 3_600_000_000,
            Bucket::Day => 86_400_000_000,
        }
    }
}

#[derive(Debug, Clone)]
pub struct TrafficQuery {
    /// All of the workspace's sites when `None`.
    pub site: Option<SiteId>,
    /// Sessions that started in `[from, to)`.
    pub from: Timestamp,
    pub to: Timestamp,
    pub bucket: Bucket,
    /// Rows per breakdown of pages, sources and campaigns (channels are all listed).
    pub limit: u32,
}

impl TrafficQuery {
    /// The query for the channel breakdown: every channel with visitors (there are few, and
    /// one left out would leave a hole in rows that should add up to the totals).
    #[must_use]
    pub fn every_channel(&self) -> TrafficQuery {
        TrafficQuery {
            limit: u32::try_from(closer_domain::traffic::Channel::ALL.len()).unwrap_or(u32::MAX),
            ..self.clone()
        }
    }
}

/// Session aggregates over a set of sessions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionTotals {
    pub visitors: i64,
    pub sessions: i64,
    pub pageviews: i64,
    /// Sessions with at most one page view and no interactive event.
    pub bounces: i64,
    /// Sum of session durations (last hit − first hit), microseconds.
    pub duration_micros: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakdownRow {
    /// The channel, source or campaign (`None`: not set).
    pub key: Option<String>,
    pub totals: SessionTotals,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRow {
    pub path: String,
    pub pageviews: i64,
    pub visitors: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesRow {
    pub bucket_start: Timestamp,
    pub totals: SessionTotals,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrafficAggregates {
    pub totals: SessionTotals,
    pub pages: Vec<PageRow>,
    pub entry_pages: Vec<PageRow>,
    pub channels: Vec<BreakdownRow>,
    pub sources: Vec<BreakdownRow>,
    pub campaigns: Vec<BreakdownRow>,
    /// Only buckets with sessions; the caller fills the gaps.
    pub series: Vec<SeriesRow>,
}

/// One session as a contact's history shows it: where that visit came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Touch {
    pub started_at: Timestamp,
    pub channel: Channel,
    pub source: Option<String>,
    pub campaign: Option<String>,
    pub entry_page: String,
    pub site: SiteDomain,
}

#[async_trait]
pub trait TrafficStore {
    /// `Conflict { constraint: "sites_domain_key" }` when any workspace tracks the domain.
    async fn create_site(&self, site: &Site) -> Result<(), StoreError>;

    /// Places the hits in sessions (`closer_domain::traffic::sessionize` against the latest
    /// stored session of each visitor) and stores events and sessions in one transaction.
    async fn record_hits(&self, hits: std::sync::Arc<[Hit]>) -> Result<Recorded, StoreError>;

    /// The secret salt of cookieless visitor ids for `day` (days since 1970-01-01, UTC),
    /// made on first use and shared by every process; salts of earlier days are deleted.
    async fn daily_salt(&self, day: i64) -> Result<Vec<u8>, StoreError>;

    /// Links a visitor to a contact of the same workspace (`NotFound` if there is none).
    async fn link_visitor(
        &self,
        workspace: WorkspaceId,
        visitor: &VisitorKey,
        contact: ContactId,
        now: Timestamp,
    ) -> Result<Link, StoreError>;
}

/// Traffic reads, the same on every SQL engine (written once in `closer_store_sql`).
#[async_trait]
pub trait TrafficReads {
    /// A workspace's sites, or every site when `workspace` is `None` (the ingest cache).
    async fn list_sites(&self, workspace: Option<WorkspaceId>) -> Result<Vec<Site>, StoreError>;

    /// Every session of the contact's linked visitors, oldest first.
    async fn contact_touches(
        &self,
        workspace: WorkspaceId,
        contact: ContactId,
    ) -> Result<Vec<Touch>, StoreError>;

    async fn traffic(
        &self,
        workspace: WorkspaceId,
        query: &TrafficQuery,
    ) -> Result<TrafficAggregates, StoreError>;
}
