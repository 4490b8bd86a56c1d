//! Customer lifetime value from order history.
//!
//! - BG/NBD (Fader, Hardie & Lee 2005): while "alive" a customer buys at a Poisson rate
//!   λ ~ Gamma(r, α); after each purchase they drop out with probability p ~ Beta(a, b). It is
//!   fitted on each customer's repeat purchases `x`, the time of the last one `t_x` and their
//!   age `T` (all in weeks from the first purchase).
//! - Gamma-Gamma (Fader & Hardie 2013): a customer's mean spend per repeat purchase, with
//!   spend ~ Gamma(p, ν) and ν ~ Gamma(q, γ); fitted on repeat buyers' `x` and mean spend.
//!
//! Both are fitted by maximum likelihood on every customer (`clv_fit.rs`: grouped histories,
//! written-out gradients, L-BFGS); on the CDNOW sample they give the published estimates (see
//! the tests). A fit whose parameters run off to the edge of what the model can describe is
//! refused in words (`ModelError::Unsupported`), not printed.

// The formulas keep the papers' one-letter names (r, α, a, b, p, q, x…) so they can be checked
// against them line by line; counts of purchases and days are far below 2^52.
#![allow(
    clippy::many_single_char_names,
    clippy::cast_precision_loss,
    clippy::similar_names
)]

use super::clv_fit::{BgNbdData, GammaGammaData};
use super::optimize::{minimize, minimize_smooth};

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
    #[error("the history cannot support a fit: {0}")]
    Unsupported(String),
}

/// The parameters maximising a log-likelihood of `n` customers (`eval`: its value and
/// gradient), and the minimised cost (the negative log-likelihood per customer): L-BFGS on the
/// gradient, Nelder-Mead on the value where that finds nothing.
fn maximum_likelihood<const N: usize>(
    eval: impl Fn(&[f64]) -> (f64, [f64; N]) + Copy,
    n: f64,
    starts: &[Vec<f64>],
) -> Result<(Vec<f64>, f64), ModelError> {
    let value_grad = move |p: &[f64]| {
        let (ll, g) = eval(p);
        (-ll / n, g.iter().map(|g| -g / n).collect())
    };
    minimize_smooth(value_grad, starts)
        .or_else(|| minimize(move |p: &[f64]| -eval(p).0 / n, starts))
        .ok_or(ModelError::NoFit)
}

/// Shape and scale parameters beyond these describe a limit the data only approaches (no
/// heterogeneity, no dropout seen, a history too short): the estimates mean nothing there.
const SUPPORTED: (f64, f64) = (1e-4, 1e4);

fn supported(names: &[&str], values: &[f64]) -> Result<(), ModelError> {
    for (name, v) in names.iter().zip(values) {
        if !(SUPPORTED.0..=SUPPORTED.1).contains(v) {
            return Err(ModelError::Unsupported(format!(
                "its {name} runs off to {v:.3e}, the edge of what the model can describe; the orders so far do not show enough repeat purchases over enough time to predict from"
            )));
        }
    }
    Ok(())
}

const WEEK: f64 = 7.0;

/// Summaries from purchases `(customer, day number, amount)`, observed until `end_day`
/// (inclusive). Several purchases on one day are one purchase (their amounts added); the first
/// purchase day is not a repeat; a customer's age runs from their first purchase to `end_day`.
/// One customer's summary from their orders `(day, amount)` in day order, observed until
/// `end_day` (inclusive); `None` without an order by then. As `summarize`, for a caller that
/// has each customer's orders together already.
pub fn summarize_one(orders: &[(i64, f64)], end_day: i64) -> Option<CustomerSummary> {
    let mut seen = orders.iter().filter(|o| o.0 <= end_day);
    let &(first, _) = seen.next()?;
    let (mut last, mut x, mut repeat_sum) = (first, 0.0, 0.0);
    for &(day, amount) in seen {
        if day == first {
            // The first day is not a repeat, however many orders it has.
        } else if day == last {
            repeat_sum += amount;
        } else {
            x += 1.0;
            repeat_sum += amount;
            last = day;
        }
    }
    Some(CustomerSummary {
        x,
        t_x: (last - first) as f64 / WEEK,
        t: (end_day - first) as f64 / WEEK,
        mean_spend: if x > 0.0 { repeat_sum / x } else { 0.0 },
    })
}

pub fn summarize<K: Ord + Clone>(
    purchases: &[(K, i64, f64)],
    end_day: i64,
) -> Vec<(K, CustomerSummary)> {
    // Sorted by customer and day, then one pass: a million customers' orders in a few hundred
    // milliseconds less than through a map of maps.
    let mut sorted: Vec<&(K, i64, f64)> = purchases.iter().filter(|p| p.1 <= end_day).collect();
    sorted.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut out = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let customer = &sorted[i].0;
        let first = sorted[i].1;
        let (mut last, mut x, mut repeat_sum) = (first, 0.0, 0.0);
        let mut j = i;
        while j < sorted.len() && sorted[j].0 == *customer {
            let (_, day, amount) = sorted[j];
            if *day == first {
                // The first day is not a repeat, however many orders it has.
            } else if *day == last {
                repeat_sum += amount;
            } else {
                x += 1.0;
                repeat_sum += amount;
                last = *day;
            }
            j += 1;
        }
        out.push((
            customer.clone(),
            CustomerSummary {
                x,
                t_x: (last - first) as f64 / WEEK,
                t: (end_day - first) as f64 / WEEK,
                mean_spend: if x > 0.0 { repeat_sum / x } else { 0.0 },
            },
        ));
        i = j;
    }
    out
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
    /// The log-likelihood of all `customers` under `(r, α, a, b)`.
    pub fn log_likelihood(params: [f64; 4], customers: &[CustomerSummary]) -> f64 {
        BgNbdData::new(customers, false).eval(&params).0
    }

    /// Fits the model by maximum likelihood on every customer, identical histories grouped.
    /// Needs at least 10 customers, some of whom bought again.
    pub fn fit(customers: &[CustomerSummary]) -> Result<Self, ModelError> {
        Self::fit_grouped(customers, true)
    }

    /// The same fit summing every customer's likelihood one by one: what grouping must equal.
    pub fn fit_each(customers: &[CustomerSummary]) -> Result<Self, ModelError> {
        Self::fit_grouped(customers, false)
    }

    fn fit_grouped(customers: &[CustomerSummary], merge: bool) -> Result<Self, ModelError> {
        let repeaters = customers.iter().filter(|c| c.x > 0.0).count();
        if customers.len() < 10 || repeaters == 0 {
            return Err(ModelError::NotEnoughData(format!(
                "BG/NBD needs at least 10 customers, some with a repeat purchase ({} customers, {repeaters} repeat buyers)",
                customers.len()
            )));
        }
        let data = BgNbdData::new(customers, merge);
        let n = data.customers();
        // First from where shops usually are (α in the customers' time scale), then wider.
        let mean_age = customers.iter().map(|c| c.t).sum::<f64>() / n;
        let starts = [
            vec![0.3, (mean_age / 8.0).max(0.1), 0.8, 2.5],
            vec![1.0, 1.0, 1.0, 1.0],
            vec![0.2, 10.0, 1.5, 4.0],
        ];
        let (p, cost) = maximum_likelihood(|p| data.eval(p), n, &starts)?;
        supported(&["r", "alpha", "a", "b"], &p)?;
        Ok(Self {
            r: p[0],
            alpha: p[1],
            a: p[2],
            b: p[3],
            log_likelihood: -cost * n,
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

/// Fitted Gamma-Gamma parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaGamma {
    pub p: f64,
    pub q: f64,
    pub gamma: f64,
    pub log_likelihood: f64,
}

impl GammaGamma {
    /// Fits on the customers with at least one repeat purchase and a positive mean spend, all
    /// of them. Needs at least 10; `q` must come out above 1 for the expected spend to exist.
    pub fn fit(customers: &[CustomerSummary]) -> Result<Self, ModelError> {
        Self::fit_grouped(customers, true)
    }

    /// The same fit without grouping equal histories: what grouping must equal.
    pub fn fit_each(customers: &[CustomerSummary]) -> Result<Self, ModelError> {
        Self::fit_grouped(customers, false)
    }

    fn fit_grouped(customers: &[CustomerSummary], merge: bool) -> Result<Self, ModelError> {
        let buyers: Vec<CustomerSummary> = customers
            .iter()
            .filter(|c| c.x > 0.0 && c.mean_spend > 0.0)
            .copied()
            .collect();
        if buyers.len() < 10 {
            return Err(ModelError::NotEnoughData(format!(
                "Gamma-Gamma needs at least 10 repeat buyers with spend ({} here)",
                buyers.len()
            )));
        }
        let data = GammaGammaData::new(&buyers, merge);
        let n = data.customers();
        // Spends are divided by their mean, so E[spend] = p γ / (q - 1) = 1 at each start.
        let starts = [
            vec![5.0, 3.0, 0.4],
            vec![2.0, 2.0, 0.5],
            vec![1.0, 1.0, 1.0],
        ];
        let (p, cost) = maximum_likelihood(|p| data.eval(p), n, &starts)?;
        supported(&["p", "q", "scale"], &p)?;
        if p[1] <= 1.0 {
            return Err(ModelError::Unsupported(format!(
                "its q comes out at {:.3}, at most 1, where the expected spend does not exist",
                p[1]
            )));
        }
        Ok(Self {
            p: p[0],
            q: p[1],
            gamma: p[2] * data.scale,
            // The likelihood of the spends as given: dividing them by `scale` added ln(scale)
            // per buyer.
            log_likelihood: -cost * n - n * data.scale.ln(),
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

/// A shop's order history drawn from the two models themselves — for tests and the load
/// generator, whose fits must find the parameters they were drawn with. Each of `customers`
/// first buys on a day in `0..days` (equally likely); while alive buys at a rate λ ~ Gamma(r, α)
/// a week and after each repeat purchase leaves with probability p ~ Beta(a, b); each purchase
/// is worth z ~ Gamma(p, ν), ν ~ Gamma(q, γ). Returns `(customer, day, amount)`, observed to
/// the end of day `days - 1`. Deterministic for a `seed`.
#[allow(clippy::cast_possible_truncation)] // days far below 2^53
pub fn simulate(
    customers: u32,
    days: i64,
    purchase: [f64; 4],
    spend: [f64; 3],
    seed: u64,
) -> Vec<(u32, i64, f64)> {
    let mut rng = Rng(seed);
    let [r, alpha, a, b] = purchase;
    let [p, q, gamma] = spend;
    let mut out = Vec::new();
    for c in 0..customers {
        let first = (rng.uniform() * days as f64) as i64;
        let rate = rng.gamma(r) / alpha;
        let drop = {
            let (x, y) = (rng.gamma(a), rng.gamma(b));
            x / (x + y)
        };
        let nu = rng.gamma(q) / gamma;
        let mut day = first as f64;
        out.push((c, first, rng.gamma(p) / nu));
        loop {
            day += 7.0 * rng.exponential() / rate;
            if day >= days as f64 {
                break;
            }
            out.push((c, day as i64, rng.gamma(p) / nu));
            if rng.uniform() < drop {
                break;
            }
        }
    }
    out
}

/// splitmix64: small, fast and good enough to draw test histories from.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// In (0, 1).
    fn uniform(&mut self) -> f64 {
        ((self.next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn exponential(&mut self) -> f64 {
        -self.uniform().ln()
    }

    fn normal(&mut self) -> f64 {
        (-2.0 * self.uniform().ln()).sqrt() * (std::f64::consts::TAU * self.uniform()).cos()
    }

    /// Gamma(shape, 1), Marsaglia and Tsang's method.
    fn gamma(&mut self, shape: f64) -> f64 {
        if shape < 1.0 {
            return self.gamma(shape + 1.0) * self.uniform().powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = (1.0 + c * x).powi(3);
            if v <= 0.0 {
                continue;
            }
            let u = self.uniform();
            if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v;
            }
        }
    }
}

/// Both models fitted on one set of customers: what predicts each customer's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValueModel {
    pub purchases: BgNbd,
    pub spend: GammaGamma,
}

/// One customer's prediction over a horizon.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prediction {
    pub expected_purchases: f64,
    pub probability_alive: f64,
    /// Expected purchases × expected spend per purchase.
    pub expected_value: f64,
}

impl ValueModel {
    pub fn fit(customers: &[CustomerSummary]) -> Result<Self, ModelError> {
        Ok(Self {
            purchases: BgNbd::fit(customers)?,
            spend: GammaGamma::fit(customers)?,
        })
    }

    pub fn predict(&self, c: &CustomerSummary, weeks: f64) -> Prediction {
        let e = self.purchases.expected_purchases(c, weeks);
        Prediction {
            expected_purchases: e,
            probability_alive: self.purchases.probability_alive(c),
            expected_value: e * self.spend.expected_spend(c),
        }
    }

    /// The mean prediction over `customers`; equal histories are computed once when they
    /// come next to each other (sort them first). Spread over the cores for many customers.
    pub fn mean(&self, customers: &[CustomerSummary], weeks: f64) -> Prediction {
        let n = customers.len().max(1) as f64;
        let (_, sum) = super::clv_fit::sum_over(customers, |chunk| {
            let mut sum = [0.0; 3];
            let mut last: Option<(CustomerSummary, Prediction)> = None;
            for c in chunk {
                let p = match last {
                    Some((seen, p)) if seen == *c => p,
                    _ => self.predict(c, weeks),
                };
                let finite = |v: f64| if v.is_finite() { v } else { 0.0 };
                sum[0] += finite(p.expected_purchases);
                sum[1] += finite(p.probability_alive);
                sum[2] += finite(p.expected_value);
                last = Some((*c, p));
            }
            (0.0, sum)
        });
        Prediction {
            expected_purchases: sum[0] / n,
            probability_alive: sum[1] / n,
            expected_value: sum[2] / n,
        }
    }
}

/// Customers in the order of their histories: equal ones become neighbours (computed once by
/// `ValueModel::mean`), and sums come out the same whatever order the customers were read in.
pub fn sort_histories(customers: &mut [CustomerSummary]) {
    customers.sort_unstable_by(|a, b| {
        a.x.total_cmp(&b.x)
            .then(a.t_x.total_cmp(&b.t_x))
            .then(a.t.total_cmp(&b.t))
            .then(a.mean_spend.total_cmp(&b.mean_spend))
    });
}

/// How many distinct (x, t_x, T) histories `customers` hold: the terms a BG/NBD fit sums.
pub fn distinct_histories(customers: &[CustomerSummary]) -> usize {
    BgNbdData::new(customers, true).groups()
}
