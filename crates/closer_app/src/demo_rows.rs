//! The rows `closer demo` bulk-loads for its people: what the row-at-a-time operations
//! (`upsert_contact`, `add_activity`, `move_stages`, `create_deal`, `move_deal`, `add_order`)
//! would have left in the store for each generated person, built in memory with the same
//! domain rules. `demo_stepwise.rs` writes the same history through those operations; a test
//! checks that both give the same reports.

use closer_domain::contact::upsert::stage_event;
use closer_domain::demo::Person;
use closer_domain::pipeline::{
    Activity, ActivityId, ActivityKind, Amount, Currency, Deal, DealId, DealStatus, LossReason,
    Order, OrderId, OrderLine, OrderSource, Pipeline, PipelineStage, plan_move,
};
use closer_domain::{
    Contact, ContactDraft, ContactId, ContactPatch, Stage, Timestamp, UserId, WorkspaceId,
};
use closer_store::{DealStageRow, PeopleLoad, StageRow};

use crate::AppError;
use crate::demo::{ACTOR, DemoSummary, FORM_ACTOR, RULE_ACTOR, form_event, lead_draft, visitor};

/// The fill's fixed context.
pub(crate) struct Context<'a> {
    pub ws: WorkspaceId,
    pub reps: &'a [UserId],
    pub pipelines: &'a [(Pipeline, Vec<PipelineStage>)],
    pub reasons: &'a [LossReason],
}

/// Adds person `i`'s rows (a lead, since `lead_at`) to `load`.
pub(crate) fn add_person(
    load: &mut PeopleLoad,
    cx: &Context<'_>,
    i: usize,
    p: &Person,
    lead_at: Timestamp,
    summary: &mut DemoSummary,
) -> Result<(), AppError> {
    let owner = cx.reps.get(i % cx.reps.len().max(1)).copied();
    let draft: ContactDraft = lead_draft(i, owner)?;
    let mut contact = Contact::from_draft(ContactId::new(), cx.ws, draft, lead_at);
    let id = contact.id;
    // `upsert_contact`: the lead's stage row and its event, the form's event, the link.
    let form = form_event(lead_at);
    let mut history = vec![StageRow {
        contact: id,
        stage: Stage::Lead,
        entered_at: lead_at,
        left_at: None,
        changed_by: FORM_ACTOR.into(),
    }];
    load.events.push((id, form));
    load.events
        .push((id, stage_event(None, Stage::Lead, FORM_ACTOR, lead_at)));
    load.links.push((visitor(i)?, id, lead_at));
    summary.leads += 1;
    if let Some(at) = p.first_touch {
        load.activities.push(Activity {
            id: ActivityId::new(),
            contact_id: id,
            deal_id: None,
            kind: ActivityKind::Call,
            occurred_at: at,
            owner_id: owner,
            outcome: Some("reached".into()),
            text: None,
            created_at: at,
        });
    }
    let finish = |load: &mut PeopleLoad, contact: Contact, history: Vec<StageRow>| {
        load.contacts.push(contact);
        load.stages.extend(history);
    };
    let Some(prospect_at) = p.prospect_at else {
        load.activities
            .extend(crate::demo::logged_activities(p, id, None, owner));
        finish(load, contact, history);
        return Ok(());
    };
    // `move_stages` (a rule's move): the contact's update time never goes back.
    let at = move_contact(
        &mut history,
        load,
        id,
        Stage::Prospect,
        RULE_ACTOR,
        prospect_at,
    );
    contact.stage = Stage::Prospect;
    contact.updated_at = contact.updated_at.max(at);
    let Some(d) = &p.deal else {
        load.activities
            .extend(crate::demo::logged_activities(p, id, None, owner));
        finish(load, contact, history);
        return Ok(());
    };
    let (pipeline, open) = &cx.pipelines[d.pipeline];
    // `create_deal`: the contact becomes an opportunity, the deal opens in the first stage.
    advance(
        &mut contact,
        &mut history,
        load,
        Stage::Opportunity,
        d.created_at,
    );
    let first = &open[0];
    let mut deal = demo_deal(pipeline, first, &contact, i, p, d, owner);
    load.activities.extend(crate::demo::logged_activities(
        p,
        id,
        Some((&deal, d)),
        owner,
    ));
    summary.deals += 1;
    let mut spans = vec![DealStageRow {
        deal: deal.id,
        stage_id: first.id,
        stage_name: first.name.clone(),
        entered_at: d.created_at,
        left_at: None,
        changed_by: ACTOR.into(),
    }];
    // `move_deal`, stage by stage.
    for (stage, t, reason) in crate::demo::deal_steps(pipeline, open, d) {
        let objection = reason.and_then(crate::demo::objection);
        let plan = plan_move(&deal, pipeline, stage, reason, objection, cx.reasons, t)
            .map_err(|e| AppError::Internal(format!("demo move: {e}")))?;
        if plan.unchanged {
            continue;
        }
        let open = spans.last_mut().expect("a deal has an open span");
        let at = open.entered_at.max(t);
        open.left_at = Some(at);
        spans.push(DealStageRow {
            deal: deal.id,
            stage_id: plan.to,
            stage_name: stage.name.clone(),
            entered_at: at,
            left_at: None,
            changed_by: ACTOR.into(),
        });
        deal.stage_id = plan.to;
        deal.status = plan.status;
        deal.loss = plan.loss;
        deal.closed_at = plan.closed_at;
        deal.updated_at = t;
        if plan.status == DealStatus::Won {
            advance(&mut contact, &mut history, load, Stage::Customer, t);
            load.orders.push(deal_order(&deal, t));
        }
    }
    summary.deal_ended(deal.status);
    // `add_order`: the contact is a customer already.
    for (t, value) in &p.repeat_orders {
        load.orders.push(repeat_order(id, *t, *value));
        summary.orders += 1;
    }
    load.deals.push(deal);
    load.deal_stages.extend(spans);
    finish(load, contact, history);
    Ok(())
}

/// Closes the open stage row (never before it opened) and opens `to`; the new row's start.
fn move_contact(
    history: &mut Vec<StageRow>,
    load: &mut PeopleLoad,
    id: ContactId,
    to: Stage,
    actor: &str,
    now: Timestamp,
) -> Timestamp {
    let open = history.last_mut().expect("a contact has an open stage row");
    let from = open.stage;
    let at = open.entered_at.max(now);
    open.left_at = Some(at);
    history.push(StageRow {
        contact: id,
        stage: to,
        entered_at: at,
        left_at: None,
        changed_by: actor.into(),
    });
    load.events
        .push((id, stage_event(Some(from), to, actor, at)));
    at
}

/// `advance_contact`: an edit of the stage (by the deal's actor) when the contact is behind.
fn advance(
    contact: &mut Contact,
    history: &mut Vec<StageRow>,
    load: &mut PeopleLoad,
    to: Stage,
    now: Timestamp,
) {
    let behind = match to {
        Stage::Opportunity => matches!(
            contact.stage,
            Stage::Lead | Stage::Prospect | Stage::Disqualified
        ),
        Stage::Customer => contact.stage != Stage::Customer,
        _ => false,
    };
    if !behind {
        return;
    }
    let patch = ContactPatch {
        stage: Some(to),
        ..ContactPatch::default()
    };
    if contact.apply(&patch, now).stage_change.is_some() {
        move_contact(history, load, contact.id, to, ACTOR, now);
    }
}

/// Person `i`'s deal as it opens, in the pipeline's first open stage.
pub(crate) fn demo_deal(
    pipeline: &Pipeline,
    first: &PipelineStage,
    contact: &Contact,
    i: usize,
    p: &Person,
    d: &closer_domain::demo::DemoDeal,
    owner: Option<UserId>,
) -> Deal {
    Deal {
        id: DealId::new(),
        pipeline_id: pipeline.id,
        stage_id: first.id,
        status: DealStatus::Open,
        contact_id: contact.id,
        company: contact.company.clone(),
        company_id: None,
        title: deal_title(i, d),
        amount: demo_amount(d.amount),
        currency: Currency::USD,
        expected_close: None,
        owner_id: owner,
        source: Some(p.channel.as_str().to_owned()),
        loss: None,
        closed_at: None,
        created_at: d.created_at,
        updated_at: d.created_at,
        properties: serde_json::Map::new(),
    }
}

/// `Acme Inc: 20 seats`, or a partnership with the company.
fn deal_title(i: usize, d: &closer_domain::demo::DemoDeal) -> String {
    let company = &closer_domain::demo::names::company(i).name;
    if d.pipeline == 0 {
        // Seats at 120 a year.
        format!("{company}: {} seats", (d.amount / 120).max(1))
    } else {
        format!("{company} reseller agreement")
    }
}

/// A deal's amount as the demo stores it (whole units).
pub(crate) fn demo_amount(units: u64) -> Amount {
    Amount::from_units(i64::try_from(units).unwrap_or(1) * 10_000).unwrap_or(Amount::ZERO)
}

/// The order a won deal brings.
pub(crate) fn deal_order(deal: &Deal, t: Timestamp) -> Order {
    Order {
        id: OrderId::new(),
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
        placed_at: t,
        created_at: t,
    }
}

/// A customer's later order.
pub(crate) fn repeat_order(contact: ContactId, t: Timestamp, value: u64) -> Order {
    let amount = demo_amount(value);
    Order {
        id: OrderId::new(),
        contact_id: contact,
        deal_id: None,
        currency: Currency::USD,
        lines: vec![OrderLine {
            product: "Repeat order".into(),
            quantity: 1,
            unit_price: amount,
        }],
        total: amount,
        source: OrderSource::Api,
        placed_at: t,
        created_at: t,
    }
}
