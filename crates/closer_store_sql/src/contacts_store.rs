//! Contact reads written once over `Engine`: one contact, several by id, the filtered list,
//! the stage history and the count. Upserts, patches, moves and erasure run in each adapter's
//! own transaction; the timeline's JSON differs per engine and stays there too.

use closer_domain::{Contact, ContactId, WorkspaceId};
use closer_store::{ContactQuery, Page, StageSpan, StoreError};

use crate::{CONTACT_COLUMNS, Engine, Param, Sql, required};

pub async fn contact(
    e: &impl Engine,
    ws: WorkspaceId,
    id: ContactId,
) -> Result<Contact, StoreError> {
    let sql = e.sql(
        &format!("select {CONTACT_COLUMNS} from contacts where workspace_id = $1 and id = $2"),
        [ws.0.into(), id.0.into()],
    );
    e.fetch_one(sql, |r| crate::contact(r)).await
}

pub async fn contacts_by_id(
    e: &impl Engine,
    ws: WorkspaceId,
    ids: &[ContactId],
) -> Result<Vec<Contact>, StoreError> {
    let d = e.dialect();
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let chunk: Vec<uuid::Uuid> = chunk.iter().map(|c| c.0).collect();
        // By key, not by walking the workspace's index: SQLite plans without statistics, and
        // PostgreSQL with stale ones (a table an import is filling) would combine the
        // workspace's whole owner index with the keys.
        let sql = match d {
            crate::Dialect::Sqlite => {
                let mut sql = Sql::new(
                    d,
                    format!(
                        "select {CONTACT_COLUMNS} from contacts where {} = ",
                        d.unindexed("workspace_id")
                    ),
                );
                sql.bind(Param::Uuid(ws.0)).push(" and id");
                sql.bind_ids(&chunk);
                sql
            }
            crate::Dialect::Postgres => Sql::of(
                d,
                &format!(
                    "select {CONTACT_COLUMNS} from unnest($2::uuid[]) as k(wanted) \
                     join contacts on contacts.id = k.wanted where workspace_id = $1"
                ),
                [Param::Uuid(ws.0), Param::Uuids(chunk)],
            ),
        };
        out.extend(e.fetch(sql, |r| crate::contact(r)).await?);
    }
    Ok(out)
}

pub async fn list_contacts(
    e: &impl Engine,
    ws: WorkspaceId,
    q: &ContactQuery,
) -> Result<Page<Contact>, StoreError> {
    let sql = crate::contact_list(e.dialect(), ws, q);
    if q.sort == closer_store::ContactSort::ValueDesc {
        let rows = e
            .fetch(sql, |r| {
                Ok((
                    crate::contact(r)?,
                    crate::required("sort_value", r.integer("sort_value")?)?,
                ))
            })
            .await?;
        return Ok(crate::contact_value_page(rows, q));
    }
    let items = e.fetch(sql, |r| crate::contact(r)).await?;
    Ok(crate::contact_page(items, q))
}

pub async fn count_matching(
    e: &impl Engine,
    ws: WorkspaceId,
    q: &ContactQuery,
    cap: u64,
) -> Result<u64, StoreError> {
    let sql = crate::contacts_list::contact_count(e.dialect(), ws, q, cap);
    let n = e
        .fetch_one(sql, |r| crate::required("n", r.integer("n")?))
        .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// `NotFound` unless the contact is the workspace's.
pub async fn exists(e: &impl Engine, ws: WorkspaceId, id: ContactId) -> Result<(), StoreError> {
    let sql = e.sql(
        "select id from contacts where workspace_id = $1 and id = $2",
        [ws.0.into(), id.0.into()],
    );
    e.fetch_one(sql, |_| Ok(())).await
}

pub async fn stage_history(
    e: &impl Engine,
    ws: WorkspaceId,
    id: ContactId,
) -> Result<Vec<StageSpan>, StoreError> {
    exists(e, ws, id).await?;
    let sql = e.sql(
        "select stage, entered_at, left_at, changed_by, reason from contact_stages \
         where workspace_id = $1 and contact_id = $2 order by entered_at, id",
        [ws.0.into(), id.0.into()],
    );
    e.fetch(sql, |r| {
        let stage = required("stage", r.text("stage")?)?;
        Ok(StageSpan {
            stage: closer_domain::Stage::parse(&stage)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            entered_at: required("entered_at", r.timestamp("entered_at")?)?,
            left_at: r.timestamp("left_at")?,
            changed_by: required("changed_by", r.text("changed_by")?)?,
            reason: r.text("reason")?,
        })
    })
    .await
}

pub async fn count_contacts(e: &impl Engine, ws: WorkspaceId) -> Result<u64, StoreError> {
    let sql = e.sql(
        "select count(*) as n from contacts where workspace_id = $1",
        [ws.0.into()],
    );
    let n = e.fetch_one(sql, |r| required("n", r.integer("n")?)).await?;
    Ok(u64::try_from(n).unwrap_or(0))
}
