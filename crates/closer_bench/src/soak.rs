//! The soak: mixed traffic (tracked events, lead captures, API reads, web app pages) first at
//! its peak (closed loop, to measure it), then for `--minutes` at a fraction of that peak
//! (open loop). Passes when no request failed, the server's own memory stayed flat (the
//! last minute's mean within 10% of the second minute's), and every accepted write was
//! stored: each event answered 202 is a row, each capture answered 201 a contact.
//!
//! "Its own memory" is `RssAnon` (heap and stacks). The resident set (`VmRSS`, printed too)
//! also counts the database file's pages where SQLite maps it for reads: those grow with the
//! database, are the operating system's page cache, and are given back under pressure.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};

use crate::ServerArgs;
use crate::load::{closed_loop, open_loop};
use crate::pages::signed_in_admin;
use crate::server::Server;
use crate::stats::{ms, summarize};

#[derive(clap::Args)]
pub struct SoakArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// Minutes of traffic at the soak rate (at least 3: memory is compared between the
    /// second and the last minute).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(3..))]
    minutes: u64,
    /// Seconds of the peak phase that measures the rate to soak at.
    #[arg(long, default_value_t = 20)]
    peak_seconds: u64,
    /// The soak's rate as a percentage of the measured peak.
    #[arg(long, default_value_t = 50)]
    percent: u64,
}

/// What one generated request is, by its sequence number: 7 in 10 tracked events, then a
/// capture, an API read and a web page.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Kind {
    Event,
    Capture,
    ApiRead,
    Page,
}

fn kind(n: u64) -> Kind {
    match n % 10 {
        7 => Kind::Capture,
        8 => Kind::ApiRead,
        9 => Kind::Page,
        _ => Kind::Event,
    }
}

/// Counts by kind: answered as expected, failed, and writes accepted.
#[derive(Default)]
struct Tally {
    failed: [AtomicU64; 4],
    events_accepted: AtomicU64,
    captured: AtomicU64,
    /// What the failures were: a status (with `x-closer-dropped` where set), or the
    /// client's error.
    why: std::sync::Mutex<BTreeMap<String, u64>>,
}

struct Target {
    client: reqwest::Client,
    base: String,
    token: String,
    form_key: String,
    cookie: String,
    tally: Tally,
}

impl Target {
    async fn send(&self, n: u64, phase: u64) -> bool {
        let k = kind(n);
        let who = n + phase * 1_000_000_000;
        let xff = format!(
            "{}.{}.{}.{}",
            11 + (who >> 16) % 200,
            (who >> 8) & 255,
            who & 255,
            1 + who % 250
        );
        let res = match k {
            Kind::Event => {
                let body = format!(
                    r#"{{"n":"pageview","u":"https://soak.example/p{}?utm_source=s{}","d":"soak.example"}}"#,
                    n % 50,
                    n % 13
                );
                self.client
                    .post(format!("{}/api/event", self.base))
                    .header("content-type", "text/plain")
                    .header(
                        "user-agent",
                        "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
                    )
                    .header("x-forwarded-for", xff)
                    .body(body)
                    .send()
                    .await
            }
            Kind::Capture => {
                self.client
                    .post(format!("{}/f/{}", self.base, self.form_key))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("accept", "application/json")
                    .header("x-forwarded-for", xff)
                    .body(format!(
                        "email=soak{who}%40bench.example.com&name=Soak+{who}&consent=yes"
                    ))
                    .send()
                    .await
            }
            Kind::ApiRead => {
                self.client
                    .get(format!("{}/api/v1/contacts?limit=50", self.base))
                    .bearer_auth(&self.token)
                    .send()
                    .await
            }
            Kind::Page => {
                self.client
                    .get(format!("{}/contacts", self.base))
                    .header("cookie", &self.cookie)
                    .send()
                    .await
            }
        };
        let (ok, why) = match res {
            Ok(r) => {
                let status = r.status().as_u16();
                let dropped = r.headers().contains_key("x-closer-dropped");
                let why = match r.headers().get("x-closer-dropped") {
                    Some(reason) => format!("{status} {}", reason.to_str().unwrap_or("?")),
                    None => status.to_string(),
                };
                let good = match k {
                    Kind::Event => status == 202 && !dropped,
                    Kind::Capture => status == 201,
                    Kind::ApiRead | Kind::Page => status == 200,
                };
                // The body is read whole, as a client would.
                let _ = r.bytes().await;
                if good && k == Kind::Event {
                    self.tally.events_accepted.fetch_add(1, Ordering::Relaxed);
                }
                if good && k == Kind::Capture {
                    self.tally.captured.fetch_add(1, Ordering::Relaxed);
                }
                (good, why)
            }
            Err(e) => {
                let why = if e.is_timeout() {
                    "timeout"
                } else if e.is_connect() {
                    "connect"
                } else {
                    "client error"
                };
                (false, why.to_owned())
            }
        };
        if !ok {
            self.tally.failed[k as usize].fetch_add(1, Ordering::Relaxed);
            let why = format!("{k:?} {why}");
            *self.tally.why.lock().expect("lock").entry(why).or_default() += 1;
        }
        ok
    }
}

#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]
pub async fn run(args: SoakArgs) -> anyhow::Result<()> {
    let mut server = Server::start(&args.server).await?;
    server.add_site("soak.example").await?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(512)
        .build()?;
    let form: serde_json::Value = client
        .post(format!("{}/api/v1/forms", server.base))
        .bearer_auth(&server.token)
        .json(&serde_json::json!({"name": "Soak"}))
        .send()
        .await?
        .json()
        .await?;
    let form_key = form["key"].as_str().context("a form key")?.to_owned();
    let cookie = signed_in_admin(&args.server, &server, &client, "default").await?;
    let target = Arc::new(Target {
        client,
        base: server.base.clone(),
        token: server.token.clone(),
        form_key,
        cookie,
        tally: Tally::default(),
    });

    // The peak of this mix, measured here.
    let t = target.clone();
    let peak = closed_loop(32, Duration::from_secs(args.peak_seconds), move |n| {
        let t = t.clone();
        async move { t.send(n, 1).await }
    })
    .await;
    let peak_rate = peak.rate();
    let rate = ((peak_rate * args.percent as f64 / 100.0) as u32).max(1);
    println!(
        "peak of the mix: {peak_rate:.0} requests/s ({} failed at saturation); soaking at {rate}/s for {} min",
        peak.failed, args.minutes
    );
    // Refusals at saturation (a full queue answers 503) are the peak's business; the soak
    // counts its own.
    for f in &target.tally.failed {
        f.store(0, Ordering::Relaxed);
    }
    target.tally.why.lock().expect("lock").clear();

    // Memory, sampled every 5 s through the soak.
    let pid = server.pid();
    let rss = Arc::new(std::sync::Mutex::new(Vec::<(Duration, f64, f64)>::new()));
    let sampling = {
        let rss = rss.clone();
        tokio::spawn(async move {
            let start = Instant::now();
            loop {
                if let (Some(total), Some(anon)) =
                    (memory_mib(pid, "VmRSS:"), memory_mib(pid, "RssAnon:"))
                {
                    rss.lock()
                        .expect("lock")
                        .push((start.elapsed(), total, anon));
                }
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        })
    };
    let t = target.clone();
    let soak = open_loop(
        rate,
        Duration::from_secs(args.minutes * 60),
        1_024,
        move |n| {
            let t = t.clone();
            async move { t.send(n, 2).await }
        },
    )
    .await;
    sampling.abort();
    let mut latencies = soak.latencies.clone();
    let summary = summarize(&mut latencies).context("no request answered")?;

    server.terminate().await?;
    let stored_events = server.stored_events().await?;
    let contacts = server.count("select count(*) from contacts").await?;
    let accepted = target.tally.events_accepted.load(Ordering::Relaxed);
    let captured = target.tally.captured.load(Ordering::Relaxed);

    let by_minute: BTreeMap<u64, (f64, f64, u32)> =
        rss.lock()
            .expect("lock")
            .iter()
            .fold(BTreeMap::new(), |mut m, (at, total, anon)| {
                let e = m.entry(at.as_secs() / 60).or_insert((0.0, 0.0, 0));
                e.0 += total;
                e.1 += anon;
                e.2 += 1;
                m
            });
    let mean = |minute: u64| by_minute.get(&minute).map(|(_, a, n)| a / f64::from(*n));
    let mean_total = |minute: u64| by_minute.get(&minute).map(|(t, _, n)| t / f64::from(*n));
    let second = mean(1);
    let last = mean(args.minutes.saturating_sub(1));
    let failed: Vec<u64> = target
        .tally
        .failed
        .iter()
        .map(|f| f.load(Ordering::Relaxed))
        .collect();
    println!(
        "soak: {} requests at {:.0}/s over {:.0} s; p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {} not sent (too many in flight)",
        soak.ok + soak.failed,
        soak.rate(),
        soak.elapsed.as_secs_f64(),
        ms(summary.p50),
        ms(summary.p99),
        ms(summary.max),
        soak.dropped
    );
    println!(
        "failed: events {}, captures {}, API reads {}, pages {} {:?}",
        failed[0],
        failed[1],
        failed[2],
        failed[3],
        target.tally.why.lock().expect("lock")
    );
    println!(
        "stored: {stored_events} events of {accepted} accepted; {contacts} contacts of {captured} captured"
    );
    let line = |f: &dyn Fn(u64) -> Option<f64>| {
        by_minute
            .keys()
            .filter_map(|m| f(*m).map(|v| format!("{v:.0}")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!("own memory (RssAnon) by minute, MiB: {}", line(&mean));
    println!("resident set (VmRSS) by minute, MiB: {}", line(&mean_total));
    let growth = match (second, last) {
        (Some(s), Some(l)) => (l - s) / s * 100.0,
        _ => f64::NAN,
    };
    println!("own memory, last minute against the second: {growth:+.1}%");
    server.stop().await?;
    ensure!(
        failed.iter().all(|f| *f == 0),
        "requests failed during the soak"
    );
    ensure!(
        stored_events == accepted,
        "accepted events were not all stored"
    );
    ensure!(contacts == captured, "captured leads were not all stored");
    ensure!(growth.abs() <= 10.0, "the server's own memory was not flat");
    Ok(())
}

/// A memory field of `/proc/PID/status` (`VmRSS:`, `RssAnon:`), in MiB.
fn memory_mib(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
}
