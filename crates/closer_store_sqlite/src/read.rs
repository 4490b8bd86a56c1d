//! Reads on SQLite: read-only rusqlite connections, pooled so their page caches stay warm, each
//! read run on a blocking thread inside one read transaction (its statements see one snapshot).
//!
//! Why rusqlite on blocking threads rather than an async driver: a read is one or a few
//! statements whose rows are decoded where SQLite hands them over; an async SQLite driver ships
//! each statement and row batch to a worker thread and back, which cost more than SQLite's own
//! work on reports (a year of a large workspace is a million journey rows). One driver also
//! means one error mapper (`error.rs`) and one row decoder per record (`rows.rs`). Under WAL a
//! reader never blocks the writer thread (`writer.rs`), nor the writer it.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use closer_store::StoreError;
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, Params, Row, params_from_iter};
use tokio::sync::Semaphore;

use crate::error::rs_err;

/// How long a read waits for a free connection before the store reports itself unavailable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// A pool of read-only connections on one database file.
#[derive(Clone)]
pub(crate) struct Reader(Arc<Pool>);

struct Pool {
    path: PathBuf,
    /// Run on each new connection.
    pragmas: &'static str,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
    open: AtomicU32,
}

/// The pragmas of the pool serving requests: a page cache per connection, as the writer's.
pub(crate) const SERVING: &str =
    "pragma cache_size = -16000; pragma temp_store = memory; pragma busy_timeout = 5000;";

/// The pragmas of the report pool. The file is mapped: a report's scan reads pages straight
/// from the operating system's cache, shared by every connection, instead of copying each into
/// a private page cache (which a fresh connection starts empty). 256 TiB means "all of it"
/// (the build raises SQLite's 2 GiB cap: .cargo/config.toml). Only reports map it: mapped pages
/// count as the process's resident memory, and a rescore or a day of requests touching the
/// whole file would show it all.
pub(crate) const REPORTS: &str = "pragma mmap_size = 281474976710656; pragma cache_size = -16384; \
     pragma temp_store = memory; pragma busy_timeout = 5000;";

/// The pragmas of the one bulk connection (`closer rescore` reads every contact in order): a
/// large page cache carried from one page of contacts to the next.
pub(crate) const BULK: &str = "pragma cache_size = -65536; pragma busy_timeout = 5000;";

impl Reader {
    /// At most `size` connections on `path`, each opened with `pragmas`.
    pub(crate) fn new(path: PathBuf, size: u32, pragmas: &'static str) -> Self {
        Self(Arc::new(Pool {
            path,
            pragmas,
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(size as usize)),
            open: AtomicU32::new(0),
        }))
    }

    /// Runs `read` on a pooled connection, on a blocking thread, in one read transaction.
    pub(crate) async fn read<T, F>(&self, read: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let permit = tokio::time::timeout(ACQUIRE_TIMEOUT, self.0.permits.clone().acquire_owned())
            .await
            .map_err(|_| {
                StoreError::Unavailable(format!(
                    "no SQLite read connection was free within {} s",
                    ACQUIRE_TIMEOUT.as_secs()
                ))
            })?
            .map_err(|_| StoreError::Unavailable("the SQLite read pool is closed".into()))?;
        let pool = self.0.clone();
        tokio::task::spawn_blocking(move || {
            let out = pool.with(read);
            drop(permit);
            out
        })
        .await
        .map_err(|e| StoreError::Internal(format!("a SQLite read task failed: {e}")))?
    }

    /// Connections open, and of those idle.
    pub(crate) fn pool_use(&self) -> closer_store::PoolUse {
        let idle = self
            .0
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        closer_store::PoolUse {
            open: self.0.open.load(Ordering::Relaxed),
            idle: u32::try_from(idle).unwrap_or(u32::MAX),
        }
    }
}

impl Pool {
    fn with<T>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let kept = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match kept {
            Some(c) => c,
            None => self.open()?,
        };
        let out = conn
            .execute_batch("begin")
            .map_err(rs_err)
            .and_then(|()| read(&conn));
        // A read transaction: ending it cannot lose anything, and a connection whose
        // transaction will not end is not put back.
        if conn.is_autocommit() || conn.execute_batch("commit").is_ok() {
            self.idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(conn);
        } else {
            self.open.fetch_sub(1, Ordering::Relaxed);
        }
        out
    }

    fn open(&self) -> Result<Connection, StoreError> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(rs_err)?;
        conn.execute_batch(self.pragmas).map_err(rs_err)?;
        conn.set_prepared_statement_cache_capacity(64);
        self.open.fetch_add(1, Ordering::Relaxed);
        Ok(conn)
    }
}

/// Every row of `sql`, each mapped by `map`.
pub(crate) fn all<T>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
    mut map: impl FnMut(&Row<'_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(rs_err)?;
    let mut rows = stmt.query(params).map_err(rs_err)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(rs_err)? {
        out.push(map(row)?);
    }
    Ok(out)
}

/// The first row of `sql`, if any, mapped by `map`.
pub(crate) fn optional<T>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
    map: impl FnOnce(&Row<'_>) -> Result<T, StoreError>,
) -> Result<Option<T>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(rs_err)?;
    let mut rows = stmt.query(params).map_err(rs_err)?;
    rows.next().map_err(rs_err)?.map(map).transpose()
}

/// The parameters of a statement built by `closer_store_sql`, as SQLite keeps them (times as
/// integer microseconds, ids as 16-byte blobs).
pub(crate) fn params(sql: &closer_store_sql::Sql) -> impl Params + '_ {
    use closer_store_sql::Param;
    let uuid = |u: &uuid::Uuid| Value::Blob(u.as_bytes().to_vec());
    params_from_iter(sql.params.iter().map(move |p| match p {
        Param::Uuid(u) => uuid(u),
        Param::Text(t) => Value::Text(t.clone()),
        Param::Time(t) => Value::Integer(t.unix_micros()),
        Param::Int(i) => Value::Integer(*i),
        Param::Bool(b) => Value::Integer(i64::from(*b)),
        Param::MaybeUuid(u) => u.as_ref().map_or(Value::Null, uuid),
        Param::MaybeText(t) => t.clone().map_or(Value::Null, Value::Text),
        Param::MaybeTime(t) => t.map_or(Value::Null, |t| Value::Integer(t.unix_micros())),
        Param::MaybeInt(i) => i.map_or(Value::Null, Value::Integer),
        Param::MaybeBool(b) => b.map_or(Value::Null, |b| Value::Integer(i64::from(b))),
        // `Sql::bind_ids` binds ids one by one on SQLite; a list never reaches it.
        Param::Uuids(_) | Param::Texts(_) => Value::Null,
    }))
}
