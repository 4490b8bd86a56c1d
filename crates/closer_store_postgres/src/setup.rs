//! Workspaces, tokens, users and forms on PostgreSQL: the kit's statements (`closer_store_sql::
//! setup_store`) over this store's `Engine`.

use closer_store::{StoreError, User};

closer_store_sql::setup_ports!(crate::PostgresStore);

/// A user from a row of `users`, for the session reads.
pub(crate) fn user(row: &sqlx::postgres::PgRow) -> Result<User, StoreError> {
    closer_store_sql::user(&crate::rows::Cols(row))
}
