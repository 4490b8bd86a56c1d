//! Visitor keys: who a hit is from, without cookies when need be.
//!
//! Two kinds, never confused (the prefix says which):
//! - `c:<id>`: a first-party id the closer script keeps in the browser (or a server sends);
//!   it lasts as long as the browser keeps it, so stitching works across days.
//! - `h:<hex>`: cookieless, as Plausible counts: a hash of a daily salt, the site, the client
//!   IP and the user agent. The salt changes every day and old salts are deleted, so the same
//!   person is a new visitor tomorrow and no hash can be traced back to an IP.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::FieldError;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VisitorKey(String);

impl VisitorKey {
    /// A client-chosen id: 8–64 of `A-Za-z0-9_-` (a UUID fits, with or without dashes).
    pub fn client(raw: &str) -> Result<Self, FieldError> {
        let ok = (8..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(Self(format!("c:{raw}")))
        } else {
            Err(FieldError::new(
                "visitor_id",
                "must be 8 to 64 letters, digits, dashes or underscores",
            ))
        }
    }

    /// The cookieless key for one day: `salt` is that day's secret.
    pub fn cookieless(salt: &[u8], site: &str, ip: &str, user_agent: &str) -> Self {
        let mut h = Sha256::new();
        for part in [salt, site.as_bytes(), ip.as_bytes(), user_agent.as_bytes()] {
            // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
            h.update((part.len() as u64).to_le_bytes());
            h.update(part);
        }
        let digest = h.finalize();
        let mut key = String::with_capacity(34);
        key.push_str("h:");
        for b in &digest[..16] {
            use std::fmt::Write;
            let _ = write!(key, "{b:02x}");
        }
        Self(key)
    }

    /// A key as stored (trusted: it was built by one of the constructors above).
    pub fn from_stored(raw: String) -> Self {
        Self(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for VisitorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids() {
        assert_eq!(
            VisitorKey::client("0192f0a1-7c3e-7a10-8d2b-1f2e3d4c5b6a")
                .unwrap()
                .as_str(),
            "c:0192f0a1-7c3e-7a10-8d2b-1f2e3d4c5b6a"
        );
        for bad in ["short", "has space in it", "h:abcdefgh", &"x".repeat(65)] {
            assert!(VisitorKey::client(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cookieless_depends_on_every_part() {
        let base = VisitorKey::cookieless(b"salt", "a.io", "203.0.113.9", "UA");
        assert!(base.as_str().starts_with("h:") && base.as_str().len() == 34);
        assert_eq!(
            base,
            VisitorKey::cookieless(b"salt", "a.io", "203.0.113.9", "UA")
        );
        for other in [
            VisitorKey::cookieless(b"salt2", "a.io", "203.0.113.9", "UA"),
            VisitorKey::cookieless(b"salt", "b.io", "203.0.113.9", "UA"),
            VisitorKey::cookieless(b"salt", "a.io", "203.0.113.8", "UA"),
            VisitorKey::cookieless(b"salt", "a.io", "203.0.113.9", "UA2"),
        ] {
            assert_ne!(base, other);
        }
    }
}
