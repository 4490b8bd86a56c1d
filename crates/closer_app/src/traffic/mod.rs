//! Traffic use cases: tracked sites (and the in-memory index the ingest path reads them from),
//! ingestion (`ingest`), identity stitching (`identify`) and the traffic report (`report`).

mod identify;
mod ingest;
mod report;
mod sites;

pub use identify::{ContactTraffic, Identified, IdentifyInput};
pub(crate) use ingest::Ingest;
pub use ingest::{Client, DropReason, IngestStats, Prepared, TrackInput, Tracked};
pub(crate) use report::parse_when;
pub use report::{ReportRange, TrafficReport};
pub(crate) use sites::SiteIndex;
