//! Who sent a public request: the client IP (from proxy headers only when the TCP peer is a
//! trusted proxy) and the user agent.
//!
//! Behind a reverse proxy every request comes from the proxy's address, so the visitor's IP
//! must come from a header the proxy sets. Anyone can send those headers, though, so they are
//! believed only when the peer is in `trusted` (loopback and private ranges by default). In
//! `X-Forwarded-For` the rightmost address that is not itself a trusted proxy is the client:
//! everything left of it could have been written by the client.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use axum::http::request::Parts;
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

/// The client's IP, given the TCP peer (`None` in in-process tests).
pub fn client_ip(headers: &HeaderMap, peer: Option<IpAddr>, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted_peer(peer, trusted) {
        return Some(peer);
    }
    for name in ["cf-connecting-ip", "x-real-ip", "x-client-ip"] {
        if let Some(ip) = header(headers, name).and_then(parse_ip) {
            return Some(ip);
        }
    }
    if let Some(xff) = header(headers, "x-forwarded-for") {
        let hops: Vec<IpAddr> = xff.split(',').filter_map(parse_ip).collect();
        if let Some(client) = hops
            .iter()
            .rev()
            .find(|ip| !trusted_peer(**ip, trusted))
            .or(hops.first())
        {
            return Some(*client);
        }
    }
    if let Some(fwd) = header(headers, "forwarded") {
        // RFC 7239: `for=203.0.113.9;proto=https, for="[2001:db8::1]"`; the last hop is nearest.
        let hops: Vec<IpAddr> = fwd
            .split(',')
            .filter_map(|hop| {
                hop.split(';').find_map(|kv| {
                    kv.trim()
                        .strip_prefix("for=")
                        .or_else(|| kv.trim().strip_prefix("For="))
                })
            })
            .filter_map(parse_ip)
            .collect();
        if let Some(client) = hops
            .iter()
            .rev()
            .find(|ip| !trusted_peer(**ip, trusted))
            .or(hops.first())
        {
            return Some(*client);
        }
    }
    Some(peer)
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
        let trusted = default_trusted();
        let xff = headers(&[("x-forwarded-for", "198.51.100.7, 203.0.113.9, 10.0.0.2")]);
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let stranger: IpAddr = "192.0.2.50".parse().unwrap();
        // The rightmost hop that is not a proxy of ours; the rest could be forged.
        assert_eq!(
            client_ip(&xff, Some(proxy), &trusted),
            Some("203.0.113.9".parse().unwrap())
        );
        assert_eq!(client_ip(&xff, Some(stranger), &trusted), Some(stranger));
        assert_eq!(client_ip(&xff, None, &trusted), None);
        let fwd = headers(&[(
            "forwarded",
            "for=198.51.100.7;proto=https, for=\"[2001:db8::1]:443\"",
        )]);
        assert_eq!(
            client_ip(&fwd, Some(proxy), &trusted),
            Some("2001:db8::1".parse().unwrap())
        );
        let real = headers(&[
            ("x-real-ip", "203.0.113.77"),
            ("x-forwarded-for", "1.2.3.4"),
        ]);
        assert_eq!(
            client_ip(&real, Some(proxy), &trusted),
            Some("203.0.113.77".parse().unwrap())
        );
        let junk = headers(&[("x-forwarded-for", "not-an-ip")]);
        assert_eq!(client_ip(&junk, Some(proxy), &trusted), Some(proxy));
    }
}
