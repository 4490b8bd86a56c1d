//! `closer rescore`: every contact's score recomputed from its whole timeline under the rules
//! in force (after a rules change), in pages: one query for the page's contacts, one for all
//! their timelines, one transaction for their records. Memory stays at one page.

use std::collections::HashMap;

use closer_domain::{ContactId, Event, Timestamp, WorkspaceId};
use closer_store::{ContactQuery, ContactSort};

use super::score::{record_for, state_from};
use crate::{App, AppError};

const PAGE: u32 = 200;

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
        loop {
            let page = self.store().list_contacts(ws, &query).await?;
            let ids: Vec<_> = page.items.iter().map(|c| c.id).collect();
            let events = self.store().timelines(ws, &ids).await?;
            let now = Timestamp::now();
            let existing = self.store().scores(ws, &ids).await?;
            let mut by_contact: HashMap<ContactId, Vec<Event>> = HashMap::new();
            for e in events {
                by_contact.entry(e.contact_id).or_default().push(e);
            }
            let mut records = Vec::with_capacity(page.items.len());
            for contact in &page.items {
                let mine = by_contact.remove(&contact.id).unwrap_or_default();
                let version = existing
                    .iter()
                    .find(|r| r.contact_id == contact.id)
                    .map_or(1, |r| r.version + 1);
                done.events += mine.len() as u64;
                records.push(record_for(
                    &rules,
                    contact,
                    state_from(&rules, contact, &mine),
                    version,
                    now,
                ));
            }
            self.store().put_scores(ws, &records).await?;
            for (contact, record) in page.items.iter().zip(&records) {
                if self.advance_stage(&rules, contact, record, now).await? {
                    done.promoted += 1;
                }
            }
            done.contacts += page.items.len() as u64;
            progress(done);
            match page.next {
                Some(next) => query.after = Some(next),
                None => return Ok(done),
            }
        }
    }
}
