//! closer's SQLite adapter: the embedded, zero-set-up engine.
//!
//! Writes go through one rusqlite connection owned by a writer thread (`writer.rs`) that
//! group-commits them, so this process never contends with itself for SQLite's single write
//! lock; its transactions start `BEGIN IMMEDIATE` so another process (the CLI next to a
//! running server) waits on `busy_timeout` instead of failing mid-transaction. Reads use a
//! pool of read-only connections (`read.rs`) that, thanks to WAL, never block on the writer.
//! One driver, rusqlite, carries all of it.

mod backup;
mod bulk_read;
mod bulk_write;
mod contacts;
mod deals;
mod engine;
mod error;
mod journey_feed;
mod migrate;
mod pipeline;
mod qualification;
mod read;
mod report_reads;
mod reports;
mod rows;
mod stage_moves;
pub mod testing;
mod traffic;
mod traffic_write;
mod work;
mod write;
mod writer;

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use closer_store::{Store, StoreError};

pub use backup::{BackupDone, backup};
pub use migrate::MIGRATIONS;

use read::Reader;

/// How long a statement waits for another process's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Read connections serving requests, and reports.
const READERS: u32 = 8;
const REPORT_READERS: u32 = 4;

pub struct SqliteStore {
    writer: writer::Writer,
    reader: Reader,
    /// Read connections for reports (`reports.rs`, `journey_feed.rs`), on the mapped file.
    reports: Reader,
    /// One connection for bulk reads (`bulk_read`), its large page cache kept between pages.
    bulk: Reader,
}

/// The file a `sqlite://PATH` URL names (a query string, as in `?mode=rwc`, is ignored).
pub fn path_of(url: &str) -> Result<PathBuf, StoreError> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or(rest))
        .filter(|p| !p.is_empty())
        .ok_or_else(|| StoreError::Unavailable(format!("{url} is not a sqlite://PATH URL")))?;
    if path == ":memory:" || url.contains("mode=memory") {
        return Err(StoreError::Unavailable(
            "in-memory SQLite is not supported: closer reads and writes on separate connections; use sqlite://PATH".into(),
        ));
    }
    Ok(PathBuf::from(path))
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite://PATH`) and migrates it.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let path = path_of(url)?;
        let migrating = path.clone();
        tokio::task::spawn_blocking(move || migrate::run(&migrating, BUSY_TIMEOUT))
            .await
            .map_err(|e| StoreError::Internal(format!("the migration task failed: {e}")))??;
        let writer = writer::Writer::start(&path, BUSY_TIMEOUT)?;
        let reader = Reader::new(path.clone(), READERS, read::SERVING);
        Ok(Self {
            writer,
            reader,
            reports: Reader::new(path.clone(), REPORT_READERS, read::REPORTS),
            bulk: Reader::new(path, 1, read::BULK),
        })
    }

    /// Runs `read` on a pooled read connection, in one read transaction.
    pub(crate) async fn read<T: Send + 'static>(
        &self,
        read: impl FnOnce(&rusqlite::Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.reader.read(read).await
    }

    /// `read` on a report connection (the mapped file).
    pub(crate) async fn report_read<T: Send + 'static>(
        &self,
        read: impl FnOnce(&rusqlite::Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.reports.read(read).await
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
        self.read(|conn| conn.execute_batch("select 1").map_err(crate::error::rs_err))
            .await
    }

    fn engine(&self) -> &'static str {
        "sqlite"
    }

    /// The read pool's (writes go through the one writer connection).
    fn pool_use(&self) -> closer_store::PoolUse {
        self.reader.pool_use()
    }
}
