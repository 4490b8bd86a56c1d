//! `closer deal …` and `closer pipeline list`: the pipeline from the terminal, acting as `cli`
//! in stage history.

use closer_app::{App, DealRequest, MoveRequest, StageRef};
use closer_domain::pipeline::{
    Amount, Currency, Deal, DealId, DealStatus, LineInput, Pipeline, PipelineId, deal,
};
use closer_domain::{ContactId, UserId, WorkspaceId};
use closer_store::DealQuery;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use serde_json::json;
use time::macros::format_description;

use crate::cli::{DealCommand, Format, PipelineCommand, TaskCommand};

fn uuid(what: &str, raw: &str) -> anyhow::Result<uuid::Uuid> {
    raw.trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("{raw:?} is not a {what} id (a UUID)"))
}

/// `PRODUCT,QUANTITY,UNIT_PRICE`, split from the right so a product may hold commas.
fn line(raw: &str) -> anyhow::Result<LineInput> {
    let mut parts = raw.rsplitn(3, ',');
    let (Some(price), Some(quantity), Some(product)) = (parts.next(), parts.next(), parts.next())
    else {
        anyhow::bail!(
            "--line {raw:?}: write it as PRODUCT,QUANTITY,UNIT_PRICE (like \"Seat,40,299.00\")"
        );
    };
    let quantity: i64 = quantity
        .trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("--line {raw:?}: {quantity:?} is not a whole quantity"))?;
    Ok(LineInput {
        product: product.to_owned(),
        quantity,
        unit_price: Amount::parse("unit_price", price)?,
    })
}

async fn move_to(app: &App, ws: WorkspaceId, id: &str, req: MoveRequest) -> anyhow::Result<()> {
    let id = DealId(uuid("deal", id)?);
    let moved = app
        .sales()
        .move_deal(&closer_app::Principal::operator(ws), id, req)
        .await?;
    outln!("{}", summary(app, ws, &moved).await?);
    Ok(())
}

async fn stage_name(app: &App, ws: WorkspaceId, d: &Deal) -> anyhow::Result<String> {
    let p = app.sales().pipeline(ws, d.pipeline_id).await?;
    Ok(p.stage(d.stage_id)
        .map(|s| s.name.clone())
        .unwrap_or_default())
}

async fn summary(app: &App, ws: WorkspaceId, d: &Deal) -> anyhow::Result<String> {
    let stage = stage_name(app, ws, d).await?;
    // Three short lines, so the summary fits a narrow terminal.
    let mut out = format!(
        "deal {}\n  {}\n  {} {} in {stage} ({})",
        d.id,
        d.title,
        d.amount,
        d.currency,
        d.status.as_str()
    );
    if let Some(loss) = &d.loss {
        out.push_str(", lost for ");
        out.push_str(&loss.reason);
    }
    Ok(out)
}

pub async fn deal(app: App, cmd: DealCommand) -> anyhow::Result<()> {
    match cmd {
        DealCommand::Create {
            contact,
            title,
            amount,
            currency,
            pipeline,
            stage,
            expected_close,
            owner,
            workspace,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?.id;
            let req = DealRequest {
                id: None,
                contact_id: ContactId(uuid("contact", &contact)?),
                title: deal::title(&title)?,
                amount: amount.map(|a| Amount::parse("--amount", &a)).transpose()?,
                currency: currency
                    .map(|c| Currency::parse("--currency", &c))
                    .transpose()?,
                pipeline: pipeline
                    .map(|p| uuid("pipeline", &p).map(PipelineId))
                    .transpose()?,
                stage: stage.as_deref().map(StageRef::parse),
                expected_close: expected_close
                    .map(|d| closer_domain::parse_date("--expected-close", &d))
                    .transpose()?,
                owner_id: owner.map(|o| uuid("user", &o).map(UserId)).transpose()?,
                company: None,
                source: None,
                properties: serde_json::Map::new(),
            };
            let created = app
                .sales()
                .create_deal(&closer_app::Principal::operator(ws), req)
                .await?;
            outln!("{}", summary(&app, ws, &created).await?);
        }
        DealCommand::Delete { id, yes, workspace } => {
            let ws = app.access().workspace_by_slug(&workspace).await?.id;
            let deal = DealId(uuid("deal", &id)?);
            crate::activities::confirmed(yes, "a deal")?;
            app.sales()
                .delete_deal(&closer_app::Principal::operator(ws), deal)
                .await?;
            outln!("deal {} deleted", deal.0);
        }
        DealCommand::Move {
            id,
            stage,
            workspace,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?.id;
            let req = MoveRequest {
                stage: StageRef::parse(&stage),
                loss_reason: None,
                objection: None,
                lines: None,
                currency: None,
            };
            move_to(&app, ws, &id, req).await?;
        }
        DealCommand::Win {
            id,
            lines,
            workspace,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?.id;
            let lines = if lines.is_empty() {
                None
            } else {
                Some(
                    lines
                        .iter()
                        .map(|l| line(l))
                        .collect::<anyhow::Result<_>>()?,
                )
            };
            let req = MoveRequest {
                stage: StageRef::Name("won".into()),
                loss_reason: None,
                objection: None,
                lines,
                currency: None,
            };
            move_to(&app, ws, &id, req).await?;
        }
        DealCommand::Lose {
            id,
            reason,
            objection,
            workspace,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?.id;
            let req = MoveRequest {
                stage: StageRef::Name("lost".into()),
                loss_reason: Some(reason),
                objection: objection
                    .as_deref()
                    .map(deal::objection)
                    .transpose()?
                    .flatten(),
                lines: None,
                currency: None,
            };
            move_to(&app, ws, &id, req).await?;
        }
        DealCommand::Set {
            id,
            title,
            amount,
            currency,
            expected_close,
            owner,
            properties,
            workspace,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?.id;
            let id = DealId(uuid("deal", &id)?);
            let owner_id = match owner.as_deref().map(str::trim) {
                None => None,
                Some("none") => Some(None),
                Some(who) => Some(Some(
                    app.access()
                        .users(ws)
                        .await?
                        .iter()
                        .find(|u| u.email.as_str().eq_ignore_ascii_case(who))
                        .map(|u| u.id.0)
                        .ok_or_else(|| {
                            anyhow::anyhow!("owner: {who:?} is not a user of workspace {workspace}")
                        })?,
                )),
            };
            // Read by the same rules as the API: every mistake named by its field.
            let mut errors = Vec::new();
            let title =
                title.and_then(|t| keep(&mut errors, closer_domain::pipeline::deal::title(&t)));
            let amount = amount.and_then(|a| {
                keep(
                    &mut errors,
                    closer_domain::pipeline::Amount::parse("amount", &a),
                )
            });
            let currency = currency.and_then(|c| {
                keep(
                    &mut errors,
                    closer_domain::pipeline::Currency::parse("currency", &c.to_ascii_uppercase()),
                )
            });
            let expected_close = match expected_close.as_deref().map(str::trim) {
                None => None,
                Some("none") => Some(None),
                Some(d) => {
                    keep(&mut errors, closer_domain::parse_date("expected_close", d)).map(Some)
                }
            };
            let properties =
                keep(&mut errors, crate::properties::assignments(&properties)).flatten();
            if !errors.is_empty() {
                return Err(closer_app::AppError::Invalid(errors).into());
            }
            let patch = closer_domain::pipeline::DealPatch {
                title,
                amount,
                currency,
                expected_close,
                owner_id: owner_id.map(|o| o.map(UserId)),
                properties,
                ..closer_domain::pipeline::DealPatch::default()
            };
            app.sales()
                .patch_deal(&closer_app::Principal::operator(ws), id, &patch)
                .await?;
            show(&app, ws, id, Format::Table).await?;
        }
        DealCommand::Show {
            id,
            workspace,
            format,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?.id;
            show(&app, ws, DealId(uuid("deal", &id)?), format).await?;
        }
        DealCommand::List {
            status,
            limit,
            workspace,
            format,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?.id;
            let query = DealQuery {
                status: status.as_deref().map(DealStatus::parse).transpose()?,
                limit,
                ..DealQuery::default()
            };
            let deals = app
                .sales()
                .list_deals(&closer_app::Principal::operator(ws), query)
                .await?;
            list(&app, ws, &deals, format).await?;
        }
    }
    Ok(())
}

async fn show(app: &App, ws: WorkspaceId, id: DealId, format: Format) -> anyhow::Result<()> {
    let d = app
        .sales()
        .deal(&closer_app::Principal::operator(ws), id)
        .await?;
    let history = app
        .sales()
        .deal_history(&closer_app::Principal::operator(ws), id)
        .await?;
    let order = app
        .sales()
        .deal_order(&closer_app::Principal::operator(ws), id)
        .await?;
    if format == Format::Json {
        let value = json!({
            "deal": d,
            "history": history.iter().map(|h| json!({
                "stage": h.stage_name, "entered_at": h.entered_at, "left_at": h.left_at,
                "changed_by": h.changed_by,
            })).collect::<Vec<_>>(),
            "order": order,
        });
        outln!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    outln!("{}", summary(app, ws, &d).await?);
    if let Some(loss) = d.loss.as_ref().and_then(|l| l.objection.as_deref()) {
        outln!("objection: {loss}");
    }
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(80)
        .set_header(["stage", "entered", "left", "by"]);
    let minute = format_description!("[year]-[month]-[day] [hour]:[minute]");
    let at = |t: closer_domain::Timestamp| t.get().format(minute).unwrap_or_default();
    for h in &history {
        table.add_row([
            h.stage_name.clone(),
            at(h.entered_at),
            h.left_at.map(at).unwrap_or_default(),
            h.changed_by.clone(),
        ]);
    }
    outln!("{table}");
    if let Some(o) = order {
        outln!("order {}: {} {}", o.id, o.total, o.currency);
        for l in &o.lines {
            outln!("  {} x {} at {}", l.quantity, l.product, l.unit_price);
        }
    }
    Ok(())
}

async fn list(app: &App, ws: WorkspaceId, deals: &[Deal], format: Format) -> anyhow::Result<()> {
    if format == Format::Json {
        outln!("{}", serde_json::to_string_pretty(deals)?);
        return Ok(());
    }
    let pipelines = app.sales().pipelines(ws).await?;
    let stage = |d: &Deal| {
        pipelines
            .iter()
            .find(|p| p.id == d.pipeline_id)
            .and_then(|p| p.stage(d.stage_id))
            .map(|s| s.name.clone())
            .unwrap_or_default()
    };
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(80)
        .set_header(["deal", "title", "amount", "stage"]);
    for d in deals {
        table.add_row([
            d.id.to_string(),
            d.title.clone(),
            format!("{} {}", d.amount, d.currency),
            stage(d),
        ]);
    }
    outln!("{table}");
    Ok(())
}

pub async fn pipeline(app: App, cmd: PipelineCommand) -> anyhow::Result<()> {
    match cmd {
        PipelineCommand::List { workspace } => {
            let ws = app.access().workspace_by_slug(&workspace).await?.id;
            for p in app.sales().pipelines(ws).await? {
                print_pipeline(&p)?;
            }
        }
        PipelineCommand::Create {
            name,
            stages,
            won,
            lost,
            workspace,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?.id;
            // The chance of winning rises evenly along the board: 5 stages are 17 % … 83 %.
            let n = stages.len() + 1;
            let mut all: Vec<serde_json::Value> = stages
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let chance = (100 * (i + 1) + n / 2) / n;
                    serde_json::json!({"name": s, "probability": chance})
                })
                .collect();
            all.push(serde_json::json!({"name": won, "kind": "won"}));
            all.push(serde_json::json!({"name": lost, "kind": "lost"}));
            let input = serde_json::from_value(serde_json::json!({"name": name, "stages": all}))?;
            let p = app
                .sales()
                .create_pipeline(&closer_app::Principal::operator(ws), &input)
                .await?;
            print_pipeline(&p)?;
        }
    }
    Ok(())
}

fn print_pipeline(p: &Pipeline) -> anyhow::Result<()> {
    let default = if p.is_default { " (default)" } else { "" };
    outln!("{}{default}  {}", p.name, p.id);
    for s in &p.stages {
        outln!(
            "  {:<16} {:>3}%  {:<9}  {}",
            s.name,
            s.probability,
            s.forecast.as_str(),
            s.id
        );
    }
    Ok(())
}

pub async fn task(app: App, cmd: TaskCommand) -> anyhow::Result<()> {
    match cmd {
        TaskCommand::List {
            overdue,
            assignee,
            limit,
            workspace,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?.id;
            let users = app.access().users(ws).await?;
            let assignee = match assignee {
                None => None,
                Some(who) => Some(
                    users
                        .iter()
                        .find(|u| {
                            u.id.to_string() == who.trim()
                                || u.email.as_str() == who.trim().to_lowercase()
                        })
                        .map(|u| u.id)
                        .ok_or_else(|| {
                            anyhow::anyhow!("{who:?} is not a user of workspace {workspace}")
                        })?,
                ),
            };
            let now = closer_domain::Timestamp::now();
            let query = closer_store::TaskQuery {
                assignee,
                status: Some(closer_domain::pipeline::TaskStatus::Open),
                due_before: overdue.then_some(now),
                limit,
                ..closer_store::TaskQuery::default()
            };
            let tasks = app
                .sales()
                .list_tasks(&closer_app::Principal::operator(ws), query)
                .await?;
            if tasks.is_empty() {
                outln!("no {}tasks", if overdue { "overdue " } else { "open " });
                return Ok(());
            }
            let name = |id: Option<UserId>| {
                id.and_then(|id| users.iter().find(|u| u.id == id))
                    .map_or_else(|| "unassigned".to_owned(), |u| u.name.clone())
            };
            let mut table = Table::new();
            table
                .load_preset(UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(80)
                .set_header(["due", "task", "assignee"]);
            let minute = format_description!("[year]-[month]-[day] [hour]:[minute]");
            for t in &tasks {
                let due = t.due_at.get().format(minute).unwrap_or_default();
                let late = if t.overdue(now) { " (late)" } else { "" };
                table.add_row([format!("{due}{late}"), t.title.clone(), name(t.assignee_id)]);
            }
            outln!("{table}");
        }
        TaskCommand::Add(add) => crate::task_edit::add(app, add).await?,
        TaskCommand::Set(set) => crate::task_edit::set(app, set).await?,
        TaskCommand::Delete { id, yes, workspace } => {
            let ws = app.access().workspace_by_slug(&workspace).await?.id;
            let task = closer_domain::pipeline::TaskId(uuid("task", &id)?);
            crate::activities::confirmed(yes, "a task")?;
            app.sales()
                .delete_task(&closer_app::Principal::operator(ws), task)
                .await?;
            outln!("task {} deleted", task.0);
        }
    }
    Ok(())
}

/// `r`'s value, its error kept in `errors` (every field's mistake is named at once).
fn keep<T>(
    errors: &mut Vec<closer_domain::FieldError>,
    r: Result<T, closer_domain::FieldError>,
) -> Option<T> {
    r.map_err(|e| errors.push(e)).ok()
}
