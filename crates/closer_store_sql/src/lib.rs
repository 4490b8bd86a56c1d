//! What closer's two SQL adapters share, so a record is decoded once whatever the engine:
//! `Columns`, the few ways a row gives up a value — which each adapter implements over its
//! driver's row type, where the engines store differently (SQLite: timestamps as integer
//! microseconds, JSON as text; PostgreSQL: `timestamptz`, `jsonb`) — and the decoders built on
//! it, with the column lists their queries select; and statements built once for both
//! (`Sql`, in the engine's `Dialect`).

pub mod companies_store;
mod contact;
mod contacts_list;
pub mod contacts_store;
pub mod deals_store;
mod dialect;
pub mod duplicates_store;
mod engine;
mod group;
pub mod import_jobs_store;
pub mod import_store;
pub mod merge_store;
mod migrations;
pub mod notify_store;
pub mod order_batch;
pub mod person_store;
mod pipeline;
pub mod ports;
pub mod properties_store;
pub mod reminders_store;
pub mod reports_store;
mod scores;
pub mod scores_store;
pub mod search_store;
pub mod sessions_store;
mod setup;
pub mod setup_store;
mod stored;
pub mod tags_store;
pub mod timeline;
pub mod traffic_store;
pub mod work_edits;
pub mod work_store;

/// For the port implementations the kit's macros write.
#[doc(hidden)]
pub use async_trait::async_trait;
pub use contact::{CONTACT_COLUMNS, contact};
pub use contacts_list::{contact_list, contact_page, contact_value_page};
pub use dialect::{Dialect, Param, Sql};
pub use engine::{Decoder, Engine, Step};
pub use group::group_sql;
pub use pipeline::{
    DEAL_COLUMNS, TASK_COLUMNS, activity, deal, deal_feed_sql, deal_list, task, task_list,
};
pub use scores::{SCORE_COLUMNS, score_record, site};
pub use setup::{form, token, user, workspace};
pub use stored::{
    OrderColumns, board_columns, end_scoring_page, scoring_inputs, stored_amount, stored_currency,
};

use closer_domain::Timestamp;
use closer_store::StoreError;
use uuid::Uuid;

/// A row, read by column name. Each method answers `None` for SQL NULL and `Corrupt` for a
/// value of the wrong type; the decoders say which columns may be NULL.
pub trait Columns {
    fn text(&self, column: &str) -> Result<Option<String>, StoreError>;
    fn uuid(&self, column: &str) -> Result<Option<Uuid>, StoreError>;
    fn boolean(&self, column: &str) -> Result<Option<bool>, StoreError>;
    fn integer(&self, column: &str) -> Result<Option<i64>, StoreError>;
    fn real(&self, column: &str) -> Result<Option<f64>, StoreError>;
    /// A calendar date (SQLite: `YYYY-MM-DD` text; PostgreSQL: `date`).
    fn date(&self, column: &str) -> Result<Option<time::Date>, StoreError>;
    fn timestamp(&self, column: &str) -> Result<Option<Timestamp>, StoreError>;
    /// A JSON column as its value.
    fn json(&self, column: &str) -> Result<Option<serde_json::Value>, StoreError>;
}

/// A value a record cannot do without.
pub fn required<T>(column: &str, value: Option<T>) -> Result<T, StoreError> {
    value.ok_or_else(|| StoreError::Corrupt(format!("column {column}: NULL")))
}

/// A JSON column decoded into `T`.
pub fn json_as<T: serde::de::DeserializeOwned>(
    row: &(impl Columns + ?Sized),
    column: &str,
) -> Result<T, StoreError> {
    let value = required(column, row.json(column)?)?;
    serde_json::from_value(value).map_err(|e| StoreError::Corrupt(format!("column {column}: {e}")))
}
