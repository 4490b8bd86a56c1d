//! Hits that must not be stored: bots (by user agent, from the `isbot` crate's maintained
//! pattern list) and referrer spam (`spam_referrers.txt`). Both are dropped and counted.

use std::sync::LazyLock;

static BOTS: LazyLock<isbot::Bots> = LazyLock::new(isbot::Bots::default);

static SPAM: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    include_str!("spam_referrers.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

/// Longest user agent looked at; real ones are a few hundred bytes.
const MAX_USER_AGENT: usize = 1_000;

/// A crawler, a monitoring probe, a headless tool, or a client that sends no user agent at
/// all (every browser does).
pub fn is_bot(user_agent: &str) -> bool {
    let ua = user_agent.trim();
    ua.is_empty() || ua.len() > MAX_USER_AGENT || BOTS.is_bot(ua)
}

/// A referring host (lower-case, without `www.`) on the spam list, or one of its subdomains.
pub fn is_spam_referrer(host: &str) -> bool {
    SPAM.iter().any(|spam| {
        host == *spam
            || host
                .strip_suffix(spam)
                .is_some_and(|rest| rest.ends_with('.'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bots_and_browsers() {
        assert!(is_bot(
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
        ));
        assert!(is_bot("curl/8.5.0"));
        assert!(is_bot(""));
        assert!(!is_bot(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
        ));
        assert!(!is_bot(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
        ));
    }

    #[test]
    fn spam() {
        assert!(is_spam_referrer("semalt.com") && is_spam_referrer("x.semalt.com"));
        assert!(!is_spam_referrer("notsemalt.com") && !is_spam_referrer("google.com"));
    }
}
