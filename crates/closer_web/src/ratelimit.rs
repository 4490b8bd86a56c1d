//! A per-client-IP rate limit on the public routes (tracking and form posts), from `governor`
//! (GCRA, a token bucket without a timer per key).
//!
//! The defaults are far above what people produce — a browser sends a handful of events a
//! minute; an office of a thousand behind one NAT address, a few a second — so real traffic is
//! never refused, while one client hammering the endpoint is held to the sustained rate.
//! Keys are pruned every minute, so memory follows the number of recently active clients.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Sign-in and invite form posts a minute per client IP (an office behind one address signs
/// in at nine without meeting it; a password guesser is slowed to a crawl).
pub const SIGN_INS_PER_MINUTE: u32 = 30;

/// Requests a second, sustained, per client IP.
pub const DEFAULT_PER_SECOND: u32 = 100;
/// Requests a client may send at once before the sustained rate applies.
pub const DEFAULT_BURST: u32 = 1_000;

#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    pub per_second: NonZeroU32,
    pub burst: NonZeroU32,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            per_second: NonZeroU32::new(DEFAULT_PER_SECOND).expect("non-zero"),
            burst: NonZeroU32::new(DEFAULT_BURST).expect("non-zero"),
        }
    }
}

#[derive(Clone)]
pub struct Limiter {
    inner: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl Limiter {
    pub fn new(limit: RateLimit) -> Self {
        let quota = Quota::per_second(limit.per_second).allow_burst(limit.burst);
        Self {
            inner: Arc::new(RateLimiter::hashmap(quota)),
        }
    }

    /// True when the request may go on. Requests with no known IP are not limited.
    pub fn check(&self, ip: Option<IpAddr>) -> bool {
        ip.is_none_or(|ip| self.inner.check_key(&ip).is_ok())
    }

    /// Sign-in attempts: `SIGN_INS_PER_MINUTE` per client IP, all of them at once at most.
    /// The per-account lock stops guessing one password; this stops one address from
    /// guessing many, or from locking everyone out.
    pub fn sign_ins() -> Self {
        let n = NonZeroU32::new(SIGN_INS_PER_MINUTE).expect("non-zero");
        Self {
            inner: Arc::new(RateLimiter::hashmap(Quota::per_minute(n).allow_burst(n))),
        }
    }

    /// Prunes idle keys every minute, for as long as the limiter is in use.
    pub fn spawn_pruning(&self) {
        let weak = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_mins(1));
            loop {
                tick.tick().await;
                let Some(limiter) = weak.upgrade() else { break };
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
        });
    }
}

/// The answer to a request over the limit: counted, then 429 with `Retry-After`.
pub(crate) fn refused(state: &crate::AppState, detail: &'static str) -> axum::response::Response {
    use axum::http::{HeaderValue, StatusCode, header};
    use axum::response::IntoResponse;

    state.app.traffic().count_rate_limited();
    let mut res =
        crate::error::ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate-limited", detail)
            .into_response();
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_ip() {
        let limiter = Limiter::new(RateLimit {
            per_second: NonZeroU32::new(1).unwrap(),
            burst: NonZeroU32::new(3).unwrap(),
        });
        let a: IpAddr = "203.0.113.1".parse().unwrap();
        let b: IpAddr = "203.0.113.2".parse().unwrap();
        assert!((0..3).all(|_| limiter.check(Some(a))));
        assert!(!limiter.check(Some(a)), "the burst is spent");
        assert!(limiter.check(Some(b)), "another client is not affected");
        assert!(limiter.check(None));
    }
}
