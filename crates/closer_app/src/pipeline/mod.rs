//! Pipeline use cases: pipelines and loss reasons (admins edit them), deals created from a
//! contact, edited, moved through stages (won produces an order, lost takes a reason), the
//! board. Every call names its workspace and the actor written to history.

mod assign;
mod deals;
mod pipelines;
mod work;

pub use assign::FIRST_CONTACT_MINUTES;
pub use deals::{DealRequest, MoveRequest, StageRef};
pub use work::{ActivityRequest, OrderRequest, TaskRequest};

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
