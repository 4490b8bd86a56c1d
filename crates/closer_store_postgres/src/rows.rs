//! Decoding rows into records. PostgreSQL keeps timestamps as `timestamptz` and JSON as `jsonb`.

use closer_domain::{Contact, Timestamp};
use closer_store::StoreError;
use closer_store_sql::Columns;
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

pub(crate) use closer_store_sql::CONTACT_COLUMNS;

pub(crate) fn get<'r, T>(row: &'r PgRow, column: &str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get(column)
        .map_err(|e| StoreError::Corrupt(format!("column {column}: {e}")))
}

pub(crate) fn ts_opt(row: &PgRow, column: &str) -> Result<Option<Timestamp>, StoreError> {
    Ok(get::<Option<OffsetDateTime>>(row, column)?.map(Timestamp::new))
}

/// A PostgreSQL row for the shared decoders (`closer_store_sql`).
pub(crate) struct Cols<'a>(pub(crate) &'a PgRow);

impl Columns for Cols<'_> {
    fn text(&self, column: &str) -> Result<Option<String>, StoreError> {
        get(self.0, column)
    }

    fn uuid(&self, column: &str) -> Result<Option<Uuid>, StoreError> {
        get(self.0, column)
    }

    fn boolean(&self, column: &str) -> Result<Option<bool>, StoreError> {
        get(self.0, column)
    }

    /// Any of PostgreSQL's integer widths (`smallint`, `integer`, `bigint`).
    fn integer(&self, column: &str) -> Result<Option<i64>, StoreError> {
        if let Ok(v) = self.0.try_get::<Option<i64>, _>(column) {
            return Ok(v);
        }
        if let Ok(v) = self.0.try_get::<Option<i32>, _>(column) {
            return Ok(v.map(i64::from));
        }
        Ok(get::<Option<i16>>(self.0, column)?.map(i64::from))
    }

    fn real(&self, column: &str) -> Result<Option<f64>, StoreError> {
        get(self.0, column)
    }

    fn date(&self, column: &str) -> Result<Option<time::Date>, StoreError> {
        get(self.0, column)
    }

    fn timestamp(&self, column: &str) -> Result<Option<Timestamp>, StoreError> {
        ts_opt(self.0, column)
    }

    fn json(&self, column: &str) -> Result<Option<serde_json::Value>, StoreError> {
        Ok(get::<Option<Json<serde_json::Value>>>(self.0, column)?.map(|j| j.0))
    }
}

pub(crate) fn contact(row: &PgRow) -> Result<Contact, StoreError> {
    closer_store_sql::contact(&Cols(row))
}

/// A statement built by `closer_store_sql`, with its parameters bound.
pub(crate) fn query(
    sql: &closer_store_sql::Sql,
) -> sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments> {
    use closer_store_sql::Param;
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.text.as_str()));
    for p in &sql.params {
        query = match p {
            Param::Uuid(u) => query.bind(*u),
            Param::Text(t) => query.bind(t.as_str()),
            Param::Time(t) => query.bind(t.get()),
            Param::Int(i) => query.bind(*i),
            Param::Bool(b) => query.bind(*b),
            Param::MaybeUuid(u) => query.bind(*u),
            Param::MaybeText(t) => query.bind(t.as_deref()),
            Param::MaybeTime(t) => query.bind(t.map(Timestamp::get)),
            Param::MaybeInt(i) => query.bind(*i),
            Param::MaybeBool(b) => query.bind(*b),
            Param::Uuids(ids) => query.bind(ids.as_slice()),
            Param::Texts(values) => query.bind(values.as_slice()),
        };
    }
    query
}
