//! Who sent a public request: the client IP (from proxy headers only when the TCP peer is a
//! trusted proxy) and the user agent.
//!
//! Behind a reverse proxy every request comes from the proxy's address, so the visitor's IP
//! must come from a header the proxy sets. Anyone can send those headers, though, so they are
//! believed only when the peer is in `trusted` (loopback and private ranges by default). In
//! `X-Forwarded-For` the rightmost address that is not itself a trusted proxy is the client:
//! everything left of it could have been written by the client. Other headers that name a
//! client (`CF-Connecting-IP`, `X-Real-IP`…) are believed only when the operator names one:
//! a proxy that does not set a header passes on whatever the client wrote in it.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use std::sync::Arc;

use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName};
use ipnet::IpNet;

/// Loopback, private (RFC 1918), CGNAT, link-local and unique-local ranges.
pub const DEFAULT_TRUSTED: &[&str] = &[
    "127.0.0.0/8",
    "::1/128",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "169.254.0.0/16",
    "fc00::/7",
    "fe80::/10",
];

pub fn default_trusted() -> Vec<IpNet> {
    DEFAULT_TRUSTED
        .iter()
        .map(|n| n.parse().expect("valid default network"))
        .collect()
}

fn trusted_peer(ip: IpAddr, trusted: &[IpNet]) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 @ IpAddr::V4(_) => v4,
    };
    trusted.iter().any(|net| net.contains(&ip))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// `203.0.113.9`, `[2001:db8::1]:443` and `203.0.113.9:5000` all name an IP.
fn parse_ip(raw: &str) -> Option<IpAddr> {
    let raw = raw.trim().trim_matches('"');
    raw.parse()
        .ok()
        .or_else(|| raw.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| raw.strip_prefix('[')?.split(']').next()?.parse().ok())
}

/// Which peers' forwarding headers are believed, and which header names the client.
#[derive(Clone, Debug)]
pub struct Proxies {
    trusted: Arc<[IpNet]>,
    /// A header the operator's proxy sets to the client's address (`CF-Connecting-IP`,
    /// `X-Real-IP`…), believed instead of `X-Forwarded-For`. `None`: `X-Forwarded-For` only.
    /// Any other such header is ignored, since a client can send it through a proxy that
    /// does not overwrite it and so pick its own address for the rate limits.
    header: Option<HeaderName>,
}

impl Proxies {
    pub fn new(trusted: Vec<IpNet>, header: Option<HeaderName>) -> Self {
        Self {
            trusted: trusted.into(),
            header,
        }
    }

    /// The client's IP, given the TCP peer (`None` in in-process tests).
    pub fn client_ip(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> Option<IpAddr> {
        let peer = peer?;
        if !trusted_peer(peer, &self.trusted) {
            return Some(peer);
        }
        let named = self
            .header
            .as_ref()
            .map_or("x-forwarded-for", HeaderName::as_str);
        let Some(value) = header(headers, named) else {
            return Some(peer);
        };
        let hops: Vec<IpAddr> = if named == "forwarded" {
            // RFC 7239: `for=203.0.113.9;proto=https, for="[2001:db8::1]"`.
            value
                .split(',')
                .filter_map(|hop| {
                    hop.split(';').find_map(|kv| {
                        let (k, v) = kv.trim().split_once('=')?;
                        k.eq_ignore_ascii_case("for").then_some(v)
                    })
                })
                .filter_map(parse_ip)
                .collect()
        } else {
            value.split(',').filter_map(parse_ip).collect()
        };
        // The last hop is nearest: the rightmost one that is not a proxy of ours is the
        // client; everything left of it could have been written by the client.
        let client = hops
            .iter()
            .rev()
            .find(|ip| !trusted_peer(**ip, &self.trusted))
            .or(hops.first());
        Some(client.copied().unwrap_or(peer))
    }
}

/// The TCP peer, when the server was started with connection info.
pub fn peer(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

pub fn user_agent(headers: &HeaderMap) -> &str {
    header(headers, "user-agent").unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn headers_are_believed_from_trusted_peers_only() {
        let proxies = Proxies::new(default_trusted(), None);
        let xff = headers(&[("x-forwarded-for", "198.51.100.7, 203.0.113.9, 10.0.0.2")]);
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let stranger: IpAddr = "192.0.2.50".parse().unwrap();
        // The rightmost hop that is not a proxy of ours; the rest could be forged.
        assert_eq!(
            proxies.client_ip(&xff, Some(proxy)),
            Some("203.0.113.9".parse().unwrap())
        );
        assert_eq!(proxies.client_ip(&xff, Some(stranger)), Some(stranger));
        assert_eq!(proxies.client_ip(&xff, None), None);
        let junk = headers(&[("x-forwarded-for", "not-an-ip")]);
        assert_eq!(proxies.client_ip(&junk, Some(proxy)), Some(proxy));
    }

    #[test]
    fn other_client_headers_only_when_named() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let forged = headers(&[
            ("cf-connecting-ip", "203.0.113.1"),
            ("x-real-ip", "203.0.113.2"),
            ("x-client-ip", "203.0.113.3"),
            ("true-client-ip", "203.0.113.4"),
            ("forwarded", "for=203.0.113.5"),
            ("x-forwarded-for", "198.51.100.7"),
        ]);
        // By default only X-Forwarded-For counts, whatever else a client wrote.
        let default = Proxies::new(default_trusted(), None);
        assert_eq!(
            default.client_ip(&forged, Some(proxy)),
            Some("198.51.100.7".parse().unwrap())
        );
        for (name, ip) in [
            ("cf-connecting-ip", "203.0.113.1"),
            ("x-real-ip", "203.0.113.2"),
            ("x-client-ip", "203.0.113.3"),
            ("true-client-ip", "203.0.113.4"),
            ("forwarded", "203.0.113.5"),
        ] {
            let named = Proxies::new(default_trusted(), Some(HeaderName::from_static(name)));
            assert_eq!(
                named.client_ip(&forged, Some(proxy)),
                Some(ip.parse().unwrap()),
                "{name}"
            );
            // Named but absent: the peer, not some other header.
            assert_eq!(
                named.client_ip(
                    &headers(&[("x-forwarded-for", "198.51.100.7")]),
                    Some(proxy)
                ),
                Some(proxy),
                "{name}"
            );
        }
        let fwd = Proxies::new(
            default_trusted(),
            Some(HeaderName::from_static("forwarded")),
        );
        let h = headers(&[(
            "forwarded",
            "for=198.51.100.7;proto=https, For=\"[2001:db8::1]:443\"",
        )]);
        assert_eq!(
            fwd.client_ip(&h, Some(proxy)),
            Some("2001:db8::1".parse().unwrap())
        );
    }
}
