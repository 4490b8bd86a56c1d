//! Bulk reads for `closer rescore`, on a plain rusqlite connection in a blocking thread: a
//! page of contacts' timelines is tens of thousands of rows, and handing each row from sqlx's
//! connection thread to the async caller cost more than SQLite's own work.

use std::path::Path;

use closer_domain::{ContactId, Event, EventId, EventKind, WorkspaceId};
use closer_store::StoreError;
use rusqlite::{Connection, OpenFlags, params_from_iter, types::Value as Sql};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::error::rs_err;
use crate::rows::ts;

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn parse_json(text: &str) -> Result<Value, StoreError> {
    serde_json::from_str(text).map_err(corrupt)
}

/// The timelines of `contacts`: their captures and stage moves, and their tracked events
/// (`contact_traffic`), ordered by contact then time.
/// One read-only connection kept for bulk reads, so its page cache carries over from one page
/// of contacts to the next (a rescore reads them in order).
#[derive(Default)]
pub(crate) struct BulkReader(std::sync::Mutex<Option<Connection>>);

impl BulkReader {
    pub(crate) fn timelines(
        &self,
        path: &Path,
        ws: WorkspaceId,
        contacts: &[ContactId],
    ) -> Result<Vec<Event>, StoreError> {
        let mut slot = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if slot.is_none() {
            let conn = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(rs_err)?;
            conn.execute_batch("pragma cache_size = -65536; pragma busy_timeout = 5000;")
                .map_err(rs_err)?;
            *slot = Some(conn);
        }
        let conn = slot.as_ref().expect("opened above");
        timelines(conn, ws, contacts)
    }
}

fn timelines(
    conn: &Connection,
    ws: WorkspaceId,
    contacts: &[ContactId],
) -> Result<Vec<Event>, StoreError> {
    let mut out = Vec::new();
    for chunk in contacts.chunks(1_000) {
        let list = (2..chunk.len() + 2)
            .map(|i| format!("?{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let values: Vec<Sql> = std::iter::once(Sql::Blob(ws.0.as_bytes().to_vec()))
            .chain(chunk.iter().map(|c| Sql::Blob(c.0.as_bytes().to_vec())))
            .collect();
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
            let kind: String = r.get(2).map_err(rs_err)?;
            let props: String = r.get(4).map_err(rs_err)?;
            out.push(Event {
                contact_id: ContactId(r.get::<_, Uuid>(0).map_err(rs_err)?),
                id: EventId(r.get::<_, Uuid>(1).map_err(rs_err)?),
                kind: EventKind::parse(&kind)
                    .ok_or_else(|| corrupt(format!("event kind {kind}")))?,
                occurred_at: ts(r.get(3).map_err(rs_err)?)?,
                properties: parse_json(&props)?,
            });
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
