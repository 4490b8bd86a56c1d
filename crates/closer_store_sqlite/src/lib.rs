//! closer's SQLite adapter: the embedded, zero-set-up engine.
//!
//! Writes go through one rusqlite connection owned by a writer thread (`writer.rs`) that
//! group-commits them, so this process never contends with itself for SQLite's single write
//! lock; its transactions start `BEGIN IMMEDIATE` so another process (the CLI next to a
//! running server) waits on `busy_timeout` instead of failing mid-transaction. Reads and
//! migrations use sqlx: a separate read-only pool that, thanks to WAL, never blocks on the
//! writer.

mod backup;
mod bulk_read;
mod bulk_write;
mod contacts;
mod contacts_read;
mod deals;
mod error;
mod journey_feed;
mod migrate;
mod pipeline;
mod qualification;
mod reports;
mod rows;
mod sessions;
mod setup;
pub mod testing;
mod traffic;
mod traffic_read;
mod traffic_write;
mod work;
mod write;
mod writer;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use closer_store::{Store, StoreError};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use backup::{BackupDone, backup};
pub use migrate::MIGRATIONS;

use error::db_err;

/// How long a statement waits for another process's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub struct SqliteStore {
    writer: writer::Writer,
    reader: SqlitePool,
    /// The database file, for bulk reads on a connection of their own (`bulk_read`).
    path: std::path::PathBuf,
    bulk: std::sync::Arc<bulk_read::BulkReader>,
    /// Read-only connections for reports (`reports`).
    reports: std::sync::Arc<reports::ReadPool>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite://PATH`) and migrates it.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("bad SQLite URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true)
            .pragma("temp_store", "memory")
            .pragma("cache_size", "-16000");
        let path = options.get_filename().to_path_buf();
        if path.as_os_str().is_empty()
            || path.as_os_str() == ":memory:"
            || url.contains("mode=memory")
        {
            return Err(StoreError::Unavailable(
                "in-memory SQLite is not supported: closer reads and writes on separate connections; use sqlite://PATH".into(),
            ));
        }
        // Migrate on one sqlx connection (sqlx's migrator), then hand writing to the writer.
        let migrator = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(db_err)?;
        migrate::run(&migrator).await?;
        migrator.close().await;
        let writer = writer::Writer::start(&path, BUSY_TIMEOUT)?;
        let reader = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.read_only(true))
            .await
            .map_err(db_err)?;
        Ok(Self {
            writer,
            reader,
            path,
            bulk: std::sync::Arc::default(),
            reports: std::sync::Arc::default(),
        })
    }
}

#[async_trait]
impl Store for SqliteStore {
    /// Nothing: closer runs SQLite without statistics on purpose, its queries naming the
    /// index they need where the planner could choose wrong (`+column` hints), so a plan
    /// does not change under a workspace as it grows.
    async fn refresh_statistics(&self) -> Result<(), StoreError> {
        Ok(())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("select 1")
            .execute(&self.reader)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    fn engine(&self) -> &'static str {
        "sqlite"
    }

    /// The read pool's (writes go through the one writer connection).
    fn pool_use(&self) -> closer_store::PoolUse {
        closer_store::PoolUse {
            open: self.reader.size(),
            idle: u32::try_from(self.reader.num_idle()).unwrap_or(u32::MAX),
        }
    }
}
