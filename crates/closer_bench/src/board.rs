//! `closer-bench board`: the pipeline board (`GET /api/v1/pipelines/{id}/board`) with many open
//! deals. It starts closer on a fresh SQLite file, lets it create the default pipeline, writes
//! the contacts and deals straight into the tables (open ones spread over the five open
//! stages, plus won and lost ones the board must skip), then times board requests one at a
//! time over loopback: cards and totals, totals only, and the largest page of cards.

// Counts and microsecond times here are far from the integer types' limits.
#![allow(clippy::cast_possible_wrap, clippy::cast_possible_truncation)]

use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use rusqlite::{Connection, params};
use serde_json::Value;
use uuid::Uuid;

use crate::server::Server;
use crate::stats::{Auth, ms, summarize, time_requests};
use crate::{Engine, ServerArgs};

#[derive(clap::Args)]
pub struct BoardArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Open deals on the board.
    #[arg(long, default_value_t = 100_000)]
    pub deals: u64,
    /// Closed (won and lost) deals besides, which the board must not read.
    #[arg(long, default_value_t = 50_000)]
    pub closed: u64,
    /// Timed requests per variant.
    #[arg(long, default_value_t = 200)]
    pub requests: usize,
}

fn seed(path: &str, args: &BoardArgs, pipeline: &Value) -> anyhow::Result<()> {
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.execute_batch("pragma synchronous = off;")?;
    let ws: Uuid = conn.query_row(
        "select id from workspaces where slug = 'default'",
        [],
        |r| r.get(0),
    )?;
    let pid: Uuid = pipeline["id"].as_str().context("pipeline id")?.parse()?;
    let stages: Vec<(Uuid, String, String)> = pipeline["stages"]
        .as_array()
        .context("stages")?
        .iter()
        .map(|s| {
            Ok((
                s["id"].as_str().context("stage id")?.parse()?,
                s["name"].as_str().context("stage name")?.to_owned(),
                s["kind"].as_str().context("stage kind")?.to_owned(),
            ))
        })
        .collect::<anyhow::Result<_>>()?;
    let open: Vec<_> = stages.iter().filter(|s| s.2 == "open").collect();
    let closed: Vec<_> = stages.iter().filter(|s| s.2 != "open").collect();
    let now = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_micros()) as i64;
    let tx = conn.transaction()?;
    {
        let mut contact = tx.prepare(
            "insert into contacts (id, workspace_id, name, emails, phones, properties, stage, search, created_at, updated_at) \
             values (?1, ?2, ?3, '[]', '[]', '{}', 'opportunity', '', ?4, ?4)",
        )?;
        let mut deal = tx.prepare(
            "insert into deals (id, workspace_id, pipeline_id, stage_id, status, contact_id, company, title, amount, \
               currency, owner_id, source, closed_at, created_at, updated_at) \
             values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, null, 'google', ?11, ?12, ?12)",
        )?;
        let mut span = tx.prepare(
            "insert into deal_stages (id, workspace_id, deal_id, stage_id, stage_name, entered_at, left_at, changed_by) \
             values (?1, ?2, ?3, ?4, ?5, ?6, null, 'bench')",
        )?;
        for i in 0..args.deals + args.closed {
            let at = now - (i as i64) * 60_000_000;
            let c = Uuid::now_v7();
            contact.execute(params![c, ws, format!("Buyer {i}"), at])?;
            let (stage, status, closed_at) = if i < args.deals {
                (open[(i as usize) % open.len()], "open", None)
            } else {
                let s = closed[(i as usize) % closed.len()];
                (s, s.2.as_str(), Some(at))
            };
            let d = Uuid::now_v7();
            // Mostly USD, some EUR: totals are per currency.
            let currency = if i % 10 == 0 { "EUR" } else { "USD" };
            deal.execute(params![
                d,
                ws,
                pid,
                stage.0,
                status,
                c,
                format!("Company {}", i % 5_000),
                format!("Deal {i}"),
                ((i % 997) as i64 + 1) * 1_000_000,
                currency,
                closed_at,
                at
            ])?;
            span.execute(params![Uuid::now_v7(), ws, d, stage.0, stage.1, at])?;
        }
    }
    tx.commit()?;
    conn.execute_batch("pragma wal_checkpoint(truncate);")?;
    Ok(())
}

pub async fn run(args: &BoardArgs) -> anyhow::Result<()> {
    ensure!(
        args.server.engine == Engine::Sqlite,
        "the board bench seeds SQLite directly; use --engine sqlite"
    );
    let server = Server::start(&args.server).await?;
    let client = reqwest::Client::new();
    let pipelines: Value = client
        .get(format!("{}/api/v1/pipelines", server.base))
        .bearer_auth(&server.token)
        .send()
        .await?
        .json()
        .await?;
    let pipeline = pipelines[0].clone();
    let path = server
        .database_url()
        .trim_start_matches("sqlite://")
        .to_owned();
    let seeding = Instant::now();
    {
        let (path, pipeline) = (path.clone(), pipeline.clone());
        let args = BoardArgs {
            server: args.server.clone(),
            deals: args.deals,
            closed: args.closed,
            requests: args.requests,
        };
        tokio::task::spawn_blocking(move || seed(&path, &args, &pipeline)).await??;
    }
    eprintln!("seeded in {:.0} s", seeding.elapsed().as_secs_f64());
    let id = pipeline["id"].as_str().context("pipeline id")?;
    println!(
        "### Pipeline board on SQLite: {} open deals (+{} closed)\n",
        args.deals, args.closed
    );
    println!("| request | p50 ms | p90 ms | p99 ms | max ms | body |\n|---|---|---|---|---|---|");
    for (label, query) in [
        ("cards (50 a stage) and totals", "per_stage=50"),
        ("totals only", "per_stage=0"),
        ("cards (500 a stage) and totals", "per_stage=500"),
    ] {
        let url = format!("{}/api/v1/pipelines/{id}/board?{query}", server.base);
        // Warm-up: caches and prepared statements.
        time_requests(&client, &url, Auth::Bearer(&server.token), 10).await?;
        let (mut samples, bytes) =
            time_requests(&client, &url, Auth::Bearer(&server.token), args.requests).await?;
        let s = summarize(&mut samples).context("no samples")?;
        println!(
            "| {label} (`?{query}`) | **{:.1}** | {:.1} | {:.1} | {:.1} | {} KiB |",
            ms(s.p50),
            ms(s.p90),
            ms(s.p99),
            ms(s.max),
            crate::stats::kib(bytes)
        );
    }
    let board: Value = client
        .get(format!(
            "{}/api/v1/pipelines/{id}/board?per_stage=0",
            server.base
        ))
        .bearer_auth(&server.token)
        .send()
        .await?
        .json()
        .await?;
    let counted: u64 = board["columns"]
        .as_array()
        .context("columns")?
        .iter()
        .filter_map(|c| c["count"].as_u64())
        .sum();
    ensure!(
        counted == args.deals,
        "the board counted {counted} open deals, not {}",
        args.deals
    );
    println!("\nthe board counted all {counted} open deals; closed ones were left out");
    server.stop().await
}
