//! `closer order import FILE.csv`: a shop's order history (repeat purchases are what retention
//! and lifetime value are measured on). Every row is checked before anything is written; a
//! file with any bad row is refused whole, each problem named by its line.

use closer_app::orders_csv::{PendingOrder, read_orders};
use closer_app::{App, OrderRequest};
use closer_domain::pipeline::OrderSource;
use closer_domain::{ContactDraft, Timestamp, WorkspaceId};
use closer_store::UpsertContact;

/// Largest file read, in bytes.
const MAX_BYTES: u64 = 64 * 1024 * 1024;
/// How imports sign contact histories.
const ACTOR: &str = "import";

/// Reads and checks the whole file: the orders, or every problem with its line.
fn read(path: &std::path::Path) -> anyhow::Result<Vec<PendingOrder>> {
    let size = std::fs::metadata(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?
        .len();
    anyhow::ensure!(
        size <= MAX_BYTES,
        "{} is larger than {} MiB; split it",
        path.display(),
        MAX_BYTES / 1024 / 1024
    );
    let file = std::fs::File::open(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    read_orders(std::io::BufReader::new(file)).map_err(|problems| {
        anyhow::anyhow!(
            "nothing was imported; fix these and run it again:\n{}",
            problems.join("\n")
        )
    })
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
