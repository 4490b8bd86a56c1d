//! `closer order import FILE.csv`: a shop's order history (repeat purchases are what retention
//! and lifetime value are measured on). Every row is checked before anything is written; a
//! file with any bad row is refused whole, each problem named by its line.

use std::collections::BTreeMap;

use closer_app::{App, OrderRequest};
use closer_domain::pipeline::{Amount, Currency, LineInput, OrderSource};
use closer_domain::{ContactDraft, Email, Timestamp, WorkspaceId};
use closer_store::UpsertContact;
use serde::Deserialize;

/// Largest file read, in bytes, and most rows.
const MAX_BYTES: u64 = 64 * 1024 * 1024;
const MAX_ROWS: usize = 500_000;
/// How imports sign contact histories.
const ACTOR: &str = "import";

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
struct Pending {
    email: Email,
    currency: Currency,
    placed_at: Timestamp,
    lines: Vec<LineInput>,
    first_line: u64,
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

/// Reads and checks the whole file: the orders, or every problem with its line.
fn read(path: &std::path::Path) -> anyhow::Result<Vec<Pending>> {
    let size = std::fs::metadata(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?
        .len();
    anyhow::ensure!(
        size <= MAX_BYTES,
        "{} is larger than {} MiB; split it",
        path.display(),
        MAX_BYTES / 1024 / 1024
    );
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let mut orders: BTreeMap<String, Pending> = BTreeMap::new();
    let mut problems = Vec::new();
    for (i, record) in reader.deserialize::<Row>().enumerate() {
        if i >= MAX_ROWS {
            anyhow::bail!("more than {MAX_ROWS} rows; split the file");
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
                let order = orders.entry(key).or_insert_with(|| Pending {
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
    if !problems.is_empty() {
        anyhow::bail!(
            "nothing was imported; fix these and run it again:\n{}",
            problems.join("\n")
        );
    }
    Ok(orders.into_values().collect())
}

pub async fn orders(app: &App, ws: WorkspaceId, path: &std::path::Path) -> anyhow::Result<()> {
    let orders = read(path)?;
    let now = Timestamp::now();
    let mut customers = std::collections::HashSet::new();
    for order in &orders {
        anyhow::ensure!(
            order.placed_at.unix_micros() <= now.unix_micros(),
            "an order starting line {} is placed in the future; nothing was imported",
            order.first_line
        );
    }
    for order in &orders {
        let draft = ContactDraft {
            emails: vec![order.email.clone()],
            ..ContactDraft::default()
        };
        let contact = app
            .store()
            .upsert_contact(
                ws,
                UpsertContact {
                    draft,
                    overwrite: false,
                    event: None,
                    actor: ACTOR.into(),
                    visitor: None,
                    now,
                },
            )
            .await?
            .contact;
        customers.insert(contact.id);
        app.place_order(
            &closer_app::Principal::operator(ws),
            OrderRequest {
                contact_id: contact.id,
                currency: order.currency,
                lines: order.lines.clone(),
                placed_at: Some(order.placed_at),
                source: OrderSource::Import,
            },
        )
        .await?;
    }
    outln!(
        "imported {} orders of {} customers",
        orders.len(),
        customers.len()
    );
    Ok(())
}
