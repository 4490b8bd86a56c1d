//! The tracking benchmark: Plausible-format page views posted to `/api/event` as fast as they
//! are answered, first against the ceiling (a bare axum endpoint that only parses the same
//! JSON and headers, `ceiling.rs`), then against closer, counting how fast closer accepts them
//! and how fast it has them all stored.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use futures::StreamExt;
use serde_json::json;

use crate::http::{Tally, hammer, post};
use crate::server::Server;
use crate::{Engine, ServerArgs};

#[derive(clap::Args)]
pub struct TrackArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// Seconds of each measured phase (ceiling, then closer).
    #[arg(long, default_value_t = 20)]
    duration: u64,
    /// Keep-alive connections, one request in flight each.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Distinct visitors (client IPs) the page views come from.
    #[arg(long, default_value_t = 100_000)]
    visitors: u64,
    /// Percent of the visitors who filled a form before the load (known contacts): their page
    /// views are also kept under the contact and scored as they arrive.
    #[arg(long, default_value_t = 0)]
    identified: u64,
}

const PATHS: &[&str] = &[
    "/",
    "/pricing",
    "/features",
    "/blog/launch",
    "/blog/how-to-choose-a-crm",
    "/docs",
    "/docs/install",
    "/about",
    "/contact",
    "/signup",
];
const AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
];

fn mix(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Visitor `v`'s address and browser (cookieless: these two are who they are).
fn visitor(v: u64) -> (String, &'static str) {
    let ip = format!(
        "{}.{}.{}.{}",
        11 + (v >> 16) % 200,
        (v >> 8) & 255,
        v & 255,
        1 + v % 250
    );
    (
        ip,
        AGENTS[usize::try_from(v % AGENTS.len() as u64).unwrap_or(0)],
    )
}

/// Visitors `v` with `v % 100 < percent` fill a form (with `_closer_vid=auto`, from their own
/// address and browser), so they become contacts linked to their cookieless visitor id.
async fn identify(server: &Server, visitors: u64, percent: u64) -> anyhow::Result<u64> {
    let client = reqwest::Client::new();
    let form: serde_json::Value = client
        .post(format!("{}/api/v1/forms", server.base))
        .bearer_auth(&server.token)
        .json(&json!({"name": "Benchmark contact form"}))
        .send()
        .await?
        .json()
        .await?;
    let action = form["action_url"]
        .as_str()
        .context("action_url")?
        .to_owned();
    let chosen: Vec<u64> = (0..visitors).filter(|v| v % 100 < percent).collect();
    let posts = chosen.iter().map(|&v| {
        let (client, action) = (client.clone(), action.clone());
        async move {
            let (ip, ua) = visitor(v);
            let res = client
                .post(&action)
                .header("accept", "application/json")
                .header("referer", "https://bench.example/contact")
                .header("user-agent", ua)
                .header("x-forwarded-for", ip)
                .form(&[
                    ("email", format!("visitor{v}@bench.example")),
                    ("_closer_vid", "auto".into()),
                ])
                .send()
                .await?;
            ensure!(res.status().as_u16() == 201, "form post: {}", res.status());
            anyhow::Ok(())
        }
    });
    let results: Vec<anyhow::Result<()>> = futures::stream::iter(posts)
        .buffer_unordered(32)
        .collect()
        .await;
    results.into_iter().collect::<anyhow::Result<Vec<()>>>()?;
    Ok(chosen.len() as u64)
}

/// The `n`th page view: a visitor (an IP and a browser), a page, sometimes a referrer or a
/// campaign — what a landing page's traffic looks like.
fn request(host: &str, n: u64, visitors: u64) -> Vec<u8> {
    let v = mix(n) % visitors;
    let (ip, ua) = visitor(v);
    let r = mix(n ^ 0x5555);
    let path = PATHS[usize::try_from(r % PATHS.len() as u64).unwrap_or(0)];
    let campaign = if r.is_multiple_of(10) {
        "?utm_source=newsletter&utm_medium=email&utm_campaign=november"
    } else {
        ""
    };
    let referrer = match r % 6 {
        0 | 1 => json!("https://www.google.com/"),
        2 => json!("https://t.co/abc"),
        _ => serde_json::Value::Null,
    };
    let body = json!({"n": "pageview", "u": format!("https://bench.example{path}{campaign}"), "d": "bench.example", "r": referrer}).to_string();
    post(
        host,
        "/api/event",
        &[
            ("Content-Type", "text/plain"),
            ("User-Agent", ua),
            ("X-Forwarded-For", &ip),
        ],
        &body,
    )
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

async fn wait_listening(addr: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        ensure!(Instant::now() < deadline, "nothing listens on {addr}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// User + system CPU seconds of a process so far.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

#[allow(clippy::cast_precision_loss)]
fn rate(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

struct Ceiling(Child);

impl Drop for Ceiling {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until the store holds `expected` events; returns how long that took.
async fn drained(server: &Server, expected: u64) -> anyhow::Result<Duration> {
    let start = Instant::now();
    loop {
        let stored = server.stored_events().await?;
        if stored >= expected {
            return Ok(start.elapsed());
        }
        ensure!(
            start.elapsed() < Duration::from_mins(2),
            "only {stored} of {expected} events stored after 2 minutes"
        );
        // Counting scans an index; polling often would take CPU from the writer it measures.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub async fn run(args: TrackArgs) -> anyhow::Result<()> {
    let duration = Duration::from_secs(args.duration);
    let visitors = args.visitors.max(1);

    // 1. The ceiling, on its own.
    let port = free_port()?;
    let addr = format!("127.0.0.1:{port}");
    let exe = std::env::current_exe()?;
    let ceiling = Ceiling(
        Command::new(exe)
            .args(["ceiling", "--listen", &addr])
            .stdout(Stdio::null())
            .spawn()
            .context("starting the ceiling server")?,
    );
    wait_listening(&addr).await?;
    let host = addr.clone();
    let make = move |n| request(&host, n, visitors);
    hammer(
        &addr,
        args.connections,
        Duration::from_secs(2),
        make.clone(),
    )
    .await?;
    eprintln!(
        "ceiling: {} connections for {} s…",
        args.connections, args.duration
    );
    let (ceil, ceil_time) = hammer(&addr, args.connections, duration, make).await?;
    drop(ceiling);
    let ceiling_rate = rate(ceil.accepted, ceil_time);

    // 2. closer.
    let server = Server::start(&args.server).await?;
    server.add_site("bench.example").await?;
    let contacts = if args.identified > 0 {
        let n = identify(&server, visitors, args.identified.min(100)).await?;
        eprintln!("{n} visitors became contacts before the load");
        n
    } else {
        0
    };
    let addr = server.base.trim_start_matches("http://").to_owned();
    let host = addr.clone();
    let make = move |n| request(&host, n, visitors);
    let (warm, _) = hammer(&addr, args.connections, Duration::from_secs(2), {
        let make = make.clone();
        move |n| make(n + (1 << 40))
    })
    .await?;
    drained(&server, warm.accepted).await?;
    eprintln!(
        "closer ({:?}): {} connections for {} s…",
        args.server.engine, args.connections, args.duration
    );
    let cpu_before = cpu_seconds(server.pid());
    let (run, run_time) = hammer(&addr, args.connections, duration, make).await?;
    let drain = drained(&server, warm.accepted + run.accepted).await?;
    let cpu_after = cpu_seconds(server.pid());
    let memory = server.memory_mib();
    let accepted_rate = rate(run.accepted, run_time);
    let stored_rate = rate(run.accepted, run_time + drain);

    let engine = match args.server.engine {
        Engine::Sqlite => "SQLite",
        Engine::Postgres => "PostgreSQL",
    };
    println!("### Tracking on {engine}");
    println!();
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| ceiling: bare axum parsing the same JSON and headers ({} connections, {} s) | {ceiling_rate:.0} requests/s ({} errors) |",
        args.connections,
        args.duration,
        ceil.refused + ceil.errors
    );
    println!(
        "| closer: Plausible events accepted (202) | {accepted_rate:.0}/s ({} accepted, {} dropped, {} refused, {} connection errors) |",
        run.accepted, run.dropped, run.refused, run.errors
    );
    println!(
        "| closer: all accepted events stored (accepted ÷ (load time + {:.2} s to drain the queue)) | **{stored_rate:.0}/s** |",
        drain.as_secs_f64()
    );
    println!(
        "| stored ÷ ceiling (target ≥ 0.70) | **{:.2}** |",
        stored_rate / ceiling_rate
    );
    if let (Some(a), Some(b)) = (cpu_before, cpu_after) {
        println!(
            "| closer CPU while loaded (of 2 cores shared with the load generator) | {:.2} cores |",
            (b - a) / (run_time + drain).as_secs_f64()
        );
    }
    if let Some((rss, hwm)) = memory {
        println!(
            "| closer resident memory: at the end / high-water mark (target < 200 MB) | {rss:.1} / **{hwm:.1} MiB** |"
        );
    }
    println!(
        "| events stored in all (warm-up included) | {} |",
        server.stored_events().await?
    );
    if contacts > 0 {
        // The scorer finishes what the writer's last batches handed it.
        tokio::time::sleep(Duration::from_secs(2)).await;
        println!(
            "| page views of known contacts kept under them / contacts with a score record | {} / {} |",
            server.count("select count(*) from contact_traffic").await?,
            server.count("select count(*) from contact_scores").await?
        );
        println!(
            "| known contacts among the visitors (their page views also kept under the contact and scored) | {contacts} ({}%) |",
            args.identified.min(100)
        );
    }
    println!();
    let total = Tally {
        accepted: warm.accepted + run.accepted,
        ..Tally::default()
    };
    let stored = server.stored_events().await?;
    server.stop().await?;
    ensure!(
        stored == total.accepted,
        "{stored} events stored for {} accepted",
        total.accepted
    );
    Ok(())
}
