//! Retention and lifetime value from orders: the repeat-purchase rate, the monthly cohort
//! table, historical value per customer, and predicted value (BG/NBD for how often a
//! customer buys again, Gamma-Gamma for how much).
//!
//! Both reports follow the customers whose first order fell in the period, observed until
//! the period's end. Money is counted in one currency: the one most orders are in.

use std::collections::BTreeMap;

use closer_domain::reports::{self, Breakdown, CustomerSummary, Month, ValueModel};
use closer_domain::{ContactId, WorkspaceId};
use closer_store::OrderRow;
use serde::Serialize;

use super::Reports;
use super::{Echo, ReportQuery, label, money, rate, round};
use crate::AppError;

/// How far ahead predicted value looks.
const HORIZON_WEEKS: f64 = 52.0;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CohortRow {
    /// The month of the customers' first order ("2026-03").
    pub month: String,
    pub customers: u64,
    /// `active[k]`: how many ordered in the k-th month after their first (`active[0]`: all).
    pub active: Vec<u64>,
    /// `active[k] / customers`.
    pub retention: Vec<Option<f64>>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RepeatFigures {
    pub group: String,
    pub customers: u64,
    pub repeat_customers: u64,
    pub repeat_purchase_rate: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RetentionReport {
    #[serde(flatten)]
    pub query: Echo,
    pub total: RepeatFigures,
    pub groups: Vec<RepeatFigures>,
    pub cohorts: Vec<CohortRow>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HistoricalValue {
    pub group: String,
    pub customers: u64,
    /// Everything they ordered until the period's end, per customer.
    pub average_value: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PurchaseModel {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SpendModel {
    pub p: f64,
    pub q: f64,
    pub gamma: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Predicted {
    pub horizon_weeks: f64,
    /// Customers the models were fitted on: every customer of the period.
    pub fitted_on: u64,
    pub purchase_model: PurchaseModel,
    pub spend_model: SpendModel,
    /// Mean over the period's customers.
    pub expected_purchases: f64,
    pub probability_alive: f64,
    pub expected_value: String,
    /// What a brand-new customer is expected to buy again in the horizon.
    pub new_customer_expected_purchases: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LtvReport {
    #[serde(flatten)]
    pub query: Echo,
    pub currency: Option<String>,
    pub total: HistoricalValue,
    pub groups: Vec<HistoricalValue>,
    /// `null` with `not_enough_data` saying why.
    pub predicted: Option<Predicted>,
    pub not_enough_data: Option<String>,
}

/// A customer's group and orders (day, amount in units), oldest first.
type History = (Option<String>, Vec<(time::Date, i64)>);

/// The orders of the customers whose first order (in the main currency) fell in the period.
struct Customers {
    currency: Option<String>,
    orders: BTreeMap<ContactId, History>,
}

fn customers(rows: Vec<OrderRow>, q: &ReportQuery) -> Customers {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for o in &rows {
        *counts.entry(o.currency.as_str()).or_default() += 1;
    }
    let currency = counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(c, _)| (*c).to_owned());
    let mut orders: BTreeMap<ContactId, History> = BTreeMap::new();
    // Rows come oldest first, so a customer's first row is their first order: those who
    // first bought before the period are not its customers.
    let mut earlier = std::collections::HashSet::new();
    for o in rows
        .into_iter()
        .filter(|o| Some(&o.currency) == currency.as_ref())
    {
        let (_, history) = orders.entry(o.contact).or_insert_with(|| {
            if o.placed_at < q.period.from {
                earlier.insert(o.contact);
            }
            (o.group.clone(), Vec::new())
        });
        history.push((o.placed_at.get().date(), o.total_units));
    }
    orders.retain(|c, _| !earlier.contains(c));
    Customers { currency, orders }
}

fn repeat_figures(group: String, orders: &[(ContactId, time::Date)]) -> RepeatFigures {
    let (customers, repeat) = reports::repeat_customers(orders);
    RepeatFigures {
        group,
        customers,
        repeat_customers: repeat,
        repeat_purchase_rate: rate(repeat, customers),
    }
}

impl Reports {
    pub async fn retention_report(
        &self,
        ws: WorkspaceId,
        q: &ReportQuery,
    ) -> Result<RetentionReport, AppError> {
        self.check_query(ws, q).await?;
        let rows = self.store().orders_until(ws, q.period.to, &q.by).await?;
        let c = customers(rows, q);
        let mut all = Vec::new();
        let mut grouped: BTreeMap<String, Vec<(ContactId, time::Date)>> = BTreeMap::new();
        for (id, (group, orders)) in &c.orders {
            for (day, _) in orders {
                all.push((*id, *day));
                grouped
                    .entry(label(group.clone()))
                    .or_default()
                    .push((*id, *day));
            }
        }
        // The table runs to the last whole day of the period.
        let last_day = closer_domain::Timestamp::from_unix_micros(q.period.to.unix_micros() - 1)
            .unwrap_or(q.period.to);
        let cohorts = reports::cohorts(&all, Month::of(last_day.get().date()))
            .into_iter()
            .map(|row| CohortRow {
                month: format!("{:04}-{:02}", row.month.year, row.month.month),
                customers: row.customers,
                retention: row.active.iter().map(|a| rate(*a, row.customers)).collect(),
                active: row.active,
            })
            .collect();
        let groups = if q.by == Breakdown::Total {
            Vec::new()
        } else {
            grouped
                .into_iter()
                .map(|(g, o)| repeat_figures(g, &o))
                .collect()
        };
        Ok(RetentionReport {
            query: Echo::of(q),
            total: repeat_figures("total".into(), &all),
            groups,
            cohorts,
        })
    }

    pub async fn ltv_report(
        &self,
        ws: WorkspaceId,
        q: &ReportQuery,
    ) -> Result<LtvReport, AppError> {
        self.check_query(ws, q).await?;
        let rows = self.store().orders_until(ws, q.period.to, &q.by).await?;
        let c = customers(rows, q);
        let historical = |group: String, spent: &[i128]| HistoricalValue {
            group,
            customers: spent.len() as u64,
            average_value: (!spent.is_empty())
                .then(|| money(spent.iter().sum::<i128>() / spent.len() as i128)),
        };
        let mut all = Vec::new();
        let mut grouped: BTreeMap<String, Vec<i128>> = BTreeMap::new();
        for (group, orders) in c.orders.values() {
            let spent: i128 = orders.iter().map(|o| i128::from(o.1)).sum();
            all.push(spent);
            grouped.entry(label(group.clone())).or_default().push(spent);
        }
        let groups = if q.by == Breakdown::Total {
            Vec::new()
        } else {
            grouped
                .iter()
                .map(|(g, s)| historical(g.clone(), s))
                .collect()
        };

        let end_day = day_number(q.period.to) - 1;
        // Each customer's orders are together and in day order already.
        #[allow(clippy::cast_precision_loss)] // money in whole units, far below 2^52
        let histories: Vec<Vec<(i64, f64)>> = c
            .orders
            .values()
            .map(|(_, orders)| {
                orders
                    .iter()
                    .map(|(d, units)| (date_number(*d), *units as f64 / 10_000.0))
                    .collect()
            })
            .collect();
        // Both models on every customer: up to a second of both cores at a million customers,
        // off the threads that answer requests.
        let predicted = tokio::task::spawn_blocking(move || {
            let mut summaries: Vec<CustomerSummary> = histories
                .iter()
                .filter_map(|h| reports::summarize_one(h, end_day))
                .collect();
            // In the order of the histories, not of the ids: the sums are then the same on
            // every engine (ids are random), and equal histories are neighbours.
            reports::sort_histories(&mut summaries);
            predict(&summaries)
        })
        .await
        .map_err(|e| AppError::Internal(format!("predicting lifetime value: {e}")))?;
        let (predicted, not_enough_data) = match predicted {
            Ok(p) => (Some(p), None),
            Err(e) => (None, Some(e.to_string())),
        };
        Ok(LtvReport {
            query: Echo::of(q),
            currency: c.currency,
            total: historical("total".into(), &all),
            groups,
            predicted,
            not_enough_data,
        })
    }
}

fn date_number(d: time::Date) -> i64 {
    i64::from(d.to_julian_day())
}

fn day_number(t: closer_domain::Timestamp) -> i64 {
    date_number(t.get().date())
}

fn predict(customers: &[CustomerSummary]) -> Result<Predicted, reports::ModelError> {
    let model = ValueModel::fit(customers)?;
    // Customers come sorted by history: equal histories are neighbours and computed once.
    let mean = model.mean(customers, HORIZON_WEEKS);
    let (purchases, spend) = (model.purchases, model.spend);
    let finite = |v: f64| if v.is_finite() { v } else { 0.0 };
    #[allow(clippy::cast_possible_truncation)] // money far below i128's range
    Ok(Predicted {
        horizon_weeks: HORIZON_WEEKS,
        fitted_on: customers.len() as u64,
        purchase_model: PurchaseModel {
            r: round(purchases.r, 4),
            alpha: round(purchases.alpha, 4),
            a: round(purchases.a, 4),
            b: round(purchases.b, 4),
        },
        spend_model: SpendModel {
            p: round(spend.p, 4),
            q: round(spend.q, 4),
            gamma: round(spend.gamma, 4),
        },
        expected_purchases: round(finite(mean.expected_purchases), 3),
        probability_alive: round(finite(mean.probability_alive), 3),
        expected_value: money((finite(mean.expected_value) * 10_000.0).round() as i128),
        new_customer_expected_purchases: round(
            finite(purchases.expected_purchases_new(HORIZON_WEEKS)),
            3,
        ),
    })
}
