//! `closer rescore`: every contact's score recomputed from its whole timeline under the rules
//! in force (after a rules change), in pages: one read for the page's contacts and their
//! signals, one transaction for their records. Memory stays at a few pages.

use closer_domain::{ContactId, Timestamp, WorkspaceId};
use closer_store::ScoringPage;
use tokio::task::JoinHandle;

use super::Scoring;
use super::score::{due_move, record_for, replay_signals};
use crate::AppError;

const PAGE: u32 = 1000;

/// Reported after every page.
#[derive(Debug, Clone, Copy, Default)]
pub struct RescoreProgress {
    pub contacts: u64,
    pub events: u64,
    pub promoted: u64,
}

impl Scoring {
    pub async fn count_contacts(&self, ws: WorkspaceId) -> Result<u64, AppError> {
        Ok(self.store().count_contacts(ws).await?)
    }

    /// Rescores a workspace; `progress` is called after each page.
    pub async fn rescore(
        &self,
        ws: WorkspaceId,
        mut progress: impl FnMut(RescoreProgress),
    ) -> Result<RescoreProgress, AppError> {
        let rules = self.workspace_rules_cache().get(ws).await?;
        let mut done = RescoreProgress::default();
        // Three stages overlap: reading the next page, scoring this one, and writing the last
        // one (one transaction, then any stage moves).
        let mut reading = Some(self.read_page(ws, None));
        let mut writing: Option<JoinHandle<Result<u64, AppError>>> = None;
        while let Some(read) = reading.take() {
            let page = join(read).await?;
            if let Some(next) = page.next {
                reading = Some(self.read_page(ws, Some(next)));
            }
            let companies = super::companies_for(
                self.store().as_ref(),
                &rules,
                ws,
                page.items.iter().map(|i| &i.contact),
            )
            .await?;
            let now = Timestamp::now();
            let mut records = Vec::with_capacity(page.items.len());
            let mut moves = Vec::new();
            for input in page.items {
                done.events += input.signals.len() as u64;
                let (state, _) = replay_signals(&rules, &input.contact, input.signals);
                // The store numbers versions on this bulk path.
                let company = super::company_of(&companies, &input.contact);
                let record = record_for(&rules, &input.contact, company, state, 0, now);
                moves.extend(due_move(&rules, &input.contact, &record));
                records.push(record);
            }
            if let Some(previous) = writing.take() {
                done.promoted += join(previous).await?;
            }
            done.contacts += records.len() as u64;
            progress(done);
            let app = self.clone();
            writing = Some(tokio::spawn(async move {
                // Both handed over at once: on SQLite the writer commits them together, one
                // commit a page instead of two. (The moves do not depend on the records.)
                let store = app.store();
                let (put, promoted) = tokio::join!(
                    store.put_scores(ws, &records),
                    store.move_stages(ws, &moves, now)
                );
                put?;
                Ok(promoted?.len() as u64)
            }));
        }
        if let Some(last) = writing {
            done.promoted += join(last).await?;
        }
        progress(done);
        Ok(done)
    }

    fn read_page(
        &self,
        ws: WorkspaceId,
        after: Option<ContactId>,
    ) -> JoinHandle<Result<ScoringPage, AppError>> {
        let app = self.clone();
        tokio::spawn(async move { Ok(app.store().scoring_page(ws, after, PAGE).await?) })
    }
}

async fn join<T>(task: JoinHandle<Result<T, AppError>>) -> Result<T, AppError> {
    task.await
        .map_err(|e| AppError::Internal(format!("a rescore task failed: {e}")))?
}
