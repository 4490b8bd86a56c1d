//! What a report is broken down by: a first-touch dimension, the owner, or any contact
//! property — parsed once from `by=`.

use crate::FieldError;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Breakdown {
    /// One group: the whole business.
    #[default]
    Total,
    /// The contact's first-touch channel (organic_search, paid_search, email…).
    Channel,
    /// The first touch's source (Google, a referring host, `utm_source`).
    Source,
    /// The first touch's `utm_campaign`.
    Campaign,
    /// The tracked site of the first touch.
    Site,
    /// The owner: the deal's for deal figures, the contact's otherwise.
    Owner,
    /// A contact property, by name (`property:plan`).
    Property(String),
}

impl Breakdown {
    /// `channel`, `source`, `campaign`, `site`, `owner`, `property:NAME`; empty or `total`
    /// for none.
    pub fn parse(raw: Option<&str>) -> Result<Self, FieldError> {
        let raw = raw.unwrap_or("").trim();
        Ok(match raw {
            "" | "total" => Self::Total,
            "channel" => Self::Channel,
            "source" => Self::Source,
            "campaign" => Self::Campaign,
            "site" => Self::Site,
            "owner" => Self::Owner,
            _ => {
                let Some(name) = raw.strip_prefix("property:") else {
                    return Err(FieldError::new(
                        "by",
                        format!(
                            "{raw:?} is not a breakdown: use channel, source, campaign, site, \
                             owner or property:NAME"
                        ),
                    ));
                };
                let ok = !name.is_empty()
                    && name.len() <= 64
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
                if !ok {
                    return Err(FieldError::new(
                        "by",
                        format!("{name:?} is not a property name (1 to 64 letters, digits, _ - .)"),
                    ));
                }
                Self::Property(name.to_owned())
            }
        })
    }

    pub fn as_string(&self) -> String {
        match self {
            Self::Total => "total".into(),
            Self::Channel => "channel".into(),
            Self::Source => "source".into(),
            Self::Campaign => "campaign".into(),
            Self::Site => "site".into(),
            Self::Owner => "owner".into(),
            Self::Property(p) => format!("property:{p}"),
        }
    }

    /// Whether anonymous traffic can be split this way (it has no owner or properties).
    pub fn splits_traffic(&self) -> bool {
        matches!(
            self,
            Self::Total | Self::Channel | Self::Source | Self::Campaign | Self::Site
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breakdowns_parse_and_refuse_precisely() {
        assert_eq!(Breakdown::parse(None).unwrap(), Breakdown::Total);
        assert_eq!(
            Breakdown::parse(Some("channel")).unwrap(),
            Breakdown::Channel
        );
        assert_eq!(
            Breakdown::parse(Some("property:plan")).unwrap(),
            Breakdown::Property("plan".into())
        );
        let e = Breakdown::parse(Some("colour")).unwrap_err();
        assert_eq!(e.field, "by");
        assert!(e.message.contains("property:NAME"), "{}", e.message);
        assert!(Breakdown::parse(Some("property:")).is_err());
        assert!(Breakdown::parse(Some("property:a'b")).is_err());
        assert_eq!(
            Breakdown::parse(Some("property:plan")).unwrap().as_string(),
            "property:plan"
        );
    }
}
