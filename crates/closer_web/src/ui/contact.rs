//! A contact's page: details, scores with their explanation, the merged timeline (visits,
//! forms, activities, stage and deal moves, orders), deals and tasks; log a call or note and
//! open a deal in place. Forms carry an id made when the page was drawn, so a form posted
//! twice logs one activity and opens one deal.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use closer_app::{ActivityRequest, DealRequest};
use closer_domain::pipeline::{ActivityId, ActivityKind, Amount, Currency, DealId};
use closer_domain::{Contact, ContactId, Event};
use closer_store::{DealQuery, TaskQuery};
use maud::html;
use serde::Deserialize;
use serde_json::Value;

use super::format::{money, when};
use super::layout::page;
use super::queue::display_name;
use super::session::Signed;
use super::{Failure, UiForm};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/contacts/{id}", get(show))
        .route("/contacts/{id}/activities", post(log))
        .route("/contacts/{id}/deals", post(open_deal))
        .route("/contacts/{id}/export", get(export))
        .route("/contacts/{id}/erase", post(erase))
        .route("/contacts/{id}/tags", post(super::tags::save_contact_tags))
}

/// Everything closer holds about the person, as a JSON download (an access or portability
/// request); the API's `GET /api/v1/contacts/{id}/export`.
async fn export(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
) -> Result<Response, Failure> {
    let id = ContactId(super::id(&id)?);
    let export = state.app.contacts().export(&user.0.principal(), id).await?;
    Ok((
        [(
            axum::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"contact-{}.json\"", id.0),
        )],
        axum::Json(export),
    )
        .into_response())
}

#[derive(Deserialize)]
struct LogForm {
    csrf: String,
    once: String,
    kind: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    text: String,
}

#[derive(Deserialize)]
struct DealForm {
    csrf: String,
    once: String,
    title: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    currency: String,
}

fn nonempty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// The contact, if this user may see it: a rep sees unassigned contacts and their own.
/// The contact, if this user may open it (the role table, in the use case): a page about
/// someone else's contact is not found.
async fn visible(state: &AppState, user: &Signed, id: ContactId) -> Result<Contact, Failure> {
    Ok(state
        .app
        .contacts()
        .contact(&user.0.principal(), id)
        .await?)
}

/// One line of the timeline: what happened, in words, from the event's properties.
fn summary(e: &Event) -> String {
    let p = &e.properties;
    let s = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_owned);
    let parts: Vec<String> = match e.kind.as_str() {
        "pageview" => vec![s("path").or(s("url")).unwrap_or_default()],
        "custom_event" => vec![s("name").unwrap_or_default()],
        "form_submitted" => vec![s("form_name").unwrap_or_else(|| "a form".into())],
        // A first stage has nothing before it: "entered as lead", not a stage that never was.
        "stage_changed" => vec![
            match s("from") {
                Some(from) => format!("{from} → {}", s("to").unwrap_or_default()),
                None => format!("entered as {}", s("to").unwrap_or_default()),
            },
            s("reason").map(|r| format!("“{r}”")).unwrap_or_default(),
        ],
        "activity" => [s("kind"), s("outcome"), s("text")]
            .into_iter()
            .flatten()
            .collect(),
        "deal_moved" => [s("title"), s("stage")].into_iter().flatten().collect(),
        "order_placed" => [s("currency"), s("total")].into_iter().flatten().collect(),
        "merged" => {
            let n = p.get("from").and_then(Value::as_array).map_or(0, Vec::len);
            vec![if n == 1 {
                "another record of this person merged in".to_owned()
            } else {
                format!("{n} other records of this person merged in")
            }]
        }
        _ => Vec::new(),
    };
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" · ")
}

async fn show(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
) -> Result<Response, Failure> {
    let id = ContactId(super::id(&id)?);
    let principal = user.0.principal();
    // A record merged into another leads to it.
    let c = match state.app.contacts().contact(&principal, id).await {
        Err(closer_app::AppError::Merged(into)) => {
            return Ok(Redirect::to(&format!("/contacts/{}", into.0)).into_response());
        }
        other => other?,
    };
    let ws = principal.workspace_id;
    let q = state.app.scoring().qualification(&principal, id).await?;
    let events = state
        .app
        .contacts()
        .contact_events(&principal, id, 100, None)
        .await?;
    // Deals and tasks for those who see the pipeline (a rep: their own).
    let (deals, tasks) = if user.0.role.sells() {
        let deals = state
            .app
            .sales()
            .list_deals(
                &principal,
                DealQuery {
                    contact: Some(id),
                    limit: 50,
                    ..DealQuery::default()
                },
            )
            .await?;
        let tasks = state
            .app
            .sales()
            .list_tasks(
                &principal,
                TaskQuery {
                    contact: Some(id),
                    limit: 50,
                    ..TaskQuery::default()
                },
            )
            .await?;
        (deals, tasks)
    } else {
        (Vec::new(), Vec::new())
    };
    let stages: Vec<_> = state
        .app
        .sales()
        .pipelines(ws)
        .await?
        .into_iter()
        .flat_map(|p| p.stages)
        .collect();
    let stage_name = |sid| {
        stages
            .iter()
            .find(|s| s.id == sid)
            .map_or("?", |s| s.name.as_str())
    };
    // A customer's value, from the workspace's lifetime-value fit (kept for an hour).
    let value = if c.stage == closer_domain::Stage::Customer {
        Some(state.app.reports().customer_value(&principal, id).await?)
    } else {
        None
    };
    let company = match c.company_id {
        Some(cid) => Some(state.app.companies().get(&principal, cid).await?),
        None => None,
    };
    let name = display_name(&c);
    let sells = user.0.role.sells();
    // Whom a follow-up may be handed to: for those who assign.
    let users = if sells && user.0.may_assign() {
        state.app.access().users(user.0.user.workspace_id).await?
    } else {
        Vec::new()
    };
    let edits =
        closer_domain::access::reach(user.0.role, closer_domain::access::Action::EditContacts)
            != closer_domain::access::Reach::Nobody;
    let erases =
        closer_domain::access::reach(user.0.role, closer_domain::access::Action::EraseContacts)
            != closer_domain::access::Reach::Nobody;
    let defs = state
        .app
        .property_defs(
            &principal,
            Some(closer_domain::property::PropertyOf::Contacts),
        )
        .await?;
    let tags = state
        .app
        .tags_of(&principal, closer_store::Tagged::Contacts, &[id.0])
        .await?
        .remove(&id.0)
        .unwrap_or_default();
    let content = html! {
        h1 { (name) }
        @if edits {
            p.actions { a href=(format!("/contacts/{}/edit", c.id.0)) { "Edit details" } }
        }
        p.lede {
            span class=(format!("temp {}", q.temperature.temperature.as_str())) { (q.temperature.temperature.as_str()) }
            " " (c.stage.as_str())
            @if let Some(co) = &c.company { " · " (co) }
            @if let Some(t) = &c.job_title { " · " (t) }
        }
        div.two {
            section aria-labelledby="details-h" {
                h2 #details-h { "Details" }
                dl {
                    dt { "Email" } dd { @for e in &c.emails { (e.as_str()) br; } }
                    dt { "Phone" } dd { @for p in &c.phones { (p.as_str()) br; } }
                    @if let Some(co) = &company {
                        dt { "Company" } dd { a href=(format!("/companies/{}", co.id.0)) { (co.name) } }
                    }
                    dt { "Arrived" } dd { (when(c.created_at)) }
                    dt { "Tags" } dd { (super::tags::chips(&tags)) }
                    @for (k, v) in &c.properties {
                        dt { (super::property_fields::label_of(&defs, k)) } dd { (super::property_fields::display(v)) }
                    }
                }
                @if let Some(v) = &value {
                    h2 { "Value" }
                    dl {
                        dt { "Orders" } dd { (v.orders) @if let Some(s) = &v.spent { " · " (money(v.currency.as_deref().unwrap_or(""), s)) } }
                        @if let (Some(e), Some(a), Some(x)) = (v.expected_purchases, v.probability_alive, &v.expected_value) {
                            dt { "Next 52 weeks" } dd { (format!("{e:.2}")) " purchases expected · " (money(v.currency.as_deref().unwrap_or(""), x)) }
                            dt { "Still a customer" } dd { (format!("{:.0}%", a * 100.0)) " likely" }
                        }
                    }
                    @if let Some(why) = &v.not_enough_data { p.reason { "No prediction: " (why) } }
                }
                @if edits {
                    (super::tags::tag_form(&format!("/contacts/{}/tags", c.id.0), &tags, user.csrf()))
                }
                p { a href=(format!("/contacts/{}/export", c.id.0)) download { "Download everything about this person (JSON)" } }
                p { a href=(format!("/contacts/{}/merge", c.id.0)) { "Merge another record of this person into this one" } }
                @if erases {
                    h2 { "Erase" }
                    (super::confirm::form(&format!("/contacts/{}/erase", c.id.0), user.csrf(), &format!("Erase {name}: everything closer holds about this person is deleted, with no undo"), "Erase person"))
                }
                h2 { "Scores" }
                p { "Fit " strong { (format!("{:.0}", q.fit.score)) } " · engagement " strong { (format!("{:.0}", q.engagement)) } }
                p.reason { (q.temperature.reason) }
                @if let Some(r) = &q.prospect_reason { p.reason { (r) } }
                table {
                    caption { "Why: each rule's points now" }
                    thead { tr { th { "Rule" } th.num { "Points" } } }
                    tbody {
                        @for f in &q.fit.contributions {
                            tr { td { "Fit: " (f.rule) " (" (f.field) " = " (f.value) ")" } td.num { (format!("{:+.1}", f.points)) } }
                        }
                        @for l in &q.engagement_rules {
                            tr { td { "Engagement: " (l.rule) " × " (l.matches) } td.num { (format!("{:+.1}", l.value)) } }
                        }
                    }
                }
            }
            section aria-labelledby="work-h" {
                h2 #work-h { "Deals" }
                @if deals.is_empty() { p.empty { "No deals yet." } }
                ul.deals {
                    @for d in &deals {
                        li {
                            strong { (d.title) } " · " (stage_name(d.stage_id)) " · " (d.status.as_str())
                            " · " (money(d.currency.as_str(), &d.amount.to_string()))
                            @if sells {
                                " · " a href=(format!("/deals/{}/edit", d.id.0)) aria-label=(format!("Edit {}", d.title)) { "Edit" }
                                " · " a href=(format!("/deals/{}/move", d.id.0)) aria-label=(format!("Move {}", d.title)) { "Move" }
                            }
                        }
                    }
                }
                @if sells {
                    form.inline method="post" action=(format!("/contacts/{}/deals", id.0)) {
                        input type="hidden" name="csrf" value=(user.csrf());
                        input type="hidden" name="once" value=(DealId::new().0);
                        label for="deal-title" { "Deal title" }
                        input #deal-title name="title" required maxlength="200";
                        label for="deal-amount" { "Amount" }
                        input #deal-amount name="amount" inputmode="decimal" placeholder="0.00";
                        label for="deal-currency" { "Currency" }
                        input #deal-currency name="currency" value="USD" maxlength="3" size="4";
                        button type="submit" { "Create deal" }
                    }
                }
                h2 { "Tasks" }
                @if tasks.is_empty() { p.empty { "No tasks." } }
                ul.tasks {
                    @for t in &tasks {
                        li {
                            (t.title) " · due " (when(t.due_at)) " · " (t.status.as_str()) " "
                            a href=(format!("/tasks/{}/edit", t.id.0)) aria-label=(format!("Edit: {}", t.title)) { "Edit" } " "
                            @if t.status == closer_domain::pipeline::TaskStatus::Open {
                                form.inline method="post" action=(format!("/tasks/{}/done", t.id.0)) {
                                    input type="hidden" name="csrf" value=(user.csrf());
                                    button type="submit" aria-label=(format!("Done: {}", t.title)) { "Done" }
                                }
                            } @else {
                                form.inline method="post" action=(format!("/tasks/{}/reopen", t.id.0)) {
                                    input type="hidden" name="csrf" value=(user.csrf());
                                    button.secondary type="submit" aria-label=(format!("Reopen: {}", t.title)) { "Reopen" }
                                }
                            }
                        }
                    }
                }
                @if sells {
                    h3 { "Add a follow-up" }
                    form.stacked method="post" action=(format!("/contacts/{}/tasks", id.0)) {
                        input type="hidden" name="csrf" value=(user.csrf());
                        input type="hidden" name="once" value=(closer_domain::pipeline::TaskId::new().0);
                        label for="task-title" { "What to do" }
                        input #task-title name="title" required maxlength="200";
                        label for="task-date" { "Due day" }
                        input #task-date type="date" name="due_date" required;
                        label for="task-time" { "Time (UTC)" }
                        input #task-time type="time" name="due_time" value="09:00";
                        @if user.0.may_assign() {
                            label for="task-assignee" { "Who does it" }
                            select #task-assignee name="assignee" {
                                @for u in &users {
                                    option value=(u.id.0) selected[u.id == user.0.user.id] { (u.name) }
                                }
                            }
                        }
                        button type="submit" { "Add task" }
                    }
                }
                @if sells {
                    h2 { "Log a call or note" }
                    form.stacked method="post" action=(format!("/contacts/{}/activities", id.0)) {
                        input type="hidden" name="csrf" value=(user.csrf());
                        input type="hidden" name="once" value=(ActivityId::new().0);
                        label for="act-kind" { "What" }
                        select #act-kind name="kind" {
                            @for k in ActivityKind::ALL { option value=(k.as_str()) { (k.as_str()) } }
                        }
                        label for="act-outcome" { "Outcome" }
                        input #act-outcome name="outcome" maxlength="200" placeholder="reached, voicemail…";
                        label for="act-text" { "Notes" }
                        textarea #act-text name="text" rows="3" maxlength="5000" {}
                        button type="submit" { "Log it" }
                    }
                }
            }
        }
        section aria-labelledby="timeline-h" {
            h2 #timeline-h { "Timeline" }
            ol.timeline {
                @for e in &events {
                    li {
                        time datetime=(e.occurred_at.get().to_string()) { (when(e.occurred_at)) }
                        " "
                        span class=(format!("kind {}", e.kind.as_str())) { (e.kind.as_str().replace('_', " ")) }
                        " " (summary(e))
                        @if sells && e.kind.as_str() == "activity" {
                            " · " a href=(format!("/activities/{}/edit", e.id.0)) aria-label=(format!("Edit this {}", e.kind.as_str())) { "Edit" }
                        }
                    }
                }
            }
        }
    };
    Ok(page(&user.0, &name, "", false, &content).into_response())
}

async fn log(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    UiForm(f): UiForm<LogForm>,
) -> Result<Response, Failure> {
    user.check_csrf(&f.csrf)?;
    let id = ContactId(super::id(&id)?);
    visible(&state, &user, id).await?;
    let kind = ActivityKind::parse(&f.kind).map_err(closer_app::AppError::from)?;
    let req = ActivityRequest {
        id: Some(ActivityId(super::id(&f.once)?)),
        contact_id: id,
        deal_id: None,
        kind,
        occurred_at: None,
        owner_id: Some(user.0.user.id),
        outcome: nonempty(&f.outcome),
        text: nonempty(&f.text),
    };
    state
        .app
        .sales()
        .log_activity(&user.0.principal(), req)
        .await?;
    Ok(Redirect::to(&format!("/contacts/{}", id.0)).into_response())
}

async fn open_deal(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    UiForm(f): UiForm<DealForm>,
) -> Result<Response, Failure> {
    user.check_csrf(&f.csrf)?;
    let id = ContactId(super::id(&id)?);
    visible(&state, &user, id).await?;
    let title = closer_domain::text::clean("title", &f.title)
        .map_err(closer_app::AppError::from)?
        .ok_or_else(|| closer_app::AppError::invalid("title", "must not be empty"))?;
    let amount = nonempty(&f.amount)
        .map(|a| Amount::parse("amount", &a))
        .transpose()
        .map_err(closer_app::AppError::from)?;
    let currency = nonempty(&f.currency)
        .map(|c| Currency::parse("currency", &c.to_ascii_uppercase()))
        .transpose()
        .map_err(closer_app::AppError::from)?;
    let req = DealRequest {
        id: Some(DealId(super::id(&f.once)?)),
        contact_id: id,
        title,
        amount,
        currency,
        pipeline: None,
        stage: None,
        expected_close: None,
        owner_id: Some(user.0.user.id),
        company: None,
        source: None,
        properties: serde_json::Map::new(),
    };
    state
        .app
        .sales()
        .create_deal(&user.0.principal(), req)
        .await?;
    Ok(Redirect::to(&format!("/contacts/{}", id.0)).into_response())
}

/// An erasure request, carried out: the person is gone, and so is their page.
async fn erase(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    UiForm(f): UiForm<super::confirm::ConfirmForm>,
) -> Result<Response, Failure> {
    user.check_csrf(&f.csrf)?;
    f.check()?;
    let id = ContactId(super::id(&id)?);
    state
        .app
        .contacts()
        .erase_contact(&user.0.principal(), id)
        .await?;
    Ok(Redirect::to("/contacts").into_response())
}
