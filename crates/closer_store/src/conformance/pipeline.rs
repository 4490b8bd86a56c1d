//! Conformance: pipelines and loss reasons, deals through their stages with history, the
//! order a win produces, the board, and concurrent moves of one deal.

use std::sync::Arc;

use closer_domain::pipeline::{
    Amount, Currency, Deal, DealId, DealPatch, DealStatus, Order, OrderId, OrderLine, OrderSource,
    Pipeline, StageKind, default_loss_reasons, default_pipeline, plan_move,
};
use closer_domain::{ContactId, Stage, Timestamp, WorkspaceId};

use super::contacts::{draft, upsert};
use super::workspace;
use crate::{DEAL_CLOSED, DealMove, DealQuery, PIPELINE_NAME, STAGE_HAS_DEALS, Store, StoreError};

pub(super) async fn pipeline(store: &dyn Store, ws: WorkspaceId) -> Pipeline {
    let all = store
        .pipelines(
            ws,
            &default_pipeline(),
            &default_loss_reasons(),
            Timestamp::now(),
        )
        .await
        .unwrap();
    all.into_iter().find(|p| p.is_default).unwrap()
}

pub(super) fn new_deal(p: &Pipeline, contact: ContactId, amount: &str) -> Deal {
    let now = Timestamp::now();
    Deal {
        id: DealId::new(),
        pipeline_id: p.id,
        stage_id: p.first_open().id,
        status: DealStatus::Open,
        contact_id: contact,
        company: Some("Acme".into()),
        company_id: None,
        title: "Website rebuild".into(),
        amount: Amount::parse("amount", amount).unwrap(),
        currency: Currency::USD,
        expected_close: Some(time::macros::date!(2027 - 01 - 31)),
        owner_id: None,
        source: Some("google".into()),
        loss: None,
        closed_at: None,
        created_at: now,
        updated_at: now,
        properties: serde_json::Map::new(),
    }
}

async fn contact(store: &dyn Store, ws: WorkspaceId, mail: &str) -> ContactId {
    store
        .upsert_contact(ws, upsert(draft(mail)))
        .await
        .unwrap()
        .contact
        .id
}

/// Moves `deal` to the stage named `to` as the domain plans it.
pub(super) async fn move_to(
    store: &dyn Store,
    ws: WorkspaceId,
    p: &Pipeline,
    deal: &Deal,
    to: &str,
    reason: Option<&str>,
) -> Deal {
    let stage = p.stage_named(to).unwrap();
    let now = Timestamp::now();
    let plan = plan_move(deal, p, stage, reason, None, &default_loss_reasons(), now).unwrap();
    let order = (stage.kind == StageKind::Won).then(|| Order {
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
        placed_at: now,
        created_at: now,
    });
    let mv = DealMove {
        deal: deal.id,
        plan,
        stage_name: stage.name.clone(),
        actor: "test".into(),
        order,
        amount: None,
    };
    store.move_deal(ws, &mv, now).await.unwrap()
}

pub async fn pipelines_default_once_and_edits_keep_deals(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "pipes").await;
    let first = pipeline(&*store, ws).await;
    let again = pipeline(&*store, ws).await;
    assert_eq!(first, again, "the default pipeline is created once");
    assert_eq!(first.stages.len(), 7);
    assert_eq!(
        store.loss_reasons(ws).await.unwrap(),
        default_loss_reasons()
    );

    // A second pipeline; its name must be new.
    let mut renewals = default_pipeline();
    renewals.name = "Renewals".into();
    for s in &mut renewals.stages {
        s.id = closer_domain::pipeline::PipelineStageId::new();
    }
    let id = closer_domain::pipeline::PipelineId::new();
    store
        .create_pipeline(ws, id, &renewals, Timestamp::now())
        .await
        .unwrap();
    let mut clash = default_pipeline();
    clash.name = "Renewals".into();
    let err = store
        .create_pipeline(
            ws,
            closer_domain::pipeline::PipelineId::new(),
            &clash,
            Timestamp::now(),
        )
        .await
        .unwrap_err();
    assert!(err.is_conflict_on(PIPELINE_NAME), "{err:?}");
    let all = store
        .pipelines(
            ws,
            &default_pipeline(),
            &default_loss_reasons(),
            Timestamp::now(),
        )
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    assert!(all[0].is_default);

    // Dropping a stage that holds a deal is refused and changes nothing.
    let c = contact(&*store, ws, "pipes@example.com").await;
    let deal = new_deal(&first, c, "100");
    store
        .create_deal(ws, &deal, "Qualification", "test")
        .await
        .unwrap();
    let mut edited = first.clone();
    edited.stages.remove(0);
    let draft = closer_domain::pipeline::PipelineDraft {
        name: "Sales".into(),
        stages: edited.stages.clone(),
    };
    let err = store
        .replace_pipeline(ws, first.id, &draft)
        .await
        .unwrap_err();
    assert!(err.is_conflict_on(STAGE_HAS_DEALS), "{err:?}");
    assert_eq!(pipeline(&*store, ws).await, first);
    // Renaming and reordering keeps stage ids; dropping an empty stage works.
    let mut stages = first.stages.clone();
    stages.remove(1);
    stages[0].name = "Discovery".into();
    for (i, s) in stages.iter_mut().enumerate() {
        s.position = u16::try_from(i).unwrap();
    }
    let draft = closer_domain::pipeline::PipelineDraft {
        name: "New business".into(),
        stages,
    };
    store.replace_pipeline(ws, first.id, &draft).await.unwrap();
    let now = pipeline(&*store, ws).await;
    assert_eq!(now.name, "New business");
    assert_eq!(now.stages.len(), 6);
    assert_eq!(now.stages[0].id, first.stages[0].id);
    assert_eq!(now.stages[0].name, "Discovery");

    // Loss reasons are replaced whole.
    let reasons = default_loss_reasons()[..2].to_vec();
    store.put_loss_reasons(ws, &reasons).await.unwrap();
    assert_eq!(store.loss_reasons(ws).await.unwrap(), reasons);

    // Another workspace sees none of it and cannot edit it.
    let other = workspace(&*store, "pipes-other").await;
    let theirs = pipeline(&*store, other).await;
    assert_ne!(theirs.id, first.id);
    assert!(
        store
            .replace_pipeline(other, first.id, &draft)
            .await
            .is_err()
    );
    assert!(store.deal(other, deal.id).await.is_err());
    assert!(store.deal_history(other, deal.id).await.is_err());
}

pub async fn a_deal_goes_from_open_to_won_with_an_order_and_history(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "deals").await;
    let p = pipeline(&*store, ws).await;
    let c = contact(&*store, ws, "buyer@example.com").await;
    let deal = new_deal(&p, c, "1200.50");
    store
        .create_deal(ws, &deal, "Qualification", "user:ada")
        .await
        .unwrap();
    let stored = store.deal(ws, deal.id).await.unwrap();
    assert_eq!(stored.amount, deal.amount);
    assert_eq!(stored.expected_close, deal.expected_close);
    assert_eq!(stored.source.as_deref(), Some("google"));
    assert_eq!(
        store.contact(ws, c).await.unwrap().stage,
        Stage::Opportunity,
        "opening a deal makes the contact an opportunity"
    );

    let demo = move_to(&*store, ws, &p, &stored, "Demo", None).await;
    let lost = move_to(&*store, ws, &p, &demo, "Lost", Some("price")).await;
    assert_eq!(lost.status, DealStatus::Lost);
    assert_eq!(lost.loss.as_ref().unwrap().reason, "price");
    assert!(lost.closed_at.is_some());
    // Closed money needs a reopen.
    let patch = DealPatch {
        amount: Some(Amount::parse("amount", "999").unwrap()),
        ..DealPatch::default()
    };
    let err = store
        .patch_deal(ws, deal.id, &patch, Timestamp::now())
        .await
        .unwrap_err();
    assert!(err.is_conflict_on(DEAL_CLOSED), "{err:?}");
    let reopened = move_to(&*store, ws, &p, &lost, "Negotiation", None).await;
    assert_eq!(
        (reopened.status, reopened.loss.clone(), reopened.closed_at),
        (DealStatus::Open, None, None)
    );
    let patched = store
        .patch_deal(ws, deal.id, &patch, Timestamp::now())
        .await
        .unwrap();
    assert_eq!(patched.amount.to_string(), "999.00");
    // A patch made against the deal as it was before that edit is refused, changing nothing;
    // made against it as it is now, it applies.
    let stale = DealPatch {
        title: Some("Renamed".into()),
        if_unchanged_since: Some(reopened.updated_at),
        ..DealPatch::default()
    };
    let err = store
        .patch_deal(ws, deal.id, &stale, Timestamp::now())
        .await
        .unwrap_err();
    assert!(err.is_conflict_on(crate::DEAL_CHANGED), "{err:?}");
    assert_eq!(store.deal(ws, deal.id).await.unwrap().title, patched.title);
    let fresh = DealPatch {
        if_unchanged_since: Some(store.deal(ws, deal.id).await.unwrap().updated_at),
        ..stale
    };
    let patched = store
        .patch_deal(ws, deal.id, &fresh, Timestamp::now())
        .await
        .unwrap();
    assert_eq!(patched.title, "Renamed");
    let won = move_to(&*store, ws, &p, &patched, "Won", None).await;
    assert_eq!(won.status, DealStatus::Won);
    assert_eq!(store.contact(ws, c).await.unwrap().stage, Stage::Customer);
    let order = store.deal_order(ws, deal.id).await.unwrap().unwrap();
    assert_eq!(order.total.to_string(), "999.00");
    assert_eq!(order.lines.len(), 1);
    // Winning again (after a reopen) keeps one order; leaving won takes it back.
    let back = move_to(&*store, ws, &p, &won, "Closing", None).await;
    assert_eq!(store.deal_order(ws, deal.id).await.unwrap(), None);
    let won = move_to(&*store, ws, &p, &back, "Won", None).await;
    assert!(store.deal_order(ws, deal.id).await.unwrap().is_some());

    let history = store.deal_history(ws, deal.id).await.unwrap();
    let names: Vec<&str> = history.iter().map(|s| s.stage_name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Qualification",
            "Demo",
            "Lost",
            "Negotiation",
            "Won",
            "Closing",
            "Won"
        ]
    );
    assert_eq!(history[0].changed_by, "user:ada");
    for pair in history.windows(2) {
        assert_eq!(pair[0].left_at, Some(pair[1].entered_at), "{history:?}");
    }
    assert_eq!(history.last().unwrap().left_at, None);

    // Lists and the board see open deals only where asked.
    let seller = crate::User {
        id: closer_domain::UserId::new(),
        workspace_id: ws,
        email: closer_domain::Email::parse("seller@example.com").unwrap(),
        name: "Seller".into(),
        role: "rep".into(),
        created_at: Timestamp::now(),
    };
    store.create_user(&seller).await.unwrap();
    let open = Deal {
        owner_id: Some(seller.id),
        ..new_deal(&p, c, "10")
    };
    store
        .create_deal(ws, &open, "Qualification", "test")
        .await
        .unwrap();
    let listed = store
        .list_deals(
            ws,
            &DealQuery {
                contact: Some(c),
                limit: 10,
                ..DealQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|d| d.id).collect::<Vec<_>>(),
        [open.id, won.id]
    );
    let board = store.board(ws, p.id, 10, None).await.unwrap();
    assert_eq!(board.len(), 1);
    assert_eq!(board[0].stage_id, p.first_open().id);
    assert_eq!(board[0].count, 1);
    assert_eq!(board[0].totals, vec![(Currency::USD, open.amount)]);
    assert_eq!(board[0].deals[0].id, open.id);
    // One owner's board: their deals, counted and totalled alone.
    let theirs = store.board(ws, p.id, 10, Some(seller.id)).await.unwrap();
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].count, 1);
    assert_eq!(theirs[0].deals[0].id, open.id);
    let nobody = closer_domain::UserId::new();
    assert!(
        store
            .board(ws, p.id, 10, Some(nobody))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn concurrent_moves_of_a_deal_keep_every_history_row(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "race").await;
    let p = pipeline(&*store, ws).await;
    let c = contact(&*store, ws, "race@example.com").await;
    let deal = new_deal(&p, c, "50");
    store
        .create_deal(ws, &deal, "Qualification", "test")
        .await
        .unwrap();
    let targets = ["Demo", "Proposal", "Negotiation", "Closing"];
    let mut tasks = Vec::new();
    for i in 0..12 {
        let (store, p, deal) = (store.clone(), p.clone(), deal.clone());
        let to = targets[i % targets.len()];
        tasks.push(tokio::spawn(async move {
            move_to(&*store, ws, &p, &deal, to, None).await;
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let history = store.deal_history(ws, deal.id).await.unwrap();
    // Each move planned from the same read: the ones that found the deal already in their
    // target still count, as each was planned as a change.
    assert_eq!(history.len(), 13, "{history:?}");
    assert_eq!(history.iter().filter(|s| s.left_at.is_none()).count(), 1);
    for pair in history.windows(2) {
        assert_eq!(pair[0].left_at, Some(pair[1].entered_at), "{history:?}");
    }
    let last = store.deal(ws, deal.id).await.unwrap();
    assert_eq!(last.stage_id, history.last().unwrap().stage_id);
}

/// Property definitions: one name per kind of record in a workspace, invisible to others;
/// label and options change, the definition goes. Deals keep custom properties, merged key by
/// key on a patch (a null removes its key).
pub async fn properties_are_defined_once_and_deals_keep_theirs(store: Arc<dyn Store>) {
    use closer_domain::property::{PropertyDef, PropertyOf, PropertyType};
    let ws = workspace(&*store, "props").await;
    let other = workspace(&*store, "props-other").await;
    let def = |of, name: &str, kind| PropertyDef {
        id: uuid::Uuid::now_v7(),
        of,
        name: name.into(),
        label: name.to_uppercase(),
        kind,
        options: if kind == PropertyType::Select {
            vec!["Gold".into(), "Silver".into()]
        } else {
            Vec::new()
        },
    };
    let plan = def(PropertyOf::Contacts, "plan", PropertyType::Select);
    store.define_property(ws, &plan).await.unwrap();
    let again = def(PropertyOf::Contacts, "plan", PropertyType::Text);
    let err = store.define_property(ws, &again).await.unwrap_err();
    assert!(err.is_conflict_on(crate::PROPERTY_NAME_TAKEN), "{err:?}");
    let on_deals = def(PropertyOf::Deals, "plan", PropertyType::Number);
    store.define_property(ws, &on_deals).await.unwrap();
    store.define_property(other, &again).await.unwrap();
    assert_eq!(
        store
            .property_defs(ws, Some(PropertyOf::Contacts))
            .await
            .unwrap(),
        vec![plan.clone()]
    );
    assert_eq!(store.property_defs(ws, None).await.unwrap().len(), 2);
    let renamed = PropertyDef {
        label: "Plan bought".into(),
        options: vec!["Gold".into(), "Silver".into(), "Bronze".into()],
        ..plan.clone()
    };
    store.update_property(ws, &renamed).await.unwrap();
    assert!(matches!(
        store.update_property(other, &renamed).await.unwrap_err(),
        StoreError::NotFound
    ));
    assert_eq!(
        store
            .property_defs(ws, Some(PropertyOf::Contacts))
            .await
            .unwrap(),
        vec![renamed]
    );
    assert!(matches!(
        store.delete_property(other, plan.id).await.unwrap_err(),
        StoreError::NotFound
    ));
    store.delete_property(ws, plan.id).await.unwrap();
    assert!(
        store
            .property_defs(ws, Some(PropertyOf::Contacts))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.property_defs(other, None).await.unwrap(), vec![again]);

    // A deal's own properties, merged by a patch.
    let p = pipeline(&*store, ws).await;
    let c = contact(&*store, ws, "props@example.com").await;
    let mut deal = new_deal(&p, c, "100");
    deal.properties = serde_json::json!({"plan": 3, "region": "north"})
        .as_object()
        .cloned()
        .unwrap();
    store
        .create_deal(ws, &deal, &p.first_open().name, "test")
        .await
        .unwrap();
    assert_eq!(
        store.deal(ws, deal.id).await.unwrap().properties,
        deal.properties
    );
    let patch = closer_domain::pipeline::DealPatch {
        properties: serde_json::json!({"region": null, "seats": 40})
            .as_object()
            .cloned(),
        ..closer_domain::pipeline::DealPatch::default()
    };
    let patched = store
        .patch_deal(ws, deal.id, &patch, Timestamp::now())
        .await
        .unwrap();
    assert_eq!(
        serde_json::Value::Object(patched.properties),
        serde_json::json!({"plan": 3, "seats": 40})
    );
}
