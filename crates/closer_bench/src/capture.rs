//! The lead-capture benchmark: urlencoded form posts to `POST /f/{key}`, a share of them
//! repeating an earlier email (the dedupe path), as a landing page sends them.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, ensure};
use serde_json::Value;

use crate::load::{closed_loop, open_loop};
use crate::server::Server;
use crate::stats::{ms, summarize};
use crate::{Engine, ServerArgs};

#[derive(clap::Args)]
pub struct CaptureArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// Seconds of the peak-throughput phase.
    #[arg(long, default_value_t = 20)]
    duration: u64,
    /// Concurrent connections in the peak-throughput phase.
    #[arg(long, default_value_t = 16)]
    workers: usize,
    /// Requests per second in the latency phase.
    #[arg(long, default_value_t = 1000)]
    rate: u32,
    /// Seconds of the latency phase.
    #[arg(long, default_value_t = 20)]
    latency_duration: u64,
    /// Percentage of posts that repeat an earlier person's email.
    #[arg(long, default_value_t = 20)]
    repeat_percent: u64,
    /// `closer serve` processes on the one database (PostgreSQL, the engine teams scale out
    /// on), posts taking turns between them.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=8))]
    nodes: u64,
}

/// A cheap, deterministic mix of `n` (splitmix64), so runs are repeatable.
fn mix(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Which person the `n`th post is from: usually new, sometimes someone seen before.
fn person(n: u64, offset: u64, repeat_percent: u64) -> u64 {
    let seq = n + offset;
    if seq > 0 && mix(seq) % 100 < repeat_percent {
        mix(seq ^ 0xABCD) % seq
    } else {
        seq
    }
}

fn body(person: u64) -> String {
    format!(
        "name=Lead+{person}&email=lead{person}%40bench.example.com&company=Company+{c}&budget={b}&consent=yes&_gotcha=",
        c = person % 977,
        b = (person % 50) * 1000
    )
}

type Seen = Arc<Mutex<HashSet<u64>>>;

fn sender(
    client: reqwest::Client,
    urls: Arc<Vec<String>>,
    offset: u64,
    repeat: u64,
    seen: Seen,
) -> impl Fn(u64) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>>
+ Clone
+ Send
+ Sync
+ 'static {
    move |n| {
        let (client, urls, seen) = (client.clone(), urls.clone(), seen.clone());
        Box::pin(async move {
            let who = person(n, offset, repeat);
            let node = usize::try_from(n % urls.len() as u64).unwrap_or(0);
            let res = client
                .post(&urls[node])
                .header("content-type", "application/x-www-form-urlencoded")
                .header("accept", "application/json")
                // Each lead from their own address, as behind a reverse proxy: the server's
                // per-IP rate limit is for one client hammering it, not for many people.
                .header(
                    "x-forwarded-for",
                    format!(
                        "{}.{}.{}.{}",
                        11 + (who >> 16) % 200,
                        (who >> 8) & 255,
                        who & 255,
                        1 + who % 250
                    ),
                )
                .body(body(who))
                .send()
                .await;
            let ok = matches!(res, Ok(r) if r.status().as_u16() == 201);
            if ok {
                seen.lock().expect("lock").insert(who);
            }
            ok
        })
    }
}

async fn count_contacts(client: &reqwest::Client, server: &Server) -> anyhow::Result<usize> {
    let mut count = 0;
    let mut cursor = String::new();
    loop {
        let url = format!("{}/api/v1/contacts?limit=200{cursor}", server.base);
        let page: Value = client
            .get(&url)
            .bearer_auth(&server.token)
            .send()
            .await?
            .json()
            .await?;
        count += page["items"].as_array().context("items")?.len();
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return Ok(count),
        }
    }
}

pub async fn run(args: CaptureArgs) -> anyhow::Result<()> {
    let server = Server::start(&args.server).await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .build()?;
    let form: Value = client
        .post(format!("{}/api/v1/forms", server.base))
        .bearer_auth(&server.token)
        .json(&serde_json::json!({"name": "Benchmark landing page"}))
        .send()
        .await?
        .json()
        .await?;
    let url = form["action_url"]
        .as_str()
        .context("action_url")?
        .to_owned();
    ensure!(
        args.nodes == 1 || args.server.engine == Engine::Postgres,
        "--nodes above 1 needs --engine postgres (SQLite is one process's file)"
    );
    let mut others = Vec::new();
    for _ in 1..args.nodes {
        others.push(Server::start_on(&args.server, Some(server.database_url())).await?);
    }
    let url = Arc::new(
        std::iter::once(url.clone())
            .chain(
                others
                    .iter()
                    .map(|o| url.replacen(&server.base, &o.base, 1)),
            )
            .collect::<Vec<_>>(),
    );
    let seen: Seen = Arc::default();
    eprintln!(
        "closer pid {} on {} ({:?}), {} node(s)",
        server.pid(),
        server.base,
        args.server.engine,
        args.nodes
    );

    // Warm up connections and caches.
    closed_loop(
        4,
        Duration::from_secs(1),
        sender(client.clone(), url.clone(), 10_000_000_000, 0, seen.clone()),
    )
    .await;

    eprintln!(
        "peak throughput: {} workers for {} s…",
        args.workers, args.duration
    );
    let mut peak = closed_loop(
        args.workers,
        Duration::from_secs(args.duration),
        sender(
            client.clone(),
            url.clone(),
            0,
            args.repeat_percent,
            seen.clone(),
        ),
    )
    .await;
    let mem_after_peak = server.memory_mib();

    eprintln!(
        "latency: {} requests/s for {} s…",
        args.rate, args.latency_duration
    );
    let offset = 1_000_000_000;
    let mut steady = open_loop(
        args.rate,
        Duration::from_secs(args.latency_duration),
        4096,
        sender(
            client.clone(),
            url.clone(),
            offset,
            args.repeat_percent,
            seen.clone(),
        ),
    )
    .await;
    let mem_after_steady = server.memory_mib();

    let expected = seen.lock().expect("lock").len();
    let stored = count_contacts(&client, &server).await?;

    let peak_lat = summarize(&mut peak.latencies);
    let steady_lat = summarize(&mut steady.latencies);
    let engine = match args.server.engine {
        Engine::Sqlite => "SQLite",
        Engine::Postgres => "PostgreSQL",
    };
    let nodes = if args.nodes == 1 {
        String::new()
    } else {
        format!(", {} nodes", args.nodes)
    };
    println!("### Lead capture on {engine}{nodes}");
    println!();
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| peak throughput ({} workers, {} s, {}% repeats) | **{:.0} captures/s** ({} ok, {} failed) |",
        args.workers,
        args.duration,
        args.repeat_percent,
        peak.rate(),
        peak.ok,
        peak.failed
    );
    if let Some(s) = &peak_lat {
        println!(
            "| latency at peak: p50 / p99 / max | {:.2} / {:.2} / {:.2} ms |",
            ms(s.p50),
            ms(s.p99),
            ms(s.max)
        );
    }
    if let Some(s) = &steady_lat {
        println!(
            "| latency at {}/s (open loop, {} s): p50 / p90 / p99 / max | {:.2} / {:.2} / **{:.2}** / {:.2} ms ({} sent, {} failed, {} not sent) |",
            args.rate,
            args.latency_duration,
            ms(s.p50),
            ms(s.p90),
            ms(s.p99),
            ms(s.max),
            s.count,
            steady.failed,
            steady.dropped
        );
    }
    if let (Some((rss1, peak1)), Some((rss2, peak2))) = (mem_after_peak, mem_after_steady) {
        println!(
            "| server resident memory: after peak / after latency phase / high-water mark | {rss1:.1} / {rss2:.1} / **{:.1} MiB** |",
            peak1.max(peak2)
        );
    }
    println!("| dedupe check | {stored} contacts stored for {expected} distinct emails accepted |");
    println!();
    println!(
        "Database: `{}`",
        server
            .database_url()
            .split('@')
            .next_back()
            .unwrap_or_default()
    );
    for other in others {
        other.stop().await?;
    }
    server.stop().await?;
    ensure!(
        stored == expected,
        "dedupe check failed: {stored} contacts for {expected} distinct emails"
    );
    Ok(())
}
