//! Latency percentiles from recorded samples, and timing requests one at a time.

use std::time::{Duration, Instant};

use anyhow::ensure;

pub struct Summary {
    pub count: usize,
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub max: Duration,
}

/// Nearest-rank percentiles; sorts `samples`.
pub fn summarize(samples: &mut [Duration]) -> Option<Summary> {
    if samples.is_empty() {
        return None;
    }
    samples.sort_unstable();
    let at = |q: f64| {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let rank = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
        samples[rank - 1]
    };
    Some(Summary {
        count: samples.len(),
        p50: at(0.50),
        p90: at(0.90),
        p99: at(0.99),
        max: samples[samples.len() - 1],
    })
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

/// How a timed request proves who it is.
#[derive(Clone, Copy)]
pub enum Auth<'a> {
    /// An API token.
    Bearer(&'a str),
    /// A web app session: the whole `Cookie` header.
    Cookie(&'a str),
}

/// `n` GET requests one after another: each one's latency, and the last body's size.
pub async fn time_requests(
    client: &reqwest::Client,
    url: &str,
    auth: Auth<'_>,
    n: usize,
) -> anyhow::Result<(Vec<Duration>, usize)> {
    let mut samples = Vec::with_capacity(n);
    let mut bytes = 0;
    for _ in 0..n {
        let started = Instant::now();
        let req = match auth {
            Auth::Bearer(token) => client.get(url).bearer_auth(token),
            Auth::Cookie(cookie) => client.get(url).header("cookie", cookie),
        };
        let res = req.send().await?;
        ensure!(res.status().is_success(), "{url} answered {}", res.status());
        bytes = res.bytes().await?.len();
        samples.push(started.elapsed());
    }
    Ok((samples, bytes))
}

/// A body's size in KiB, one decimal: "0.4" for a small JSON answer rather than "0".
#[allow(clippy::cast_precision_loss)] // bodies far below 2^52 bytes
pub fn kib(bytes: usize) -> String {
    format!("{:.1}", bytes as f64 / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_bodies_are_not_shown_as_nothing() {
        assert_eq!(kib(600), "0.6");
        assert_eq!(kib(0), "0.0");
        assert_eq!(kib(125_000), "122.1");
    }

    #[test]
    fn nearest_rank() {
        let mut v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let s = summarize(&mut v).unwrap();
        assert_eq!(
            (s.p50, s.p99, s.max),
            (
                Duration::from_millis(50),
                Duration::from_millis(99),
                Duration::from_millis(100)
            )
        );
    }
}
