//! The qualification port on PostgreSQL: rules text and score records. A save's version
//! check is the `where` of one conditional statement, so concurrent scorers (several closer
//! processes) cannot both win.

use async_trait::async_trait;
use closer_domain::{ContactId, Event, EventId, EventKind, Timestamp, WorkspaceId};
use closer_store::{QualificationStore, SCORE_VERSION, ScoreRecord, ScoringPage, StoreError};
use sqlx::Row;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::PostgresStore;
use crate::error::db_err;
use crate::rows::CONTACT_COLUMNS;

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

use closer_store_sql::{end_scoring_page, scoring_inputs};

fn state_json(r: &ScoreRecord) -> serde_json::Value {
    serde_json::to_value(&r.state).expect("plain data serialises")
}

#[async_trait]
impl QualificationStore for PostgresStore {
    async fn save_score(
        &self,
        ws: WorkspaceId,
        r: &ScoreRecord,
        expected: Option<i64>,
    ) -> Result<(), StoreError> {
        let done = match expected {
            None => sqlx::query(
                "insert into contact_scores (contact_id, workspace_id, state, engagement, fit, temperature, version, updated_at) \
                 select $1, $2, $3, $4, $5, $6, $7, $8 where exists (select 1 from contacts where id = $1 and workspace_id = $2) \
                 on conflict (contact_id) do nothing",
            ),
            Some(_) => sqlx::query(
                "update contact_scores set state = $3, engagement = $4, fit = $5, temperature = $6, version = $7, updated_at = $8 \
                 where contact_id = $1 and workspace_id = $2 and version = $9",
            ),
        }
        .bind(r.contact_id.0)
        .bind(ws.0)
        .bind(state_json(r))
        .bind(r.engagement)
        .bind(r.fit)
        .bind(r.temperature.as_str())
        .bind(r.version)
        .bind(r.updated_at.get())
        .bind(expected.unwrap_or_default())
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
        if done == 1 {
            return Ok(());
        }
        // Lost a race, or the contact is gone: tell which.
        let contact: Option<i32> =
            sqlx::query_scalar("select 1 from contacts where id = $1 and workspace_id = $2")
                .bind(r.contact_id.0)
                .bind(ws.0)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
        Err(match contact {
            None => StoreError::NotFound,
            Some(_) => StoreError::Conflict {
                constraint: SCORE_VERSION.into(),
            },
        })
    }

    async fn save_scores(
        &self,
        ws: WorkspaceId,
        records: &[(ScoreRecord, Option<i64>)],
    ) -> Result<Vec<ContactId>, StoreError> {
        // One statement per kind: new records inserted unless one appeared meanwhile, existing
        // ones updated where the version still matches; whatever was not written lost a race
        // (or its contact is gone, which the caller finds out on retry).
        let (new, old): (Vec<_>, Vec<_>) = records.iter().partition(|(_, e)| e.is_none());
        let mut written: Vec<Uuid> = Vec::new();
        if !new.is_empty() {
            let done: Vec<Uuid> = sqlx::query_scalar(
                "insert into contact_scores (contact_id, workspace_id, state, engagement, fit, temperature, version, updated_at) \
                 select r.contact_id, $2, r.state, r.engagement, r.fit, r.temperature, r.version, r.updated_at \
                 from unnest($1::uuid[], $3::jsonb[], $4::float8[], $5::float8[], $6::text[], $7::int8[], $8::timestamptz[]) \
                   as r(contact_id, state, engagement, fit, temperature, version, updated_at) \
                 join contacts c on c.id = r.contact_id and c.workspace_id = $2 \
                 on conflict (contact_id) do nothing returning contact_id",
            )
            .bind(new.iter().map(|(r, _)| r.contact_id.0).collect::<Vec<_>>())
            .bind(ws.0)
            .bind(new.iter().map(|(r, _)| state_json(r)).collect::<Vec<_>>())
            .bind(new.iter().map(|(r, _)| r.engagement).collect::<Vec<_>>())
            .bind(new.iter().map(|(r, _)| r.fit).collect::<Vec<_>>())
            .bind(new.iter().map(|(r, _)| r.temperature.as_str()).collect::<Vec<_>>())
            .bind(new.iter().map(|(r, _)| r.version).collect::<Vec<_>>())
            .bind(new.iter().map(|(r, _)| r.updated_at.get()).collect::<Vec<_>>())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
            written.extend(done);
        }
        if !old.is_empty() {
            let done: Vec<Uuid> = sqlx::query_scalar(
                "update contact_scores s set state = r.state, engagement = r.engagement, fit = r.fit, \
                   temperature = r.temperature, version = r.version, updated_at = r.updated_at \
                 from unnest($1::uuid[], $3::jsonb[], $4::float8[], $5::float8[], $6::text[], $7::int8[], $8::timestamptz[], $9::int8[]) \
                   as r(contact_id, state, engagement, fit, temperature, version, updated_at, expected) \
                 where s.contact_id = r.contact_id and s.workspace_id = $2 and s.version = r.expected \
                 returning s.contact_id",
            )
            .bind(old.iter().map(|(r, _)| r.contact_id.0).collect::<Vec<_>>())
            .bind(ws.0)
            .bind(old.iter().map(|(r, _)| state_json(r)).collect::<Vec<_>>())
            .bind(old.iter().map(|(r, _)| r.engagement).collect::<Vec<_>>())
            .bind(old.iter().map(|(r, _)| r.fit).collect::<Vec<_>>())
            .bind(old.iter().map(|(r, _)| r.temperature.as_str()).collect::<Vec<_>>())
            .bind(old.iter().map(|(r, _)| r.version).collect::<Vec<_>>())
            .bind(old.iter().map(|(r, _)| r.updated_at.get()).collect::<Vec<_>>())
            .bind(old.iter().map(|(_, e)| e.unwrap_or_default()).collect::<Vec<_>>())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
            written.extend(done);
        }
        let written: std::collections::HashSet<Uuid> = written.into_iter().collect();
        Ok(records
            .iter()
            .map(|(r, _)| r.contact_id)
            .filter(|c| !written.contains(&c.0))
            .collect())
    }

    async fn put_scores(&self, ws: WorkspaceId, records: &[ScoreRecord]) -> Result<(), StoreError> {
        sqlx::query(
            "insert into contact_scores (contact_id, workspace_id, state, engagement, fit, temperature, version, updated_at) \
             select r.contact_id, r.workspace_id, r.state, r.engagement, r.fit, r.temperature, 1, r.updated_at \
             from unnest($1::uuid[], $2::uuid[], $3::jsonb[], $4::float8[], $5::float8[], $6::text[], $7::timestamptz[]) \
               as r(contact_id, workspace_id, state, engagement, fit, temperature, updated_at) \
             join contacts c on c.id = r.contact_id and c.workspace_id = r.workspace_id \
             on conflict (contact_id) do update set state = excluded.state, engagement = excluded.engagement, \
             fit = excluded.fit, temperature = excluded.temperature, version = contact_scores.version + 1, updated_at = excluded.updated_at",
        )
        .bind(records.iter().map(|r| r.contact_id.0).collect::<Vec<_>>())
        .bind(vec![ws.0; records.len()])
        .bind(records.iter().map(state_json).collect::<Vec<_>>())
        .bind(records.iter().map(|r| r.engagement).collect::<Vec<_>>())
        .bind(records.iter().map(|r| r.fit).collect::<Vec<_>>())
        .bind(records.iter().map(|r| r.temperature.as_str()).collect::<Vec<_>>())
        .bind(records.iter().map(|r| r.updated_at.get()).collect::<Vec<_>>())
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn timelines(
        &self,
        ws: WorkspaceId,
        contacts: &[ContactId],
    ) -> Result<Vec<Event>, StoreError> {
        let ids: Vec<Uuid> = contacts.iter().map(|c| c.0).collect();
        let rows = sqlx::query(
            "select contact_id, id, kind, occurred_at, properties from events \
               where workspace_id = $1 and contact_id = any($2) \
             union all \
             select contact_id, id, case when name = 'pageview' then 'pageview' else 'custom_event' end, occurred_at, \
               jsonb_build_object('name', name, 'path', path, 'props', coalesce(props, '{}'::jsonb)) \
             from contact_traffic where contact_id = any($2) and workspace_id = $1 \
             order by 1, 4, 2",
        )
        .bind(ws.0)
        .bind(&ids)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|row| {
                let kind: String = row.try_get("kind").map_err(corrupt)?;
                let at: OffsetDateTime = row.try_get("occurred_at").map_err(corrupt)?;
                Ok(Event {
                    id: EventId(row.try_get("id").map_err(corrupt)?),
                    contact_id: ContactId(row.try_get("contact_id").map_err(corrupt)?),
                    kind: EventKind::parse(&kind)
                        .ok_or_else(|| corrupt(format!("event kind {kind}")))?,
                    occurred_at: Timestamp::new(at),
                    properties: row.try_get("properties").map_err(corrupt)?,
                })
            })
            .collect()
    }

    async fn scoring_page(
        &self,
        ws: WorkspaceId,
        after: Option<ContactId>,
        limit: u32,
    ) -> Result<ScoringPage, StoreError> {
        // Along the primary key (see the port): contacts, their copied tracked events
        // (`contact_traffic`, keyed by contact) and score records are each visited in order.
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "select {CONTACT_COLUMNS} from contacts where workspace_id = $1 and id > $2 \
             order by id limit $3"
        )))
        .bind(ws.0)
        .bind(after.map_or(Uuid::nil(), |c| c.0))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let mut contacts = rows
            .iter()
            .map(crate::rows::contact)
            .collect::<Result<Vec<_>, _>>()?;
        let next = end_scoring_page(&mut contacts, limit);
        let ids: Vec<ContactId> = contacts.iter().map(|c| c.id).collect();
        let events = self.timelines(ws, &ids).await?;
        Ok(ScoringPage {
            items: scoring_inputs(contacts, &events),
            next,
        })
    }
}
