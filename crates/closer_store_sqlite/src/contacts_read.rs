//! Contact reads on SQLite: the filtered, keyset-paged list, stage history and timeline.

use closer_domain::{ContactId, Event, EventId, EventKind, WorkspaceId};
use closer_store::{ContactQuery, Cursor, Page, StageSpan, StoreError};
use rusqlite::{Connection, params, params_from_iter};

use crate::read::{all, one, params};
use crate::rows::{self, CONTACT_COLUMNS, get, json, ts};

pub(crate) fn contact(
    conn: &Connection,
    ws: WorkspaceId,
    id: ContactId,
) -> Result<closer_domain::Contact, StoreError> {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let sql = SQL.get_or_init(|| {
        format!("select {CONTACT_COLUMNS} from contacts where workspace_id = ?1 and id = ?2")
    });
    one(conn, sql, [ws.0, id.0], rows::contact)
}

pub(crate) fn by_ids(
    conn: &Connection,
    ws: WorkspaceId,
    ids: &[ContactId],
) -> Result<Vec<closer_domain::Contact>, StoreError> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let (list, mut values) = crate::read::in_list(2, chunk.iter().map(|c| c.0));
        values.insert(0, rusqlite::types::Value::Blob(ws.0.as_bytes().to_vec()));
        // `+workspace_id`: by key, not by walking the workspace's index.
        let sql = format!(
            "select {CONTACT_COLUMNS} from contacts where +workspace_id = ?1 and id in ({list})"
        );
        out.extend(all(conn, &sql, params_from_iter(values), rows::contact)?);
    }
    Ok(out)
}

pub(crate) fn list(
    conn: &Connection,
    ws: WorkspaceId,
    q: &ContactQuery,
) -> Result<Page<closer_domain::Contact>, StoreError> {
    let sql = closer_store_sql::contact_list(closer_store_sql::Dialect::Sqlite, ws, q);
    let items = all(conn, &sql.text, params(&sql), rows::contact)?;
    Ok(closer_store_sql::contact_page(items, q))
}

fn exists(conn: &Connection, ws: WorkspaceId, id: ContactId) -> Result<(), StoreError> {
    one(
        conn,
        "select 1 from contacts where workspace_id = ?1 and id = ?2",
        [ws.0, id.0],
        |_| Ok(()),
    )
}

pub(crate) fn history(
    conn: &Connection,
    ws: WorkspaceId,
    id: ContactId,
) -> Result<Vec<StageSpan>, StoreError> {
    exists(conn, ws, id)?;
    all(
        conn,
        "select stage, entered_at, left_at, changed_by from contact_stages \
         where workspace_id = ?1 and contact_id = ?2 order by entered_at, id",
        [ws.0, id.0],
        |row| {
            Ok(StageSpan {
                stage: rows::stage(&get::<String>(row, "stage")?)?,
                entered_at: ts(get(row, "entered_at")?)?,
                left_at: get::<Option<i64>>(row, "left_at")?.map(ts).transpose()?,
                changed_by: get(row, "changed_by")?,
            })
        },
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
