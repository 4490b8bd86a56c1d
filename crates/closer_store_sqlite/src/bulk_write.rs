//! Bulk loads on SQLite (`BulkStore`), on the writer thread: new traffic without lookups, and a
//! workspace's people in one write with the trigger-kept tables derived set-based at the end.
//!
//! Why the triggers are dropped for the load: each of a million leads fired about ten of them
//! (journeys on the contact, its stage rows, link and orders; deals' touch paths), each a few
//! indexed lookups — more time than writing the rows. The load reads the triggers' own SQL from
//! `sqlite_master`, drops them, writes, derives what they would have written set-based, and
//! creates them again from that SQL, all in the writer's transaction: a failure rolls the drops
//! back with everything else, and the writer runs nothing else meanwhile, so no other write
//! ever sees the tables without them.

use closer_domain::traffic::Hit;
use closer_domain::traffic::SiteId;
use closer_domain::{Timestamp, WorkspaceId};
use closer_store::{BULK_NOT_EMPTY, BulkStore, LoadSteps, PeopleLoad, SITE_TABLES, StoreError};
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use crate::SqliteStore;
use crate::error::rs_err;

/// Tables whose triggers keep journeys, deals' paths and the journey and deal feeds.
const TRIGGERED: &str = "'contacts', 'contact_stages', 'orders', 'visitor_links', 'deals', \
     'deal_stages', 'activities', 'journeys'";

pub(crate) fn load_people(
    conn: &Connection,
    ws: WorkspaceId,
    people: &PeopleLoad,
) -> Result<(), StoreError> {
    let taken: Option<i64> = conn
        .query_row(
            "select 1 from contacts where workspace_id = ?1 limit 1",
            params![ws.0],
            |r| r.get(0),
        )
        .optional()
        .map_err(rs_err)?;
    if taken.is_some() {
        return Err(StoreError::Conflict {
            constraint: BULK_NOT_EMPTY.into(),
        });
    }
    let triggers: Vec<(String, String)> = conn
        .prepare(&format!(
            "select name, sql from sqlite_master where type = 'trigger' and tbl_name in ({TRIGGERED}) \
             order by name"
        ))
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(rs_err)?;
    for (name, _) in &triggers {
        conn.execute(&format!("drop trigger \"{name}\""), [])
            .map_err(rs_err)?;
    }
    let mut steps = LoadSteps::start("people");
    write_rows(conn, ws, people, &mut steps)?;
    derive(conn, ws, &mut steps)?;
    // What the feeds' dropped triggers would have said: every journey and deal changed (one
    // statement each, where the triggers cost a lookup and a write per row).
    conn.execute(
        "insert into journey_changes (contact_id, workspace_id, seq) \
         select contact_id, workspace_id, (select coalesce(max(seq), 0) + 1 from journey_changes) \
         from journeys where workspace_id = ?1 \
         on conflict (contact_id) do update set seq = excluded.seq",
        [ws.0],
    )
    .map_err(rs_err)?;
    conn.execute(
        "insert into deal_changes (deal_id, workspace_id, seq) \
         select id, workspace_id, (select coalesce(max(seq), 0) + 1 from deal_changes) \
         from deals where workspace_id = ?1 \
         on conflict (deal_id) do update set seq = excluded.seq",
        [ws.0],
    )
    .map_err(rs_err)?;
    steps.done("feeds marked");
    // What the search triggers (0022) would have written: a key and the words of each
    // contact and deal, oldest first.
    for (table, fts, text) in [
        ("contacts", "contacts_fts", "search"),
        ("deals", "deals_fts", "title"),
    ] {
        conn.execute(
            &format!(
                "insert into search_keys (record_id) \
                 select id from {table} where workspace_id = ?1 order by created_at, id"
            ),
            [ws.0],
        )
        .map_err(rs_err)?;
        conn.execute(
            &format!(
                "insert into {fts} (rowid, {text}) select k.key, t.{text} from {table} t \
                 join search_keys k on k.record_id = t.id where t.workspace_id = ?1"
            ),
            [ws.0],
        )
        .map_err(rs_err)?;
    }
    steps.done("search indexed");
    for (_, sql) in &triggers {
        conn.execute_batch(sql).map_err(rs_err)?;
    }
    steps.done("triggers back");
    Ok(())
}

fn opt_ts(t: Option<Timestamp>) -> Option<i64> {
    t.map(Timestamp::unix_micros)
}

fn write_rows(
    conn: &Connection,
    ws: WorkspaceId,
    p: &PeopleLoad,
    steps: &mut LoadSteps,
) -> Result<(), StoreError> {
    let first_touch = p.first_touches();
    for c in &p.contacts {
        if c.workspace_id != ws {
            return Err(StoreError::NotFound);
        }
        crate::write::insert(conn, c, first_touch.get(&c.id).copied())?;
        crate::write::write_identities(conn, c, false)?;
    }
    steps.done("contacts");
    let mut stage = conn
        .prepare_cached(
            "insert into contact_stages (id, workspace_id, contact_id, stage, entered_at, left_at, changed_by) \
             values (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .map_err(rs_err)?;
    for s in &p.stages {
        stage
            .execute(params![
                Uuid::now_v7(),
                ws.0,
                s.contact.0,
                s.stage.as_str(),
                s.entered_at.unix_micros(),
                opt_ts(s.left_at),
                s.changed_by
            ])
            .map_err(rs_err)?;
    }
    steps.done("contact stages");
    for (contact, e) in &p.events {
        crate::write::insert_event(conn, ws, *contact, e)?;
    }
    steps.done("events");
    let mut link = conn
        .prepare_cached(
            "insert into visitor_links (workspace_id, visitor, contact_id, linked_at) values (?1, ?2, ?3, ?4)",
        )
        .map_err(rs_err)?;
    for (visitor, contact, at) in &p.links {
        link.execute(params![ws.0, visitor.as_str(), contact.0, at.unix_micros()])
            .map_err(rs_err)?;
    }
    steps.done("visitor links");
    let mut deal = conn
        .prepare_cached(
            "insert into deals (id, workspace_id, pipeline_id, stage_id, status, contact_id, company, title, amount, \
               currency, expected_close, owner_id, source, loss_reason, objection, closed_at, created_at, updated_at) \
             values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
        )
        .map_err(rs_err)?;
    for d in &p.deals {
        deal.execute(params![
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
            d.expected_close.map(closer_domain::date_text),
            d.owner_id.map(|u| u.0),
            d.source,
            d.loss.as_ref().map(|l| l.reason.as_str()),
            d.loss.as_ref().and_then(|l| l.objection.as_deref()),
            opt_ts(d.closed_at),
            d.created_at.unix_micros(),
            d.updated_at.unix_micros()
        ])
        .map_err(rs_err)?;
    }
    steps.done("deals");
    // After the deals: an activity may be logged on its contact's deal.
    for a in &p.activities {
        crate::work::insert_activity(conn, ws, a)?;
    }
    steps.done("activities");
    let mut span = conn
        .prepare_cached(
            "insert into deal_stages (id, workspace_id, deal_id, stage_id, stage_name, entered_at, left_at, changed_by) \
             values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .map_err(rs_err)?;
    for s in &p.deal_stages {
        span.execute(params![
            Uuid::now_v7(),
            ws.0,
            s.deal.0,
            s.stage_id.0,
            s.stage_name,
            s.entered_at.unix_micros(),
            opt_ts(s.left_at),
            s.changed_by
        ])
        .map_err(rs_err)?;
    }
    steps.done("deal stages");
    for o in &p.orders {
        crate::deals::insert_order(conn, ws, o)?;
    }
    steps.done("orders");
    Ok(())
}

/// What the dropped triggers would have written, set-based: the migrations' backfill of
/// `journeys` and deals' paths (0006, 0009), limited to the workspace and folded so each row
/// is written once. The conformance suite checks the result against the triggers' own.
fn derive(conn: &Connection, ws: WorkspaceId, steps: &mut LoadSteps) -> Result<(), StoreError> {
    const STATEMENTS: [(&str, &str); 4] = [
        // Contacts' own copies of their linked visitors' events.
        (
            "contacts' traffic",
            "insert into contact_traffic (contact_id, occurred_at, id, workspace_id, name, path, props) \
         select l.contact_id, t.occurred_at, t.id, t.workspace_id, t.name, t.path, t.props \
         from visitor_links l join sessions s on s.visitor = l.visitor and s.workspace_id = l.workspace_id \
         join traffic_events t on t.session_id = s.id \
         where l.workspace_id = ?1 on conflict do nothing",
        ),
        // Each journey written once and in key order (entry time): the migrations' backfill
        // (an insert, then an update per source, moving rows to earlier entry times) left
        // the clustered table's pages split and half full.
        (
            "journeys",
            "with st as ( \
             select contact_id, \
                    min(entered_at) as first_at, \
                    min(case when stage = 'lead' then entered_at end) as lead_at, \
                    min(case when stage = 'prospect' then entered_at end) as prospect_at, \
                    min(case when stage = 'opportunity' then entered_at end) as opportunity_at, \
                    min(case when stage = 'customer' then entered_at end) as customer_at \
             from contact_stages where workspace_id = ?1 group by contact_id), \
         o as ( \
             select contact_id, min(placed_at) as first_at from orders where workspace_id = ?1 \
             group by contact_id), \
         f as ( \
             select * from ( \
                 select l.contact_id, s.started_at, s.channel, s.source, s.utm_campaign, s.site_id, \
                        row_number() over (partition by l.contact_id order by s.started_at) as n \
                 from visitor_links l join sessions s on s.visitor = l.visitor and s.workspace_id = l.workspace_id \
                 where l.workspace_id = ?1) \
             where n = 1), \
         base as ( \
             select c.id, c.workspace_id, c.owner_id, c.first_touch_at, \
                    min(c.created_at, coalesce(st.first_at, c.created_at), coalesce(o.first_at, c.created_at), \
                        coalesce(f.started_at, c.created_at)) as entered_at, \
                    f.started_at as first_visit_at, st.lead_at, st.prospect_at, st.opportunity_at, \
                    case when o.first_at is null then st.customer_at \
                         else min(coalesce(st.customer_at, o.first_at), o.first_at) end as customer_at, \
                    f.channel, f.source, f.utm_campaign as campaign, f.site_id \
             from contacts c \
             left join st on st.contact_id = c.id \
             left join o on o.contact_id = c.id \
             left join f on f.contact_id = c.id \
             where c.workspace_id = ?1) \
         insert into journeys (contact_id, workspace_id, entered_at, first_visit_at, lead_at, prospect_at, \
             opportunity_at, customer_at, repeat_at, first_touch_at, channel, source, campaign, site_id, \
             owner_id, lead_path) \
         select b.id, b.workspace_id, b.entered_at, b.first_visit_at, b.lead_at, b.prospect_at, \
                b.opportunity_at, b.customer_at, \
                (select placed_at from orders where contact_id = b.id order by placed_at limit 1 offset 1), \
                b.first_touch_at, b.channel, b.source, b.campaign, b.site_id, b.owner_id, \
                (select group_concat(p.touch, char(30)) from ( \
                     select s.channel || char(31) || coalesce(s.utm_campaign, '') as touch \
                     from visitor_links l join sessions s on s.visitor = l.visitor and s.workspace_id = l.workspace_id \
                     where l.contact_id = b.id and s.started_at <= coalesce(b.lead_at, b.entered_at) \
                     order by s.started_at) as p) \
         from base b order by b.entered_at, b.id",
        ),
        (
            "deals' created paths",
            "update deals set created_path = ( \
             select group_concat(p.touch, char(30)) from ( \
                 select s.channel || char(31) || coalesce(s.utm_campaign, '') as touch \
                 from visitor_links l join sessions s on s.visitor = l.visitor and s.workspace_id = l.workspace_id \
                 where l.contact_id = deals.contact_id and s.started_at <= deals.created_at \
                 order by s.started_at) as p) \
         where workspace_id = ?1",
        ),
        (
            "won deals' paths",
            "update deals set \
             won_path = ( \
                 select group_concat(p.touch, char(30)) from ( \
                     select s.channel || char(31) || coalesce(s.utm_campaign, '') as touch \
                     from visitor_links l join sessions s on s.visitor = l.visitor and s.workspace_id = l.workspace_id \
                     where l.contact_id = deals.contact_id and s.started_at <= deals.closed_at \
                     order by s.started_at) as p), \
             won_touches = \
                 (select count(*) from activities a \
                  where a.contact_id = deals.contact_id and a.occurred_at <= deals.closed_at) \
                 + (select count(*) from visitor_links l join sessions s \
                      on s.visitor = l.visitor and s.workspace_id = l.workspace_id \
                    where l.contact_id = deals.contact_id and s.started_at <= deals.closed_at) \
         where workspace_id = ?1 and status = 'won' and closed_at is not null",
        ),
    ];
    for (step, sql) in STATEMENTS {
        conn.execute(sql, params![ws.0]).map_err(rs_err)?;
        steps.done(step);
    }
    Ok(())
}

/// Runs `load` with a page cache of 512 MiB instead of the writer's 16 MiB: a bulk load
/// touches a few B-trees far larger than that, and every page evicted mid-transaction is
/// written to the WAL and read back from it. The usual size is restored afterwards.
fn with_large_cache<T>(
    conn: &Connection,
    load: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    conn.execute_batch("pragma cache_size = -524288")
        .map_err(rs_err)?;
    let out = load(conn);
    conn.execute_batch(&format!(
        "pragma cache_size = {}",
        crate::writer::CACHE_SIZE
    ))
    .map_err(rs_err)?;
    out
}

#[async_trait::async_trait]
impl BulkStore for SqliteStore {
    async fn record_new_traffic(&self, hits: std::sync::Arc<[Hit]>) -> Result<(), StoreError> {
        // Placed here, and freed here after the write: the writer's thread only writes.
        let new = std::sync::Arc::new(crate::traffic_write::NewTraffic::place(hits));
        let writing = std::sync::Arc::clone(&new);
        let out = self
            .writer
            .write(move |conn| {
                with_large_cache(conn, |c| crate::traffic_write::record_new(c, &writing))
            })
            .await;
        drop(new);
        out
    }

    async fn load_people(
        &self,
        ws: WorkspaceId,
        people: std::sync::Arc<PeopleLoad>,
    ) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| with_large_cache(conn, |c| load_people(c, ws, &people)))
            .await
    }

    async fn discard_site(&self, ws: WorkspaceId, site: SiteId) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| {
                for table in SITE_TABLES {
                    conn.execute(
                        &format!("delete from {table} where workspace_id = ?1 and site_id = ?2"),
                        params![ws.0, site.0],
                    )
                    .map_err(rs_err)?;
                }
                conn.execute(
                    "delete from sites where workspace_id = ?1 and id = ?2",
                    params![ws.0, site.0],
                )
                .map_err(rs_err)?;
                Ok(())
            })
            .await
    }
}
