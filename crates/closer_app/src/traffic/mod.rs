//! Traffic use cases: tracked sites (and the in-memory index the ingest path reads them from),
//! ingestion (`ingest`), identity stitching (`identify`) and the traffic report (`report`).

mod identify;
mod ingest;
mod report;
mod sites;

pub use identify::{ContactTraffic, Identified, IdentifyInput};
use ingest::Ingest;
pub use ingest::{Client, DropReason, IngestStats, Prepared, TrackInput, Tracked};
pub(crate) use report::parse_when;
pub use report::{ReportRange, TrafficReport};
use sites::SiteIndex;

use std::sync::{Arc, OnceLock};

use closer_store::Store;

use crate::qualification::Scoring;

/// Traffic: tracked sites, ingestion (a queue and its writer, started by the server),
/// identity stitching and the traffic report. Stored hits and stitched visitors are scored
/// afterwards.
#[derive(Clone)]
pub struct Traffic(Arc<Inner>);

struct Inner {
    store: Arc<dyn Store>,
    sites: SiteIndex,
    /// Started by `start_ingest` (the server), not by CLI commands that never track.
    ingest: OnceLock<Ingest>,
    scoring: Scoring,
    domains_seen: crate::companies::DomainCache,
}

impl Traffic {
    pub(crate) fn new(
        store: Arc<dyn Store>,
        scoring: Scoring,
        domains_seen: crate::companies::DomainCache,
    ) -> Self {
        Self(Arc::new(Inner {
            store,
            sites: SiteIndex::default(),
            ingest: OnceLock::new(),
            scoring,
            domains_seen,
        }))
    }

    fn store(&self) -> &Arc<dyn Store> {
        &self.0.store
    }
}
