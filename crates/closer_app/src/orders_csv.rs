//! A shop's order history as CSV (`closer order import`): every row checked and assembled
//! into orders before anything is written; pure, so the importer and the fuzzer read files
//! the same way.

use std::collections::BTreeMap;

use closer_domain::pipeline::{Amount, Currency, LineInput};
use closer_domain::{Email, Timestamp};
use serde::Deserialize;

/// Most rows a file may hold.
pub const MAX_ROWS: usize = 500_000;

/// One CSV row: a line of an order.
#[derive(Debug, Deserialize)]
struct Row {
    email: String,
    placed_at: String,
    currency: String,
    product: String,
    #[serde(default)]
    quantity: Option<String>,
    unit_price: String,
    /// Rows with the same reference are one order; without it, one order per customer, time
    /// and currency.
    #[serde(default, rename = "order")]
    reference: Option<String>,
}

/// An order assembled from its rows.
pub struct PendingOrder {
    pub email: Email,
    pub currency: Currency,
    pub placed_at: Timestamp,
    pub lines: Vec<LineInput>,
    /// The file line its first row is on.
    pub first_line: u64,
}

fn placed_at(raw: &str) -> Option<Timestamp> {
    let raw = raw.trim();
    Timestamp::parse_rfc3339(raw).or_else(|| {
        let date = closer_domain::parse_date("placed_at", raw).ok()?;
        Some(Timestamp::new(date.midnight().assume_utc()))
    })
}

fn parse_row(row: &Row) -> Result<(Email, Currency, Timestamp, LineInput), Vec<String>> {
    let mut errors = Vec::new();
    let email = Email::parse(&row.email)
        .map_err(|e| errors.push(e.to_string()))
        .ok();
    let currency = Currency::parse("currency", &row.currency)
        .map_err(|e| errors.push(e.to_string()))
        .ok();
    let at = placed_at(&row.placed_at);
    if at.is_none() {
        errors.push(format!(
            "placed_at: {:?} is not a date (YYYY-MM-DD) or an RFC 3339 time",
            row.placed_at
        ));
    }
    let price = Amount::parse("unit_price", &row.unit_price)
        .map_err(|e| errors.push(e.to_string()))
        .ok();
    let quantity = match row.quantity.as_deref().map(str::trim) {
        None | Some("") => Some(1),
        Some(q) => q
            .parse::<i64>()
            .map_err(|_| errors.push(format!("quantity: {q:?} is not a whole number")))
            .ok(),
    };
    match (email, currency, at, price, quantity) {
        (Some(email), Some(currency), Some(at), Some(unit_price), Some(quantity))
            if errors.is_empty() =>
        {
            Ok((
                email,
                currency,
                at,
                LineInput {
                    product: row.product.clone(),
                    quantity,
                    unit_price,
                },
            ))
        }
        _ => Err(errors),
    }
}

/// Reads and checks a whole orders file: the orders, or every problem with its line (the
/// file is refused whole when any row is wrong). At most `MAX_ROWS` rows.
pub fn read_orders(input: impl std::io::Read) -> Result<Vec<PendingOrder>, Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input);
    let mut orders: BTreeMap<String, PendingOrder> = BTreeMap::new();
    let mut problems = Vec::new();
    for (i, record) in reader.deserialize::<Row>().enumerate() {
        if i >= MAX_ROWS {
            return Err(vec![format!("more than {MAX_ROWS} rows; split the file")]);
        }
        // Line 1 is the header.
        let line = i as u64 + 2;
        let row = match record {
            Ok(row) => row,
            Err(e) => {
                problems.push(format!("line {line}: {e}"));
                continue;
            }
        };
        match parse_row(&row) {
            Ok((email, currency, at, item)) => {
                let key = row
                    .reference
                    .clone()
                    .filter(|r| !r.is_empty())
                    .unwrap_or_else(|| {
                        format!("{}|{}|{}", email.as_str(), at.unix_micros(), currency)
                    });
                let order = orders.entry(key).or_insert_with(|| PendingOrder {
                    email: email.clone(),
                    currency,
                    placed_at: at,
                    lines: Vec::new(),
                    first_line: line,
                });
                if order.email != email || order.currency != currency {
                    problems.push(format!(
                        "line {line}: order {:?} has another email or currency on line {}",
                        row.reference.as_deref().unwrap_or_default(),
                        order.first_line
                    ));
                }
                order.lines.push(item);
            }
            Err(errors) => {
                problems.extend(errors.into_iter().map(|e| format!("line {line}: {e}")));
            }
        }
    }
    // The lines of each order are checked as an order (quantities, products, totals).
    for order in orders.values() {
        if let Err(errors) = closer_domain::pipeline::parse_lines(&order.lines) {
            problems.extend(
                errors
                    .into_iter()
                    .map(|e| format!("order starting line {}: {e}", order.first_line)),
            );
        }
    }
    if problems.is_empty() {
        Ok(orders.into_values().collect())
    } else {
        Err(problems)
    }
}

/// How imports sign contact histories.
const IMPORT_ACTOR: &str = "import";

impl crate::pipeline::Sales {
    /// Stores checked orders: each buyer found by email or created (signed "import", scored
    /// later like any contact), then each order placed at its own time. Answers the orders and
    /// the distinct customers stored. A future `placed_at` refuses the whole batch first.
    pub async fn import_orders(
        &self,
        principal: &crate::Principal,
        orders: &[PendingOrder],
    ) -> Result<(usize, usize), crate::AppError> {
        use closer_domain::pipeline::OrderSource;
        let now = Timestamp::now();
        if let Some(late) = orders
            .iter()
            .find(|o| o.placed_at.unix_micros() > now.unix_micros())
        {
            return Err(crate::AppError::invalid(
                "placed_at",
                format!(
                    "an order starting line {} is placed in the future; nothing was imported",
                    late.first_line
                ),
            ));
        }
        principal.check(closer_domain::access::Action::EditContacts, None)?;
        let mut customers = std::collections::HashSet::new();
        for order in orders {
            let draft = closer_domain::ContactDraft {
                emails: vec![order.email.clone()],
                ..closer_domain::ContactDraft::default()
            };
            let contact = self
                .store()
                .upsert_contact(
                    principal.workspace_id,
                    closer_store::UpsertContact {
                        draft,
                        overwrite: false,
                        event: None,
                        actor: IMPORT_ACTOR.into(),
                        visitor: None,
                        now,
                    },
                )
                .await?
                .contact;
            customers.insert(contact.id);
            self.place_order(
                principal,
                crate::OrderRequest {
                    contact_id: contact.id,
                    currency: order.currency,
                    lines: order.lines.clone(),
                    placed_at: Some(order.placed_at),
                    source: OrderSource::Import,
                },
            )
            .await?;
        }
        Ok((orders.len(), customers.len()))
    }
}
