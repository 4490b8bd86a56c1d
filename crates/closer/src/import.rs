//! `closer order import FILE.csv`: a shop's order history (repeat purchases are what retention
//! and lifetime value are measured on). Every row is checked before anything is written; a
//! file with any bad row is refused whole, each problem named by its line.

use closer_app::App;
use closer_app::orders_csv::{PendingOrder, read_orders};
use closer_domain::WorkspaceId;

/// Largest file read, in bytes.
const MAX_BYTES: u64 = 64 * 1024 * 1024;

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
    let (stored, customers) = app
        .sales()
        .import_orders(&closer_app::Principal::operator(ws), &orders)
        .await?;
    outln!("imported {stored} orders of {customers} customers");
    Ok(())
}
