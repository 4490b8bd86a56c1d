//! Possible duplicates written once over `Engine`: the statement recording pairs (which the
//! adapters' capture writes and the import batches run inside their own transactions), the
//! scan for the same name at the same company, the list and dismissing a pair.

use closer_domain::contact::duplicates::{DuplicateReason, PossibleDuplicate};
use closer_domain::{ContactId, Timestamp, WorkspaceId};
use closer_store::StoreError;

use crate::{Dialect, Engine, Param, Sql, Step, required};

/// How far before the last scan's mark the next one starts: a contact written by a
/// transaction that began before the mark and committed after it is still seen.
const MARGIN: std::time::Duration = std::time::Duration::from_mins(10);

/// Records `pairs` (in stored order) as possible duplicates for `reason`; a pair already
/// recorded, or dismissed, stays as it is. `None` when there is nothing to record.
pub fn record_sql(
    dialect: Dialect,
    ws: WorkspaceId,
    pairs: &[(ContactId, ContactId)],
    reason: DuplicateReason,
    now: Timestamp,
) -> Option<Sql> {
    if pairs.is_empty() {
        return None;
    }
    let mut sql = Sql::new(
        dialect,
        "insert into possible_duplicates (workspace_id, contact_a, contact_b, reason, found_at) values ",
    );
    for (i, (a, b)) in pairs.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" });
        sql.bind(Param::Uuid(ws.0)).push(", ");
        sql.bind(Param::Uuid(a.0)).push(", ");
        sql.bind(Param::Uuid(b.0)).push(", ");
        sql.bind(Param::Text(reason.as_str().to_owned())).push(", ");
        sql.bind(Param::Time(now)).push(")");
    }
    sql.push(" on conflict do nothing");
    Some(sql)
}

pub async fn scan_duplicates(
    e: &impl Engine,
    ws: WorkspaceId,
    now: Timestamp,
) -> Result<(), StoreError> {
    let mark = e
        .fetch_optional(
            e.sql(
                "select scanned_to from duplicate_scans where workspace_id = $1",
                [ws.0.into()],
            ),
            |r| required("scanned_to", r.timestamp("scanned_to")?),
        )
        .await?;
    let since = mark.map_or(Timestamp::from_unix_micros(0).expect("the epoch"), |m| {
        Timestamp::new(m.get() - MARGIN)
    });
    // The contacts changed since, and the people of the companies changed since (a new
    // company, or a new domain, takes in the people its domains name without changing them).
    // Both sides of a pair may have changed: each finds it, the second insert does nothing.
    let scan = e.sql(
        &format!("insert into possible_duplicates (workspace_id, contact_a, contact_b, reason, found_at) \
         select $1, \
                case when a.id < b.id then a.id else b.id end, \
                case when a.id < b.id then b.id else a.id end, \
                'name_at_company', $2 \
         from (select id, company_id, name from contacts \
               where workspace_id = $1 and updated_at >= $3 and company_id is not null \
                 and name is not null \
               union \
               select c.id, c.company_id, c.name from companies co \
               join contacts c on c.company_id = co.id \
               where co.workspace_id = $1 and co.updated_at >= $3 and c.name is not null) a \
         join contacts b on b.company_id = a.company_id and b.id <> a.id \
         where b.workspace_id = $1 and b.name is not null \
           and {key_b} = {key_a} \
         on conflict do nothing",
            key_a = name_key("a.name"),
            key_b = name_key("b.name"),
        ),
        [ws.0.into(), Param::Time(now), Param::Time(since)],
    );
    let marked = e.sql(
        "insert into duplicate_scans (workspace_id, scanned_to) values ($1, $2) \
         on conflict (workspace_id) do update set scanned_to = excluded.scanned_to",
        [ws.0.into(), Param::Time(now)],
    );
    e.transaction(vec![Step::any(scan), Step::any(marked)])
        .await
}

/// A name as compared: lower case, without spaces around it, and runs of up to eight spaces
/// inside as one ("Ada  Lovelace " is "ada lovelace").
fn name_key(column: &str) -> String {
    format!("lower(trim(replace(replace(replace({column}, '  ', ' '), '  ', ' '), '  ', ' ')))")
}

pub async fn possible_duplicates(
    e: &impl Engine,
    ws: WorkspaceId,
    limit: u32,
) -> Result<Vec<PossibleDuplicate>, StoreError> {
    let sql = e.sql(
        "select contact_a, contact_b, reason, found_at from possible_duplicates \
         where workspace_id = $1 and dismissed_at is null \
         order by found_at desc, contact_a, contact_b limit $2",
        [ws.0.into(), Param::Int(i64::from(limit))],
    );
    e.fetch(sql, |r| {
        let reason = required("reason", r.text("reason")?)?;
        Ok(PossibleDuplicate {
            a: ContactId(required("contact_a", r.uuid("contact_a")?)?),
            b: ContactId(required("contact_b", r.uuid("contact_b")?)?),
            reason: DuplicateReason::parse(&reason)
                .ok_or_else(|| StoreError::Corrupt(format!("duplicate reason {reason}")))?,
            found_at: required("found_at", r.timestamp("found_at")?)?,
        })
    })
    .await
}

pub async fn dismiss_duplicate(
    e: &impl Engine,
    ws: WorkspaceId,
    (a, b): (ContactId, ContactId),
    now: Timestamp,
) -> Result<(), StoreError> {
    let sql = e.sql(
        "update possible_duplicates set dismissed_at = $4 \
         where workspace_id = $1 and contact_a = $2 and contact_b = $3 and dismissed_at is null",
        [ws.0.into(), a.0.into(), b.0.into(), Param::Time(now)],
    );
    e.transaction(vec![Step::must_change(sql)]).await
}
