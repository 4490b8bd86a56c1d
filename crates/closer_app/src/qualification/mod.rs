//! Qualification use cases: the workspace's rules, scoring contacts as their events arrive
//! (`score`), explaining a contact's verdicts (`explain`), the sales queue (`queue`) and
//! `closer rescore` (`rescore`).
//!
//! Scoring runs off the request path: capture, identify, edits and the tracking writer hand
//! `ScoreJob`s to one background worker per process (a bounded queue; a job that does not fit
//! is counted and dropped — the next event for that contact or a rescore repairs it), so lead
//! capture and ingestion never wait for it. Jobs a crash loses are found again at the next
//! start (`sweep`).

mod explain;
mod queue;
mod rescore;
mod rules;
mod score;
mod sweep;

pub use explain::{EngagementLine, Qualification, RecentLine, StageTouches};
pub use queue::{Queue, QueueItem, QueueQuery};
pub use rescore::RescoreProgress;
pub(crate) use rules::WorkspaceRules;
pub use score::Scoring;
pub(crate) use score::{ScoreJob, jobs_for_hits};

use std::collections::HashMap;

use closer_domain::qualification::Rules;
use closer_domain::{Company, CompanyId, Contact, WorkspaceId};
use closer_store::Store;

/// The companies of these contacts, read only when some fit rule reads a company (so a
/// workspace without such rules scores as fast as before).
pub(crate) async fn companies_for<'a>(
    store: &dyn Store,
    rules: &Rules,
    ws: WorkspaceId,
    contacts: impl IntoIterator<Item = &'a Contact>,
) -> Result<HashMap<CompanyId, Company>, crate::AppError> {
    if !rules.reads_company() {
        return Ok(HashMap::new());
    }
    let mut ids: Vec<CompanyId> = contacts.into_iter().filter_map(|c| c.company_id).collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(store
        .companies_by_id(ws, &ids)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect())
}

/// The contact's company among those read.
pub(crate) fn company_of<'a>(
    companies: &'a HashMap<CompanyId, Company>,
    contact: &Contact,
) -> Option<&'a Company> {
    companies.get(&contact.company_id?)
}
