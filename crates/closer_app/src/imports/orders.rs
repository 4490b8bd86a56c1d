//! Importing a shop's order history: the file read and checked whole (`orders_csv`), the
//! orders already imported found by their ids (derived from each order's key, so a file
//! imported twice changes nothing), and each new order placed as any order is — its buyer
//! found by email or made, and made a customer.

use std::collections::HashSet;
use std::sync::Arc;

use closer_domain::access::{Action, Reach, reach};
use closer_domain::pipeline::{OrderId, OrderSource};
use closer_domain::{ContactDraft, Timestamp};
use closer_store::UpsertContact;

use super::{ImportOptions, ImportReport, ImportSummary, Imports, Source};
use crate::orders_csv::read_orders;
use crate::{AppError, OrderRequest, Principal};

/// Orders placed between progress reports.
const REPORT_EVERY: usize = 500;

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
        let file = tokio::task::spawn_blocking(move || {
            let input = source
                .open()
                .map_err(|e| AppError::invalid("file", format!("cannot be read: {e}")))?;
            read_orders(input, ws, now).map_err(|e| AppError::invalid("file", e))
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
        let actor = match &options.source_name {
            Some(name) => format!("import:{name}"),
            None => "import".to_owned(),
        };
        let total = new.len().max(1) as u64;
        for (i, order) in new.into_iter().enumerate() {
            let contact = self
                .store
                .upsert_contact(
                    ws,
                    UpsertContact {
                        draft: ContactDraft {
                            emails: vec![order.email.clone()],
                            ..ContactDraft::default()
                        },
                        overwrite: false,
                        event: None,
                        actor: actor.clone(),
                        visitor: None,
                        now,
                    },
                )
                .await?
                .contact;
            let placed = self
                .sales
                .place_order(
                    principal,
                    OrderRequest {
                        id: Some(order.id),
                        contact_id: contact.id,
                        currency: order.currency,
                        lines: order.lines,
                        placed_at: Some(order.placed_at),
                        source: OrderSource::Import,
                    },
                )
                .await;
            match placed {
                Ok(_) => {
                    summary.created += 1;
                    summary.written = true;
                }
                // Imported meanwhile (the same file twice at once): the order is there.
                Err(AppError::Conflict(_)) => summary.unchanged += 1,
                Err(e) => return Err(e),
            }
            if (i + 1) % REPORT_EVERY == 0 {
                report.progress(&summary, file.bytes * (i as u64 + 1) / total);
            }
        }
        report.progress(&summary, file.bytes);
        Ok(summary)
    }
}
