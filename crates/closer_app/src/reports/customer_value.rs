//! Each customer's predicted value — orders so far, expected purchases in the next 52 weeks,
//! the probability they are still a customer, and the value expected — from the workspace's
//! current lifetime-value fit: both models on every customer's whole history, kept for an hour
//! and then fitted again only if the orders changed.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use closer_domain::reports::{self, Breakdown, CustomerSummary, ValueModel};
use closer_domain::{ContactId, Timestamp, WorkspaceId};
use serde::Serialize;

use super::Reports;
use super::money;
use crate::{AppError, Principal};

/// How long a fit is used before the orders are looked at again.
const REFIT_AFTER_MICROS: i64 = 3_600_000_000;
/// How far ahead the prediction looks.
pub const HORIZON_WEEKS: f64 = 52.0;

/// A workspace's fit, and what it was made from.
#[derive(Clone)]
struct Fit {
    at: Timestamp,
    /// Orders read for it: a later read with as many (and the same newest) is no change.
    orders: (usize, Option<Timestamp>),
    currency: Option<String>,
    customers: u64,
    /// The models, or why there are none, in words.
    model: Result<ValueModel, String>,
    /// Whether each customer's value under this fit is stored for sorting (`refresh_values`).
    values_stored: Arc<AtomicBool>,
}

/// Each workspace's current fit.
#[derive(Default)]
pub(crate) struct ValueFits(Mutex<HashMap<WorkspaceId, Fit>>);

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CustomerValue {
    pub contact_id: ContactId,
    /// The currency of the fit (the one most orders are in); orders in others are not counted.
    pub currency: Option<String>,
    /// Orders so far, in that currency.
    pub orders: u64,
    /// Their total.
    pub spent: Option<String>,
    pub horizon_weeks: f64,
    /// `null` with `not_enough_data` saying why.
    pub expected_purchases: Option<f64>,
    pub probability_alive: Option<f64>,
    pub expected_value: Option<String>,
    pub not_enough_data: Option<String>,
    /// When the workspace's fit was made, and on how many customers.
    pub fitted_at: Option<Timestamp>,
    pub fitted_on: u64,
}

fn day(t: Timestamp) -> i64 {
    i64::from(t.get().date().to_julian_day())
}

#[allow(clippy::cast_precision_loss)] // money in whole units, far below 2^52
fn amount(units: i64) -> f64 {
    units as f64 / 10_000.0
}

impl Reports {
    /// The workspace's fit, made again when it is over an hour old and the orders changed.
    async fn value_fit(&self, ws: WorkspaceId) -> Result<Fit, AppError> {
        let now = Timestamp::now();
        let kept = self
            .inner()
            .value_fits
            .0
            .lock()
            .ok()
            .and_then(|m| m.get(&ws).cloned());
        if let Some(fit) = &kept
            && now.unix_micros() - fit.at.unix_micros() < REFIT_AFTER_MICROS
        {
            return Ok(fit.clone());
        }
        let rows = self
            .store()
            .orders_until(ws, now, &Breakdown::Total)
            .await?;
        let seen = (rows.len(), rows.last().map(|o| o.placed_at));
        let fit = match kept {
            Some(fit) if fit.orders == seen => Fit { at: now, ..fit },
            _ => {
                let end_day = day(now);
                tokio::task::spawn_blocking(move || fit_orders(&rows, seen, end_day, now))
                    .await
                    .map_err(|e| AppError::Internal(format!("fitting lifetime value: {e}")))?
            }
        };
        if let Ok(mut fits) = self.inner().value_fits.0.lock() {
            fits.insert(ws, fit.clone());
        }
        Ok(fit)
    }

    /// Stores each customer's value under the workspace's current fit, where contact lists
    /// sort by it (`sort=-value`); once per fit, so at most hourly and only after orders
    /// changed. Without a fit (too little data) no contact has a value.
    pub(crate) async fn refresh_values(&self, ws: WorkspaceId) -> Result<(), AppError> {
        let fit = self.value_fit(ws).await?;
        if fit.values_stored.load(Ordering::Acquire) {
            return Ok(());
        }
        let values = match (&fit.model, &fit.currency) {
            (Ok(model), Some(currency)) => {
                let rows = self
                    .store()
                    .orders_until(ws, fit.at, &Breakdown::Total)
                    .await?;
                let (model, currency) = (*model, currency.clone());
                let end_day = day(fit.at);
                tokio::task::spawn_blocking(move || {
                    customer_values(&rows, &currency, end_day, &model)
                })
                .await
                .map_err(|e| AppError::Internal(format!("predicting customer values: {e}")))?
            }
            _ => Vec::new(),
        };
        let currency = fit.currency.clone().unwrap_or_default();
        self.store()
            .put_contact_values(ws, &currency, &values, fit.at)
            .await?;
        fit.values_stored.store(true, Ordering::Release);
        Ok(())
    }

    /// One contact's value; the caller has checked the contact may be read.
    async fn value_of(&self, ws: WorkspaceId, id: ContactId) -> Result<CustomerValue, AppError> {
        let fit = self.value_fit(ws).await?;
        let mut orders = self.store().orders(ws, Some(id), u32::MAX).await?;
        orders.retain(|o| Some(o.currency.as_str()) == fit.currency.as_deref());
        orders.sort_by_key(|o| o.placed_at);
        let history: Vec<(i64, f64)> = orders
            .iter()
            .map(|o| (day(o.placed_at), amount(o.total.units())))
            .collect();
        let spent: i128 = orders.iter().map(|o| i128::from(o.total.units())).sum();
        let summary = reports::summarize_one(&history, day(Timestamp::now()));
        let (prediction, why) = match (&fit.model, summary) {
            (Ok(model), Some(s)) => (Some(model.predict(&s, HORIZON_WEEKS)), None),
            (Err(why), _) => (None, Some(why.clone())),
            (Ok(_), None) => (
                None,
                Some("no orders yet: a customer's value is predicted from their orders".to_owned()),
            ),
        };
        let finite = |v: f64| v.is_finite().then_some(v);
        #[allow(clippy::cast_possible_truncation)] // money far below i128's range
        Ok(CustomerValue {
            contact_id: id,
            currency: fit.currency.clone(),
            orders: orders.len() as u64,
            spent: (!orders.is_empty()).then(|| money(spent)),
            horizon_weeks: HORIZON_WEEKS,
            expected_purchases: prediction
                .and_then(|p| finite(p.expected_purchases))
                .map(|v| super::round(v, 3)),
            probability_alive: prediction
                .and_then(|p| finite(p.probability_alive))
                .map(|v| super::round(v, 3)),
            expected_value: prediction
                .and_then(|p| finite(p.expected_value))
                .map(|v| money((v * 10_000.0).round() as i128)),
            not_enough_data: why,
            fitted_at: Some(fit.at),
            fitted_on: fit.customers,
        })
    }
}

/// Both models on every customer's whole history, in the currency most orders are in.
fn fit_orders(
    rows: &[closer_store::OrderRow],
    seen: (usize, Option<Timestamp>),
    end_day: i64,
    now: Timestamp,
) -> Fit {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for o in rows {
        *counts.entry(o.currency.as_str()).or_default() += 1;
    }
    let currency = counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(c, _)| (*c).to_owned());
    let histories = histories(rows, currency.as_deref());
    let mut customers: Vec<CustomerSummary> = histories
        .values()
        .filter_map(|h| reports::summarize_one(h, end_day))
        .collect();
    reports::sort_histories(&mut customers);
    Fit {
        at: now,
        orders: seen,
        currency,
        customers: customers.len() as u64,
        model: ValueModel::fit(&customers).map_err(|e| e.to_string()),
        values_stored: Arc::default(),
    }
}

/// Each customer's orders in `currency` as (day, amount), in day order (rows come oldest
/// first).
fn histories(
    rows: &[closer_store::OrderRow],
    currency: Option<&str>,
) -> BTreeMap<ContactId, Vec<(i64, f64)>> {
    let mut histories: BTreeMap<ContactId, Vec<(i64, f64)>> = BTreeMap::new();
    for o in rows
        .iter()
        .filter(|o| Some(o.currency.as_str()) == currency)
    {
        histories
            .entry(o.contact)
            .or_default()
            .push((day(o.placed_at), amount(o.total_units)));
    }
    histories
}

/// Each customer's expected value over the horizon under `model`, in 1/10,000 units.
fn customer_values(
    rows: &[closer_store::OrderRow],
    currency: &str,
    end_day: i64,
    model: &ValueModel,
) -> Vec<(ContactId, i64)> {
    histories(rows, Some(currency))
        .into_iter()
        .filter_map(|(id, h)| {
            let summary = reports::summarize_one(&h, end_day)?;
            let v = model.predict(&summary, HORIZON_WEEKS).expected_value;
            #[allow(clippy::cast_possible_truncation)] // money far below i64's range
            v.is_finite().then(|| (id, (v * 10_000.0).round() as i64))
        })
        .collect()
}

impl Reports {
    /// One contact's value (404 for a contact this principal may not read).
    pub async fn customer_value(
        &self,
        principal: &Principal,
        id: ContactId,
    ) -> Result<CustomerValue, AppError> {
        crate::contacts::readable_contact(
            self.store().as_ref(),
            principal,
            closer_domain::access::Action::ReadContacts,
            id,
        )
        .await?;
        self.value_of(principal.workspace_id, id).await
    }
}
