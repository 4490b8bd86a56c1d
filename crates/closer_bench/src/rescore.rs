//! `closer-bench rescore`: seeds a SQLite database with contacts and their timelines (written
//! straight into the tables, fast), then times `closer rescore` on it and samples its memory.
//!
//! The data: every contact arrived through a form (one `form_submitted` event) after a few
//! tracked visits (sessions of page views on `/`, `/pricing`, `/blog/…`, and now and then a
//! newsletter signup); one in twenty came back after becoming a lead.

// Counts and microsecond times here are far from the integer types' limits.
#![allow(
    clippy::cast_possible_wrap,
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss
)]

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use rusqlite::{Connection, params};
use uuid::Uuid;

#[derive(clap::Args)]
pub struct RescoreArgs {
    /// The `closer` binary (build it with `cargo build --release`).
    #[arg(long, default_value = "target/release/closer")]
    pub closer: PathBuf,
    #[arg(long, default_value_t = 1_000_000)]
    pub contacts: u64,
    /// Tracked events per contact (besides its form submission), in sessions of three.
    #[arg(long, default_value_t = 9)]
    pub events_per_contact: u64,
    /// Keep the database file afterwards (its path is printed).
    #[arg(long)]
    pub keep: bool,
    /// A freshly seeded database to start from, for repeated runs: copied when it exists
    /// (seeding a million contacts takes minutes); otherwise seeded, then saved there.
    #[arg(long)]
    pub seeded: Option<PathBuf>,
}

const DAY: i64 = 86_400_000_000;
const MINUTE: i64 = 60_000_000;

fn seed(path: &std::path::Path, args: &RescoreArgs) -> anyhow::Result<u64> {
    let mut conn = Connection::open(path)?;
    conn.execute_batch(
        "pragma journal_mode = wal; pragma synchronous = off; pragma foreign_keys = off;",
    )?;
    let ws: Uuid = conn.query_row(
        "select id from workspaces where slug = 'default'",
        [],
        |r| r.get(0),
    )?;
    let site = Uuid::now_v7();
    let now = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_micros()) as i64;
    conn.execute(
        "insert into sites (id, workspace_id, domain, created_at) values (?1, ?2, 'bench.example', ?3)",
        params![site, ws, now - 400 * DAY],
    )?;
    let sessions_per_contact = args.events_per_contact.div_ceil(3).max(1);
    let mut events = 0u64;
    let chunk = 20_000;
    let mut done = 0;
    while done < args.contacts {
        let tx = conn.transaction()?;
        {
            let mut contact = tx.prepare_cached(
                "insert into contacts (id, workspace_id, name, emails, company, job_title, properties, stage, search, created_at, updated_at) \
                 values (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'lead', ?8, ?9, ?9)",
            )?;
            let mut span = tx.prepare_cached(
                "insert into contact_stages (id, workspace_id, contact_id, stage, entered_at, changed_by) values (?1, ?2, ?3, 'lead', ?4, 'import')",
            )?;
            let mut event = tx.prepare_cached(
                "insert into events (id, workspace_id, contact_id, kind, occurred_at, properties) values (?1, ?2, ?3, 'form_submitted', ?4, ?5)",
            )?;
            let mut link = tx.prepare_cached(
                "insert into visitor_links (workspace_id, visitor, contact_id, linked_at) values (?1, ?2, ?3, ?4)",
            )?;
            let mut session = tx.prepare_cached(
                "insert into sessions (id, workspace_id, site_id, visitor, started_at, last_at, entry_page, exit_page, exit_at, pageviews, events, interactions, channel) \
                 values (?1, ?2, ?3, ?4, ?5, ?6, '/', ?7, ?6, ?8, ?8, ?8, ?9)",
            )?;
            let mut hit = tx.prepare_cached(
                "insert into traffic_events (id, workspace_id, site_id, session_id, visitor, name, occurred_at, path, props) \
                 values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            // Identified visitors' events are also kept under their contact (as closer's writer does).
            let mut copy = tx.prepare_cached(
                "insert into contact_traffic (contact_id, occurred_at, id, workspace_id, name, path, props) \
                 values (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for i in done..(done + chunk).min(args.contacts) {
                let id = Uuid::now_v7();
                let created = now - 90 * DAY + (i as i64 % 90) * DAY + (i as i64 % 1_440) * MINUTE;
                let email = format!(
                    "lead{i}@{}",
                    if i % 3 == 0 {
                        "gmail.com"
                    } else {
                        "company.example"
                    }
                );
                let title = ["Founder", "Head of Sales", "Engineer", "Student"][(i % 4) as usize];
                contact.execute(params![
                    id,
                    ws,
                    format!("Lead {i}"),
                    format!("[\"{email}\"]"),
                    format!("Company {}", i % 5_000),
                    title,
                    format!("{{\"company_size\": {}}}", (i % 700) + 1),
                    format!("lead {i}\n{email}\n"),
                    created,
                ])?;
                span.execute(params![Uuid::now_v7(), ws, id, created])?;
                let message = if i % 7 == 0 {
                    "\"message\": \"we need a quote\", "
                } else {
                    ""
                };
                event.execute(params![
                    Uuid::now_v7(),
                    ws,
                    id,
                    created,
                    format!("{{\"form_name\": \"Contact\", \"fields\": {{{message}\"email\": \"{email}\"}}}}"),
                ])?;
                let visitor = format!("c:v{i}");
                link.execute(params![ws, visitor, id, created])?;
                let mut left = args.events_per_contact;
                for s in 0..sessions_per_contact {
                    // Visits in the days before the form; one contact in twenty returns after.
                    let start = if s + 1 == sessions_per_contact && i % 20 == 0 {
                        created + 2 * DAY
                    } else {
                        created - (sessions_per_contact - s) as i64 * DAY
                    };
                    let n = left.min(3);
                    left -= n;
                    if n == 0 {
                        break;
                    }
                    let sid = Uuid::now_v7();
                    session.execute(params![
                        sid,
                        ws,
                        site,
                        visitor,
                        start,
                        start + (n as i64 - 1) * MINUTE,
                        "/blog/post",
                        n as i64,
                        if s == 0 { "organic_search" } else { "direct" },
                    ])?;
                    for k in 0..n {
                        let (name, path, props) = match (i + s + k) % 11 {
                            0 => (
                                "Newsletter Signup",
                                "/blog/post",
                                Some("{\"list\": \"weekly\"}"),
                            ),
                            1 | 2 => ("pageview", "/pricing", None),
                            3..=6 => ("pageview", "/blog/post", None),
                            _ => ("pageview", "/", None),
                        };
                        let event_id = Uuid::now_v7();
                        let at = start + k as i64 * MINUTE;
                        hit.execute(params![
                            event_id, ws, site, sid, visitor, name, at, path, props
                        ])?;
                        copy.execute(params![id, at, event_id, ws, name, path, props])?;
                        events += 1;
                    }
                }
                events += 1;
            }
        }
        tx.commit()?;
        done = (done + chunk).min(args.contacts);
        eprint!("\rseeded {done} contacts, {events} events");
    }
    eprintln!();
    // No `analyze`: closer runs SQLite without statistics, and the rescore's plans must hold
    // up without them (with them, a plan that sorts the whole workspace per page went unseen).
    conn.execute_batch("pragma wal_checkpoint(truncate);")?;
    Ok(events)
}

/// The events a seeded database holds: form submissions plus tracked events under contacts.
fn count_events(path: &std::path::Path) -> anyhow::Result<u64> {
    let conn = Connection::open(path)?;
    let n: i64 = conn.query_row(
        "select (select count(*) from events) + (select count(*) from contact_traffic)",
        [],
        |r| r.get(0),
    )?;
    Ok(n as u64)
}

pub fn run(args: &RescoreArgs) -> anyhow::Result<()> {
    let path = std::env::temp_dir().join(format!("closer-rescore-{}.db", Uuid::new_v4().simple()));
    let url = format!("sqlite://{}", path.display());
    let seeding = Instant::now();
    // A saved seed is copied before `closer migrate` (which then brings it up to date): the
    // copy must not land under a migrated file's write-ahead log.
    let reuse = args.seeded.as_ref().filter(|saved| saved.exists());
    if let Some(saved) = reuse {
        std::fs::copy(saved, &path).with_context(|| format!("copying {}", saved.display()))?;
    }
    let out = Command::new(&args.closer)
        .args(["migrate"])
        .env("CLOSER_DATABASE_URL", &url)
        .env("CLOSER_LOG", "warn")
        .output()
        .with_context(|| format!("running {}", args.closer.display()))?;
    ensure!(
        out.status.success(),
        "closer migrate failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events = if reuse.is_some() {
        count_events(&path)?
    } else {
        let events = seed(&path, args)?;
        if let Some(saved) = &args.seeded {
            std::fs::copy(&path, saved).with_context(|| format!("saving {}", saved.display()))?;
        }
        events
    };
    eprintln!(
        "seeded in {:.0} s; running closer rescore…",
        seeding.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let mut child = Command::new(&args.closer)
        .args(["rescore", "--quiet"])
        .env("CLOSER_DATABASE_URL", &url)
        .env("CLOSER_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()?;
    let (status, peak) = crate::memory::wait_sampling(&mut child, Duration::from_millis(50))?;
    let elapsed = started.elapsed();
    let mut said = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        std::io::Read::read_to_string(&mut stdout, &mut said)?;
    }
    ensure!(status.success(), "closer rescore failed");
    let db_mib = std::fs::metadata(&path).map_or(0.0, |m| m.len() as f64 / 1_048_576.0);
    println!("### Rescore on SQLite\n");
    println!("| measure | value |\n|---|---|");
    println!("| contacts | {} |", args.contacts);
    println!("| events (timelines) | {events} |");
    println!(
        "| `closer rescore` wall time (target < 60 s) | **{:.1} s** |",
        elapsed.as_secs_f64()
    );
    println!(
        "| resident memory high-water, sampled every 50 ms (target < 500 MB) | **{peak:.1} MiB** |"
    );
    println!("| database file after | {db_mib:.0} MiB |");
    println!("| closer said | {} |", said.trim());
    if args.keep {
        println!("\nkept {}", path.display());
    } else {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
    Ok(())
}
