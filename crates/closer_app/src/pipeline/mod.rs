//! Pipeline use cases: pipelines and loss reasons (admins edit them), deals created from a
//! contact, edited, moved through stages (won produces an order, lost takes a reason), the
//! board. Every call names its workspace and the actor written to history.

mod deals;
mod pipelines;

pub use deals::{DealRequest, MoveRequest, StageRef};
