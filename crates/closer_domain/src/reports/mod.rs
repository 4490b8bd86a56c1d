//! Report models that need more than SQL: customer lifetime value (BG/NBD for how often a
//! customer buys again, Gamma-Gamma for how much they spend).

pub mod clv;
mod optimize;

pub use clv::{BgNbd, CustomerSummary, GammaGamma, ModelError, summarize};
