//! closer's storage ports: narrow traits per aggregate, the records they speak in, and
//! `StoreError`. Adapters (`closer_store_sqlite`, `closer_store_postgres`) implement them;
//! `closer_app` uses them through `Arc<dyn Store>`.
//!
//! Contract every adapter keeps (the conformance suite checks each point):
//! - every read and write is scoped to one workspace; another workspace's id is `NotFound`;
//! - a method either writes everything it was asked to or nothing (one transaction);
//! - concurrent upserts of the same new email or phone create exactly one contact;
//! - named constraints map to `StoreError::Conflict { constraint }`.

pub mod bulk;
pub mod companies;
pub mod contacts;
pub mod duplicates;
pub mod error;
pub mod forms;
pub mod imports;
pub mod journey_feed;
pub mod merge;
pub mod notify;
pub mod person;
pub mod pipeline;
pub mod properties;
pub mod qualification;
mod records;
pub mod reminders;
pub mod reports;
pub mod search;
pub mod sessions;
pub mod tags;
pub mod traffic;
pub mod work;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use bulk::{
    BULK_NOT_EMPTY, BulkStore, DealStageRow, LoadSteps, PeopleLoad, SITE_TABLES, StageRow,
};
pub use companies::{COMPANY_DOMAIN, CompanyQuery, CompanyStore};
pub use contacts::{
    CONTACT_CHANGED, Claim, ContactQuery, ContactReads, ContactSort, ContactStore, Cursor,
    IDENTITY_CONSTRAINT, OwnerFilter, Page, ScoreRange, StageMove, StageSpan, UpsertContact,
    Upserted,
};
pub use duplicates::DuplicateStore;
pub use error::StoreError;
pub use forms::FormStore;
pub use imports::{BatchKeys, ImportStore};
pub use journey_feed::{
    DealFeed, FeedDealRow, FeedJourney, FeedNumbers, FeedRow, FeedStay, GroupNames, JourneyFeed,
    JourneyFeedStore,
};
pub use merge::{ContactMerge, MERGE_FOLLOWS, MERGE_LEAVES, MERGE_MOVES, MergeStore};
pub use notify::{NotificationStore, OutboxItem};
pub use person::{CONTACT_TABLES, PersonReads, VisitorLink};
pub use pipeline::{
    BoardColumn, DEAL_CHANGED, DEAL_CLOSED, DealMove, DealQuery, DealReads, DealSpan,
    PIPELINE_NAME, PipelineStore, STAGE_HAS_DEALS,
};
pub use properties::{PROPERTY_NAME_TAKEN, PropertyStore};
pub use qualification::{
    QualificationStore, RulesStore, SCORE_VERSION, ScoreReads, ScoreRecord, ScoringInput,
    ScoringPage,
};
pub use records::{Form, TokenRecord, User, Workspace};
pub use reminders::ReminderStore;
pub use reports::{
    ALL_CONVERSIONS, ConversionKind, ConversionPath, GroupIndex, JourneyRow, Journeys, Label,
    Labels, LeadResponse, LostDeals, OpenDeals, OrderRow, PathTally, Period,
    REMOVED_STAGE_POSITION, RepeatTotal, ReportStore, StageStay, ValueStore, VisitorCount, WonDeal,
    WonTotal, parse_lead_path,
};
pub use search::{SearchHits, SearchReach, SearchRequest, SearchStore};
pub use sessions::{Credentials, Invite, SessionStore, WebSession};
pub use tags::{SavedView, TagStore, Tagged};
pub use traffic::{
    BreakdownRow, Bucket, Link, PageRow, Recorded, SITE_DOMAIN_CONSTRAINT, SeriesRow,
    SessionTotals, Site, Touch, TrafficAggregates, TrafficQuery, TrafficReads, TrafficStore,
};
pub use work::{TaskPatch, TaskQuery, Touches, WorkEdits, WorkReads, WorkStore};

use async_trait::async_trait;
use closer_domain::{Slug, TokenId, UserId, WorkspaceId};

/// Workspaces: the tenants.
#[async_trait]
pub trait WorkspaceStore {
    /// Adds a workspace; `Conflict` if the slug is taken.
    async fn create_workspace(&self, workspace: &Workspace) -> Result<(), StoreError>;
    /// Adds the workspace if no workspace has its slug; returns the stored one either way.
    async fn ensure_workspace(&self, workspace: &Workspace) -> Result<Workspace, StoreError>;
    async fn workspace_by_slug(&self, slug: &Slug) -> Result<Workspace, StoreError>;
    async fn workspace(&self, id: WorkspaceId) -> Result<Workspace, StoreError>;
    async fn list_workspaces(&self) -> Result<Vec<Workspace>, StoreError>;
}

/// API tokens. Only a hash of the secret is ever stored.
#[async_trait]
pub trait TokenStore {
    async fn create_token(&self, token: &TokenRecord) -> Result<(), StoreError>;
    /// The token with this secret hash, if any (its workspace comes with it).
    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError>;
    /// The workspace's tokens, oldest first (hashes included; never the secrets).
    async fn list_tokens(&self, workspace: WorkspaceId) -> Result<Vec<TokenRecord>, StoreError>;
    /// Deletes the token: it stops working at once. `NotFound` if it is not the workspace's.
    async fn delete_token(&self, workspace: WorkspaceId, id: TokenId) -> Result<(), StoreError>;
}

/// Users of a workspace: the people who own contacts and deals.
#[async_trait]
pub trait UserStore {
    /// `Conflict` if the email is already a user of the workspace.
    async fn create_user(&self, user: &User) -> Result<(), StoreError>;
    async fn user(&self, workspace: WorkspaceId, id: UserId) -> Result<User, StoreError>;
    async fn list_users(&self, workspace: WorkspaceId) -> Result<Vec<User>, StoreError>;
}

/// A connection pool at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolUse {
    /// Connections open.
    pub open: u32,
    /// Of those, waiting for work.
    pub idle: u32,
}

/// Everything closer stores, behind one object the app holds as `Arc<dyn Store>`.
#[async_trait]
pub trait Store:
    WorkspaceStore
    + TokenStore
    + UserStore
    + ContactStore
    + CompanyStore
    + ImportStore
    + MergeStore
    + DuplicateStore
    + PersonReads
    + ContactReads
    + FormStore
    + TrafficStore
    + TrafficReads
    + QualificationStore
    + ScoreReads
    + RulesStore
    + PipelineStore
    + DealReads
    + WorkStore
    + WorkReads
    + WorkEdits
    + ReportStore
    + ValueStore
    + JourneyFeedStore
    + SessionStore
    + SearchStore
    + NotificationStore
    + ReminderStore
    + TagStore
    + PropertyStore
    + BulkStore
    + Send
    + Sync
{
    /// Cheap round trip to the database, for readiness checks.
    async fn ping(&self) -> Result<(), StoreError>;
    /// Which engine this is, for logs and `/healthz`.
    fn engine(&self) -> &'static str;
    /// The connection pool's connections, open and idle, for metrics.
    fn pool_use(&self) -> PoolUse;
    /// Brings the planner's statistics up to date after a bulk fill (`closer demo`, an
    /// import), before queries that depend on them run against the new rows.
    async fn refresh_statistics(&self) -> Result<(), StoreError>;
}
