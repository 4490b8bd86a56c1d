//! Events on a contact's timeline: captures and stage moves (stored with the contact) and the
//! tracked page views and custom events of the contact's visitors, the rep's activities, the
//! contact's deals' stage moves and its orders (merged in when read).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{ContactId, EventId, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A lead-capture form was submitted: a target action (DOMAIN.md).
    FormSubmitted,
    /// The contact moved between lifecycle stages.
    StageChanged,
    /// A tracked page view by one of the contact's visitors (before or after they became a
    /// contact).
    Pageview,
    /// A tracked custom event ("Signup", "Download"…) by one of the contact's visitors.
    CustomEvent,
    /// A call, email, meeting, demo or note a rep logged (from `activities`, merged in).
    Activity,
    /// One of the contact's deals entered a stage (from deal history, merged in).
    DealMoved,
    /// The contact placed an order (from `orders`, merged in).
    OrderPlaced,
    /// Other records of the same person were merged into this contact.
    Merged,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::FormSubmitted => "form_submitted",
            EventKind::StageChanged => "stage_changed",
            EventKind::Pageview => "pageview",
            EventKind::CustomEvent => "custom_event",
            EventKind::Activity => "activity",
            EventKind::DealMoved => "deal_moved",
            EventKind::OrderPlaced => "order_placed",
            EventKind::Merged => "merged",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "form_submitted" => Some(EventKind::FormSubmitted),
            "stage_changed" => Some(EventKind::StageChanged),
            "pageview" => Some(EventKind::Pageview),
            "custom_event" => Some(EventKind::CustomEvent),
            "activity" => Some(EventKind::Activity),
            "deal_moved" => Some(EventKind::DealMoved),
            "order_placed" => Some(EventKind::OrderPlaced),
            "merged" => Some(EventKind::Merged),
            _ => None,
        }
    }
}

/// An event to record with a contact write, in the same transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub id: EventId,
    pub kind: EventKind,
    pub occurred_at: Timestamp,
    /// Always a JSON object.
    pub properties: Value,
}

/// A stored event, as the timeline shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: EventId,
    pub contact_id: ContactId,
    pub kind: EventKind,
    pub occurred_at: Timestamp,
    pub properties: Value,
}
