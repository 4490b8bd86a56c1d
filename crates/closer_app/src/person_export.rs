//! Everything closer holds about one person, as one document, for access and portability
//! requests (GDPR articles 15 and 20): the record with its identities and consent, company,
//! stage history, stored scores and value, linked visitors and their sessions, the whole
//! timeline, deals, activities, tasks and orders. `closer_store::CONTACT_TABLES` names the
//! section each table of contact data lands in; the conformance suite keeps it complete.

use closer_domain::access::Action;
use closer_domain::pipeline::{Activity, Deal, Order, Task};
use closer_domain::{Company, Contact, ContactId, Event, Timestamp};
use closer_store::{Cursor, DealQuery, ScoreRecord, StageSpan, TaskQuery, Touch, VisitorLink};
use serde::Serialize;

use crate::contacts::{Contacts, readable_contact};
use crate::{AppError, Principal};

/// Timeline events read at a time.
const PAGE: u32 = 500;
/// Most deals, tasks and activities a person's export holds (far above any real person's).
const MOST: u32 = 100_000;

#[derive(Debug, Clone, Serialize)]
pub struct PersonExport {
    pub exported_at: Timestamp,
    /// Fields, emails and phones (the identities), consent, owner, company link.
    pub contact: Contact,
    pub company: Option<Company>,
    pub stage_history: Vec<StageSpan>,
    /// The record's ids in the tools it was imported from.
    pub external_ids: Vec<String>,
    /// The tags the team put on the record.
    pub tags: Vec<closer_domain::tag::Tag>,
    /// Scores and temperature as last stored, with the state they were computed from.
    pub score: Option<ScoreRecord>,
    /// Predicted value over the next 52 weeks, in 1/10,000 of the workspace's value currency
    /// (the one most orders are in), if stored.
    pub value: Option<i64>,
    pub visitors: Vec<VisitorLink>,
    /// The linked visitors' sessions (where each visit came from), oldest first.
    pub sessions: Vec<Touch>,
    /// Every event, newest first: forms, tracked events, activities, stage and deal moves,
    /// orders.
    pub timeline: Vec<Event>,
    pub deals: Vec<Deal>,
    pub activities: Vec<Activity>,
    pub tasks: Vec<Task>,
    pub orders: Vec<Order>,
}

impl Contacts {
    /// The person's whole record. Whoever may read the contact and the pipeline may export it
    /// (a rep their own contacts; admins and managers anyone).
    pub async fn export(
        &self,
        principal: &Principal,
        id: ContactId,
    ) -> Result<PersonExport, AppError> {
        let store = self.store();
        let ws = principal.workspace_id;
        let contact = readable_contact(store.as_ref(), principal, Action::ReadContacts, id).await?;
        principal.check(Action::ReadPipeline, contact.owner_id)?;
        let company = match contact.company_id {
            Some(c) => match store.company(ws, c).await {
                Ok(c) => Some(c),
                Err(closer_store::StoreError::NotFound) => None,
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        let mut timeline = Vec::new();
        let mut before: Option<Cursor> = None;
        loop {
            let page = store.contact_events(ws, id, PAGE, before).await?;
            let full = page.len() == PAGE as usize;
            before = page.last().map(|e| Cursor::new(e.occurred_at, e.id.0));
            timeline.extend(page);
            if !full {
                break;
            }
        }
        let mut deals = Vec::new();
        let mut query = DealQuery {
            contact: Some(id),
            limit: 200,
            ..DealQuery::default()
        };
        loop {
            let page = store.list_deals(ws, &query).await?;
            let full = page.len() == query.limit as usize;
            query.before = page.last().map(|d| d.id);
            deals.extend(page);
            if !full {
                break;
            }
        }
        Ok(PersonExport {
            exported_at: Timestamp::now(),
            company,
            stage_history: store.stage_history(ws, id).await?,
            score: store.score(ws, id).await?,
            value: store
                .contact_values(ws, &[id])
                .await?
                .first()
                .map(|(_, v)| *v),
            visitors: store.contact_visitors(ws, id).await?,
            external_ids: store.contact_external_ids(ws, id).await?,
            tags: store
                .tags_of(ws, closer_store::Tagged::Contacts, &[id.0])
                .await?
                .into_iter()
                .map(|(_, t)| t)
                .collect(),
            sessions: store.contact_touches(ws, id).await?,
            timeline,
            deals,
            activities: store.activities(ws, id, MOST).await?,
            tasks: store
                .list_tasks(
                    ws,
                    &TaskQuery {
                        contact: Some(id),
                        limit: MOST,
                        ..TaskQuery::default()
                    },
                )
                .await?,
            orders: store.orders(ws, Some(id), u32::MAX).await?,
            contact,
        })
    }
}
