//! A throwaway PostgreSQL schema for tests, dropped when the guard drops.
//!
//! `CLOSER_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`) names the
//! server. When it cannot be reached, tests are skipped with a loud message — unless
//! `CI=true`, where an unreachable PostgreSQL fails the run.

use std::sync::Once;
use std::time::Duration;

use sqlx::Connection;
use sqlx::postgres::PgConnection;

use crate::PostgresStore;

pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

pub fn url() -> String {
    std::env::var("CLOSER_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

/// Drops the test schema (and its role, if it has one of its own) when dropped (on its own
/// thread: Drop cannot await).
pub struct TestSchema {
    url: String,
    schema: String,
    role: Option<String>,
}

impl TestSchema {
    pub fn url(&self) -> &str {
        &self.url
    }
    pub fn schema(&self) -> &str {
        &self.schema
    }
    /// The role the store connects as, when it is not the URL's own (`test_store_as_owner`).
    pub fn role(&self) -> Option<&str> {
        self.role.as_deref()
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        let url = self.url.clone();
        let drop_role = self
            .role
            .as_ref()
            .map(|role| format!(" drop role if exists {role};"))
            .unwrap_or_default();
        let sql = format!("drop schema if exists {} cascade;{drop_role}", self.schema);
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let mut conn = PgConnection::connect(&url).await.ok()?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&mut conn)
                    .await
                    .ok()
            })
        })
        .join();
    }
}

/// Creates an empty schema, or says why PostgreSQL tests are skipped (`None`).
pub async fn schema() -> Option<TestSchema> {
    let url = url();
    let connect = tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(&url)).await;
    let mut conn = match connect {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => return unreachable(&url, &e.to_string()),
        Err(_) => return unreachable(&url, "timed out"),
    };
    let schema = format!("closer_test_{}", uuid::Uuid::new_v4().simple());
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("create schema {schema}")))
        .execute(&mut conn)
        .await
        .expect("create test schema");
    Some(TestSchema {
        url,
        schema,
        role: None,
    })
}

/// A migrated store in a fresh schema.
pub async fn test_store() -> Option<(PostgresStore, TestSchema)> {
    let schema = schema().await?;
    let store = PostgresStore::connect_in_schema(schema.url(), schema.schema())
        .await
        .expect("connect to the test schema");
    Some((store, schema))
}

/// A migrated store in a fresh schema, connected as a new role that owns the schema and is
/// not a superuser, as a team's deployment usually runs; the role goes with the schema.
pub async fn test_store_as_owner() -> Option<(PostgresStore, TestSchema)> {
    let mut schema = schema().await?;
    let role = format!("{}_owner", schema.schema);
    let mut conn = PgConnection::connect(&schema.url)
        .await
        .expect("connect as the admin");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "create role {role} login nosuperuser; alter schema {} owner to {role}",
        schema.schema
    )))
    .execute(&mut conn)
    .await
    .expect("create the schema's owner");
    schema.role = Some(role.clone());
    let options = PostgresStore::options(&schema.url)
        .expect("the test URL")
        .username(&role)
        .options([("search_path", schema.schema.as_str())]);
    let store = PostgresStore::connect_with(options, 4)
        .await
        .expect("connect as the schema's owner");
    Some((store, schema))
}

fn unreachable<T>(url: &str, why: &str) -> Option<T> {
    static WARN: Once = Once::new();
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "PostgreSQL at {url} is unreachable ({why}) and CI=true: PostgreSQL tests must run in CI"
    );
    WARN.call_once(|| {
        eprintln!(
            "\n*** SKIPPED: PostgreSQL tests — {url} is unreachable ({why}). \
             Start it (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) \
             or set CLOSER_TEST_POSTGRES_URL. ***\n"
        );
    });
    None
}
