//! A hit: one tracked event (a page view, a custom event, or an engagement ping), validated
//! from whatever wire format carried it.

use serde_json::{Map, Value};

use super::channel::Attribution;
use super::site::SiteId;
use super::url::{PageUrl, referrer_host};
use super::visitor::VisitorKey;
use crate::{FieldError, Timestamp, WorkspaceId};

/// Limits on custom properties (Plausible's own: 30 keys, 300-byte keys, 2,000-byte values).
pub const MAX_PROPS: usize = 30;
pub const MAX_PROP_KEY: usize = 300;
pub const MAX_PROP_VALUE: usize = 2_000;
pub const MAX_NAME: usize = 120;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HitKind {
    Pageview,
    /// A custom event ("Signup", "Download"…).
    Custom(String),
    /// Plausible's engagement ping (time on page, scroll depth): extends the session, is not
    /// stored as an event of its own.
    Engagement,
}

impl HitKind {
    pub fn parse(name: &str) -> Result<Self, FieldError> {
        let name = name.trim();
        if name.is_empty() || name.len() > MAX_NAME || name.chars().any(char::is_control) {
            return Err(FieldError::new(
                "name",
                format!("must be 1 to {MAX_NAME} characters, no control characters"),
            ));
        }
        Ok(match name {
            "pageview" => HitKind::Pageview,
            "engagement" => HitKind::Engagement,
            other => HitKind::Custom(other.to_owned()),
        })
    }

    /// The event name as stored.
    pub fn name(&self) -> &str {
        match self {
            HitKind::Pageview => "pageview",
            HitKind::Engagement => "engagement",
            HitKind::Custom(n) => n,
        }
    }
}

/// Custom properties: string values under string keys, within the limits above.
pub type Props = Map<String, Value>;

fn parse_props(raw: &Value) -> Result<Props, FieldError> {
    let bad = |m: String| FieldError::new("props", m);
    // Some trackers send props JSON-encoded in a string.
    let decoded;
    let value = match raw {
        Value::String(s) if s.trim().is_empty() => return Ok(Props::new()),
        Value::String(s) => {
            decoded = serde_json::from_str::<Value>(s).map_err(|_| {
                bad("must be an object (or an object encoded as a JSON string)".into())
            })?;
            &decoded
        }
        Value::Null => return Ok(Props::new()),
        other => other,
    };
    let Value::Object(map) = value else {
        return Err(bad("must be an object".into()));
    };
    if map.len() > MAX_PROPS {
        return Err(bad(format!(
            "at most {MAX_PROPS} properties (got {})",
            map.len()
        )));
    }
    let mut props = Props::new();
    for (key, v) in map {
        if key.is_empty() || key.len() > MAX_PROP_KEY {
            return Err(bad(format!("keys must be 1 to {MAX_PROP_KEY} bytes")));
        }
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => continue,
            _ => {
                return Err(bad(format!(
                    "{key:?}: values must be strings, numbers or booleans"
                )));
            }
        };
        if text.len() > MAX_PROP_VALUE {
            return Err(bad(format!(
                "{key:?}: values must be at most {MAX_PROP_VALUE} bytes"
            )));
        }
        props.insert(key.clone(), Value::String(text));
    }
    Ok(props)
}

/// Revenue attached to a custom event (a purchase): an exact decimal amount and a currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revenue {
    /// A plain decimal (`49.90`), kept as text: money is never a float.
    pub amount: String,
    /// ISO 4217, upper-case.
    pub currency: String,
}

fn parse_revenue(raw: &Value) -> Result<Option<Revenue>, FieldError> {
    let bad = || {
        FieldError::new(
            "revenue",
            "must be {\"amount\": \"49.90\", \"currency\": \"EUR\"}",
        )
    };
    let decoded;
    let value = match raw {
        Value::Null => return Ok(None),
        Value::String(s) => {
            decoded = serde_json::from_str::<Value>(s).map_err(|_| bad())?;
            &decoded
        }
        other => other,
    };
    let obj = value.as_object().ok_or_else(bad)?;
    let amount = match obj.get("amount") {
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(bad()),
    };
    let (int, frac) = amount.split_once('.').unwrap_or((&amount, ""));
    let digits_ok = !int.is_empty()
        && int.len() <= 15
        && frac.len() <= 6
        && int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit());
    let currency = obj
        .get("currency")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_ascii_uppercase();
    if !digits_ok || currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(bad());
    }
    Ok(Some(Revenue { amount, currency }))
}

/// What an ingestion endpoint read off the wire, before validation.
pub struct HitInput<'a> {
    pub name: &'a str,
    pub url: &'a str,
    pub referrer: Option<&'a str>,
    pub props: Option<&'a Value>,
    pub revenue: Option<&'a Value>,
    /// Keep `#fragment` in the path (hash-routed single-page apps).
    pub hash_routing: bool,
    /// `false` for events that should not stop a visit counting as a bounce.
    pub interactive: bool,
}

/// A hit's own content, valid, before it is placed on a site and a visitor.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedHit {
    pub kind: HitKind,
    pub page: PageUrl,
    /// Referring host, without `www.`.
    pub referrer: Option<String>,
    pub props: Props,
    pub revenue: Option<Revenue>,
    pub interactive: bool,
}

impl HitInput<'_> {
    /// Every field checked; every problem reported at once.
    pub fn parse(&self) -> Result<ParsedHit, Vec<FieldError>> {
        let mut errors = Vec::new();
        let kind = HitKind::parse(self.name).map_err(|e| errors.push(e)).ok();
        let page = PageUrl::parse("url", self.url, self.hash_routing)
            .map_err(|e| errors.push(e))
            .ok();
        let props = self
            .props
            .map_or(Ok(Props::new()), parse_props)
            .map_err(|e| errors.push(e))
            .ok();
        let revenue = self
            .revenue
            .map_or(Ok(None), parse_revenue)
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        match (kind, page, props) {
            (Some(kind), Some(page), Some(props)) if errors.is_empty() => Ok(ParsedHit {
                kind,
                page,
                referrer: self.referrer.and_then(referrer_host),
                props,
                revenue,
                interactive: self.interactive,
            }),
            _ => Err(errors),
        }
    }
}

/// A hit ready to store: on a site, from a visitor, attributed.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub workspace_id: WorkspaceId,
    pub site_id: SiteId,
    pub visitor: VisitorKey,
    pub kind: HitKind,
    pub occurred_at: Timestamp,
    pub path: String,
    /// Where this hit says the visit came from; a new session takes its first hit's.
    pub attribution: Attribution,
    pub props: Props,
    pub revenue: Option<Revenue>,
    pub interactive: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input<'a>(name: &'a str, url: &'a str, props: Option<&'a Value>) -> HitInput<'a> {
        HitInput {
            name,
            url,
            referrer: None,
            props,
            revenue: None,
            hash_routing: false,
            interactive: true,
        }
    }

    #[test]
    fn kinds() {
        assert_eq!(HitKind::parse("pageview").unwrap(), HitKind::Pageview);
        assert_eq!(
            HitKind::parse("Signup").unwrap(),
            HitKind::Custom("Signup".into())
        );
        assert!(HitKind::parse("").is_err() && HitKind::parse(&"x".repeat(121)).is_err());
    }

    #[test]
    fn props_as_object_or_string_within_limits() {
        let p = json!({"plan": "pro", "seats": 3, "trial": true, "gone": null});
        let parsed = input("Signup", "https://a.io/", Some(&p)).parse().unwrap();
        assert_eq!(
            Value::Object(parsed.props),
            json!({"plan": "pro", "seats": "3", "trial": "true"})
        );
        let s = json!("{\"plan\":\"pro\"}");
        assert_eq!(
            input("x", "https://a.io/", Some(&s))
                .parse()
                .unwrap()
                .props
                .len(),
            1
        );
        let many: Map<String, Value> = (0..10_000).map(|i| (format!("k{i}"), json!("v"))).collect();
        let many = Value::Object(many);
        assert!(input("x", "https://a.io/", Some(&many)).parse().is_err());
        let nested = json!({"a": {"b": 1}});
        assert!(input("x", "https://a.io/", Some(&nested)).parse().is_err());
    }

    #[test]
    fn every_error_at_once() {
        let errors = input("", "/no-host", None).parse().unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "url"]);
    }

    #[test]
    fn revenue() {
        let ok = json!({"amount": "49.90", "currency": "eur"});
        assert_eq!(
            parse_revenue(&ok).unwrap(),
            Some(Revenue {
                amount: "49.90".into(),
                currency: "EUR".into()
            })
        );
        let num = json!({"amount": 12, "currency": "USD"});
        assert_eq!(parse_revenue(&num).unwrap().unwrap().amount, "12");
        for bad in [
            json!({"amount": "-1", "currency": "USD"}),
            json!({"amount": "1e9", "currency": "USD"}),
            json!({"amount": "5", "currency": "dollars"}),
            json!(5),
        ] {
            assert!(parse_revenue(&bad).is_err(), "{bad}");
        }
    }
}
