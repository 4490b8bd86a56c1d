//! A throwaway SQLite database for tests: a fresh file, removed when the guard drops.

use std::path::PathBuf;

use crate::SqliteStore;

/// Deletes the database files when dropped.
pub struct TempDb {
    path: PathBuf,
}

impl TempDb {
    /// A fresh path in the temp directory (no file yet).
    pub fn new() -> Self {
        Self {
            path: std::env::temp_dir()
                .join(format!("closer-test-{}.db", uuid::Uuid::new_v4().simple())),
        }
    }

    pub fn url(&self) -> String {
        format!("sqlite://{}", self.path.display())
    }
}

impl Default for TempDb {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

/// A new, migrated store on a fresh file in the temp directory.
pub async fn temp_store() -> (SqliteStore, TempDb) {
    let db = TempDb::new();
    let store = SqliteStore::connect(&db.url())
        .await
        .expect("temp SQLite store");
    (store, db)
}
