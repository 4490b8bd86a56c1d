//! Decoding rows into records. SQLite keeps timestamps as integer microseconds and JSON as text.

use closer_domain::{Contact, Timestamp};
use closer_store::StoreError;
use closer_store_sql::Columns;
use rusqlite::Row;
use uuid::Uuid;

pub(crate) use closer_store_sql::CONTACT_COLUMNS;

pub(crate) fn ts(micros: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_unix_micros(micros)
        .ok_or_else(|| StoreError::Corrupt(format!("timestamp {micros} out of range")))
}

/// A column of a row, by name.
pub(crate) fn get<T: rusqlite::types::FromSql>(
    row: &Row<'_>,
    column: &str,
) -> Result<T, StoreError> {
    row.get(column)
        .map_err(|e| StoreError::Corrupt(format!("column {column}: {e}")))
}

/// A row, for the shared decoders (`closer_store_sql`).
pub(crate) struct Cols<'a, 'r>(pub(crate) &'a Row<'r>);

impl Columns for Cols<'_, '_> {
    fn text(&self, column: &str) -> Result<Option<String>, StoreError> {
        get(self.0, column)
    }

    fn uuid(&self, column: &str) -> Result<Option<Uuid>, StoreError> {
        get(self.0, column)
    }

    fn boolean(&self, column: &str) -> Result<Option<bool>, StoreError> {
        get(self.0, column)
    }

    fn integer(&self, column: &str) -> Result<Option<i64>, StoreError> {
        get(self.0, column)
    }

    fn real(&self, column: &str) -> Result<Option<f64>, StoreError> {
        get(self.0, column)
    }

    fn date(&self, column: &str) -> Result<Option<time::Date>, StoreError> {
        date_text(column, get(self.0, column)?)
    }

    fn timestamp(&self, column: &str) -> Result<Option<Timestamp>, StoreError> {
        get::<Option<i64>>(self.0, column)?.map(ts).transpose()
    }

    fn json(&self, column: &str) -> Result<Option<serde_json::Value>, StoreError> {
        json_text(column, get(self.0, column)?)
    }
}

/// SQLite keeps dates as `YYYY-MM-DD` text.
fn date_text(column: &str, text: Option<String>) -> Result<Option<time::Date>, StoreError> {
    text.map(|t| closer_domain::parse_date(column, &t))
        .transpose()
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// SQLite keeps JSON as text.
fn json_text(column: &str, text: Option<String>) -> Result<Option<serde_json::Value>, StoreError> {
    text.map(|t| serde_json::from_str(&t))
        .transpose()
        .map_err(|e| StoreError::Corrupt(format!("column {column}: {e}")))
}

pub(crate) fn contact(row: &Row<'_>) -> Result<Contact, StoreError> {
    closer_store_sql::contact(&Cols(row))
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("plain data serialises")
}
