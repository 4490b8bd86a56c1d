//! The dashboard: the reports an owner looks at first, for one period and optionally one
//! channel, each with its change against the period just before, and leads and won revenue
//! over time.

use std::collections::BTreeMap;

use closer_domain::reports::Breakdown;
use closer_domain::{Timestamp, WorkspaceId};
use closer_store::{Journeys, Period};

use super::Reports;
use super::funnel::{Funnel, FunnelStep, View, bottleneck_of, funnel_of_journeys, judged_funnel};
use super::measures::{GroupMeasures, MeasuresReport};
use super::{NONE, ReportQuery, money};
use crate::AppError;

const DAY_MICROS: i64 = 86_400_000_000;

/// One figure now and in the period before.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub now: f64,
    pub before: f64,
    /// `now / before - 1`; `None` when there was nothing before.
    pub change: Option<f64>,
}

impl Change {
    fn of(now: f64, before: f64) -> Self {
        Self {
            now,
            before,
            change: (before > 0.0).then(|| now / before - 1.0),
        }
    }
}

/// Leads and won revenue of one bucket of the period (a day, or a week on long periods).
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    pub start: Timestamp,
    pub leads: u64,
    pub won_deals: u64,
    /// In `Dashboard::currency`, two decimals.
    pub revenue: String,
}

/// A channel's row in the breakdown table.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelRow {
    pub channel: String,
    pub visitors: u64,
    pub leads: u64,
    pub customers: u64,
    pub visitor_to_lead: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    pub period: Period,
    pub channel: Option<String>,
    /// The channels there are to filter by.
    pub channels: Vec<String>,
    /// The bottleneck report's sentence for the whole business.
    pub headline: Option<String>,
    pub funnel: Vec<FunnelStep>,
    /// The currency revenue figures are in (the one most won revenue is in).
    pub currency: Option<String>,
    pub leads: Change,
    pub won_deals: Change,
    pub revenue: Change,
    pub average_deal: Change,
    pub win_rate: Change,
    pub speed_to_lead_median_seconds: Option<i64>,
    pub series: Vec<Bucket>,
    pub by_channel: Vec<ChannelRow>,
}

/// The funnel of the whole business, or of one channel (empty if it had nobody).
fn funnel_of(f: &Funnel, channel: Option<&str>) -> Vec<FunnelStep> {
    match channel {
        None => f.total.clone(),
        Some(c) => f
            .groups
            .iter()
            .find(|g| g.0 == c)
            .map(|g| g.1.clone())
            .unwrap_or_default(),
    }
}

/// The measures of the whole business, or of one channel.
fn measures_of<'a>(r: &'a MeasuresReport, channel: Option<&str>) -> Option<&'a GroupMeasures> {
    match channel {
        None => Some(&r.total),
        Some(c) => r.groups.iter().find(|g| g.group == c),
    }
}

#[allow(clippy::cast_precision_loss)] // counts and cents far below 2^52
fn revenue_of(m: Option<&GroupMeasures>, currency: Option<&str>) -> (f64, f64) {
    let Some(r) = m.and_then(|m| {
        m.revenue
            .iter()
            .find(|r| Some(r.currency.as_str()) == currency)
    }) else {
        return (0.0, 0.0);
    };
    (
        r.total.parse().unwrap_or(0.0),
        r.average_deal_size.parse().unwrap_or(0.0),
    )
}

/// Everything the dashboard shows for one period, for the whole business and for each
/// channel at once: the reads are the same whichever channel is chosen (they are made by
/// channel either way), so they are made and counted once per period and `view` shows any
/// channel from them. Kept by the server per period, so choosing a channel never waits for a
/// computation.
#[derive(Debug, Clone, PartialEq)]
pub struct DashboardData {
    period: Period,
    channels: Vec<String>,
    headline: Option<String>,
    funnel: Funnel,
    funnel_before: Funnel,
    measures: MeasuresReport,
    measures_before: MeasuresReport,
    currency: Option<String>,
    /// Where each bucket of the series starts.
    starts: Vec<Timestamp>,
    /// The series of the whole business.
    series: Counts,
    /// The series of each channel (`NONE` for people with no known channel).
    series_by_channel: BTreeMap<String, Counts>,
}

/// Leads, won deals and won revenue (ten-thousandths) per bucket of the series.
#[derive(Debug, Clone, PartialEq)]
struct Counts {
    leads: Vec<u64>,
    won: Vec<u64>,
    units: Vec<i128>,
}

impl Counts {
    fn new(n: usize) -> Self {
        Self {
            leads: vec![0; n],
            won: vec![0; n],
            units: vec![0; n],
        }
    }
}

impl DashboardData {
    /// The dashboard of the whole business (`None`) or of one channel.
    #[allow(clippy::cast_precision_loss)] // counts and cents far below 2^52
    pub fn view(&self, channel: Option<&str>) -> Dashboard {
        let steps = funnel_of(&self.funnel, channel);
        let steps_before = funnel_of(&self.funnel_before, channel);
        let leads_of = |s: &[FunnelStep]| s.get(1).map_or(0, |s| s.count) as f64;
        let m = measures_of(&self.measures, channel);
        let mb = measures_of(&self.measures_before, channel);
        let (revenue, average) = revenue_of(m, self.currency.as_deref());
        let (revenue_b, average_b) = revenue_of(mb, self.currency.as_deref());
        let won = |g: Option<&GroupMeasures>| g.map_or(0, |g| g.won_deals) as f64;
        let win = |g: Option<&GroupMeasures>| g.and_then(|g| g.win_rate).unwrap_or(0.0);
        let counts = match channel {
            None => Some(&self.series),
            Some(c) => self.series_by_channel.get(c),
        };
        let series = self
            .starts
            .iter()
            .enumerate()
            .map(|(i, start)| Bucket {
                start: *start,
                leads: counts.map_or(0, |c| c.leads[i]),
                won_deals: counts.map_or(0, |c| c.won[i]),
                revenue: money(counts.map_or(0, |c| c.units[i])),
            })
            .collect();
        let by_channel = self
            .funnel
            .groups
            .iter()
            .map(|(group, steps)| {
                let count = |i: usize| steps.get(i).map_or(0, |s| s.count);
                ChannelRow {
                    channel: group.clone(),
                    visitors: count(0),
                    leads: count(1),
                    customers: count(4),
                    visitor_to_lead: steps.get(1).and_then(|s| s.conversion),
                }
            })
            .collect();
        Dashboard {
            period: self.period,
            channel: channel.map(str::to_owned),
            channels: self.channels.clone(),
            headline: self.headline.clone(),
            leads: Change::of(leads_of(&steps), leads_of(&steps_before)),
            funnel: steps,
            currency: self.currency.clone(),
            won_deals: Change::of(won(m), won(mb)),
            revenue: Change::of(revenue, revenue_b),
            average_deal: Change::of(average, average_b),
            win_rate: Change::of(win(m), win(mb)),
            speed_to_lead_median_seconds: m.and_then(|m| m.speed_to_lead.median_seconds),
            series,
            by_channel,
        }
    }
}

impl Reports {
    /// What the dashboard shows for `period`, for every channel.
    pub async fn dashboard_data(
        &self,
        ws: WorkspaceId,
        period: Period,
    ) -> Result<DashboardData, AppError> {
        let q = ReportQuery {
            period,
            by: Breakdown::Channel,
        };
        let span = period.to.unix_micros() - period.from.unix_micros();
        let before = ReportQuery {
            period: Period {
                from: Timestamp::from_unix_micros(period.from.unix_micros() - span)
                    .unwrap_or(period.from),
                to: period.from,
            },
            by: Breakdown::Channel,
        };
        // Five independent reports: read side by side (several read connections, and cores).
        let whole = ReportQuery {
            period,
            by: Breakdown::Total,
        };
        // The journeys of both periods are read once (by channel) and counted three ways:
        // this period's funnel, the period before's, and the bottleneck (the total of the
        // first). Each is a scan over every contact of the workspace.
        let both = Period {
            from: before.period.from,
            to: period.to,
        };
        let store = self.store();
        let (journeys, visitors, visitors_before, measures, measures_before, rules, values) = tokio::try_join!(
            async { Ok::<_, AppError>(self.report_journeys(ws, both, &Breakdown::Channel).await?) },
            async {
                Ok(store
                    .new_visitors(ws, q.period, &Breakdown::Channel)
                    .await?)
            },
            async {
                Ok(store
                    .new_visitors(ws, before.period, &Breakdown::Channel)
                    .await?)
            },
            self.sales_measures(ws, &q),
            self.sales_measures(ws, &before),
            self.workspace_rules(ws),
            self.revenue_values(ws, &whole),
        )?;
        let funnel = funnel_of_journeys(&journeys, &visitors, &q, View::Cohort);
        let funnel_before = funnel_of_journeys(&journeys, &visitors_before, &before, View::Cohort);
        let whole_funnel = Funnel {
            total: judged_funnel(&journeys, &visitors, &q, Timestamp::now()).total,
            groups: Vec::new(),
        };
        let (value_currency, values) = values;
        let headline = bottleneck_of(
            &whole,
            &whole_funnel,
            rules.targets,
            value_currency,
            &values,
        )
        .headline;
        // The currency most revenue is in, across both periods.
        let currency = measures
            .total
            .revenue
            .first()
            .or(measures_before.total.revenue.first())
            .map(|r| r.currency.clone());
        let (starts, series, series_by_channel) = self
            .dashboard_series(ws, period, currency.as_deref(), &journeys)
            .await?;
        let mut channels: Vec<String> = funnel.groups.iter().map(|g| g.0.clone()).collect();
        channels.sort();
        Ok(DashboardData {
            period,
            channels,
            headline,
            funnel,
            funnel_before,
            measures,
            measures_before,
            currency,
            starts,
            series,
            series_by_channel,
        })
    }

    /// Leads (by arrival) and won deals (by close) per day, or per week past 45 days: for
    /// the whole business and per channel.
    async fn dashboard_series(
        &self,
        ws: WorkspaceId,
        period: Period,
        currency: Option<&str>,
        journeys: &Journeys,
    ) -> Result<(Vec<Timestamp>, Counts, BTreeMap<String, Counts>), AppError> {
        let span = period.to.unix_micros() - period.from.unix_micros();
        let step = if span > 45 * DAY_MICROS {
            7 * DAY_MICROS
        } else {
            DAY_MICROS
        };
        let n = usize::try_from((span + step - 1) / step).unwrap_or(0);
        let (from, to) = (period.from.unix_micros(), period.to.unix_micros());
        let index = |t: i64| {
            usize::try_from((t - from) / step)
                .ok()
                .filter(|i| t >= from && t < to && *i < n)
        };
        let mut total = Counts::new(n);
        let mut by_channel: BTreeMap<String, Counts> = BTreeMap::new();
        // Journeys by channel, read by the caller (over this period or a longer one): counted
        // per group number, named afterwards.
        let mut leads = vec![vec![0u64; n]; journeys.groups.len()];
        for j in &journeys.rows {
            if let Some(i) = j.reached[1].and_then(index)
                && let Some(group) = leads.get_mut(j.group as usize)
            {
                group[i] += 1;
                total.leads[i] += 1;
            }
        }
        for (name, counts) in journeys.groups.iter().zip(leads) {
            let c = by_channel
                .entry(name.as_deref().unwrap_or(NONE).to_owned())
                .or_insert_with(|| Counts::new(n));
            for (sum, add) in c.leads.iter_mut().zip(counts) {
                *sum += add;
            }
        }
        for d in self
            .store()
            .won_deals(ws, period, &Breakdown::Channel)
            .await?
        {
            if Some(&*d.currency) == currency
                && let Some(i) = index(d.closed_at.unix_micros())
            {
                let c = by_channel
                    .entry(d.group.as_deref().unwrap_or(NONE).to_owned())
                    .or_insert_with(|| Counts::new(n));
                for counts in [&mut total, c] {
                    counts.won[i] += 1;
                    counts.units[i] += i128::from(d.amount_units);
                }
            }
        }
        let starts = (0..n)
            .map(|i| {
                Timestamp::from_unix_micros(from + i64::try_from(i).unwrap_or(0) * step)
                    .unwrap_or(period.from)
            })
            .collect();
        Ok((starts, total, by_channel))
    }
}
