//! Traffic writes on PostgreSQL: a batch of hits in one transaction — one query finds the
//! visitors' latest sessions, then one multi-row `unnest` statement each inserts the events,
//! inserts new sessions and adds to existing ones.

use std::collections::{HashMap, HashSet};

use closer_domain::traffic::{
    ClickId, Hit, SessionId, SessionKey, SessionState, SiteId, VisitorKey, sessionize,
};
use closer_domain::{ContactId, Timestamp};
use closer_store::{Recorded, StoreError};
use sqlx::{PgConnection, Row};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::copy_write::CopyIn;
use crate::error::db_err;

async fn stored_sessions(
    conn: &mut PgConnection,
    hits: &[Hit],
) -> Result<HashMap<SessionKey, SessionState>, StoreError> {
    let keys: HashSet<SessionKey> = hits
        .iter()
        .map(|h| (h.site_id, h.visitor.clone()))
        .collect();
    let (sites, visitors): (Vec<Uuid>, Vec<String>) = keys
        .iter()
        .map(|(s, v)| (s.0, v.as_str().to_owned()))
        .unzip();
    let rows = sqlx::query(
        "select k.site_id, k.visitor, s.id, s.started_at, s.last_at \
         from unnest($1::uuid[], $2::text[]) as k(site_id, visitor) \
         join lateral (select id, started_at, last_at from sessions \
           where visitor = k.visitor and site_id = k.site_id order by started_at desc limit 1) s on true",
    )
    .bind(&sites)
    .bind(&visitors)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err)?;
    let mut found = HashMap::with_capacity(rows.len());
    for r in rows {
        let get = |e: sqlx::Error| StoreError::Corrupt(e.to_string());
        let key = (
            SiteId(r.try_get("site_id").map_err(get)?),
            VisitorKey::from_stored(r.try_get("visitor").map_err(get)?),
        );
        let started: OffsetDateTime = r.try_get("started_at").map_err(get)?;
        let last: OffsetDateTime = r.try_get("last_at").map_err(get)?;
        found.insert(
            key,
            SessionState {
                id: SessionId(r.try_get("id").map_err(get)?),
                started_at: Timestamp::new(started),
                last_at: Timestamp::new(last),
            },
        );
    }
    Ok(found)
}

/// The hits whose visitor is linked to a contact (one query for the batch's visitors).
async fn identified(
    conn: &mut PgConnection,
    hits: &[Hit],
) -> Result<Vec<(usize, ContactId)>, StoreError> {
    let keys: HashSet<(Uuid, &str)> = hits
        .iter()
        .map(|h| (h.workspace_id.0, h.visitor.as_str()))
        .collect();
    let (workspaces, visitors): (Vec<Uuid>, Vec<String>) =
        keys.iter().map(|(w, v)| (*w, (*v).to_owned())).unzip();
    let rows = sqlx::query(
        "select l.workspace_id, l.visitor, l.contact_id from unnest($1::uuid[], $2::text[]) as k(workspace_id, visitor) \
         join visitor_links l on l.workspace_id = k.workspace_id and l.visitor = k.visitor",
    )
    .bind(&workspaces)
    .bind(&visitors)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err)?;
    let mut linked = HashMap::with_capacity(rows.len());
    for r in rows {
        let get = |e: sqlx::Error| StoreError::Corrupt(e.to_string());
        let ws: Uuid = r.try_get("workspace_id").map_err(get)?;
        let visitor: String = r.try_get("visitor").map_err(get)?;
        let contact: Uuid = r.try_get("contact_id").map_err(get)?;
        linked.insert((ws, visitor), ContactId(contact));
    }
    Ok(hits
        .iter()
        .enumerate()
        .filter_map(|(i, h)| {
            linked
                .get(&(h.workspace_id.0, h.visitor.as_str().to_owned()))
                .map(|c| (i, *c))
        })
        .collect())
}

/// The advisory lock key of a visitor: linking takes it exclusively, recording hits shared.
/// Without it, a visitor linked while one of its hits is being written (two transactions at
/// once) could leave that hit off the contact: the writer saw no link yet, and the link's copy
/// of the history did not see the uncommitted hit. With it, whichever commits second sees the
/// first.
///
/// Visitors are striped over 512 lock keys (class 7411): a batch of thousands of visitors then
/// takes at most 512 locks, so concurrent batches never exhaust PostgreSQL's shared lock table
/// ("out of shared memory"), at the price of a link waiting for the batches in flight. The same
/// expression takes the exclusive lock in `link_visitor` (migration 0014).
const VISITOR_LOCK_BUCKET: &str = "(hashtextextended(w::text || ':' || v, 7) & 511)::int";

async fn lock_visitors_shared(conn: &mut PgConnection, hits: &[Hit]) -> Result<(), StoreError> {
    let mut keys: Vec<(Uuid, &str)> = hits
        .iter()
        .map(|h| (h.workspace_id.0, h.visitor.as_str()))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    keys.sort_unstable();
    let (workspaces, visitors): (Vec<Uuid>, Vec<String>) =
        keys.iter().map(|(w, v)| (*w, (*v).to_owned())).unzip();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "select count(pg_advisory_xact_lock_shared(7411, b)) from \
         (select distinct ({VISITOR_LOCK_BUCKET}) as b from unnest($1::uuid[], $2::text[]) as k(w, v) \
          order by b) as buckets"
    )))
    .bind(&workspaces)
    .bind(&visitors)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn record(conn: &mut PgConnection, hits: &[Hit]) -> Result<Recorded, StoreError> {
    lock_visitors_shared(conn, hits).await?;
    let stored = stored_sessions(conn, hits).await?;
    let identified = identified(conn, hits).await?;
    store_placed(conn, hits, &stored, identified).await
}

/// `record` for visitors with no stored session and no link (`BulkStore::record_new_traffic`):
/// the same rows, without the lookups (nor the visitors' locks, which guard them), copied in
/// binary (`copy_write.rs`).
pub(crate) async fn record_new(conn: &mut PgConnection, hits: &[Hit]) -> Result<(), StoreError> {
    // Revenue is `numeric`, which the binary copy below does not encode.
    if hits.iter().any(|h| h.revenue.is_some()) {
        return store_placed(conn, hits, &HashMap::new(), Vec::new())
            .await
            .map(|_| ());
    }
    let placed = sessionize(hits, &HashMap::new());
    let mut copy = CopyIn::start(
        conn,
        "traffic_events (id, workspace_id, site_id, session_id, visitor, name, occurred_at, path, props)",
        9,
    )
    .await?;
    for (hit, session) in hits.iter().zip(&placed.session_of) {
        let Some(session) = session else { continue };
        let row = copy.row().await?;
        row.uuid(Uuid::now_v7())
            .uuid(hit.workspace_id.0)
            .uuid(hit.site_id.0)
            .uuid(session.0)
            .text(hit.visitor.as_str())
            .text(hit.kind.name())
            .ts(hit.occurred_at)
            .text(&hit.path);
        if hit.props.is_empty() {
            row.null();
        } else {
            row.jsonb(&serde_json::Value::Object(hit.props.clone()).to_string());
        }
    }
    copy.finish().await?;
    let mut copy = CopyIn::start(
        conn,
        "sessions (id, workspace_id, site_id, visitor, started_at, last_at, entry_page, exit_page, exit_at, \
         pageviews, events, interactions, channel, source, referrer, utm_source, utm_medium, utm_campaign, \
         utm_term, utm_content, click_id)",
        21,
    )
    .await?;
    for s in &placed.sessions {
        let a = &s.attribution;
        copy.row()
            .await?
            .uuid(s.id.0)
            .uuid(s.workspace_id.0)
            .uuid(s.site_id.0)
            .text(s.visitor.as_str())
            .ts(s.started_at)
            .ts(s.last_at)
            .text(&s.entry_page)
            .opt_text(s.exit.as_ref().map(|(_, p)| p.as_str()))
            .opt_ts(s.exit.as_ref().map(|(t, _)| *t))
            .int8(s.pageviews)
            .int8(s.events)
            .int8(s.interactions)
            .text(a.channel.as_str())
            .opt_text(a.source.as_deref())
            .opt_text(a.referrer.as_deref())
            .opt_text(a.utm.source.as_deref())
            .opt_text(a.utm.medium.as_deref())
            .opt_text(a.utm.campaign.as_deref())
            .opt_text(a.utm.term.as_deref())
            .opt_text(a.utm.content.as_deref())
            .opt_text(a.click_id.map(ClickId::as_str));
    }
    copy.finish().await?;
    add_visitor_days(
        conn,
        &closer_domain::traffic::new_visitor_days(&placed.sessions, |_| false),
    )
    .await
}

/// Places the hits in sessions (after `stored`) and writes events, sessions, the linked
/// contacts' copies (`identified`) and new-visitor counts.
async fn store_placed(
    conn: &mut PgConnection,
    hits: &[Hit],
    stored: &HashMap<SessionKey, SessionState>,
    identified: Vec<(usize, ContactId)>,
) -> Result<Recorded, StoreError> {
    let placed = sessionize(hits, stored);
    let contact_of: HashMap<usize, ContactId> = identified.iter().copied().collect();

    let mut e = EventColumns::default();
    // The identified hits' copies under their contacts: (contact, position in `e`).
    let mut copies: Vec<(Uuid, usize)> = Vec::new();
    for (i, (hit, session)) in hits.iter().zip(&placed.session_of).enumerate() {
        let Some(session) = session else { continue };
        if let Some(contact) = contact_of.get(&i) {
            copies.push((contact.0, e.id.len()));
        }
        e.id.push(Uuid::now_v7());
        e.workspace.push(hit.workspace_id.0);
        e.site.push(hit.site_id.0);
        e.session.push(session.0);
        e.visitor.push(hit.visitor.as_str().to_owned());
        e.name.push(hit.kind.name().to_owned());
        e.at.push(hit.occurred_at.get());
        e.path.push(hit.path.clone());
        e.props.push(
            (!hit.props.is_empty())
                .then(|| serde_json::Value::Object(hit.props.clone()).to_string()),
        );
        e.revenue
            .push(hit.revenue.as_ref().map(|r| r.amount.clone()));
        e.currency
            .push(hit.revenue.as_ref().map(|r| r.currency.clone()));
    }
    let events = e.id.len();
    if events > 0 {
        sqlx::query(
            "insert into traffic_events (id, workspace_id, site_id, session_id, visitor, name, occurred_at, path, props, revenue, currency) \
             select * from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::timestamptz[], \
               $8::text[], $9::text[]::jsonb[], $10::text[]::numeric[], $11::text[])",
        )
        .bind(&e.id).bind(&e.workspace).bind(e.site).bind(e.session).bind(e.visitor).bind(&e.name)
        .bind(&e.at).bind(&e.path).bind(&e.props).bind(e.revenue).bind(e.currency)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    }
    if !copies.is_empty() {
        sqlx::query(
            "insert into contact_traffic (contact_id, occurred_at, id, workspace_id, name, path, props) \
             select * from unnest($1::uuid[], $2::timestamptz[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[]::jsonb[]) \
             on conflict do nothing",
        )
        .bind(copies.iter().map(|(c, _)| *c).collect::<Vec<_>>())
        .bind(copies.iter().map(|(_, i)| e.at[*i]).collect::<Vec<_>>())
        .bind(copies.iter().map(|(_, i)| e.id[*i]).collect::<Vec<_>>())
        .bind(copies.iter().map(|(_, i)| e.workspace[*i]).collect::<Vec<_>>())
        .bind(copies.iter().map(|(_, i)| e.name[*i].clone()).collect::<Vec<_>>())
        .bind(copies.iter().map(|(_, i)| e.path[*i].clone()).collect::<Vec<_>>())
        .bind(copies.iter().map(|(_, i)| e.props[*i].clone()).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    }

    let (new, old): (Vec<_>, Vec<_>) = placed.sessions.iter().partition(|s| s.is_new);
    if !new.is_empty() {
        let col = |f: &dyn Fn(&closer_domain::traffic::SessionWrite) -> Option<String>| {
            new.iter().map(|s| f(s)).collect::<Vec<_>>()
        };
        sqlx::query(
            "insert into sessions (id, workspace_id, site_id, visitor, started_at, last_at, entry_page, exit_page, exit_at, \
             pageviews, events, interactions, channel, source, referrer, utm_source, utm_medium, utm_campaign, utm_term, utm_content, click_id) \
             select * from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::text[], \
               $8::text[], $9::timestamptz[], $10::bigint[], $11::bigint[], $12::bigint[], $13::text[], $14::text[], $15::text[], \
               $16::text[], $17::text[], $18::text[], $19::text[], $20::text[], $21::text[])",
        )
        .bind(new.iter().map(|s| s.id.0).collect::<Vec<_>>())
        .bind(new.iter().map(|s| s.workspace_id.0).collect::<Vec<_>>())
        .bind(new.iter().map(|s| s.site_id.0).collect::<Vec<_>>())
        .bind(new.iter().map(|s| s.visitor.as_str().to_owned()).collect::<Vec<_>>())
        .bind(new.iter().map(|s| s.started_at.get()).collect::<Vec<_>>())
        .bind(new.iter().map(|s| s.last_at.get()).collect::<Vec<_>>())
        .bind(new.iter().map(|s| s.entry_page.clone()).collect::<Vec<_>>())
        .bind(col(&|s| s.exit.as_ref().map(|(_, p)| p.clone())))
        .bind(new.iter().map(|s| s.exit.as_ref().map(|(t, _)| t.get())).collect::<Vec<_>>())
        .bind(new.iter().map(|s| s.pageviews).collect::<Vec<_>>())
        .bind(new.iter().map(|s| s.events).collect::<Vec<_>>())
        .bind(new.iter().map(|s| s.interactions).collect::<Vec<_>>())
        .bind(new.iter().map(|s| s.attribution.channel.as_str().to_owned()).collect::<Vec<_>>())
        .bind(col(&|s| s.attribution.source.clone()))
        .bind(col(&|s| s.attribution.referrer.clone()))
        .bind(col(&|s| s.attribution.utm.source.clone()))
        .bind(col(&|s| s.attribution.utm.medium.clone()))
        .bind(col(&|s| s.attribution.utm.campaign.clone()))
        .bind(col(&|s| s.attribution.utm.term.clone()))
        .bind(col(&|s| s.attribution.utm.content.clone()))
        .bind(col(&|s| s.attribution.click_id.map(|c| ClickId::as_str(c).to_owned())))
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    }
    if !old.is_empty() {
        sqlx::query(
            "update sessions s set started_at = least(s.started_at, d.started_at), last_at = greatest(s.last_at, d.last_at), \
             exit_page = case when d.exit_at is not null and d.exit_at >= coalesce(s.exit_at, '-infinity') then d.exit_page else s.exit_page end, \
             exit_at = case when d.exit_at is not null and d.exit_at >= coalesce(s.exit_at, '-infinity') then d.exit_at else s.exit_at end, \
             pageviews = s.pageviews + d.pageviews, events = s.events + d.events, interactions = s.interactions + d.interactions \
             from unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::text[], $5::timestamptz[], $6::bigint[], $7::bigint[], $8::bigint[]) \
               as d(id, started_at, last_at, exit_page, exit_at, pageviews, events, interactions) \
             where s.id = d.id",
        )
        .bind(old.iter().map(|s| s.id.0).collect::<Vec<_>>())
        .bind(old.iter().map(|s| s.started_at.get()).collect::<Vec<_>>())
        .bind(old.iter().map(|s| s.last_at.get()).collect::<Vec<_>>())
        .bind(old.iter().map(|s| s.exit.as_ref().map(|(_, p)| p.clone())).collect::<Vec<_>>())
        .bind(old.iter().map(|s| s.exit.as_ref().map(|(t, _)| t.get())).collect::<Vec<_>>())
        .bind(old.iter().map(|s| s.pageviews).collect::<Vec<_>>())
        .bind(old.iter().map(|s| s.events).collect::<Vec<_>>())
        .bind(old.iter().map(|s| s.interactions).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    }
    let days =
        closer_domain::traffic::new_visitor_days(&placed.sessions, |k| stored.contains_key(k));
    add_visitor_days(conn, &days).await?;
    Ok(Recorded {
        events,
        new_sessions: new.len(),
        identified,
    })
}

/// Adds new visitors to the daily rollup.
async fn add_visitor_days(
    conn: &mut PgConnection,
    days: &[(closer_domain::traffic::VisitorDay, i64)],
) -> Result<(), StoreError> {
    if !days.is_empty() {
        // Sorted keys (new_visitor_days returns them in order): concurrent batches take the
        // rows' locks in one order and cannot deadlock.
        sqlx::query(
            "insert into visitor_days (workspace_id, day, site_id, channel, source, campaign, visitors) \
             select * from unnest($1::uuid[], $2::integer[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::bigint[]) \
             on conflict (workspace_id, day, site_id, channel, source, campaign) \
             do update set visitors = visitor_days.visitors + excluded.visitors",
        )
        .bind(days.iter().map(|(d, _)| d.workspace_id.0).collect::<Vec<_>>())
        .bind(days.iter().map(|(d, _)| i32::try_from(d.day).unwrap_or(i32::MAX)).collect::<Vec<_>>())
        .bind(days.iter().map(|(d, _)| d.site_id.0).collect::<Vec<_>>())
        .bind(days.iter().map(|(d, _)| d.channel.clone()).collect::<Vec<_>>())
        .bind(days.iter().map(|(d, _)| d.source.clone()).collect::<Vec<_>>())
        .bind(days.iter().map(|(d, _)| d.campaign.clone()).collect::<Vec<_>>())
        .bind(days.iter().map(|(_, n)| *n).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    }
    Ok(())
}

#[derive(Default)]
struct EventColumns {
    id: Vec<Uuid>,
    workspace: Vec<Uuid>,
    site: Vec<Uuid>,
    session: Vec<Uuid>,
    visitor: Vec<String>,
    name: Vec<String>,
    at: Vec<OffsetDateTime>,
    path: Vec<String>,
    props: Vec<Option<String>>,
    revenue: Vec<Option<String>>,
    currency: Vec<Option<String>>,
}
