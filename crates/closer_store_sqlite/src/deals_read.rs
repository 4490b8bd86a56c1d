//! Deal reads on SQLite: one deal, the filtered list, a deal's stage history, the board, and
//! orders with their lines.

use closer_domain::pipeline::{Deal, DealId, Order, PipelineId, PipelineStageId};
use closer_domain::{ContactId, WorkspaceId};
use closer_store::{BoardColumn, DealQuery, DealSpan, StoreError};
use rusqlite::{Connection, Row, params};
use uuid::Uuid;

use crate::read::{all, params as kit_params};
use crate::rows::{get, ts};

use closer_store_sql::{DEAL_COLUMNS, OrderColumns, board_columns};

pub(crate) fn deal(row: &Row<'_>) -> Result<Deal, StoreError> {
    closer_store_sql::deal(&crate::rows::Cols(row))
}

pub(crate) fn one(conn: &Connection, ws: WorkspaceId, id: DealId) -> Result<Deal, StoreError> {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let sql = SQL.get_or_init(|| {
        format!("select {DEAL_COLUMNS} from deals where workspace_id = ?1 and id = ?2")
    });
    crate::read::one(conn, sql, [ws.0, id.0], deal)
}

pub(crate) fn list(
    conn: &Connection,
    ws: WorkspaceId,
    q: &DealQuery,
) -> Result<Vec<Deal>, StoreError> {
    let sql = closer_store_sql::deal_list(closer_store_sql::Dialect::Sqlite, ws, q);
    all(conn, &sql.text, kit_params(&sql), deal)
}

pub(crate) fn history(
    conn: &Connection,
    ws: WorkspaceId,
    id: DealId,
) -> Result<Vec<DealSpan>, StoreError> {
    one(conn, ws, id)?;
    all(
        conn,
        "select stage_id, stage_name, entered_at, left_at, changed_by from deal_stages \
         where workspace_id = ?1 and deal_id = ?2 order by entered_at, id",
        [ws.0, id.0],
        |r| {
            Ok(DealSpan {
                stage_id: PipelineStageId(get(r, "stage_id")?),
                stage_name: get(r, "stage_name")?,
                entered_at: ts(get(r, "entered_at")?)?,
                left_at: get::<Option<i64>>(r, "left_at")?.map(ts).transpose()?,
                changed_by: get(r, "changed_by")?,
            })
        },
    )
}

/// Per stage: count and totals per currency from one grouped query over the board index, then
/// each stage's most recently updated cards.
pub(crate) fn board(
    conn: &Connection,
    ws: WorkspaceId,
    pipeline: PipelineId,
    per_stage: u32,
) -> Result<Vec<BoardColumn>, StoreError> {
    let sums = all(
        conn,
        "select stage_id, currency, count(*) as n, sum(amount) as total from deals \
         where workspace_id = ?1 and pipeline_id = ?2 and status = 'open' \
         group by stage_id, currency order by stage_id, currency",
        [ws.0, pipeline.0],
        |r| {
            Ok((
                get(r, "stage_id")?,
                get(r, "currency")?,
                get(r, "n")?,
                get(r, "total")?,
            ))
        },
    )?;
    let mut columns = board_columns(sums)?;
    if per_stage > 0 {
        static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let sql = SQL.get_or_init(|| {
            format!(
                // `+` keeps the planner off the totals index (more equalities, but no order):
                // the cards index reads a stage's newest cards in order and stops at the limit.
                "select {DEAL_COLUMNS} from deals where +workspace_id = ?1 and +pipeline_id = ?2 \
                 and status = 'open' and stage_id = ?3 order by updated_at desc, id desc limit ?4"
            )
        });
        for column in &mut columns {
            column.deals = all(
                conn,
                sql,
                params![ws.0, pipeline.0, column.stage_id.0, i64::from(per_stage)],
                deal,
            )?;
        }
    }
    Ok(columns)
}

const ORDER_COLUMNS: &str =
    "id, contact_id, deal_id, currency, total, source, placed_at, created_at";

pub(crate) fn order_of(
    conn: &Connection,
    ws: WorkspaceId,
    deal: DealId,
) -> Result<Option<Order>, StoreError> {
    let sql =
        format!("select {ORDER_COLUMNS} from orders where workspace_id = ?1 and deal_id = ?2");
    let rows = all(conn, &sql, [ws.0, deal.0], order_columns)?;
    Ok(with_lines(conn, rows)?.pop())
}

/// Orders of a contact (or the workspace), newest first.
pub(crate) fn orders(
    conn: &Connection,
    ws: WorkspaceId,
    contact: Option<ContactId>,
    limit: u32,
) -> Result<Vec<Order>, StoreError> {
    // A contact's orders by the contact's index (`+` keeps SQLite off the workspace's).
    let filter = if contact.is_some() {
        "+workspace_id = ?1 and contact_id = ?2"
    } else {
        "workspace_id = ?1 and ?2 is null"
    };
    let sql = format!(
        "select {ORDER_COLUMNS} from orders where {filter} order by placed_at desc, id desc limit ?3"
    );
    let rows = all(
        conn,
        &sql,
        params![ws.0, contact.map(|c| c.0), i64::from(limit)],
        order_columns,
    )?;
    with_lines(conn, rows)
}

/// An order row, its lines to come.
fn order_columns(row: &Row<'_>) -> Result<OrderColumns, StoreError> {
    Ok(OrderColumns {
        id: get(row, "id")?,
        contact_id: get(row, "contact_id")?,
        deal_id: get(row, "deal_id")?,
        currency: get(row, "currency")?,
        total: get(row, "total")?,
        source: get(row, "source")?,
        placed_at: ts(get(row, "placed_at")?)?,
        created_at: ts(get(row, "created_at")?)?,
        lines: Vec::new(),
    })
}

/// Order rows with their lines, read for all of them in one query per 500 orders.
fn with_lines(conn: &Connection, mut rows: Vec<OrderColumns>) -> Result<Vec<Order>, StoreError> {
    let mut lines: std::collections::HashMap<Uuid, Vec<(String, i64, i64)>> =
        std::collections::HashMap::new();
    for chunk in rows.chunks(500) {
        let (list, values) = crate::read::in_list(1, chunk.iter().map(|o| o.id));
        let sql = format!(
            "select order_id, product, quantity, unit_price from order_lines \
             where order_id in ({list}) order by order_id, position"
        );
        all(conn, &sql, rusqlite::params_from_iter(values), |l| {
            lines.entry(get(l, "order_id")?).or_default().push((
                get(l, "product")?,
                get(l, "quantity")?,
                get(l, "unit_price")?,
            ));
            Ok(())
        })?;
    }
    for order in &mut rows {
        order.lines = lines.remove(&order.id).unwrap_or_default();
    }
    rows.into_iter().map(OrderColumns::into_order).collect()
}
