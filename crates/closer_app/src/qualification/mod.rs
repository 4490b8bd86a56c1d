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
