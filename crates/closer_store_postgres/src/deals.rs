//! Deals on PostgreSQL: each write one transaction with the deal's row locked (`for update`),
//! so concurrent moves of a deal queue up and each closes the span the previous one opened.

use closer_domain::pipeline::{
    Amount, Deal, DealId, DealPatch, DealStatus, Order, PipelineStageId,
};
use closer_domain::{Advance, ContactId, ContactPatch, Stage, Timestamp, WorkspaceId};
use closer_store::{DEAL_CLOSED, DealMove, StoreError};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

use crate::error::db_err;
use crate::rows::get;

use closer_store_sql::DEAL_COLUMNS;

pub(crate) fn deal(row: &PgRow) -> Result<Deal, StoreError> {
    closer_store_sql::deal(&crate::rows::Cols(row))
}

pub(crate) async fn one(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    id: DealId,
) -> Result<Deal, StoreError> {
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
pub(crate) async fn lock(
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

pub(crate) async fn open_span(
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
    advance: Advance,
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
    if Stage::parse(&stage).is_ok_and(|s| advance.moves(s)) {
        let patch = ContactPatch {
            stage: Some(advance.to),
            ..ContactPatch::default()
        };
        crate::contacts_write::patch_in(conn, ws, contact, &patch, actor, now).await?;
    }
    Ok(())
}

/// Whether the order is new (one stored already is left as it is).
pub(crate) async fn insert_order(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    o: &Order,
) -> Result<bool, StoreError> {
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
        return Ok(false);
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
    Ok(true)
}

pub(crate) async fn move_in(
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
            Advance::BOUGHT,
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

pub(crate) async fn patch_in(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    id: DealId,
    p: &DealPatch,
    now: Timestamp,
) -> Result<(), StoreError> {
    let (_, _, status, units, code) = lock(conn, ws, id).await?;
    if p.if_unchanged_since.is_some() {
        // The row is locked: its time of change cannot move under this check.
        let updated_at: time::OffsetDateTime =
            sqlx::query_scalar("select updated_at from deals where workspace_id = $1 and id = $2")
                .bind(ws.0)
                .bind(id.0)
                .fetch_one(&mut *conn)
                .await
                .map_err(db_err)?;
        if !p.still_applies(Timestamp::new(updated_at)) {
            return Err(StoreError::Conflict {
                constraint: closer_store::DEAL_CHANGED.into(),
            });
        }
    }
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
    if let Some(props) = &p.properties {
        // Merged key by key, a null removing its key.
        sql.push(", properties = jsonb_strip_nulls(properties || ")
            .push_bind(sqlx::types::Json(props.clone()))
            .push("::jsonb)");
    }
    sql.push(" where workspace_id = ")
        .push_bind(ws.0)
        .push(" and id = ")
        .push_bind(id.0);
    sql.build().execute(&mut *conn).await.map_err(db_err)?;
    Ok(())
}
