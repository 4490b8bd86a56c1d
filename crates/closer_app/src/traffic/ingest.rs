//! Ingestion: a tracked event is checked, placed on a site and a visitor, attributed, and put
//! on a bounded queue; the caller is answered at once. One batching writer per process drains
//! the queue into the store, a transaction per batch.
//!
//! When is an accepted event durable? `track` returning `Tracked::Accepted` (HTTP 202) means
//! the event passed every check and sits in this process's memory. It is durable once the
//! batch that carries it commits — under load within a few milliseconds, since the writer
//! starts the next batch as soon as the last one committed. A graceful shutdown (SIGTERM,
//! Ctrl-C) stops taking events and writes everything queued before exiting; a crash or
//! `kill -9` loses what was queued and not yet committed (at most `QUEUE` events). On SQLite a
//! commit survives a crash of closer; with `synchronous = NORMAL` the last commits can be lost
//! if the machine itself loses power. On PostgreSQL a commit is as durable as its settings.
//!
//! A queue that stays full for `ROOM_WAIT` (the database cannot keep up) answers
//! `AppError::Busy` (HTTP 503 with `Retry-After`), so memory stays bounded whatever the load.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use closer_domain::traffic::channel::classify;
use closer_domain::traffic::filter::{is_bot, is_spam_referrer};
use closer_domain::traffic::{Hit, HitInput, SiteDomain, VisitorKey};
use closer_domain::{FieldError, Timestamp};
use closer_store::Store;
use tokio::sync::{Mutex, Notify, RwLock, mpsc};
use tokio::task::JoinHandle;

use crate::AppError;
use crate::qualification::{ScoreJob, jobs_for_hits};

/// Hits waiting for the writer, at most: by count…
pub(crate) const QUEUE: usize = 50_000;
/// …and by size. A typical hit is a few hundred bytes, but one may carry 30 properties of
/// 2 KB; without this budget a client sending those could make the queue hold gigabytes.
pub(crate) const QUEUE_BYTES: usize = 64 * 1024 * 1024;
/// Most hits one transaction writes. Batches are this big only when a backlog built up; then
/// a big one writes each hot page (an index's right edge, an active session) once for many
/// events — measured: 10,000 wrote faster than 2,000 (BENCHMARKS.md).
const MAX_BATCH: usize = 10_000;
/// How long a request waits for room in a full queue before it is answered 503. Memory stays
/// bounded: at most one waiting request per open connection.
const ROOM_WAIT: Duration = Duration::from_secs(1);
/// How far from now an event's own timestamp may be.
const MAX_PAST: i64 = 30 * 24 * 3_600 * 1_000_000;
const MAX_FUTURE: i64 = 10 * 60 * 1_000_000;
/// Attempts at writing one batch before it is dropped (and counted) as failed.
const WRITE_ATTEMPTS: u32 = 5;

/// Where a request came from, as the web layer read it.
pub struct Client<'a> {
    /// The visitor's IP (from proxy headers only when the peer is a trusted proxy).
    pub ip: Option<IpAddr>,
    pub user_agent: &'a str,
}

/// One event to track.
pub struct TrackInput<'a> {
    /// The site's domain as the event names it (Plausible's `domain`, closer's `site`); `None`:
    /// the page URL's host (or its nearest tracked parent domain).
    pub site: Option<&'a str>,
    pub hit: HitInput<'a>,
    /// A first-party visitor id; `None` for cookieless counting.
    pub visitor_id: Option<&'a str>,
    /// When it happened; `None` for now.
    pub occurred_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    Bot,
    SpamReferrer,
    UnknownSite,
}

impl DropReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::Bot => "bot",
            DropReason::SpamReferrer => "spam-referrer",
            DropReason::UnknownSite => "unknown-domain",
        }
    }
}

/// A checked event: a hit to queue, or dropped (and counted) with a reason.
#[derive(Debug)]
pub enum Prepared {
    Hit(Box<Hit>),
    Dropped(DropReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tracked {
    Accepted,
    /// Not stored, and counted; the client is still answered as a success (Plausible does
    /// the same), with a header saying why.
    Dropped(DropReason),
}

/// Counters since this process started.
#[derive(Debug, Default)]
pub struct IngestStats {
    pub accepted: AtomicU64,
    pub stored: AtomicU64,
    pub dropped_bot: AtomicU64,
    pub dropped_spam: AtomicU64,
    pub dropped_unknown_site: AtomicU64,
    pub invalid: AtomicU64,
    pub rate_limited: AtomicU64,
    pub queue_full: AtomicU64,
    pub write_failed: AtomicU64,
    /// Hits of known contacts stored but not scored because the scoring queue was full.
    pub scoring_dropped: AtomicU64,
}

impl IngestStats {
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    fn bump(counter: &AtomicU64, by: u64) {
        counter.fetch_add(by, Ordering::Relaxed);
    }
}

/// The queue and its writer.
pub(crate) struct Ingest {
    tx: mpsc::Sender<Hit>,
    /// Approximate bytes of the hits in the queue (`hit_bytes`).
    queued_bytes: Arc<AtomicUsize>,
    stats: Arc<IngestStats>,
    stop: Arc<Notify>,
    writer: Mutex<Option<JoinHandle<()>>>,
    salt: RwLock<Option<(i64, Arc<[u8]>)>>,
}

impl Ingest {
    pub(crate) fn start(store: Arc<dyn Store>, scoring: Option<mpsc::Sender<ScoreJob>>) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        let stats = Arc::new(IngestStats::default());
        let stop = Arc::new(Notify::new());
        let queued_bytes = Arc::new(AtomicUsize::new(0));
        let writer = tokio::spawn(write_loop(
            store,
            scoring,
            rx,
            stats.clone(),
            stop.clone(),
            queued_bytes.clone(),
        ));
        Self {
            tx,
            queued_bytes,
            stats,
            stop,
            writer: Mutex::new(Some(writer)),
            salt: RwLock::new(None),
        }
    }
}

async fn write_batch(
    store: &dyn Store,
    scoring: Option<&mpsc::Sender<ScoreJob>>,
    batch: Vec<Hit>,
    stats: &IngestStats,
) {
    let n = batch.len() as u64;
    let batch: Arc<[Hit]> = batch.into();
    for attempt in 1..=WRITE_ATTEMPTS {
        let started = std::time::Instant::now();
        match store.record_hits(batch.clone()).await {
            Ok(recorded) => {
                #[allow(clippy::cast_precision_loss)] // batches are far below 2^52 events
                metrics::histogram!("closer_ingest_batch_events").record(n as f64);
                metrics::histogram!("closer_ingest_commit_seconds")
                    .record(started.elapsed().as_secs_f64());
                IngestStats::bump(&stats.stored, n);
                // Hits of known contacts go on to incremental scoring; a full scoring queue
                // never holds up ingestion (the job is dropped and counted).
                if let Some(tx) = scoring {
                    for job in jobs_for_hits(&batch, &recorded.identified) {
                        if tx.try_send(job).is_err() {
                            IngestStats::bump(&stats.scoring_dropped, 1);
                        }
                    }
                }
                return;
            }
            Err(e) if attempt < WRITE_ATTEMPTS => {
                tracing::warn!(error = %e, attempt, events = n, "writing tracked events failed; retrying");
                tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
            }
            Err(e) => {
                tracing::error!(error = %e, events = n, "tracked events dropped after repeated write failures");
                IngestStats::bump(&stats.write_failed, n);
            }
        }
    }
}

/// An estimate of a queued hit's memory: its strings and a fixed part.
fn hit_bytes(hit: &Hit) -> usize {
    let props: usize = hit
        .props
        .iter()
        .map(|(k, v)| k.len() + v.as_str().map_or(8, str::len) + 64)
        .sum();
    let a = &hit.attribution;
    let texts = [
        &a.source,
        &a.referrer,
        &a.utm.source,
        &a.utm.medium,
        &a.utm.campaign,
        &a.utm.term,
        &a.utm.content,
    ];
    let texts: usize = texts
        .iter()
        .map(|t| t.as_ref().map_or(0, String::len))
        .sum();
    256 + hit.path.len() + hit.visitor.as_str().len() + props + texts
}

async fn write_loop(
    store: Arc<dyn Store>,
    scoring: Option<mpsc::Sender<ScoreJob>>,
    mut rx: mpsc::Receiver<Hit>,
    stats: Arc<IngestStats>,
    stop: Arc<Notify>,
    queued_bytes: Arc<AtomicUsize>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let take = |batch: &mut Vec<Hit>| {
        let hits = std::mem::replace(batch, Vec::with_capacity(MAX_BATCH));
        queued_bytes.fetch_sub(hits.iter().map(hit_bytes).sum(), Ordering::Relaxed);
        hits
    };
    loop {
        tokio::select! {
            received = rx.recv_many(&mut batch, MAX_BATCH) => {
                if received == 0 {
                    break;
                }
                write_batch(&*store, scoring.as_ref(), take(&mut batch), &stats).await;
            }
            () = stop.notified() => {
                // No new events from here on; drain what was accepted.
                rx.close();
                while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
                    write_batch(&*store, scoring.as_ref(), take(&mut batch), &stats).await;
                }
                break;
            }
        }
    }
    tracing::info!(
        accepted = IngestStats::get(&stats.accepted),
        stored = IngestStats::get(&stats.stored),
        bots = IngestStats::get(&stats.dropped_bot),
        spam = IngestStats::get(&stats.dropped_spam),
        unknown_site = IngestStats::get(&stats.dropped_unknown_site),
        invalid = IngestStats::get(&stats.invalid),
        rate_limited = IngestStats::get(&stats.rate_limited),
        queue_full = IngestStats::get(&stats.queue_full),
        write_failed = IngestStats::get(&stats.write_failed),
        scoring_dropped = IngestStats::get(&stats.scoring_dropped),
        "event ingestion stopped"
    );
}

fn check_time(at: Timestamp, now: Timestamp) -> Result<Timestamp, FieldError> {
    let delta = at.unix_micros() - now.unix_micros();
    if delta > MAX_FUTURE || -delta > MAX_PAST {
        return Err(FieldError::new(
            "timestamp",
            "must be within the last 30 days and not in the future",
        ));
    }
    Ok(at)
}

impl super::Traffic {
    fn ingest(&self) -> Result<&Ingest, AppError> {
        self.0
            .ingest
            .get()
            .ok_or_else(|| AppError::Unavailable("event ingestion is not running".into()))
    }

    /// Starts the queue's writer. Idempotent; `serve` calls it.
    pub fn start_ingest(&self) {
        let _ = self.0.ingest.get_or_init(|| {
            self.0.scoring.start_scoring();
            Ingest::start(self.store().clone(), self.0.scoring.scoring_sender())
        });
    }

    /// Stops taking events and waits until everything accepted is written.
    pub async fn stop_ingest(&self) {
        let Some(ingest) = self.0.ingest.get() else {
            return;
        };
        ingest.stop.notify_one();
        if let Some(writer) = ingest.writer.lock().await.take() {
            let _ = writer.await;
        }
        // The writer's last batches queued scoring jobs: let the scorer finish them.
        self.0.scoring.stop_scoring().await;
    }

    pub fn ingest_stats(&self) -> Option<&IngestStats> {
        self.0.ingest.get().map(|i| &*i.stats)
    }

    /// Events waiting in the ingestion queue, and their approximate bytes.
    pub fn ingest_queue(&self) -> (usize, usize) {
        self.0.ingest.get().map_or((0, 0), |i| {
            (
                i.tx.max_capacity() - i.tx.capacity(),
                i.queued_bytes.load(Ordering::Relaxed),
            )
        })
    }

    /// Counts a request refused before it reached `track` (the web layer's rate limit).
    pub fn count_rate_limited(&self) {
        if let Some(stats) = self.ingest_stats() {
            IngestStats::bump(&stats.rate_limited, 1);
        }
    }

    async fn salt(&self, ingest: &Ingest, day: i64) -> Result<Arc<[u8]>, AppError> {
        if let Some((d, salt)) = &*ingest.salt.read().await
            && *d == day
        {
            return Ok(salt.clone());
        }
        let mut slot = ingest.salt.write().await;
        if let Some((d, salt)) = &*slot
            && *d == day
        {
            return Ok(salt.clone());
        }
        let salt: Arc<[u8]> = self.store().daily_salt(day).await?.into();
        *slot = Some((day, salt.clone()));
        Ok(salt)
    }

    /// The cookieless visitor key of a client on a site, today.
    pub(crate) async fn cookieless_visitor(
        &self,
        site: &SiteDomain,
        client: &Client<'_>,
        now: Timestamp,
    ) -> Result<VisitorKey, AppError> {
        let ingest = self.ingest()?;
        let day = now.unix_micros().div_euclid(86_400_000_000);
        let salt = self.salt(ingest, day).await?;
        let ip = client.ip.map(|ip| ip.to_string()).unwrap_or_default();
        Ok(VisitorKey::cookieless(
            &salt,
            site.as_str(),
            &ip,
            client.user_agent,
        ))
    }

    /// Checks one event and queues it. `Err(Invalid)` names every bad field; a full queue is
    /// `Err(Busy)`.
    pub async fn track(
        &self,
        input: TrackInput<'_>,
        client: &Client<'_>,
    ) -> Result<Tracked, AppError> {
        match self.prepare_hit(input, client).await? {
            Prepared::Hit(hit) => {
                self.enqueue(vec![*hit]).await?;
                Ok(Tracked::Accepted)
            }
            Prepared::Dropped(reason) => Ok(Tracked::Dropped(reason)),
        }
    }

    /// Checks one event and makes it a hit (or says why it is dropped), without queueing it:
    /// a batch is checked whole before any of it is queued.
    pub async fn prepare_hit(
        &self,
        input: TrackInput<'_>,
        client: &Client<'_>,
    ) -> Result<Prepared, AppError> {
        let ingest = self.ingest()?;
        let stats = &*ingest.stats;
        if is_bot(client.user_agent) {
            IngestStats::bump(&stats.dropped_bot, 1);
            return Ok(Prepared::Dropped(DropReason::Bot));
        }
        let now = Timestamp::now();
        let parsed = input.hit.parse();
        let at = input.occurred_at.map(|t| check_time(t, now)).transpose();
        let visitor_id = input.visitor_id.map(VisitorKey::client).transpose();
        let (parsed, at, visitor_id) = match (parsed, at, visitor_id) {
            (Ok(p), Ok(a), Ok(v)) => (p, a.unwrap_or(now), v),
            (p, a, v) => {
                IngestStats::bump(&stats.invalid, 1);
                let mut errors = p.err().unwrap_or_default();
                errors.extend(a.err());
                errors.extend(v.err());
                return Err(AppError::Invalid(errors));
            }
        };
        let site = match input.site {
            Some(domain) => match SiteDomain::parse(domain) {
                Ok(d) => self.site_for(d.as_str()).await?,
                Err(e) => {
                    IngestStats::bump(&stats.invalid, 1);
                    return Err(e.into());
                }
            },
            None => self.site_for_host(&parsed.page.host).await?,
        };
        let Some(site) = site else {
            IngestStats::bump(&stats.dropped_unknown_site, 1);
            return Ok(Prepared::Dropped(DropReason::UnknownSite));
        };
        if parsed.referrer.as_deref().is_some_and(is_spam_referrer) {
            IngestStats::bump(&stats.dropped_spam, 1);
            return Ok(Prepared::Dropped(DropReason::SpamReferrer));
        }
        let visitor = match visitor_id {
            Some(v) => v,
            // Today's salt, whatever the event's own time: the hash identifies the browser
            // sending now, and an older day's salt must not come back once deleted.
            None => self.cookieless_visitor(&site.domain, client, now).await?,
        };
        // Moving between the site's own pages says nothing about where the visit came from.
        let referrer = parsed
            .referrer
            .as_deref()
            .filter(|r| !site.domain.covers(r));
        Ok(Prepared::Hit(Box::new(Hit {
            workspace_id: site.workspace_id,
            site_id: site.id,
            visitor,
            attribution: classify(referrer, &parsed.page.utm, parsed.page.click_id),
            kind: parsed.kind,
            occurred_at: at,
            path: parsed.page.path,
            props: parsed.props,
            revenue: parsed.revenue,
            interactive: parsed.interactive,
        })))
    }

    /// Queues hits, all or none. A full queue gets `ROOM_WAIT` to make room (so a burst slows
    /// its senders instead of failing them); still full, it is `Err(Busy)`.
    pub async fn enqueue(&self, hits: Vec<Hit>) -> Result<usize, AppError> {
        let ingest = self.ingest()?;
        let n = hits.len();
        if n == 0 {
            return Ok(0);
        }
        let bytes: usize = hits.iter().map(hit_bytes).sum();
        let full = || {
            IngestStats::bump(&ingest.stats.queue_full, n as u64);
            AppError::Busy("the event queue is full; retry shortly".into())
        };
        let permits = match ingest.tx.try_reserve_many(n) {
            Ok(permits) => permits,
            Err(mpsc::error::TrySendError::Full(())) => {
                match tokio::time::timeout(ROOM_WAIT, ingest.tx.reserve_many(n)).await {
                    Ok(Ok(permits)) => permits,
                    Ok(Err(_)) => {
                        return Err(AppError::Busy(
                            "closer is shutting down; retry shortly".into(),
                        ));
                    }
                    Err(_) => return Err(full()),
                }
            }
            Err(mpsc::error::TrySendError::Closed(())) => {
                return Err(AppError::Busy(
                    "closer is shutting down; retry shortly".into(),
                ));
            }
        };
        // The size budget: checked with the permits held, released (unsent) if over it.
        if ingest.queued_bytes.fetch_add(bytes, Ordering::Relaxed) + bytes > QUEUE_BYTES {
            ingest.queued_bytes.fetch_sub(bytes, Ordering::Relaxed);
            return Err(full());
        }
        for (permit, hit) in permits.zip(hits) {
            permit.send(hit);
        }
        IngestStats::bump(&ingest.stats.accepted, n as u64);
        Ok(n)
    }
}
