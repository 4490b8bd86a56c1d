//! Page and referrer URLs: host, path, UTM parameters and ad click ids.

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// Longest URL accepted (page or referrer), in bytes. Browsers send far less in practice.
pub const MAX_URL: usize = 2_000;
/// Longest path or UTM value kept; longer ones are cut (never refused: a long query string
/// is a real page view).
pub const MAX_PATH: usize = 500;
const MAX_UTM: usize = 200;

/// Campaign parameters from a landing page's URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Utm {
    pub source: Option<String>,
    pub medium: Option<String>,
    pub campaign: Option<String>,
    pub term: Option<String>,
    pub content: Option<String>,
}

impl Utm {
    pub fn is_empty(&self) -> bool {
        self.source.is_none()
            && self.medium.is_none()
            && self.campaign.is_none()
            && self.term.is_none()
            && self.content.is_none()
    }
}

/// An ad platform's click id in the landing URL: proof the visit came from that platform
/// (and, for all but `fbclid`, which Facebook adds to every outbound link, from a paid ad;
/// `channel::classify` applies that).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClickId {
    Gclid,
    Gbraid,
    Wbraid,
    Msclkid,
    Fbclid,
    Twclid,
    Ttclid,
    LiFatId,
}

impl ClickId {
    const ALL: [(&'static str, ClickId); 8] = [
        ("gclid", ClickId::Gclid),
        ("gbraid", ClickId::Gbraid),
        ("wbraid", ClickId::Wbraid),
        ("msclkid", ClickId::Msclkid),
        ("fbclid", ClickId::Fbclid),
        ("twclid", ClickId::Twclid),
        ("ttclid", ClickId::Ttclid),
        ("li_fat_id", ClickId::LiFatId),
    ];

    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, c)| *c == self)
            .map_or("", |(name, _)| name)
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.iter().find(|(n, _)| *n == raw).map(|(_, c)| *c)
    }

    /// The platform's source name, as `utm_source` would spell it.
    /// The medium an ad platform's auto-tagging implies (`None`: not only on ads).
    pub fn paid_medium(self) -> Option<&'static str> {
        match self {
            ClickId::Gclid | ClickId::Gbraid | ClickId::Wbraid | ClickId::Msclkid => Some("cpc"),
            ClickId::Twclid | ClickId::Ttclid | ClickId::LiFatId => Some("paid"),
            ClickId::Fbclid => None,
        }
    }

    pub fn source(self) -> &'static str {
        match self {
            ClickId::Gclid | ClickId::Gbraid | ClickId::Wbraid => "google",
            ClickId::Msclkid => "bing",
            ClickId::Fbclid => "facebook",
            ClickId::Twclid => "twitter",
            ClickId::Ttclid => "tiktok",
            ClickId::LiFatId => "linkedin",
        }
    }
}

/// A page URL, parsed: what a hit stores and attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageUrl {
    /// Lower-case host.
    pub host: String,
    /// Path (with the `#fragment` when the site routes by hash), cut to `MAX_PATH`.
    pub path: String,
    pub utm: Utm,
    pub click_id: Option<ClickId>,
}

fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

fn clean_value(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty() && !v.chars().any(char::is_control)).then(|| cut(v, MAX_UTM))
}

/// Parses an absolute http(s) URL with a host.
fn absolute(field: &str, raw: &str) -> Result<url::Url, FieldError> {
    if raw.len() > MAX_URL {
        return Err(FieldError::new(
            field,
            format!("must be at most {MAX_URL} bytes"),
        ));
    }
    let parsed = url::Url::parse(raw.trim())
        .map_err(|e| FieldError::new(field, format!("is not an absolute URL ({e})")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(FieldError::new(field, "must be an http:// or https:// URL"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(FieldError::new(field, "must have a host"));
    }
    Ok(parsed)
}

impl PageUrl {
    /// `hash_routing`: keep the fragment in the path (single-page apps that route by `#`).
    pub fn parse(field: &str, raw: &str, hash_routing: bool) -> Result<Self, FieldError> {
        let url = absolute(field, raw)?;
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let mut path = url.path().to_owned();
        if hash_routing && let Some(fragment) = url.fragment() {
            path.push('#');
            path.push_str(fragment);
        }
        let mut utm = Utm::default();
        let (mut source_fallback, mut click_id) = (None, None);
        for (key, value) in url.query_pairs() {
            let slot = match key.as_ref() {
                "utm_source" => &mut utm.source,
                "utm_medium" => &mut utm.medium,
                "utm_campaign" => &mut utm.campaign,
                "utm_term" => &mut utm.term,
                "utm_content" => &mut utm.content,
                // Plausible's fallbacks for sites that tag links with `?ref=` or `?source=`.
                "source" | "ref" => &mut source_fallback,
                other => {
                    if click_id.is_none() && !value.trim().is_empty() {
                        click_id = ClickId::parse(other);
                    }
                    continue;
                }
            };
            if slot.is_none() {
                *slot = clean_value(&value);
            }
        }
        if utm.source.is_none() {
            utm.source = source_fallback;
        }
        Ok(Self {
            host,
            path: cut(&path, MAX_PATH),
            utm,
            click_id,
        })
    }
}

/// A referrer's host, lower-case without `www.`; `None` for an empty or unusable referrer
/// (browsers send `android-app://…` and similar, which say nothing about a web source).
pub fn referrer_host(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > MAX_URL {
        return None;
    }
    let url = url::Url::parse(raw).ok()?;
    let host = url.host_str()?.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    (!host.is_empty()).then(|| host.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utm_and_click_ids() {
        let p = PageUrl::parse(
            "url",
            "https://Shop.Example.com/pricing?utm_source=Newsletter&utm_medium=email&utm_campaign=spring&gclid=abc",
            false,
        )
        .unwrap();
        assert_eq!(p.host, "shop.example.com");
        assert_eq!(p.path, "/pricing");
        assert_eq!(p.utm.source.as_deref(), Some("Newsletter"));
        assert_eq!(p.utm.medium.as_deref(), Some("email"));
        assert_eq!(p.utm.campaign.as_deref(), Some("spring"));
        assert_eq!(p.click_id, Some(ClickId::Gclid));
    }

    #[test]
    fn fallbacks_and_hash_routing() {
        let p = PageUrl::parse("url", "https://a.io/app#/settings?ref=producthunt", true).unwrap();
        assert_eq!(p.path, "/app#/settings?ref=producthunt");
        let p = PageUrl::parse("url", "https://a.io/?ref=producthunt&utm_source=", false).unwrap();
        assert_eq!(p.utm.source.as_deref(), Some("producthunt"));
    }

    #[test]
    fn refuses_urls_without_host() {
        for bad in [
            "/pricing",
            "mailto:a@b.c",
            "file:///etc/passwd",
            "https://",
            "not a url",
        ] {
            assert!(PageUrl::parse("url", bad, false).is_err(), "{bad}");
        }
        assert!(
            PageUrl::parse(
                "url",
                &format!("https://a.io/{}", "x".repeat(MAX_URL)),
                false
            )
            .is_err()
        );
    }

    #[test]
    fn long_paths_are_cut_on_a_char_boundary() {
        let p = PageUrl::parse("url", &format!("https://a.io/{}", "é".repeat(400)), false).unwrap();
        assert!(p.path.len() <= MAX_PATH);
    }

    #[test]
    fn referrers() {
        assert_eq!(
            referrer_host("https://www.Google.com/search?q=x").as_deref(),
            Some("google.com")
        );
        assert_eq!(
            referrer_host("android-app://com.slack"),
            Some("com.slack".into())
        );
        assert_eq!(referrer_host(""), None);
        assert_eq!(referrer_host("nonsense"), None);
    }
}
