//! The pipeline API's wire types and their parsing into domain input (parse, don't validate).
//! Amounts travel as decimal strings ("1200.50"); a JSON number is read by its decimal form.

use closer_app::{DealRequest, MoveRequest, StageRef};
use closer_domain::pipeline::{
    Amount, Currency, Deal, DealPatch, LineInput, LossReason, Order, Pipeline, PipelineId,
    PipelineInput, PipelineStage, StageInput, deal,
};
use closer_domain::{ContactId, FieldError, UserId, date_text, parse_date, text};
use closer_store::{BoardColumn, DealSpan};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

/// An amount from a string or a JSON number.
pub(super) fn amount(field: &str, raw: &Value) -> Result<Amount, FieldError> {
    match raw {
        Value::String(s) => Amount::parse(field, s),
        Value::Number(n) => Amount::parse(field, &n.to_string()),
        _ => Err(FieldError::new(
            field,
            "must be an amount: a decimal string like \"1200.50\" or a number",
        )),
    }
}

/// Collects every field's error instead of stopping at the first.
#[derive(Default)]
struct Errors(Vec<FieldError>);

impl Errors {
    fn take<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        r.map_err(|e| self.0.push(e)).ok()
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageInputDto {
    /// Keep an existing stage (and its deals) on an edit; omit for a new stage.
    pub id: Option<Uuid>,
    pub name: String,
    /// Win probability in percent (won is 100, lost 0).
    pub probability: Option<u8>,
    /// pipeline, best_case or commit (open stages only).
    pub forecast: Option<String>,
    /// open (default), won or lost: a pipeline has exactly one won and one lost stage.
    pub kind: Option<String>,
    /// Ignored (the order of `stages` is the board's), so a pipeline read back can be sent.
    #[serde(default, rename = "position")]
    pub _position: Option<u16>,
}

/// A pipeline definition: its name and its stages in board order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelineInputDto {
    pub name: String,
    pub stages: Vec<StageInputDto>,
}

impl PipelineInputDto {
    pub fn into_domain(self) -> PipelineInput {
        PipelineInput {
            name: self.name,
            stages: self
                .stages
                .into_iter()
                .map(|s| StageInput {
                    id: s.id.map(closer_domain::pipeline::PipelineStageId),
                    name: s.name,
                    probability: s.probability,
                    forecast: s.forecast,
                    kind: s.kind,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StageView {
    pub id: Uuid,
    pub name: String,
    pub position: u16,
    pub probability: u8,
    /// pipeline, best_case, commit; closed (won) or omitted (lost).
    pub forecast: &'static str,
    pub kind: &'static str,
}

impl From<&PipelineStage> for StageView {
    fn from(s: &PipelineStage) -> Self {
        Self {
            id: s.id.0,
            name: s.name.clone(),
            position: s.position,
            probability: s.probability,
            forecast: s.forecast.as_str(),
            kind: s.kind.as_str(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PipelineView {
    pub id: Uuid,
    pub name: String,
    pub is_default: bool,
    pub stages: Vec<StageView>,
}

impl From<&Pipeline> for PipelineView {
    fn from(p: &Pipeline) -> Self {
        Self {
            id: p.id.0,
            name: p.name.clone(),
            is_default: p.is_default,
            stages: p.stages.iter().map(StageView::from).collect(),
        }
    }
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LossReasonDto {
    /// Stable key deals store: 1–40 of a-z, 0-9 and _.
    pub key: String,
    pub label: String,
}

/// The loss-reason catalogue, in the order people pick from.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LossReasonsDto {
    pub reasons: Vec<LossReasonDto>,
}

impl From<Vec<LossReason>> for LossReasonsDto {
    fn from(reasons: Vec<LossReason>) -> Self {
        Self {
            reasons: reasons.into_iter().map(LossReasonDto::from).collect(),
        }
    }
}

impl From<LossReason> for LossReasonDto {
    fn from(r: LossReason) -> Self {
        Self {
            key: r.key,
            label: r.label,
        }
    }
}

impl From<LossReasonDto> for LossReason {
    fn from(r: LossReasonDto) -> Self {
        Self {
            key: r.key,
            label: r.label,
        }
    }
}

/// A new deal on a contact. Defaults: the default pipeline's first stage, the contact's
/// owner and company, the contact's original traffic source, amount 0, USD.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DealInput {
    pub contact_id: Uuid,
    pub title: String,
    /// A decimal string ("1200.50") or a number; at most 4 decimals, never negative.
    #[schema(value_type = Option<String>)]
    pub amount: Option<Value>,
    /// ISO 4217 code.
    pub currency: Option<String>,
    pub pipeline_id: Option<Uuid>,
    /// An open stage of the pipeline, by id or name.
    pub stage: Option<String>,
    /// YYYY-MM-DD.
    pub expected_close: Option<String>,
    pub owner_id: Option<Uuid>,
    pub company: Option<String>,
    pub source: Option<String>,
    /// Custom properties: the workspace's defined ones (`GET /api/v1/properties?of=deals`)
    /// are checked by their type.
    #[schema(value_type = Option<Object>)]
    pub properties: Option<Value>,
}

fn optional_text(field: &str, raw: Option<&str>) -> Result<Option<String>, FieldError> {
    raw.map_or(Ok(None), |r| text::clean(field, r))
}

impl DealInput {
    pub fn parse(self) -> Result<DealRequest, Vec<FieldError>> {
        let mut e = Errors::default();
        let title = e.take(deal::title(&self.title));
        let amount = self
            .amount
            .as_ref()
            .and_then(|v| e.take(amount("amount", v)));
        let currency = self
            .currency
            .as_deref()
            .and_then(|c| e.take(Currency::parse("currency", c)));
        let expected_close = self
            .expected_close
            .as_deref()
            .and_then(|d| e.take(parse_date("expected_close", d)));
        let company = e
            .take(optional_text("company", self.company.as_deref()))
            .flatten();
        let source = e
            .take(optional_text("source", self.source.as_deref()))
            .flatten();
        let properties = self
            .properties
            .and_then(|p| e.take(closer_domain::contact::parse_properties(p, false)))
            .unwrap_or_default();
        match title {
            Some(title) if e.0.is_empty() => Ok(DealRequest {
                id: None,
                contact_id: ContactId(self.contact_id),
                title,
                amount,
                currency,
                pipeline: self.pipeline_id.map(PipelineId),
                stage: self.stage.as_deref().map(StageRef::parse),
                expected_close,
                owner_id: self.owner_id.map(UserId),
                company,
                source,
                properties,
            }),
            _ => Err(e.0),
        }
    }
}

/// An edit: fields present are set (`null` clears), absent ones left alone. A closed deal's
/// amount and currency need a reopen first.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DealPatchInput {
    pub title: Option<String>,
    #[schema(value_type = Option<String>)]
    pub amount: Option<Value>,
    pub currency: Option<String>,
    #[serde(default, deserialize_with = "super::contacts_dto::present")]
    #[schema(value_type = Option<String>)]
    pub expected_close: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::contacts_dto::present")]
    #[schema(value_type = Option<Uuid>)]
    pub owner_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "super::contacts_dto::present")]
    #[schema(value_type = Option<String>)]
    pub company: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::contacts_dto::present")]
    #[schema(value_type = Option<String>)]
    pub source: Option<Option<String>>,
    /// Merged key by key; `null` removes a key.
    #[schema(value_type = Option<Object>)]
    pub properties: Option<Value>,
    /// The deal's `updated_at` as you read it: when someone changed the deal since, the
    /// patch is refused (409) instead of overwriting what they wrote.
    pub if_unchanged_since: Option<String>,
}

impl DealPatchInput {
    pub fn parse(self) -> Result<DealPatch, Vec<FieldError>> {
        let mut e = Errors::default();
        let patch = DealPatch {
            title: self.title.and_then(|t| e.take(deal::title(&t))),
            amount: self
                .amount
                .as_ref()
                .and_then(|v| e.take(amount("amount", v))),
            currency: self
                .currency
                .and_then(|c| e.take(Currency::parse("currency", &c))),
            expected_close: self
                .expected_close
                .map(|d| d.and_then(|d| e.take(parse_date("expected_close", &d)))),
            owner_id: self.owner_id.map(|o| o.map(UserId)),
            company: self
                .company
                .map(|c| e.take(optional_text("company", c.as_deref())).flatten()),
            source: self
                .source
                .map(|s| e.take(optional_text("source", s.as_deref())).flatten()),
            properties: self
                .properties
                .and_then(|p| e.take(closer_domain::contact::parse_properties(p, true))),
            if_unchanged_since: self.if_unchanged_since.as_deref().and_then(|t| {
                e.take(
                    closer_domain::Timestamp::parse_rfc3339(t.trim()).ok_or_else(|| {
                        FieldError::new(
                            "if_unchanged_since",
                            "must be the deal's updated_at (an RFC 3339 time)",
                        )
                    }),
                )
            }),
        };
        if e.0.is_empty() { Ok(patch) } else { Err(e.0) }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineDto {
    pub product: String,
    /// A whole number from 1 to 1,000,000 (default 1).
    pub quantity: Option<i64>,
    #[schema(value_type = String)]
    pub unit_price: Value,
}

/// Move a deal to another stage of its pipeline (by id or name). Lost needs `loss_reason`
/// (a key of the workspace's catalogue) and takes the `objection` in the buyer's words; won
/// may carry the order's `lines` (else one line: the deal's title at its amount).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveInput {
    pub stage: String,
    pub loss_reason: Option<String>,
    pub objection: Option<String>,
    pub lines: Option<Vec<LineDto>>,
    /// The order's currency: must be the deal's.
    pub currency: Option<String>,
}

impl MoveInput {
    pub fn parse(self) -> Result<MoveRequest, Vec<FieldError>> {
        let mut e = Errors::default();
        let objection = self
            .objection
            .as_deref()
            .and_then(|o| e.take(deal::objection(o)))
            .flatten();
        let currency = self
            .currency
            .as_deref()
            .and_then(|c| e.take(Currency::parse("currency", c)));
        let lines = self.lines.map(|lines| {
            lines
                .into_iter()
                .enumerate()
                .filter_map(|(i, l)| {
                    let price = e.take(amount(&format!("lines[{i}].unit_price"), &l.unit_price))?;
                    Some(LineInput {
                        product: l.product,
                        quantity: l.quantity.unwrap_or(1),
                        unit_price: price,
                    })
                })
                .collect::<Vec<_>>()
        });
        if self.stage.trim().is_empty() {
            e.0.push(FieldError::new("stage", "name the stage to move to"));
        }
        if e.0.is_empty() {
            Ok(MoveRequest {
                stage: StageRef::parse(&self.stage),
                loss_reason: self.loss_reason,
                objection,
                lines,
                currency,
            })
        } else {
            Err(e.0)
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DealView {
    pub id: Uuid,
    pub pipeline_id: Uuid,
    pub stage_id: Uuid,
    /// open, won or lost.
    pub status: &'static str,
    pub contact_id: Uuid,
    pub company: Option<String>,
    /// The company of the deal's contact when it was opened.
    pub company_id: Option<Uuid>,
    pub title: String,
    /// Exact decimal, as a string.
    pub amount: String,
    pub currency: String,
    pub expected_close: Option<String>,
    pub owner_id: Option<Uuid>,
    pub source: Option<String>,
    pub loss_reason: Option<String>,
    pub objection: Option<String>,
    pub closed_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    #[schema(value_type = Object)]
    pub properties: Value,
}

impl From<Deal> for DealView {
    fn from(d: Deal) -> Self {
        let (loss_reason, objection) = match d.loss {
            Some(l) => (Some(l.reason), l.objection),
            None => (None, None),
        };
        Self {
            id: d.id.0,
            pipeline_id: d.pipeline_id.0,
            stage_id: d.stage_id.0,
            status: d.status.as_str(),
            contact_id: d.contact_id.0,
            company: d.company,
            company_id: d.company_id.map(|c| c.0),
            title: d.title,
            amount: d.amount.to_string(),
            currency: d.currency.to_string(),
            expected_close: d.expected_close.map(date_text),
            owner_id: d.owner_id.map(|u| u.0),
            source: d.source,
            loss_reason,
            objection,
            closed_at: d.closed_at.map(|t| t.to_string()),
            created_at: d.created_at.to_string(),
            updated_at: d.updated_at.to_string(),
            properties: Value::Object(d.properties),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DealSpanView {
    pub stage_id: Uuid,
    pub stage: String,
    pub entered_at: String,
    pub left_at: Option<String>,
    /// `token:<id>`, `cli`…
    pub changed_by: String,
}

impl From<DealSpan> for DealSpanView {
    fn from(s: DealSpan) -> Self {
        Self {
            stage_id: s.stage_id.0,
            stage: s.stage_name,
            entered_at: s.entered_at.to_string(),
            left_at: s.left_at.map(|t| t.to_string()),
            changed_by: s.changed_by,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LineView {
    pub product: String,
    pub quantity: u32,
    pub unit_price: String,
    pub total: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    pub id: Uuid,
    pub contact_id: Uuid,
    pub deal_id: Option<Uuid>,
    pub currency: String,
    pub total: String,
    /// deal, api or import.
    pub source: &'static str,
    pub placed_at: String,
    pub lines: Vec<LineView>,
}

impl From<Order> for OrderView {
    fn from(o: Order) -> Self {
        Self {
            id: o.id.0,
            contact_id: o.contact_id.0,
            deal_id: o.deal_id.map(|d| d.0),
            currency: o.currency.to_string(),
            total: o.total.to_string(),
            source: o.source.as_str(),
            placed_at: o.placed_at.to_string(),
            lines: o
                .lines
                .into_iter()
                .map(|l| LineView {
                    total: l.total().map_or_else(String::new, |t| t.to_string()),
                    product: l.product,
                    quantity: l.quantity,
                    unit_price: l.unit_price.to_string(),
                })
                .collect(),
        }
    }
}

/// A deal with its stage history (oldest first) and, once won, its order.
#[derive(Debug, Serialize, ToSchema)]
pub struct DealDetail {
    #[serde(flatten)]
    pub deal: DealView,
    pub stage: String,
    pub history: Vec<DealSpanView>,
    pub order: Option<OrderView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TotalView {
    pub currency: String,
    pub amount: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ColumnView {
    pub stage_id: Uuid,
    pub stage: String,
    pub probability: u8,
    pub forecast: &'static str,
    /// Open deals in the stage.
    pub count: u64,
    /// Their amounts summed per currency.
    pub totals: Vec<TotalView>,
    /// The totals weighted by the stage's probability.
    pub weighted: Vec<TotalView>,
    /// The most recently updated deals, at most `per_stage`.
    pub deals: Vec<DealView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BoardView {
    pub pipeline: PipelineView,
    pub columns: Vec<ColumnView>,
}

impl BoardView {
    pub fn new(p: &Pipeline, columns: Vec<BoardColumn>) -> Self {
        let columns = columns
            .into_iter()
            .filter_map(|c| {
                let stage = p.stage(c.stage_id)?;
                Some(ColumnView {
                    stage_id: stage.id.0,
                    stage: stage.name.clone(),
                    probability: stage.probability,
                    forecast: stage.forecast.as_str(),
                    count: c.count,
                    weighted: c
                        .totals
                        .iter()
                        .map(|(cur, a)| TotalView {
                            currency: cur.to_string(),
                            amount: a.share(stage.probability).to_string(),
                        })
                        .collect(),
                    totals: c
                        .totals
                        .iter()
                        .map(|(cur, a)| TotalView {
                            currency: cur.to_string(),
                            amount: a.to_string(),
                        })
                        .collect(),
                    deals: c.deals.into_iter().map(DealView::from).collect(),
                })
            })
            .collect();
        Self {
            pipeline: p.into(),
            columns,
        }
    }
}
