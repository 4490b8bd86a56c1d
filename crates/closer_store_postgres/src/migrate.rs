//! Embedded migrations, listed once for both engines (`closer_store_sql::migrations!`);
//! sqlx's migrator records them in `_sqlx_migrations`.

use std::borrow::Cow;

use closer_store::StoreError;
use sqlx::PgPool;
use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

/// `(version, name, sql)`, in order: the list is `closer_store_sql`'s, the SQL this engine's.
pub const MIGRATIONS: &[(i64, &str, &str)] = closer_store_sql::migrations!();

pub(crate) async fn run(pool: &PgPool) -> Result<(), StoreError> {
    let migrations = MIGRATIONS
        .iter()
        .map(|(version, name, sql)| {
            Migration::new(
                *version,
                Cow::Borrowed(*name),
                MigrationType::Simple,
                sql.into_sql_str(),
                false,
            )
        })
        .collect();
    Migrator::with_migrations(migrations)
        .run(pool)
        .await
        .map_err(|e| {
            StoreError::Unavailable(format!("migrating the PostgreSQL database failed: {e}"))
        })
}
