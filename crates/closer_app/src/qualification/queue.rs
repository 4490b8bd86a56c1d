//! The sales queue: open leads and prospects, hottest first, then by engagement, then fit,
//! then who has waited longest — with speed-to-lead (time since the lead arrived, to the first
//! human touch, and since a person last touched it).
//!
//! Scores decay and temperatures cool with time, so the order is computed now from each
//! contact's stored state. The candidates are every open contact stored hot (a stored
//! temperature only cools, so whoever is hot now is among them, however old) and the newest
//! `MAX_SCAN` open contacts; past that the answer says it was cut (`truncated`).

use closer_domain::qualification::{Temperature, fit, temperature};
use closer_domain::{Contact, Stage, Timestamp};
use closer_store::{ContactQuery, ContactSort, OwnerFilter};
use serde::Serialize;

use std::sync::Arc;

use closer_store::Store;

use super::WorkspaceRules;
use crate::contacts::Contacts;
use crate::pipeline::Sales;
use crate::reports::Reports;
use crate::{Access, Actor, AppError, Principal};

/// Newest open contacts the queue orders besides the hot ones.
pub const MAX_SCAN: usize = 2_000;
/// Most stored-hot contacts taken in.
const MAX_HOT: u32 = 2_000;
const PAGE: u32 = 500;

#[derive(Debug, Clone, Default)]
pub struct QueueQuery {
    /// 1–200.
    pub limit: u32,
    /// Lead or prospect; both when absent.
    pub stage: Option<Stage>,
    pub owner: Option<OwnerFilter>,
    /// Highest predicted customer value first (contacts without one after), then as usual.
    pub by_value: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueueItem {
    pub contact: Contact,
    pub temperature: Temperature,
    pub engagement: f64,
    pub fit: f64,
    /// Since the contact arrived (became a lead).
    pub waiting_seconds: i64,
    /// The latest call, email, meeting or demo logged, or stage move made by a person (not a
    /// form or a rule), if any.
    pub last_human_touch_at: Option<Timestamp>,
    pub since_human_touch_seconds: Option<i64>,
    /// The first call, email, meeting or demo (speed-to-lead), if any yet.
    pub first_touch_at: Option<Timestamp>,
    pub speed_to_lead_seconds: Option<i64>,
    /// The contact's predicted value over the next 52 weeks (a past customer's), when the
    /// queue is sorted by value and it has one.
    pub expected_value: Option<String>,
}

/// One contact's queue line from its stored state, as of `now` (touches filled later).
fn queue_item(
    rules: &closer_domain::qualification::Rules,
    company: Option<&closer_domain::Company>,
    contact: Contact,
    state: &closer_domain::qualification::ScoreState,
    now: Timestamp,
) -> QueueItem {
    QueueItem {
        temperature: temperature(rules, state, contact.stage, now).temperature,
        engagement: state.engagement(rules, now),
        fit: fit(rules, &contact, company).score,
        waiting_seconds: seconds(contact.created_at, now),
        last_human_touch_at: None,
        since_human_touch_seconds: None,
        first_touch_at: None,
        speed_to_lead_seconds: None,
        expected_value: None,
        contact,
    }
}

fn seconds(from: Timestamp, to: Timestamp) -> i64 {
    (to.unix_micros() - from.unix_micros()) / 1_000_000
}

/// The sales queue and taking a lead from it (which edits the contact and opens a task).
#[derive(Clone)]
pub struct Queue {
    store: Arc<dyn Store>,
    rules: WorkspaceRules,
    access: Access,
    contacts: Contacts,
    sales: Sales,
    reports: Reports,
}

impl Queue {
    pub(crate) fn new(
        store: Arc<dyn Store>,
        rules: WorkspaceRules,
        access: Access,
        contacts: Contacts,
        sales: Sales,
        reports: Reports,
    ) -> Self {
        Self {
            store,
            rules,
            access,
            contacts,
            sales,
            reports,
        }
    }

    pub async fn queue(
        &self,
        principal: &Principal,
        query: &QueueQuery,
    ) -> Result<(Vec<QueueItem>, bool), AppError> {
        if !(1..=200).contains(&query.limit) {
            return Err(AppError::invalid("limit", "must be between 1 and 200"));
        }
        if let Some(stage) = query.stage
            && !matches!(stage, Stage::Lead | Stage::Prospect)
        {
            return Err(AppError::invalid(
                "stage",
                "the queue holds leads and prospects only",
            ));
        }
        let ws = principal.workspace_id;
        let rules = self.rules.get(ws).await?;
        let now = Timestamp::now();
        let stages = query
            .stage
            .map_or(vec![Stage::Lead, Stage::Prospect], |s| vec![s]);
        let mut items = Vec::new();
        let mut truncated = false;
        let mut seen = std::collections::HashSet::new();
        // Whoever is stored hot, first: old leads that came back are the queue's best news.
        if query.stage.is_none() {
            let hot = self.store.stored_hot(ws, query.owner, MAX_HOT).await?;
            let contacts = self.store.contacts_by_id(ws, &hot).await?;
            let scores = self.store.scores(ws, &hot).await?;
            let companies =
                super::companies_for(self.store.as_ref(), &rules, ws, &contacts).await?;
            for contact in contacts {
                let state = scores
                    .iter()
                    .find(|r| r.contact_id == contact.id)
                    .map(|r| r.state.clone())
                    .unwrap_or_default();
                seen.insert(contact.id);
                let company = super::company_of(&companies, &contact);
                items.push(queue_item(&rules, company, contact, &state, now));
            }
        }
        let hot_count = items.len();
        'stages: for stage in stages {
            let mut list = ContactQuery {
                stage: Some(stage),
                owner: query.owner,
                sort: ContactSort::CreatedDesc,
                limit: PAGE,
                ..ContactQuery::default()
            };
            loop {
                let page = self.store.list_contacts(ws, &list).await?;
                let ids: Vec<_> = page.items.iter().map(|c| c.id).collect();
                let scores = self.store.scores(ws, &ids).await?;
                let companies =
                    super::companies_for(self.store.as_ref(), &rules, ws, &page.items).await?;
                for contact in page.items {
                    if !seen.insert(contact.id) {
                        continue;
                    }
                    let state = scores
                        .iter()
                        .find(|r| r.contact_id == contact.id)
                        .map(|r| r.state.clone())
                        .unwrap_or_default();
                    let company = super::company_of(&companies, &contact);
                    items.push(queue_item(&rules, company, contact, &state, now));
                }
                if items.len() - hot_count >= MAX_SCAN {
                    truncated = true;
                    break 'stages;
                }
                match page.next {
                    Some(next) => list.after = Some(next),
                    None => break,
                }
            }
        }
        let values: std::collections::HashMap<_, _> = if query.by_value {
            self.reports.refresh_values(ws).await?;
            let ids: Vec<_> = items.iter().map(|i| i.contact.id).collect();
            self.store
                .contact_values(ws, &ids)
                .await?
                .into_iter()
                .collect()
        } else {
            std::collections::HashMap::new()
        };
        items.sort_by(|a, b| {
            let value = |i: &QueueItem| values.get(&i.contact.id).copied();
            // `None` sorts before any value, so comparing b with a puts it last.
            value(b)
                .cmp(&value(a))
                .then(b.temperature.cmp(&a.temperature))
                .then(b.engagement.total_cmp(&a.engagement))
                .then(b.fit.total_cmp(&a.fit))
                .then(b.waiting_seconds.cmp(&a.waiting_seconds))
        });
        items.truncate(query.limit as usize);
        for item in &mut items {
            item.expected_value = values
                .get(&item.contact.id)
                .map(|v| crate::reports::money(i128::from(*v)));
        }
        let ids: Vec<_> = items.iter().map(|i| i.contact.id).collect();
        let touches = self.store.touches(ws, &ids).await?;
        for item in &mut items {
            let (first, latest, moved) = touches
                .iter()
                .find(|t| t.contact == item.contact.id)
                .map_or((None, None, None), |t| {
                    (t.first_touch_at, t.last_touch_at, t.last_human_move_at)
                });
            item.last_human_touch_at = moved.max(latest);
            item.since_human_touch_seconds = item.last_human_touch_at.map(|t| seconds(t, now));
            item.first_touch_at = first;
            item.speed_to_lead_seconds = first.map(|t| seconds(item.contact.created_at, t).max(0));
        }
        Ok((items, truncated))
    }

    /// Orders the workspace's whole queue once, as the server starts, and drops it: the
    /// reads then find the database's pages in memory, so the first person to open the queue
    /// after a start does not wait for that (about 230 ms instead of 50 at a million leads).
    /// It only reads, so it asks as the workspace's first user with every contact in view.
    pub async fn warm_queue(&self, ws: closer_domain::WorkspaceId) {
        let Ok(users) = self.access.users(ws).await else {
            return;
        };
        let Some(user) = users.first() else {
            return;
        };
        let principal = Principal {
            workspace_id: ws,
            role: closer_domain::UserRole::Admin,
            by: Actor::User(user.id),
        };
        let q = QueueQuery {
            limit: 50,
            stage: None,
            owner: None,
            by_value: false,
        };
        if let Err(e) = self.queue(&principal, &q).await {
            tracing::warn!(error = %e, "warming the queue failed");
        }
    }
}

/// How soon after "I'm on it" the follow-up task falls due.
const TAKE_DUE: std::time::Duration = std::time::Duration::from_hours(1);

impl Queue {
    /// "I'm on it": the user takes an open lead or prospect — it becomes theirs, and a
    /// follow-up task due within the hour starts the clock. Taking a contact one already owns
    /// changes nothing (a double click makes one task). A rep may take only unassigned
    /// contacts; whoever may assign contacts (a manager, an admin) may take anyone's. Of two
    /// people taking the same unassigned lead at once, one gets it and the other is told it
    /// is taken. Only a signed-in user takes leads: a token has nobody to give them to.
    pub async fn take_lead(
        &self,
        principal: &Principal,
        contact: closer_domain::ContactId,
    ) -> Result<Contact, AppError> {
        use closer_domain::access::Action;
        let ws = principal.workspace_id;
        principal.check(Action::TakeLeads, None)?;
        let Some(me) = principal.user() else {
            return Err(AppError::Forbidden(
                "leads are taken by a person signed in to the web app".into(),
            ));
        };
        // Read as it is: a rep pressing on a lead someone just took hears that it is taken.
        let current = self.store.contact(ws, contact).await?;
        if current.owner_id == Some(me) {
            return Ok(current);
        }
        let taken = if current.owner_id.is_some() && principal.may(Action::AssignContacts, None) {
            // A manager takes it over from whoever has it.
            let patch = closer_domain::ContactPatch {
                owner_id: Some(Some(me)),
                ..closer_domain::ContactPatch::default()
            };
            self.contacts
                .patch_contact(principal, contact, &patch)
                .await?
        } else {
            // One conditional write: of two people pressing at once, one gets the lead.
            match self
                .store
                .claim_contact(ws, contact, me, Timestamp::now())
                .await?
            {
                closer_store::Claim::Taken => self.store.contact(ws, contact).await?,
                closer_store::Claim::AlreadyOwned => return Ok(current),
                closer_store::Claim::OwnedByOther => {
                    return Err(AppError::Conflict(
                        "someone else is already on this contact".into(),
                    ));
                }
            }
        };
        let name = taken
            .name
            .clone()
            .or_else(|| taken.emails.first().map(|e| e.as_str().to_owned()))
            .unwrap_or_else(|| "the new lead".into());
        self.sales
            .create_task(
                principal,
                crate::pipeline::TaskRequest {
                    id: None,
                    title: format!("Call {name}"),
                    text: Some("Taken from the queue: call within the hour.".into()),
                    contact_id: Some(contact),
                    deal_id: None,
                    assignee_id: Some(me),
                    due_at: Timestamp::new(Timestamp::now().get() + TAKE_DUE),
                },
            )
            .await?;
        Ok(taken)
    }
}
