//! Importing deals (Pipedrive's deals export, HubSpot's, closer's own): every row read and
//! resolved against the workspace first — its person (by contact id, the id a contact file
//! gave them, email or phone; made from the row's person when nobody has them), pipeline
//! and stage by name (or closer's ids), the loss reason against the catalogue — so a file
//! with a wrong row imports nothing unless the caller accepts losing it. Each deal gets an
//! id derived from its record, so importing the file again finds it: new deals are opened at
//! their original time and moved to won or lost at theirs (a win places its order), known
//! ones take what the file changed.

use std::collections::HashSet;
use std::sync::Arc;

use closer_domain::access::{Action, Reach, reach};
use closer_domain::import::NamesPerson;
use closer_domain::import::deals::{DealColumns, DealRow};
use closer_domain::pipeline::{
    Amount, Currency, Deal, DealId, DealPatch, DealStatus, LossReason, Order, OrderId, OrderLine,
    OrderSource, Pipeline, PipelineStage, StageKind, plan_move,
};
use closer_domain::{ContactDraft, ContactId, FieldError, Region, Timestamp, UserId, WorkspaceId};
use closer_store::{DealMove, StoreError};

use super::contacts::Owners;
use super::people::People;
use super::table::{Chunks, Pass};
use super::{ImportOptions, ImportReport, ImportSummary, Imports, Rejected, Source};
use crate::{AppError, Principal};

/// Deals move stages and place orders: a role that works every deal.
pub(super) fn may_import_deals(principal: &Principal) -> Result<(), AppError> {
    super::may_import(principal)?;
    if reach(principal.role, Action::WorkDeals) == Reach::Everyone {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "importing deals needs a role that may work every deal (admin, manager)".into(),
        ))
    }
}

/// A row resolved against the workspace.
struct Planned {
    row: DealRow,
    id: DealId,
    pipeline: usize,
    stage: PipelineStage,
    loss: Option<(String, Option<String>)>,
    owner: Option<UserId>,
    /// Known already; `None`: made from the row's person when written.
    contact: Option<ContactId>,
}

/// The reason key a file's lost reason names: a key or label of the catalogue (case aside);
/// other words are kept as the objection under `other`.
fn loss_for(row: &DealRow, reasons: &[LossReason]) -> Result<(String, Option<String>), FieldError> {
    let named = row.loss_reason.as_deref().map(str::trim);
    if let Some(n) = named
        && let Some(r) = reasons
            .iter()
            .find(|r| r.key.eq_ignore_ascii_case(n) || r.label.eq_ignore_ascii_case(n))
    {
        return Ok((r.key.clone(), row.objection.clone()));
    }
    match reasons.iter().find(|r| r.key == "other") {
        Some(other) => Ok((
            other.key.clone(),
            row.objection.clone().or_else(|| named.map(str::to_owned)),
        )),
        None => Err(FieldError::new(
            "loss_reason",
            format!(
                "{:?} is not a loss reason of this workspace ({})",
                named.unwrap_or(""),
                reasons
                    .iter()
                    .map(|r| r.key.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// The pipeline and stage a row names; won and lost deals go to their pipeline's won or lost
/// stage whatever open stage the file says they were in.
fn place(row: &DealRow, pipelines: &[Pipeline]) -> Result<(usize, PipelineStage), FieldError> {
    let listed = |items: Vec<&str>| items.join(", ");
    let p = match row.pipeline.as_deref() {
        None => pipelines.iter().position(|p| p.is_default).unwrap_or(0),
        Some(n) => pipelines
            .iter()
            .position(|p| p.id.0.to_string() == n || p.name.eq_ignore_ascii_case(n))
            .ok_or_else(|| {
                FieldError::new(
                    "pipeline",
                    format!(
                        "{n:?} is not a pipeline of this workspace ({})",
                        listed(pipelines.iter().map(|p| p.name.as_str()).collect())
                    ),
                )
            })?,
    };
    let pipeline = &pipelines[p];
    let named = match row.stage.as_deref() {
        None => None,
        Some(n) => Some(
            pipeline
                .stages
                .iter()
                .find(|s| s.id.0.to_string() == n)
                .or_else(|| pipeline.stage_named(n))
                .ok_or_else(|| {
                    FieldError::new(
                        "stage",
                        format!(
                            "{n:?} is not a stage of the pipeline {:?} ({})",
                            pipeline.name,
                            listed(pipeline.stages.iter().map(|s| s.name.as_str()).collect())
                        ),
                    )
                })?,
        ),
    };
    let stage = match (row.status, named) {
        (Some(DealStatus::Won), s) if s.is_none_or(|s| s.kind != StageKind::Won) => {
            pipeline.closing(StageKind::Won)
        }
        (Some(DealStatus::Lost), s) if s.is_none_or(|s| s.kind != StageKind::Lost) => {
            pipeline.closing(StageKind::Lost)
        }
        (Some(DealStatus::Open), Some(s)) if s.kind != StageKind::Open => {
            return Err(FieldError::new(
                "status",
                format!("is open, but the stage {:?} closes deals", s.name),
            ));
        }
        (_, Some(s)) => s,
        (_, None) => pipeline.first_open(),
    };
    Ok((p, stage.clone()))
}

/// What a deal file is read against, read once for the import.
struct Workspace {
    region: Option<Region>,
    owners: Owners,
    pipelines: Vec<Pipeline>,
    reasons: Vec<LossReason>,
}

/// A read row resolved against the workspace — its pipeline and stage, loss reason and
/// person — or every problem with it.
fn plan(
    ws: WorkspaceId,
    mut row: DealRow,
    the: &Workspace,
    people: &People,
    summary: &mut ImportSummary,
) -> Result<Planned, Vec<FieldError>> {
    let mut problems = Vec::new();
    let placed = place(&row, &the.pipelines)
        .map_err(|e| problems.push(e))
        .ok();
    let loss = match placed.as_ref().map(|(_, s)| s.kind) {
        Some(StageKind::Lost) => loss_for(&row, &the.reasons)
            .map_err(|e| problems.push(e))
            .ok(),
        _ => None,
    };
    let contact = people.of_row(&row).unwrap_or_else(|e| {
        problems.push(e);
        None
    });
    let Some((pipeline, stage)) = placed.filter(|_| problems.is_empty()) else {
        return Err(problems);
    };
    let owner = row.owner.take().and_then(|o| the.owners.find(o, summary));
    let id = DealId(super::derived_id(ws, "deal", &row.key(), row.created_at));
    Ok(Planned {
        row,
        id,
        pipeline,
        stage,
        loss,
        owner,
        contact,
    })
}

impl Imports {
    /// Imports a deal file. A file with an invalid row imports nothing unless
    /// `continue_on_error`; a dry run counts what would be made, changed and left alone.
    #[allow(clippy::too_many_lines)]
    pub async fn deals(
        &self,
        principal: &Principal,
        source: Arc<dyn Source>,
        options: ImportOptions,
        report: &mut dyn ImportReport,
    ) -> Result<ImportSummary, AppError> {
        may_import_deals(principal)?;
        let ws = principal.workspace_id;
        let the = Workspace {
            region: self.region(ws).await?,
            owners: Owners::load(self, ws, true).await?,
            pipelines: self.sales.pipelines(ws).await?,
            reasons: self.store.loss_reasons(ws).await?,
        };
        for &pass in Pass::for_options(&options) {
            let summary = self
                .deals_pass(ws, source.clone(), &options, &the, pass, report)
                .await?;
            if let Some(done) = pass.finish(summary) {
                return Ok(done);
            }
        }
        unreachable!("the last pass finishes the import")
    }

    /// One reading of a deal file: every row resolved and counted, and in a writing pass its
    /// deal opened or changed.
    async fn deals_pass(
        &self,
        ws: WorkspaceId,
        source: Arc<dyn Source>,
        options: &ImportOptions,
        the: &Workspace,
        pass: Pass,
        report: &mut dyn ImportReport,
    ) -> Result<ImportSummary, AppError> {
        let mut file = Chunks::open(source).await?;
        if pass.reports_header() {
            report.header(&file.headers);
        }
        let columns = DealColumns::recognise(&file.header_refs(), &options.mapping)?;
        let actor = options.actor();
        let now = Timestamp::now();
        let mut summary = ImportSummary::default();
        let mut seen = HashSet::new();
        while let Some(chunk) = file.next().await? {
            let read = chunk.read_rows(&mut summary, report, |cells| {
                columns.read(cells, the.region)
            });
            let people = self.people(ws, read.iter().map(|(_, _, r)| r)).await?;
            for (line, raw, row) in read {
                let mut p = match plan(ws, row, the, &people, &mut summary) {
                    Ok(p) => p,
                    Err(problems) => {
                        summary.rejected += 1;
                        report.rejected(&Rejected::of(line, raw, &problems));
                        continue;
                    }
                };
                // closer's export read back where it came from (edited in a spreadsheet, say):
                // its id names the deal itself.
                if let Some(own) = p.row.external_id.as_deref().and_then(|x| x.parse().ok()) {
                    match self.store.deal(ws, DealId(own)).await {
                        Ok(_) => p.id = DealId(own),
                        Err(StoreError::NotFound) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                if !seen.insert(p.id) {
                    summary.merged += 1;
                    continue;
                }
                let pipeline = &the.pipelines[p.pipeline];
                match self.store.deal(ws, p.id).await {
                    Ok(stored) => {
                        let changed = self
                            .update_deal(
                                ws,
                                &stored,
                                &p,
                                pipeline,
                                &the.reasons,
                                &actor,
                                pass.dry(),
                            )
                            .await?;
                        if changed {
                            summary.updated += 1;
                        } else {
                            summary.unchanged += 1;
                        }
                    }
                    Err(StoreError::NotFound) => {
                        summary.created += 1;
                        if !pass.dry() {
                            self.create_deal(ws, &p, pipeline, &the.reasons, &actor, now)
                                .await?;
                        }
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            report.progress(&summary, chunk.bytes);
        }
        summary.written = !pass.dry() && summary.created + summary.updated > 0;
        Ok(summary)
    }

    async fn create_deal(
        &self,
        ws: WorkspaceId,
        p: &Planned,
        pipeline: &Pipeline,
        reasons: &[LossReason],
        actor: &str,
        now: Timestamp,
    ) -> Result<(), AppError> {
        let contact = if let Some(c) = p.contact {
            c
        } else {
            let row = &p.row;
            let draft = ContactDraft {
                company: row.company.clone(),
                ..row.person_draft()
            };
            self.make_person(ws, draft, actor, now).await?
        };
        let row = &p.row;
        let created_at = row.created_at.unwrap_or(now);
        let start = if p.stage.kind == StageKind::Open {
            p.stage.clone()
        } else {
            pipeline.first_open().clone()
        };
        let deal = Deal {
            id: p.id,
            pipeline_id: pipeline.id,
            stage_id: start.id,
            status: DealStatus::Open,
            contact_id: contact,
            company: row.company.clone(),
            company_id: None,
            title: row.title.clone(),
            amount: row.amount.unwrap_or(Amount::ZERO),
            currency: row.currency.unwrap_or(Currency::USD),
            expected_close: row.expected_close,
            owner_id: p.owner,
            source: row.source.clone(),
            loss: None,
            closed_at: None,
            created_at,
            updated_at: now.max(created_at),
            properties: serde_json::Map::new(),
        };
        match self.store.create_deal(ws, &deal, &start.name, actor).await {
            Ok(()) => {}
            // Imported meanwhile (the same file twice at once): the deal is there.
            Err(StoreError::Conflict { .. }) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        if p.stage.kind != StageKind::Open {
            let closed_at = row.closed_at.unwrap_or(created_at).max(created_at);
            self.close(ws, &deal, p, pipeline, reasons, actor, closed_at)
                .await?;
        }
        self.sales.rescored(ws, contact).await;
        Ok(())
    }

    /// Moves a deal to the row's won or lost stage at `at`; a win places its order (the deal
    /// as one line, with an id derived from the deal's, so it is placed once).
    #[allow(clippy::too_many_arguments)]
    async fn close(
        &self,
        ws: WorkspaceId,
        deal: &Deal,
        p: &Planned,
        pipeline: &Pipeline,
        reasons: &[LossReason],
        actor: &str,
        at: Timestamp,
    ) -> Result<(), AppError> {
        let (reason, objection) = match &p.loss {
            Some((r, o)) => (Some(r.as_str()), o.clone()),
            None => (None, None),
        };
        let plan = plan_move(deal, pipeline, &p.stage, reason, objection, reasons, at)
            .map_err(|e| AppError::invalid("stage", format!("{e:?}")))?;
        if plan.unchanged {
            return Ok(());
        }
        let order = (p.stage.kind == StageKind::Won).then(|| Order {
            id: OrderId(super::derived_id(
                ws,
                "deal-order",
                &deal.id.0.to_string(),
                Some(at),
            )),
            contact_id: deal.contact_id,
            deal_id: Some(deal.id),
            currency: deal.currency,
            lines: vec![OrderLine {
                product: deal.title.clone(),
                quantity: 1,
                unit_price: deal.amount,
            }],
            total: deal.amount,
            source: OrderSource::Deal,
            placed_at: at,
            created_at: at,
        });
        let mv = DealMove {
            deal: deal.id,
            plan,
            stage_name: p.stage.name.clone(),
            actor: actor.to_owned(),
            order,
            amount: None,
        };
        self.store.move_deal(ws, &mv, at).await?;
        Ok(())
    }

    /// What the row changes on a deal imported before: its fields, and its stage. Whether it
    /// changed anything.
    #[allow(clippy::too_many_arguments)]
    async fn update_deal(
        &self,
        ws: WorkspaceId,
        stored: &Deal,
        p: &Planned,
        pipeline: &Pipeline,
        reasons: &[LossReason],
        actor: &str,
        dry_run: bool,
    ) -> Result<bool, AppError> {
        let row = &p.row;
        let differs = |new: Option<&String>, old: Option<&String>| new.is_some() && new != old;
        let patch = DealPatch {
            title: (row.title != stored.title).then(|| row.title.clone()),
            company: differs(row.company.as_ref(), stored.company.as_ref())
                .then(|| row.company.clone()),
            amount: row.amount.filter(|a| *a != stored.amount),
            currency: row.currency.filter(|c| *c != stored.currency),
            expected_close: row
                .expected_close
                .filter(|d| Some(*d) != stored.expected_close)
                .map(Some),
            owner_id: p.owner.filter(|o| Some(*o) != stored.owner_id).map(Some),
            source: differs(row.source.as_ref(), stored.source.as_ref())
                .then(|| row.source.clone()),
            properties: None,
            if_unchanged_since: None,
        };
        let moves = stored.pipeline_id == pipeline.id && stored.stage_id != p.stage.id;
        let changed = !patch.is_empty() || moves;
        if dry_run || !changed {
            return Ok(changed);
        }
        let mut deal = stored.clone();
        if !patch.is_empty() {
            deal = self
                .store
                .patch_deal(ws, stored.id, &patch, Timestamp::now())
                .await?;
        }
        if moves {
            let at = row.closed_at.unwrap_or_else(Timestamp::now);
            self.close(ws, &deal, p, pipeline, reasons, actor, at)
                .await?;
        }
        self.sales.rescored(ws, deal.contact_id).await;
        Ok(true)
    }
}
