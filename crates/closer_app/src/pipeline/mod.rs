//! Pipeline use cases: pipelines and loss reasons (admins edit them), deals created from a
//! contact, edited, moved through stages (won produces an order, lost takes a reason), the
//! board. Every call names its workspace and the actor written to history.

mod assign;
mod deals;
mod pipelines;
mod work;

pub use assign::Assign;
pub(crate) use deals::original_source;
pub use deals::{DealRequest, MoveRequest, StageRef};
pub use work::{ActivityRequest, OrderRequest, TaskRequest};

use std::sync::Arc;

use closer_store::Store;

use crate::qualification::Scoring;

/// Selling: pipelines and loss reasons, deals, activities, tasks and orders. A change to a
/// contact's stage or purchases is scored afterwards.
#[derive(Clone)]
pub struct Sales {
    store: Arc<dyn Store>,
    scoring: Scoring,
}

impl Sales {
    pub(crate) fn new(store: Arc<dyn Store>, scoring: Scoring) -> Self {
        Self { store, scoring }
    }
}

/// A page size the caller asked for, if it is 1 to `max`: a precise 422 instead of a quietly
/// different page.
pub(crate) fn page_limit(limit: u32, max: u32) -> Result<u32, crate::AppError> {
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(crate::AppError::invalid(
            "limit",
            format!("must be between 1 and {max}"),
        ))
    }
}
