//! A contact's timeline on PostgreSQL: its events, tracked visits, activities, deal moves and
//! orders in one keyset-paged union (the other contact reads are `closer_store_sql::contacts_store`).

use closer_domain::{ContactId, Event, EventId, EventKind, WorkspaceId};
use closer_store::{Cursor, StoreError};
use sqlx::PgPool;

use crate::error::db_err;
use crate::rows::{get, json, ts};

async fn exists(pool: &PgPool, ws: WorkspaceId, id: ContactId) -> Result<(), StoreError> {
    let found: Option<i32> =
        sqlx::query_scalar("select 1 from contacts where workspace_id = $1 and id = $2")
            .bind(ws.0)
            .bind(id.0)
            .fetch_optional(pool)
            .await
            .map_err(db_err)?;
    found.map(|_| ()).ok_or(StoreError::NotFound)
}

pub(crate) async fn events(
    pool: &PgPool,
    ws: WorkspaceId,
    id: ContactId,
    limit: u32,
    before: Option<Cursor>,
) -> Result<Vec<Event>, StoreError> {
    exists(pool, ws, id).await?;
    let found = sqlx::query(
        "select id, kind, occurred_at, properties from ( \
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
         order by occurred_at desc, id desc limit $5",
    )
    .bind(ws.0)
    .bind(id.0)
    .bind(before.map(|c| c.at.get()))
    .bind(before.map_or(uuid::Uuid::max(), |c| c.id))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    found
        .iter()
        .map(|row| {
            let kind: String = get(row, "kind")?;
            Ok(Event {
                id: EventId(get(row, "id")?),
                contact_id: id,
                kind: EventKind::parse(&kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("event kind {kind}")))?,
                occurred_at: ts(row, "occurred_at")?,
                properties: json(row, "properties")?,
            })
        })
        .collect()
}
