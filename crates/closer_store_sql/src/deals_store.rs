//! Pipelines, loss reasons, deals and orders: the reads, written once over `Engine`. Deal
//! writes lock or order their rows differently per engine and stay in the adapters.

use std::collections::HashMap;

use closer_domain::pipeline::{
    Deal, DealId, Forecast, LossReason, Order, Pipeline, PipelineId, PipelineStage,
    PipelineStageId, StageKind,
};
use closer_domain::{ContactId, WorkspaceId};
use closer_store::{BoardColumn, DealQuery, DealSpan, StoreError};
use uuid::Uuid;

use crate::{Columns, DEAL_COLUMNS, Engine, OrderColumns, Param, Sql, board_columns, required};

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn text(r: &dyn Columns, column: &str) -> Result<String, StoreError> {
    required(column, r.text(column)?)
}

fn small<T: TryFrom<i64>>(r: &dyn Columns, column: &str) -> Result<T, StoreError>
where
    T::Error: std::fmt::Display,
{
    T::try_from(required(column, r.integer(column)?)?).map_err(corrupt)
}

/// One row per stage, its pipeline's columns repeated.
fn pipeline_row(r: &dyn Columns) -> Result<(Pipeline, PipelineStage), StoreError> {
    let pipeline = Pipeline {
        id: PipelineId(required("pipeline_id", r.uuid("pipeline_id")?)?),
        name: text(r, "pipeline_name")?,
        is_default: required("is_default", r.boolean("is_default")?)?,
        stages: Vec::new(),
    };
    let stage = PipelineStage {
        id: PipelineStageId(required("id", r.uuid("id")?)?),
        name: text(r, "name")?,
        position: small(r, "position")?,
        probability: small(r, "probability")?,
        forecast: Forecast::parse(&text(r, "forecast")?).map_err(corrupt)?,
        kind: StageKind::parse(&text(r, "kind")?).map_err(corrupt)?,
    };
    Ok((pipeline, stage))
}

/// The workspace's pipelines, the default first, then by name.
pub async fn pipelines(e: &impl Engine, ws: WorkspaceId) -> Result<Vec<Pipeline>, StoreError> {
    let sql = e.sql(
        "select p.id as pipeline_id, p.name as pipeline_name, p.is_default, s.id, s.name, \
           s.position, s.probability, s.forecast, s.kind \
         from pipelines p join pipeline_stages s on s.pipeline_id = p.id \
         where p.workspace_id = $1 order by p.is_default desc, p.name, p.id, s.position",
        [ws.0.into()],
    );
    let mut out: Vec<Pipeline> = Vec::new();
    for (pipeline, stage) in e.fetch(sql, pipeline_row).await? {
        if out.last().is_none_or(|p| p.id != pipeline.id) {
            out.push(pipeline);
        }
        out.last_mut().expect("pushed above").stages.push(stage);
    }
    Ok(out)
}

pub async fn loss_reasons(e: &impl Engine, ws: WorkspaceId) -> Result<Vec<LossReason>, StoreError> {
    let sql = e.sql(
        "select key, label from loss_reasons where workspace_id = $1 order by position",
        [ws.0.into()],
    );
    e.fetch(sql, |r| {
        Ok(LossReason {
            key: text(r, "key")?,
            label: text(r, "label")?,
        })
    })
    .await
}

pub async fn deal(e: &impl Engine, ws: WorkspaceId, id: DealId) -> Result<Deal, StoreError> {
    let sql = e.sql(
        &format!("select {DEAL_COLUMNS} from deals where workspace_id = $1 and id = $2"),
        [ws.0.into(), id.0.into()],
    );
    e.fetch_one(sql, |r| crate::deal(r)).await
}

pub async fn list_deals(
    e: &impl Engine,
    ws: WorkspaceId,
    q: &DealQuery,
) -> Result<Vec<Deal>, StoreError> {
    e.fetch(crate::deal_list(e.dialect(), ws, q), |r| crate::deal(r))
        .await
}

/// A deal's stays, oldest first; `NotFound` for a deal not in the workspace.
pub async fn deal_history(
    e: &impl Engine,
    ws: WorkspaceId,
    id: DealId,
) -> Result<Vec<DealSpan>, StoreError> {
    deal(e, ws, id).await?;
    let sql = e.sql(
        "select stage_id, stage_name, entered_at, left_at, changed_by from deal_stages \
         where workspace_id = $1 and deal_id = $2 order by entered_at, id",
        [ws.0.into(), id.0.into()],
    );
    e.fetch(sql, |r| {
        Ok(DealSpan {
            stage_id: PipelineStageId(required("stage_id", r.uuid("stage_id")?)?),
            stage_name: text(r, "stage_name")?,
            entered_at: required("entered_at", r.timestamp("entered_at")?)?,
            left_at: r.timestamp("left_at")?,
            changed_by: text(r, "changed_by")?,
        })
    })
    .await
}

/// Per stage: count and totals per currency from one grouped query over the board index, then
/// each stage's most recently updated cards.
pub async fn board(
    e: &impl Engine,
    ws: WorkspaceId,
    pipeline: PipelineId,
    per_stage: u32,
    owner: Option<closer_domain::UserId>,
) -> Result<Vec<BoardColumn>, StoreError> {
    let d = e.dialect();
    // One owner's board: the same statements, their deals only.
    let of_owner = if owner.is_some() {
        " and owner_id = $3"
    } else {
        ""
    };
    let with_owner = |mut params: Vec<Param>| {
        if let Some(o) = owner {
            params.insert(2, Param::Uuid(o.0));
        }
        params
    };
    let sums = e.sql(
        &format!(
            "select stage_id, currency, count(*) as n, {} as total from deals \
             where workspace_id = $1 and pipeline_id = $2 and status = 'open'{of_owner} \
             group by stage_id, currency order by stage_id, currency",
            d.sum_int("amount")
        ),
        with_owner(vec![ws.0.into(), pipeline.0.into()]),
    );
    let sums = e
        .fetch(sums, |r| {
            Ok((
                required("stage_id", r.uuid("stage_id")?)?,
                text(r, "currency")?,
                required("n", r.integer("n")?)?,
                required("total", r.integer("total")?)?,
            ))
        })
        .await?;
    let mut columns = board_columns(sums)?;
    if per_stage > 0 {
        let (stage, limit) = if owner.is_some() {
            ("$4", "$5")
        } else {
            ("$3", "$4")
        };
        // SQLite is kept off the totals index (more equalities, but no order): the cards
        // index reads a stage's newest cards in order and stops at the limit.
        let cards = format!(
            "select {DEAL_COLUMNS} from deals where {} = $1 and {} = $2{of_owner} \
             and status = 'open' and stage_id = {stage} order by updated_at desc, id desc limit {limit}",
            d.unindexed("workspace_id"),
            d.unindexed("pipeline_id"),
        );
        for column in &mut columns {
            let sql = e.sql(
                &cards,
                with_owner(vec![
                    ws.0.into(),
                    pipeline.0.into(),
                    column.stage_id.0.into(),
                    i64::from(per_stage).into(),
                ]),
            );
            column.deals = e.fetch(sql, |r| crate::deal(r)).await?;
        }
    }
    Ok(columns)
}

const ORDER_COLUMNS: &str =
    "id, contact_id, deal_id, currency, total, source, placed_at, created_at";

fn order_row(r: &dyn Columns) -> Result<OrderColumns, StoreError> {
    Ok(OrderColumns {
        id: required("id", r.uuid("id")?)?,
        contact_id: required("contact_id", r.uuid("contact_id")?)?,
        deal_id: r.uuid("deal_id")?,
        currency: text(r, "currency")?,
        total: required("total", r.integer("total")?)?,
        source: text(r, "source")?,
        placed_at: required("placed_at", r.timestamp("placed_at")?)?,
        created_at: required("created_at", r.timestamp("created_at")?)?,
        lines: Vec::new(),
    })
}

/// The order a won deal produced, if any.
pub async fn deal_order(
    e: &impl Engine,
    ws: WorkspaceId,
    deal: DealId,
) -> Result<Option<Order>, StoreError> {
    let sql = e.sql(
        &format!("select {ORDER_COLUMNS} from orders where workspace_id = $1 and deal_id = $2"),
        [ws.0.into(), deal.0.into()],
    );
    let rows = e.fetch(sql, order_row).await?;
    Ok(with_lines(e, rows).await?.pop())
}

/// Orders of a contact (or the workspace), newest first.
pub async fn orders(
    e: &impl Engine,
    ws: WorkspaceId,
    contact: Option<ContactId>,
    limit: u32,
) -> Result<Vec<Order>, StoreError> {
    let d = e.dialect();
    let mut sql = Sql::new(d, format!("select {ORDER_COLUMNS} from orders where "));
    match contact {
        // A contact's orders by the contact's index.
        Some(c) => sql
            .push(&d.unindexed("workspace_id"))
            .push(" = ")
            .bind(Param::Uuid(ws.0))
            .push(" and contact_id = ")
            .bind(Param::Uuid(c.0)),
        None => sql.push("workspace_id = ").bind(Param::Uuid(ws.0)),
    };
    sql.push(" order by placed_at desc, id desc limit ")
        .bind(Param::Int(i64::from(limit)));
    let rows = e.fetch(sql, order_row).await?;
    with_lines(e, rows).await
}

/// Order rows with their lines, read for 500 orders a query.
async fn with_lines(
    e: &impl Engine,
    mut rows: Vec<OrderColumns>,
) -> Result<Vec<Order>, StoreError> {
    let mut lines: HashMap<Uuid, Vec<(String, i64, i64)>> = HashMap::new();
    for chunk in rows.chunks(500) {
        let mut sql = Sql::new(
            e.dialect(),
            "select order_id, product, quantity, unit_price from order_lines where order_id",
        );
        sql.bind_ids(&chunk.iter().map(|o| o.id).collect::<Vec<_>>())
            .push(" order by order_id, position");
        let found = e
            .fetch(sql, |r| {
                Ok((
                    required("order_id", r.uuid("order_id")?)?,
                    text(r, "product")?,
                    required("quantity", r.integer("quantity")?)?,
                    required("unit_price", r.integer("unit_price")?)?,
                ))
            })
            .await?;
        for (order, product, quantity, price) in found {
            lines
                .entry(order)
                .or_default()
                .push((product, quantity, price));
        }
    }
    for order in &mut rows {
        order.lines = lines.remove(&order.id).unwrap_or_default();
    }
    rows.into_iter().map(OrderColumns::into_order).collect()
}

/// Orders of a company's people, newest first.
pub async fn company_orders(
    e: &impl Engine,
    ws: WorkspaceId,
    company: closer_domain::CompanyId,
    limit: u32,
) -> Result<Vec<Order>, StoreError> {
    let sql = e.sql(
        &format!(
            "select {ORDER_COLUMNS} from orders where workspace_id = $1 and contact_id in \
             (select id from contacts where workspace_id = $1 and company_id = $2) \
             order by placed_at desc, id desc limit $3"
        ),
        [ws.0.into(), company.0.into(), Param::Int(i64::from(limit))],
    );
    let rows = e.fetch(sql, order_row).await?;
    with_lines(e, rows).await
}

/// A page of the workspace's orders, oldest first by creation, after `after`.
pub async fn orders_after(
    e: &impl Engine,
    ws: WorkspaceId,
    after: Option<closer_store::Cursor>,
    limit: u32,
) -> Result<Vec<Order>, StoreError> {
    let sql = e.sql(
        &format!(
            "select {ORDER_COLUMNS} from orders where workspace_id = $1 \
             and ($2 is null or (created_at, id) > ($3, $4)) \
             order by created_at, id limit $5"
        ),
        [
            ws.0.into(),
            Param::MaybeUuid(after.map(|c| c.id)),
            Param::Time(after.map_or(closer_domain::Timestamp::now(), |c| c.at)),
            Param::Uuid(after.map_or(uuid::Uuid::nil(), |c| c.id)),
            Param::Int(i64::from(limit)),
        ],
    );
    let rows = e.fetch(sql, order_row).await?;
    with_lines(e, rows).await
}
