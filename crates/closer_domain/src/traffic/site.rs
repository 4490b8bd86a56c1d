//! A tracked site and its domain, as the Plausible `domain` field names it.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::FieldError;

/// A tracked site's id (UUIDv7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SiteId(pub Uuid);

impl SiteId {
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }
}

impl Default for SiteId {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for SiteId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A site's domain: a lower-case host name without scheme, port, path or a leading `www.`
/// (`www.example.com` and `example.com` are one site, as a visitor sees them).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SiteDomain(String);

/// Longest host name DNS allows.
const MAX_HOST: usize = 253;

impl SiteDomain {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let bad = |why: &str| FieldError::new("domain", format!("{raw:?} is not a domain: {why}"));
        let host = raw.trim().trim_end_matches('.').to_ascii_lowercase();
        if host.contains("://") || host.contains('/') || host.contains(':') {
            return Err(bad("give the host name only, like example.com"));
        }
        let host = host.strip_prefix("www.").unwrap_or(&host);
        if host.is_empty() || host.len() > MAX_HOST {
            return Err(bad("must be 1 to 253 characters"));
        }
        let labels_ok = host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
        if !labels_ok {
            return Err(bad("use letters, digits, dashes and dots"));
        }
        Ok(Self(host.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when `host` is this site or one of its subdomains (an internal referrer).
    pub fn covers(&self, host: &str) -> bool {
        host == self.0
            || host
                .strip_suffix(self.0.as_str())
                .is_some_and(|rest| rest.ends_with('.'))
    }
}

impl TryFrom<String> for SiteDomain {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<SiteDomain> for String {
    fn from(d: SiteDomain) -> Self {
        d.0
    }
}

impl std::fmt::Display for SiteDomain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_refuses() {
        assert_eq!(
            SiteDomain::parse(" WWW.Example.COM. ").unwrap().as_str(),
            "example.com"
        );
        assert_eq!(
            SiteDomain::parse("shop.example.co.uk").unwrap().as_str(),
            "shop.example.co.uk"
        );
        for bad in [
            "",
            "https://example.com",
            "example.com/blog",
            "exa mple.com",
            "-a.com",
            "a..com",
            "example.com:8080",
        ] {
            assert!(SiteDomain::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn covers_subdomains_only() {
        let d = SiteDomain::parse("example.com").unwrap();
        assert!(d.covers("example.com") && d.covers("blog.example.com"));
        assert!(!d.covers("badexample.com") && !d.covers("example.com.evil.net"));
    }
}
