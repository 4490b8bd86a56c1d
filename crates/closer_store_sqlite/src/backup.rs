//! `closer backup`: a consistent copy of a live database file through SQLite's online backup
//! API, while a server keeps writing.
//!
//! The copy is made in one step, inside one read transaction: under WAL the writer is never
//! blocked, and the copy is the database as of that transaction's start. (Copying in several
//! steps would start over each time another connection wrote, and under steady writes might
//! never finish.)

use std::path::Path;

use closer_store::StoreError;
use rusqlite::backup::StepResult;
use rusqlite::{Connection, OpenFlags};

use crate::error::rs_err;

/// What a finished backup holds.
#[derive(Debug, Clone, Copy)]
pub struct BackupDone {
    pub pages: i32,
    pub bytes: u64,
}

/// Copies the database at `url` (`sqlite://PATH`) to a new file at `to`, which must not exist.
pub fn backup(url: &str, to: &Path) -> Result<BackupDone, StoreError> {
    let from = crate::path_of(url)?;
    if !from.exists() {
        return Err(StoreError::Unavailable(format!(
            "{} does not exist",
            from.display()
        )));
    }
    if to.exists() {
        return Err(StoreError::Unavailable(format!(
            "{} already exists: give a new file, so no backup is overwritten",
            to.display()
        )));
    }
    let src = Connection::open_with_flags(
        from,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(rs_err)?;
    src.busy_timeout(crate::BUSY_TIMEOUT).map_err(rs_err)?;
    let mut dst = Connection::open(to).map_err(rs_err)?;
    let pages = {
        let copy = rusqlite::backup::Backup::new(&src, &mut dst).map_err(rs_err)?;
        // -1: every page in one step (see the module note). Busy or locked: another
        // connection holds a lock the copy needs for a moment; try again for a while.
        let mut tries = 0;
        loop {
            match copy.step(-1).map_err(rs_err)? {
                StepResult::Done => break,
                StepResult::More => {}
                _ if tries < 200 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                _ => {
                    return Err(StoreError::Unavailable(
                        "the database stayed locked for 10 s; try the backup again".into(),
                    ));
                }
            }
        }
        copy.progress().pagecount
    };
    // The copy is a database of its own: no WAL to carry along.
    dst.execute_batch("pragma journal_mode = delete")
        .map_err(rs_err)?;
    drop(dst);
    let bytes = std::fs::metadata(to).map_or(0, |m| m.len());
    Ok(BackupDone { pages, bytes })
}
