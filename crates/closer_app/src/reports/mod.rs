//! The business reports: the funnel, success measures, retention and lifetime value,
//! attribution and the bottleneck. Each takes the same query (a period and a breakdown),
//! reads compact rows through `ReportStore` and computes with `closer_domain::reports`.
//!
//! Numbers are never NaN: a rate with nothing to divide by is `null`, a model that cannot be
//! fitted says "not enough data".

mod attribution;
mod cache;
mod customer_value;
mod dashboard;
mod funnel;
mod measures;
mod mirror;
pub mod sections;
mod service;
mod value;

use closer_domain::reports::Breakdown;
use closer_domain::{FieldError, Timestamp, WorkspaceId};
use closer_store::Period;
use serde::Serialize;

pub use attribution::AttributionReport;
pub(crate) use cache::DashboardCache;
pub use cache::{Cached, FRESH_FOR, ReportCache, SHOWN_FOR, WANTED_FOR, WARM_EVERY};
pub use customer_value::CustomerValue;
pub(crate) use customer_value::ValueFits;
pub use dashboard::{Bucket, Change, ChannelRow, Dashboard, DashboardData};
pub use funnel::{BottleneckReport, FunnelReport, FunnelStep, View};
pub use measures::MeasuresReport;
pub(crate) use mirror::JourneyMirrors;
pub use service::Reports;
pub use value::{LtvReport, RetentionReport};

use crate::AppError;

const DAY_MICROS: i64 = 86_400_000_000;
/// The longest period a report covers.
const MAX_DAYS: i64 = 3_660;
/// Without `from`, reports cover this many days before `to`.
const DEFAULT_DAYS: i64 = 90;

/// What every report is asked: a period and a breakdown.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportQuery {
    pub period: Period,
    pub by: Breakdown,
}

impl ReportQuery {
    /// From an interface's raw `from`, `to` and `by`: every problem reported at once.
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        by: Option<&str>,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let to = match to
            .map(|t| crate::traffic::parse_when("to", t, true))
            .transpose()
        {
            Ok(t) => t.unwrap_or_else(Timestamp::now),
            Err(e) => {
                errors.push(e);
                Timestamp::now()
            }
        };
        let from = match from
            .map(|f| crate::traffic::parse_when("from", f, false))
            .transpose()
        {
            Ok(f) => f.unwrap_or_else(|| {
                Timestamp::from_unix_micros(to.unix_micros() - DEFAULT_DAYS * DAY_MICROS)
                    .unwrap_or(to)
            }),
            Err(e) => {
                errors.push(e);
                to
            }
        };
        let by = Breakdown::parse(by).map_err(|e| errors.push(e)).ok();
        if errors.is_empty() {
            let span = to.unix_micros() - from.unix_micros();
            if span <= 0 {
                errors.push(FieldError::new(
                    "to",
                    "must be after `from` (the period is empty)",
                ));
            } else if span > MAX_DAYS * DAY_MICROS {
                errors.push(FieldError::new(
                    "from",
                    format!("a report covers at most {MAX_DAYS} days"),
                ));
            }
        }
        match (errors.is_empty(), by) {
            (true, Some(by)) => Ok(Self {
                period: Period { from, to },
                by,
            }),
            _ => Err(errors),
        }
    }

    fn days(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)] // spans are at most MAX_DAYS
        let micros = (self.period.to.unix_micros() - self.period.from.unix_micros()) as f64;
        micros / 86_400_000_000.0
    }
}

/// Everything an interface may ask of a report: the query, the funnel's view and the
/// attribution model. Both the API and the CLI parse their raw strings here.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRequest {
    pub query: ReportQuery,
    pub view: View,
    pub model: closer_domain::reports::Model,
}

impl ReportRequest {
    /// Every problem reported at once, each naming its field.
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        by: Option<&str>,
        view: Option<&str>,
        model: Option<&str>,
    ) -> Result<Self, Vec<FieldError>> {
        use closer_domain::reports::Model;
        let query = ReportQuery::parse(from, to, by);
        let view = View::parse(view);
        let model = match model {
            None => Ok(Model::Linear),
            Some(raw) => Model::parse(raw).ok_or_else(|| {
                FieldError::new(
                    "model",
                    format!(
                        "{raw:?} is not a model: use first_touch, last_touch, linear or position_based"
                    ),
                )
            }),
        };
        match (query, view, model) {
            (Ok(query), Ok(view), Ok(model)) => Ok(Self { query, view, model }),
            (q, v, m) => {
                let mut errors = q.err().unwrap_or_default();
                errors.extend(v.err());
                errors.extend(m.err());
                Err(errors)
            }
        }
    }
}

/// The period and breakdown a report answered for, echoed at its top.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Echo {
    pub from: Timestamp,
    pub to: Timestamp,
    pub by: String,
}

impl Echo {
    fn of(q: &ReportQuery) -> Self {
        Self {
            from: q.period.from,
            to: q.period.to,
            by: q.by.as_string(),
        }
    }
}

/// The name of an unknown group (an anonymous visitor's owner, a contact without the property).
const NONE: &str = "(none)";

/// A group's name in a report: `(none)` where the group is unknown.
fn label(group: Option<String>) -> String {
    group.unwrap_or_else(|| NONE.to_owned())
}

/// `part / whole`, four decimals; `None` when there is nothing to divide by.
fn rate(part: u64, whole: u64) -> Option<f64> {
    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
    (whole > 0).then(|| round(part as f64 / whole as f64, 4))
}

fn round(v: f64, decimals: i32) -> f64 {
    let m = 10f64.powi(decimals);
    (v * m).round() / m
}

/// Seconds as days, two decimals.
#[allow(clippy::cast_precision_loss)] // seconds far below 2^52
fn days(seconds: i64) -> f64 {
    round(seconds as f64 / 86_400.0, 2)
}

/// The value at quantile `q` (nearest rank) of unsorted values, found in linear time (a
/// year's speed-to-lead is most of a million values).
fn quantile(values: &mut [i64], q: f64) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    let rank = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
    Some(*values.select_nth_unstable(rank - 1).1)
}

/// Stored ten-thousandths as a decimal string with two places ("1234.50").
pub(crate) fn money(units: i128) -> String {
    let cents = if units >= 0 {
        (units + 50) / 100
    } else {
        (units - 50) / 100
    };
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.abs();
    format!("{sign}{}.{:02}", c / 100, c % 100)
}

impl Reports {
    /// Checks what the query needs from stored data: a property breakdown must name a
    /// property some contact has.
    /// Refuses a breakdown by a property no contact of the workspace has: a mistake worth
    /// saying so, before anything is computed.
    pub async fn check_query(&self, ws: WorkspaceId, q: &ReportQuery) -> Result<(), AppError> {
        if let Breakdown::Property(name) = &q.by
            && !self.store().has_property(ws, name).await?
        {
            return Err(AppError::invalid(
                "by",
                format!("no contact of this workspace has the property {name:?}"),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_parse_and_refuse_every_bad_part() {
        let q =
            ReportQuery::parse(Some("2026-01-01"), Some("2026-12-31"), Some("channel")).unwrap();
        assert_eq!(q.by, Breakdown::Channel);
        assert!((q.days() - 365.0).abs() < 1e-9);
        let e = ReportQuery::parse(Some("2026-02-01"), Some("2026-01-01"), None).unwrap_err();
        assert_eq!(e[0].field, "to");
        let e = ReportQuery::parse(
            Some("2026-01-01T00:00:00Z"),
            Some("2026-01-01T00:00:00Z"),
            None,
        )
        .unwrap_err();
        assert!(e[0].message.contains("empty"));
        let e = ReportQuery::parse(Some("yesterday"), Some("soon"), Some("colour")).unwrap_err();
        let fields: Vec<_> = e.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["to", "from", "by"]);
        let e = ReportQuery::parse(Some("2000-01-01"), Some("2026-01-01"), None).unwrap_err();
        assert_eq!(e[0].field, "from");
    }

    #[test]
    fn helpers_round_and_never_divide_by_zero() {
        assert_eq!(rate(1, 3), Some(0.3333));
        assert_eq!(rate(1, 0), None);
        assert_eq!(money(12_345_678), "1234.57");
        assert_eq!(money(-5_000), "-0.50");
        assert_eq!(quantile(&mut [5, 1, 3, 2, 4], 0.5), Some(3));
        assert_eq!(quantile(&mut [5, 1, 3, 2, 4, 6, 7, 8, 9, 10], 0.9), Some(9));
        assert_eq!(quantile(&mut [], 0.5), None);
    }
}
