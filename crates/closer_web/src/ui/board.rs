//! The pipeline board: a column per open stage with its count and totals, and Won and Lost
//! to drop on. Every card has a plain form (stage, and a reason for Lost) that works from the
//! keyboard and without JavaScript; `app.js` adds dragging, and asks for the reason when a
//! card is dropped on Lost. Reps see their own deals; managers and admins see all.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use closer_app::{MoveRequest, StageRef};
use closer_domain::pipeline::{
    Amount, Currency, Deal, DealId, DealStatus, LossReason, PipelineStage, PipelineStageId,
    StageKind,
};
use closer_store::DealQuery;
use maud::{Markup, html};
use serde::Deserialize;

use super::format::{count, money};
use super::layout::page;
use super::session::Signed;
use super::{Failure, UiForm};
use crate::AppState;

/// Cards shown per column.
const PER_STAGE: u32 = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/board", get(show))
        .route("/deals/{id}/move", post(move_deal))
}

#[derive(Deserialize)]
struct MoveForm {
    csrf: String,
    stage: String,
    #[serde(default)]
    loss_reason: String,
}

/// A column: the stage, how many deals, their totals, the cards shown.
struct Column {
    stage: PipelineStage,
    count: u64,
    totals: Vec<(Currency, Amount)>,
    deals: Vec<Deal>,
}

fn card(user: &Signed, d: &Deal, targets: &[PipelineStage], reasons: &[LossReason]) -> Markup {
    let form_id = format!("move-{}", d.id.0);
    html! {
        li.card draggable="true" data-deal=(d.id.0) {
            strong { (d.title) }
            span.amount { (money(d.currency.as_str(), &d.amount.to_string())) }
            @if let Some(c) = &d.company { span.sub { (c) } }
            form.move id=(form_id) method="post" action=(format!("/deals/{}/move", d.id.0)) {
                input type="hidden" name="csrf" value=(user.csrf());
                label for=(format!("{form_id}-stage")) { "Move " (d.title) " to" }
                select id=(format!("{form_id}-stage")) name="stage" {
                    @for s in targets {
                        option value=(s.id.0) selected[s.id == d.stage_id] data-kind=(kind(s.kind)) { (s.name) }
                    }
                }
                label for=(format!("{form_id}-reason")) { "Reason, if lost" }
                select id=(format!("{form_id}-reason")) name="loss_reason" {
                    option value="" { "—" }
                    @for r in reasons { option value=(r.key) { (r.label) } }
                }
                button type="submit" { "Move" }
            }
        }
    }
}

fn kind(k: StageKind) -> &'static str {
    match k {
        StageKind::Open => "open",
        StageKind::Won => "won",
        StageKind::Lost => "lost",
    }
}

async fn show(State(st): State<AppState>, user: Signed) -> Result<Markup, Failure> {
    if !user.0.role.sells() {
        return Err(Failure::forbidden("The board is for people who sell."));
    }
    let ws = user.0.user.workspace_id;
    let pipeline = st
        .app
        .pipelines(ws)
        .await?
        .into_iter()
        .find(|p| p.is_default)
        .ok_or_else(Failure::not_found)?;
    let open: Vec<PipelineStage> = pipeline
        .stages
        .iter()
        .filter(|s| s.kind == StageKind::Open)
        .cloned()
        .collect();
    let columns: Vec<Column> = if user.0.role.sees_everyone() {
        let (_, cols) = st.app.board(ws, pipeline.id, PER_STAGE).await?;
        cols.into_iter()
            .filter_map(|c| {
                Some(Column {
                    stage: pipeline.stage(c.stage_id)?.clone(),
                    count: c.count,
                    totals: c.totals,
                    deals: c.deals,
                })
            })
            .collect()
    } else {
        // A rep's own open deals, grouped here.
        let mine = st
            .app
            .list_deals(
                ws,
                DealQuery {
                    pipeline: Some(pipeline.id),
                    status: Some(DealStatus::Open),
                    owner: Some(user.0.user.id),
                    limit: 500,
                    ..DealQuery::default()
                },
            )
            .await?;
        let mut by_stage: BTreeMap<PipelineStageId, Vec<Deal>> = BTreeMap::new();
        for d in mine {
            by_stage.entry(d.stage_id).or_default().push(d);
        }
        open.iter()
            .map(|s| {
                let deals = by_stage.remove(&s.id).unwrap_or_default();
                let mut totals: BTreeMap<Currency, Amount> = BTreeMap::new();
                for d in &deals {
                    let t = totals.entry(d.currency).or_insert(Amount::ZERO);
                    *t = t.plus(d.amount).unwrap_or(*t);
                }
                Column {
                    stage: s.clone(),
                    count: deals.len() as u64,
                    totals: totals.into_iter().collect(),
                    deals: deals.into_iter().take(PER_STAGE as usize).collect(),
                }
            })
            .collect()
    };
    let reasons = st.app.loss_reasons(ws).await?;
    let closing: Vec<&PipelineStage> = pipeline
        .stages
        .iter()
        .filter(|s| s.kind != StageKind::Open)
        .collect();
    let content = html! {
        h1 { (pipeline.name) }
        p.lede { "Drag a card to another column, or choose its stage and press Move." }
        div.board {
            @for c in &columns {
                section.column data-stage=(c.stage.id.0) data-kind="open" aria-labelledby=(format!("col-{}", c.stage.id.0)) {
                    h2 id=(format!("col-{}", c.stage.id.0)) { (c.stage.name) " " span.count { (count(c.count)) } }
                    p.totals {
                        @for (cur, amount) in &c.totals { (money(cur.as_str(), &amount.to_string())) " " }
                    }
                    ul.cards {
                        @for d in &c.deals { (card(&user, d, &pipeline.stages, &reasons)) }
                    }
                }
            }
            @for s in &closing {
                section.column.closing data-stage=(s.id.0) data-kind=(kind(s.kind)) aria-label=(s.name) {
                    h2 { (s.name) }
                    p.hint { "Drop here" }
                }
            }
        }
        dialog #lost-dialog {
            form method="dialog" {
                label for="lost-reason" { "Why was it lost?" }
                select #lost-reason {
                    @for r in &reasons { option value=(r.key) { (r.label) } }
                }
                menu {
                    button value="cancel" formnovalidate { "Cancel" }
                    button #lost-confirm value="ok" { "Mark lost" }
                }
            }
        }
    };
    Ok(page(&user.0, "Board", "/board", false, &content))
}

async fn move_deal(
    State(st): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    UiForm(f): UiForm<MoveForm>,
) -> Result<Response, Failure> {
    user.check_csrf(&f.csrf)?;
    if !user.0.role.sells() {
        return Err(Failure::forbidden("Only people who sell move deals."));
    }
    let id = DealId(uuid::Uuid::parse_str(&id).map_err(|_| Failure::not_found())?);
    let ws = user.0.user.workspace_id;
    let deal = st.app.deal(ws, id).await?;
    if !user.0.role.sees_everyone() && deal.owner_id != Some(user.0.user.id) {
        return Err(Failure::not_found());
    }
    let target = uuid::Uuid::parse_str(f.stage.trim()).map_or_else(
        |_| StageRef::Name(f.stage.trim().to_owned()),
        |u| StageRef::Id(PipelineStageId(u)),
    );
    // The same move posted twice: the deal is already there.
    if matches!(target, StageRef::Id(s) if s == deal.stage_id) {
        return Ok(Redirect::to("/board").into_response());
    }
    let req = MoveRequest {
        stage: target,
        loss_reason: Some(f.loss_reason.trim().to_owned()).filter(|r| !r.is_empty()),
        objection: None,
        lines: None,
        currency: None,
    };
    st.app
        .move_deal(ws, id, &user.0.principal().actor(), req)
        .await?;
    Ok(Redirect::to("/board").into_response())
}
