//! A workspace's records out, as CSV or JSON lines, a page at a time so memory stays flat
//! however many there are: contacts, companies, deals, activities, tasks and orders. The columns are documented in the
//! README and named as `closer_domain::import` reads them back. CSV cells never hold a live
//! spreadsheet formula (`csv_cell::neutralise`).

use closer_domain::access::Action;
use closer_domain::csv_cell::neutralise;
use closer_domain::pipeline::{Activity, Deal, DealId, Order, Task};
use closer_domain::{Company, Contact};
use std::sync::Arc;

use closer_store::{CompanyQuery, ContactQuery, ContactSort, DealQuery, Store};
use serde_json::json;

use crate::{AppError, Principal};

/// Records read at a time.
const PAGE: u32 = 1_000;

/// What can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Contacts,
    Companies,
    Deals,
    Activities,
    Tasks,
    Orders,
}

impl Entity {
    pub const ALL: [Entity; 6] = [
        Entity::Contacts,
        Entity::Companies,
        Entity::Deals,
        Entity::Activities,
        Entity::Tasks,
        Entity::Orders,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Contacts => "contacts",
            Self::Companies => "companies",
            Self::Deals => "deals",
            Self::Activities => "activities",
            Self::Tasks => "tasks",
            Self::Orders => "orders",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == raw)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Jsonl,
}

const CONTACT_HEADER: &[&str] = &[
    "id",
    "name",
    "emails",
    "phones",
    "company",
    "company_id",
    "job_title",
    "stage",
    "owner_id",
    "consent",
    "consent_at",
    "consent_source",
    "created_at",
    "updated_at",
    "properties",
];
const COMPANY_HEADER: &[&str] = &[
    "id",
    "name",
    "domains",
    "employees",
    "industry",
    "country",
    "owner_id",
    "created_at",
    "updated_at",
    "properties",
];
const DEAL_HEADER: &[&str] = &[
    "id",
    "title",
    "contact_id",
    "company_id",
    "pipeline_id",
    "stage_id",
    "status",
    "amount",
    "currency",
    "expected_close",
    "owner_id",
    "source",
    "loss_reason",
    "objection",
    "closed_at",
    "created_at",
    // Names, so the deals import into another workspace whose pipelines have other ids.
    "pipeline",
    "stage",
];

const ACTIVITY_HEADER: &[&str] = &[
    "id",
    "contact_id",
    "deal_id",
    "kind",
    "occurred_at",
    "owner_id",
    "outcome",
    "text",
    "created_at",
    // The deal's title, so activities find their deal in another workspace.
    "deal",
];
const TASK_HEADER: &[&str] = &[
    "id",
    "kind",
    "title",
    "text",
    "contact_id",
    "deal_id",
    "assignee_id",
    "due_at",
    "status",
    "done_at",
    "created_at",
    // The deal's title, so tasks find their deal in another workspace.
    "deal",
];
const ORDER_HEADER: &[&str] = &[
    "id",
    "contact_id",
    "deal_id",
    "currency",
    "total",
    "source",
    "placed_at",
    "created_at",
    "lines",
];

fn activity_cells(a: &Activity, deals: &std::collections::HashMap<DealId, String>) -> Vec<String> {
    vec![
        a.id.to_string(),
        a.contact_id.to_string(),
        opt(a.deal_id),
        a.kind.as_str().to_owned(),
        a.occurred_at.to_string(),
        opt(a.owner_id),
        a.outcome.clone().unwrap_or_default(),
        a.text.clone().unwrap_or_default(),
        a.created_at.to_string(),
        a.deal_id
            .and_then(|d| deals.get(&d).cloned())
            .unwrap_or_default(),
    ]
}

/// The titles of `deals` not in `titles` yet, read once each (a deal gone meanwhile has none).
async fn deal_titles(
    store: &dyn closer_store::Store,
    ws: closer_domain::WorkspaceId,
    deals: impl Iterator<Item = DealId>,
    titles: &mut std::collections::HashMap<DealId, String>,
) -> Result<(), AppError> {
    for d in deals {
        if let std::collections::hash_map::Entry::Vacant(slot) = titles.entry(d) {
            match store.deal(ws, d).await {
                Ok(deal) => {
                    slot.insert(deal.title);
                }
                Err(closer_store::StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(())
}

fn task_cells(t: &Task, deals: &std::collections::HashMap<DealId, String>) -> Vec<String> {
    vec![
        t.id.to_string(),
        t.kind.as_str().to_owned(),
        t.title.clone(),
        t.text.clone().unwrap_or_default(),
        opt(t.contact_id),
        opt(t.deal_id),
        opt(t.assignee_id),
        t.due_at.to_string(),
        t.status.as_str().to_owned(),
        opt(t.done_at),
        t.created_at.to_string(),
        t.deal_id
            .and_then(|d| deals.get(&d).cloned())
            .unwrap_or_default(),
    ]
}

fn order_cells(o: &Order) -> Vec<String> {
    let lines: Vec<_> = o
        .lines
        .iter()
        .map(|l| json!({"product": l.product, "quantity": l.quantity, "unit_price": l.unit_price.to_string()}))
        .collect();
    vec![
        o.id.to_string(),
        o.contact_id.to_string(),
        opt(o.deal_id),
        o.currency.to_string(),
        o.total.to_string(),
        o.source.as_str().to_owned(),
        o.placed_at.to_string(),
        o.created_at.to_string(),
        serde_json::Value::Array(lines).to_string(),
    ]
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn contact_cells(c: &Contact) -> Vec<String> {
    vec![
        c.id.to_string(),
        c.name.clone().unwrap_or_default(),
        c.emails
            .iter()
            .map(closer_domain::Email::as_str)
            .collect::<Vec<_>>()
            .join(";"),
        c.phones
            .iter()
            .map(closer_domain::Phone::as_str)
            .collect::<Vec<_>>()
            .join(";"),
        c.company.clone().unwrap_or_default(),
        opt(c.company_id),
        c.job_title.clone().unwrap_or_default(),
        c.stage.as_str().to_owned(),
        opt(c.owner_id),
        opt(c
            .consent
            .as_ref()
            .map(|k| if k.granted { "granted" } else { "refused" })),
        opt(c.consent.as_ref().map(|k| k.at)),
        c.consent
            .as_ref()
            .and_then(|k| k.source.clone())
            .unwrap_or_default(),
        c.created_at.to_string(),
        c.updated_at.to_string(),
        serde_json::Value::Object(c.properties.clone()).to_string(),
    ]
}

fn company_cells(c: &Company) -> Vec<String> {
    vec![
        c.id.to_string(),
        c.name.clone(),
        c.domains
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(";"),
        opt(c.employees),
        c.industry.clone().unwrap_or_default(),
        c.country.clone().unwrap_or_default(),
        opt(c.owner_id),
        c.created_at.to_string(),
        c.updated_at.to_string(),
        serde_json::Value::Object(c.properties.clone()).to_string(),
    ]
}

/// Each pipeline's and stage's name by id.
struct Names(std::collections::HashMap<uuid::Uuid, String>);

fn deal_cells(d: &Deal, names: &Names) -> Vec<String> {
    let name = |id: uuid::Uuid| names.0.get(&id).cloned().unwrap_or_default();
    vec![
        d.id.to_string(),
        d.title.clone(),
        d.contact_id.to_string(),
        opt(d.company_id),
        d.pipeline_id.to_string(),
        d.stage_id.to_string(),
        d.status.as_str().to_owned(),
        d.amount.to_string(),
        d.currency.to_string(),
        opt(d.expected_close.map(closer_domain::date_text)),
        opt(d.owner_id),
        d.source.clone().unwrap_or_default(),
        opt(d.loss.as_ref().map(|l| l.reason.clone())),
        opt(d.loss.as_ref().and_then(|l| l.objection.clone())),
        opt(d.closed_at),
        d.created_at.to_string(),
        name(d.pipeline_id.0),
        name(d.stage_id.0),
    ]
}

/// Turns records into the format's text, one page at a time.
struct Writer {
    format: Format,
}

impl Writer {
    fn header(&self, header: &[&str]) -> Result<String, AppError> {
        match self.format {
            Format::Csv => Self::csv_rows(std::iter::once(
                header.iter().map(|h| (*h).to_owned()).collect(),
            )),
            Format::Jsonl => Ok(String::new()),
        }
    }

    fn csv_rows(rows: impl Iterator<Item = Vec<String>>) -> Result<String, AppError> {
        let mut out = csv::Writer::from_writer(Vec::new());
        for row in rows {
            out.write_record(row.iter().map(|c| neutralise(c).into_owned()))
                .map_err(|e| AppError::Internal(format!("writing CSV: {e}")))?;
        }
        let bytes = out
            .into_inner()
            .map_err(|e| AppError::Internal(format!("writing CSV: {e}")))?;
        String::from_utf8(bytes).map_err(|e| AppError::Internal(format!("writing CSV: {e}")))
    }

    fn page<T: serde::Serialize>(
        &self,
        items: &[T],
        cells: impl Fn(&T) -> Vec<String>,
    ) -> Result<String, AppError> {
        match self.format {
            Format::Csv => Self::csv_rows(items.iter().map(cells)),
            Format::Jsonl => {
                let mut out = String::new();
                for item in items {
                    out.push_str(
                        &serde_json::to_string(&json!(item))
                            .map_err(|e| AppError::Internal(format!("writing JSON: {e}")))?,
                    );
                    out.push('\n');
                }
                Ok(out)
            }
        }
    }
}

/// Exports: the workspace's records as files.
#[derive(Clone)]
pub struct Exports {
    store: Arc<dyn Store>,
}

impl Exports {
    pub(crate) fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// Sends every record of `entity` the principal may read to `out`, a page at a time: a
    /// header line (CSV), then the records, oldest first for contacts, newest first for
    /// companies and deals. The channel's bound keeps memory flat; its reader going away ends
    /// the export. Answers how many records were sent.
    pub async fn write(
        &self,
        principal: &Principal,
        entity: Entity,
        format: Format,
        out: tokio::sync::mpsc::Sender<String>,
    ) -> Result<u64, AppError> {
        export(self.store.as_ref(), principal, entity, format, None, out).await
    }

    /// `write` for the contacts a list's filters (a saved view's) match, as far as the
    /// principal reaches.
    pub async fn write_contacts(
        &self,
        principal: &Principal,
        filters: &ContactQuery,
        format: Format,
        out: tokio::sync::mpsc::Sender<String>,
    ) -> Result<u64, AppError> {
        export(
            self.store.as_ref(),
            principal,
            Entity::Contacts,
            format,
            Some(filters),
            out,
        )
        .await
    }
}

async fn export(
    store: &dyn Store,
    principal: &Principal,
    entity: Entity,
    format: Format,
    filters: Option<&ContactQuery>,
    out: tokio::sync::mpsc::Sender<String>,
) -> Result<u64, AppError> {
    let sink = |chunk: String| {
        let out = out.clone();
        async move { out.send(chunk).await.is_ok() }
    };
    let ws = principal.workspace_id;
    let w = Writer { format };
    let mut written = 0u64;
    match entity {
        Entity::Contacts => {
            principal.check(Action::ReadContacts, principal.user())?;
            if !sink(w.header(CONTACT_HEADER)?).await {
                return Ok(0);
            }
            let mut q = ContactQuery {
                sort: ContactSort::CreatedAsc,
                limit: PAGE,
                after: None,
                ..filters.cloned().unwrap_or_default()
            };
            // A rep exports their own contacts, or the unassigned ones when the filters ask.
            if closer_domain::access::reach(principal.role, Action::ReadContacts)
                == closer_domain::access::Reach::Own
                && q.owner != Some(closer_store::OwnerFilter::Unassigned)
            {
                q.owner = principal.user().map(closer_store::OwnerFilter::User);
            }
            loop {
                let page = store.list_contacts(ws, &q).await?;
                written += page.items.len() as u64;
                if !sink(w.page(&page.items, contact_cells)?).await {
                    break;
                }
                match page.next {
                    Some(next) => q.after = Some(next),
                    None => break,
                }
            }
        }
        Entity::Companies => {
            principal.check(Action::ReadContacts, principal.user())?;
            if !sink(w.header(COMPANY_HEADER)?).await {
                return Ok(0);
            }
            let mut q = CompanyQuery {
                limit: PAGE,
                ..CompanyQuery::default()
            };
            loop {
                let page = store.list_companies(ws, &q).await?;
                written += page.items.len() as u64;
                if !sink(w.page(&page.items, company_cells)?).await {
                    break;
                }
                match page.next {
                    Some(next) => q.after = Some(next),
                    None => break,
                }
            }
        }
        Entity::Deals => {
            principal.check(Action::ReadPipeline, principal.user())?;
            if !sink(w.header(DEAL_HEADER)?).await {
                return Ok(0);
            }
            let names = Names(
                store
                    .pipelines(
                        ws,
                        &closer_domain::pipeline::default_pipeline(),
                        &closer_domain::pipeline::default_loss_reasons(),
                        closer_domain::Timestamp::now(),
                    )
                    .await?
                    .into_iter()
                    .flat_map(|p| {
                        let stages: Vec<_> =
                            p.stages.into_iter().map(|s| (s.id.0, s.name)).collect();
                        std::iter::once((p.id.0, p.name)).chain(stages)
                    })
                    .collect(),
            );
            let mut q = DealQuery {
                limit: PAGE,
                owner: match closer_domain::access::reach(principal.role, Action::ReadPipeline) {
                    closer_domain::access::Reach::Own => principal.user(),
                    _ => None,
                },
                ..DealQuery::default()
            };
            loop {
                let page = store.list_deals(ws, &q).await?;
                let full = page.len() == PAGE as usize;
                written += page.len() as u64;
                q.before = page.last().map(|d| d.id);
                if !sink(w.page(&page, |d| deal_cells(d, &names))?).await || !full {
                    break;
                }
            }
        }
        Entity::Activities | Entity::Tasks | Entity::Orders => {
            // The whole workspace's work: for those who see everyone's.
            if closer_domain::access::reach(principal.role, Action::ReadPipeline)
                != closer_domain::access::Reach::Everyone
            {
                return Err(AppError::Forbidden(format!(
                    "exporting every {} is for managers and admins",
                    entity.as_str().trim_end_matches('s')
                )));
            }
            let header = match entity {
                Entity::Activities => ACTIVITY_HEADER,
                Entity::Tasks => TASK_HEADER,
                _ => ORDER_HEADER,
            };
            if !sink(w.header(header)?).await {
                return Ok(0);
            }
            let mut after: Option<closer_store::Cursor> = None;
            // The titles of the deals activities name, read once each.
            let mut titles: std::collections::HashMap<DealId, String> =
                std::collections::HashMap::new();
            loop {
                let (chunk, n, last) = match entity {
                    Entity::Activities => {
                        let page = store.activities_after(ws, after, PAGE).await?;
                        let last = page
                            .last()
                            .map(|a| closer_store::Cursor::new(a.created_at, a.id.0));
                        deal_titles(
                            store,
                            ws,
                            page.iter().filter_map(|a| a.deal_id),
                            &mut titles,
                        )
                        .await?;
                        (
                            w.page(&page, |a| activity_cells(a, &titles))?,
                            page.len(),
                            last,
                        )
                    }
                    Entity::Tasks => {
                        let page = store.tasks_after(ws, after, PAGE).await?;
                        let last = page
                            .last()
                            .map(|t| closer_store::Cursor::new(t.created_at, t.id.0));
                        deal_titles(
                            store,
                            ws,
                            page.iter().filter_map(|t| t.deal_id),
                            &mut titles,
                        )
                        .await?;
                        (w.page(&page, |t| task_cells(t, &titles))?, page.len(), last)
                    }
                    _ => {
                        let page = store.orders_after(ws, after, PAGE).await?;
                        let last = page
                            .last()
                            .map(|o| closer_store::Cursor::new(o.created_at, o.id.0));
                        (w.page(&page, order_cells)?, page.len(), last)
                    }
                };
                written += n as u64;
                if !sink(chunk).await || n < PAGE as usize {
                    break;
                }
                after = last;
            }
        }
    }
    Ok(written)
}
