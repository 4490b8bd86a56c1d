//! Deals: created on a contact (pipeline, stage, owner, company and source defaulted from the
//! workspace and the contact), edited, moved (the domain's `plan_move` decides), listed, and
//! shown on the board.

use closer_domain::access::{Action, Reach, reach};
use closer_domain::pipeline::{
    Amount, Currency, Deal, DealId, DealPatch, DealRefusal, DealStatus, LineInput, Order, OrderId,
    OrderLine, OrderSource, Pipeline, PipelineId, PipelineStage, PipelineStageId, StageKind,
    parse_lines, plan_move,
};
use closer_domain::{ContactId, FieldError, Timestamp, UserId, WorkspaceId};
use closer_store::{BoardColumn, DEAL_CLOSED, DealMove, DealQuery, DealSpan, StoreError};
use time::Date;

use crate::qualification::ScoreJob;
use crate::{AppError, Principal};

/// Largest page of deals a list returns, and most cards per board column.
pub const MAX_DEALS: u32 = 500;

/// A stage named by id or by name (case-insensitive), as people and scripts write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageRef {
    Id(PipelineStageId),
    Name(String),
}

impl StageRef {
    pub fn parse(raw: &str) -> Self {
        match raw.trim().parse::<uuid::Uuid>() {
            Ok(id) => StageRef::Id(PipelineStageId(id)),
            Err(_) => StageRef::Name(raw.trim().to_owned()),
        }
    }

    /// By id, or by name; `won` and `lost` also name the pipeline's closing stages whatever
    /// they are called ("Renewed", "Churned").
    fn find<'p>(&self, p: &'p Pipeline) -> Option<&'p PipelineStage> {
        match self {
            StageRef::Id(id) => p.stage(*id),
            StageRef::Name(name) => {
                p.stage_named(name)
                    .or_else(|| match name.to_ascii_lowercase().as_str() {
                        "won" => Some(p.closing(StageKind::Won)),
                        "lost" => Some(p.closing(StageKind::Lost)),
                        _ => None,
                    })
            }
        }
    }

    fn describe(&self) -> String {
        match self {
            StageRef::Id(id) => id.to_string(),
            StageRef::Name(name) => name.clone(),
        }
    }
}

/// A new deal, its fields already parsed.
#[derive(Debug, Clone)]
pub struct DealRequest {
    /// Chosen by the caller to make a retried request harmless; a new id when absent.
    pub id: Option<DealId>,
    pub contact_id: ContactId,
    pub title: String,
    pub amount: Option<Amount>,
    pub currency: Option<Currency>,
    pub pipeline: Option<PipelineId>,
    pub stage: Option<StageRef>,
    pub expected_close: Option<Date>,
    pub owner_id: Option<UserId>,
    pub company: Option<String>,
    pub source: Option<String>,
    /// Custom properties; the defined ones are checked by their type.
    pub properties: serde_json::Map<String, serde_json::Value>,
}

/// A stage move: lost takes a reason (and the objection heard); won may carry order lines.
#[derive(Debug, Clone)]
pub struct MoveRequest {
    pub stage: StageRef,
    pub loss_reason: Option<String>,
    pub objection: Option<String>,
    pub lines: Option<Vec<LineInput>>,
    /// Must match the deal's when given (the order is in the deal's currency).
    pub currency: Option<Currency>,
}

fn refusal(e: DealRefusal) -> AppError {
    match e {
        DealRefusal::UnknownStage(m) => AppError::invalid("stage", m),
        DealRefusal::Loss(m) => AppError::invalid("loss_reason", m),
        DealRefusal::Closed(m) => AppError::Conflict(m),
    }
}

fn store_refusal(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict { constraint } if constraint == DEAL_CLOSED => AppError::Conflict(
            "the deal is closed: reopen it (move it to an open stage) before changing its amount or currency".into(),
        ),
        StoreError::Conflict { constraint } if constraint == "deals_stage_fk" => {
            AppError::Conflict("the stage was removed from the pipeline meanwhile".into())
        }
        StoreError::Conflict { constraint } if constraint == "deals_owner_fk" => {
            AppError::invalid("owner_id", "is not a user of this workspace")
        }
        other => other.into(),
    }
}

impl super::Sales {
    /// The contact's lifecycle stage changed: its temperature follows (a customer is never hot).
    /// After an import changed the contact's deals: scored again.
    pub(crate) async fn rescored(&self, ws: WorkspaceId, contact: ContactId) {
        self.rescore_contact(ws, contact).await;
    }

    pub(super) async fn rescore_contact(&self, ws: WorkspaceId, contact: ContactId) {
        self.scoring
            .queue_scoring(ScoreJob {
                workspace: ws,
                contact,
                signals: Vec::new(),
                rescan: false,
            })
            .await;
    }

    /// Opens a deal on a contact the principal may work; a rep's deals are their own.
    pub async fn create_deal(
        &self,
        principal: &Principal,
        req: DealRequest,
    ) -> Result<Deal, AppError> {
        let ws = principal.workspace_id;
        let actor = principal.actor();
        let actor = actor.as_str();
        let contact = match crate::contacts::readable_contact(
            self.store.as_ref(),
            principal,
            Action::WorkContacts,
            req.contact_id,
        )
        .await
        {
            Ok(c) => c,
            Err(AppError::NotFound) => {
                return Err(AppError::invalid(
                    "contact_id",
                    "is not a contact of this workspace",
                ));
            }
            Err(e) => return Err(e),
        };
        let pipelines = self.pipelines(ws).await?;
        let pipeline = match req.pipeline {
            Some(id) => pipelines.iter().find(|p| p.id == id).ok_or_else(|| {
                AppError::invalid("pipeline_id", "is not a pipeline of this workspace")
            })?,
            None => pipelines
                .iter()
                .find(|p| p.is_default)
                .unwrap_or(&pipelines[0]),
        };
        let stage = match &req.stage {
            None => pipeline.first_open(),
            Some(r) => {
                let s = r.find(pipeline).ok_or_else(|| {
                    AppError::invalid(
                        "stage",
                        format!(
                            "{:?} is not a stage of the pipeline {:?}",
                            r.describe(),
                            pipeline.name
                        ),
                    )
                })?;
                if s.kind != StageKind::Open {
                    return Err(AppError::invalid(
                        "stage",
                        "a new deal starts in an open stage; create it, then move it to won or lost",
                    ));
                }
                s
            }
        };
        let owner = req.owner_id.or(contact.owner_id).or(principal.user());
        principal.check(Action::WorkDeals, owner)?;
        crate::access::workspace_user(self.store.as_ref(), ws, owner).await?;
        let source = match req.source {
            Some(s) => Some(s),
            None => original_source(self.store.as_ref(), ws, contact.id).await?,
        };
        let now = Timestamp::now();
        let deal = Deal {
            id: req.id.unwrap_or_default(),
            pipeline_id: pipeline.id,
            stage_id: stage.id,
            status: DealStatus::Open,
            contact_id: contact.id,
            company: req.company.or(contact.company),
            company_id: None,
            title: req.title,
            amount: req.amount.unwrap_or(Amount::ZERO),
            currency: req.currency.unwrap_or(Currency::USD),
            expected_close: req.expected_close,
            owner_id: owner,
            source,
            loss: None,
            closed_at: None,
            created_at: now,
            updated_at: now,
            properties: req.properties,
        };
        let mut deal = deal;
        crate::properties::typed_new(
            self.store.as_ref(),
            ws,
            closer_domain::property::PropertyOf::Deals,
            &mut deal.properties,
        )
        .await?;
        match self.store.create_deal(ws, &deal, &stage.name, actor).await {
            Ok(()) => {}
            // The same request again: the deal the first one made, if it is this contact's.
            Err(StoreError::Conflict { .. }) if req.id.is_some() => {
                return match self.store.deal(ws, deal.id).await {
                    Ok(d) if d.contact_id == deal.contact_id => Ok(d),
                    _ => Err(AppError::Conflict("this deal id is taken".into())),
                };
            }
            Err(e) => return Err(store_refusal(e)),
        }
        self.rescore_contact(ws, contact.id).await;
        Ok(self.store.deal(ws, deal.id).await?)
    }

    /// The deal, if the principal may do `action` on it (one it may not even see is not
    /// found).
    async fn deal_for(
        &self,
        principal: &Principal,
        action: Action,
        id: DealId,
    ) -> Result<Deal, AppError> {
        let deal = self.store.deal(principal.workspace_id, id).await?;
        principal.check_record(Action::ReadPipeline, action, deal.owner_id)?;
        Ok(deal)
    }

    pub async fn deal(&self, principal: &Principal, id: DealId) -> Result<Deal, AppError> {
        self.deal_for(principal, Action::ReadPipeline, id).await
    }

    /// Deals the query names; a rep's are always their own.
    pub async fn list_deals(
        &self,
        principal: &Principal,
        mut query: DealQuery,
    ) -> Result<Vec<Deal>, AppError> {
        principal.check(Action::ReadPipeline, principal.user())?;
        if reach(principal.role, Action::ReadPipeline) == Reach::Own {
            query.owner = principal.user();
        }
        crate::pipeline::page_limit(query.limit, MAX_DEALS)?;
        Ok(self
            .store
            .list_deals(principal.workspace_id, &query)
            .await?)
    }

    pub async fn patch_deal(
        &self,
        principal: &Principal,
        id: DealId,
        patch: &DealPatch,
    ) -> Result<Deal, AppError> {
        let ws = principal.workspace_id;
        let deal = self.deal_for(principal, Action::WorkDeals, id).await?;
        patch.check(&deal).map_err(refusal)?;
        let typed = crate::properties::typed_change(
            self.store.as_ref(),
            ws,
            closer_domain::property::PropertyOf::Deals,
            patch.properties.as_ref(),
        )
        .await?
        .map(|props| DealPatch {
            properties: Some(props),
            ..patch.clone()
        });
        let patch = typed.as_ref().unwrap_or(patch);
        if let Some(owner) = patch.owner_id {
            // Handing a deal to someone else is work on theirs too.
            principal.check(Action::WorkDeals, owner)?;
            crate::access::workspace_user(self.store.as_ref(), ws, owner).await?;
        }
        if patch.is_empty() {
            return Ok(deal);
        }
        self.store
            .patch_deal(ws, id, patch, Timestamp::now())
            .await
            .map_err(store_refusal)
    }

    /// Deletes a deal the principal may work, with its stage history, tags and tasks; its
    /// activities stay on the contact and its order stays the customer's.
    pub async fn delete_deal(&self, principal: &Principal, id: DealId) -> Result<(), AppError> {
        let ws = principal.workspace_id;
        let deal = self.deal_for(principal, Action::WorkDeals, id).await?;
        self.store.delete_deal(ws, id).await?;
        self.rescore_contact(ws, deal.contact_id).await;
        Ok(())
    }

    /// Moves a deal. Winning stores an order (the given lines, or the deal as one line) and
    /// makes the contact a customer; lost needs a reason from the catalogue.
    pub async fn move_deal(
        &self,
        principal: &Principal,
        id: DealId,
        req: MoveRequest,
    ) -> Result<Deal, AppError> {
        let ws = principal.workspace_id;
        let actor = principal.actor();
        let deal = self.deal_for(principal, Action::WorkDeals, id).await?;
        let pipeline = self.pipeline(ws, deal.pipeline_id).await?;
        let stage = req.stage.find(&pipeline).ok_or_else(|| {
            AppError::invalid(
                "stage",
                format!(
                    "{:?} is not a stage of the deal's pipeline {:?}",
                    req.stage.describe(),
                    pipeline.name
                ),
            )
        })?;
        let reasons = self.store.loss_reasons(ws).await?;
        let now = Timestamp::now();
        let plan = plan_move(
            &deal,
            &pipeline,
            stage,
            req.loss_reason.as_deref(),
            req.objection,
            &reasons,
            now,
        )
        .map_err(refusal)?;
        if let Some(c) = req.currency
            && c != deal.currency
        {
            return Err(AppError::invalid(
                "currency",
                format!(
                    "the deal is in {}; an order from it is too (got {c})",
                    deal.currency
                ),
            ));
        }
        let (order, amount) = if stage.kind == StageKind::Won {
            let (lines, total) = match &req.lines {
                Some(lines) => parse_lines(lines).map_err(AppError::Invalid)?,
                None => (
                    vec![OrderLine {
                        product: deal.title.clone(),
                        quantity: 1,
                        unit_price: deal.amount,
                    }],
                    deal.amount,
                ),
            };
            let order = Order {
                id: OrderId::new(),
                contact_id: deal.contact_id,
                deal_id: Some(deal.id),
                currency: deal.currency,
                lines,
                total,
                source: OrderSource::Deal,
                placed_at: now,
                created_at: now,
            };
            (Some(order), (total != deal.amount).then_some(total))
        } else {
            if req.lines.is_some() {
                return Err(AppError::Invalid(vec![FieldError::new(
                    "lines",
                    "order lines go with a move to the won stage only",
                )]));
            }
            (None, None)
        };
        if plan.unchanged {
            return Ok(deal);
        }
        let mv = DealMove {
            deal: id,
            plan,
            stage_name: stage.name.clone(),
            actor,
            order,
            amount,
        };
        let moved = self
            .store
            .move_deal(ws, &mv, now)
            .await
            .map_err(store_refusal)?;
        if moved.status == DealStatus::Won {
            self.rescore_contact(ws, moved.contact_id).await;
        }
        Ok(moved)
    }

    pub async fn deal_history(
        &self,
        principal: &Principal,
        id: DealId,
    ) -> Result<Vec<DealSpan>, AppError> {
        self.deal_for(principal, Action::ReadPipeline, id).await?;
        Ok(self.store.deal_history(principal.workspace_id, id).await?)
    }

    pub async fn deal_order(
        &self,
        principal: &Principal,
        id: DealId,
    ) -> Result<Option<Order>, AppError> {
        self.deal_for(principal, Action::ReadPipeline, id).await?;
        Ok(self.store.deal_order(principal.workspace_id, id).await?)
    }

    /// A pipeline's open deals by stage, every stage listed (empty ones too), in board order;
    /// `owner`'s alone when named. A rep's board is their own deals, as their deal list is.
    pub async fn board(
        &self,
        principal: &Principal,
        pipeline: PipelineId,
        per_stage: u32,
        mut owner: Option<UserId>,
    ) -> Result<(Pipeline, Vec<BoardColumn>), AppError> {
        principal.check(Action::ReadPipeline, principal.user())?;
        if reach(principal.role, Action::ReadPipeline) == Reach::Own {
            owner = principal.user();
        }
        if per_stage > MAX_DEALS {
            return Err(AppError::invalid(
                "per_stage",
                format!("must be between 0 and {MAX_DEALS}"),
            ));
        }
        let ws = principal.workspace_id;
        let p = self.pipeline(ws, pipeline).await?;
        let mut found = self.store.board(ws, pipeline, per_stage, owner).await?;
        let columns = p
            .stages
            .iter()
            .filter(|s| s.kind == StageKind::Open)
            .map(|s| match found.iter().position(|c| c.stage_id == s.id) {
                Some(i) => found.swap_remove(i),
                None => BoardColumn {
                    stage_id: s.id,
                    count: 0,
                    totals: Vec::new(),
                    deals: Vec::new(),
                },
            })
            .collect();
        Ok((p, columns))
    }
}

/// Where the contact first came from: its first tracked visit's source, else its channel.
pub(crate) async fn original_source(
    store: &dyn closer_store::Store,
    ws: WorkspaceId,
    contact: ContactId,
) -> Result<Option<String>, AppError> {
    let touches = store.contact_touches(ws, contact).await?;
    Ok(touches.first().map(|t| {
        t.source
            .clone()
            .unwrap_or_else(|| t.channel.as_str().to_owned())
    }))
}
