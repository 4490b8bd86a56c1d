//! Success measures per period and group: closed deals, revenue, average deal size, win
//! rate, sales-cycle length, time in each stage, speed-to-lead, the open pipeline and its
//! weighted forecast, loss reasons ranked, and touches before a win.

use std::collections::BTreeMap;

use closer_domain::WorkspaceId;
use closer_store::{LeadResponse, LostDeals, OpenDeals, StageStay, WonDeal};
use serde::Serialize;

use super::Reports;
use super::{Echo, NONE, ReportQuery, days, money, quantile, rate};
use crate::AppError;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Revenue {
    pub currency: String,
    pub won_deals: u64,
    #[serde(rename = "revenue")]
    pub total: String,
    pub average_deal_size: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StageTime {
    pub stage: String,
    pub stays: u64,
    pub median_days: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SpeedToLead {
    /// Leads that arrived in the period and have been touched.
    pub leads: u64,
    pub median_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Forecast {
    /// pipeline, best_case or commit.
    pub category: String,
    pub currency: String,
    pub deals: u64,
    pub amount: String,
    /// The amount weighted by each stage's win probability.
    pub weighted: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LossReason {
    pub reason: String,
    pub deals: u64,
    /// Share of the lost deals.
    pub share: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GroupMeasures {
    pub group: String,
    pub closed_deals: u64,
    pub won_deals: u64,
    pub lost_deals: u64,
    /// Won of closed; `null` with none closed.
    pub win_rate: Option<f64>,
    /// Per currency, largest revenue first.
    pub revenue: Vec<Revenue>,
    /// Median days from a won deal's creation to its win.
    pub sales_cycle_median_days: Option<f64>,
    pub time_in_stage: Vec<StageTime>,
    pub speed_to_lead: SpeedToLead,
    /// Open deals now (not limited to the period), by forecast category.
    pub open_pipeline: Vec<Forecast>,
    pub loss_reasons: Vec<LossReason>,
    /// Median tracked visits and logged activities before a win.
    pub touches_before_win_median: Option<i64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MeasuresReport {
    #[serde(flatten)]
    pub query: Echo,
    pub total: GroupMeasures,
    pub groups: Vec<GroupMeasures>,
}

/// The rows of one group.
#[derive(Default)]
struct Rows<'a> {
    won: Vec<&'a WonDeal>,
    lost: Vec<&'a LostDeals>,
    open: Vec<&'a OpenDeals>,
    stays: Vec<&'a StageStay>,
    responses: Vec<&'a LeadResponse>,
}

/// The rows of `group` (by its label), made on first use: keyed by the rows' own names, so
/// a row allocates nothing (a year of a large workspace is two million rows).
fn rows_of<'m, 'a>(
    groups: &'m mut foldhash::HashMap<&'a str, Rows<'a>>,
    group: Option<&'a str>,
) -> &'m mut Rows<'a> {
    groups.entry(group.unwrap_or(NONE)).or_default()
}

fn measure(group: String, rows: &Rows<'_>) -> GroupMeasures {
    let won = &rows.won;
    let lost: u64 = rows.lost.iter().map(|l| l.deals).sum();
    let closed = won.len() as u64 + lost;

    let mut revenue: BTreeMap<&str, (u64, i128)> = BTreeMap::new();
    for d in won {
        let e = revenue.entry(&*d.currency).or_default();
        e.0 += 1;
        e.1 += i128::from(d.amount_units);
    }
    let mut revenue: Vec<_> = revenue.into_iter().collect();
    revenue.sort_by(|a, b| b.1.1.cmp(&a.1.1).then(a.0.cmp(b.0)));
    let revenue = revenue
        .into_iter()
        .map(|(currency, (n, sum))| Revenue {
            currency: currency.to_owned(),
            won_deals: n,
            total: money(sum),
            average_deal_size: money(sum / i128::from(n.max(1))),
        })
        .collect();

    let mut cycles: Vec<i64> = won
        .iter()
        .map(|d| (d.closed_at.unix_micros() - d.created_at.unix_micros()).max(0) / 1_000_000)
        .collect();

    let mut stages: BTreeMap<(i64, &str), Vec<i64>> = BTreeMap::new();
    for s in &rows.stays {
        stages
            .entry((s.position, &*s.stage))
            .or_default()
            .push(s.seconds.max(0));
    }
    let time_in_stage = stages
        .into_iter()
        .map(|((_, stage), mut secs)| StageTime {
            stage: stage.to_owned(),
            stays: secs.len() as u64,
            median_days: quantile(&mut secs, 0.5).map(days),
        })
        .collect();

    let mut response: Vec<i64> = rows.responses.iter().map(|r| r.seconds).collect();
    let speed_to_lead = SpeedToLead {
        leads: response.len() as u64,
        median_seconds: quantile(&mut response, 0.5),
        p90_seconds: quantile(&mut response, 0.9),
    };

    let mut forecast: BTreeMap<(&str, &str), (u64, i128, i128)> = BTreeMap::new();
    for o in &rows.open {
        let e = forecast
            .entry((o.forecast.as_str(), o.currency.as_str()))
            .or_default();
        e.0 += o.deals;
        e.1 += i128::from(o.amount_units);
        e.2 += i128::from(o.amount_units) * i128::from(o.probability) / 100;
    }
    let order = |c: &str| {
        ["commit", "best_case", "pipeline"]
            .iter()
            .position(|x| *x == c)
            .unwrap_or(3)
    };
    let mut open_pipeline: Vec<_> = forecast
        .into_iter()
        .map(
            |((category, currency), (deals, amount, weighted))| Forecast {
                category: category.to_owned(),
                currency: currency.to_owned(),
                deals,
                amount: money(amount),
                weighted: money(weighted),
            },
        )
        .collect();
    open_pipeline.sort_by_key(|f| (order(&f.category), f.currency.clone()));

    let mut reasons: BTreeMap<&str, u64> = BTreeMap::new();
    for l in &rows.lost {
        *reasons
            .entry(l.loss_reason.as_deref().unwrap_or("(none)"))
            .or_default() += l.deals;
    }
    let mut loss_reasons: Vec<_> = reasons
        .into_iter()
        .map(|(reason, deals)| LossReason {
            reason: reason.to_owned(),
            deals,
            share: rate(deals, lost),
        })
        .collect();
    loss_reasons.sort_by(|a, b| b.deals.cmp(&a.deals).then(a.reason.cmp(&b.reason)));

    let mut touches: Vec<i64> = won
        .iter()
        .map(|d| i64::try_from(d.touches).unwrap_or(i64::MAX))
        .collect();
    GroupMeasures {
        group,
        closed_deals: closed,
        won_deals: won.len() as u64,
        lost_deals: lost,
        win_rate: rate(won.len() as u64, closed),
        revenue,
        sales_cycle_median_days: quantile(&mut cycles, 0.5).map(days),
        time_in_stage,
        speed_to_lead,
        open_pipeline,
        loss_reasons,
        touches_before_win_median: quantile(&mut touches, 0.5),
    }
}

impl Reports {
    pub async fn measures_report(
        &self,
        ws: WorkspaceId,
        q: &ReportQuery,
    ) -> Result<MeasuresReport, AppError> {
        self.check_query(ws, q).await?;
        let store = self.store();
        // Five independent reads, run side by side.
        let (won, lost, open, stays, responses) = tokio::try_join!(
            store.won_deals(ws, q.period, &q.by),
            store.lost_deals(ws, q.period, &q.by),
            store.open_deals(ws, &q.by),
            self.report_stage_stays(ws, q.period, &q.by),
            self.report_lead_responses(ws, q.period, &q.by),
        )?;
        let closed = Closed {
            won: &won,
            lost: &lost,
        };
        Ok(measures_of(q, &closed, &open, &stays, &responses))
    }

    /// Only what the dashboard shows of the measures — deals closed and won, revenue, win
    /// rate, speed-to-lead — without the two reads it does not need (every stage stay of the
    /// period, and the open pipeline, which is the same for both of its periods).
    pub(super) async fn sales_measures(
        &self,
        ws: WorkspaceId,
        q: &ReportQuery,
    ) -> Result<MeasuresReport, AppError> {
        let store = self.store();
        let (won, lost, responses) = tokio::try_join!(
            store.won_deals(ws, q.period, &q.by),
            store.lost_deals(ws, q.period, &q.by),
            self.report_lead_responses(ws, q.period, &q.by),
        )?;
        let closed = Closed {
            won: &won,
            lost: &lost,
        };
        Ok(measures_of(q, &closed, &[], &[], &responses))
    }
}

/// The deals closed in a period: each one won, and the lost ones counted per reason.
struct Closed<'a> {
    won: &'a [WonDeal],
    lost: &'a [LostDeals],
}

/// The report from its rows.
fn measures_of(
    q: &ReportQuery,
    closed: &Closed<'_>,
    open: &[OpenDeals],
    stays: &[StageStay],
    responses: &[LeadResponse],
) -> MeasuresReport {
    let mut total = Rows::default();
    let mut groups: foldhash::HashMap<&str, Rows<'_>> = foldhash::HashMap::default();
    for d in closed.won {
        total.won.push(d);
        rows_of(&mut groups, d.group.as_deref()).won.push(d);
    }
    for l in closed.lost {
        total.lost.push(l);
        rows_of(&mut groups, l.group.as_deref()).lost.push(l);
    }
    for o in open {
        total.open.push(o);
        rows_of(&mut groups, o.group.as_deref()).open.push(o);
    }
    for s in stays {
        total.stays.push(s);
        rows_of(&mut groups, s.group.as_deref()).stays.push(s);
    }
    for r in responses {
        total.responses.push(r);
        rows_of(&mut groups, r.group.as_deref()).responses.push(r);
    }
    let groups = if q.by == closer_domain::reports::Breakdown::Total {
        Vec::new()
    } else {
        let mut g: Vec<_> = groups
            .into_iter()
            .map(|(k, rows)| measure(k.to_owned(), &rows))
            .collect();
        g.sort_by(|a, b| {
            b.closed_deals
                .cmp(&a.closed_deals)
                .then(a.group.cmp(&b.group))
        });
        g
    };
    MeasuresReport {
        query: Echo::of(q),
        total: measure("total".into(), &total),
        groups,
    }
}
