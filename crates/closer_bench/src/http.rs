//! A minimal HTTP/1.1 client for load: keep-alive connections, one request in flight each,
//! requests written as prepared bytes and answers read by `Content-Length`. At tens of
//! thousands of requests a second on two shared cores, a full client library's per-request
//! cost would be measured instead of the server's; this one costs a write and a read.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

/// What came back.
pub struct Answer {
    pub status: u16,
    /// The server said it dropped the event (`x-closer-dropped` / `x-plausible-dropped`).
    pub dropped: bool,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

impl Conn {
    pub async fn open(addr: &str) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(4096),
        })
    }

    /// Sends one request (complete bytes, `Connection: keep-alive`) and reads its answer.
    pub async fn send(&mut self, request: &[u8]) -> anyhow::Result<Answer> {
        self.stream.write_all(request).await?;
        self.buf.clear();
        loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let head = std::str::from_utf8(&self.buf[..end]).context("non-UTF-8 head")?;
                let status: u16 = head
                    .get(9..12)
                    .and_then(|s| s.parse().ok())
                    .context("no status")?;
                let lower = head.to_ascii_lowercase();
                let length: usize = lower
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                let dropped = lower.contains("\r\nx-closer-dropped:")
                    || lower.contains("\r\nx-plausible-dropped:");
                while self.buf.len() < end + 4 + length {
                    if self.stream.read_buf(&mut self.buf).await? == 0 {
                        bail!("connection closed mid-answer");
                    }
                }
                return Ok(Answer { status, dropped });
            }
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                bail!("connection closed");
            }
        }
    }
}

/// A POST with a body, as complete bytes.
pub fn post(host: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nConnection: keep-alive\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        req.push_str(name);
        req.push_str(": ");
        req.push_str(value);
        req.push_str("\r\n");
    }
    req.push_str("\r\n");
    req.push_str(body);
    req.into_bytes()
}

/// Counts from a closed loop over raw connections.
#[derive(Default, Clone, Copy)]
pub struct Tally {
    pub accepted: u64,
    pub dropped: u64,
    pub refused: u64,
    pub errors: u64,
}

/// `connections` connections each send `make(seq)` back to back for `duration`.
pub async fn hammer(
    addr: &str,
    connections: usize,
    duration: Duration,
    make: impl Fn(u64) -> Vec<u8> + Clone + Send + Sync + 'static,
) -> anyhow::Result<(Tally, Duration)> {
    let seq = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let mut conn = Conn::open(addr).await?;
        let (seq, make) = (seq.clone(), make.clone());
        tasks.push(tokio::spawn(async move {
            let mut t = Tally::default();
            while Instant::now() < deadline {
                let n = seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                match conn.send(&make(n)).await {
                    Ok(a) if a.status == 202 && a.dropped => t.dropped += 1,
                    Ok(a) if a.status == 202 => t.accepted += 1,
                    Ok(_) => t.refused += 1,
                    Err(_) => {
                        t.errors += 1;
                        break;
                    }
                }
            }
            t
        }));
    }
    let mut total = Tally::default();
    for task in tasks {
        let t = task.await?;
        total.accepted += t.accepted;
        total.dropped += t.dropped;
        total.refused += t.refused;
        total.errors += t.errors;
    }
    Ok((total, start.elapsed()))
}
