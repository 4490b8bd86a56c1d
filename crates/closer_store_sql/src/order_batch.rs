//! A batch of orders (an import's) written once over `Engine`: the buyers checked and read,
//! the orders not stored yet found, and those written as multi-row statements — a thousand
//! orders cost a handful of statements rather than thousands. Each engine runs the
//! statements in the transaction that also moves the buyers who were not customers yet.

use std::collections::{HashMap, HashSet};

use closer_domain::pipeline::Order;
use closer_domain::{ContactId, Stage, WorkspaceId};
use closer_store::StoreError;
use uuid::Uuid;

use crate::{Dialect, Engine, Param, Sql, required};

/// Orders per multi-row statement (9 parameters each), and lines (5 each): well under both
/// engines' limits on parameters.
const ROWS: usize = 500;

/// What a batch writes: its new orders' statements, and the buyers to make customers.
pub struct OrderBatch {
    pub statements: Vec<Sql>,
    /// Buyers of new orders who are not customers yet, each with their first new order's
    /// creation (when the move is recorded), in the batch's order.
    pub to_advance: Vec<(ContactId, closer_domain::Timestamp)>,
    /// How many of the batch's orders are new. (Two imports of the same orders at once may
    /// both count one the other wrote; the statements leave it as it is.)
    pub new: u64,
}

/// Reads what writing `orders` takes. `NotFound` when an order's contact is not the
/// workspace's.
pub async fn plan_orders(
    e: &impl Engine,
    ws: WorkspaceId,
    orders: &[Order],
) -> Result<OrderBatch, StoreError> {
    let mut buyers: Vec<Uuid> = orders.iter().map(|o| o.contact_id.0).collect();
    buyers.sort_unstable();
    buyers.dedup();
    let mut stages: HashMap<ContactId, Stage> = HashMap::with_capacity(buyers.len());
    for chunk in buyers.chunks(ROWS) {
        let mut sql = Sql::new(
            e.dialect(),
            "select id, stage from contacts where workspace_id = ",
        );
        sql.bind(Param::Uuid(ws.0)).push(" and id");
        sql.bind_ids(chunk);
        for (id, stage) in e
            .fetch(sql, |r| {
                let stage = required("stage", r.text("stage")?)?;
                Ok((
                    ContactId(required("id", r.uuid("id")?)?),
                    Stage::parse(&stage).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                ))
            })
            .await?
        {
            stages.insert(id, stage);
        }
    }
    if stages.len() != buyers.len() {
        return Err(StoreError::NotFound);
    }
    let ids: Vec<closer_domain::pipeline::OrderId> = orders.iter().map(|o| o.id).collect();
    let stored: HashSet<_> = crate::import_store::existing_orders(e, ws, &ids)
        .await?
        .into_iter()
        .collect();
    let new: Vec<&Order> = orders.iter().filter(|o| !stored.contains(&o.id)).collect();
    let mut to_advance = Vec::new();
    let mut seen = HashSet::new();
    for o in &new {
        if stages[&o.contact_id] != Stage::Customer && seen.insert(o.contact_id) {
            to_advance.push((o.contact_id, o.created_at));
        }
    }
    let d = e.dialect();
    let mut statements: Vec<Sql> = new.chunks(ROWS).map(|c| insert_orders(d, ws, c)).collect();
    let lines: Vec<(&Order, usize)> = new
        .iter()
        .flat_map(|o| (0..o.lines.len()).map(move |i| (*o, i)))
        .collect();
    statements.extend(lines.chunks(ROWS).map(|c| insert_lines(d, c)));
    Ok(OrderBatch {
        statements,
        to_advance,
        new: new.len() as u64,
    })
}

fn insert_orders(d: Dialect, ws: WorkspaceId, orders: &[&Order]) -> Sql {
    let mut sql = Sql::new(
        d,
        "insert into orders (id, workspace_id, contact_id, deal_id, currency, total, source, placed_at, created_at) values ",
    );
    for (i, o) in orders.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" });
        sql.bind(Param::Uuid(o.id.0)).push(", ");
        sql.bind(Param::Uuid(ws.0)).push(", ");
        sql.bind(Param::Uuid(o.contact_id.0)).push(", ");
        sql.bind(Param::MaybeUuid(o.deal_id.map(|d| d.0)))
            .push(", ");
        sql.bind(Param::Text(o.currency.as_str().to_owned()))
            .push(", ");
        sql.bind(Param::Int(o.total.units())).push(", ");
        sql.bind(Param::Text(o.source.as_str().to_owned()))
            .push(", ");
        sql.bind(Param::Time(o.placed_at)).push(", ");
        sql.bind(Param::Time(o.created_at)).push(")");
    }
    // Written meanwhile by another import of the same orders: left as it is.
    sql.push(" on conflict do nothing");
    sql
}

fn insert_lines(d: Dialect, lines: &[(&Order, usize)]) -> Sql {
    let mut sql = Sql::new(
        d,
        "insert into order_lines (order_id, position, product, quantity, unit_price) values ",
    );
    for (i, (o, at)) in lines.iter().enumerate() {
        let l = &o.lines[*at];
        sql.push(if i == 0 { "(" } else { ", (" });
        sql.bind(Param::Uuid(o.id.0)).push(", ");
        sql.bind(Param::Int(i64::try_from(*at).unwrap_or(i64::MAX)))
            .push(", ");
        sql.bind(Param::Text(l.product.clone())).push(", ");
        sql.bind(Param::Int(i64::from(l.quantity))).push(", ");
        sql.bind(Param::Int(l.unit_price.units())).push(")");
    }
    sql.push(" on conflict do nothing");
    sql
}
