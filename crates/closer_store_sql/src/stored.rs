//! Stored values back as domain values, and record assembly the adapters share: orders from
//! their columns and lines, the board's columns from grouped totals, scoring pages from
//! contacts and their timelines.

use std::collections::HashMap;

use closer_domain::pipeline::{Amount, Currency, DealId, Order, PipelineStageId};
use closer_domain::qualification::Signal;
use closer_domain::{Contact, ContactId, Event, Timestamp};
use closer_store::{BoardColumn, ScoringInput, StoreError};

/// An order's columns as stored (amounts in ten-thousandths), whichever engine read them.
pub struct OrderColumns {
    pub id: uuid::Uuid,
    pub contact_id: uuid::Uuid,
    pub deal_id: Option<uuid::Uuid>,
    pub currency: String,
    pub total: i64,
    pub source: String,
    pub placed_at: Timestamp,
    pub created_at: Timestamp,
    /// `(product, quantity, unit_price)`, in order.
    pub lines: Vec<(String, i64, i64)>,
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

/// A stored amount back as an `Amount`; `Corrupt` if out of range.
pub fn stored_amount(units: i64) -> Result<Amount, StoreError> {
    Amount::from_units(units).ok_or_else(|| corrupt(format!("amount {units} out of range")))
}

/// A stored currency code back as a `Currency`.
pub fn stored_currency(raw: &str) -> Result<Currency, StoreError> {
    Currency::parse("currency", raw).map_err(corrupt)
}

impl OrderColumns {
    /// The order these columns hold; `Corrupt` if a value is out of its domain.
    pub fn into_order(self) -> Result<Order, StoreError> {
        let lines = self
            .lines
            .into_iter()
            .map(|(product, quantity, price)| {
                Ok(closer_domain::pipeline::OrderLine {
                    product,
                    quantity: u32::try_from(quantity).map_err(corrupt)?,
                    unit_price: stored_amount(price)?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(Order {
            id: closer_domain::pipeline::OrderId(self.id),
            contact_id: ContactId(self.contact_id),
            deal_id: self.deal_id.map(DealId),
            currency: stored_currency(&self.currency)?,
            lines,
            total: stored_amount(self.total)?,
            source: closer_domain::pipeline::OrderSource::parse(&self.source)
                .ok_or_else(|| corrupt(format!("order source {}", self.source)))?,
            placed_at: self.placed_at,
            created_at: self.created_at,
        })
    }
}

/// Board columns from `(stage, currency, open deals, summed amount)` rows ordered by stage:
/// the totals every engine's grouped query returns, cards still to be read.
pub fn board_columns(
    rows: impl IntoIterator<Item = (uuid::Uuid, String, i64, i64)>,
) -> Result<Vec<BoardColumn>, StoreError> {
    let mut columns: Vec<BoardColumn> = Vec::new();
    for (stage, code, count, total) in rows {
        let stage = PipelineStageId(stage);
        if columns.last().is_none_or(|c| c.stage_id != stage) {
            columns.push(BoardColumn {
                stage_id: stage,
                count: 0,
                totals: Vec::new(),
                deals: Vec::new(),
            });
        }
        let column = columns.last_mut().expect("pushed above");
        column.count += u64::try_from(count).map_err(corrupt)?;
        column
            .totals
            .push((stored_currency(&code)?, stored_amount(total)?));
    }
    Ok(columns)
}

/// Ends a page read with one contact more than `limit` (to learn whether another page
/// follows): drops the extra one and returns the `next` to hand back, if any.
pub fn end_scoring_page(contacts: &mut Vec<Contact>, limit: u32) -> Option<ContactId> {
    if contacts.len() > limit as usize {
        contacts.truncate(limit as usize);
        contacts.last().map(|c| c.id)
    } else {
        None
    }
}

/// Pairs a page of contacts with their timelines (as `timelines` returns them): for adapters
/// whose `scoring_page` is a contact list and a `timelines` call.
pub fn scoring_inputs(contacts: Vec<Contact>, events: &[Event]) -> Vec<ScoringInput> {
    let mut by_contact: HashMap<ContactId, Vec<Signal>> = HashMap::new();
    for e in events {
        if let Some(s) = Signal::from_event(e) {
            by_contact.entry(e.contact_id).or_default().push(s);
        }
    }
    contacts
        .into_iter()
        .map(|contact| ScoringInput {
            signals: by_contact.remove(&contact.id).unwrap_or_default(),
            contact,
        })
        .collect()
}
