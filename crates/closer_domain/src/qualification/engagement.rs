//! The engagement score, kept incrementally: a contact's `ScoreState` takes one signal at a
//! time (`apply`), so a new event costs a read and a write of one small record, never a rescan.
//!
//! Decay is exponential (a half-life), which is what makes this exact: a total decayed to
//! `as_of` is decayed further by multiplying, and a new point added at `t` is worth
//! `points × ½^((now − t) / half-life)` later whatever else happened in between.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::rules::{EngagementRule, EventMatch, Rules};
use super::signal::{Signal, SignalKind};
use crate::Timestamp;

/// A visit ends after this long without activity (as tracking's sessions do).
pub const VISIT_GAP_SECONDS: f64 = 30.0 * 60.0;

// The state is stored once per contact (a million contacts: a million of them rewritten by a
// rescore), so its JSON is terse: short keys, times as integer microseconds, zeros left out.
// Interfaces show it through their own views, never this encoding.

fn is_zero<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// `Option<Timestamp>` as integer microseconds.
mod micros {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::Timestamp;

    #[allow(clippy::ref_option)]
    pub fn serialize<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_i64(t.unix_micros()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
        Option::<i64>::deserialize(d)?
            .map(|m| {
                Timestamp::from_unix_micros(m)
                    .ok_or_else(|| serde::de::Error::custom("time out of range"))
            })
            .transpose()
    }
}

/// One rule's running total for a contact.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleTally {
    /// Events that met the rule's conditions, whether or not they earned points.
    #[serde(rename = "m", default, skip_serializing_if = "is_zero")]
    pub matches: u64,
    /// Points given so far, before decay.
    #[serde(rename = "a", default, skip_serializing_if = "is_zero")]
    pub awarded: f64,
    /// The decayed total at the state's `as_of`.
    #[serde(rename = "v", default, skip_serializing_if = "is_zero")]
    pub value: f64,
    #[serde(
        rename = "t",
        default,
        with = "micros",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_matched_at: Option<Timestamp>,
    /// The `limit` period of the latest match, and how many matches it has had.
    #[serde(rename = "p", default, skip_serializing_if = "is_zero")]
    pub period: i64,
    #[serde(rename = "n", default, skip_serializing_if = "is_zero")]
    pub period_count: u32,
}

/// Points one event earned from one rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    pub rule: String,
    pub event_id: Option<uuid::Uuid>,
    pub points: f64,
    pub at: Timestamp,
    /// Why fewer points than the rule gives (`cap`, `limit`), if so.
    pub note: Option<String>,
}

/// Visits and activity, for temperature and the "came back" condition.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    #[serde(rename = "v", default, skip_serializing_if = "is_zero")]
    pub visits: u32,
    #[serde(rename = "pv", default, skip_serializing_if = "is_zero")]
    pub pageviews: u64,
    #[serde(rename = "lv", default, skip_serializing_if = "is_zero")]
    pub longest_visit_seconds: f64,
    #[serde(
        rename = "vs",
        default,
        with = "micros",
        skip_serializing_if = "Option::is_none"
    )]
    pub visit_started_at: Option<Timestamp>,
    #[serde(
        rename = "f",
        default,
        with = "micros",
        skip_serializing_if = "Option::is_none"
    )]
    pub first_at: Option<Timestamp>,
    #[serde(
        rename = "l",
        default,
        with = "micros",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_at: Option<Timestamp>,
    /// When a visit began at least a visit-gap after the contact became a lead.
    #[serde(
        rename = "r",
        default,
        with = "micros",
        skip_serializing_if = "Option::is_none"
    )]
    pub returned_after_lead_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
/// Kept small on purpose (one is stored per contact): contributions event by event are not
/// stored but recomputed from the timeline when a contact is explained.
pub struct ScoreState {
    /// The time the tallies' decayed values refer to.
    #[serde(
        rename = "at",
        default,
        with = "micros",
        skip_serializing_if = "Option::is_none"
    )]
    pub as_of: Option<Timestamp>,
    #[serde(rename = "r", default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rules: BTreeMap<String, RuleTally>,
    #[serde(rename = "a", default)]
    pub activity: Activity,
    #[serde(rename = "s", default, skip_serializing_if = "is_zero")]
    pub signals: u64,
}

fn seconds(from: Timestamp, to: Timestamp) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let micros = (to.unix_micros() - from.unix_micros()) as f64;
    micros / 1e6
}

/// ½^(elapsed / half-life); elapsed may be negative (a value moved back in time grows).
pub fn decay(half_life_days: f64, from: Timestamp, to: Timestamp) -> f64 {
    0.5_f64.powf(seconds(from, to) / (half_life_days * 86_400.0))
}

fn matches(rule: &EngagementRule, signal: &Signal) -> bool {
    let kind = match (&rule.event, &signal.kind) {
        (EventMatch::Pageview, SignalKind::Pageview)
        | (EventMatch::FormSubmitted, SignalKind::FormSubmitted) => true,
        (EventMatch::Custom(want), SignalKind::Custom(name)) => want == name,
        _ => false,
    };
    kind && rule
        .path
        .as_ref()
        .is_none_or(|p| signal.path.as_deref().is_some_and(|path| p.matches(path)))
        && rule
            .form
            .as_ref()
            .is_none_or(|p| signal.form.as_deref().is_some_and(|f| p.matches(f)))
        && rule
            .props
            .iter()
            .all(|(key, p)| signal.prop(key).is_some_and(|v| p.matches(&v)))
}

impl ScoreState {
    /// The engagement score at `now`: the rules' decayed totals, clamped to 0–100.
    pub fn engagement(&self, rules: &Rules, now: Timestamp) -> f64 {
        let Some(as_of) = self.as_of else { return 0.0 };
        let factor = decay(rules.half_life_days, as_of, now);
        let total: f64 = self.rules.values().map(|t| t.value).sum::<f64>() * factor;
        total.clamp(0.0, 100.0)
    }

    /// One rule's decayed total at `now`.
    pub fn rule_value(&self, rules: &Rules, rule: &str, now: Timestamp) -> f64 {
        match (self.as_of, self.rules.get(rule)) {
            (Some(as_of), Some(t)) => t.value * decay(rules.half_life_days, as_of, now),
            _ => 0.0,
        }
    }

    /// Takes one signal: visits and activity, then every rule it meets. `lead_at` is when the
    /// contact became a lead (for "came back after becoming a lead"). Returns what it earned.
    pub fn apply(
        &mut self,
        rules: &Rules,
        signal: &Signal,
        lead_at: Timestamp,
    ) -> Vec<Contribution> {
        self.signals += 1;
        self.track_activity(signal, lead_at);
        // Move the decay reference forward to the newest signal; an older one is added at its
        // decayed worth instead.
        let worth = match self.as_of {
            Some(as_of) if signal.at < as_of => decay(rules.half_life_days, signal.at, as_of),
            Some(as_of) => {
                let factor = decay(rules.half_life_days, as_of, signal.at);
                for t in self.rules.values_mut() {
                    t.value *= factor;
                }
                self.as_of = Some(signal.at);
                1.0
            }
            None => {
                self.as_of = Some(signal.at);
                1.0
            }
        };
        let mut earned = Vec::new();
        for rule in rules.engagement.iter().filter(|r| matches(r, signal)) {
            let tally = self.rules.entry(rule.name.clone()).or_default();
            tally.matches += 1;
            if tally.last_matched_at.is_none_or(|t| t < signal.at) {
                tally.last_matched_at = Some(signal.at);
            }
            let mut note = None;
            let mut points = rule.points;
            if let Some(limit) = rule.limit {
                let period = signal
                    .at
                    .unix_micros()
                    .div_euclid(limit.per.seconds() * 1_000_000);
                if period > tally.period || tally.period_count == 0 {
                    tally.period = period;
                    tally.period_count = 0;
                }
                if period == tally.period {
                    tally.period_count += 1;
                    if tally.period_count > limit.times {
                        points = 0.0;
                        note = Some(format!("limit: {} a {}", limit.times, limit.per.as_str()));
                    }
                }
            }
            if let Some(cap) = rule.cap
                && points != 0.0
            {
                let room = if points > 0.0 {
                    (cap - tally.value).max(0.0)
                } else {
                    (cap + tally.value).max(0.0)
                };
                let allowed = room / worth;
                if points.abs() > allowed {
                    points = allowed.copysign(points);
                    note = Some(format!("cap: {cap}"));
                }
            }
            tally.awarded += points;
            tally.value += points * worth;
            let c = Contribution {
                rule: rule.name.clone(),
                event_id: signal.event_id,
                points,
                at: signal.at,
                note,
            };
            earned.push(c);
        }
        earned
    }

    fn track_activity(&mut self, signal: &Signal, lead_at: Timestamp) {
        let a = &mut self.activity;
        if signal.kind == SignalKind::Pageview {
            a.pageviews += 1;
        }
        if a.first_at.is_none_or(|t| signal.at < t) {
            a.first_at = Some(signal.at);
        }
        let new_visit = a
            .last_at
            .is_none_or(|last| seconds(last, signal.at) > VISIT_GAP_SECONDS);
        match a.last_at {
            // An event older than the latest counts, but does not reshape visits.
            Some(last) if signal.at < last => return,
            _ => {}
        }
        if new_visit {
            a.visits += 1;
            a.visit_started_at = Some(signal.at);
            if a.returned_after_lead_at.is_none() && seconds(lead_at, signal.at) > VISIT_GAP_SECONDS
            {
                a.returned_after_lead_at = Some(signal.at);
            }
        } else if let Some(start) = a.visit_started_at {
            a.longest_visit_seconds = a.longest_visit_seconds.max(seconds(start, signal.at));
        }
        a.last_at = Some(signal.at);
    }
}
