//! Lifecycle stages, in funnel order (DOMAIN.md: lead → prospect → opportunity → customer).

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// Where a person stands in the funnel. Anonymous visitors are not contacts yet (tracking
/// brings them); `Disqualified` sits outside the forward order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Lead,
    Prospect,
    Opportunity,
    Customer,
    Disqualified,
}

impl Stage {
    pub const ALL: [Stage; 5] = [
        Stage::Lead,
        Stage::Prospect,
        Stage::Opportunity,
        Stage::Customer,
        Stage::Disqualified,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Lead => "lead",
            Stage::Prospect => "prospect",
            Stage::Opportunity => "opportunity",
            Stage::Customer => "customer",
            Stage::Disqualified => "disqualified",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw.trim())
            .ok_or_else(|| {
                FieldError::new(
                    "stage",
                    format!(
                        "{raw:?} is not a stage; use one of lead, prospect, opportunity, customer, disqualified"
                    ),
                )
            })
    }

    /// Position in the forward funnel; `None` for `Disqualified`.
    pub fn rank(self) -> Option<u8> {
        match self {
            Stage::Lead => Some(0),
            Stage::Prospect => Some(1),
            Stage::Opportunity => Some(2),
            Stage::Customer => Some(3),
            Stage::Disqualified => None,
        }
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_names() {
        for s in Stage::ALL {
            assert_eq!(Stage::parse(s.as_str()).unwrap(), s);
        }
        assert!(Stage::parse("visitor").is_err());
    }
}

/// The move a sales event makes on its contact's stage: from any stage in `from` to `to`. From
/// any other stage the contact stays where a person (or a later event) put them; nobody is
/// moved back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Advance {
    pub from: &'static [Stage],
    pub to: Stage,
}

impl Advance {
    /// A deal opened for the contact: they are in a sales conversation.
    pub const DEAL_OPENED: Advance = Advance {
        from: &[Stage::Lead, Stage::Prospect, Stage::Disqualified],
        to: Stage::Opportunity,
    };

    /// A deal won, or an order placed: they bought.
    pub const BOUGHT: Advance = Advance {
        from: &[
            Stage::Lead,
            Stage::Prospect,
            Stage::Opportunity,
            Stage::Disqualified,
        ],
        to: Stage::Customer,
    };

    /// Whether a contact at `current` moves.
    pub fn moves(self, current: Stage) -> bool {
        self.from.contains(&current)
    }
}

#[cfg(test)]
mod advance_tests {
    use super::*;

    #[test]
    fn sales_events_move_contacts_forward_only() {
        assert!(Advance::DEAL_OPENED.moves(Stage::Lead));
        assert!(Advance::DEAL_OPENED.moves(Stage::Disqualified));
        assert!(!Advance::DEAL_OPENED.moves(Stage::Customer));
        assert!(Advance::BOUGHT.moves(Stage::Opportunity));
        // A repeat purchase keeps a customer a customer.
        assert!(!Advance::BOUGHT.moves(Stage::Customer));
    }
}

/// When a new stay (in a contact's or a deal's stage) begins, given when the open one began:
/// now, but never before the stay it closes — so a history stays in order when a write
/// carries an earlier clock (another node's, or a late one).
pub fn next_stay_start(
    open_since: Option<crate::Timestamp>,
    now: crate::Timestamp,
) -> crate::Timestamp {
    open_since.map_or(now, |open| open.max(now))
}

#[cfg(test)]
mod stay_tests {
    use super::*;
    use crate::Timestamp;

    #[test]
    fn a_stay_never_begins_before_the_one_it_closes() {
        let t = |s: i64| Timestamp::from_unix_micros(s * 1_000_000).unwrap();
        assert_eq!(next_stay_start(None, t(10)), t(10));
        assert_eq!(next_stay_start(Some(t(5)), t(10)), t(10));
        assert_eq!(next_stay_start(Some(t(15)), t(10)), t(15));
    }
}
