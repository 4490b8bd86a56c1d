//! Channels: where a session came from, by GA4's default channel group.
//!
//! First the session's source and medium, with GA4's precedence: an ad platform's click id
//! (`gclid`, `gbraid`, `wbraid`, `msclkid`: medium `cpc`; `twclid`, `ttclid`, `li_fat_id`:
//! medium `paid`), else the campaign parameters (`utm_source`, `utm_medium`), else the
//! referrer (medium `organic` from a search engine, `email` from a webmail, `referral` from
//! any other site). A referrer never overrides campaign parameters. Then the first rule that
//! matches, in GA4's order:
//!
//! | # | channel | when |
//! |---|---|---|
//! | 1 | Direct | no click id, no campaign parameters, no referrer (or only the site itself) |
//! | 2 | Paid Search | a search engine source and a paid medium (`cpc`, `ppc`, `retargeting`, `paid…`, anything containing `cp`) |
//! | 3 | Paid Social | a social network source and a paid medium |
//! | 4 | Paid Video | a video site source and a paid medium |
//! | 5 | Display | medium `display`, `banner`, `expandable`, `interstitial` or `cpm` |
//! | 6 | Other | any other paid medium (GA4's "Paid Other") |
//! | 7 | AI Assistants | an AI assistant source (ChatGPT, Perplexity, Claude, Gemini, Copilot…); closer's, not GA4's |
//! | 8 | Organic Social | a social network source, or medium `social`, `social-network`, `social-media`, `sm`, `social network`, `social media` |
//! | 9 | Organic Video | a video site source, or a medium containing `video` |
//! | 10 | Organic Search | a search engine source, or medium `organic` |
//! | 11 | Referral | medium `referral`, `app` or `link` (so every other referring site) |
//! | 12 | Email | source or medium containing `email`, `e-mail`, `e_mail`, `e mail` or `newsletter` |
//! | 13 | Affiliates | medium `affiliate` or `affiliates` |
//! | 14 | Other | anything else (GA4's "Unassigned") |
//!
//! A source is recognised by the referrer's host or by `utm_source` (`google`, `fb`,
//! `linkedin`…), from the `SOURCES` table below. GA4's Shopping, Audio, SMS, Mobile Push and
//! Cross-network channels are not kept apart: their sessions fall under the rules above.

use serde::{Deserialize, Serialize};

use super::url::{ClickId, Utm};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Direct,
    OrganicSearch,
    PaidSearch,
    OrganicSocial,
    PaidSocial,
    Email,
    Referral,
    Display,
    Affiliates,
    OrganicVideo,
    PaidVideo,
    AiAssistants,
    Other,
}

impl Channel {
    pub const ALL: [Channel; 13] = [
        Channel::Direct,
        Channel::OrganicSearch,
        Channel::PaidSearch,
        Channel::OrganicSocial,
        Channel::PaidSocial,
        Channel::Email,
        Channel::Referral,
        Channel::Display,
        Channel::Affiliates,
        Channel::OrganicVideo,
        Channel::PaidVideo,
        Channel::AiAssistants,
        Channel::Other,
    ];

    /// The stable name stored and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Direct => "direct",
            Channel::OrganicSearch => "organic_search",
            Channel::PaidSearch => "paid_search",
            Channel::OrganicSocial => "organic_social",
            Channel::PaidSocial => "paid_social",
            Channel::Email => "email",
            Channel::Referral => "referral",
            Channel::Display => "display",
            Channel::Affiliates => "affiliates",
            Channel::OrganicVideo => "organic_video",
            Channel::PaidVideo => "paid_video",
            Channel::AiAssistants => "ai_assistants",
            Channel::Other => "other",
        }
    }

    /// The name people read.
    pub fn label(self) -> &'static str {
        match self {
            Channel::Direct => "Direct",
            Channel::OrganicSearch => "Organic Search",
            Channel::PaidSearch => "Paid Search",
            Channel::OrganicSocial => "Organic Social",
            Channel::PaidSocial => "Paid Social",
            Channel::Email => "Email",
            Channel::Referral => "Referral",
            Channel::Display => "Display",
            Channel::Affiliates => "Affiliates",
            Channel::OrganicVideo => "Organic Video",
            Channel::PaidVideo => "Paid Video",
            Channel::AiAssistants => "AI Assistants",
            Channel::Other => "Other",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == raw)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Category {
    Search,
    Social,
    Video,
    Ai,
    Webmail,
}

/// How a table entry matches a host: a domain and its subdomains, or a brand under any
/// country TLD (`google` matches google.com, google.co.uk, google.de…).
enum Match {
    Domain(&'static str),
    Brand(&'static str),
}

struct Source {
    name: &'static str,
    category: Category,
    hosts: &'static [Match],
    /// `utm_source` spellings, lower-case.
    aliases: &'static [&'static str],
}

use Category::{Ai, Search, Social, Video, Webmail};
use Match::{Brand, Domain};

/// Known sources. Order matters where hosts nest: specific hosts (gemini.google.com,
/// mail.google.com, news.google.com) come before the brand that contains them.
const SOURCES: &[Source] = &[
    Source {
        name: "ChatGPT",
        category: Ai,
        hosts: &[Domain("chatgpt.com"), Domain("chat.openai.com")],
        aliases: &["chatgpt", "chatgpt.com", "openai"],
    },
    Source {
        name: "Perplexity",
        category: Ai,
        hosts: &[Domain("perplexity.ai")],
        aliases: &["perplexity"],
    },
    Source {
        name: "Claude",
        category: Ai,
        hosts: &[Domain("claude.ai")],
        aliases: &["claude", "claude.ai"],
    },
    Source {
        name: "Gemini",
        category: Ai,
        hosts: &[Domain("gemini.google.com"), Domain("bard.google.com")],
        aliases: &["gemini"],
    },
    Source {
        name: "Copilot",
        category: Ai,
        hosts: &[Domain("copilot.microsoft.com")],
        aliases: &["copilot"],
    },
    Source {
        name: "DeepSeek",
        category: Ai,
        hosts: &[Domain("chat.deepseek.com")],
        aliases: &["deepseek"],
    },
    Source {
        name: "Gmail",
        category: Webmail,
        hosts: &[Domain("mail.google.com")],
        aliases: &["gmail"],
    },
    Source {
        name: "Outlook",
        category: Webmail,
        hosts: &[
            Domain("outlook.live.com"),
            Domain("outlook.office.com"),
            Domain("outlook.office365.com"),
        ],
        aliases: &["outlook"],
    },
    Source {
        name: "Yahoo Mail",
        category: Webmail,
        hosts: &[Domain("mail.yahoo.com")],
        aliases: &[],
    },
    Source {
        name: "YouTube",
        category: Video,
        hosts: &[Domain("youtube.com"), Domain("youtu.be")],
        aliases: &["youtube", "yt"],
    },
    Source {
        name: "Vimeo",
        category: Video,
        hosts: &[Domain("vimeo.com")],
        aliases: &["vimeo"],
    },
    Source {
        name: "Twitch",
        category: Video,
        hosts: &[Domain("twitch.tv")],
        aliases: &["twitch"],
    },
    Source {
        name: "Google",
        category: Search,
        hosts: &[Domain("news.google.com"), Brand("google")],
        aliases: &["google", "adwords", "google ads"],
    },
    Source {
        name: "Bing",
        category: Search,
        hosts: &[Domain("bing.com")],
        aliases: &["bing", "microsoft ads"],
    },
    Source {
        name: "DuckDuckGo",
        category: Search,
        hosts: &[Domain("duckduckgo.com")],
        aliases: &["duckduckgo", "ddg"],
    },
    Source {
        name: "Yahoo!",
        category: Search,
        hosts: &[Domain("search.yahoo.com"), Brand("yahoo")],
        aliases: &["yahoo"],
    },
    Source {
        name: "Ecosia",
        category: Search,
        hosts: &[Domain("ecosia.org")],
        aliases: &["ecosia"],
    },
    Source {
        name: "Brave Search",
        category: Search,
        hosts: &[Domain("search.brave.com")],
        aliases: &["brave"],
    },
    Source {
        name: "Startpage",
        category: Search,
        hosts: &[Domain("startpage.com")],
        aliases: &["startpage"],
    },
    Source {
        name: "Qwant",
        category: Search,
        hosts: &[Domain("qwant.com")],
        aliases: &["qwant"],
    },
    Source {
        name: "Yandex",
        category: Search,
        hosts: &[Brand("yandex"), Domain("ya.ru")],
        aliases: &["yandex"],
    },
    Source {
        name: "Baidu",
        category: Search,
        hosts: &[Domain("baidu.com")],
        aliases: &["baidu"],
    },
    Source {
        name: "Naver",
        category: Search,
        hosts: &[Domain("naver.com")],
        aliases: &["naver"],
    },
    Source {
        name: "Seznam",
        category: Search,
        hosts: &[Domain("seznam.cz")],
        aliases: &["seznam"],
    },
    Source {
        name: "Kagi",
        category: Search,
        hosts: &[Domain("kagi.com")],
        aliases: &["kagi"],
    },
    Source {
        name: "Facebook",
        category: Social,
        hosts: &[
            Domain("facebook.com"),
            Domain("fb.com"),
            Domain("fb.me"),
            Domain("messenger.com"),
        ],
        aliases: &["facebook", "fb", "meta"],
    },
    Source {
        name: "Instagram",
        category: Social,
        hosts: &[Domain("instagram.com")],
        aliases: &["instagram", "ig"],
    },
    Source {
        name: "X (Twitter)",
        category: Social,
        hosts: &[Domain("twitter.com"), Domain("x.com"), Domain("t.co")],
        aliases: &["twitter", "x", "x.com"],
    },
    Source {
        name: "LinkedIn",
        category: Social,
        hosts: &[Domain("linkedin.com"), Domain("lnkd.in")],
        aliases: &["linkedin", "li"],
    },
    Source {
        name: "Reddit",
        category: Social,
        hosts: &[Domain("reddit.com")],
        aliases: &["reddit"],
    },
    Source {
        name: "Pinterest",
        category: Social,
        hosts: &[Domain("pinterest.com"), Brand("pinterest")],
        aliases: &["pinterest"],
    },
    Source {
        name: "TikTok",
        category: Social,
        hosts: &[Domain("tiktok.com")],
        aliases: &["tiktok"],
    },
    Source {
        name: "Threads",
        category: Social,
        hosts: &[Domain("threads.net"), Domain("threads.com")],
        aliases: &["threads"],
    },
    Source {
        name: "Bluesky",
        category: Social,
        hosts: &[Domain("bsky.app")],
        aliases: &["bluesky", "bsky"],
    },
    Source {
        name: "Mastodon",
        category: Social,
        hosts: &[Domain("mastodon.social")],
        aliases: &["mastodon"],
    },
    Source {
        name: "Hacker News",
        category: Social,
        hosts: &[Domain("news.ycombinator.com")],
        aliases: &["hackernews", "hn"],
    },
    Source {
        name: "Quora",
        category: Social,
        hosts: &[Domain("quora.com")],
        aliases: &["quora"],
    },
    Source {
        name: "WhatsApp",
        category: Social,
        hosts: &[Domain("whatsapp.com"), Domain("wa.me")],
        aliases: &["whatsapp"],
    },
    Source {
        name: "Telegram",
        category: Social,
        hosts: &[Domain("t.me"), Domain("telegram.org")],
        aliases: &["telegram"],
    },
    Source {
        name: "VK",
        category: Social,
        hosts: &[Domain("vk.com")],
        aliases: &["vk"],
    },
    Source {
        name: "Slack",
        category: Social,
        hosts: &[Domain("slack.com"), Domain("com.slack")],
        aliases: &["slack"],
    },
    Source {
        name: "Discord",
        category: Social,
        hosts: &[Domain("discord.com"), Domain("discord.gg")],
        aliases: &["discord"],
    },
];

fn domain_matches(host: &str, domain: &str) -> bool {
    host == domain
        || host
            .strip_suffix(domain)
            .is_some_and(|rest| rest.ends_with('.'))
}

/// `brand` followed only by a country TLD or a second-level one (`.com`, `.co.uk`, `.de`).
fn brand_matches(host: &str, brand: &str) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    labels.iter().enumerate().any(|(i, label)| {
        let rest = &labels[i + 1..];
        *label == brand && !rest.is_empty() && rest.len() <= 2 && rest.iter().all(|l| l.len() <= 3)
    })
}

fn by_host(host: &str) -> Option<&'static Source> {
    SOURCES.iter().find(|s| {
        s.hosts.iter().any(|m| match m {
            Domain(d) => domain_matches(host, d),
            Brand(b) => brand_matches(host, b),
        })
    })
}

/// A source as sessions store it: a known source's name for any of its aliases or hosts
/// (`google`, `google.com` → "Google"), anything else as given — what a filter by source
/// compares.
pub fn source_name(raw: &str) -> String {
    by_alias(raw.trim()).map_or_else(|| raw.trim().to_owned(), |s| s.name.to_owned())
}

fn by_alias(utm_source: &str) -> Option<&'static Source> {
    let lower = utm_source.to_ascii_lowercase();
    SOURCES
        .iter()
        .find(|s| s.aliases.contains(&lower.as_str()))
        .or_else(|| by_host(&lower))
}

fn is_paid(medium: &str) -> bool {
    medium == "ppc"
        || medium == "retargeting"
        || medium.starts_with("paid")
        || medium.contains("cp")
}

fn is_email(value: &str) -> bool {
    ["email", "e-mail", "e_mail", "e mail", "newsletter"]
        .iter()
        .any(|w| value.contains(w))
}

/// A session's source, campaign and channel: what it is attributed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribution {
    pub channel: Channel,
    /// A known source's name ("Google"), `utm_source` as given, or the referring host;
    /// `None` for direct traffic.
    pub source: Option<String>,
    /// The referring host, without `www.`.
    pub referrer: Option<String>,
    pub utm: Utm,
    pub click_id: Option<ClickId>,
}

impl Attribution {
    pub fn direct() -> Self {
        Self {
            channel: Channel::Direct,
            source: None,
            referrer: None,
            utm: Utm::default(),
            click_id: None,
        }
    }
}

/// Where a session says it came from before any channel rule runs: GA4's source and medium.
struct Origin {
    known: Option<&'static Source>,
    /// The source as named: a known source's name, `utm_source` as given, or the referring host.
    source: Option<String>,
    /// Lower-case; empty when none was given.
    medium: String,
}

impl Origin {
    /// GA4's precedence: an ad platform's click id (auto-tagging) first, then campaign
    /// parameters, then the referrer. A referrer's medium is `organic` for a search engine,
    /// `email` for a webmail (closer's addition: GA4 says `referral`) and `referral` otherwise.
    fn of(referrer: Option<&str>, utm: &Utm, click_id: Option<ClickId>) -> Option<Self> {
        let named = |known: Option<&'static Source>, raw: Option<&str>, medium: &str| Self {
            known,
            source: known
                .map(|s| s.name.to_owned())
                .or_else(|| raw.map(str::to_owned)),
            medium: medium.to_owned(),
        };
        if let Some(click) = click_id.filter(|c| c.paid_medium().is_some()) {
            let medium = click.paid_medium().unwrap_or_default();
            return Some(named(by_alias(click.source()), None, medium));
        }
        if !utm.is_empty() {
            let medium = utm
                .medium
                .as_deref()
                .map(str::to_ascii_lowercase)
                .unwrap_or_default();
            let raw = utm.source.as_deref();
            return Some(named(raw.and_then(by_alias), raw, &medium));
        }
        if let Some(host) = referrer {
            let known = by_host(host);
            let medium = match known.map(|s| s.category) {
                Some(Search) => "organic",
                Some(Webmail) => "email",
                _ => "referral",
            };
            return Some(named(known, Some(host), medium));
        }
        // A click id that is no ad's (Facebook tags every outbound link) names the source of
        // a visit that has nothing else.
        click_id.map(|c| named(by_alias(c.source()), None, "referral"))
    }
}

/// Classifies a landing hit. `referrer` is the referring host (already without `www.`), or
/// `None`; pass `None` too when the referrer is the site itself (internal navigation).
pub fn classify(referrer: Option<&str>, utm: &Utm, click_id: Option<ClickId>) -> Attribution {
    let Some(origin) = Origin::of(referrer, utm, click_id) else {
        return Attribution {
            utm: utm.clone(),
            ..Attribution::direct()
        };
    };
    let medium = origin.medium.as_str();
    let category = origin.known.map(|s| s.category);
    let source_lower = origin
        .source
        .as_deref()
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let paid = is_paid(medium);
    // GA4's default channel group, in GA4's order (AI Assistants is closer's).
    let channel = if category == Some(Search) && paid {
        Channel::PaidSearch
    } else if category == Some(Social) && paid {
        Channel::PaidSocial
    } else if category == Some(Video) && paid {
        Channel::PaidVideo
    } else if ["display", "banner", "expandable", "interstitial", "cpm"].contains(&medium) {
        Channel::Display
    } else if paid {
        Channel::Other
    } else if category == Some(Ai) {
        Channel::AiAssistants
    } else if category == Some(Social)
        || [
            "social",
            "social-network",
            "social-media",
            "sm",
            "social network",
            "social media",
        ]
        .contains(&medium)
    {
        Channel::OrganicSocial
    } else if category == Some(Video) || medium.contains("video") {
        Channel::OrganicVideo
    } else if category == Some(Search) || medium == "organic" {
        Channel::OrganicSearch
    } else if ["referral", "app", "link"].contains(&medium) {
        Channel::Referral
    } else if is_email(medium) || is_email(&source_lower) {
        Channel::Email
    } else if medium == "affiliate" || medium == "affiliates" {
        Channel::Affiliates
    } else {
        Channel::Other
    };
    Attribution {
        channel,
        source: origin.source,
        referrer: referrer.map(str::to_owned),
        utm: utm.clone(),
        click_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utm(source: Option<&str>, medium: Option<&str>) -> Utm {
        Utm {
            source: source.map(Into::into),
            medium: medium.map(Into::into),
            ..Utm::default()
        }
    }

    /// (referrer, utm_source, utm_medium, click id, channel, source).
    type Case = (
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
        Option<ClickId>,
        Channel,
        Option<&'static str>,
    );

    /// One row per rule, at least.
    #[test]
    fn the_rule_table() {
        let cases: &[Case] = &[
            (None, None, None, None, Channel::Direct, None),
            (
                Some("google.com"),
                Some("google"),
                Some("cpc"),
                None,
                Channel::PaidSearch,
                Some("Google"),
            ),
            (
                None,
                None,
                None,
                Some(ClickId::Gclid),
                Channel::PaidSearch,
                Some("Google"),
            ),
            (
                Some("bing.com"),
                None,
                None,
                Some(ClickId::Msclkid),
                Channel::PaidSearch,
                Some("Bing"),
            ),
            (
                None,
                Some("facebook"),
                Some("paid_social"),
                None,
                Channel::PaidSocial,
                Some("Facebook"),
            ),
            (
                Some("linkedin.com"),
                None,
                None,
                Some(ClickId::LiFatId),
                Channel::PaidSocial,
                Some("LinkedIn"),
            ),
            (
                None,
                Some("youtube"),
                Some("cpv"),
                None,
                Channel::PaidVideo,
                Some("YouTube"),
            ),
            (
                None,
                Some("gdn"),
                Some("display"),
                None,
                Channel::Display,
                Some("gdn"),
            ),
            (
                None,
                Some("partner"),
                Some("cpa"),
                None,
                Channel::Other,
                Some("partner"),
            ),
            (
                Some("chatgpt.com"),
                None,
                None,
                None,
                Channel::AiAssistants,
                Some("ChatGPT"),
            ),
            (
                Some("gemini.google.com"),
                None,
                None,
                None,
                Channel::AiAssistants,
                Some("Gemini"),
            ),
            (
                Some("l.facebook.com"),
                None,
                None,
                Some(ClickId::Fbclid),
                Channel::OrganicSocial,
                Some("Facebook"),
            ),
            (
                Some("t.co"),
                None,
                None,
                None,
                Channel::OrganicSocial,
                Some("X (Twitter)"),
            ),
            (
                None,
                Some("forum"),
                Some("social"),
                None,
                Channel::OrganicSocial,
                Some("forum"),
            ),
            (
                Some("youtube.com"),
                None,
                None,
                None,
                Channel::OrganicVideo,
                Some("YouTube"),
            ),
            (
                Some("google.co.uk"),
                None,
                None,
                None,
                Channel::OrganicSearch,
                Some("Google"),
            ),
            (
                Some("duckduckgo.com"),
                None,
                None,
                None,
                Channel::OrganicSearch,
                Some("DuckDuckGo"),
            ),
            (
                Some("mail.google.com"),
                None,
                None,
                None,
                Channel::Email,
                Some("Gmail"),
            ),
            (
                None,
                Some("newsletter"),
                Some("email"),
                None,
                Channel::Email,
                Some("newsletter"),
            ),
            (
                None,
                Some("acme-partners"),
                Some("affiliate"),
                None,
                Channel::Affiliates,
                Some("acme-partners"),
            ),
            (
                Some("blog.example.org"),
                None,
                None,
                None,
                Channel::Referral,
                Some("blog.example.org"),
            ),
            (
                Some("googleblog.example.org"),
                None,
                None,
                None,
                Channel::Referral,
                Some("googleblog.example.org"),
            ),
            (
                None,
                Some("flyer"),
                Some("print"),
                None,
                Channel::Other,
                Some("flyer"),
            ),
            // Campaign parameters decide before the referrer (GA4's precedence).
            (
                Some("google.com"),
                Some("newsletter"),
                Some("email"),
                None,
                Channel::Email,
                Some("newsletter"),
            ),
            (
                Some("blog.example.org"),
                Some("spring-promo"),
                None,
                None,
                Channel::Other,
                Some("spring-promo"),
            ),
            // An ad's click id decides before campaign parameters (auto-tagging).
            (
                None,
                Some("newsletter"),
                Some("email"),
                Some(ClickId::Gclid),
                Channel::PaidSearch,
                Some("Google"),
            ),
            (
                None,
                None,
                None,
                Some(ClickId::Fbclid),
                Channel::OrganicSocial,
                Some("Facebook"),
            ),
        ];
        for (referrer, source, medium, click, channel, name) in cases {
            let a = classify(*referrer, &utm(*source, *medium), *click);
            assert_eq!(
                (a.channel, a.source.as_deref()),
                (*channel, *name),
                "{referrer:?} {source:?} {medium:?} {click:?}"
            );
        }
    }

    #[test]
    fn names_round_trip() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
    }
}
