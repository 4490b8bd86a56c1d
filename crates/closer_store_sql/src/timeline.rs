//! A contact's timeline: its captures and stage moves, tracked visits, activities, deal moves
//! and orders in one keyset-paged union, newest first. The union builds each kind's
//! properties as JSON, which the engines spell differently, so the statement is written once
//! per engine here, side by side, and read by one decoder.

use closer_domain::{ContactId, Event, EventId, EventKind, WorkspaceId};
use closer_store::{Cursor, StoreError};

use crate::{Columns, Dialect, Engine, Param, required};

/// `$1` workspace, `$2` contact, `$3`/`$4` the cursor (time, id), `$5` the limit. `+` keeps
/// SQLite off the workspace-wide indexes of deals and orders (a walk over all of them at
/// scale) in favour of the contact's.
const SQLITE: &str = "select id, kind, occurred_at, properties from ( \
       select id, kind, occurred_at, properties from events where workspace_id = $1 and contact_id = $2 \
       union all \
       select t.id, case when t.name = 'pageview' then 'pageview' else 'custom_event' end, t.occurred_at, \
         json_object('name', t.name, 'site', s.domain, 'path', t.path, 'session_id', lower(hex(t.session_id)), \
           'props', json(coalesce(t.props, '{}')), 'revenue', t.revenue, 'currency', t.currency) \
       from visitor_links l join sessions v on v.visitor = l.visitor and v.workspace_id = l.workspace_id \
       join traffic_events t on t.session_id = v.id join sites s on s.id = t.site_id where l.workspace_id = $1 and l.contact_id = $2 \
       union all \
       select a.id, 'activity', a.occurred_at, json_object('kind', a.kind, 'outcome', a.outcome, 'text', a.body, \
         'deal_id', lower(hex(a.deal_id)), 'owner_id', lower(hex(a.owner_id))) \
       from activities a where a.workspace_id = $1 and a.contact_id = $2 \
       union all \
       select ds.id, 'deal_moved', ds.entered_at, json_object('deal_id', lower(hex(d.id)), 'title', d.title, \
         'stage', ds.stage_name, 'changed_by', ds.changed_by) \
       from deals d join deal_stages ds on ds.deal_id = d.id where +d.workspace_id = $1 and d.contact_id = $2 \
       union all \
       select o.id, 'order_placed', o.placed_at, json_object('total', printf('%d.%04d', o.total / 10000, o.total % 10000), \
         'currency', o.currency, 'source', o.source, 'deal_id', lower(hex(o.deal_id))) \
       from orders o where +o.workspace_id = $1 and o.contact_id = $2) \
     where (occurred_at, id) < ($3, $4) order by occurred_at desc, id desc limit $5";

/// As `SQLITE`; a visitor's sessions are looked up first (`any(array(…))`), so the planner
/// probes the events index once per session.
const POSTGRES: &str = "select id, kind, occurred_at, properties from ( \
       select id, kind, occurred_at, properties from events where workspace_id = $1 and contact_id = $2 \
       union all \
       select t.id, case when t.name = 'pageview' then 'pageview' else 'custom_event' end, t.occurred_at, \
         jsonb_build_object('name', t.name, 'site', s.domain, 'path', t.path, 'session_id', replace(t.session_id::text, '-', ''), \
           'props', coalesce(t.props, '{}'::jsonb), 'revenue', t.revenue::text, 'currency', t.currency) \
       from traffic_events t join sites s on s.id = t.site_id \
       where t.session_id = any(array(select v.id from visitor_links l join sessions v \
         on v.visitor = l.visitor and v.workspace_id = l.workspace_id where l.workspace_id = $1 and l.contact_id = $2)) \
       union all \
       select a.id, 'activity', a.occurred_at, jsonb_build_object('kind', a.kind, 'outcome', a.outcome, 'text', a.body, \
         'deal_id', replace(a.deal_id::text, '-', ''), 'owner_id', replace(a.owner_id::text, '-', '')) \
       from activities a where a.workspace_id = $1 and a.contact_id = $2 \
       union all \
       select ds.id, 'deal_moved', ds.entered_at, jsonb_build_object('deal_id', replace(d.id::text, '-', ''), 'title', d.title, \
         'stage', ds.stage_name, 'changed_by', ds.changed_by) \
       from deals d join deal_stages ds on ds.deal_id = d.id where d.workspace_id = $1 and d.contact_id = $2 \
       union all \
       select o.id, 'order_placed', o.placed_at, jsonb_build_object('total', format('%s.%s', o.total / 10000, lpad((o.total % 10000)::text, 4, '0')), \
         'currency', o.currency, 'source', o.source, 'deal_id', replace(o.deal_id::text, '-', '')) \
       from orders o where o.workspace_id = $1 and o.contact_id = $2) as timeline \
     where ($3::timestamptz is null or (occurred_at, id) < ($3, $4)) \
     order by occurred_at desc, id desc limit $5";

/// A timeline row: everything of an `Event` but whose it is, which the caller knows.
struct Row {
    id: EventId,
    kind: EventKind,
    occurred_at: closer_domain::Timestamp,
    properties: serde_json::Value,
}

fn row(r: &dyn Columns) -> Result<Row, StoreError> {
    let kind = required("kind", r.text("kind")?)?;
    Ok(Row {
        id: EventId(required("id", r.uuid("id")?)?),
        kind: EventKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("event kind {kind}")))?,
        occurred_at: required("occurred_at", r.timestamp("occurred_at")?)?,
        properties: required("properties", r.json("properties")?)?,
    })
}

/// The contact's timeline before `before` (newest first); `NotFound` for a contact not in the
/// workspace.
pub async fn contact_events(
    e: &impl Engine,
    ws: WorkspaceId,
    id: ContactId,
    limit: u32,
    before: Option<Cursor>,
) -> Result<Vec<Event>, StoreError> {
    crate::contacts_store::exists(e, ws, id).await?;
    let (text, at) = match e.dialect() {
        // No cursor: after everything (SQLite keeps times as integers).
        Dialect::Sqlite => (
            SQLITE,
            before.map_or(Param::Int(i64::MAX), |c| Param::Time(c.at)),
        ),
        Dialect::Postgres => (POSTGRES, Param::MaybeTime(before.map(|c| c.at))),
    };
    let sql = e.sql(
        text,
        [
            ws.0.into(),
            id.0.into(),
            at,
            before.map_or(uuid::Uuid::max(), |c| c.id).into(),
            i64::from(limit).into(),
        ],
    );
    let rows = e.fetch(sql, row).await?;
    Ok(rows
        .into_iter()
        .map(|r| Event {
            id: r.id,
            contact_id: id,
            kind: r.kind,
            occurred_at: r.occurred_at,
            properties: r.properties,
        })
        .collect())
}
