//! Importing a shop's order history: the file read and checked whole (`orders_csv`), the
//! orders already imported found by their ids (derived from each order's key, so a file
//! imported twice changes nothing), and each new order placed as any order is — its buyer
//! found by email or made, and made a customer.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use closer_domain::access::{Action, Reach, reach};
use closer_domain::contact::upsert::IdentityKind;
use closer_domain::import::plan::{ImportRow, plan_contacts};
use closer_domain::pipeline::{Order, OrderId, OrderSource, parse_lines};
use closer_domain::{ContactDraft, ContactId, Email, Stage, Timestamp, WorkspaceId};
use closer_store::{BatchKeys, StoreError};

use super::{ImportOptions, ImportReport, ImportSummary, Imports, Source};
use crate::orders_csv::{PendingOrder, read_orders};
use crate::{AppError, Principal};

/// Orders written in one transaction. Each order is still a handful of statements, and on
/// SQLite each statement inside a large transaction pays for its statement journal in
/// proportion to what the transaction has written: 70,000 rows took 8.3 s in batches of 500
/// orders, 6.0 s in batches of 50.
const ORDERS_PER_BATCH: usize = 5000;

/// Buyers made in one transaction.
const BUYERS_PER_BATCH: usize = 5000;

/// Placing orders makes their buyers customers: a role that works every deal.
pub(super) fn may_import_orders(principal: &Principal) -> Result<(), AppError> {
    super::may_import(principal)?;
    if reach(principal.role, Action::WorkDeals) == Reach::Everyone {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "importing orders needs a role that may work every deal (admin, manager)".into(),
        ))
    }
}

impl Imports {
    /// Imports an orders file (closer's columns or Shopify's order export). A file with an
    /// invalid row imports nothing unless `continue_on_error`; a dry run counts the orders
    /// that would be new and those already imported.
    pub async fn orders(
        &self,
        principal: &Principal,
        source: Arc<dyn Source>,
        options: ImportOptions,
        report: &mut dyn ImportReport,
    ) -> Result<ImportSummary, AppError> {
        may_import_orders(principal)?;
        let ws = principal.workspace_id;
        let now = Timestamp::now();
        let mapping = options.mapping.clone();
        let file = tokio::task::spawn_blocking(move || {
            let input = source
                .open()
                .map_err(|e| AppError::invalid("file", format!("cannot be read: {e}")))?;
            read_orders(input, ws, now, &mapping).map_err(|e| AppError::invalid("file", e))
        })
        .await
        .map_err(|e| AppError::Internal(format!("the orders reader stopped: {e}")))??;
        report.header(&file.headers);
        let mut summary = ImportSummary {
            rows: file.rows,
            rejected: file.rejected.len() as u64,
            ..ImportSummary::default()
        };
        for r in &file.rejected {
            report.rejected(r);
        }
        if summary.rejected > 0 && !options.continue_on_error && !options.dry_run {
            report.progress(&summary, file.bytes);
            return Ok(summary);
        }
        let ids: Vec<OrderId> = file.orders.iter().map(|o| o.id).collect();
        let stored: HashSet<OrderId> = self
            .store
            .existing_orders(ws, &ids)
            .await?
            .into_iter()
            .collect();
        summary.unchanged = stored.len() as u64;
        let new: Vec<_> = file
            .orders
            .into_iter()
            .filter(|o| !stored.contains(&o.id))
            .collect();
        if options.dry_run {
            summary.created = new.len() as u64;
            report.progress(&summary, file.bytes);
            return Ok(summary);
        }
        let actor = options.actor();
        let buyers = self.buyers(ws, &new, &actor, now).await?;
        let total = new.len().max(1) as u64;
        let mut done = 0u64;
        let mut buyers_seen = Vec::new();
        for chunk in new.chunks(ORDERS_PER_BATCH) {
            let mut orders = Vec::with_capacity(chunk.len());
            for o in chunk {
                let (lines, order_total) = parse_lines(&o.lines).map_err(AppError::Invalid)?;
                let contact_id = *buyers.get(o.email.as_str()).ok_or_else(|| {
                    AppError::Internal("an order's buyer was neither found nor made".into())
                })?;
                orders.push(Order {
                    id: o.id,
                    contact_id,
                    deal_id: None,
                    currency: o.currency,
                    lines,
                    total: order_total,
                    source: OrderSource::Import,
                    placed_at: o.placed_at,
                    created_at: now,
                });
            }
            // One imported meanwhile (the same file twice at once) is left as it is.
            let added = self.store.add_orders(ws, &orders, &actor).await?;
            summary.created += added;
            summary.unchanged += orders.len() as u64 - added;
            summary.written |= summary.created > 0;
            buyers_seen.extend(orders.iter().map(|o| o.contact_id));
            done += chunk.len() as u64;
            report.progress(&summary, file.bytes * done / total);
        }
        buyers_seen.sort_unstable_by_key(|c| c.0);
        buyers_seen.dedup();
        self.scoring.score_imported(ws, buyers_seen).await?;
        report.progress(&summary, file.bytes);
        Ok(summary)
    }
}

impl Imports {
    /// Each buyer's contact by email: found, or made a batch at a time (as a contact file's
    /// new people are) for the emails nobody holds — made customers from their first order
    /// on, since the shop's history is all closer knows of them (their orders then move
    /// nobody, and the funnel counts them when they bought, not on the day of the import).
    async fn buyers(
        &self,
        ws: WorkspaceId,
        orders: &[PendingOrder],
        actor: &str,
        now: Timestamp,
    ) -> Result<HashMap<String, ContactId>, AppError> {
        let mut first_order: HashMap<&str, Timestamp> = HashMap::new();
        for o in orders {
            first_order
                .entry(o.email.as_str())
                .and_modify(|t| *t = (*t).min(o.placed_at))
                .or_insert(o.placed_at);
        }
        let mut emails: Vec<String> = first_order.keys().map(|e| (*e).to_owned()).collect();
        emails.sort_unstable();
        let mut found: HashMap<String, ContactId> = HashMap::new();
        for chunk in emails.chunks(BUYERS_PER_BATCH) {
            let keys = BatchKeys {
                emails: chunk.to_vec(),
                ..BatchKeys::default()
            };
            let known = self.store.import_known(ws, &keys).await?;
            for ((kind, value), id) in &known.identities {
                if *kind == IdentityKind::Email {
                    found.insert(value.clone(), *id);
                }
            }
            let missing: Vec<ImportRow> = chunk
                .iter()
                .filter(|e| !found.contains_key(*e))
                .filter_map(|e| Email::parse(e).ok())
                .map(|e| ImportRow {
                    line: 0,
                    external_id: None,
                    created_at: first_order.get(e.as_str()).map(|t| (*t).min(now)),
                    draft: ContactDraft {
                        emails: vec![e],
                        stage: Some(Stage::Customer),
                        ..ContactDraft::default()
                    },
                })
                .collect();
            if missing.is_empty() {
                continue;
            }
            let plan = plan_contacts(ws, actor, missing, known, &HashSet::new(), now);
            match self.store.write_contact_import(&plan.writes).await {
                Ok(()) => {
                    for c in &plan.writes.inserts {
                        if let Some(e) = c.emails.first() {
                            found.insert(e.as_str().to_owned(), c.id);
                        }
                    }
                }
                // Someone made one of them meanwhile: each found or made alone.
                Err(StoreError::Conflict { .. }) => {
                    for c in &plan.writes.inserts {
                        let Some(e) = c.emails.first() else { continue };
                        let draft = ContactDraft {
                            emails: vec![e.clone()],
                            ..ContactDraft::default()
                        };
                        let id = self.make_person(ws, draft, actor, now).await?;
                        found.insert(e.as_str().to_owned(), id);
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(found)
    }
}
