//! Qualification statements written once over `Engine`: the rules' text (read and saved),
//! stored scores, the hot contacts and the contacts whose score is stale. Saving scores checks
//! versions inside each adapter's transaction.

use closer_domain::{ContactId, Timestamp, WorkspaceId};
use closer_store::{OwnerFilter, ScoreRecord, StoreError};
use uuid::Uuid;

use crate::{Columns, Engine, Param, SCORE_COLUMNS, Sql, required};

fn contact_id(r: &dyn Columns) -> Result<ContactId, StoreError> {
    Ok(ContactId(required("id", r.uuid("id")?)?))
}

pub async fn rules_source(e: &impl Engine, ws: WorkspaceId) -> Result<Option<String>, StoreError> {
    let sql = e.sql(
        "select source from qualification_rules where workspace_id = $1",
        [ws.0.into()],
    );
    e.fetch_optional(sql, |r| required("source", r.text("source")?))
        .await
}

pub async fn put_rules_source(
    e: &impl Engine,
    ws: WorkspaceId,
    source: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    let sql = e.sql(
        "insert into qualification_rules (workspace_id, source, updated_at) values ($1, $2, $3) \
         on conflict (workspace_id) do update set source = excluded.source, \
         updated_at = excluded.updated_at",
        [ws.0.into(), source.into(), now.into()],
    );
    e.execute(sql).await.map(drop)
}

// Scores are found by contact (the primary key); SQLite, without statistics, would otherwise
// take the (workspace, temperature) index and walk every score of the workspace.
pub async fn score(
    e: &impl Engine,
    ws: WorkspaceId,
    contact: ContactId,
) -> Result<Option<ScoreRecord>, StoreError> {
    let sql = e.sql(
        &format!(
            "select {SCORE_COLUMNS} from contact_scores where {} = $1 and contact_id = $2",
            e.dialect().unindexed("workspace_id")
        ),
        [ws.0.into(), contact.0.into()],
    );
    e.fetch_optional(sql, |r| crate::score_record(r)).await
}

pub async fn scores(
    e: &impl Engine,
    ws: WorkspaceId,
    contacts: &[ContactId],
) -> Result<Vec<ScoreRecord>, StoreError> {
    let d = e.dialect();
    let mut out = Vec::with_capacity(contacts.len());
    for chunk in contacts.chunks(500) {
        let mut sql = Sql::new(
            d,
            format!(
                "select {SCORE_COLUMNS} from contact_scores where {} = ",
                d.unindexed("workspace_id")
            ),
        );
        sql.bind(Param::Uuid(ws.0)).push(" and contact_id");
        sql.bind_ids(&chunk.iter().map(|c| c.0).collect::<Vec<_>>());
        out.extend(e.fetch(sql, |r| crate::score_record(r)).await?);
    }
    Ok(out)
}

/// Contacts after `after` (by id) never scored, or with an event or visit since their score
/// and up to `now`. Along the primary key, as a rescore reads; each contact costs two index
/// probes.
pub async fn stale_scores(
    e: &impl Engine,
    ws: WorkspaceId,
    after: Option<ContactId>,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<ContactId>, StoreError> {
    let sql = e.sql(
        &format!(
            "select c.id from contacts c left join contact_scores s on s.contact_id = c.id \
             where c.id > $2 and {} = $1 and (s.contact_id is null \
               or exists (select 1 from events e where e.contact_id = c.id \
                          and e.occurred_at > s.updated_at and e.occurred_at <= $3) \
               or exists (select 1 from contact_traffic t where t.contact_id = c.id \
                          and t.occurred_at > s.updated_at and t.occurred_at <= $3)) \
             order by c.id limit $4",
            e.dialect().unindexed("c.workspace_id")
        ),
        [
            ws.0.into(),
            after.map_or(Uuid::nil(), |c| c.0).into(),
            now.into(),
            i64::from(limit).into(),
        ],
    );
    e.fetch(sql, contact_id).await
}

/// Hot leads and prospects, the most recently scored first.
pub async fn stored_hot(
    e: &impl Engine,
    ws: WorkspaceId,
    owner: Option<OwnerFilter>,
    limit: u32,
) -> Result<Vec<ContactId>, StoreError> {
    let mut params: Vec<Param> = vec![ws.0.into(), i64::from(limit).into()];
    let filter = match owner {
        None => "",
        Some(OwnerFilter::Unassigned) => " and c.owner_id is null",
        Some(OwnerFilter::User(u)) => {
            params.push(u.0.into());
            " and c.owner_id = $3"
        }
    };
    let sql = e.sql(
        &format!(
            "select s.contact_id as id from contact_scores s join contacts c on c.id = s.contact_id \
             where s.workspace_id = $1 and s.temperature = 'hot' \
             and c.stage in ('lead', 'prospect'){filter} order by s.updated_at desc limit $2"
        ),
        params,
    );
    e.fetch(sql, contact_id).await
}
