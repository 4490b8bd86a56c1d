//! Picks the storage engine from the database URL's scheme. The only place that names a
//! concrete backend.

use std::sync::Arc;

use anyhow::{Context, bail};
use closer_store::Store;
use closer_store_postgres::PostgresStore;
use closer_store_sqlite::SqliteStore;

/// The URL with any password replaced, safe to log.
pub fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// PostgreSQL connections per process (`--db-pool`), set once from the command line.
static POOL_SIZE: std::sync::OnceLock<u32> = std::sync::OnceLock::new();

pub fn set_pool_size(size: u32) {
    let _ = POOL_SIZE.set(size);
}

pub async fn open(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    let shown = redacted(url);
    if url.starts_with("sqlite:") {
        let store = SqliteStore::connect(url)
            .await
            .with_context(|| format!("opening {shown}"))?;
        Ok(Arc::new(store))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let size = POOL_SIZE
            .get()
            .copied()
            .unwrap_or(PostgresStore::DEFAULT_POOL);
        let store = PostgresStore::connect_sized(url, size)
            .await
            .with_context(|| format!("connecting to {shown}"))?;
        Ok(Arc::new(store))
    } else {
        bail!("unsupported database URL {shown}: use sqlite://PATH or postgres://USER@HOST/DB")
    }
}

/// `closer backup PATH`: SQLite's online backup of a live database to a new file.
pub async fn backup(url: &str, to: &std::path::Path) -> anyhow::Result<()> {
    if !url.starts_with("sqlite:") {
        bail!(
            "closer backup copies SQLite databases; for PostgreSQL use pg_dump \
             (pg_dump --format=custom --file=closer.dump DATABASE_URL)"
        );
    }
    let (from, path) = (url.to_owned(), to.to_owned());
    let done = tokio::task::spawn_blocking(move || closer_store_sqlite::backup(&from, &path))
        .await
        .context("the backup task failed")?
        .with_context(|| format!("backing up {}", redacted(url)))?;
    outln!(
        "backed up {} pages ({} bytes) to {}",
        done.pages,
        done.bytes,
        to.display()
    );
    outln!(
        "to use it: closer serve --database-url sqlite://{}",
        to.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::redacted;

    #[test]
    fn hides_passwords_only() {
        assert_eq!(
            redacted("postgres://app:s3cret@db:5432/closer"),
            "postgres://app:***@db:5432/closer"
        );
        assert_eq!(
            redacted("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
        assert_eq!(redacted("sqlite://closer.db"), "sqlite://closer.db");
    }
}
