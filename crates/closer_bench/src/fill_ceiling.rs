//! The ceiling for `closer demo`'s fill: on a database a fill has written, the engine copies
//! every table the fill writes into an empty twin with the same columns and indexes, inside
//! the engine (`insert … select`), table by table, and the time of each copy is printed. No
//! client encodes a row, no trigger or foreign key runs, and rows come in their stored order:
//! the best case for writing the fill's rows on this machine, to compare the fill against.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use sqlx::Connection;

use crate::Engine;

/// The tables a million-lead fill writes (at least a thousand rows each), in the order it
/// writes them.
const TABLES: [&str; 17] = [
    "traffic_events",
    "sessions",
    "contacts",
    "contact_identities",
    "contact_stages",
    "events",
    "visitor_links",
    "activities",
    "deals",
    "deal_stages",
    "orders",
    "order_lines",
    "contact_traffic",
    "journeys",
    "journey_changes",
    "deal_changes",
    "contact_scores",
];

#[derive(clap::Args)]
pub struct FillCeilingArgs {
    #[arg(long, value_enum, default_value = "sqlite")]
    engine: Engine,
    /// A database `closer demo` filled: `sqlite:///path/to/file.db` or a PostgreSQL URL. It is
    /// only read; the copies go to a scratch file beside it (SQLite) or a `fill_ceiling`
    /// schema (PostgreSQL), both removed afterwards.
    #[arg(long)]
    database: String,
}

// Row counts are far below 2^52: a row rate as a float loses nothing.
#[allow(clippy::cast_precision_loss)]
pub async fn run(args: &FillCeilingArgs) -> anyhow::Result<()> {
    let copies = match args.engine {
        Engine::Sqlite => {
            let path = args
                .database
                .strip_prefix("sqlite://")
                .context("--database must be sqlite:///path for --engine sqlite")?;
            let path = PathBuf::from(path);
            tokio::task::spawn_blocking(move || sqlite(&path, &TABLES)).await??
        }
        Engine::Postgres => postgres(&args.database, &TABLES).await?,
    };
    println!("| table | rows | seconds | rows a second |");
    println!("|---|---|---|---|");
    let mut total = Duration::ZERO;
    for (table, rows, took) in &copies {
        total += *took;
        println!(
            "| {table} | {rows} | {:.1} | {:.0} |",
            took.as_secs_f64(),
            *rows as f64 / took.as_secs_f64().max(1e-9)
        );
    }
    println!("| all | | **{:.1}** | |", total.as_secs_f64());
    println!(
        "\nreproduce: target/release/closer-bench fill-ceiling --engine {} --database {}",
        match args.engine {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        },
        args.database
    );
    Ok(())
}

/// Copies into a scratch file with the writer's settings for bulk loads (WAL, a 512 MiB
/// cache), each table in its own transaction.
pub(crate) fn sqlite(
    source: &Path,
    tables: &[&'static str],
) -> anyhow::Result<Vec<(&'static str, i64, Duration)>> {
    let scratch = source.with_extension("ceiling.db");
    for end in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{end}", scratch.display()));
    }
    let out = (|| {
        let conn = rusqlite::Connection::open(&scratch)?;
        conn.execute_batch(
            "pragma journal_mode = wal; pragma synchronous = normal; pragma foreign_keys = off; \
             pragma cache_size = -524288; pragma wal_autocheckpoint = 4096;",
        )?;
        conn.execute("attach database ?1 as src", [source.display().to_string()])?;
        let mut copies = Vec::new();
        for &table in tables {
            // The table's and its indexes' own SQL, without its triggers.
            let schema: Vec<String> = conn
                .prepare(
                    "select sql from src.sqlite_master where tbl_name = ?1 \
                     and type in ('table', 'index') and sql is not null \
                     order by type = 'index'",
                )?
                .query_map([table], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for sql in &schema {
                conn.execute_batch(sql)?;
            }
            let started = Instant::now();
            // `where true` keeps SQLite from copying the B-trees' pages as they are (its
            // transfer optimisation for `insert … select *` into an empty twin): every row is
            // inserted and every index entry made, as a fill has to.
            conn.execute_batch(&format!(
                "begin; insert into main.{table} select * from src.{table} where true; commit;"
            ))?;
            let took = started.elapsed();
            let rows: i64 =
                conn.query_row(&format!("select count(*) from main.{table}"), [], |r| {
                    r.get(0)
                })?;
            eprintln!("{table}: {rows} rows in {:.1} s", took.as_secs_f64());
            copies.push((table, rows, took));
        }
        Ok(copies)
    })();
    for end in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{end}", scratch.display()));
    }
    out
}

/// Copies into tables `like … including all` (columns, defaults, indexes; no triggers or
/// foreign keys) in a scratch schema, each in its own transaction.
pub(crate) async fn postgres(
    url: &str,
    tables: &[&'static str],
) -> anyhow::Result<Vec<(&'static str, i64, Duration)>> {
    let mut conn = sqlx::PgConnection::connect(url).await?;
    sqlx::raw_sql("drop schema if exists fill_ceiling cascade; create schema fill_ceiling")
        .execute(&mut conn)
        .await?;
    let mut copies = Vec::new();
    let mut out = Ok(());
    for &table in tables {
        let step = async {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "create table fill_ceiling.{table} (like public.{table} including all)"
            )))
            .execute(&mut conn)
            .await?;
            let started = Instant::now();
            let done = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "insert into fill_ceiling.{table} select * from public.{table}"
            )))
            .execute(&mut conn)
            .await?;
            let took = started.elapsed();
            let rows = i64::try_from(done.rows_affected()).unwrap_or(i64::MAX);
            eprintln!("{table}: {rows} rows in {:.1} s", took.as_secs_f64());
            anyhow::Ok((table, rows, took))
        };
        match step.await {
            Ok(copy) => copies.push(copy),
            Err(e) => {
                out = Err(e);
                break;
            }
        }
    }
    sqlx::raw_sql("drop schema fill_ceiling cascade")
        .execute(&mut conn)
        .await?;
    out.map(|()| copies)
}
