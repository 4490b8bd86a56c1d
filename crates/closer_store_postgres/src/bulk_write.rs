//! Bulk loads on PostgreSQL (`BulkStore`): new traffic without lookups, and a workspace's
//! people copied in (binary `COPY`, `copy_write.rs`) in one transaction, with the tables the
//! row paths keep up to date with triggers derived set-based at the end.
//!
//! Why the triggers are disabled for the load: each of a million leads fired about ten of
//! them, each a few indexed lookups in PL/pgSQL — more time than copying the rows. `ALTER
//! TABLE … DISABLE TRIGGER USER` is transactional: a failure brings the triggers back with
//! the rollback. It locks each table until the commit, so other processes' writes (and reads)
//! of those tables wait for the load, but never run without the triggers.
//!
//! Why foreign keys are not checked row by row when the role may say so: each checked row
//! looks its parent up and locks it (`FOR KEY SHARE`), which writes to the parent's row: at
//! 200,000 leads, the people took 39 s with the checks and 19 s without. A superuser's load sets `session_replication_role =
//! replica` for its own transaction, which skips every trigger of this session and only
//! this session, foreign keys' included. Every row here is built from one in-memory history
//! whose parents are in the same load or looked up before it (the workspace, its pipeline,
//! its users); a test checks every foreign key after a fill, and another that the tables
//! written here have no triggers but `TRIGGERED`'s, whose work the load does itself. Another
//! role's load keeps the checks and takes longer.

use closer_domain::WorkspaceId;
use closer_domain::contact::upsert::search_text;
use closer_domain::traffic::Hit;
use closer_domain::traffic::SiteId;
use closer_store::{BULK_NOT_EMPTY, BulkStore, LoadSteps, PeopleLoad, SITE_TABLES, StoreError};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::PostgresStore;
use crate::bulk_derive::{derive, set_triggers};
use crate::copy_write::CopyIn;
use crate::error::db_err;

/// Tables whose triggers keep journeys, deals' paths and the journey and deal feeds.
pub const TRIGGERED: [&str; 8] = [
    "contacts",
    "contact_stages",
    "orders",
    "visitor_links",
    "deals",
    "deal_stages",
    "activities",
    "journeys",
];

/// Every table `load_people` writes.
pub const LOADED: [&str; 14] = [
    "contacts",
    "contact_identities",
    "contact_stages",
    "events",
    "visitor_links",
    "deals",
    "activities",
    "deal_stages",
    "orders",
    "order_lines",
    "contact_traffic",
    "journeys",
    "journey_changes",
    "deal_changes",
];

fn json(v: &impl serde::Serialize) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

async fn copy_contacts(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    p: &PeopleLoad,
) -> Result<(), StoreError> {
    let first_touch = p.first_touches();
    let mut copy = CopyIn::start(
        conn,
        "contacts (id, workspace_id, name, emails, phones, company, job_title, properties, stage, \
         owner_id, consent_granted, consent_at, consent_source, search, created_at, updated_at, first_touch_at)",
        17,
    )
    .await?;
    for c in &p.contacts {
        if c.workspace_id != ws {
            return Err(StoreError::NotFound);
        }
        let row = copy.row().await?;
        row.uuid(c.id.0)
            .uuid(ws.0)
            .opt_text(c.name.as_deref())
            .jsonb(&json(&c.emails))
            .jsonb(&json(&c.phones))
            .opt_text(c.company.as_deref())
            .opt_text(c.job_title.as_deref())
            .jsonb(&json(&c.properties))
            .text(c.stage.as_str())
            .opt_uuid(c.owner_id.map(|o| o.0));
        match &c.consent {
            Some(x) => row
                .boolean(x.granted)
                .ts(x.at)
                .opt_text(x.source.as_deref()),
            None => row.null().null().null(),
        };
        row.text(&search_text(c))
            .ts(c.created_at)
            .ts(c.updated_at)
            .opt_ts(first_touch.get(&c.id).copied());
    }
    copy.finish().await?;
    let mut copy = CopyIn::start(
        conn,
        "contact_identities (workspace_id, kind, value, contact_id)",
        4,
    )
    .await?;
    for c in &p.contacts {
        let emails = c.emails.iter().map(|e| ("email", e.as_str()));
        let phones = c.phones.iter().map(|p| ("phone", p.as_str()));
        for (kind, value) in emails.chain(phones) {
            copy.row()
                .await?
                .uuid(ws.0)
                .text(kind)
                .text(value)
                .uuid(c.id.0);
        }
    }
    copy.finish().await?;
    Ok(())
}

async fn copy_history(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    p: &PeopleLoad,
) -> Result<(), StoreError> {
    let mut copy = CopyIn::start(
        conn,
        "contact_stages (id, workspace_id, contact_id, stage, entered_at, left_at, changed_by)",
        7,
    )
    .await?;
    for s in &p.stages {
        copy.row()
            .await?
            .uuid(Uuid::now_v7())
            .uuid(ws.0)
            .uuid(s.contact.0)
            .text(s.stage.as_str())
            .ts(s.entered_at)
            .opt_ts(s.left_at)
            .text(&s.changed_by);
    }
    copy.finish().await?;
    let mut copy = CopyIn::start(
        conn,
        "events (id, workspace_id, contact_id, kind, occurred_at, properties)",
        6,
    )
    .await?;
    for (contact, e) in &p.events {
        copy.row()
            .await?
            .uuid(e.id.0)
            .uuid(ws.0)
            .uuid(contact.0)
            .text(e.kind.as_str())
            .ts(e.occurred_at)
            .jsonb(&e.properties.to_string());
    }
    copy.finish().await?;
    let mut copy = CopyIn::start(
        conn,
        "visitor_links (workspace_id, visitor, contact_id, linked_at)",
        4,
    )
    .await?;
    for (visitor, contact, at) in &p.links {
        copy.row()
            .await?
            .uuid(ws.0)
            .text(visitor.as_str())
            .uuid(contact.0)
            .ts(*at);
    }
    copy.finish().await?;
    Ok(())
}

async fn copy_sales(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    p: &PeopleLoad,
) -> Result<(), StoreError> {
    let mut copy = CopyIn::start(
        conn,
        "deals (id, workspace_id, pipeline_id, stage_id, status, contact_id, company, title, amount, \
         currency, expected_close, owner_id, source, loss_reason, objection, closed_at, created_at, updated_at)",
        18,
    )
    .await?;
    for d in &p.deals {
        let row = copy.row().await?;
        row.uuid(d.id.0)
            .uuid(ws.0)
            .uuid(d.pipeline_id.0)
            .uuid(d.stage_id.0)
            .text(d.status.as_str())
            .uuid(d.contact_id.0)
            .opt_text(d.company.as_deref())
            .text(&d.title)
            .int8(d.amount.units())
            .text(d.currency.as_str());
        match d.expected_close {
            Some(day) => row.date(day),
            None => row.null(),
        };
        row.opt_uuid(d.owner_id.map(|u| u.0))
            .opt_text(d.source.as_deref())
            .opt_text(d.loss.as_ref().map(|l| l.reason.as_str()))
            .opt_text(d.loss.as_ref().and_then(|l| l.objection.as_deref()))
            .opt_ts(d.closed_at)
            .ts(d.created_at)
            .ts(d.updated_at);
    }
    copy.finish().await?;
    // After the deals: an activity may be logged on its contact's deal.
    let mut copy = CopyIn::start(
        conn,
        "activities (id, workspace_id, contact_id, deal_id, kind, occurred_at, owner_id, outcome, body, created_at)",
        10,
    )
    .await?;
    for a in &p.activities {
        copy.row()
            .await?
            .uuid(a.id.0)
            .uuid(ws.0)
            .uuid(a.contact_id.0)
            .opt_uuid(a.deal_id.map(|d| d.0))
            .text(a.kind.as_str())
            .ts(a.occurred_at)
            .opt_uuid(a.owner_id.map(|u| u.0))
            .opt_text(a.outcome.as_deref())
            .opt_text(a.text.as_deref())
            .ts(a.created_at);
    }
    copy.finish().await?;
    let mut copy = CopyIn::start(
        conn,
        "deal_stages (id, workspace_id, deal_id, stage_id, stage_name, entered_at, left_at, changed_by)",
        8,
    )
    .await?;
    for s in &p.deal_stages {
        copy.row()
            .await?
            .uuid(Uuid::now_v7())
            .uuid(ws.0)
            .uuid(s.deal.0)
            .uuid(s.stage_id.0)
            .text(&s.stage_name)
            .ts(s.entered_at)
            .opt_ts(s.left_at)
            .text(&s.changed_by);
    }
    copy.finish().await?;
    let mut copy = CopyIn::start(
        conn,
        "orders (id, workspace_id, contact_id, deal_id, currency, total, source, placed_at, created_at)",
        9,
    )
    .await?;
    for o in &p.orders {
        copy.row()
            .await?
            .uuid(o.id.0)
            .uuid(ws.0)
            .uuid(o.contact_id.0)
            .opt_uuid(o.deal_id.map(|d| d.0))
            .text(o.currency.as_str())
            .int8(o.total.units())
            .text(o.source.as_str())
            .ts(o.placed_at)
            .ts(o.created_at);
    }
    copy.finish().await?;
    let mut copy = CopyIn::start(
        conn,
        "order_lines (order_id, position, product, quantity, unit_price)",
        5,
    )
    .await?;
    for o in &p.orders {
        for (i, l) in o.lines.iter().enumerate() {
            copy.row()
                .await?
                .uuid(o.id.0)
                .int4(i32::try_from(i).unwrap_or(i32::MAX))
                .text(&l.product)
                .int4(i32::try_from(l.quantity).unwrap_or(i32::MAX))
                .int8(l.unit_price.units());
        }
    }
    copy.finish().await?;
    Ok(())
}

/// What the disabled triggers would have written, set-based: the migrations' backfill of
/// `journeys` and deals' paths (0006, 0009), limited to the workspace and folded so each row
/// is written once. The conformance suite checks the result against the triggers' own.
#[async_trait::async_trait]
impl BulkStore for PostgresStore {
    async fn record_new_traffic(&self, hits: std::sync::Arc<[Hit]>) -> Result<(), StoreError> {
        // Batches come several at a time, each quick: the main pool's connections.
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        crate::traffic_write::record_new(&mut tx, &hits).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn load_people(
        &self,
        ws: WorkspaceId,
        people: std::sync::Arc<PeopleLoad>,
    ) -> Result<(), StoreError> {
        let mut tx = self.bulk.begin().await.map_err(db_err)?;
        // Taken first: the emptiness check then holds until the commit.
        set_triggers(&mut tx, false).await?;
        let taken: Option<i32> =
            sqlx::query_scalar("select 1 from contacts where workspace_id = $1 limit 1")
                .bind(ws.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
        if taken.is_some() {
            return Err(StoreError::Conflict {
                constraint: BULK_NOT_EMPTY.into(),
            });
        }
        let superuser: String = sqlx::query_scalar("select current_setting('is_superuser')")
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
        if superuser == "on" {
            sqlx::query("set local session_replication_role = replica")
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        let mut steps = LoadSteps::start("people");
        copy_contacts(&mut tx, ws, &people).await?;
        steps.done("contacts");
        copy_history(&mut tx, ws, &people).await?;
        steps.done("contact stages and events");
        copy_sales(&mut tx, ws, &people).await?;
        steps.done("links, activities, deals and orders");
        derive(&mut tx, ws, &mut steps).await?;
        // What the feeds' disabled triggers would have said: every journey and deal changed.
        for sql in [
            "insert into journey_changes (contact_id, workspace_id, xid) \
             select contact_id, workspace_id, pg_current_xact_id() from journeys where workspace_id = $1 \
             on conflict (contact_id) do update set xid = excluded.xid",
            "insert into deal_changes (deal_id, workspace_id, xid) \
             select id, workspace_id, pg_current_xact_id() from deals where workspace_id = $1 \
             on conflict (deal_id) do update set xid = excluded.xid",
        ] {
            sqlx::query(sql)
                .bind(ws.0)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        steps.done("feeds marked");
        set_triggers(&mut tx, true).await?;
        tx.commit().await.map_err(db_err)?;
        steps.done("committed");
        Ok(())
    }

    async fn discard_site(&self, ws: WorkspaceId, site: SiteId) -> Result<(), StoreError> {
        let mut tx = self.bulk.begin().await.map_err(db_err)?;
        for table in SITE_TABLES {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "delete from {table} where workspace_id = $1 and site_id = $2"
            )))
            .bind(ws.0)
            .bind(site.0)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        sqlx::query("delete from sites where workspace_id = $1 and id = $2")
            .bind(ws.0)
            .bind(site.0)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)
    }
}
