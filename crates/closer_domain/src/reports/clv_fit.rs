//! The maximum-likelihood fits of BG/NBD and Gamma-Gamma on every customer, fast enough for a
//! report at a million customers: identical histories are grouped and weighted by their count
//! (the likelihood is then the same sum, exactly); terms that depend on one variable are
//! computed once per distinct value of it (the log-gammas per distinct `x`, the logarithms per
//! distinct age); and the gradient is written out, so a quasi-Newton search (L-BFGS, argmin)
//! converges in a few dozen steps where a simplex needs thousands.

// The papers' one-letter names, as in `clv.rs`; counts far below 2^52.
#![allow(
    clippy::many_single_char_names,
    clippy::cast_precision_loss,
    clippy::similar_names
)]

use libm::lgamma;

use super::clv::CustomerSummary;

/// ψ(x), the derivative of ln Γ, for x > 0: the recurrence up to 10, then the asymptotic
/// series (error below 1e-13 there).
pub(crate) fn digamma(mut x: f64) -> f64 {
    let mut out = 0.0;
    while x < 10.0 {
        out -= 1.0 / x;
        x += 1.0;
    }
    let f = 1.0 / (x * x);
    out + x.ln()
        - 0.5 / x
        - f * (1.0 / 12.0 - f * (1.0 / 120.0 - f * (1.0 / 252.0 - f * (1.0 / 240.0 - f / 132.0))))
}

/// The distinct values of a column, sorted; a value's index is found by binary search.
fn distinct(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = values.collect();
    v.sort_unstable_by(f64::total_cmp);
    v.dedup_by(|a, b| a.to_bits() == b.to_bits());
    v
}

fn index_of(values: &[f64], v: f64) -> u32 {
    let i = values
        .binary_search_by(|probe| probe.total_cmp(&v))
        .unwrap_or_else(|i| i);
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// Rows with equal keys merged, with their count (`merge`), or each row on its own. Sorting
/// instead of hashing: a million rows in tens of milliseconds.
fn runs<K: Ord + Copy>(mut keys: Vec<K>, merge: bool) -> Vec<(K, f64)> {
    if !merge {
        return keys.into_iter().map(|k| (k, 1.0)).collect();
    }
    keys.sort_unstable();
    let mut out: Vec<(K, f64)> = Vec::new();
    for k in keys {
        match out.last_mut() {
            Some((last, n)) if *last == k => *n += 1.0,
            _ => out.push((k, 1.0)),
        }
    }
    out
}

/// Below this many groups a likelihood is summed on the calling thread.
const PARALLEL_FROM: usize = 20_000;

/// `f` over `items` in chunks, one per core (at most 4), the partial sums added: a million
/// customers' likelihood is summed a hundred times in a fit.
pub(crate) fn sum_over<T: Sync, const N: usize>(
    items: &[T],
    f: impl Fn(&[T]) -> (f64, [f64; N]) + Sync,
) -> (f64, [f64; N]) {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    if threads < 2 || items.len() < PARALLEL_FROM {
        return f(items);
    }
    let chunk = items.len().div_ceil(threads);
    let parts: Vec<(f64, [f64; N])> = std::thread::scope(|scope| {
        let handles: Vec<_> = items.chunks(chunk).map(|c| scope.spawn(|| f(c))).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or((f64::NAN, [f64::NAN; N])))
            .collect()
    });
    let mut total = (0.0, [0.0; N]);
    for (v, g) in parts {
        total.0 += v;
        for (t, d) in total.1.iter_mut().zip(g) {
            *t += d;
        }
    }
    total
}

/// One BG/NBD group: customers sharing (x, t_x, T), by index into the distinct values.
#[derive(Clone, Copy)]
struct BgGroup {
    x: u32,
    t: u32,
    t_x: u32,
    n: f64,
}

/// The customers of a BG/NBD fit, grouped.
pub(crate) struct BgNbdData {
    customers: f64,
    /// Distinct `x`, and how many customers have each.
    xs: Vec<(f64, f64)>,
    ts: Vec<f64>,
    t_xs: Vec<f64>,
    groups: Vec<BgGroup>,
}

impl BgNbdData {
    /// `merge`: group identical histories (false keeps one group per customer: the plain sum,
    /// for checking that grouping changes nothing).
    pub(crate) fn new(customers: &[CustomerSummary], merge: bool) -> Self {
        // Bits order like the (non-negative) values; only equality matters here.
        let keys = customers
            .iter()
            .map(|c| (c.x.to_bits(), c.t.to_bits(), c.t_x.to_bits()))
            .collect();
        let merged = runs(keys, merge);
        let xs = distinct(merged.iter().map(|((x, _, _), _)| f64::from_bits(*x)));
        let ts = distinct(merged.iter().map(|((_, t, _), _)| f64::from_bits(*t)));
        let t_xs = distinct(merged.iter().map(|((_, _, tx), _)| f64::from_bits(*tx)));
        let mut counts = vec![0.0; xs.len()];
        let groups = merged
            .iter()
            .map(|&((x, t, tx), n)| {
                let g = BgGroup {
                    x: index_of(&xs, f64::from_bits(x)),
                    t: index_of(&ts, f64::from_bits(t)),
                    t_x: index_of(&t_xs, f64::from_bits(tx)),
                    n,
                };
                counts[g.x as usize] += n;
                g
            })
            .collect();
        Self {
            customers: customers.len() as f64,
            xs: xs.into_iter().zip(counts).collect(),
            ts,
            t_xs,
            groups,
        }
    }

    /// Distinct histories (groups) in the fit.
    pub(crate) fn groups(&self) -> usize {
        self.groups.len()
    }

    pub(crate) fn customers(&self) -> f64 {
        self.customers
    }

    /// The log-likelihood at `(r, α, a, b)` and its gradient in them.
    pub(crate) fn eval(&self, p: &[f64]) -> (f64, [f64; 4]) {
        let (r, alpha, a, b) = (p[0], p[1], p[2], p[3]);
        let (ln_alpha, ln_a) = (alpha.ln(), a.ln());
        let (lg_r, lg_b, lg_ab) = (lgamma(r), lgamma(b), lgamma(a + b));
        let (psi_r, psi_b, psi_ab) = (digamma(r), digamma(b), digamma(a + b));
        let mut ll = 0.0;
        let mut g = [0.0; 4];
        // What depends on x alone, once per distinct x; c4 and its b-derivative for the groups.
        let mut c4 = Vec::with_capacity(self.xs.len());
        for &(x, n) in &self.xs {
            let a1 = lgamma(r + x) - lg_r + r * ln_alpha;
            let a2 = lgamma(b + x) - lgamma(a + b + x) - lg_b + lg_ab;
            ll += n * (a1 + a2);
            let psi_abx = digamma(a + b + x);
            g[0] += n * (digamma(r + x) - psi_r + ln_alpha);
            g[1] += n * r / alpha;
            g[2] += n * (psi_ab - psi_abx);
            g[3] += n * (digamma(b + x) - psi_abx - psi_b + psi_ab);
            c4.push(if x > 0.0 {
                (ln_a - (b + x - 1.0).ln(), -1.0 / (b + x - 1.0))
            } else {
                (0.0, 0.0)
            });
        }
        let at = |v: &[f64]| -> Vec<(f64, f64)> {
            v.iter()
                .map(|t| ((alpha + t).ln(), 1.0 / (alpha + t)))
                .collect()
        };
        let (at_t, at_tx) = (at(&self.ts), at(&self.t_xs));
        let (ll_groups, g_groups) = sum_over(&self.groups, |chunk| {
            let mut ll = 0.0;
            let mut g = [0.0; 4];
            for grp in chunk {
                let x = self.xs[grp.x as usize].0;
                let (lt, it) = at_t[grp.t as usize];
                let rx = r + x;
                let a3 = -rx * lt;
                if x > 0.0 {
                    let (ltx, itx) = at_tx[grp.t_x as usize];
                    let (c, dc_db) = c4[grp.x as usize];
                    let a4 = c - rx * ltx;
                    // log(e^a3 + e^a4) with one exponential: the smaller over the larger.
                    let e = (-(a3 - a4).abs()).exp();
                    let s = 1.0 + e;
                    let (w_big, w_small) = (1.0 / s, e / s);
                    let (w3, w4) = if a3 >= a4 {
                        (w_big, w_small)
                    } else {
                        (w_small, w_big)
                    };
                    ll += grp.n * (a3.max(a4) + e.ln_1p());
                    g[0] -= grp.n * (w3 * lt + w4 * ltx);
                    g[1] -= grp.n * rx * (w3 * it + w4 * itx);
                    g[2] += grp.n * w4 / a;
                    g[3] += grp.n * w4 * dc_db;
                } else {
                    ll += grp.n * a3;
                    g[0] -= grp.n * lt;
                    g[1] -= grp.n * rx * it;
                }
            }
            (ll, g)
        });
        ll += ll_groups;
        for (g, d) in g.iter_mut().zip(g_groups) {
            *g += d;
        }
        (ll, g)
    }
}

/// The repeat buyers of a Gamma-Gamma fit, grouped by (x, mean spend). Spend is divided by
/// its mean first, so the scale parameter is near 1 whatever the currency and prices; the
/// fitted γ is multiplied back (`scale`).
pub(crate) struct GammaGammaData {
    customers: f64,
    pub(crate) scale: f64,
    /// Distinct `x`, their ln, and how many buyers have each.
    xs: Vec<(f64, f64, f64)>,
    /// (x index, spend / scale, its ln, count).
    groups: Vec<(u32, f64, f64, f64)>,
}

impl GammaGammaData {
    pub(crate) fn new(buyers: &[CustomerSummary], merge: bool) -> Self {
        let scale = buyers.iter().map(|c| c.mean_spend).sum::<f64>() / buyers.len().max(1) as f64;
        let scale = if scale > 0.0 && scale.is_finite() {
            scale
        } else {
            1.0
        };
        let keys = buyers
            .iter()
            .map(|c| (c.x.to_bits(), c.mean_spend.to_bits()))
            .collect();
        let merged = runs(keys, merge);
        let xs = distinct(merged.iter().map(|((x, _), _)| f64::from_bits(*x)));
        let mut counts = vec![0.0; xs.len()];
        let groups = merged
            .iter()
            .map(|&((x, m), n)| {
                let xi = index_of(&xs, f64::from_bits(x));
                counts[xi as usize] += n;
                let m = f64::from_bits(m) / scale;
                (xi, m, m.ln(), n)
            })
            .collect();
        Self {
            customers: buyers.len() as f64,
            scale,
            xs: xs
                .into_iter()
                .zip(counts)
                .map(|(x, n)| (x, x.ln(), n))
                .collect(),
            groups,
        }
    }

    pub(crate) fn customers(&self) -> f64 {
        self.customers
    }

    /// The log-likelihood of the scaled spends at `(p, q, γ)` and its gradient.
    pub(crate) fn eval(&self, params: &[f64]) -> (f64, [f64; 3]) {
        let (p, q, gamma) = (params[0], params[1], params[2]);
        let n = self.customers;
        let mut ll = n * (q * gamma.ln() - lgamma(q));
        let mut g = [0.0, n * (gamma.ln() - digamma(q)), n * q / gamma];
        for &(x, ln_x, count) in &self.xs {
            let px = p * x;
            let psi_pxq = digamma(px + q);
            ll += count * (lgamma(px + q) - lgamma(px) + px * ln_x);
            g[0] += count * x * (psi_pxq - digamma(px) + ln_x);
            g[1] += count * psi_pxq;
        }
        let (ll_groups, g_groups) = sum_over(&self.groups, |chunk| {
            let mut ll = 0.0;
            let mut g = [0.0; 3];
            for &(xi, m, ln_m, count) in chunk {
                let x = self.xs[xi as usize].0;
                let px = p * x;
                let l = (gamma + x * m).ln();
                ll += count * ((px - 1.0) * ln_m - (px + q) * l);
                g[0] += count * x * (ln_m - l);
                g[1] -= count * l;
                g[2] -= count * (px + q) / (gamma + x * m);
            }
            (ll, g)
        });
        ll += ll_groups;
        for (g, d) in g.iter_mut().zip(g_groups) {
            *g += d;
        }
        (ll, g)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digamma_matches_known_values() {
        // ψ(1) = −γ (Euler–Mascheroni), ψ(1/2) = −γ − 2 ln 2, ψ(10) from tables.
        let euler = 0.577_215_664_901_532_9;
        assert!((digamma(1.0) + euler).abs() < 1e-12);
        assert!((digamma(0.5) + euler + 2.0 * 2f64.ln()).abs() < 1e-12);
        assert!((digamma(10.0) - 2.251_752_589_066_721).abs() < 1e-12);
    }

    /// The written-out gradients against central differences.
    #[test]
    fn gradients_match_differences() {
        let cs: Vec<CustomerSummary> = (0..40)
            .map(|i| {
                let x = f64::from(i % 5);
                CustomerSummary {
                    x,
                    t_x: if x > 0.0 { f64::from(i) * 0.7 } else { 0.0 },
                    t: 30.0 + f64::from(i),
                    mean_spend: if x > 0.0 { 10.0 + f64::from(i) } else { 0.0 },
                }
            })
            .collect();
        let bg = BgNbdData::new(&cs, true);
        let p = [0.4, 6.0, 0.9, 2.5];
        let (_, g) = bg.eval(&p);
        for i in 0..4 {
            let h = 1e-6 * p[i];
            let (mut up, mut down) = (p, p);
            up[i] += h;
            down[i] -= h;
            let d = (bg.eval(&up).0 - bg.eval(&down).0) / (2.0 * h);
            assert!(
                (d - g[i]).abs() < 1e-5 * d.abs().max(1.0),
                "BG/NBD {i}: {d} vs {}",
                g[i]
            );
        }
        let buyers: Vec<CustomerSummary> = cs.into_iter().filter(|c| c.x > 0.0).collect();
        let gg = GammaGammaData::new(&buyers, true);
        let p = [3.0, 4.0, 1.5];
        let (_, g) = gg.eval(&p);
        for i in 0..3 {
            let h = 1e-6 * p[i];
            let (mut up, mut down) = (p, p);
            up[i] += h;
            down[i] -= h;
            let d = (gg.eval(&up).0 - gg.eval(&down).0) / (2.0 * h);
            assert!(
                (d - g[i]).abs() < 1e-5 * d.abs().max(1.0),
                "Gamma-Gamma {i}: {d} vs {}",
                g[i]
            );
        }
    }
}
