//! What the report statements on PostgreSQL share: reading a row's columns, the breakdown's
//! group SQL (for plain queries and for COPY), owners' names, and running a statement with the
//! standard parameters (`$1` the workspace, `$2`/`$3` the period, `$4` the property).

use foldhash::HashMap;

use closer_domain::WorkspaceId;
use closer_domain::reports::Breakdown;
use closer_store::{Period, StoreError};
use futures::TryStreamExt;
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};
use uuid::Uuid;

use crate::copy_read::{self};
use crate::error::db_err;

pub(crate) fn at<'r, T>(row: &'r PgRow, i: usize) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get(i)
        .map_err(|e| StoreError::Corrupt(format!("column {i}: {e}")))
}

pub(crate) fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

pub(crate) fn group(
    by: &Breakdown,
    contact: &str,
    owner: Option<&str>,
    journey: Option<&str>,
) -> (String, String) {
    // By the value's stored type (a defined property is stored in one form): a checkbox
    // reads yes or no, a multi-select its options joined, as on SQLite.
    closer_store_sql::group_sql(by, contact, owner, journey, |c| {
        format!(
            "(case jsonb_typeof({c}.properties -> $4::text) \
             when 'boolean' then (case when ({c}.properties ->> $4::text)::boolean then 'yes' else 'no' end) \
             when 'array' then (select string_agg(e, ', ') from jsonb_array_elements_text({c}.properties -> $4::text) e) \
             else {c}.properties ->> $4::text end)"
        )
    })
}

/// `group()` for the binary-copy reads: by owner it is the owner's id, named afterwards from
/// the workspace's few users (`Owners`) instead of a join to `users` for each of a year's
/// million rows (a year's stage stays by owner streamed in 1,010 ms with the join).
pub(crate) fn copy_group(
    by: &Breakdown,
    contact: &str,
    owner: Option<&str>,
    journey: Option<&str>,
) -> (String, String) {
    if *by != Breakdown::Owner {
        return group(by, contact, owner, journey);
    }
    match (owner, journey) {
        (Some(col), _) => (col.to_owned(), String::new()),
        (None, Some(j)) => (format!("{j}.owner_id"), String::new()),
        (None, None) => (
            "gj.owner_id".to_owned(),
            format!(" left join journeys gj on gj.contact_id = {contact}"),
        ),
    }
}

/// Names the group field `copy_group` selected: text as it is, or an owner's id as their email.
pub(crate) struct Owners(Option<HashMap<Uuid, String>>);

impl Owners {
    pub(crate) async fn load(
        pool: &PgPool,
        ws: WorkspaceId,
        by: &Breakdown,
    ) -> Result<Self, StoreError> {
        if *by != Breakdown::Owner {
            return Ok(Self(None));
        }
        let emails: Vec<(Uuid, String)> =
            sqlx::query_as("select id, email from users where workspace_id = $1")
                .bind(ws.0)
                .fetch_all(pool)
                .await
                .map_err(db_err)?;
        Ok(Self(Some(emails.into_iter().collect())))
    }

    pub(crate) fn label<'a>(
        &'a self,
        field: Option<&'a [u8]>,
    ) -> Result<Option<&'a str>, StoreError> {
        let Some(emails) = &self.0 else {
            return copy_read::text(field);
        };
        Ok(copy_read::uuid(field)?
            .and_then(|id| emails.get(&id))
            .map(String::as_str))
    }
}

/// A `uuid` field that must be there.
pub(crate) fn uuid(field: Option<&[u8]>) -> Result<Uuid, StoreError> {
    copy_read::uuid(field)?.ok_or_else(|| StoreError::Corrupt("an id field that is null".into()))
}

/// The property a breakdown names, if it does (the queries' `$4`).
pub(crate) fn prop_of(by: &Breakdown) -> Option<&str> {
    match by {
        Breakdown::Property(p) => Some(p),
        _ => None,
    }
}

/// Runs `sql` with the standard parameters and maps each row.
pub(crate) async fn rows<T>(
    pool: &PgPool,
    sql: &str,
    ws: WorkspaceId,
    period: Period,
    by: &Breakdown,
    mut map: impl FnMut(&PgRow) -> Result<T, StoreError> + Send,
) -> Result<Vec<T>, StoreError> {
    // Every query mentions all four parameters (`($4::text is null or true)` where one is
    // otherwise unused) so the server knows their types. The SQL is built from fixed
    // fragments only: values travel as parameters.
    // Streamed: a year of a large workspace is a million rows, each mapped as it arrives
    // instead of all of them held as raw rows first.
    let mut fetched = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .bind(ws.0)
        .bind(period.from.get())
        .bind(period.to.get())
        .bind(prop_of(by))
        .fetch(pool);
    let mut out = Vec::new();
    while let Some(row) = fetched.try_next().await.map_err(db_err)? {
        out.push(map(&row)?);
    }
    Ok(out)
}
