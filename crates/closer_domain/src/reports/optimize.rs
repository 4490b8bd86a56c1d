//! Maximum likelihood over positive parameters: Nelder-Mead (argmin) on their logarithms, so
//! the search never leaves the domain, from a few starting points, keeping the best.

use argmin::core::{CostFunction, Error, Executor, State};
use argmin::solver::neldermead::NelderMead;

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
