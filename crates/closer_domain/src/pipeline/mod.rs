//! The sales pipeline: money, pipelines and their stages, deals and their moves, loss
//! reasons, activities, tasks and orders.

pub mod deal;
pub mod money;
pub mod order;
pub mod stages;
pub mod work;

pub use crate::ids::{ActivityId, DealId, OrderId, PipelineId, PipelineStageId, TaskId};
pub use deal::{
    Deal, DealDraft, DealPatch, DealRefusal, DealStatus, Loss, LossReason, MovePlan,
    default_loss_reasons, parse_loss_reasons, plan_move,
};
pub use money::{Amount, Currency};
pub use order::{LineInput, Order, OrderLine, OrderSource, parse_lines};
pub use stages::{
    Forecast, Pipeline, PipelineDraft, PipelineInput, PipelineStage, StageInput, StageKind,
    default_pipeline,
};
pub use work::{Activity, ActivityKind, ActivityPatch, Task, TaskKind, TaskStatus};

#[cfg(test)]
mod tests;
