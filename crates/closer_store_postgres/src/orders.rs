//! Orders on PostgreSQL, read with their lines: a deal's, a contact's, the workspace's.

use closer_domain::pipeline::{DealId, Order};
use closer_domain::{ContactId, WorkspaceId};
use closer_store::StoreError;
use sqlx::PgPool;
use sqlx::postgres::PgRow;
use uuid::Uuid;

use crate::error::db_err;
use crate::rows::{get, ts};

use closer_store_sql::OrderColumns;

pub(crate) const ORDER_COLUMNS: &str =
    "id, contact_id, deal_id, currency, total, source, placed_at, created_at";

pub(crate) async fn order_of(
    pool: &PgPool,
    ws: WorkspaceId,
    deal: DealId,
) -> Result<Option<Order>, StoreError> {
    let sql =
        format!("select {ORDER_COLUMNS} from orders where workspace_id = $1 and deal_id = $2");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(ws.0)
        .bind(deal.0)
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    Ok(with_lines(pool, &rows).await?.pop())
}

/// Orders of a contact (or the workspace), newest first.
pub(crate) async fn orders(
    pool: &PgPool,
    ws: WorkspaceId,
    contact: Option<ContactId>,
    limit: u32,
) -> Result<Vec<Order>, StoreError> {
    let sql = format!(
        "select {ORDER_COLUMNS} from orders where workspace_id = $1 and ($2::uuid is null or contact_id = $2) \
         order by placed_at desc, id desc limit $3"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(ws.0)
        .bind(contact.map(|c| c.0))
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    with_lines(pool, &rows).await
}

/// Order rows with their lines, read for all of them in one query.
async fn with_lines(pool: &PgPool, rows: &[PgRow]) -> Result<Vec<Order>, StoreError> {
    let ids: Vec<Uuid> = rows
        .iter()
        .map(|r| get(r, "id"))
        .collect::<Result<_, _>>()?;
    let mut lines: std::collections::HashMap<Uuid, Vec<(String, i64, i64)>> =
        std::collections::HashMap::new();
    let found = sqlx::query(
        "select order_id, product, quantity, unit_price from order_lines where order_id = any($1) \
         order by order_id, position",
    )
    .bind(&ids)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    for l in &found {
        lines.entry(get(l, "order_id")?).or_default().push((
            get(l, "product")?,
            i64::from(get::<i32>(l, "quantity")?),
            get(l, "unit_price")?,
        ));
    }
    rows.iter()
        .map(|row| {
            let id: Uuid = get(row, "id")?;
            OrderColumns {
                id,
                contact_id: get(row, "contact_id")?,
                deal_id: get(row, "deal_id")?,
                currency: get(row, "currency")?,
                total: get(row, "total")?,
                source: get(row, "source")?,
                placed_at: ts(row, "placed_at")?,
                created_at: ts(row, "created_at")?,
                lines: lines.remove(&id).unwrap_or_default(),
            }
            .into_order()
        })
        .collect()
}
