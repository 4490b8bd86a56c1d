//! The funnel report (cohort and flow) and the bottleneck built on it.
//!
//! The visitor step comes from the new-visitor rollup: anonymous visitors have no journey
//! row. Contacts with no tracked visit count as visitors when they entered (a lead typed in
//! by hand was still someone who came). Owner and property breakdowns cannot split anonymous
//! traffic, so their visitor → lead conversion is left out (`null`).

use std::collections::BTreeMap;

use closer_domain::reports::{self, Breakdown, FunnelModel, Step, StepFigures};
use closer_domain::{Timestamp, WorkspaceId};
use closer_store::{Journeys, Period, VisitorCount};
use serde::Serialize;

use super::Reports;
use super::{Echo, ReportQuery, days, label, money, rate, round};
use crate::AppError;

/// Which way the funnel counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum View {
    /// The people who entered in the period, and how far they have come by now.
    Cohort,
    /// Step entries made in the period, whoever made them.
    Flow,
}

impl View {
    /// How the view counts, as the report says it.
    pub fn counting(self) -> &'static str {
        match self {
            View::Cohort => {
                "Cohort: the people whose first step fell in the period, followed to wherever they are now. A step's count is how many of them reached it; its conversion, the share of those at the step before who went on to it."
            }
            View::Flow => {
                "Flow: the steps reached during the period, by anyone. A step's count is how many reached it in the period; its conversion counts the people who reached both it and the step before in the period, out of those who reached the step before in the period."
            }
        }
    }

    pub fn parse(raw: Option<&str>) -> Result<Self, closer_domain::FieldError> {
        match raw.unwrap_or("cohort") {
            "cohort" => Ok(Self::Cohort),
            "flow" => Ok(Self::Flow),
            other => Err(closer_domain::FieldError::new(
                "view",
                format!("{other:?} is not a view: use cohort or flow"),
            )),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FunnelStep {
    pub step: &'static str,
    pub count: u64,
    /// Of those counted at the step before, how many made it here (`converted` of `of`).
    pub converted: u64,
    pub of: u64,
    /// `converted / of`; `null` with nothing to divide by.
    pub conversion: Option<f64>,
    /// Median days from the step before, over those who made the move.
    pub median_days: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FunnelGroup {
    pub group: String,
    pub steps: Vec<FunnelStep>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FunnelReport {
    #[serde(flatten)]
    pub query: Echo,
    pub view: View,
    /// How this view counts, in words (printed with the report).
    pub counting: &'static str,
    pub total: FunnelGroup,
    /// One entry per group of the breakdown (none without a breakdown), largest first.
    pub groups: Vec<FunnelGroup>,
}

/// Per group index (and in all): contacts that count as visitors without a tracked visit.
fn untracked(journeys: &Journeys, period: Period) -> (Vec<u64>, u64) {
    let (from, to) = (period.from.unix_micros(), period.to.unix_micros());
    let mut per_group = vec![0u64; journeys.groups.len()];
    let mut total = 0;
    for j in &journeys.rows {
        if j.reached[0].is_some() {
            continue;
        }
        let entered = j.reached.iter().flatten().min();
        if entered.is_some_and(|t| *t >= from && *t < to) {
            total += 1;
            if let Some(n) = per_group.get_mut(j.group as usize) {
                *n += 1;
            }
        }
    }
    (per_group, total)
}

fn steps(figures: &[StepFigures], visitors: Option<u64>) -> Vec<FunnelStep> {
    figures
        .iter()
        .map(|f| {
            let (mut converted, mut of) = f.from_previous;
            let mut count = f.count;
            match (f.step, visitors) {
                (Step::Visitor, Some(v)) => (count, converted, of) = (v, v, v),
                // Per owner or property there is no visitor count to convert from.
                (Step::Lead, None) => (converted, of) = (0, 0),
                (Step::Lead, Some(v)) => of = v,
                _ => {}
            }
            FunnelStep {
                step: f.step.as_str(),
                count,
                converted,
                of,
                // The first step converts from nothing.
                conversion: if f.step == Step::Visitor {
                    None
                } else {
                    rate(converted, of)
                },
                median_days: f.median_seconds.map(days),
            }
        })
        .collect()
}

/// The funnel figures of every group and of the total.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Funnel {
    pub total: Vec<FunnelStep>,
    pub groups: Vec<(String, Vec<FunnelStep>)>,
}

/// The funnel of `q` from journeys already read: those of `q`'s period and breakdown, or of a
/// longer period that contains it (the dashboard reads two periods' journeys at once).
pub(super) fn funnel_of_journeys(
    journeys: &Journeys,
    visitors: &[VisitorCount],
    q: &ReportQuery,
    view: View,
) -> Funnel {
    let (from, to) = (q.period.from.unix_micros(), q.period.to.unix_micros());
    let split = q.by != Breakdown::Total;
    // The store numbers the groups: the rows carry the number, not the name.
    let figures = match view {
        View::Cohort => reports::cohort(&journeys.rows, from, to, split),
        View::Flow => reports::flow(&journeys.rows, from, to, split),
    };
    funnel_from(figures, journeys, visitors, q)
}

/// The cohort funnel as the bottleneck judges it (`closer_domain::reports::judged`): each
/// step's conversion only over the people who have had the time it typically takes by `now`.
pub(super) fn judged_funnel(
    journeys: &Journeys,
    visitors: &[VisitorCount],
    q: &ReportQuery,
    now: Timestamp,
) -> Funnel {
    let (from, to) = (q.period.from.unix_micros(), q.period.to.unix_micros());
    let split = q.by != Breakdown::Total;
    let figures = reports::judged(&journeys.rows, from, to, now.unix_micros(), split);
    funnel_from(figures, journeys, visitors, q)
}

fn funnel_from(
    figures: reports::FunnelFigures<u32>,
    journeys: &Journeys,
    visitors: &[VisitorCount],
    q: &ReportQuery,
) -> Funnel {
    let split = q.by != Breakdown::Total;
    let (untracked_by_group, untracked_total) = untracked(journeys, q.period);
    let tracked_total: u64 = visitors.iter().map(|v| v.visitors).sum();
    let total = steps(&figures.total, Some(tracked_total + untracked_total));

    let mut groups = Vec::new();
    if split {
        let splits = q.by.splits_traffic();
        let name = |i: u32| label(journeys.groups.get(i as usize).cloned().flatten());
        let mut tracked: BTreeMap<String, u64> = BTreeMap::new();
        for v in visitors {
            *tracked.entry(label(v.group.clone())).or_default() += v.visitors;
        }
        let mut untracked: BTreeMap<String, u64> = BTreeMap::new();
        for (i, n) in untracked_by_group.iter().enumerate() {
            if *n > 0 {
                let i = u32::try_from(i).unwrap_or(u32::MAX);
                *untracked.entry(name(i)).or_default() += n;
            }
        }
        let mut figures: BTreeMap<String, Vec<StepFigures>> = figures
            .groups
            .into_iter()
            .map(|(i, f)| (name(i), f))
            .collect();
        // Groups with visitors but no contacts yet still show.
        if splits {
            for k in tracked.keys() {
                figures.entry(k.clone()).or_insert_with(empty_figures);
            }
        }
        for (k, f) in figures {
            let v = splits.then(|| {
                tracked.get(&k).copied().unwrap_or(0) + untracked.get(&k).copied().unwrap_or(0)
            });
            groups.push((k, steps(&f, v)));
        }
        groups.sort_by(|a, b| b.1[0].count.cmp(&a.1[0].count).then(a.0.cmp(&b.0)));
    }
    Funnel { total, groups }
}

impl Reports {
    pub(super) async fn funnel_figures(
        &self,
        ws: WorkspaceId,
        q: &ReportQuery,
        view: View,
    ) -> Result<Funnel, AppError> {
        let store = self.store();
        let (journeys, visitors) = tokio::try_join!(
            self.report_journeys(ws, q.period, &q.by),
            store.new_visitors(ws, q.period, &q.by)
        )?;
        Ok(funnel_of_journeys(&journeys, &visitors, q, view))
    }

    pub async fn funnel_report(
        &self,
        ws: WorkspaceId,
        q: &ReportQuery,
        view: View,
    ) -> Result<FunnelReport, AppError> {
        self.check_query(ws, q).await?;
        let f = self.funnel_figures(ws, q, view).await?;
        Ok(FunnelReport {
            query: Echo::of(q),
            view,
            counting: view.counting(),
            total: FunnelGroup {
                group: "total".into(),
                steps: f.total,
            },
            groups: f
                .groups
                .into_iter()
                .map(|(group, steps)| FunnelGroup { group, steps })
                .collect(),
        })
    }
}

fn empty_figures() -> Vec<StepFigures> {
    Step::ALL
        .iter()
        .map(|&step| StepFigures {
            step,
            count: 0,
            from_previous: (0, 0),
            median_seconds: None,
        })
        .collect()
}

// ---- the bottleneck ----

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LeverOut {
    pub step: &'static str,
    pub label: &'static str,
    /// The step's conversion now, and its target (fractions).
    pub rate: f64,
    pub target: f64,
    /// Revenue a quarter this step alone at its target would add.
    pub gain_per_quarter: String,
    pub sentence: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BottleneckGroup {
    pub group: String,
    /// Visitors a quarter at the period's pace.
    pub visitors_per_quarter: f64,
    pub revenue_per_quarter: String,
    /// Ranked: the step to fix first comes first. Empty with `not_enough_data`.
    pub steps: Vec<LeverOut>,
    pub not_enough_data: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BottleneckReport {
    #[serde(flatten)]
    pub query: Echo,
    /// The currency revenue is counted in (the one most won revenue is in).
    pub currency: Option<String>,
    /// The first step's sentence for the whole business: what to fix first.
    pub headline: Option<String>,
    pub total: BottleneckGroup,
    pub groups: Vec<BottleneckGroup>,
}

/// Mean values behind the revenue model, in whole currency units.
pub(super) struct Values {
    first: f64,
    repeat: f64,
}

const QUARTER_DAYS: f64 = 365.25 / 4.0;

fn lever_group(
    group: String,
    f: &[FunnelStep],
    values: &Values,
    targets: [f64; 5],
    scale: f64,
    currency: &str,
) -> BottleneckGroup {
    let visitors = f[0].count;
    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
    let visitors_q = visitors as f64 * scale;
    let rates: [f64; 5] = std::array::from_fn(|i| f[i + 1].conversion.unwrap_or(0.0));
    // People reached the step before, but none has had the step's typical time since.
    let too_young: [Option<f64>; 5] = std::array::from_fn(|i| {
        (f[i + 1].of == 0 && f[i].count > 0).then(|| f[i + 1].median_days.unwrap_or(0.0))
    });
    let model = FunnelModel {
        visitors: visitors_q,
        rates,
        targets,
        first_value: values.first,
        repeat_value: values.repeat,
        too_young,
    };
    let customers = f[4].count;
    let not_enough = if visitors == 0 {
        Some("no visitors or leads in the period".to_owned())
    } else if customers == 0 || values.first <= 0.0 {
        Some("no customers won in the period: revenue cannot be modelled yet".to_owned())
    } else {
        None
    };
    #[allow(clippy::cast_possible_truncation)] // money far below i128's range
    let as_units = |v: f64| money((v * 10_000.0).round() as i128);
    let steps = if not_enough.is_some() {
        Vec::new()
    } else {
        model
            .levers("quarter", currency)
            .into_iter()
            .map(|l| LeverOut {
                step: l.step.as_str(),
                label: l.step.label(),
                rate: round(l.rate, 4),
                target: round(l.target, 4),
                gain_per_quarter: as_units(l.gain),
                sentence: l.sentence,
            })
            .collect()
    };
    BottleneckGroup {
        group,
        visitors_per_quarter: round(visitors_q, 1),
        revenue_per_quarter: as_units(if not_enough.is_some() {
            0.0
        } else {
            model.revenue(&model.modelled_rates())
        }),
        steps,
        not_enough_data: not_enough,
    }
}

/// The bottleneck of `q` from its cohort funnel and the workspace's values and targets.
pub(super) fn bottleneck_of(
    q: &ReportQuery,
    f: &Funnel,
    targets: [f64; 5],
    currency: Option<String>,
    values: &Values,
) -> BottleneckReport {
    let scale = QUARTER_DAYS / q.days();
    let cur = currency.clone().unwrap_or_default();
    let total = lever_group("total".into(), &f.total, values, targets, scale, &cur);
    let groups = f
        .groups
        .iter()
        .map(|(g, steps)| lever_group(g.clone(), steps, values, targets, scale, &cur))
        .collect();
    BottleneckReport {
        query: Echo::of(q),
        currency,
        headline: total.steps.first().map(|l| l.sentence.clone()),
        total,
        groups,
    }
}

impl Reports {
    pub async fn bottleneck_report(
        &self,
        ws: WorkspaceId,
        q: &ReportQuery,
    ) -> Result<BottleneckReport, AppError> {
        self.check_query(ws, q).await?;
        if !matches!(
            q.by,
            Breakdown::Total
                | Breakdown::Channel
                | Breakdown::Source
                | Breakdown::Campaign
                | Breakdown::Site
        ) {
            return Err(AppError::invalid(
                "by",
                "the bottleneck is shown for the whole business or by channel, source, campaign or site (it starts from visitors)",
            ));
        }
        let store = self.store();
        let (rules, journeys, visitors, (currency, values)) = tokio::try_join!(
            self.workspace_rules(ws),
            async { Ok(self.report_journeys(ws, q.period, &q.by).await?) },
            async { Ok(store.new_visitors(ws, q.period, &q.by).await?) },
            self.revenue_values(ws, q)
        )?;
        let f = judged_funnel(&journeys, &visitors, q, Timestamp::now());
        Ok(bottleneck_of(q, &f, rules.targets, currency, &values))
    }

    /// The main currency and the mean first-order and repeat values in it: a won deal's
    /// amount (over the period's wins), and what a repeat customer adds after the first order
    /// (over all orders before the period's end).
    pub(super) async fn revenue_values(
        &self,
        ws: WorkspaceId,
        q: &ReportQuery,
    ) -> Result<(Option<String>, Values), AppError> {
        // Summed by the database: a year of a large workspace is 200,000 deals and 60,000
        // orders, of which these figures need a handful of sums.
        let won = self.store().won_totals(ws, q.period).await?;
        let Some(main) = won
            .iter()
            .max_by(|a, b| {
                a.amount_units
                    .cmp(&b.amount_units)
                    .then(b.currency.cmp(&a.currency))
            })
            .filter(|w| w.deals > 0)
        else {
            return Ok((
                None,
                Values {
                    first: 0.0,
                    repeat: 0.0,
                },
            ));
        };
        let currency = main.currency.clone();
        let repeat = self
            .store()
            .repeat_total(ws, q.period.to, &currency)
            .await?;
        #[allow(clippy::cast_precision_loss)] // money and counts far below 2^52
        let values = Values {
            first: main.amount_units as f64 / 10_000.0 / main.deals as f64,
            repeat: if repeat.customers == 0 {
                0.0
            } else {
                repeat.after_first_units as f64 / 10_000.0 / repeat.customers as f64
            },
        };
        Ok((Some(currency), values))
    }
}
