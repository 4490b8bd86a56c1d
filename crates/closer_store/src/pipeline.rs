//! The pipeline port: pipelines and their stages, the loss-reason catalogue, deals with their
//! stage history, and the order a won deal produces. A deal's move is one transaction: the old
//! stage span closed, the new one opened, the deal updated, the contact's lifecycle stage and
//! the deal's order brought in line — so concurrent moves each leave their history row.

use async_trait::async_trait;
use closer_domain::pipeline::{
    Amount, Currency, Deal, DealId, DealPatch, DealStatus, LossReason, MovePlan, Order, Pipeline,
    PipelineDraft, PipelineId, PipelineStageId,
};
use closer_domain::{ContactId, Timestamp, UserId, WorkspaceId};

use crate::StoreError;

/// The constraint a stage that still holds deals reports when a pipeline edit drops it.
pub const STAGE_HAS_DEALS: &str = "deals_stage_fk";
/// A closed deal's amount or currency changed without a reopen (checked in the transaction).
pub const DEAL_CLOSED: &str = "deals_closed_money";
/// The conflict of a patch made against a deal someone changed since it was read
/// (`DealPatch::if_unchanged_since`).
pub const DEAL_CHANGED: &str = "deal_changed_since_read";
/// The constraint a second pipeline of the same name reports.
pub const PIPELINE_NAME: &str = "pipelines_name_key";

/// One span of a deal's stage history.
#[derive(Debug, Clone, PartialEq)]
pub struct DealSpan {
    pub stage_id: PipelineStageId,
    pub stage_name: String,
    pub entered_at: Timestamp,
    pub left_at: Option<Timestamp>,
    /// `user:<id>`, `token:<id>`, `cli`…
    pub changed_by: String,
}

/// A stage move to apply (planned by the domain's `plan_move`).
#[derive(Debug, Clone)]
pub struct DealMove {
    pub deal: DealId,
    pub plan: MovePlan,
    pub stage_name: String,
    pub actor: String,
    /// The order a win produces (stored unless the deal already has one).
    pub order: Option<Order>,
    /// The deal's new amount, when the win's order lines total differently.
    pub amount: Option<Amount>,
}

/// Which deals to list.
#[derive(Debug, Clone, Default)]
pub struct DealQuery {
    pub pipeline: Option<PipelineId>,
    pub stage: Option<PipelineStageId>,
    pub status: Option<DealStatus>,
    pub owner: Option<UserId>,
    pub contact: Option<ContactId>,
    /// Keyset: deals created before this one (newest first).
    pub before: Option<DealId>,
    pub limit: u32,
}

/// One stage's column on the board: its open deals' count and totals, and the first cards.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardColumn {
    pub stage_id: PipelineStageId,
    pub count: u64,
    /// Sum of amounts per currency, in currency order.
    pub totals: Vec<(Currency, Amount)>,
    /// The stage's deals, most recently updated first, at most the asked number.
    pub deals: Vec<Deal>,
}

#[async_trait]
pub trait PipelineStore {
    /// The workspace's pipelines with their stages in order, the default first. Creates the
    /// default pipeline and loss reasons the first time (`defaults`, `reasons`).
    async fn pipelines(
        &self,
        workspace: WorkspaceId,
        defaults: &PipelineDraft,
        reasons: &[LossReason],
        now: Timestamp,
    ) -> Result<Vec<Pipeline>, StoreError>;

    /// Adds a pipeline (not the default). `Conflict(PIPELINE_NAME)` if the name is taken.
    async fn create_pipeline(
        &self,
        workspace: WorkspaceId,
        id: PipelineId,
        draft: &PipelineDraft,
        now: Timestamp,
    ) -> Result<(), StoreError>;

    /// Replaces a pipeline's name and stages: stages keep their id (and deals), new ids are
    /// added, missing ones deleted — `Conflict(STAGE_HAS_DEALS)` if one still holds deals,
    /// and then nothing changes. `NotFound` if the pipeline is not the workspace's.
    async fn replace_pipeline(
        &self,
        workspace: WorkspaceId,
        id: PipelineId,
        draft: &PipelineDraft,
    ) -> Result<(), StoreError>;

    async fn put_loss_reasons(
        &self,
        workspace: WorkspaceId,
        reasons: &[LossReason],
    ) -> Result<(), StoreError>;

    /// Stores a new deal in its first stage (`actor` opens its history) and makes its contact
    /// an opportunity if it was a lead, prospect or disqualified. `NotFound` if the contact is
    /// not the workspace's.
    async fn create_deal(
        &self,
        workspace: WorkspaceId,
        deal: &Deal,
        stage_name: &str,
        actor: &str,
    ) -> Result<(), StoreError>;

    /// Applies a checked patch; returns the deal as stored.
    async fn patch_deal(
        &self,
        workspace: WorkspaceId,
        id: DealId,
        patch: &DealPatch,
        now: Timestamp,
    ) -> Result<Deal, StoreError>;

    /// Moves a deal (see the module doc); returns it as stored. A win makes the contact a
    /// customer and stores `order` (if the deal has none); leaving won deletes the deal's
    /// order. An `unchanged` plan writes nothing.
    async fn move_deal(
        &self,
        workspace: WorkspaceId,
        mv: &DealMove,
        now: Timestamp,
    ) -> Result<Deal, StoreError>;
}

/// Pipeline reads, the same on every SQL engine (written once in `closer_store_sql`).
#[async_trait]
pub trait DealReads {
    async fn loss_reasons(&self, workspace: WorkspaceId) -> Result<Vec<LossReason>, StoreError>;

    async fn deal(&self, workspace: WorkspaceId, id: DealId) -> Result<Deal, StoreError>;

    async fn list_deals(
        &self,
        workspace: WorkspaceId,
        query: &DealQuery,
    ) -> Result<Vec<Deal>, StoreError>;

    /// The deal's stage history, oldest first.
    async fn deal_history(
        &self,
        workspace: WorkspaceId,
        id: DealId,
    ) -> Result<Vec<DealSpan>, StoreError>;

    /// The open deals of a pipeline (of one owner's, when `owner` names them), one column
    /// per stage that has any.
    async fn board(
        &self,
        workspace: WorkspaceId,
        pipeline: PipelineId,
        per_stage: u32,
        owner: Option<UserId>,
    ) -> Result<Vec<BoardColumn>, StoreError>;

    /// The deal's order, if it was won.
    async fn deal_order(
        &self,
        workspace: WorkspaceId,
        deal: DealId,
    ) -> Result<Option<Order>, StoreError>;
}
