//! Rule moves on SQLite, set-based, in the writer's transaction.

use std::collections::HashMap;

use closer_domain::contact::upsert::stage_event;
use closer_domain::{ContactId, Stage, Timestamp, WorkspaceId};
use closer_store::{StageMove, StoreError};
use rusqlite::Connection;
use uuid::Uuid;

use crate::error::rs_err;
use crate::rows::{self, to_json};

/// Rule moves, set-based: one `update … returning` per (from, to) pair and chunk finds the
/// contacts still at `from` and moves them; their history rows and `stage_changed` events go in
/// with multi-row inserts (see `upsert_many` in qualification.rs for why not row by row).
pub(crate) fn move_stages(
    conn: &Connection,
    ws: WorkspaceId,
    moves: &[StageMove],
    now: Timestamp,
) -> Result<Vec<ContactId>, StoreError> {
    use rusqlite::types::Value as Sql;
    let blob = |u: Uuid| Sql::Blob(u.as_bytes().to_vec());
    let mut pairs: Vec<(Stage, Stage)> = moves.iter().map(|m| (m.from, m.to)).collect();
    pairs.sort_by_key(|(f, t)| (f.as_str(), t.as_str()));
    pairs.dedup();
    let mut applied = Vec::new();
    for (from, to) in pairs {
        let group: Vec<&StageMove> = moves
            .iter()
            .filter(|m| m.from == from && m.to == to)
            .collect();
        for chunk in group.chunks(500) {
            let list = (0..chunk.len())
                .map(|i| format!("?{}", i + 5))
                .collect::<Vec<_>>()
                .join(", ");
            let mut values = vec![
                Sql::Text(to.as_str().to_owned()),
                Sql::Integer(now.unix_micros()),
                blob(ws.0),
                Sql::Text(from.as_str().to_owned()),
            ];
            values.extend(chunk.iter().map(|m| blob(m.contact.0)));
            // `+workspace_id`, `+stage`: without statistics SQLite would rather walk the
            // (workspace, stage) index than look up hundreds of ids, reading every lead of the
            // workspace for each chunk (a rescore promoting 200,000 took minutes).
            let shifted: Vec<Uuid> = conn
                .prepare_cached(&format!(
                    "update contacts set stage = ?1, updated_at = max(updated_at, ?2) \
                     where +workspace_id = ?3 and +stage = ?4 and id in ({list}) returning id"
                ))
                .and_then(|mut st| {
                    st.query_map(rusqlite::params_from_iter(values), |r| r.get(0))?
                        .collect::<Result<Vec<Uuid>, _>>()
                })
                .map_err(rs_err)?;
            if shifted.is_empty() {
                continue;
            }
            let ids = (0..shifted.len())
                .map(|i| format!("?{}", i + 2))
                .collect::<Vec<_>>()
                .join(", ");
            let mut values = vec![Sql::Integer(now.unix_micros())];
            values.extend(shifted.iter().map(|u| blob(*u)));
            // Each closed row's end is where the new one starts (never before the old start), as
            // `move_stage` does one contact at a time.
            let closed: HashMap<Uuid, i64> = conn
                .prepare_cached(&format!(
                    "update contact_stages set left_at = max(entered_at, ?1) where left_at is null and contact_id in ({ids}) \
                     returning contact_id, left_at"
                ))
                .and_then(|mut st| {
                    st.query_map(rusqlite::params_from_iter(values), |r| Ok((r.get(0)?, r.get(1)?)))?
                        .collect::<Result<HashMap<Uuid, i64>, _>>()
                })
                .map_err(rs_err)?;
            let actor_of = |id: &Uuid| {
                chunk
                    .iter()
                    .find(|m| m.contact.0 == *id)
                    .map_or("rule", |m| m.actor.as_str())
                    .to_owned()
            };
            let rows = (0..shifted.len())
                .map(|i| {
                    let b = i * 6 + 1;
                    format!(
                        "(?{b}, ?{}, ?{}, ?{}, ?{}, ?{})",
                        b + 1,
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 5
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            let mut spans = Vec::with_capacity(shifted.len() * 6);
            let mut events = Vec::with_capacity(shifted.len() * 6);
            for id in &shifted {
                let actor = actor_of(id);
                let at = closed.get(id).copied().unwrap_or(now.unix_micros());
                spans.extend([
                    blob(Uuid::now_v7()),
                    blob(ws.0),
                    blob(*id),
                    Sql::Text(to.as_str().to_owned()),
                    Sql::Integer(at),
                    Sql::Text(actor.clone()),
                ]);
                let event = stage_event(Some(from), to, &actor, rows::ts(at)?);
                events.extend([
                    blob(event.id.0),
                    blob(ws.0),
                    blob(*id),
                    Sql::Text(event.kind.as_str().to_owned()),
                    Sql::Integer(event.occurred_at.unix_micros()),
                    Sql::Text(to_json(&event.properties)),
                ]);
            }
            conn.prepare_cached(&format!(
                "insert into contact_stages (id, workspace_id, contact_id, stage, entered_at, changed_by) values {rows}"
            ))
            .and_then(|mut st| st.execute(rusqlite::params_from_iter(spans)))
            .map_err(rs_err)?;
            conn.prepare_cached(&format!(
                "insert into events (id, workspace_id, contact_id, kind, occurred_at, properties) values {rows}"
            ))
            .and_then(|mut st| st.execute(rusqlite::params_from_iter(events)))
            .map_err(rs_err)?;
            applied.extend(shifted.into_iter().map(ContactId));
        }
    }
    Ok(applied)
}
