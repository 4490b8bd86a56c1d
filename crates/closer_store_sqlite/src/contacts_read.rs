//! A contact's timeline on SQLite: its events, tracked visits, activities, deal moves and
//! orders in one keyset-paged union (the other contact reads are `closer_store_sql::contacts_store`).

use closer_domain::{ContactId, Event, EventId, EventKind, WorkspaceId};
use closer_store::{Cursor, StoreError};
use rusqlite::{Connection, params};

use crate::read::{all, one};
use crate::rows::{get, json, ts};

fn exists(conn: &Connection, ws: WorkspaceId, id: ContactId) -> Result<(), StoreError> {
    one(
        conn,
        "select 1 from contacts where workspace_id = ?1 and id = ?2",
        [ws.0, id.0],
        |_| Ok(()),
    )
}

// `+workspace_id` on deals and orders: SQLite would otherwise pick their workspace-wide
// indexes over the contact's (a walk over every deal or order at scale).
pub(crate) fn events(
    conn: &Connection,
    ws: WorkspaceId,
    id: ContactId,
    limit: u32,
    before: Option<Cursor>,
) -> Result<Vec<Event>, StoreError> {
    exists(conn, ws, id)?;
    all(
        conn,
        "select id, kind, occurred_at, properties from ( \
           select id, kind, occurred_at, properties from events where workspace_id = ?1 and contact_id = ?2 \
           union all \
           select t.id, case when t.name = 'pageview' then 'pageview' else 'custom_event' end, t.occurred_at, \
             json_object('name', t.name, 'site', s.domain, 'path', t.path, 'session_id', lower(hex(t.session_id)), \
               'props', json(coalesce(t.props, '{}')), 'revenue', t.revenue, 'currency', t.currency) \
           from visitor_links l join sessions v on v.visitor = l.visitor and v.workspace_id = l.workspace_id \
           join traffic_events t on t.session_id = v.id join sites s on s.id = t.site_id where l.workspace_id = ?1 and l.contact_id = ?2 \
           union all \
           select a.id, 'activity', a.occurred_at, json_object('kind', a.kind, 'outcome', a.outcome, 'text', a.body, \
             'deal_id', lower(hex(a.deal_id)), 'owner_id', lower(hex(a.owner_id))) \
           from activities a where a.workspace_id = ?1 and a.contact_id = ?2 \
           union all \
           select ds.id, 'deal_moved', ds.entered_at, json_object('deal_id', lower(hex(d.id)), 'title', d.title, \
             'stage', ds.stage_name, 'changed_by', ds.changed_by) \
           from deals d join deal_stages ds on ds.deal_id = d.id where +d.workspace_id = ?1 and d.contact_id = ?2 \
           union all \
           select o.id, 'order_placed', o.placed_at, json_object('total', printf('%d.%04d', o.total / 10000, o.total % 10000), \
             'currency', o.currency, 'source', o.source, 'deal_id', lower(hex(o.deal_id))) \
           from orders o where +o.workspace_id = ?1 and o.contact_id = ?2) \
         where (occurred_at, id) < (?3, ?4) order by occurred_at desc, id desc limit ?5",
        params![
            ws.0,
            id.0,
            before.map_or(i64::MAX, |c| c.at.unix_micros()),
            before.map_or(uuid::Uuid::max(), |c| c.id),
            i64::from(limit)
        ],
        |row| {
            let kind: String = get(row, "kind")?;
            Ok(Event {
                id: EventId(get(row, "id")?),
                contact_id: id,
                kind: EventKind::parse(&kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("event kind {kind}")))?,
                occurred_at: ts(get(row, "occurred_at")?)?,
                properties: json(row, "properties")?,
            })
        },
    )
}
