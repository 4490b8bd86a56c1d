//! closer's PostgreSQL adapter: the engine a team scales out on, with several stateless
//! `closer` processes over one database.
//!
//! Concurrency is the database's job here: rows being changed are locked `FOR UPDATE`, and
//! the unique identity constraint decides which of two concurrent inserts of a new email wins;
//! the loser retries and merges into the winner's contact.

mod bulk_derive;
mod bulk_write;
mod capture;
mod contacts;
mod contacts_write;
mod copy_read;
mod copy_write;
mod deals;
mod engine;
mod error;
mod journey_feed;
mod migrate;
mod pipeline;
mod pipeline_port;
mod qualification;
mod report_rows;
mod reports;
mod rows;
mod stays;
pub mod testing;
mod traffic;
mod traffic_write;
mod visitor_links;
mod work;

/// The tables a bulk load writes, and those of them whose triggers it turns off and does the
/// work of itself (for the checks in this crate's tests).
pub use bulk_write::{LOADED as BULK_LOADED, TRIGGERED as BULK_TRIGGERED};

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use closer_store::{Store, StoreError};
use sqlx::ConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

pub use migrate::MIGRATIONS;

use error::db_err;

/// Connections of a test store: many tests run at once against one server.
const TEST_POOL_SIZE: u32 = 6;

pub struct PostgresStore {
    pool: PgPool,
    /// Bulk loads and maintenance (`closer demo`'s copies, `vacuum analyze`): statements
    /// that take seconds by design, on two connections of their own whose slow statements
    /// are logged at debug level, not as warnings.
    bulk: PgPool,
}

impl PostgresStore {
    /// Connections per `closer` process unless told otherwise; PostgreSQL's own default
    /// limit is 100.
    pub const DEFAULT_POOL: u32 = 16;

    /// Connects to `url` (`postgres://…`) and migrates.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_sized(url, Self::DEFAULT_POOL).await
    }

    /// `connect` with at most `size` connections (and two more for bulk loads).
    pub async fn connect_sized(url: &str, size: u32) -> Result<Self, StoreError> {
        Self::connect_with(Self::options(url)?, size.max(2)).await
    }

    /// Connects with every session's `search_path` set to `schema` (tests isolate that way).
    pub async fn connect_in_schema(url: &str, schema: &str) -> Result<Self, StoreError> {
        let options = Self::options(url)?.options([("search_path", schema)]);
        Self::connect_with(options, TEST_POOL_SIZE).await
    }

    fn options(url: &str) -> Result<PgConnectOptions, StoreError> {
        PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("bad PostgreSQL URL: {e}")))
    }

    async fn connect_with(options: PgConnectOptions, size: u32) -> Result<Self, StoreError> {
        let bulk = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(10))
            .connect_lazy_with(
                options
                    .clone()
                    .log_slow_statements(log::LevelFilter::Debug, Duration::from_secs(1)),
            );
        let pool = PgPoolOptions::new()
            .max_connections(size)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(db_err)?;
        migrate::run(&pool).await?;
        Ok(Self { pool, bulk })
    }
}

#[async_trait]
impl Store for PostgresStore {
    /// `vacuum analyze`. Autovacuum lags a bulk fill by minutes, and servers run with it off
    /// (this project's test machines do): plans made with no statistics on ten million new
    /// sessions read every tracked event for each new lead (seconds each), and without a
    /// vacuum the board's index-only scans visit the table for every row (98 ms instead of 8
    /// for a million-lead demo's board). Sent as a simple query: vacuum refuses to run in a
    /// transaction block.
    /// Only closer's own tables (those of the schema it runs in), not the whole database.
    async fn refresh_statistics(&self) -> Result<(), StoreError> {
        let tables: Vec<String> = sqlx::query_scalar(
            "select format('%I', tablename) from pg_tables where schemaname = current_schema() \
             order by tablename",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        if tables.is_empty() {
            return Ok(());
        }
        // The names come from the catalogue, quoted by `format('%I')`.
        let sql = format!("vacuum analyze {}", tables.join(", "));
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&self.bulk)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("select 1")
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    fn engine(&self) -> &'static str {
        "postgres"
    }

    fn pool_use(&self) -> closer_store::PoolUse {
        closer_store::PoolUse {
            open: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
        }
    }
}
