//! The single writer: every write on this SQLite database runs on one OS thread that owns a
//! rusqlite connection, group-committed.
//!
//! Why one thread owning one connection rather than writes from a pool: a write is a serial
//! chain of ~10 statements, and an async SQLite driver (sqlx's, which closer used) ships each
//! statement to its own worker thread and back — two cross-thread wake-ups per statement,
//! which capped lead capture near 2,000/s with the CPU half idle. Here a statement is a
//! function call.
//!
//! Why group commit: SQLite writes whole pages to the WAL at each commit, so a commit per
//! request rewrites the same hot B-tree pages (tables and indexes) — about 50 KB per capture.
//! The thread takes every queued write (up to `MAX_BATCH`), runs each inside its own
//! `SAVEPOINT` within one `BEGIN IMMEDIATE` transaction, commits once, and only then answers
//! each caller. A failing write is rolled back to its savepoint alone; a failed commit fails the
//! whole batch. Under light load a batch is one write, so latency is a plain transaction's.
//!
//! Checkpoints stay SQLite's automatic ones, in the writer after a commit, every 4,096 WAL
//! pages (16 MiB; see `open`). SQLite's default of 1,000 was the best for capture latency when
//! first measured (a 4,000-page interval stalled longer then: p99 65 ms at 1,000/s), but
//! bulk writes — a rescore, an import — rewrite the same pages commit after commit, and the
//! larger interval, with an index dropped at the same time, took a million-contact rescore
//! from 94 to 84 s (BENCHMARKS.md). A `PASSIVE`
//! checkpoint on another thread never completes against a writer that never pauses, so the WAL
//! grew without bound; a timed `RESTART` each second stalled the writer for hundreds of
//! milliseconds.

use std::path::Path;
use std::time::Duration;

use closer_store::StoreError;
use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use crate::error::rs_err;

/// The writer's page cache (`pragma cache_size`: negative is KiB), 16 MiB.
pub(crate) const CACHE_SIZE: i64 = -16_000;
/// Most writes one transaction carries.
const MAX_BATCH: usize = 512;
/// Writes waiting for the writer; callers wait (backpressure) beyond this.
const QUEUE: usize = 4096;

/// Called once the batch's fate is known, with the commit's result.
type Deliver = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
type Run = Box<dyn FnOnce(&Connection) -> (bool, Deliver) + Send>;

/// One write: runs on the connection, says whether it failed, and how to answer its caller.
struct Job {
    run: Run,
    /// An erasure: once committed, old page images in the WAL are scrubbed before answering.
    scrub: bool,
}

#[derive(Clone)]
pub(crate) struct Writer {
    jobs: mpsc::Sender<Job>,
}

/// Opens the writer's connection with the same settings as the read pool. The WAL is
/// checkpointed every 64 MiB instead of SQLite's 4 MiB: bulk writes (a rescore, an import)
/// rewrite the same index pages commit after commit, and a checkpoint copies and syncs a page
/// once however many commits changed it (at 16 MiB, commits took a third of a million-row
/// import's time). Not more: a reader looks a page up in every 16 MiB segment of the WAL.
/// `secure_delete = on`, not `fast`: `fast` leaves whole pages freed by a delete (a large
/// record's overflow pages) unzeroed on the freelist, with the erased person's data in them.
fn open(path: &Path, busy: Duration) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(rs_err)?;
    conn.busy_timeout(busy).map_err(rs_err)?;
    conn.execute_batch(
        &format!(
            "pragma journal_mode = wal; pragma synchronous = normal; pragma foreign_keys = on; \
             pragma temp_store = memory; pragma cache_size = {CACHE_SIZE}; pragma secure_delete = on; \
             pragma journal_size_limit = 67108864; pragma wal_autocheckpoint = 16384;"
        ),
    )
    .map_err(rs_err)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

impl Writer {
    /// Opens the database file and starts the writer thread.
    pub(crate) fn start(path: &Path, busy: Duration) -> Result<Self, StoreError> {
        let conn = open(path, busy)?;
        let (jobs, rx) = mpsc::channel(QUEUE);
        std::thread::Builder::new()
            .name("closer-sqlite-writer".into())
            .spawn(move || {
                run(&conn, rx);
                // Leave a small WAL behind on shutdown.
                let _ = exec(&conn, "pragma wal_checkpoint(truncate)");
            })
            .map_err(|e| {
                StoreError::Unavailable(format!("could not start the SQLite writer: {e}"))
            })?;
        Ok(Self { jobs })
    }

    /// Runs `work` inside the next batch's transaction; returns its result once committed.
    pub(crate) async fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.submit(work, false).await
    }

    /// Like `write`, for an erasure: after the commit, the WAL (which still holds the pages as
    /// they were before the delete) is checkpointed and truncated before the caller hears back.
    /// With `secure_delete` on, the database file itself keeps no trace of the deleted rows.
    pub(crate) async fn erase<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.submit(work, true).await
    }

    async fn submit<T, F>(&self, work: F, scrub: bool) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let run = Box::new(move |conn: &Connection| {
            let result = work(conn);
            let failed = result.is_err();
            let deliver: Deliver = Box::new(move |commit| {
                let _ = tx.send(commit.and(result));
            });
            (failed, deliver)
        });
        self.jobs
            .send(Job { run, scrub })
            .await
            .map_err(|_| StoreError::Unavailable("the SQLite writer has stopped".into()))?;
        rx.await
            .map_err(|_| StoreError::Unavailable("the SQLite writer dropped the write".into()))?
    }
}

fn exec(conn: &Connection, sql: &str) -> Result<(), StoreError> {
    conn.execute_batch(sql).map_err(rs_err)
}

/// Runs until every `Writer` is dropped, then finishes the queued writes and returns.
fn run(conn: &Connection, mut rx: mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = exec(conn, "begin immediate") {
            // Another process held the lock past busy_timeout. Dropping the jobs unrun answers
            // each caller `Unavailable` (503: retry), and nothing was written.
            tracing::warn!(error = %e, writes = batch.len(), "could not begin a write transaction");
            batch.clear();
            continue;
        }
        let mut delivers = Vec::with_capacity(batch.len());
        let mut scrub = false;
        // A job alone in its transaction needs no savepoint: if it fails, the transaction is
        // rolled back instead. A savepoint keeps a copy of every page the job changes (an
        // import batch's are tens of megabytes), where a statement's own journal keeps only
        // the pages that statement changes.
        let alone = batch.len() == 1;
        let mut roll_back = false;
        for job in batch.drain(..) {
            if alone {
                let (failed, deliver) = (job.run)(conn);
                scrub = job.scrub && !failed;
                roll_back = failed;
                delivers.push((deliver, Ok(())));
                continue;
            }
            let savepoint = exec(conn, "savepoint job");
            let (failed, deliver) = (job.run)(conn);
            scrub |= job.scrub && !failed;
            let release = if failed || savepoint.is_err() {
                exec(conn, "rollback to job; release job")
            } else {
                exec(conn, "release job")
            };
            delivers.push((deliver, savepoint.and(release)));
        }
        let committed = if roll_back {
            // The one job failed: it answers its own error, and nothing was written.
            let _ = exec(conn, "rollback");
            Ok(())
        } else {
            exec(conn, "commit")
        };
        if committed.is_err() {
            let _ = exec(conn, "rollback");
        }
        if scrub
            && committed.is_ok()
            && let Err(e) = exec(conn, "pragma wal_checkpoint(truncate)")
        {
            // A long reader held the WAL; the old frames are overwritten as the WAL is reused.
            tracing::warn!(error = %e, "could not truncate the WAL after an erasure");
        }
        for (deliver, own) in delivers {
            deliver(match (&committed, own) {
                (Err(e), _) => Err(StoreError::Unavailable(format!("commit failed: {e}"))),
                (Ok(()), Err(e)) => Err(e),
                (Ok(()), Ok(())) => Ok(()),
            });
        }
    }
}
