//! Bulk loading: a fresh workspace's whole history written at once (`closer demo`). The rows
//! are the ones the row-at-a-time operations would have stored — built by the caller with the
//! same domain rules — but written set-based: no per-row lookups, and the tables the row paths
//! keep up to date with triggers (journeys, deals' touch paths, contacts' first touches and
//! copies of their visitors' traffic) derived once at the end of the load.

use async_trait::async_trait;
use closer_domain::pipeline::{Activity, Deal, DealId, Order, PipelineStageId};
use closer_domain::traffic::{Hit, SiteId, VisitorKey};
use closer_domain::{Contact, ContactId, NewEvent, Stage, Timestamp, WorkspaceId};

use crate::StoreError;

/// One row of a contact's stage history (`contact_stages`).
#[derive(Debug, Clone, PartialEq)]
pub struct StageRow {
    pub contact: ContactId,
    pub stage: Stage,
    pub entered_at: Timestamp,
    pub left_at: Option<Timestamp>,
    pub changed_by: String,
}

/// One row of a deal's stage history (`deal_stages`).
#[derive(Debug, Clone, PartialEq)]
pub struct DealStageRow {
    pub deal: DealId,
    pub stage_id: PipelineStageId,
    pub stage_name: String,
    pub entered_at: Timestamp,
    pub left_at: Option<Timestamp>,
    pub changed_by: String,
}

/// People of one workspace as the row paths would have left them: contacts in their final
/// state (identities come from their emails and phones), their stage histories and timeline
/// events, the visitors they were linked to, activities, deals in their final state with their
/// stage histories, and orders with their lines.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeopleLoad {
    pub contacts: Vec<Contact>,
    pub stages: Vec<StageRow>,
    pub events: Vec<(ContactId, NewEvent)>,
    /// `(visitor, contact, linked at)`: visitors whose traffic is already stored.
    pub links: Vec<(VisitorKey, ContactId, Timestamp)>,
    pub activities: Vec<Activity>,
    pub deals: Vec<Deal>,
    pub deal_stages: Vec<DealStageRow>,
    pub orders: Vec<Order>,
}

impl PeopleLoad {
    /// Each contact's earliest touching activity (a call, email, meeting or demo; not a note),
    /// as `add_activity` keeps it in `contacts.first_touch_at`.
    pub fn first_touches(&self) -> std::collections::HashMap<ContactId, Timestamp> {
        let mut first = std::collections::HashMap::new();
        for a in self.activities.iter().filter(|a| a.kind.touches()) {
            first
                .entry(a.contact_id)
                .and_modify(|t: &mut Timestamp| *t = (*t).min(a.occurred_at))
                .or_insert(a.occurred_at);
        }
        first
    }
}

#[async_trait]
pub trait BulkStore {
    /// Hits of visitors the store has never seen and that no contact is linked to: placed in
    /// sessions among themselves (`sessionize` with nothing stored) and stored with their
    /// sessions and new-visitor counts in one transaction, without looking anything up. A
    /// visitor's hits must all come in one call.
    async fn record_new_traffic(&self, hits: std::sync::Arc<[Hit]>) -> Result<(), StoreError>;

    /// Writes the people into `ws`, which must hold no contacts yet (`Conflict` otherwise),
    /// in one transaction: all of it or nothing. The derived tables are computed at the end
    /// from what was written, as the row paths' triggers would have kept them.
    async fn load_people(
        &self,
        ws: WorkspaceId,
        people: std::sync::Arc<PeopleLoad>,
    ) -> Result<(), StoreError>;

    /// Takes back a fill's traffic: deletes the site with every session, tracked event and
    /// new-visitor count of it, in one transaction. For a fill whose people load failed after
    /// its traffic (written in batches, each committed) was stored: the site must be one the
    /// fill created for itself, so nothing else is tracked on it.
    async fn discard_site(&self, ws: WorkspaceId, site: SiteId) -> Result<(), StoreError>;
}

/// The tables `discard_site` deletes a site's rows from, children first.
pub const SITE_TABLES: [&str; 3] = ["traffic_events", "sessions", "visitor_days"];

/// The constraint a `load_people` into a workspace that already has contacts reports.
pub const BULK_NOT_EMPTY: &str = "bulk_load_workspace_not_empty";

/// Times a bulk load's steps for the log, at debug level and without any data: where a long
/// fill spends its time (`CLOSER_LOG=info,closer_store_sqlite=debug` or `…postgres=debug`).
pub struct LoadSteps {
    load: &'static str,
    last: std::time::Instant,
}

impl LoadSteps {
    pub fn start(load: &'static str) -> Self {
        Self {
            load,
            last: std::time::Instant::now(),
        }
    }

    /// Logs the time since the last step (or the start) under `step`.
    pub fn done(&mut self, step: &str) {
        let now = std::time::Instant::now();
        tracing::debug!(
            load = self.load,
            step,
            seconds = now.duration_since(self.last).as_secs_f64(),
            "bulk load step"
        );
        self.last = now;
    }
}
