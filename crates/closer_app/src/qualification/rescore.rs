//! `closer rescore`: every contact's score recomputed from its whole timeline under the rules
//! in force (after a rules change), in pages: one query for the page's contacts, one for all
//! their timelines, one transaction for their records. Memory stays at one page.

use std::collections::HashMap;

use closer_domain::{ContactId, Event, Timestamp, WorkspaceId};
use closer_store::{ContactQuery, ContactSort};
use tokio::task::JoinHandle;

use super::score::{due_move, record_for, state_from};
use crate::{App, AppError};

const PAGE: u32 = 1000;

/// Reported after every page.
#[derive(Debug, Clone, Copy, Default)]
pub struct RescoreProgress {
    pub contacts: u64,
    pub events: u64,
    pub promoted: u64,
}

impl App {
    pub async fn count_contacts(&self, ws: WorkspaceId) -> Result<u64, AppError> {
        Ok(self.store().count_contacts(ws).await?)
    }

    /// Rescores a workspace; `progress` is called after each page.
    pub async fn rescore(
        &self,
        ws: WorkspaceId,
        mut progress: impl FnMut(RescoreProgress),
    ) -> Result<RescoreProgress, AppError> {
        let rules = self.workspace_rules(ws).await?;
        let mut done = RescoreProgress::default();
        let mut query = ContactQuery {
            sort: ContactSort::CreatedAsc,
            limit: PAGE,
            ..ContactQuery::default()
        };
        // Writing a page (one transaction, then any stage moves) overlaps reading the next.
        let mut writing: Option<JoinHandle<Result<u64, AppError>>> = None;
        loop {
            let page = self.store().list_contacts(ws, &query).await?;
            let ids: Vec<_> = page.items.iter().map(|c| c.id).collect();
            let events = self.store().timelines(ws, &ids).await?;
            let now = Timestamp::now();
            let mut by_contact: HashMap<ContactId, Vec<Event>> = HashMap::new();
            for e in events {
                by_contact.entry(e.contact_id).or_default().push(e);
            }
            let mut records = Vec::with_capacity(page.items.len());
            for contact in &page.items {
                let mine = by_contact.remove(&contact.id).unwrap_or_default();
                done.events += mine.len() as u64;
                // The store numbers versions on this bulk path.
                let state = state_from(&rules, contact, &mine);
                records.push(record_for(&rules, contact, state, 0, now));
            }
            if let Some(previous) = writing.take() {
                done.promoted += join(previous).await?;
            }
            done.contacts += page.items.len() as u64;
            progress(done);
            let moves: Vec<_> = page
                .items
                .iter()
                .zip(&records)
                .filter_map(|(contact, record)| due_move(&rules, contact, record))
                .collect();
            let app = self.clone();
            writing = Some(tokio::spawn(async move {
                app.store().put_scores(ws, &records).await?;
                let promoted = app.store().move_stages(ws, &moves, now).await?;
                Ok(promoted.len() as u64)
            }));
            match page.next {
                Some(next) => query.after = Some(next),
                None => break,
            }
        }
        if let Some(last) = writing {
            done.promoted += join(last).await?;
        }
        progress(done);
        Ok(done)
    }
}

async fn join(task: JoinHandle<Result<u64, AppError>>) -> Result<u64, AppError> {
    task.await
        .map_err(|e| AppError::Internal(format!("a rescore write task failed: {e}")))?
}
