//! Deal writes on SQLite: creation, edits, stage moves with their history, and the order a won
//! deal produces, each in the writer's transaction. Reads are `deals_read.rs`.

use closer_domain::pipeline::{
    Amount, Deal, DealId, DealPatch, DealStatus, Order, PipelineStageId,
};
use closer_domain::{Advance, ContactId, ContactPatch, Stage, Timestamp, WorkspaceId, date_text};
use closer_store::{DEAL_CLOSED, DealMove, StoreError};
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use crate::error::rs_err;

fn open_span(
    conn: &Connection,
    ws: WorkspaceId,
    deal: DealId,
    stage: PipelineStageId,
    stage_name: &str,
    at: i64,
    actor: &str,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "insert into deal_stages (id, workspace_id, deal_id, stage_id, stage_name, entered_at, left_at, changed_by) \
         values (?1, ?2, ?3, ?4, ?5, ?6, null, ?7)",
    )
    .and_then(|mut s| s.execute(params![Uuid::now_v7(), ws.0, deal.0, stage.0, stage_name, at, actor]))
    .map_err(rs_err)?;
    Ok(())
}

/// Moves the contact forward to `to` if it is at one of `from` (a person's later move wins).
pub(crate) fn advance_contact(
    conn: &Connection,
    ws: WorkspaceId,
    contact: ContactId,
    advance: Advance,
    actor: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    let stage: Option<String> = conn
        .query_row(
            "select stage from contacts where workspace_id = ?1 and id = ?2",
            params![ws.0, contact.0],
            |r| r.get(0),
        )
        .optional()
        .map_err(rs_err)?;
    let Some(stage) = stage else {
        return Err(StoreError::NotFound);
    };
    if Stage::parse(&stage).is_ok_and(|s| advance.moves(s)) {
        let patch = ContactPatch {
            stage: Some(advance.to),
            ..ContactPatch::default()
        };
        crate::write::patch(conn, ws, contact, &patch, actor, now)?;
    }
    Ok(())
}

pub(crate) fn create(
    conn: &Connection,
    ws: WorkspaceId,
    d: &Deal,
    stage_name: &str,
    actor: &str,
) -> Result<(), StoreError> {
    advance_contact(
        conn,
        ws,
        d.contact_id,
        Advance::DEAL_OPENED,
        actor,
        d.created_at,
    )?;
    conn.prepare_cached(
        // The deal belongs to its contact's company, as the contact does when it opens.
        "insert into deals (id, workspace_id, pipeline_id, stage_id, status, contact_id, company, title, amount, \
           currency, expected_close, owner_id, source, loss_reason, objection, closed_at, created_at, updated_at, \
           company_id, properties) \
         values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, null, null, null, ?14, ?14, \
           (select company_id from contacts where id = ?6), ?15)",
    )
    .and_then(|mut s| {
        s.execute(params![
            d.id.0,
            ws.0,
            d.pipeline_id.0,
            d.stage_id.0,
            d.status.as_str(),
            d.contact_id.0,
            d.company,
            d.title,
            d.amount.units(),
            d.currency.as_str(),
            d.expected_close.map(date_text),
            d.owner_id.map(|u| u.0),
            d.source,
            d.created_at.unix_micros(),
            serde_json::Value::Object(d.properties.clone()).to_string()
        ])
    })
    .map_err(crate::error::rs_err_fk("deals_owner_fk"))?;
    open_span(
        conn,
        ws,
        d.id,
        d.stage_id,
        stage_name,
        d.created_at.unix_micros(),
        actor,
    )
}

pub(crate) fn patch(
    conn: &Connection,
    ws: WorkspaceId,
    id: DealId,
    p: &DealPatch,
    now: Timestamp,
) -> Result<(), StoreError> {
    use rusqlite::types::Value as V;
    let (status, units, code, updated_at): (String, i64, String, i64) = conn
        .query_row(
            "select status, amount, currency, updated_at from deals where workspace_id = ?1 and id = ?2",
            params![ws.0, id.0],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .map_err(rs_err)?;
    if !Timestamp::from_unix_micros(updated_at).is_some_and(|t| p.still_applies(t)) {
        return Err(StoreError::Conflict {
            constraint: closer_store::DEAL_CHANGED.into(),
        });
    }
    // Checked again here, in the transaction, against the stored deal: a move to won may
    // have landed since the caller read it.
    let money = p.amount.is_some_and(|a| a.units() != units)
        || p.currency.is_some_and(|c| c.as_str() != code);
    if money && status != DealStatus::Open.as_str() {
        return Err(StoreError::Conflict {
            constraint: DEAL_CLOSED.into(),
        });
    }
    let mut sets: Vec<String> = vec!["updated_at = ?3".into()];
    let mut values: Vec<V> = vec![
        V::Blob(ws.0.as_bytes().to_vec()),
        V::Blob(id.0.as_bytes().to_vec()),
        V::Integer(now.unix_micros()),
    ];
    let mut set = |column: &str, value: V| {
        values.push(value);
        sets.push(format!("{column} = ?{}", values.len()));
    };
    let text = |t: &Option<String>| t.clone().map_or(V::Null, V::Text);
    if let Some(t) = &p.title {
        set("title", V::Text(t.clone()));
    }
    if let Some(c) = &p.company {
        set("company", text(c));
    }
    if let Some(a) = p.amount {
        set("amount", V::Integer(a.units()));
    }
    if let Some(c) = p.currency {
        set("currency", V::Text(c.as_str().to_owned()));
    }
    if let Some(d) = &p.expected_close {
        set(
            "expected_close",
            d.map_or(V::Null, |d| V::Text(date_text(d))),
        );
    }
    if let Some(o) = &p.owner_id {
        set(
            "owner_id",
            o.map_or(V::Null, |u| V::Blob(u.0.as_bytes().to_vec())),
        );
    }
    if let Some(s) = &p.source {
        set("source", text(s));
    }
    if let Some(props) = &p.properties {
        // Merged key by key, a null removing its key (RFC 7396, as json_patch does).
        values.push(V::Text(
            serde_json::Value::Object(props.clone()).to_string(),
        ));
        sets.push(format!(
            "properties = json_patch(properties, ?{})",
            values.len()
        ));
    }
    let sql = format!(
        "update deals set {} where workspace_id = ?1 and id = ?2",
        sets.join(", ")
    );
    conn.execute(&sql, rusqlite::params_from_iter(values.iter()))
        .map_err(crate::error::rs_err_fk("deals_owner_fk"))?;
    Ok(())
}

/// Applies a planned move in the writer's transaction (see the port for what it does).
pub(crate) fn move_deal(
    conn: &Connection,
    ws: WorkspaceId,
    mv: &DealMove,
    now: Timestamp,
) -> Result<(), StoreError> {
    let (contact, pipeline): (Uuid, Uuid) = conn
        .query_row(
            "select contact_id, pipeline_id from deals where workspace_id = ?1 and id = ?2",
            params![ws.0, mv.deal.0],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(rs_err)?;
    if mv.plan.unchanged {
        return Ok(());
    }
    // The stage must still be one of the deal's pipeline (the pipeline may have been edited).
    let in_pipeline: Option<i64> = conn
        .query_row(
            "select 1 from pipeline_stages where id = ?1 and pipeline_id = ?2",
            params![mv.plan.to.0, pipeline],
            |r| r.get(0),
        )
        .optional()
        .map_err(rs_err)?;
    if in_pipeline.is_none() {
        return Err(StoreError::Conflict {
            constraint: "deals_stage_fk".into(),
        });
    }
    // Close the open span (never before it opened), then open the new one.
    let entered: Option<i64> = conn
        .query_row(
            "select entered_at from deal_stages where deal_id = ?1 and left_at is null",
            params![mv.deal.0],
            |r| r.get(0),
        )
        .optional()
        .map_err(rs_err)?;
    let at = closer_domain::stage::next_stay_start(
        entered.and_then(closer_domain::Timestamp::from_unix_micros),
        now,
    )
    .unix_micros();
    conn.prepare_cached(
        "update deal_stages set left_at = ?1 where deal_id = ?2 and left_at is null",
    )
    .and_then(|mut s| s.execute(params![at, mv.deal.0]))
    .map_err(rs_err)?;
    open_span(conn, ws, mv.deal, mv.plan.to, &mv.stage_name, at, &mv.actor)?;
    let plan = &mv.plan;
    conn.prepare_cached(
        "update deals set stage_id = ?3, status = ?4, loss_reason = ?5, objection = ?6, closed_at = ?7, \
           updated_at = ?8, amount = coalesce(?9, amount) where workspace_id = ?1 and id = ?2",
    )
    .and_then(|mut s| {
        s.execute(params![
            ws.0,
            mv.deal.0,
            plan.to.0,
            plan.status.as_str(),
            plan.loss.as_ref().map(|l| l.reason.as_str()),
            plan.loss.as_ref().and_then(|l| l.objection.as_deref()),
            plan.closed_at.map(Timestamp::unix_micros),
            now.unix_micros(),
            mv.amount.map(Amount::units)
        ])
    })
    .map_err(rs_err)?;
    if plan.status == DealStatus::Won {
        advance_contact(
            conn,
            ws,
            ContactId(contact),
            Advance::BOUGHT,
            &mv.actor,
            now,
        )?;
        if let Some(order) = &mv.order {
            insert_order(conn, ws, order)?;
        }
    } else {
        // Leaving won takes back the revenue: the deal's order goes.
        conn.prepare_cached(
            "delete from orders where workspace_id = ?1 and deal_id = ?2 and source = 'deal'",
        )
        .and_then(|mut s| s.execute(params![ws.0, mv.deal.0]))
        .map_err(rs_err)?;
    }
    Ok(())
}

/// Stores an order and its lines; a deal's second order is skipped (one per deal).
/// Whether the order is new (one stored already is left as it is).
pub(crate) fn insert_order(
    conn: &Connection,
    ws: WorkspaceId,
    o: &Order,
) -> Result<bool, StoreError> {
    let n = conn
        .prepare_cached(
            "insert into orders (id, workspace_id, contact_id, deal_id, currency, total, source, placed_at, created_at) \
             values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) on conflict do nothing",
        )
        .and_then(|mut s| {
            s.execute(params![
                o.id.0,
                ws.0,
                o.contact_id.0,
                o.deal_id.map(|d| d.0),
                o.currency.as_str(),
                o.total.units(),
                o.source.as_str(),
                o.placed_at.unix_micros(),
                o.created_at.unix_micros()
            ])
        })
        .map_err(rs_err)?;
    if n == 0 {
        return Ok(false);
    }
    let mut stmt = conn
        .prepare_cached(
            "insert into order_lines (order_id, position, product, quantity, unit_price) values (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(rs_err)?;
    for (i, l) in o.lines.iter().enumerate() {
        stmt.execute(params![
            o.id.0,
            i64::try_from(i).unwrap_or(i64::MAX),
            l.product,
            l.quantity,
            l.unit_price.units()
        ])
        .map_err(rs_err)?;
    }
    Ok(true)
}
