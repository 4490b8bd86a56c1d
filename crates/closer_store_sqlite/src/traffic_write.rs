//! Traffic writes, on the writer thread: a batch of hits placed in sessions and stored in the
//! batch's transaction; visitor links; daily salts.

use std::collections::HashMap;

use closer_domain::traffic::{
    Hit, SessionId, SessionKey, SessionState, SessionWrite, Sessionized, VisitorKey, sessionize,
};
use closer_domain::{ContactId, Timestamp, WorkspaceId};
use closer_store::{Link, Recorded, StoreError};
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use crate::error::rs_err;
use crate::rows::to_json;

/// The latest session of each (site, visitor) in the batch.
fn stored_sessions(
    conn: &Connection,
    hits: &[Hit],
) -> Result<HashMap<SessionKey, SessionState>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "select id, started_at, last_at from sessions where visitor = ?1 and site_id = ?2 \
             order by id desc limit 1",
        )
        .map_err(rs_err)?;
    let mut found = HashMap::new();
    let mut asked = std::collections::HashSet::new();
    for hit in hits {
        let key = (hit.site_id, hit.visitor.clone());
        if !asked.insert(key.clone()) {
            continue;
        }
        let row = stmt
            .query_row(params![hit.visitor.as_str(), hit.site_id.0], |r| {
                Ok((
                    r.get::<_, Uuid>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .optional()
            .map_err(rs_err)?;
        if let Some((id, started, last)) = row {
            found.insert(
                key,
                SessionState {
                    id: SessionId(id),
                    started_at: crate::rows::ts(started)?,
                    last_at: crate::rows::ts(last)?,
                },
            );
        }
    }
    Ok(found)
}

/// `moves_start`: a hit came before the stored start. Only then is `started_at` set: it is in
/// `sessions_site_idx`, and setting it, even to the same value, rewrites the index entry —
/// a page of the index dirtied for every hit of every active session.
fn write_session(conn: &Connection, s: &SessionWrite, moves_start: bool) -> Result<(), StoreError> {
    let (exit_at, exit_page) = s.exit.as_ref().map_or((None, None), |(t, p)| {
        (Some(t.unix_micros()), Some(p.as_str()))
    });
    if s.is_new {
        let a = &s.attribution;
        conn.prepare_cached(
            "insert into sessions (id, workspace_id, site_id, visitor, started_at, last_at, entry_page, exit_page, exit_at, \
             pageviews, events, interactions, channel, source, referrer, utm_source, utm_medium, utm_campaign, utm_term, \
             utm_content, click_id) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
        )
        .and_then(|mut st| {
            st.execute(params![
                s.id.0,
                s.workspace_id.0,
                s.site_id.0,
                s.visitor.as_str(),
                s.started_at.unix_micros(),
                s.last_at.unix_micros(),
                s.entry_page,
                exit_page,
                exit_at,
                s.pageviews,
                s.events,
                s.interactions,
                a.channel.as_str(),
                a.source,
                a.referrer,
                a.utm.source,
                a.utm.medium,
                a.utm.campaign,
                a.utm.term,
                a.utm.content,
                a.click_id.map(closer_domain::traffic::ClickId::as_str),
            ])
        })
        .map_err(rs_err)?;
    } else {
        let sql = if moves_start {
            "update sessions set started_at = min(started_at, ?2), last_at = max(last_at, ?3), \
             exit_page = case when ?5 is not null and ?5 >= coalesce(exit_at, 0) then ?4 else exit_page end, \
             exit_at = case when ?5 is not null and ?5 >= coalesce(exit_at, 0) then ?5 else exit_at end, \
             pageviews = pageviews + ?6, events = events + ?7, interactions = interactions + ?8 \
             where visitor = ?9 and id = ?1"
        } else {
            "update sessions set last_at = max(last_at, ?3), \
             exit_page = case when ?5 is not null and ?5 >= coalesce(exit_at, 0) then ?4 else exit_page end, \
             exit_at = case when ?5 is not null and ?5 >= coalesce(exit_at, 0) then ?5 else exit_at end, \
             pageviews = pageviews + ?6, events = events + ?7, interactions = interactions + ?8 \
             where visitor = ?9 and id = ?1 and ?2 is not null"
        };
        conn.prepare_cached(sql)
            .and_then(|mut st| {
                st.execute(params![
                    s.id.0,
                    s.started_at.unix_micros(),
                    s.last_at.unix_micros(),
                    exit_page,
                    exit_at,
                    s.pageviews,
                    s.events,
                    s.interactions,
                    s.visitor.as_str(),
                ])
            })
            .map_err(rs_err)?;
    }
    Ok(())
}

/// The hits whose visitor is linked to a contact: one primary-key lookup per distinct visitor
/// in a small, cached table.
fn identified(conn: &Connection, hits: &[Hit]) -> Result<Vec<(usize, ContactId)>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "select contact_id from visitor_links where workspace_id = ?1 and visitor = ?2",
        )
        .map_err(rs_err)?;
    let mut linked: HashMap<(WorkspaceId, &str), Option<ContactId>> = HashMap::new();
    let mut out = Vec::new();
    for (i, hit) in hits.iter().enumerate() {
        let key = (hit.workspace_id, hit.visitor.as_str());
        let contact = if let Some(c) = linked.get(&key) {
            *c
        } else {
            let c = stmt
                .query_row(params![key.0.0, key.1], |r| r.get::<_, Uuid>(0))
                .optional()
                .map_err(rs_err)?
                .map(ContactId);
            linked.insert(key, c);
            c
        };
        if let Some(c) = contact {
            out.push((i, c));
        }
    }
    Ok(out)
}

pub(crate) fn record(conn: &Connection, hits: &[Hit]) -> Result<Recorded, StoreError> {
    let stored = stored_sessions(conn, hits)?;
    let identified = identified(conn, hits)?;
    store_placed(conn, hits, &stored, identified)
}

/// Hits of visitors with no stored session and no link (`BulkStore::record_new_traffic`),
/// placed in sessions among themselves, with their new-visitor counts: worked out before
/// the write, off the writer's thread.
pub(crate) struct NewTraffic {
    hits: std::sync::Arc<[Hit]>,
    placed: Sessionized,
    days: Vec<(closer_domain::traffic::VisitorDay, i64)>,
}

impl NewTraffic {
    pub(crate) fn place(hits: std::sync::Arc<[Hit]>) -> Self {
        let placed = sessionize(&hits, &HashMap::new());
        let days = closer_domain::traffic::new_visitor_days(&placed.sessions, |_| false);
        Self { hits, placed, days }
    }
}

/// `record` for new visitors' placed hits: the same rows, without the two lookups per visitor.
pub(crate) fn record_new(conn: &Connection, new: &NewTraffic) -> Result<(), StoreError> {
    let stored = HashMap::new();
    write_placed(conn, &new.hits, &new.placed, &new.days, &stored, Vec::new()).map(|_| ())
}

/// Places the hits in sessions (after `stored`) and writes events, sessions, the linked
/// contacts' copies (`identified`) and new-visitor counts.
fn store_placed(
    conn: &Connection,
    hits: &[Hit],
    stored: &HashMap<SessionKey, SessionState>,
    identified: Vec<(usize, ContactId)>,
) -> Result<Recorded, StoreError> {
    let placed = sessionize(hits, stored);
    let days =
        closer_domain::traffic::new_visitor_days(&placed.sessions, |k| stored.contains_key(k));
    write_placed(conn, hits, &placed, &days, stored, identified)
}

/// Writes placed hits: events, sessions, the linked contacts' copies (`identified`) and
/// new-visitor counts (`days`).
fn write_placed(
    conn: &Connection,
    hits: &[Hit],
    placed: &Sessionized,
    days: &[(closer_domain::traffic::VisitorDay, i64)],
    stored: &HashMap<SessionKey, SessionState>,
    identified: Vec<(usize, ContactId)>,
) -> Result<Recorded, StoreError> {
    let contact_of: HashMap<usize, ContactId> = identified.iter().copied().collect();
    let mut insert = conn
        .prepare_cached(
            "insert into traffic_events (id, workspace_id, site_id, session_id, visitor, name, occurred_at, path, props, revenue, currency) \
             values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )
        .map_err(rs_err)?;
    let mut events = 0;
    for (i, (hit, session)) in hits.iter().zip(&placed.session_of).enumerate() {
        let Some(session) = session else { continue };
        let props = (!hit.props.is_empty()).then(|| to_json(&hit.props));
        let id = Uuid::now_v7();
        insert
            .execute(params![
                id,
                hit.workspace_id.0,
                hit.site_id.0,
                session.0,
                hit.visitor.as_str(),
                hit.kind.name(),
                hit.occurred_at.unix_micros(),
                hit.path,
                props,
                hit.revenue.as_ref().map(|r| r.amount.as_str()),
                hit.revenue.as_ref().map(|r| r.currency.as_str()),
            ])
            .map_err(rs_err)?;
        if let Some(contact) = contact_of.get(&i) {
            conn.prepare_cached(CONTACT_TRAFFIC_INSERT)
                .and_then(|mut st| {
                    st.execute(params![
                        contact.0,
                        hit.occurred_at.unix_micros(),
                        id,
                        hit.workspace_id.0,
                        hit.kind.name(),
                        hit.path,
                        props,
                    ])
                })
                .map_err(rs_err)?;
        }
        events += 1;
    }
    for s in &placed.sessions {
        let moves_start = stored
            .get(&(s.site_id, s.visitor.clone()))
            .is_some_and(|st| st.id == s.id && s.started_at < st.started_at);
        write_session(conn, s, moves_start)?;
    }
    if !days.is_empty() {
        let mut add = conn
            .prepare_cached(
                "insert into visitor_days (workspace_id, day, site_id, channel, source, campaign, visitors) \
                 values (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
                 on conflict do update set visitors = visitors + excluded.visitors",
            )
            .map_err(rs_err)?;
        for (d, n) in days {
            let n = *n;
            add.execute(params![
                d.workspace_id.0,
                d.day,
                d.site_id.0,
                d.channel,
                d.source,
                d.campaign,
                n
            ])
            .map_err(rs_err)?;
        }
    }
    Ok(Recorded {
        events,
        new_sessions: placed.sessions.iter().filter(|s| s.is_new).count(),
        identified,
    })
}

/// A contact's own copy of a tracked event (see the migration's `contact_traffic`).
const CONTACT_TRAFFIC_INSERT: &str = "insert into contact_traffic (contact_id, occurred_at, id, workspace_id, name, path, props) \
     values (?1, ?2, ?3, ?4, ?5, ?6, ?7) on conflict do nothing";

/// Inserts the link unless the visitor has one; reports what the visitor belongs to now.
pub(crate) fn link(
    conn: &Connection,
    ws: WorkspaceId,
    visitor: &VisitorKey,
    contact: ContactId,
    now: Timestamp,
) -> Result<Link, StoreError> {
    let inserted = conn
        .prepare_cached(
            "insert into visitor_links (workspace_id, visitor, contact_id, linked_at) values (?1, ?2, ?3, ?4) \
             on conflict (workspace_id, visitor) do nothing",
        )
        .and_then(|mut s| s.execute(params![ws.0, visitor.as_str(), contact.0, now.unix_micros()]))
        .map_err(rs_err)?;
    if inserted == 1 {
        // The visitor's history so far becomes the contact's.
        conn.prepare_cached(
            "insert into contact_traffic (contact_id, occurred_at, id, workspace_id, name, path, props) \
             select ?3, t.occurred_at, t.id, t.workspace_id, t.name, t.path, t.props \
             from sessions s join traffic_events t on t.session_id = s.id \
             where s.visitor = ?2 and s.workspace_id = ?1 on conflict do nothing",
        )
        .and_then(|mut s| s.execute(params![ws.0, visitor.as_str(), contact.0]))
        .map_err(rs_err)?;
        return Ok(Link::Linked);
    }
    let owner: Uuid = conn
        .prepare_cached(
            "select contact_id from visitor_links where workspace_id = ?1 and visitor = ?2",
        )
        .and_then(|mut s| s.query_row(params![ws.0, visitor.as_str()], |r| r.get(0)))
        .map_err(rs_err)?;
    Ok(if owner == contact.0 {
        Link::Already
    } else {
        Link::Other(ContactId(owner))
    })
}

/// Deletes the tracked history of the contact's visitors (before the contact row, whose
/// deletion cascades to the links).
pub(crate) fn erase_history(
    conn: &Connection,
    ws: WorkspaceId,
    contact: ContactId,
) -> Result<(), StoreError> {
    for sql in [
        "delete from traffic_events where session_id in (select s.id from sessions s \
         join visitor_links l on l.visitor = s.visitor and l.workspace_id = s.workspace_id \
         where l.workspace_id = ?1 and l.contact_id = ?2)",
        "delete from sessions where workspace_id = ?1 and visitor in \
         (select visitor from visitor_links where workspace_id = ?1 and contact_id = ?2)",
    ] {
        conn.prepare_cached(sql)
            .and_then(|mut s| s.execute(params![ws.0, contact.0]))
            .map_err(rs_err)?;
    }
    Ok(())
}

pub(crate) fn salt(conn: &Connection, day: i64) -> Result<Vec<u8>, StoreError> {
    let fresh = Uuid::new_v4();
    let fresh2 = Uuid::new_v4();
    let mut candidate = fresh.as_bytes().to_vec();
    candidate.extend_from_slice(fresh2.as_bytes());
    conn.prepare_cached(
        "insert into tracking_salts (day, salt) values (?1, ?2) on conflict (day) do nothing",
    )
    .and_then(|mut s| s.execute(params![day, candidate]))
    .map_err(rs_err)?;
    conn.prepare_cached("delete from tracking_salts where day < ?1")
        .and_then(|mut s| s.execute(params![day]))
        .map_err(rs_err)?;
    conn.prepare_cached("select salt from tracking_salts where day = ?1")
        .and_then(|mut s| s.query_row(params![day], |r| r.get(0)))
        .map_err(rs_err)
}
