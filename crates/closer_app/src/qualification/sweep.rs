//! The start-up sweep: scoring jobs wait in memory, so a crash (`kill -9`, a power cut) loses
//! the ones not yet run — a lead stored but never scored, assigned or given its first-contact
//! task. At every server start each workspace's contacts whose score misses some of their
//! timeline (`QualificationStore::stale_scores`) are rescored from their whole timeline, which
//! also turns the hot ones over to the queue and its first-contact task.

use closer_domain::{ContactId, Timestamp};

use super::Scoring;
use super::score::Pending;
use crate::AppError;

/// Contacts read and rescored at a time.
const PAGE: u32 = 500;

impl Scoring {
    /// Rescores every contact the last run left stale; returns how many. The server runs it
    /// in the background at start, after the scorer is up.
    pub async fn rescore_stale(&self) -> Result<u64, AppError> {
        let now = Timestamp::now();
        let mut done = 0u64;
        for ws in self.store().list_workspaces().await? {
            let mut after: Option<ContactId> = None;
            loop {
                let page = self.store().stale_scores(ws.id, after, now, PAGE).await?;
                let Some(last) = page.last().copied() else {
                    break;
                };
                done += page.len() as u64;
                let pending = page
                    .into_iter()
                    .map(|contact| Pending {
                        contact,
                        signals: Vec::new(),
                        rescan: true,
                    })
                    .collect();
                self.score_batch(ws.id, pending).await?;
                after = Some(last);
            }
        }
        if done > 0 {
            tracing::info!(
                contacts = done,
                "rescored contacts whose scoring was interrupted by the last stop"
            );
        }
        Ok(done)
    }

    /// Scores the contacts an import made or changed, from their whole timelines (which also
    /// hands the hot ones to the queue).
    pub(crate) async fn score_imported(
        &self,
        ws: closer_domain::WorkspaceId,
        ids: Vec<ContactId>,
    ) -> Result<(), AppError> {
        if ids.is_empty() {
            return Ok(());
        }
        let pending = ids
            .into_iter()
            .map(|contact| Pending {
                contact,
                signals: Vec::new(),
                rescan: true,
            })
            .collect();
        self.score_batch(ws, pending).await
    }

    /// `rescore_stale` on a task of its own; failures are logged (the next start retries).
    pub fn spawn_stale_rescore(&self) -> tokio::task::JoinHandle<()> {
        let app = self.clone();
        tokio::spawn(async move {
            if let Err(e) = app.rescore_stale().await {
                tracing::warn!(error = %e, "rescoring contacts left stale failed");
            }
        })
    }
}
