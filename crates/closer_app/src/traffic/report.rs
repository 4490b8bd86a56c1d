//! The traffic report: visitors, sessions, page views, bounce rate, visit duration, top and
//! entry pages, channels, sources, campaigns and a time series, for a site (or every site of
//! the workspace) over a range.

use closer_domain::traffic::SiteDomain;
use closer_domain::{FieldError, Timestamp};
use closer_store::{BreakdownRow, Bucket, PageRow, SessionTotals, TrafficQuery};
use serde::Serialize;

use closer_domain::WorkspaceId;

use crate::AppError;

/// Longest range one report covers.
const MAX_RANGE_DAYS: i64 = 731;
/// Rows per breakdown.
const ROWS: u32 = 10;

/// `[from, to)`.
#[derive(Debug, Clone, Copy)]
pub struct ReportRange {
    pub from: Timestamp,
    pub to: Timestamp,
}

/// A date means the start of that day; `end` makes `to=2026-11-30` include the 30th.
pub(crate) fn parse_when(field: &str, raw: &str, end: bool) -> Result<Timestamp, FieldError> {
    if let Some(t) = Timestamp::parse_rfc3339(raw) {
        return Ok(t);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(raw.trim(), &format).map_err(|_| {
        FieldError::new(
            field,
            format!("{raw:?} is not a date (2026-11-23) or an RFC 3339 time"),
        )
    })?;
    let date = if end {
        date.next_day().unwrap_or(date)
    } else {
        date
    };
    Ok(Timestamp::new(date.midnight().assume_utc()))
}

impl ReportRange {
    /// From the `from` and `to` an interface was given: dates or RFC 3339 times; `to`
    /// defaults to now and `from` to 30 days before `to`.
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<Self, Vec<FieldError>> {
        let to = to.map(|t| parse_when("to", t, true)).transpose();
        let from = from.map(|f| parse_when("from", f, false)).transpose();
        match (from, to) {
            (Ok(from), Ok(to)) => {
                let to = to.unwrap_or_else(Timestamp::now);
                let from = from.unwrap_or_else(|| {
                    Timestamp::from_unix_micros(to.unix_micros() - 30 * 86_400_000_000)
                        .unwrap_or(to)
                });
                Ok(Self { from, to })
            }
            (f, t) => Err(f.err().into_iter().chain(t.err()).collect()),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Metrics {
    pub visitors: i64,
    pub sessions: i64,
    pub pageviews: i64,
    /// Percent of sessions with one page view and no interactive event; `null` with no
    /// sessions (never NaN).
    pub bounce_rate: Option<f64>,
    /// Mean session duration, seconds; `null` with no sessions.
    pub avg_duration_s: Option<f64>,
    pub pageviews_per_session: Option<f64>,
}

#[allow(clippy::cast_precision_loss)]
fn metrics(t: &SessionTotals) -> Metrics {
    let per = |x: f64| (t.sessions > 0).then(|| (x / t.sessions as f64 * 10.0).round() / 10.0);
    Metrics {
        visitors: t.visitors,
        sessions: t.sessions,
        pageviews: t.pageviews,
        bounce_rate: per(t.bounces as f64 * 100.0),
        avg_duration_s: per(t.duration_micros as f64 / 1e6),
        pageviews_per_session: per(t.pageviews as f64),
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Breakdown {
    /// `null` where the sessions carry no value (no source, no campaign).
    pub name: Option<String>,
    /// Channels only: the name people read ("Organic Search").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<&'static str>,
    #[serde(flatten)]
    pub metrics: Metrics,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Page {
    pub path: String,
    pub pageviews: i64,
    pub visitors: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Point {
    pub start: Timestamp,
    pub visitors: i64,
    pub sessions: i64,
    pub pageviews: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TrafficReport {
    /// The site, or `null` for all of the workspace's sites.
    pub site: Option<SiteDomain>,
    pub from: Timestamp,
    pub to: Timestamp,
    /// `hour` for ranges up to two days, else `day`.
    pub interval: &'static str,
    #[serde(flatten)]
    pub totals: Metrics,
    pub top_pages: Vec<Page>,
    pub entry_pages: Vec<Page>,
    pub channels: Vec<Breakdown>,
    pub sources: Vec<Breakdown>,
    pub campaigns: Vec<Breakdown>,
    /// Every bucket of the range, empty ones included.
    pub series: Vec<Point>,
}

fn pages(rows: Vec<PageRow>) -> Vec<Page> {
    rows.into_iter()
        .map(|p| Page {
            path: p.path,
            pageviews: p.pageviews,
            visitors: p.visitors,
        })
        .collect()
}

fn breakdown(rows: Vec<BreakdownRow>, channels: bool) -> Vec<Breakdown> {
    rows.into_iter()
        .map(|r| Breakdown {
            label: if channels {
                r.key
                    .as_deref()
                    .and_then(closer_domain::traffic::Channel::parse)
                    .map(closer_domain::traffic::Channel::label)
            } else {
                None
            },
            name: r.key,
            metrics: metrics(&r.totals),
        })
        .collect()
}

impl super::Traffic {
    /// `site`: a domain of the workspace, or `None` for all its sites. The caller has checked
    /// that whoever asks may read the workspace.
    pub async fn traffic_report(
        &self,
        workspace: WorkspaceId,
        site: Option<&str>,
        range: ReportRange,
    ) -> Result<TrafficReport, AppError> {
        let span = range.to.unix_micros() - range.from.unix_micros();
        if span <= 0 {
            return Err(AppError::invalid("to", "must be after `from`"));
        }
        if span > MAX_RANGE_DAYS * 86_400_000_000 {
            return Err(AppError::invalid(
                "to",
                format!("a report covers at most {MAX_RANGE_DAYS} days"),
            ));
        }
        let site = match site {
            None => None,
            Some(raw) => {
                let domain = SiteDomain::parse(raw)?;
                let sites = self.store().list_sites(Some(workspace)).await?;
                Some(sites.into_iter().find(|s| s.domain == domain).ok_or_else(|| {
                    AppError::invalid("site", format!("{domain} is not a site of this workspace (add it with `closer site add {domain}`)"))
                })?)
            }
        };
        let bucket = if span <= 2 * 86_400_000_000 {
            Bucket::Hour
        } else {
            Bucket::Day
        };
        let query = TrafficQuery {
            site: site.as_ref().map(|s| s.id),
            from: range.from,
            to: range.to,
            bucket,
            limit: ROWS,
        };
        let agg = self.store().traffic(workspace, &query).await?;
        let step = bucket.micros();
        let mut series = Vec::new();
        let mut at = range.from.unix_micros().div_euclid(step) * step;
        let mut rows = agg.series.into_iter().peekable();
        while at < range.to.unix_micros() {
            let row = rows.next_if(|r| r.bucket_start.unix_micros() == at);
            let t = row.map(|r| r.totals).unwrap_or_default();
            series.push(Point {
                start: Timestamp::from_unix_micros(at).unwrap_or(range.from),
                visitors: t.visitors,
                sessions: t.sessions,
                pageviews: t.pageviews,
            });
            at += step;
        }
        Ok(TrafficReport {
            site: site.map(|s| s.domain),
            from: range.from,
            to: range.to,
            interval: if bucket == Bucket::Hour {
                "hour"
            } else {
                "day"
            },
            totals: metrics(&agg.totals),
            top_pages: pages(agg.pages),
            entry_pages: pages(agg.entry_pages),
            channels: breakdown(agg.channels, true),
            sources: breakdown(agg.sources, false),
            campaigns: breakdown(agg.campaigns, false),
            series,
        })
    }
}
