//! Deals on PostgreSQL: each write one transaction with the deal's row locked (`for update`),
//! so concurrent moves of a deal queue up and each closes the span the previous one opened.

use closer_domain::pipeline::{
    Amount, Deal, DealId, DealPatch, DealStatus, LossReason, Order, Pipeline, PipelineDraft,
    PipelineId, PipelineStageId,
};
use closer_domain::{ContactId, ContactPatch, Stage, Timestamp, WorkspaceId};
use closer_store::{
    BoardColumn, DEAL_CLOSED, DealMove, DealQuery, DealSpan, PipelineStore, StoreError,
};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use crate::PostgresStore;
use crate::error::db_err;
use crate::rows::{get, ts, ts_opt};

use closer_store_sql::{DEAL_COLUMNS, OrderColumns, board_columns};

fn deal(row: &PgRow) -> Result<Deal, StoreError> {
    closer_store_sql::deal(&crate::rows::Cols(row))
}

async fn one(conn: &mut PgConnection, ws: WorkspaceId, id: DealId) -> Result<Deal, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "select {DEAL_COLUMNS} from deals where workspace_id = $1 and id = $2"
    )))
    .bind(ws.0)
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?
    .ok_or(StoreError::NotFound)?;
    deal(&row)
}

/// Locks the deal's row for the rest of the transaction; `(contact, pipeline, status)`.
async fn lock(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    id: DealId,
) -> Result<(Uuid, Uuid, String, i64, String), StoreError> {
    let row = sqlx::query(
        "select contact_id, pipeline_id, status, amount, currency from deals \
         where workspace_id = $1 and id = $2 for update",
    )
    .bind(ws.0)
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?
    .ok_or(StoreError::NotFound)?;
    Ok((
        get(&row, "contact_id")?,
        get(&row, "pipeline_id")?,
        get(&row, "status")?,
        get(&row, "amount")?,
        get(&row, "currency")?,
    ))
}

async fn open_span(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    deal: DealId,
    stage: PipelineStageId,
    stage_name: &str,
    at: Timestamp,
    actor: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "insert into deal_stages (id, workspace_id, deal_id, stage_id, stage_name, entered_at, left_at, changed_by) \
         values ($1, $2, $3, $4, $5, $6, null, $7)",
    )
    .bind(Uuid::now_v7())
    .bind(ws.0)
    .bind(deal.0)
    .bind(stage.0)
    .bind(stage_name)
    .bind(at.get())
    .bind(actor)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Moves the contact forward to `to` if it is at one of `from` (a person's later move wins).
pub(crate) async fn advance_contact(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    contact: ContactId,
    from: &[Stage],
    to: Stage,
    actor: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    let stage: Option<String> = sqlx::query_scalar(
        "select stage from contacts where workspace_id = $1 and id = $2 for update",
    )
    .bind(ws.0)
    .bind(contact.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?;
    let Some(stage) = stage else {
        return Err(StoreError::NotFound);
    };
    if from.iter().any(|s| s.as_str() == stage) {
        let patch = ContactPatch {
            stage: Some(to),
            ..ContactPatch::default()
        };
        crate::contacts::patch_in(conn, ws, contact, &patch, actor, now).await?;
    }
    Ok(())
}

pub(crate) async fn insert_order(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    o: &Order,
) -> Result<(), StoreError> {
    let n = sqlx::query(
        "insert into orders (id, workspace_id, contact_id, deal_id, currency, total, source, placed_at, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict do nothing",
    )
    .bind(o.id.0)
    .bind(ws.0)
    .bind(o.contact_id.0)
    .bind(o.deal_id.map(|d| d.0))
    .bind(o.currency.as_str())
    .bind(o.total.units())
    .bind(o.source.as_str())
    .bind(o.placed_at.get())
    .bind(o.created_at.get())
    .execute(&mut *conn)
    .await
    .map_err(db_err)?
    .rows_affected();
    if n == 0 {
        return Ok(());
    }
    for (i, l) in o.lines.iter().enumerate() {
        sqlx::query(
            "insert into order_lines (order_id, position, product, quantity, unit_price) values ($1, $2, $3, $4, $5)",
        )
        .bind(o.id.0)
        .bind(i32::try_from(i).unwrap_or(i32::MAX))
        .bind(&l.product)
        .bind(i32::try_from(l.quantity).unwrap_or(i32::MAX))
        .bind(l.unit_price.units())
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    }
    Ok(())
}

async fn move_in(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    mv: &DealMove,
    now: Timestamp,
) -> Result<(), StoreError> {
    let (contact, pipeline, ..) = lock(conn, ws, mv.deal).await?;
    if mv.plan.unchanged {
        return Ok(());
    }
    let in_pipeline: Option<i32> =
        sqlx::query_scalar("select 1 from pipeline_stages where id = $1 and pipeline_id = $2")
            .bind(mv.plan.to.0)
            .bind(pipeline)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?;
    if in_pipeline.is_none() {
        return Err(StoreError::Conflict {
            constraint: "deals_stage_fk".into(),
        });
    }
    let entered: Option<time::OffsetDateTime> = sqlx::query_scalar(
        "select entered_at from deal_stages where deal_id = $1 and left_at is null",
    )
    .bind(mv.deal.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?;
    let at = closer_domain::stage::next_stay_start(entered.map(Timestamp::new), now);
    sqlx::query("update deal_stages set left_at = $1 where deal_id = $2 and left_at is null")
        .bind(at.get())
        .bind(mv.deal.0)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    open_span(conn, ws, mv.deal, mv.plan.to, &mv.stage_name, at, &mv.actor).await?;
    let plan = &mv.plan;
    sqlx::query(
        "update deals set stage_id = $3, status = $4, loss_reason = $5, objection = $6, closed_at = $7, \
           updated_at = $8, amount = coalesce($9, amount) where workspace_id = $1 and id = $2",
    )
    .bind(ws.0)
    .bind(mv.deal.0)
    .bind(plan.to.0)
    .bind(plan.status.as_str())
    .bind(plan.loss.as_ref().map(|l| l.reason.as_str()))
    .bind(plan.loss.as_ref().and_then(|l| l.objection.as_deref()))
    .bind(plan.closed_at.map(Timestamp::get))
    .bind(now.get())
    .bind(mv.amount.map(Amount::units))
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    if plan.status == DealStatus::Won {
        advance_contact(
            conn,
            ws,
            ContactId(contact),
            &[
                Stage::Lead,
                Stage::Prospect,
                Stage::Opportunity,
                Stage::Disqualified,
            ],
            Stage::Customer,
            &mv.actor,
            now,
        )
        .await?;
        if let Some(order) = &mv.order {
            insert_order(conn, ws, order).await?;
        }
    } else {
        sqlx::query(
            "delete from orders where workspace_id = $1 and deal_id = $2 and source = 'deal'",
        )
        .bind(ws.0)
        .bind(mv.deal.0)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    }
    Ok(())
}

async fn patch_in(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    id: DealId,
    p: &DealPatch,
    now: Timestamp,
) -> Result<(), StoreError> {
    let (_, _, status, units, code) = lock(conn, ws, id).await?;
    let money = p.amount.is_some_and(|a| a.units() != units)
        || p.currency.is_some_and(|c| c.as_str() != code);
    if money && status != DealStatus::Open.as_str() {
        return Err(StoreError::Conflict {
            constraint: DEAL_CLOSED.into(),
        });
    }
    let mut sql: QueryBuilder<Postgres> = QueryBuilder::new("update deals set updated_at = ");
    sql.push_bind(now.get());
    if let Some(t) = &p.title {
        sql.push(", title = ").push_bind(t.clone());
    }
    if let Some(c) = &p.company {
        sql.push(", company = ").push_bind(c.clone());
    }
    if let Some(a) = p.amount {
        sql.push(", amount = ").push_bind(a.units());
    }
    if let Some(c) = p.currency {
        sql.push(", currency = ").push_bind(c.as_str().to_owned());
    }
    if let Some(d) = p.expected_close {
        sql.push(", expected_close = ").push_bind(d);
    }
    if let Some(o) = p.owner_id {
        sql.push(", owner_id = ").push_bind(o.map(|u| u.0));
    }
    if let Some(s) = &p.source {
        sql.push(", source = ").push_bind(s.clone());
    }
    sql.push(" where workspace_id = ")
        .push_bind(ws.0)
        .push(" and id = ")
        .push_bind(id.0);
    sql.build().execute(&mut *conn).await.map_err(db_err)?;
    Ok(())
}

const ORDER_COLUMNS: &str =
    "id, contact_id, deal_id, currency, total, source, placed_at, created_at";

async fn order_of(
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

#[async_trait::async_trait]
impl PipelineStore for PostgresStore {
    async fn pipelines(
        &self,
        ws: WorkspaceId,
        defaults: &PipelineDraft,
        reasons: &[LossReason],
        now: Timestamp,
    ) -> Result<Vec<Pipeline>, StoreError> {
        let found = crate::pipeline::list(&self.pool, ws).await?;
        if !found.is_empty() {
            return Ok(found);
        }
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        crate::pipeline::ensure_defaults(&mut tx, ws, defaults, reasons, now).await?;
        tx.commit().await.map_err(db_err)?;
        crate::pipeline::list(&self.pool, ws).await
    }

    async fn create_pipeline(
        &self,
        ws: WorkspaceId,
        id: PipelineId,
        draft: &PipelineDraft,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        crate::pipeline::create(&mut tx, ws, id, draft, false, now).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn replace_pipeline(
        &self,
        ws: WorkspaceId,
        id: PipelineId,
        draft: &PipelineDraft,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        crate::pipeline::replace(&mut tx, ws, id, draft).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn loss_reasons(&self, ws: WorkspaceId) -> Result<Vec<LossReason>, StoreError> {
        crate::pipeline::reasons(&self.pool, ws).await
    }

    async fn put_loss_reasons(
        &self,
        ws: WorkspaceId,
        reasons: &[LossReason],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        crate::pipeline::put_reasons(&mut tx, ws, reasons).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn create_deal(
        &self,
        ws: WorkspaceId,
        d: &Deal,
        stage_name: &str,
        actor: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        advance_contact(
            &mut tx,
            ws,
            d.contact_id,
            &[Stage::Lead, Stage::Prospect, Stage::Disqualified],
            Stage::Opportunity,
            actor,
            d.created_at,
        )
        .await?;
        sqlx::query(
            "insert into deals (id, workspace_id, pipeline_id, stage_id, status, contact_id, company, title, amount, \
               currency, expected_close, owner_id, source, loss_reason, objection, closed_at, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, null, null, null, $14, $14)",
        )
        .bind(d.id.0)
        .bind(ws.0)
        .bind(d.pipeline_id.0)
        .bind(d.stage_id.0)
        .bind(d.status.as_str())
        .bind(d.contact_id.0)
        .bind(&d.company)
        .bind(&d.title)
        .bind(d.amount.units())
        .bind(d.currency.as_str())
        .bind(d.expected_close)
        .bind(d.owner_id.map(|u| u.0))
        .bind(&d.source)
        .bind(d.created_at.get())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        open_span(
            &mut tx,
            ws,
            d.id,
            d.stage_id,
            stage_name,
            d.created_at,
            actor,
        )
        .await?;
        tx.commit().await.map_err(db_err)
    }

    async fn deal(&self, ws: WorkspaceId, id: DealId) -> Result<Deal, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        one(&mut conn, ws, id).await
    }

    async fn list_deals(&self, ws: WorkspaceId, q: &DealQuery) -> Result<Vec<Deal>, StoreError> {
        let sql = closer_store_sql::deal_list(closer_store_sql::Dialect::Postgres, ws, q);
        let rows = crate::rows::query(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter().map(deal).collect()
    }

    async fn patch_deal(
        &self,
        ws: WorkspaceId,
        id: DealId,
        patch: &DealPatch,
        now: Timestamp,
    ) -> Result<Deal, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        patch_in(&mut tx, ws, id, patch, now).await?;
        let d = one(&mut tx, ws, id).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(d)
    }

    async fn move_deal(
        &self,
        ws: WorkspaceId,
        mv: &DealMove,
        now: Timestamp,
    ) -> Result<Deal, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        move_in(&mut tx, ws, mv, now).await?;
        let d = one(&mut tx, ws, mv.deal).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(d)
    }

    async fn deal_history(&self, ws: WorkspaceId, id: DealId) -> Result<Vec<DealSpan>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        one(&mut conn, ws, id).await?;
        let rows = sqlx::query(
            "select stage_id, stage_name, entered_at, left_at, changed_by from deal_stages \
             where workspace_id = $1 and deal_id = $2 order by entered_at, id",
        )
        .bind(ws.0)
        .bind(id.0)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(DealSpan {
                    stage_id: PipelineStageId(get(r, "stage_id")?),
                    stage_name: get(r, "stage_name")?,
                    entered_at: ts(r, "entered_at")?,
                    left_at: ts_opt(r, "left_at")?,
                    changed_by: get(r, "changed_by")?,
                })
            })
            .collect()
    }

    async fn board(
        &self,
        ws: WorkspaceId,
        pipeline: PipelineId,
        per_stage: u32,
    ) -> Result<Vec<BoardColumn>, StoreError> {
        let sums = sqlx::query(
            "select stage_id, currency, count(*) as n, sum(amount)::bigint as total from deals \
             where workspace_id = $1 and pipeline_id = $2 and status = 'open' \
             group by stage_id, currency order by stage_id, currency",
        )
        .bind(ws.0)
        .bind(pipeline.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let mut columns = board_columns(
            sums.iter()
                .map(|r| {
                    Ok((
                        get(r, "stage_id")?,
                        get(r, "currency")?,
                        get(r, "n")?,
                        get(r, "total")?,
                    ))
                })
                .collect::<Result<Vec<_>, StoreError>>()?,
        )?;
        if per_stage > 0 {
            let sql = format!(
                "select {DEAL_COLUMNS} from deals where workspace_id = $1 and pipeline_id = $2 \
                 and status = 'open' and stage_id = $3 order by updated_at desc, id desc limit $4"
            );
            for column in &mut columns {
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(ws.0)
                    .bind(pipeline.0)
                    .bind(column.stage_id.0)
                    .bind(i64::from(per_stage))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_err)?;
                column.deals = rows.iter().map(deal).collect::<Result<_, _>>()?;
            }
        }
        Ok(columns)
    }

    async fn deal_order(&self, ws: WorkspaceId, deal: DealId) -> Result<Option<Order>, StoreError> {
        order_of(&self.pool, ws, deal).await
    }
}
