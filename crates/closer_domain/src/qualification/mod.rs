//! Qualification: rules as data (`rules`), the engagement score kept incrementally
//! (`engagement`), the fit score (`fit`), and the verdicts drawn from them (`verdict`):
//! temperature and lead → prospect. Pure: callers pass the contact, its signals and `now`.

pub mod engagement;
pub mod fit;
pub mod rules;
pub mod signal;
pub mod verdict;
mod wildcard;

#[cfg(test)]
mod tests;

pub use engagement::{Activity, Contribution, RuleTally, ScoreState, decay};
pub use fit::{Fit, FitContribution, fit, is_free_mail};
pub use rules::{AssignmentRule, AssignmentRules, DEFAULT_RULES, RuleError, Rules};
pub use signal::{Signal, SignalKind};
pub use verdict::{Temperature, TemperatureVerdict, prospect_reason, temperature};
pub use wildcard::Pattern;
