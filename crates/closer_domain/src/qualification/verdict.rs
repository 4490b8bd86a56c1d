//! Verdicts from a contact's state: temperature (seed 004's cold, warm and hot, cooling with
//! inactivity) and whether a lead has become a prospect (seed 003's "specific interest"), each
//! with the sentence that explains it.

use serde::{Deserialize, Serialize};

use super::engagement::ScoreState;
use super::rules::{RETURNED_AFTER_LEAD, Rules};
use crate::{FieldError, Stage, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Temperature {
    Cold,
    Warm,
    Hot,
}

impl Temperature {
    pub fn as_str(self) -> &'static str {
        match self {
            Temperature::Cold => "cold",
            Temperature::Warm => "warm",
            Temperature::Hot => "hot",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw.trim() {
            "cold" => Ok(Temperature::Cold),
            "warm" => Ok(Temperature::Warm),
            "hot" => Ok(Temperature::Hot),
            other => Err(FieldError::new(
                "temperature",
                format!("{other:?} is not a temperature; use cold, warm or hot"),
            )),
        }
    }

    fn cooler(self) -> Self {
        match self {
            Temperature::Hot => Temperature::Warm,
            Temperature::Warm | Temperature::Cold => Temperature::Cold,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TemperatureVerdict {
    pub temperature: Temperature,
    pub reason: String,
}

fn days(from: Timestamp, to: Timestamp) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let micros = (to.unix_micros() - from.unix_micros()) as f64;
    micros / 86_400e6
}

/// The latest time every rule of `group` matched, if each did.
fn group_matched_at(state: &ScoreState, group: &[String]) -> Option<Timestamp> {
    group
        .iter()
        .map(|name| state.rules.get(name).and_then(|t| t.last_matched_at))
        .try_fold(None, |latest: Option<Timestamp>, at| {
            at.map(|at| Some(latest.map_or(at, |l| l.max(at))))
        })
        .flatten()
}

/// Hot, warm or cold before cooling, with the reason.
fn base(rules: &Rules, state: &ScoreState, funnel: Stage, now: Timestamp) -> TemperatureVerdict {
    let t = &rules.temperature;
    let finished_at = t
        .finished_when
        .iter()
        .filter_map(|name| state.rules.get(name).and_then(|r| r.last_matched_at))
        .max();
    let hot = t
        .hot_when
        .iter()
        .filter_map(|group| group_matched_at(state, group).map(|at| (group, at)))
        .filter(|(_, at)| days(*at, now) <= t.hot_within_days)
        .max_by_key(|(_, at)| *at);
    if let Some((group, at)) = hot {
        let what = group.join(" + ");
        if funnel == Stage::Customer {
            return warm_or_cold(
                rules,
                state,
                Some(format!("{what} ({at}), but already a customer")),
            );
        }
        if let Some(done) = finished_at.filter(|done| *done >= at) {
            return warm_or_cold(
                rules,
                state,
                Some(format!("{what} ({at}), then finished ({done})")),
            );
        }
        return TemperatureVerdict {
            temperature: Temperature::Hot,
            reason: format!(
                "began buying: {what} on {at}, within {} days, and has not finished",
                t.hot_within_days
            ),
        };
    }
    warm_or_cold(rules, state, None)
}

fn warm_or_cold(rules: &Rules, state: &ScoreState, not_hot: Option<String>) -> TemperatureVerdict {
    let t = &rules.temperature;
    let a = &state.activity;
    let prefix = not_hot
        .map(|n| format!("not hot: {n}; "))
        .unwrap_or_default();
    let why = if a.visits >= t.warm_visits {
        Some(format!(
            "came back: {} visits (warm from {})",
            a.visits, t.warm_visits
        ))
    } else if a.longest_visit_seconds >= t.warm_visit_seconds {
        Some(format!(
            "stayed {:.0} s in one visit (warm from {} s)",
            a.longest_visit_seconds, t.warm_visit_seconds
        ))
    } else if a.pageviews >= u64::from(t.warm_pageviews) {
        Some(format!(
            "{} page views (warm from {})",
            a.pageviews, t.warm_pageviews
        ))
    } else {
        None
    };
    match why {
        Some(why) => TemperatureVerdict {
            temperature: Temperature::Warm,
            reason: format!("{prefix}{why}"),
        },
        None if a.visits == 0 => TemperatureVerdict {
            temperature: Temperature::Cold,
            reason: format!("{prefix}no tracked visits yet"),
        },
        None => TemperatureVerdict {
            temperature: Temperature::Cold,
            reason: format!(
                "{prefix}{} visit(s), {} page view(s), longest visit {:.0} s: entered and left quickly",
                a.visits, a.pageviews, a.longest_visit_seconds
            ),
        },
    }
}

/// The temperature at `now`, cooled by inactivity.
pub fn temperature(
    rules: &Rules,
    state: &ScoreState,
    funnel: Stage,
    now: Timestamp,
) -> TemperatureVerdict {
    let mut verdict = base(rules, state, funnel, now);
    let Some(last) = state.activity.last_at else {
        return verdict;
    };
    let idle = days(last, now);
    let after = rules.temperature.cools_after_days;
    let cooled = if idle >= 2.0 * after {
        Temperature::Cold
    } else if idle >= after {
        verdict.temperature.cooler()
    } else {
        verdict.temperature
    };
    if cooled != verdict.temperature {
        verdict.reason = format!(
            "{} — cooled to {}: no activity for {idle:.0} days (one step per {after} days)",
            verdict.reason,
            cooled.as_str()
        );
        verdict.temperature = cooled;
    }
    verdict
}

/// Why a lead is now a prospect, if it is: the first of `prospect_when` that held, or the
/// engagement threshold.
pub fn prospect_reason(rules: &Rules, state: &ScoreState, engagement: f64) -> Option<String> {
    let l = &rules.lifecycle;
    for name in &l.prospect_when {
        if name == RETURNED_AFTER_LEAD {
            if let Some(at) = state.activity.returned_after_lead_at {
                return Some(format!("came back after becoming a lead ({at})"));
            }
        } else if let Some(at) = state.rules.get(name).and_then(|t| t.last_matched_at) {
            return Some(format!("{name} ({at})"));
        }
    }
    l.prospect_at_engagement
        .filter(|threshold| engagement >= *threshold)
        .map(|threshold| format!("engagement {engagement:.0} reached {threshold}"))
}
