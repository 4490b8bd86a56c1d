//! Customer lifetime value from order history.
//!
//! - BG/NBD (Fader, Hardie & Lee 2005): while "alive" a customer buys at a Poisson rate
//!   λ ~ Gamma(r, α); after each purchase they drop out with probability p ~ Beta(a, b). It is
//!   fitted on each customer's repeat purchases `x`, the time of the last one `t_x` and their
//!   age `T` (all in weeks from the first purchase).
//! - Gamma-Gamma (Fader & Hardie 2013): a customer's mean spend per repeat purchase, with
//!   spend ~ Gamma(p, ν) and ν ~ Gamma(q, γ); fitted on repeat buyers' `x` and mean spend.
//!
//! Both are fitted by maximum likelihood; on the CDNOW sample they give the published
//! estimates (see the tests).

// The formulas keep the papers' one-letter names (r, α, a, b, p, q, x…) so they can be checked
// against them line by line; counts of purchases and days are far below 2^52.
#![allow(
    clippy::many_single_char_names,
    clippy::cast_precision_loss,
    clippy::similar_names
)]

use libm::lgamma;

use super::optimize::minimize;

/// One customer's purchase history, in weeks from their first purchase.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CustomerSummary {
    /// Repeat purchases: days with a purchase after the first one.
    pub x: f64,
    /// When the last repeat purchase was (0 without one).
    pub t_x: f64,
    /// The customer's age at the end of the observation.
    pub t: f64,
    /// Mean value of the repeat purchases (0 without one).
    pub mean_spend: f64,
}

/// Why a model could not be fitted: a clear answer instead of NaN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("not enough data: {0}")]
    NotEnoughData(String),
    #[error("the model did not converge")]
    NoFit,
}

const WEEK: f64 = 7.0;

/// Summaries from purchases `(customer, day number, amount)`, observed until `end_day`
/// (inclusive). Several purchases on one day are one purchase (their amounts added); the first
/// purchase day is not a repeat; a customer's age runs from their first purchase to `end_day`.
pub fn summarize<K: Ord + Clone>(
    purchases: &[(K, i64, f64)],
    end_day: i64,
) -> Vec<(K, CustomerSummary)> {
    use std::collections::BTreeMap;
    let mut days: BTreeMap<K, BTreeMap<i64, f64>> = BTreeMap::new();
    for (customer, day, amount) in purchases.iter().filter(|p| p.1 <= end_day) {
        *days
            .entry(customer.clone())
            .or_default()
            .entry(*day)
            .or_default() += amount;
    }
    days.into_iter()
        .filter_map(|(customer, by_day)| {
            let (&first, _) = by_day.iter().next()?;
            let (&last, _) = by_day.iter().next_back()?;
            let repeats: Vec<f64> = by_day.iter().skip(1).map(|(_, v)| *v).collect();
            let x = repeats.len() as f64;
            let mean_spend = if repeats.is_empty() {
                0.0
            } else {
                repeats.iter().sum::<f64>() / x
            };
            Some((
                customer,
                CustomerSummary {
                    x,
                    t_x: (last - first) as f64 / WEEK,
                    t: (end_day - first) as f64 / WEEK,
                    mean_spend,
                },
            ))
        })
        .collect()
}

fn ln_beta(a: f64, b: f64) -> f64 {
    lgamma(a) + lgamma(b) - lgamma(a + b)
}

/// log(e^x + e^y) without overflow.
fn log_sum_exp(x: f64, y: f64) -> f64 {
    let m = x.max(y);
    m + ((x - m).exp() + (y - m).exp()).ln()
}

/// Gauss's hypergeometric 2F1(a, b; c; z) for 0 <= z < 1, by its series.
fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0;
    for n in 0..10_000 {
        let n = f64::from(n);
        term *= (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
        sum += term;
        if term.abs() < 1e-15 * sum.abs() {
            break;
        }
    }
    sum
}

/// Fitted BG/NBD parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BgNbd {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
    /// The log-likelihood at the fit.
    pub log_likelihood: f64,
}

impl BgNbd {
    /// One customer's log-likelihood under `(r, α, a, b)`.
    fn ll(p: &[f64], c: &CustomerSummary) -> f64 {
        Self::ll_given(p, c, Self::ll_of_x(p, c.x))
    }

    /// The part of a customer's log-likelihood that depends on `x` alone: its six log-gamma
    /// calls are most of a fit's time, and a fit's customers have a few dozen distinct `x`.
    fn ll_of_x(p: &[f64], x: f64) -> f64 {
        let (r, alpha, a, b) = (p[0], p[1], p[2], p[3]);
        let a1 = lgamma(r + x) - lgamma(r) + r * alpha.ln();
        let a2 = ln_beta(a, b + x) - ln_beta(a, b);
        a1 + a2
    }

    /// The log-likelihood given `ll_of_x(p, c.x)`.
    fn ll_given(p: &[f64], c: &CustomerSummary, of_x: f64) -> f64 {
        let (r, alpha, a, b) = (p[0], p[1], p[2], p[3]);
        let CustomerSummary { x, t_x, t, .. } = *c;
        let a3 = -(r + x) * (alpha + t).ln();
        if x > 0.0 {
            let a4 = a.ln() - (b + x - 1.0).ln() - (r + x) * (alpha + t_x).ln();
            of_x + log_sum_exp(a3, a4)
        } else {
            of_x + a3
        }
    }

    /// The log-likelihood of all `customers` under `params`.
    pub fn log_likelihood(params: [f64; 4], customers: &[CustomerSummary]) -> f64 {
        customers.iter().map(|c| Self::ll(&params, c)).sum()
    }

    /// Fits the model by maximum likelihood. Needs at least 10 customers, some of whom bought
    /// again.
    pub fn fit(customers: &[CustomerSummary]) -> Result<Self, ModelError> {
        let repeaters = customers.iter().filter(|c| c.x > 0.0).count();
        if customers.len() < 10 || repeaters == 0 {
            return Err(ModelError::NotEnoughData(format!(
                "BG/NBD needs at least 10 customers, some with a repeat purchase ({} customers, {repeaters} repeat buyers)",
                customers.len()
            )));
        }
        let data = grouped(customers, |c| (c.x, c.t_x, c.t));
        let neg_ll = move |p: &[f64]| -customers_ll(p, &data);
        let starts = [
            vec![1.0, 1.0, 1.0, 1.0],
            vec![0.5, 5.0, 0.5, 2.0],
            vec![0.2, 10.0, 1.5, 4.0],
        ];
        let (p, cost) = minimize(neg_ll, &starts).ok_or(ModelError::NoFit)?;
        Ok(Self {
            r: p[0],
            alpha: p[1],
            a: p[2],
            b: p[3],
            log_likelihood: -cost,
        })
    }

    /// Expected purchases in the next `weeks` by a customer with this history (equation 10 of
    /// Fader, Hardie & Lee 2005).
    pub fn expected_purchases(&self, c: &CustomerSummary, weeks: f64) -> f64 {
        let Self { r, alpha, a, b, .. } = *self;
        let CustomerSummary { x, t_x, t, .. } = *c;
        let z = weeks / (alpha + t + weeks);
        let head = (a + b + x - 1.0) / (a - 1.0);
        let tail = 1.0
            - ((alpha + t) / (alpha + t + weeks)).powf(r + x)
                * hyp2f1(r + x, b + x, a + b + x - 1.0, z);
        let alive_odds = if x > 0.0 {
            a / (b + x - 1.0) * ((alpha + t) / (alpha + t_x)).powf(r + x)
        } else {
            0.0
        };
        head * tail / (1.0 + alive_odds)
    }

    /// Expected purchases by a new customer within `weeks` of their first (equation 9).
    pub fn expected_purchases_new(&self, weeks: f64) -> f64 {
        let Self { r, alpha, a, b, .. } = *self;
        let z = weeks / (alpha + weeks);
        (a + b - 1.0) / (a - 1.0)
            * (1.0 - (alpha / (alpha + weeks)).powf(r) * hyp2f1(r, b, a + b - 1.0, z))
    }

    /// The probability the customer is still "alive" (will buy again).
    pub fn probability_alive(&self, c: &CustomerSummary) -> f64 {
        if c.x == 0.0 {
            return 1.0;
        }
        let odds = self.a / (self.b + c.x - 1.0)
            * ((self.alpha + c.t) / (self.alpha + c.t_x)).powf(self.r + c.x);
        1.0 / (1.0 + odds)
    }
}

/// Customers with the same `key` merged, with how many there were: a likelihood is summed once
/// per distinct history (many customers share one, such as every one-time buyer of a week).
fn grouped<K: PartialOrd>(
    customers: &[CustomerSummary],
    key: impl Fn(&CustomerSummary) -> K,
) -> Vec<(CustomerSummary, f64)> {
    let mut sorted = customers.to_vec();
    sorted.sort_by(|a, b| {
        key(a)
            .partial_cmp(&key(b))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let mut out: Vec<(CustomerSummary, f64)> = Vec::new();
    for c in sorted {
        match out.last_mut() {
            Some((last, n)) if key(last) == key(&c) => *n += 1.0,
            _ => out.push((c, 1.0)),
        }
    }
    out
}

/// `value(x)`, computed again only when `x` changes: the customers come sorted by `x`.
struct ByX<F> {
    last: Option<(f64, f64)>,
    value: F,
}

impl<F: Fn(f64) -> f64> ByX<F> {
    fn new(value: F) -> Self {
        Self { last: None, value }
    }

    fn at(&mut self, x: f64) -> f64 {
        match self.last {
            Some((seen, v)) if seen.to_bits() == x.to_bits() => v,
            _ => {
                let v = (self.value)(x);
                self.last = Some((x, v));
                v
            }
        }
    }
}

fn customers_ll(p: &[f64], customers: &[(CustomerSummary, f64)]) -> f64 {
    let mut of_x = ByX::new(|x| BgNbd::ll_of_x(p, x));
    customers
        .iter()
        .map(|(c, n)| n * BgNbd::ll_given(p, c, of_x.at(c.x)))
        .sum()
}

/// Fitted Gamma-Gamma parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaGamma {
    pub p: f64,
    pub q: f64,
    pub gamma: f64,
    pub log_likelihood: f64,
}

impl GammaGamma {
    /// The part of a customer's log-likelihood that depends on `x` alone (its log-gamma
    /// calls; see `BgNbd::ll_of_x`).
    fn ll_of_x(params: &[f64], x: f64) -> f64 {
        let (p, q, g) = (params[0], params[1], params[2]);
        lgamma(p * x + q) - lgamma(p * x) - lgamma(q) + q * g.ln()
    }

    fn ll_given(params: &[f64], c: &CustomerSummary, of_x: f64) -> f64 {
        let (p, q, g) = (params[0], params[1], params[2]);
        let (x, m) = (c.x, c.mean_spend);
        of_x + (p * x - 1.0) * m.ln() + (p * x) * x.ln() - (p * x + q) * (g + x * m).ln()
    }

    /// Fits on the customers with at least one repeat purchase and a positive mean spend.
    /// Needs at least 10 of them; `q` must come out above 1 for the expected spend to exist.
    pub fn fit(customers: &[CustomerSummary]) -> Result<Self, ModelError> {
        let data: Vec<CustomerSummary> = customers
            .iter()
            .filter(|c| c.x > 0.0 && c.mean_spend > 0.0)
            .copied()
            .collect();
        if data.len() < 10 {
            return Err(ModelError::NotEnoughData(format!(
                "Gamma-Gamma needs at least 10 repeat buyers with spend ({} here)",
                data.len()
            )));
        }
        let fitted = grouped(&data, |c| (c.x, c.mean_spend));
        let neg_ll = move |p: &[f64]| {
            let mut of_x = ByX::new(|x| Self::ll_of_x(p, x));
            -fitted
                .iter()
                .map(|(c, n)| n * Self::ll_given(p, c, of_x.at(c.x)))
                .sum::<f64>()
        };
        let starts = [
            vec![1.0, 1.0, 1.0],
            vec![5.0, 3.0, 10.0],
            vec![2.0, 2.0, 50.0],
        ];
        let (p, cost) = minimize(neg_ll, &starts).ok_or(ModelError::NoFit)?;
        if p[1] <= 1.0 {
            return Err(ModelError::NoFit);
        }
        Ok(Self {
            p: p[0],
            q: p[1],
            gamma: p[2],
            log_likelihood: -cost,
        })
    }

    /// The expected mean spend per purchase of a customer with this history (equation 5 of
    /// Fader & Hardie 2013); the population mean for a customer without repeats.
    pub fn expected_spend(&self, c: &CustomerSummary) -> f64 {
        let Self { p, q, gamma, .. } = *self;
        let population = p * gamma / (q - 1.0);
        if c.x == 0.0 {
            return population;
        }
        let weight = p * c.x / (p * c.x + q - 1.0);
        (1.0 - weight) * population + weight * c.mean_spend
    }
}
