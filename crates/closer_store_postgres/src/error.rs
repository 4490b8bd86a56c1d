//! Maps sqlx/PostgreSQL errors to `StoreError`. PostgreSQL names the violated constraint, so
//! conflicts carry the names the migrations declare.

use closer_store::StoreError;

/// By value: it is used as `map_err(db_err)`.
#[allow(clippy::needless_pass_by_value)]
pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_) => StoreError::Unavailable(e.to_string()),
        sqlx::Error::Database(db) => match db.code().as_deref() {
            // unique, foreign key, check, exclusion
            Some("23505" | "23503" | "23514" | "23P01") => StoreError::Conflict {
                constraint: db.constraint().unwrap_or("unknown").to_owned(),
            },
            // serialization failure, deadlock, too many connections, shutting down
            Some("40001" | "40P01" | "53300" | "57P01" | "57P03") => {
                StoreError::Unavailable(db.message().to_owned())
            }
            _ => StoreError::Internal(e.to_string()),
        },
        _ => StoreError::Internal(e.to_string()),
    }
}
