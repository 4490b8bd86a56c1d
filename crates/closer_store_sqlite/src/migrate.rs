//! Embedded migrations, listed once for both engines (`closer_store_sql::migrations!`).
//!
//! They are recorded in `_sqlx_migrations`, in the layout and with the checksums (SHA-384 of
//! the SQL) of sqlx's migrator, which the PostgreSQL adapter uses and which earlier SQLite
//! databases were migrated by: a database migrated either way opens with the other. As sqlx
//! does, a migration whose SQL changed after it was applied, one left half-applied, or one the
//! database has and this build does not know (a newer closer wrote it) stops the start.

use std::path::Path;
use std::time::{Duration, Instant};

use closer_store::StoreError;
use rusqlite::{Connection, TransactionBehavior, params};
use sha2::{Digest, Sha384};

use crate::error::rs_err;

/// `(version, name, sql)`, in order: the list is `closer_store_sql`'s, the SQL this engine's.
pub const MIGRATIONS: &[(i64, &str, &str)] = closer_store_sql::migrations!();

fn failed(what: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("migrating the SQLite database failed: {what}"))
}

/// Creates the file if missing, sets it to WAL, and applies the migrations it lacks, each in
/// its own transaction.
pub(crate) fn run(path: &Path, busy: Duration) -> Result<(), StoreError> {
    let mut conn = Connection::open(path).map_err(rs_err)?;
    conn.busy_timeout(busy).map_err(rs_err)?;
    conn.execute_batch("pragma journal_mode = wal; pragma foreign_keys = on;")
        .map_err(rs_err)?;
    conn.execute_batch(
        "create table if not exists _sqlx_migrations ( \
           version bigint primary key, description text not null, \
           installed_on timestamp not null default current_timestamp, \
           success boolean not null, checksum blob not null, execution_time bigint not null)",
    )
    .map_err(rs_err)?;
    let applied: Vec<(i64, bool, Vec<u8>)> = {
        let mut stmt = conn
            .prepare("select version, success, checksum from _sqlx_migrations order by version")
            .map_err(rs_err)?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .and_then(Iterator::collect)
            .map_err(rs_err)?
    };
    for (version, success, checksum) in &applied {
        let Some((_, _, sql)) = MIGRATIONS.iter().find(|(v, _, _)| v == version) else {
            return Err(failed(format_args!(
                "the database has migration {version}, which this closer does not know: it was written by a newer version"
            )));
        };
        if !success {
            return Err(failed(format_args!(
                "migration {version} was left half-applied; restore a backup"
            )));
        }
        if Sha384::digest(sql.as_bytes()).as_slice() != checksum.as_slice() {
            return Err(failed(format_args!(
                "migration {version} was applied with other SQL than this closer's"
            )));
        }
    }
    for (version, name, sql) in MIGRATIONS {
        if applied.iter().any(|(v, _, _)| v == version) {
            continue;
        }
        let started = Instant::now();
        // Immediate: another process starting at the same time (the CLI beside a server)
        // waits here, then finds the migration applied instead of applying it twice.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(rs_err)?;
        let done: bool = tx
            .query_row(
                "select exists (select 1 from _sqlx_migrations where version = ?1)",
                [version],
                |r| r.get(0),
            )
            .map_err(rs_err)?;
        if done {
            continue;
        }
        tx.execute_batch(sql)
            .map_err(|e| failed(format_args!("migration {version} ({name}): {e}")))?;
        tx.execute(
            "insert into _sqlx_migrations (version, description, success, checksum, execution_time) \
             values (?1, ?2, true, ?3, ?4)",
            params![
                version,
                name,
                Sha384::digest(sql.as_bytes()).as_slice(),
                i64::try_from(started.elapsed().as_nanos()).unwrap_or(i64::MAX)
            ],
        )
        .map_err(rs_err)?;
        tx.commit().map_err(rs_err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn migrated() -> (crate::testing::TempDb, std::path::PathBuf) {
        let db = crate::testing::TempDb::new();
        let path = crate::path_of(&db.url()).expect("a sqlite URL");
        run(&path, Duration::from_secs(1)).expect("migrates");
        (db, path)
    }

    /// The table is sqlx's, row for row: what sqlx's migrator (the PostgreSQL adapter's, and
    /// earlier SQLite databases') would have recorded, so either opens the other's database.
    #[test]
    fn records_what_sqlxs_migrator_records() {
        let (_db, path) = migrated();
        let conn = Connection::open(&path).expect("opens");
        let rows: Vec<(i64, String, bool, Vec<u8>)> = conn
            .prepare("select version, description, success, checksum from _sqlx_migrations order by version")
            .and_then(|mut s| {
                s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                    .collect()
            })
            .expect("reads");
        assert_eq!(rows.len(), MIGRATIONS.len());
        for ((version, name, sql), (v, d, ok, checksum)) in MIGRATIONS.iter().zip(rows) {
            let theirs = sqlx::migrate::Migration::new(
                *version,
                std::borrow::Cow::Borrowed(*name),
                sqlx::migrate::MigrationType::Simple,
                sqlx::SqlSafeStr::into_sql_str(*sql),
                false,
            );
            assert_eq!((v, d.as_str(), ok), (*version, *name, true));
            assert_eq!(
                checksum.as_slice(),
                &*theirs.checksum,
                "migration {version}"
            );
        }
        // Opening again applies nothing and accepts what it recorded.
        run(&path, Duration::from_secs(1)).expect("migrates again");
    }

    /// Two processes starting on one new file at once: one applies, the other waits and
    /// finds it done.
    #[test]
    fn two_starts_at_once_both_open_the_file() {
        let db = crate::testing::TempDb::new();
        let path = crate::path_of(&db.url()).expect("a sqlite URL");
        // The file and its WAL mode first, as the first start leaves them.
        Connection::open(&path)
            .and_then(|c| c.execute_batch("pragma journal_mode = wal"))
            .expect("creates");
        let starts: Vec<_> = (0..4)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || run(&path, Duration::from_secs(10)))
            })
            .collect();
        for start in starts {
            start.join().expect("no panic").expect("migrates");
        }
        let conn = Connection::open(&path).expect("opens");
        let n: i64 = conn
            .query_row("select count(*) from _sqlx_migrations", [], |r| r.get(0))
            .expect("counts");
        assert_eq!(n, i64::try_from(MIGRATIONS.len()).unwrap());
    }

    #[test]
    fn a_changed_or_unknown_migration_stops_the_start() {
        let (_db, path) = migrated();
        let conn = Connection::open(&path).expect("opens");
        conn.execute(
            "update _sqlx_migrations set checksum = x'00' where version = 3",
            [],
        )
        .expect("tampers");
        let err = run(&path, Duration::from_secs(1))
            .expect_err("refuses")
            .to_string();
        assert!(
            err.contains("migration 3 was applied with other SQL"),
            "{err}"
        );

        let (_db, path) = migrated();
        let conn = Connection::open(&path).expect("opens");
        conn.execute(
            "insert into _sqlx_migrations (version, description, success, checksum, execution_time) \
             values (999, 'future', true, x'00', 0)",
            [],
        )
        .expect("adds");
        let err = run(&path, Duration::from_secs(1))
            .expect_err("refuses")
            .to_string();
        assert!(
            err.contains("migration 999, which this closer does not know"),
            "{err}"
        );
    }
}
