//! Two ways to drive a server: a closed loop (N workers, each sends as soon as its last answer
//! arrives: peak throughput) and an open loop (sends on a fixed schedule whatever the answers:
//! latency at a given rate, measured from the scheduled send time so a stalled server cannot
//! hide its queueing — no coordinated omission).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

pub struct Outcome {
    pub ok: u64,
    pub failed: u64,
    pub elapsed: Duration,
    pub latencies: Vec<Duration>,
    /// Requests the open loop could not send because too many were in flight.
    pub dropped: u64,
}

impl Outcome {
    #[allow(clippy::cast_precision_loss)]
    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }
}

/// `send(seq)` performs one request and says whether it succeeded.
pub async fn closed_loop<F, Fut>(workers: usize, duration: Duration, send: F) -> Outcome
where
    F: Fn(u64) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let seq = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (seq, send) = (seq.clone(), send.clone());
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut failed, mut latencies) = (0, 0, Vec::new());
            while Instant::now() < deadline {
                let n = seq.fetch_add(1, Ordering::Relaxed);
                let began = Instant::now();
                if send(n).await {
                    ok += 1;
                    latencies.push(began.elapsed());
                } else {
                    failed += 1;
                }
            }
            (ok, failed, latencies)
        }));
    }
    let mut out = Outcome {
        ok: 0,
        failed: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
        dropped: 0,
    };
    for t in tasks {
        let (ok, failed, latencies) = t.await.expect("worker");
        out.ok += ok;
        out.failed += failed;
        out.latencies.extend(latencies);
    }
    out.elapsed = start.elapsed();
    out
}

/// Sends `rate` requests a second for `duration`, at most `max_in_flight` at once.
pub async fn open_loop<F, Fut>(
    rate: u32,
    duration: Duration,
    max_in_flight: usize,
    send: F,
) -> Outcome
where
    F: Fn(u64) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let total = duration.as_secs() * u64::from(rate);
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(
        usize::try_from(total).unwrap_or(0),
    )));
    let failed = Arc::new(AtomicU64::new(0));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let mut dropped = 0;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for n in 0..total {
        // Integer nanoseconds: exact schedule, no float drift over long runs.
        let scheduled = start + Duration::from_nanos(n * 1_000_000_000 / u64::from(rate));
        tokio::time::sleep_until(scheduled.into()).await;
        if in_flight.load(Ordering::Relaxed) >= max_in_flight {
            dropped += 1;
            continue;
        }
        in_flight.fetch_add(1, Ordering::Relaxed);
        let (send, latencies, failed, in_flight) = (
            send.clone(),
            latencies.clone(),
            failed.clone(),
            in_flight.clone(),
        );
        tasks.push(tokio::spawn(async move {
            if send(n).await {
                latencies.lock().await.push(scheduled.elapsed());
            } else {
                failed.fetch_add(1, Ordering::Relaxed);
            }
            in_flight.fetch_sub(1, Ordering::Relaxed);
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = start.elapsed();
    let latencies = std::mem::take(&mut *latencies.lock().await);
    Outcome {
        ok: latencies.len() as u64,
        failed: failed.load(Ordering::Relaxed),
        elapsed,
        latencies,
        dropped,
    }
}
