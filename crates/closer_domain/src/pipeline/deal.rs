//! Deals: one sale being worked, from its pipeline's first stage to won (an order, the contact a
//! customer) or lost (a reason from the catalogue, and the objection in the buyer's words).
//! `plan_move` is the one place that decides whether a stage move is allowed and what it does.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::text::clean;
use crate::{ContactId, FieldError, Timestamp, UserId};

use super::money::{Amount, Currency};
use super::stages::{Pipeline, PipelineStage, StageKind};
use super::{DealId, PipelineId, PipelineStageId};

/// Where a deal stands, from its stage's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DealStatus {
    Open,
    Won,
    Lost,
}

impl DealStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DealStatus::Open => "open",
            DealStatus::Won => "won",
            DealStatus::Lost => "lost",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw.trim() {
            "open" => Ok(DealStatus::Open),
            "won" => Ok(DealStatus::Won),
            "lost" => Ok(DealStatus::Lost),
            other => Err(FieldError::new(
                "status",
                format!("{other:?} is not a deal status; use open, won or lost"),
            )),
        }
    }

    pub fn of(kind: StageKind) -> Self {
        match kind {
            StageKind::Open => DealStatus::Open,
            StageKind::Won => DealStatus::Won,
            StageKind::Lost => DealStatus::Lost,
        }
    }
}

/// Why a deal was lost: the catalogue's key, and the objection as the buyer put it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Loss {
    pub reason: String,
    pub objection: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deal {
    pub id: DealId,
    pub pipeline_id: PipelineId,
    pub stage_id: PipelineStageId,
    pub status: DealStatus,
    pub contact_id: ContactId,
    pub company: Option<String>,
    /// The contact's company when the deal was opened (set by the store).
    pub company_id: Option<crate::CompanyId>,
    pub title: String,
    pub amount: Amount,
    pub currency: Currency,
    #[serde(serialize_with = "iso_date")]
    pub expected_close: Option<Date>,
    pub owner_id: Option<UserId>,
    /// Where the deal came from: the contact's original source unless someone changed it.
    pub source: Option<String>,
    pub loss: Option<Loss>,
    pub closed_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Custom properties (those a workspace defines are typed: `crate::property`).
    pub properties: serde_json::Map<String, serde_json::Value>,
}

/// `YYYY-MM-DD`, as people and the API write dates. (serde hands `&Option`.)
#[allow(clippy::ref_option, clippy::trivially_copy_pass_by_ref)]
fn iso_date<S: serde::Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_str(&crate::date_text(*d)),
        None => s.serialize_none(),
    }
}

/// A validated new deal (the app fills in pipeline, stage and source defaults).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealDraft {
    pub contact_id: ContactId,
    pub title: String,
    pub company: Option<String>,
    pub amount: Amount,
    pub currency: Currency,
    pub expected_close: Option<Date>,
    pub owner_id: Option<UserId>,
    pub source: Option<String>,
}

/// Fields to change on a deal; `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DealPatch {
    pub title: Option<String>,
    pub company: Option<Option<String>>,
    pub amount: Option<Amount>,
    pub currency: Option<Currency>,
    pub expected_close: Option<Option<Date>>,
    pub owner_id: Option<Option<UserId>>,
    pub source: Option<Option<String>>,
    /// Merged key by key; a `null` value removes the key.
    pub properties: Option<serde_json::Map<String, serde_json::Value>>,
    /// A precondition: the deal as it was read then (its `updated_at`). Someone who saved it
    /// since makes the patch a conflict instead of an overwrite of what they wrote.
    pub if_unchanged_since: Option<crate::Timestamp>,
}

impl DealPatch {
    /// Whether it changes nothing (a precondition alone changes nothing).
    pub fn is_empty(&self) -> bool {
        Self {
            if_unchanged_since: None,
            ..self.clone()
        } == Self::default()
    }

    /// Whether a deal last changed at `updated_at` is still the one this patch was made
    /// against.
    pub fn still_applies(&self, updated_at: crate::Timestamp) -> bool {
        self.if_unchanged_since
            .is_none_or(|read| read == updated_at)
    }

    /// A closed deal's money is settled: changing its amount or currency needs a reopen
    /// (a move back to an open stage) first, so reports never see revenue change silently.
    pub fn check(&self, deal: &Deal) -> Result<(), DealRefusal> {
        let money = self.amount.is_some_and(|a| a != deal.amount)
            || self.currency.is_some_and(|c| c != deal.currency);
        if money && deal.status != DealStatus::Open {
            return Err(DealRefusal::Closed(format!(
                "the deal is {}: reopen it (move it to an open stage) before changing its amount or currency",
                deal.status.as_str()
            )));
        }
        Ok(())
    }
}

/// A deal's title: required, one line, at most 200 characters.
pub fn title(raw: &str) -> Result<String, FieldError> {
    let value =
        clean("title", raw)?.ok_or_else(|| FieldError::new("title", "must not be empty"))?;
    if value.chars().count() > 200 {
        return Err(FieldError::new("title", "must be at most 200 characters"));
    }
    Ok(value)
}

/// An objection in the buyer's words: up to 2,000 characters, line breaks allowed.
pub fn objection(raw: &str) -> Result<Option<String>, FieldError> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if value.chars().count() > 2_000 {
        return Err(FieldError::new(
            "objection",
            "must be at most 2000 characters",
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(FieldError::new(
            "objection",
            "must not contain control characters",
        ));
    }
    Ok(Some(value.to_owned()))
}

/// Why a move or an edit is refused (each a 4xx with this sentence).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DealRefusal {
    /// The stage is not one of the deal's pipeline.
    #[error("{0}")]
    UnknownStage(String),
    /// Lost without a reason, or a reason not in the catalogue.
    #[error("{0}")]
    Loss(String),
    /// A closed deal's money changed without a reopen.
    #[error("{0}")]
    Closed(String),
}

/// What a stage move does, decided before anything is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovePlan {
    pub to: PipelineStageId,
    pub status: DealStatus,
    pub loss: Option<Loss>,
    /// Set when the move closes the deal, cleared on a reopen.
    pub closed_at: Option<Timestamp>,
    /// A move into the stage it is already in changes nothing and writes no history.
    pub unchanged: bool,
}

/// Plans moving `deal` to `to` in `pipeline` (the deal's own). Lost needs a `reason` from
/// `catalogue`; a reason or objection on any other move is refused rather than dropped.
pub fn plan_move(
    deal: &Deal,
    pipeline: &Pipeline,
    to: &PipelineStage,
    reason: Option<&str>,
    objection: Option<String>,
    catalogue: &[LossReason],
    now: Timestamp,
) -> Result<MovePlan, DealRefusal> {
    if pipeline.id != deal.pipeline_id || pipeline.stage(to.id).is_none() {
        return Err(DealRefusal::UnknownStage(format!(
            "stage {:?} is not in the deal's pipeline {:?}",
            to.name, pipeline.name
        )));
    }
    let status = DealStatus::of(to.kind);
    let loss = match status {
        DealStatus::Lost => {
            let Some(key) = reason.map(str::trim).filter(|r| !r.is_empty()) else {
                return Err(DealRefusal::Loss(format!(
                    "a lost deal needs a loss_reason: one of {}",
                    keys(catalogue)
                )));
            };
            let Some(found) = catalogue.iter().find(|r| r.key == key) else {
                return Err(DealRefusal::Loss(format!(
                    "{key:?} is not a loss reason of this workspace; use one of {}",
                    keys(catalogue)
                )));
            };
            Some(Loss {
                reason: found.key.clone(),
                objection,
            })
        }
        _ if reason.is_some() || objection.is_some() => {
            return Err(DealRefusal::Loss(
                "a loss reason or objection goes with a move to the lost stage only".into(),
            ));
        }
        _ => None,
    };
    let unchanged = deal.stage_id == to.id && deal.loss == loss;
    let closed_at = match status {
        DealStatus::Open => None,
        _ if deal.status == status => deal.closed_at,
        _ => Some(now),
    };
    Ok(MovePlan {
        to: to.id,
        status,
        loss,
        closed_at,
        unchanged,
    })
}

fn keys(catalogue: &[LossReason]) -> String {
    catalogue
        .iter()
        .map(|r| r.key.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One entry of a workspace's loss-reason catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LossReason {
    /// Stable key (`no_budget`), what deals store and reports group by.
    pub key: String,
    pub label: String,
}

/// The catalogue every workspace starts with.
pub fn default_loss_reasons() -> Vec<LossReason> {
    [
        ("price", "Price"),
        ("timing", "Timing"),
        ("competitor", "Went with a competitor"),
        ("no_budget", "No budget"),
        ("no_decision_maker", "No decision maker"),
        ("no_need", "No need"),
        ("unresponsive", "Unresponsive"),
        ("other", "Other"),
    ]
    .into_iter()
    .map(|(key, label)| LossReason {
        key: key.into(),
        label: label.into(),
    })
    .collect()
}

/// Checks a catalogue as a person wrote it: 1 to 50 reasons, keys of `a-z 0-9 _` (1–40),
/// unique, labels present.
pub fn parse_loss_reasons(input: &[LossReason]) -> Result<Vec<LossReason>, Vec<FieldError>> {
    let mut errors = Vec::new();
    if input.is_empty() || input.len() > 50 {
        errors.push(FieldError::new("reasons", "list 1 to 50 loss reasons"));
    }
    let mut out: Vec<LossReason> = Vec::with_capacity(input.len());
    for (i, r) in input.iter().enumerate() {
        let key = r.key.trim();
        let ok = (1..=40).contains(&key.len())
            && key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            errors.push(FieldError::new(
                format!("reasons[{i}].key"),
                format!("{key:?} is not a key: use 1 to 40 of a-z, 0-9 and _"),
            ));
        } else if out.iter().any(|o| o.key == key) {
            errors.push(FieldError::new(
                format!("reasons[{i}].key"),
                format!("{key:?} is listed twice"),
            ));
        }
        match clean(&format!("reasons[{i}].label"), &r.label) {
            Ok(Some(label)) => out.push(LossReason {
                key: key.to_owned(),
                label,
            }),
            Ok(None) => errors.push(FieldError::new(
                format!("reasons[{i}].label"),
                "must not be empty",
            )),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}
