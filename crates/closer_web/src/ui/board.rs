//! The pipeline board: any pipeline (the default one first), everyone's deals or one owner's
//! (a rep's are always their own), a column per open stage with its count, totals and the
//! totals weighted by the stage's chance of winning, and Won and Lost to drop on. Every card
//! has a plain form (stage, and a reason for Lost) that works from the keyboard and without
//! JavaScript; `app.js` adds dragging, and asks for the reason when a card is dropped on Lost.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use closer_app::{MoveRequest, StageRef};
use closer_domain::UserId;
use closer_domain::pipeline::{
    Amount, Currency, Deal, DealId, PipelineStage, PipelineStageId, StageKind,
};
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
        .route("/deals/{id}/move", get(show_move).post(move_deal))
}

#[derive(Deserialize)]
struct MoveForm {
    csrf: String,
    stage: String,
    #[serde(default)]
    loss_reason: String,
    /// What the buyer said, in their words, when it is lost.
    #[serde(default)]
    objection: String,
}

/// A column: the stage, how many deals, their totals, the cards shown.
struct Column {
    stage: PipelineStage,
    count: u64,
    totals: Vec<(Currency, Amount)>,
    deals: Vec<Deal>,
}

fn card(d: &Deal) -> Markup {
    html! {
        li.card draggable="true" data-deal=(d.id.0) {
            strong { (d.title) }
            span.amount { (money(d.currency.as_str(), &d.amount.to_string())) }
            @if let Some(c) = &d.company { span.sub { (c) } }
            a.move href=(format!("/deals/{}/move", d.id.0)) aria-label=(format!("Move {}", d.title)) { "Move…" }
            " "
            a.move href=(format!("/deals/{}/edit", d.id.0)) aria-label=(format!("Edit {}", d.title)) { "Edit…" }
        }
    }
}

/// Which board: a pipeline (the default one without), and one owner's deals or everyone's.
#[derive(Deserialize, Default)]
struct BoardChoice {
    #[serde(default)]
    pipeline: String,
    #[serde(default)]
    owner: String,
}

async fn show(
    State(st): State<AppState>,
    user: Signed,
    Query(choice): Query<BoardChoice>,
) -> Result<Markup, Failure> {
    if !user.0.role.sells() {
        return Err(Failure::forbidden("The board is for people who sell."));
    }
    let ws = user.0.user.workspace_id;
    let pipelines = st.app.sales().pipelines(ws).await?;
    let pipeline = if choice.pipeline.trim().is_empty() {
        pipelines.iter().find(|p| p.is_default)
    } else {
        let id = super::id(&choice.pipeline)?;
        pipelines.iter().find(|p| p.id.0 == id)
    }
    .ok_or_else(Failure::not_found)?
    .clone();
    let everyone = user.0.role.sees_everyone();
    let users = if everyone {
        st.app.access().users(ws).await?
    } else {
        Vec::new()
    };
    // A rep's board is their own deals whatever is asked (the use case says so too).
    let owner = if choice.owner.trim().is_empty() || !everyone {
        None
    } else {
        Some(UserId(super::id(&choice.owner)?))
    };
    let (_, found) = st
        .app
        .sales()
        .board(&user.0.principal(), pipeline.id, PER_STAGE, owner)
        .await?;
    let columns: Vec<Column> = found
        .into_iter()
        .filter_map(|c| {
            Some(Column {
                stage: pipeline.stage(c.stage_id)?.clone(),
                count: c.count,
                totals: c.totals,
                deals: c.deals,
            })
        })
        .collect();
    let reasons = st.app.sales().loss_reasons(ws).await?;
    let closing: Vec<&PipelineStage> = pipeline
        .stages
        .iter()
        .filter(|s| s.kind != StageKind::Open)
        .collect();
    let content = html! {
        h1 { (pipeline.name) }
        form.filters method="get" action="/board" {
            label for="board-pipeline" { "Pipeline" }
            select #board-pipeline name="pipeline" {
                @for p in &pipelines {
                    option value=(p.id.0) selected[p.id == pipeline.id] { (p.name) }
                }
            }
            @if everyone {
                label for="board-owner" { "Owner" }
                select #board-owner name="owner" {
                    option value="" { "Everyone" }
                    @for u in &users {
                        option value=(u.id.0) selected[Some(u.id) == owner] { (u.name) }
                    }
                }
            }
            button type="submit" { "Show" }
        }
        p.lede { "Drag a card to another column, or open its Move… link to choose the stage." }
        div.board {
            @for c in &columns {
                section.column data-stage=(c.stage.id.0) data-kind="open" aria-labelledby=(format!("col-{}", c.stage.id.0)) {
                    h2 id=(format!("col-{}", c.stage.id.0)) { (c.stage.name) " " span.count { (count(c.count)) } }
                    p.totals {
                        @for (cur, amount) in &c.totals { (money(cur.as_str(), &amount.to_string())) " " }
                    }
                    @if !c.totals.is_empty() {
                        p.weighted title=(format!("The totals at the stage's {}% chance of winning", c.stage.probability)) {
                            "Weighted " (c.stage.probability) "%: "
                            @for (cur, amount) in &c.totals { (money(cur.as_str(), &amount.share(c.stage.probability).to_string())) " " }
                        }
                    }
                    ul.cards {
                        @for d in &c.deals { (card(d)) }
                    }
                }
            }
            @for s in &closing {
                section.column.closing data-stage=(s.id.0) data-kind=(s.kind.as_str()) aria-label=(s.name) {
                    h2 { (s.name) }
                    p.hint { "Drop here" }
                }
            }
        }
        // What a drop posts: app.js sets its address and stage.
        form #drag-move method="post" hidden {
            input type="hidden" name="csrf" value=(user.csrf());
            input type="hidden" name="stage" value="";
            input type="hidden" name="loss_reason" value="";
            input type="hidden" name="objection" value="";
        }
        dialog #lost-dialog {
            form method="dialog" {
                label for="lost-reason" { "Why was it lost?" }
                select #lost-reason {
                    @for r in &reasons { option value=(r.key) { (r.label) } }
                }
                label for="lost-objection" { "Their objection, in their words (optional)" }
                textarea #lost-objection rows="2" maxlength="1000" {}
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
    let id = DealId(super::id(&id)?);
    let deal = st.app.sales().deal(&user.0.principal(), id).await?;
    let target = uuid::Uuid::parse_str(f.stage.trim()).map_or_else(
        |_| StageRef::Name(f.stage.trim().to_owned()),
        |u| StageRef::Id(PipelineStageId(u)),
    );
    let back = format!("/board?pipeline={}", deal.pipeline_id.0);
    // The same move posted twice: the deal is already there.
    if matches!(target, StageRef::Id(s) if s == deal.stage_id) {
        return Ok(Redirect::to(&back).into_response());
    }
    let req = MoveRequest {
        stage: target,
        loss_reason: Some(f.loss_reason.trim().to_owned()).filter(|r| !r.is_empty()),
        objection: Some(f.objection.trim().to_owned()).filter(|o| !o.is_empty()),
        lines: None,
        currency: None,
    };
    match st.app.sales().move_deal(&user.0.principal(), id, req).await {
        Ok(_) => Ok(Redirect::to(&back).into_response()),
        // Lost without a reason (or another refused field): the move page again, saying why.
        Err(closer_app::AppError::Invalid(errors)) => {
            let why = errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join(" ");
            let page = move_page(&st, &user, &deal, Some(f.stage.trim()), Some(&why)).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The move form of one deal: its stage, and a reason for when it is lost.
async fn move_page(
    st: &AppState,
    user: &Signed,
    deal: &Deal,
    chosen: Option<&str>,
    error: Option<&str>,
) -> Result<Markup, Failure> {
    let ws = user.0.user.workspace_id;
    let pipeline = st.app.sales().pipeline(ws, deal.pipeline_id).await?;
    let reasons = st.app.sales().loss_reasons(ws).await?;
    let current = deal.stage_id.0.to_string();
    let chosen = chosen.unwrap_or(&current);
    let content = html! {
        h1 { "Move " (deal.title) }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form.stacked method="post" action=(format!("/deals/{}/move", deal.id.0)) {
            input type="hidden" name="csrf" value=(user.csrf());
            label for="move-stage" { "Stage" }
            select #move-stage name="stage" {
                @for s in &pipeline.stages {
                    option value=(s.id.0) selected[s.id.0.to_string() == chosen || s.name == chosen] { (s.name) }
                }
            }
            label for="move-reason" { "Reason, when it is lost" }
            select #move-reason name="loss_reason" {
                option value="" { "—" }
                @for r in &reasons { option value=(r.key) { (r.label) } }
            }
            label for="move-objection" { "Their objection, in their words, when it is lost" }
            textarea #move-objection name="objection" rows="2" maxlength="1000" {}
            button type="submit" { "Move" }
        }
        p { a href=(format!("/board?pipeline={}", deal.pipeline_id.0)) { "Back to the board" } }
    };
    Ok(page(&user.0, "Move a deal", "/board", false, &content))
}

async fn show_move(
    State(st): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
) -> Result<Markup, Failure> {
    let id = DealId(super::id(&id)?);
    // Whose deal it is, and whether this user may see it, is the use case's to decide.
    let deal = st.app.sales().deal(&user.0.principal(), id).await?;
    move_page(&st, &user, &deal, None, None).await
}
