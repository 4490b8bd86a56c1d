//! `Signal`: what scoring sees of one event, whichever way it arrived (a stored timeline event
//! for `closer rescore`, or a hit fresh from the tracker for incremental scoring).

use serde_json::{Map, Value};

use crate::traffic::{Hit, HitKind};
use crate::{Event, EventKind, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignalKind {
    Pageview,
    FormSubmitted,
    /// A custom event; the name lower-cased.
    Custom(String),
    /// Time on the page (an engagement ping): extends the visit, matches no rule.
    Engagement,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    /// The timeline event's id, when it has one yet (a hit in flight has none).
    pub event_id: Option<uuid::Uuid>,
    pub kind: SignalKind,
    pub at: Timestamp,
    pub path: Option<String>,
    /// The form's name, for form submissions.
    pub form: Option<String>,
    /// Custom event properties, or the submitted form's fields.
    pub props: Map<String, Value>,
}

impl Signal {
    /// Stage moves and other bookkeeping events are not signals.
    pub fn from_event(event: &Event) -> Option<Self> {
        let p = &event.properties;
        let text = |key: &str| p.get(key).and_then(Value::as_str).map(str::to_owned);
        let object = |key: &str| {
            p.get(key)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let kind = match event.kind {
            EventKind::Pageview | EventKind::CustomEvent => {
                let name = match event.kind {
                    EventKind::Pageview => "pageview".to_owned(),
                    _ => text("name")?,
                };
                return Some(Self::tracked(
                    event.id.0,
                    &name,
                    event.occurred_at,
                    text("path"),
                    object("props"),
                ));
            }
            EventKind::FormSubmitted => SignalKind::FormSubmitted,
            EventKind::StageChanged
            | EventKind::Activity
            | EventKind::DealMoved
            | EventKind::OrderPlaced
            | EventKind::Merged => return None,
        };
        let path = text("page").and_then(|u| url::Url::parse(&u).ok().map(|u| u.path().to_owned()));
        Some(Self {
            event_id: Some(event.id.0),
            kind,
            at: event.occurred_at,
            path,
            form: text("form_name"),
            props: object("fields"),
        })
    }

    /// A stored tracked event (`name` is `pageview` for a page view, else the custom event's):
    /// what `from_event` makes of one, built straight from its columns by bulk readers.
    pub fn tracked(
        event_id: uuid::Uuid,
        name: &str,
        at: Timestamp,
        path: Option<String>,
        props: Map<String, Value>,
    ) -> Self {
        let kind = if name == "pageview" {
            SignalKind::Pageview
        } else {
            SignalKind::Custom(name.to_lowercase())
        };
        Self {
            event_id: Some(event_id),
            kind,
            at,
            path,
            form: None,
            props,
        }
    }

    pub fn from_hit(hit: &Hit) -> Self {
        let kind = match &hit.kind {
            HitKind::Pageview => SignalKind::Pageview,
            HitKind::Custom(name) => SignalKind::Custom(name.to_lowercase()),
            HitKind::Engagement => SignalKind::Engagement,
        };
        Self {
            event_id: None,
            kind,
            at: hit.occurred_at,
            path: Some(hit.path.clone()),
            form: None,
            props: hit.props.clone(),
        }
    }

    /// The property's value as text (numbers and booleans as written), if present.
    pub fn prop(&self, key: &str) -> Option<String> {
        match self.props.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        }
    }
}
