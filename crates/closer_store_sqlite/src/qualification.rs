//! The qualification port on SQLite: rules text and score records. Saves go through the
//! writer thread; the version check and the write share its transaction.

use crate::SqliteStore;
use crate::error::rs_err;
use crate::rows::to_json;
use async_trait::async_trait;
use closer_domain::{ContactId, Event, WorkspaceId};
use closer_store::{QualificationStore, SCORE_VERSION, ScoreRecord, ScoringPage, StoreError};
use rusqlite::{OptionalExtension, params};

/// `?, ?, …` for `n` values after the first `offset` parameters.
fn placeholders(offset: usize, n: usize) -> String {
    (1..=n)
        .map(|i| format!("?{}", offset + i))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One record, at the version it carries (`save_score`, after its version check).
fn upsert(
    conn: &rusqlite::Connection,
    ws: WorkspaceId,
    r: &ScoreRecord,
) -> Result<usize, StoreError> {
    let sql = "insert into contact_scores (contact_id, workspace_id, state, engagement, fit, temperature, version, updated_at) \
         select ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 where exists (select 1 from contacts where id = ?1 and workspace_id = ?2) \
         on conflict (contact_id) do update set state = excluded.state, engagement = excluded.engagement, \
         fit = excluded.fit, temperature = excluded.temperature, version = excluded.version, updated_at = excluded.updated_at";
    conn.prepare_cached(sql)
        .and_then(|mut s| {
            s.execute(params![
                r.contact_id.0,
                ws.0,
                to_json(&r.state),
                r.engagement,
                r.fit,
                r.temperature.as_str(),
                r.version,
                r.updated_at.unix_micros(),
            ])
        })
        .map_err(rs_err)
}

/// Rows per multi-row statement: 8 values each, well under SQLite's 32,766 parameters.
const ROWS: usize = 1_000;

/// Many records in one statement per `ROWS`: inside a large transaction SQLite opens and
/// releases a statement journal for every statement that may abort midway (foreign keys,
/// upserts), and releasing it grows with the transaction — per-row statements made that the
/// writer's main cost during a rescore. Contacts that are gone are skipped (the join).
fn upsert_many(
    conn: &rusqlite::Connection,
    ws: WorkspaceId,
    records: &[&ScoreRecord],
    bump: bool,
) -> Result<(), StoreError> {
    use rusqlite::types::Value as Sql;
    let version = if bump {
        "contact_scores.version + 1"
    } else {
        "excluded.version"
    };
    for chunk in records.chunks(ROWS) {
        let rows = (0..chunk.len())
            .map(|i| {
                let b = i * 7 + 2;
                format!(
                    "(?{b}, ?{}, ?{}, ?{}, ?{}, ?{}, ?{})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "insert into contact_scores (contact_id, workspace_id, state, engagement, fit, temperature, version, updated_at) \
             select v.column1, ?1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7 \
             from (values {rows}) v cross join contacts c on c.id = v.column1 and c.workspace_id = ?1 where true \
             on conflict (contact_id) do update set state = excluded.state, engagement = excluded.engagement, \
             fit = excluded.fit, temperature = excluded.temperature, version = {version}, updated_at = excluded.updated_at"
        );
        let mut values: Vec<Sql> = Vec::with_capacity(chunk.len() * 7 + 1);
        values.push(Sql::Blob(ws.0.as_bytes().to_vec()));
        for r in chunk {
            values.push(Sql::Blob(r.contact_id.0.as_bytes().to_vec()));
            values.push(Sql::Text(to_json(&r.state)));
            values.push(Sql::Real(r.engagement));
            values.push(Sql::Real(r.fit));
            values.push(Sql::Text(r.temperature.as_str().to_owned()));
            values.push(Sql::Integer(if bump { 1 } else { r.version }));
            values.push(Sql::Integer(r.updated_at.unix_micros()));
        }
        conn.prepare_cached(&sql)
            .and_then(|mut st| st.execute(rusqlite::params_from_iter(values)))
            .map_err(rs_err)?;
    }
    Ok(())
}

#[async_trait]
impl QualificationStore for SqliteStore {
    async fn save_score(
        &self,
        ws: WorkspaceId,
        record: &ScoreRecord,
        expected: Option<i64>,
    ) -> Result<(), StoreError> {
        let record = record.clone();
        self.writer
            .write(move |conn| {
                let stored: Option<i64> = conn
                    .prepare_cached(
                        "select version from contact_scores where contact_id = ?1 and +workspace_id = ?2",
                    )
                    .and_then(|mut s| {
                        s.query_row(params![record.contact_id.0, ws.0], |r| r.get(0))
                            .optional()
                    })
                    .map_err(rs_err)?;
                if stored != expected {
                    return Err(StoreError::Conflict {
                        constraint: SCORE_VERSION.into(),
                    });
                }
                if upsert(conn, ws, &record)? == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            })
            .await
    }

    async fn save_scores(
        &self,
        ws: WorkspaceId,
        records: &[(ScoreRecord, Option<i64>)],
    ) -> Result<Vec<ContactId>, StoreError> {
        let records = records.to_vec();
        self.writer
            .write(move |conn| {
                // The stored versions, read in the transaction that writes.
                let mut stored = std::collections::HashMap::new();
                for chunk in records.chunks(ROWS) {
                    let sql = format!(
                        "select contact_id, version from contact_scores where +workspace_id = ?1 and contact_id in ({})",
                        placeholders(1, chunk.len())
                    );
                    let values: Vec<rusqlite::types::Value> = std::iter::once(ws.0)
                        .chain(chunk.iter().map(|(r, _)| r.contact_id.0))
                        .map(|u| rusqlite::types::Value::Blob(u.as_bytes().to_vec()))
                        .collect();
                    let mut st = conn.prepare_cached(&sql).map_err(rs_err)?;
                    let mut rows = st.query(rusqlite::params_from_iter(values)).map_err(rs_err)?;
                    while let Some(row) = rows.next().map_err(rs_err)? {
                        let id: uuid::Uuid = row.get(0).map_err(rs_err)?;
                        let version: i64 = row.get(1).map_err(rs_err)?;
                        stored.insert(id, version);
                    }
                }
                let (fresh, lost): (Vec<_>, Vec<_>) = records
                    .iter()
                    .partition(|(r, expected)| stored.get(&r.contact_id.0).copied() == *expected);
                upsert_many(conn, ws, &fresh.iter().map(|(r, _)| r).collect::<Vec<_>>(), false)?;
                Ok(lost.into_iter().map(|(r, _)| r.contact_id).collect())
            })
            .await
    }

    async fn put_scores(&self, ws: WorkspaceId, records: &[ScoreRecord]) -> Result<(), StoreError> {
        let records = records.to_vec();
        self.writer
            .write(move |conn| upsert_many(conn, ws, &records.iter().collect::<Vec<_>>(), true))
            .await
    }

    async fn timelines(
        &self,
        ws: WorkspaceId,
        contacts: &[ContactId],
    ) -> Result<Vec<Event>, StoreError> {
        let contacts = contacts.to_vec();
        self.bulk
            .read(move |c| crate::bulk_read::timelines(c, ws, &contacts))
            .await
    }

    async fn scoring_page(
        &self,
        ws: WorkspaceId,
        after: Option<ContactId>,
        limit: u32,
    ) -> Result<ScoringPage, StoreError> {
        self.bulk
            .read(move |c| crate::bulk_read::scoring_page(c, ws, after, limit))
            .await
    }
}
