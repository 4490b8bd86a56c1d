//! Report models that need more than SQL: attribution of conversions to touches, retention
//! cohorts, and customer lifetime value (BG/NBD for how often a customer buys again,
//! Gamma-Gamma for how much they spend).

pub mod attribution;
pub mod bottleneck;
pub mod breakdown;
pub mod clv;
mod clv_fit;
pub mod funnel;
mod optimize;
pub mod retention;

pub use attribution::{Model, WHOLE, credit};
pub use bottleneck::{Conversion, FunnelModel, Lever};
pub use breakdown::Breakdown;
pub use clv::{
    BgNbd, CustomerSummary, GammaGamma, ModelError, Prediction, ValueModel, distinct_histories,
    simulate, sort_histories, summarize, summarize_one,
};
pub use funnel::{FunnelFigures, Journey, Step, StepFigures, cohort, flow, judged};
pub use retention::{Cohort, Month, cohorts, repeat_customers};
