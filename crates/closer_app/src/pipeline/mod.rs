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
