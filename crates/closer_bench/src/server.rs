//! Starts and stops a `closer` server on a throwaway database, and reads its memory.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use sqlx::Connection;

use crate::{Engine, ServerArgs};

pub struct Server {
    child: Child,
    pub base: String,
    pub token: String,
    database_url: String,
    engine: Engine,
    admin_url: String,
    cleanup: Option<PathBuf>,
    db_name: String,
}

pub fn cli(closer: &PathBuf, url: &str, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(closer)
        .args(args)
        .env("CLOSER_DATABASE_URL", url)
        .env("CLOSER_LOG", "warn")
        .output()
        .with_context(|| format!("running {}", closer.display()))?;
    ensure!(
        out.status.success(),
        "closer {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Creates the database `name` on the server `postgres_url` names; its URL.
pub async fn create_database(postgres_url: &str, name: &str) -> anyhow::Result<String> {
    let mut admin = sqlx::PgConnection::connect(postgres_url)
        .await
        .context("connecting to PostgreSQL")?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("create database {name}")))
        .execute(&mut admin)
        .await?;
    let base = postgres_url
        .rsplit_once('/')
        .map_or(postgres_url, |(b, _)| b);
    Ok(format!("{base}/{name}"))
}

/// Drops the database `create_database` made.
pub async fn drop_database(postgres_url: &str, name: &str) -> anyhow::Result<()> {
    let mut admin = sqlx::PgConnection::connect(postgres_url).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "drop database if exists {name}"
    )))
    .execute(&mut admin)
    .await?;
    Ok(())
}

impl Server {
    pub async fn start(args: &ServerArgs) -> anyhow::Result<Self> {
        Self::start_on(args, None).await
    }

    /// Like `start`, on an existing database (`Some(url)`: kept afterwards) or a fresh one.
    pub async fn start_on(args: &ServerArgs, existing: Option<&str>) -> anyhow::Result<Self> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let db_name = format!("closer_bench_{}", &id[..12]);
        let (database_url, cleanup) = match (existing, args.engine) {
            (Some(url), _) => (url.to_owned(), None),
            (None, engine) => match engine {
                Engine::Sqlite => {
                    let path = std::env::temp_dir().join(format!("{db_name}.db"));
                    (format!("sqlite://{}", path.display()), Some(path))
                }
                Engine::Postgres => (create_database(&args.postgres_url, &db_name).await?, None),
            },
        };
        cli(&args.closer, &database_url, &["migrate"])?;
        let token = cli(&args.closer, &database_url, &["token", "create"])?
            .trim()
            .to_owned();
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new(&args.closer)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("CLOSER_DATABASE_URL", &database_url)
            .env("CLOSER_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting closer serve")?;
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            token,
            database_url,
            engine: args.engine,
            admin_url: args.postgres_url.clone(),
            cleanup,
            // A kept database is never dropped.
            db_name: if existing.is_some() {
                String::new()
            } else {
                db_name
            },
        };
        server.wait_ready().await?;
        Ok(server)
    }

    async fn wait_ready(&self) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(res) = client.get(format!("{}/healthz", self.base)).send().await
                && res.status().is_success()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("closer did not become ready at {}", self.base)
    }

    /// Tracks `domain` through the API (so the server's site index knows it at once).
    pub async fn add_site(&self, domain: &str) -> anyhow::Result<()> {
        let res = reqwest::Client::new()
            .post(format!("{}/api/v1/sites", self.base))
            .bearer_auth(&self.token)
            .json(&serde_json::json!({ "domain": domain }))
            .send()
            .await?;
        ensure!(
            res.status().as_u16() == 201,
            "adding site {domain}: {}",
            res.status()
        );
        Ok(())
    }

    /// Page views and custom events in the database, counted there.
    pub async fn stored_events(&self) -> anyhow::Result<u64> {
        self.count("select count(*) from traffic_events").await
    }

    /// A `select count(*) …` (or any single integer) asked of the database itself.
    pub async fn count(&self, sql: &'static str) -> anyhow::Result<u64> {
        let n: i64 = match self.engine {
            Engine::Sqlite => {
                let path = self.database_url.trim_start_matches("sqlite://").to_owned();
                tokio::task::spawn_blocking(move || {
                    let conn = rusqlite::Connection::open_with_flags(
                        &path,
                        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
                    )?;
                    conn.busy_timeout(Duration::from_secs(5))?;
                    conn.query_row(sql, [], |r| r.get(0))
                })
                .await??
            }
            Engine::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.database_url).await?;
                sqlx::query_scalar(sql).fetch_one(&mut conn).await?
            }
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    /// `(current, peak)` resident memory in MiB, from /proc.
    pub fn memory_mib(&self) -> Option<(f64, f64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .map(|kb| kb / 1024.0)
        };
        Some((field("VmRSS:")?, field("VmHWM:")?))
    }

    /// The server's own memory (anonymous pages: heap and stacks), MiB. Resident memory also
    /// counts the database file where SQLite maps it, once per mapping connection: those are
    /// the operating system's cached file pages, shared and reclaimable.
    pub fn heap_mib(&self) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        status
            .lines()
            .find(|l| l.starts_with("RssAnon:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
    }

    /// SIGTERM, and wait until the server has exited (having written what it accepted);
    /// the database stays, to be counted.
    pub async fn terminate(&mut self) -> anyhow::Result<()> {
        if self.child.try_wait()?.is_some() {
            return Ok(());
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.child.try_wait()?.is_none() {
            if Instant::now() > deadline {
                self.child.kill()?;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    }

    /// SIGTERM, wait, and drop the database.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.terminate().await?;
        if let Some(path) = &self.cleanup {
            for suffix in ["", "-wal", "-shm"] {
                let mut p = path.clone().into_os_string();
                p.push(suffix);
                let _ = std::fs::remove_file(p);
            }
        }
        if self.engine == Engine::Postgres && !self.db_name.is_empty() {
            drop_database(&self.admin_url, &self.db_name).await?;
        }
        Ok(())
    }
}
