//! Bulk reads for `closer rescore` (`scoring_page`, `timelines`), on the store's one bulk
//! connection (`read::BULK`): a page of contacts' timelines is tens of thousands of rows, read
//! in order, whose pages the connection's large cache carries to the next page.

use std::collections::HashMap;

use closer_domain::qualification::Signal;
use closer_domain::{ContactId, Event, EventId, EventKind, WorkspaceId};
use closer_store::{ScoringInput, ScoringPage, StoreError};
use rusqlite::{Connection, params_from_iter, types::Value as Sql};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::error::rs_err;
use crate::rows::{CONTACT_COLUMNS, ts};
use crate::write::contact;

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn parse_json(text: &str) -> Result<Value, StoreError> {
    serde_json::from_str(text).map_err(corrupt)
}

/// A page of contacts and their signals (`closer rescore`), tracked events turned into signals
/// straight from their columns (no JSON built and read back). The caller's read transaction
/// gives the page one snapshot.
pub(crate) fn scoring_page(
    conn: &Connection,
    ws: WorkspaceId,
    after: Option<ContactId>,
    limit: u32,
) -> Result<ScoringPage, StoreError> {
    // Along the primary key: other workspaces' contacts in the range are read and skipped,
    // which costs less than a (workspace, id) index every capture would have to maintain.
    // `+workspace_id` keeps the planner off the (workspace, …) indexes: without statistics
    // it would take one of them and sort the whole workspace for every page.
    let mut stmt = conn
        .prepare_cached(&format!(
            "select {CONTACT_COLUMNS} from contacts where id > ?2 and +workspace_id = ?1 \
             order by id limit ?3"
        ))
        .map_err(rs_err)?;
    let id = after.map_or(Uuid::nil(), |c| c.0);
    let mut rows = stmt
        .query(rusqlite::params![ws.0, id, i64::from(limit) + 1])
        .map_err(rs_err)?;
    let mut contacts = Vec::with_capacity(limit as usize + 1);
    while let Some(r) = rows.next().map_err(rs_err)? {
        contacts.push(contact(r)?);
    }
    let next = closer_store_sql::end_scoring_page(&mut contacts, limit);
    let ids: Vec<ContactId> = contacts.iter().map(|c| c.id).collect();
    let mut by_contact: HashMap<ContactId, Vec<Signal>> = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(1_000) {
        let (list, values) = in_list(ws, chunk);
        // Captures: their properties are stored whole, and they are few.
        let mut stmt = conn
            .prepare_cached(&format!(
                "select contact_id, id, kind, occurred_at, properties from events \
                 where workspace_id = ?1 and contact_id in ({list}) and kind <> 'stage_changed'"
            ))
            .map_err(rs_err)?;
        let mut rows = stmt
            .query(params_from_iter(values.iter()))
            .map_err(rs_err)?;
        while let Some(r) = rows.next().map_err(rs_err)? {
            let event = event_row(r)?;
            if let Some(signal) = Signal::from_event(&event) {
                by_contact.entry(event.contact_id).or_default().push(signal);
            }
        }
        let mut stmt = conn
            .prepare_cached(&format!(
                "select contact_id, id, name, occurred_at, path, props from contact_traffic \
                 where contact_id in ({list}) and workspace_id = ?1"
            ))
            .map_err(rs_err)?;
        let mut rows = stmt
            .query(params_from_iter(values.iter()))
            .map_err(rs_err)?;
        while let Some(r) = rows.next().map_err(rs_err)? {
            let contact = ContactId(r.get::<_, Uuid>(0).map_err(rs_err)?);
            let props = match r
                .get_ref(5)
                .map_err(rs_err)?
                .as_str_or_null()
                .map_err(corrupt)?
            {
                Some(text) => serde_json::from_str(text).map_err(corrupt)?,
                None => Map::new(),
            };
            let signal = Signal::tracked(
                r.get::<_, Uuid>(1).map_err(rs_err)?,
                r.get_ref(2).map_err(rs_err)?.as_str().map_err(corrupt)?,
                ts(r.get(3).map_err(rs_err)?)?,
                Some(r.get(4).map_err(rs_err)?),
                props,
            );
            by_contact.entry(contact).or_default().push(signal);
        }
    }
    let items = contacts
        .into_iter()
        .map(|contact| {
            let mut signals = by_contact.remove(&contact.id).unwrap_or_default();
            signals.sort_by_key(|s| (s.at, s.event_id));
            ScoringInput { contact, signals }
        })
        .collect();
    Ok(ScoringPage { items, next })
}

/// `?2, ?3, …` for `contacts`, and the values: the workspace first.
fn in_list(ws: WorkspaceId, contacts: &[ContactId]) -> (String, Vec<Sql>) {
    let list = (2..contacts.len() + 2)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let values = std::iter::once(Sql::Blob(ws.0.as_bytes().to_vec()))
        .chain(contacts.iter().map(|c| Sql::Blob(c.0.as_bytes().to_vec())))
        .collect();
    (list, values)
}

fn event_row(r: &rusqlite::Row<'_>) -> Result<Event, StoreError> {
    let kind: String = r.get(2).map_err(rs_err)?;
    let props: String = r.get(4).map_err(rs_err)?;
    Ok(Event {
        contact_id: ContactId(r.get::<_, Uuid>(0).map_err(rs_err)?),
        id: EventId(r.get::<_, Uuid>(1).map_err(rs_err)?),
        kind: EventKind::parse(&kind).ok_or_else(|| corrupt(format!("event kind {kind}")))?,
        occurred_at: ts(r.get(3).map_err(rs_err)?)?,
        properties: parse_json(&props)?,
    })
}

/// The timelines of `contacts`: their captures and stage moves, and their tracked events
/// (`contact_traffic`), ordered by contact then time.
pub(crate) fn timelines(
    conn: &Connection,
    ws: WorkspaceId,
    contacts: &[ContactId],
) -> Result<Vec<Event>, StoreError> {
    let mut out = Vec::new();
    for chunk in contacts.chunks(1_000) {
        let (list, values) = in_list(ws, chunk);
        // Captures and stage moves: their properties are stored whole.
        let mut stmt = conn
            .prepare_cached(&format!(
                "select contact_id, id, kind, occurred_at, properties from events \
                 where workspace_id = ?1 and contact_id in ({list})"
            ))
            .map_err(rs_err)?;
        let mut rows = stmt
            .query(params_from_iter(values.iter()))
            .map_err(rs_err)?;
        while let Some(r) = rows.next().map_err(rs_err)? {
            out.push(event_row(r)?);
        }
        // Tracked events: the timeline's shape built here, props parsed only when present.
        let mut stmt = conn
            .prepare_cached(&format!(
                "select contact_id, id, name, occurred_at, path, props from contact_traffic \
                 where contact_id in ({list}) and workspace_id = ?1"
            ))
            .map_err(rs_err)?;
        let mut rows = stmt
            .query(params_from_iter(values.iter()))
            .map_err(rs_err)?;
        while let Some(r) = rows.next().map_err(rs_err)? {
            let name: String = r.get(2).map_err(rs_err)?;
            let path: String = r.get(4).map_err(rs_err)?;
            let props = match r.get::<_, Option<String>>(5).map_err(rs_err)? {
                Some(text) => parse_json(&text)?,
                None => Value::Object(Map::new()),
            };
            let kind = if name == "pageview" {
                EventKind::Pageview
            } else {
                EventKind::CustomEvent
            };
            out.push(Event {
                contact_id: ContactId(r.get::<_, Uuid>(0).map_err(rs_err)?),
                id: EventId(r.get::<_, Uuid>(1).map_err(rs_err)?),
                kind,
                occurred_at: ts(r.get(3).map_err(rs_err)?)?,
                properties: json!({"name": name, "path": path, "props": props}),
            });
        }
    }
    out.sort_by(|a, b| {
        (a.contact_id.0, a.occurred_at, a.id.0).cmp(&(b.contact_id.0, b.occurred_at, b.id.0))
    });
    Ok(out)
}
