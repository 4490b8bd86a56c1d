//! Maximum likelihood over positive parameters, searched on their logarithms so the search
//! never leaves the domain, from a few starting points, keeping the best: L-BFGS where the
//! gradient is known (`minimize_smooth`), Nelder-Mead where it is not (`minimize`); argmin's.

use std::cell::RefCell;

use argmin::core::{CostFunction, Error, Executor, Gradient, State, TerminationReason};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::neldermead::NelderMead;
use argmin::solver::quasinewton::LBFGS;

/// A negative log-likelihood over positive parameters.
struct OnLogs<F: Fn(&[f64]) -> f64> {
    neg_ll: F,
}

impl<F: Fn(&[f64]) -> f64> CostFunction for OnLogs<F> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, logs: &Self::Param) -> Result<f64, Error> {
        // Parameters beyond 1e-6..1e6 mean a degenerate fit (a model pushed to an edge by
        // data it does not describe): the search stays inside instead of drifting forever.
        if logs.iter().any(|l| l.abs() > LOG_BOUND) {
            return Ok(f64::MAX);
        }
        let params: Vec<f64> = logs.iter().map(|l| l.exp()).collect();
        let v = (self.neg_ll)(&params);
        // Outside where the likelihood is defined: worse than anything that is.
        Ok(if v.is_finite() { v } else { f64::MAX })
    }
}

/// ln(1e6).
const LOG_BOUND: f64 = 13.815_510_557_964_274;

/// The parameters (all > 0) minimising `neg_ll`, and its value there; `None` if no start
/// reached a finite value.
pub(crate) fn minimize<F: Fn(&[f64]) -> f64 + Clone>(
    neg_ll: F,
    starts: &[Vec<f64>],
) -> Option<(Vec<f64>, f64)> {
    let mut best: Option<(Vec<f64>, f64)> = None;
    for start in starts {
        let logs: Vec<f64> = start.iter().map(|p| p.ln()).collect();
        let n = logs.len();
        // The first simplex: the start and one step of 0.5 (in log space) along each axis.
        let mut simplex = vec![logs.clone()];
        for i in 0..n {
            let mut v = logs.clone();
            v[i] += 0.5;
            simplex.push(v);
        }
        // Converged when the simplex's values agree to about ten significant digits: the
        // parameters are then settled far beyond the digits anyone reads.
        let scale = neg_ll(start).abs();
        let tolerance = if scale.is_finite() {
            1e-10 * scale.max(1.0)
        } else {
            1e-10
        };
        let Ok(solver) = NelderMead::new(simplex).with_sd_tolerance(tolerance) else {
            continue;
        };
        let problem = OnLogs {
            neg_ll: neg_ll.clone(),
        };
        let Ok(run) = Executor::new(problem, solver)
            .configure(|s| s.max_iters(5_000))
            .run()
        else {
            continue;
        };
        let state = run.state();
        let (Some(p), cost) = (state.get_best_param(), state.get_best_cost()) else {
            continue;
        };
        if cost.is_finite() && cost < f64::MAX && best.as_ref().is_none_or(|b| cost < b.1) {
            best = Some((p.iter().map(|l| l.exp()).collect(), cost));
        }
    }
    best
}

/// A negative log-likelihood with its gradient, over the parameters' logarithms; the last
/// point is kept, since L-BFGS asks for the value and the gradient of one point separately.
struct Smooth<F: Fn(&[f64]) -> (f64, Vec<f64>)> {
    value_grad: F,
    last: RefCell<Option<Evaluated>>,
}

/// A point (the parameters' logarithms), the value there and the gradient.
type Evaluated = (Vec<f64>, f64, Vec<f64>);

/// A value no fit reaches (the objectives are per customer, a few units), with a gradient
/// pointing back inside: where the search must not go. Not so large that the line search's
/// interpolation overflows.
const OUTSIDE: f64 = 1e10;

impl<F: Fn(&[f64]) -> (f64, Vec<f64>)> Smooth<F> {
    fn at(&self, logs: &[f64]) -> (f64, Vec<f64>) {
        if let Some((at, v, g)) = self.last.borrow().as_ref()
            && at.as_slice() == logs
        {
            return (*v, g.clone());
        }
        let out = if logs.iter().any(|l| !l.is_finite() || l.abs() > LOG_BOUND) {
            (OUTSIDE, logs.to_vec())
        } else {
            let params: Vec<f64> = logs.iter().map(|l| l.exp()).collect();
            let (v, g) = (self.value_grad)(&params);
            // d/d(ln p) = p · d/dp.
            let g: Vec<f64> = g.iter().zip(&params).map(|(g, p)| g * p).collect();
            if v.is_finite() && g.iter().all(|g| g.is_finite()) {
                (v, g)
            } else {
                (OUTSIDE, logs.to_vec())
            }
        };
        *self.last.borrow_mut() = Some((logs.to_vec(), out.0, out.1.clone()));
        out
    }
}

impl<F: Fn(&[f64]) -> (f64, Vec<f64>)> CostFunction for Smooth<F> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, logs: &Self::Param) -> Result<f64, Error> {
        Ok(self.at(logs).0)
    }
}

impl<F: Fn(&[f64]) -> (f64, Vec<f64>)> Gradient for Smooth<F> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;

    fn gradient(&self, logs: &Self::Param) -> Result<Vec<f64>, Error> {
        Ok(self.at(logs).1)
    }
}

/// Like `minimize`, for a function that also gives its gradient in the parameters: L-BFGS on
/// their logarithms from each start, keeping the best. `None` if no start converged.
pub(crate) fn minimize_smooth<F: Fn(&[f64]) -> (f64, Vec<f64>) + Clone>(
    value_grad: F,
    starts: &[Vec<f64>],
) -> Option<(Vec<f64>, f64)> {
    let mut best: Option<(Vec<f64>, f64)> = None;
    for start in starts {
        let logs: Vec<f64> = start.iter().map(|p| p.ln()).collect();
        let problem = Smooth {
            value_grad: value_grad.clone(),
            last: RefCell::new(None),
        };
        let Ok(solver) = LBFGS::new(MoreThuenteLineSearch::new(), 7)
            .with_tolerance_grad(1e-10)
            .and_then(|s| s.with_tolerance_cost(0.0))
        else {
            continue;
        };
        let Ok(run) = Executor::new(problem, solver)
            .configure(|s| s.param(logs).max_iters(1_000))
            .run()
        else {
            continue;
        };
        let state = run.state();
        let (Some(p), cost) = (state.get_best_param(), state.get_best_cost()) else {
            continue;
        };
        if cost < OUTSIDE && cost.is_finite() && best.as_ref().is_none_or(|b| cost < b.1) {
            let problem = Smooth {
                value_grad: value_grad.clone(),
                last: RefCell::new(None),
            };
            let p = polish(&problem, p.clone());
            let cost = problem.at(&p).0;
            best = Some((p.iter().map(|l| l.exp()).collect(), cost));
            // These likelihoods have one maximum: once a start converges to it, the other
            // starts (for data on which it stalls) would only find it again, slower.
            if state.get_termination_reason() == Some(&TerminationReason::SolverConverged) {
                break;
            }
        }
    }
    best
}

/// Newton steps on the gradient alone, from where L-BFGS stopped: near the maximum the
/// likelihood's changes fall below what its sum of a million terms can resolve, so a search
/// that compares values stalls early along flat directions, while the gradient — exact, and
/// still telling — leads the rest of the way. The Hessian is the gradient's central
/// differences. Steps stop when they no longer shrink the gradient.
fn polish<F: Fn(&[f64]) -> (f64, Vec<f64>)>(problem: &Smooth<F>, mut logs: Vec<f64>) -> Vec<f64> {
    let n = logs.len();
    let norm = |g: &[f64]| g.iter().map(|v| v * v).sum::<f64>().sqrt();
    let mut grad = problem.at(&logs).1;
    for _ in 0..6 {
        let mut hessian = vec![vec![0.0; n]; n];
        for j in 0..n {
            let h = 1e-5;
            let (mut up, mut down) = (logs.clone(), logs.clone());
            up[j] += h;
            down[j] -= h;
            let (gu, gd) = (problem.at(&up).1, problem.at(&down).1);
            for i in 0..n {
                hessian[i][j] = (gu[i] - gd[i]) / (2.0 * h);
            }
        }
        let Some(step) = solve(hessian, grad.iter().map(|g| -g).collect()) else {
            break;
        };
        let next: Vec<f64> = logs.iter().zip(&step).map(|(l, s)| l + s).collect();
        let (value, next_grad) = problem.at(&next);
        if value >= OUTSIDE || norm(&next_grad) >= norm(&grad) {
            break;
        }
        logs = next;
        grad = next_grad;
        if norm(&step) < 1e-13 {
            break;
        }
    }
    logs
}

/// `a x = b` by Gaussian elimination with partial pivoting (a handful of unknowns); `None`
/// when `a` is singular.
#[allow(clippy::many_single_char_names, clippy::needless_range_loop)] // the textbook's names
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-300 || !a[pivot][col].is_finite() {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..n {
            let f = a[row][col] / a[col][col];
            for k in col..n {
                a[row][k] -= f * a[col][k];
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_small_systems() {
        let x = solve(vec![vec![2.0, 1.0], vec![1.0, 3.0]], vec![3.0, 5.0]).unwrap();
        assert!(
            (x[0] - 0.8).abs() < 1e-12 && (x[1] - 1.4).abs() < 1e-12,
            "{x:?}"
        );
        assert!(solve(vec![vec![1.0, 2.0], vec![2.0, 4.0]], vec![1.0, 2.0]).is_none());
    }

    #[test]
    fn finds_a_smooth_minimum_to_the_last_digits() {
        // (ln p - ln 3)^2 + 10 (ln q - ln 0.5)^2 over positive p, q.
        let f = |p: &[f64]| {
            let (u, v) = (p[0].ln() - 3f64.ln(), p[1].ln() - 0.5f64.ln());
            (u * u + 10.0 * v * v, vec![2.0 * u / p[0], 20.0 * v / p[1]])
        };
        let (p, cost) = minimize_smooth(f, &[vec![1.0, 1.0]]).unwrap();
        assert!(
            (p[0] - 3.0).abs() < 1e-9 && (p[1] - 0.5).abs() < 1e-9,
            "{p:?}"
        );
        assert!(cost < 1e-18);
    }
}
