//! Conformance: activities (the first touch, the first-contact task it completes), tasks and
//! their lists, direct orders.

use std::sync::Arc;
use std::time::Duration;

use closer_domain::pipeline::{
    Activity, ActivityId, ActivityKind, Amount, Currency, Order, OrderId, OrderLine, OrderSource,
    Task, TaskId, TaskKind, TaskStatus,
};
use closer_domain::{ContactId, Stage, Timestamp, UserId};

use super::contacts::{draft, upsert};
use super::workspace;
use crate::{Store, StoreError, TaskPatch, TaskQuery};

fn at(minutes_ago: u64) -> Timestamp {
    Timestamp::new(Timestamp::now().get() - Duration::from_secs(minutes_ago * 60))
}

fn activity(contact: ContactId, kind: ActivityKind, when: Timestamp) -> Activity {
    Activity {
        id: ActivityId::new(),
        contact_id: contact,
        deal_id: None,
        kind,
        occurred_at: when,
        owner_id: None,
        outcome: Some("reached".into()),
        text: Some("Talked budget.\nCall back Tuesday.".into()),
        created_at: Timestamp::now(),
    }
}

pub(super) fn task(contact: Option<ContactId>, kind: TaskKind, due: Timestamp) -> Task {
    Task {
        id: TaskId::new(),
        kind,
        title: "Call back".into(),
        text: None,
        contact_id: contact,
        deal_id: None,
        assignee_id: None,
        due_at: due,
        status: TaskStatus::Open,
        done_at: None,
        created_at: Timestamp::now(),
    }
}

pub async fn activities_tasks_and_orders_round_trip(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "work").await;
    let other = workspace(&*store, "work-other").await;
    let c = store
        .upsert_contact(ws, upsert(draft("worked@example.com")))
        .await
        .unwrap()
        .contact
        .id;

    // The first-contact task a new lead gets, due already.
    let first = task(Some(c), TaskKind::FirstContact, at(5));
    store.add_task(ws, &first, &[]).await.unwrap();
    let follow = task(Some(c), TaskKind::FollowUp, at(0));
    store.add_task(ws, &follow, &[]).await.unwrap();
    let overdue = store
        .list_tasks(
            ws,
            &TaskQuery {
                status: Some(TaskStatus::Open),
                due_before: Some(Timestamp::now()),
                limit: 10,
                ..TaskQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        overdue.iter().map(|t| t.id).collect::<Vec<_>>(),
        [first.id, follow.id],
        "soonest due first"
    );

    // Open first-contact tasks per assignee: how hot leads are balanced.
    let rep = crate::User {
        id: UserId::new(),
        workspace_id: ws,
        email: closer_domain::Email::parse("loaded@example.com").unwrap(),
        name: "Loaded".into(),
        role: "rep".into(),
        created_at: Timestamp::now(),
    };
    store.create_user(&rep).await.unwrap();
    let mut assigned = task(None, TaskKind::FirstContact, at(0));
    assigned.assignee_id = Some(rep.id);
    store.add_task(ws, &assigned, &[]).await.unwrap();
    let mut followup = task(None, TaskKind::FollowUp, at(0));
    followup.assignee_id = Some(rep.id);
    store.add_task(ws, &followup, &[]).await.unwrap();
    assert_eq!(
        store.first_contact_load(ws).await.unwrap(),
        vec![(rep.id, 1)]
    );
    assert!(store.first_contact_load(other).await.unwrap().is_empty());
    store
        .patch_task(
            ws,
            assigned.id,
            &TaskPatch {
                status: Some(TaskStatus::Cancelled),
                ..TaskPatch::default()
            },
            Timestamp::now(),
        )
        .await
        .unwrap();
    store
        .patch_task(
            ws,
            followup.id,
            &TaskPatch {
                status: Some(TaskStatus::Done),
                ..TaskPatch::default()
            },
            Timestamp::now(),
        )
        .await
        .unwrap();
    assert!(store.first_contact_load(ws).await.unwrap().is_empty());

    // A note is no touch; a call is, and completes the first-contact task.
    store
        .add_activity(ws, &activity(c, ActivityKind::Note, at(3)), &[])
        .await
        .unwrap();
    assert_eq!(store.first_touch(ws, c).await.unwrap(), None);
    assert_eq!(
        store.task(ws, first.id).await.unwrap().status,
        TaskStatus::Open
    );
    let call = activity(c, ActivityKind::Call, at(2));
    store.add_activity(ws, &call, &[]).await.unwrap();
    assert_eq!(
        store.first_touch(ws, c).await.unwrap(),
        Some(call.occurred_at)
    );
    let done = store.task(ws, first.id).await.unwrap();
    assert_eq!(done.status, TaskStatus::Done);
    assert!(done.done_at.is_some());
    assert_eq!(
        store.task(ws, follow.id).await.unwrap().status,
        TaskStatus::Open
    );
    // An earlier touch logged late becomes the first.
    let email = activity(c, ActivityKind::Email, at(4));
    store.add_activity(ws, &email, &[]).await.unwrap();
    assert_eq!(
        store.first_touch(ws, c).await.unwrap(),
        Some(email.occurred_at)
    );
    // In bulk: the first touch and the latest (the note is neither).
    assert_eq!(
        store.touches(ws, &[c, ContactId::new()]).await.unwrap(),
        vec![crate::Touches {
            contact: c,
            first_touch_at: Some(email.occurred_at),
            last_touch_at: Some(call.occurred_at),
            last_human_move_at: None,
        }]
    );
    assert!(store.touches(other, &[c]).await.unwrap().is_empty());
    // A stage move by a person (a token or a web user) counts; a rule's does not.
    for (to, actor, human) in [
        (Stage::Prospect, "rule:demo request", false),
        (Stage::Lead, "user:olga", true),
    ] {
        let from = store.contact(ws, c).await.unwrap().stage;
        let mv = crate::StageMove {
            contact: c,
            from,
            to,
            actor: actor.into(),
        };
        store.move_stages(ws, &[mv], at(0)).await.unwrap();
        let moved = store.touches(ws, &[c]).await.unwrap()[0].last_human_move_at;
        assert_eq!(moved.is_some(), human, "{actor}");
    }
    let listed = store.activities(ws, c, 10).await.unwrap();
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0], call, "newest first");
    assert_eq!(
        listed[0].text.as_deref(),
        Some("Talked budget.\nCall back Tuesday.")
    );

    // Tasks are edited; an assignee must be a user of the workspace.
    let patched = store
        .patch_task(
            ws,
            follow.id,
            &TaskPatch {
                status: Some(TaskStatus::Done),
                ..TaskPatch::default()
            },
            Timestamp::now(),
        )
        .await
        .unwrap();
    assert!(patched.done_at.is_some());
    let mut stray = task(Some(c), TaskKind::FollowUp, at(0));
    stray.assignee_id = Some(UserId::new());
    let err = store.add_task(ws, &stray, &[]).await.unwrap_err();
    assert!(err.is_conflict_on("tasks_assignee_fk"), "{err:?}");
    assert!(
        store
            .list_tasks(
                ws,
                &TaskQuery {
                    limit: 10,
                    ..TaskQuery::default()
                }
            )
            .await
            .unwrap()
            .iter()
            .all(|t| t.id != stray.id)
    );

    // Tenancy: another workspace can neither log on the contact nor see its work.
    let err = store
        .add_activity(other, &activity(c, ActivityKind::Call, at(1)), &[])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    assert!(store.activities(other, c, 10).await.unwrap().is_empty());
    assert!(matches!(
        store.task(other, first.id).await.unwrap_err(),
        StoreError::NotFound
    ));
    assert!(matches!(
        store
            .add_task(other, &task(Some(c), TaskKind::FollowUp, at(0)), &[])
            .await
            .unwrap_err(),
        StoreError::NotFound
    ));

    // An order placed directly makes a customer; orders list newest first.
    let now = Timestamp::now();
    let placed_order = |placed: Timestamp, price: &str| Order {
        id: OrderId::new(),
        contact_id: c,
        deal_id: None,
        currency: Currency::USD,
        lines: vec![OrderLine {
            product: "Refill".into(),
            quantity: 2,
            unit_price: Amount::parse("unit_price", price).unwrap(),
        }],
        total: Amount::parse("total", price).unwrap().times(2).unwrap(),
        source: OrderSource::Api,
        placed_at: placed,
        created_at: now,
    };
    let older = placed_order(at(60), "10");
    let newer = placed_order(at(1), "12.5");
    store.add_order(ws, &older, "test").await.unwrap();
    store.add_order(ws, &newer, "test").await.unwrap();
    assert_eq!(store.contact(ws, c).await.unwrap().stage, Stage::Customer);
    let orders = store.orders(ws, Some(c), 10).await.unwrap();
    assert_eq!(orders, vec![newer.clone(), older]);
    assert_eq!(
        store.orders(ws, None, 1).await.unwrap(),
        vec![newer.clone()]
    );
    // A batch of orders: those stored already are left alone; a batch naming another
    // workspace's contact writes nothing.
    let batch = [placed_order(at(30), "3"), placed_order(at(20), "4")];
    assert_eq!(store.add_orders(ws, &batch, "test").await.unwrap(), 2);
    assert_eq!(store.orders(ws, Some(c), 10).await.unwrap().len(), 4);
    let again = [placed_order(at(10), "5"), batch[1].clone()];
    assert_eq!(store.add_orders(ws, &again, "test").await.unwrap(), 1);
    assert_eq!(store.orders(ws, Some(c), 10).await.unwrap().len(), 5);
    let theirs = store
        .upsert_contact(other, upsert(draft("theirs@example.com")))
        .await
        .unwrap()
        .contact
        .id;
    let mixed = [
        placed_order(at(5), "6"),
        Order {
            contact_id: theirs,
            ..placed_order(at(4), "7")
        },
    ];
    assert!(matches!(
        store.add_orders(ws, &mixed, "test").await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.orders(ws, Some(c), 10).await.unwrap().len(),
        5,
        "nothing of a refused batch"
    );
    assert!(store.orders(other, None, 10).await.unwrap().is_empty());
    // A batch's buyer who was not a customer yet becomes one, once, with the batch.
    let lead = store
        .upsert_contact(ws, upsert(draft("batch-lead@example.com")))
        .await
        .unwrap()
        .contact
        .id;
    let theirs_first = [
        Order {
            contact_id: lead,
            ..placed_order(at(3), "8")
        },
        Order {
            contact_id: lead,
            ..placed_order(at(2), "9")
        },
    ];
    assert_eq!(
        store.add_orders(ws, &theirs_first, "test").await.unwrap(),
        2
    );
    assert_eq!(
        store.contact(ws, lead).await.unwrap().stage,
        Stage::Customer
    );
    assert_eq!(store.orders(ws, Some(lead), 10).await.unwrap().len(), 2);
    assert_eq!(
        store.orders(ws, Some(lead), 10).await.unwrap()[0].lines,
        theirs_first[1].lines,
        "the lines with their order (the newest first)"
    );
    let err = store
        .add_order(other, &placed_order(at(0), "1"), "test")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
}

/// Corrections: an activity's kind and time change the contact's first touch; activities,
/// tasks and deals are deleted whole, only in their own workspace, with what hangs on them
/// (a deal's tasks go, its activities and order stay); a stage moved with a reason keeps it.
pub async fn corrections_and_deletions_keep_what_follows(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "edits").await;
    let other = workspace(&*store, "edits-other").await;
    let c = store
        .upsert_contact(ws, upsert(draft("corrected@example.com")))
        .await
        .unwrap()
        .contact
        .id;
    let call = activity(c, ActivityKind::Call, at(10));
    let email = activity(c, ActivityKind::Email, at(5));
    store.add_activity(ws, &call, &[]).await.unwrap();
    store.add_activity(ws, &email, &[]).await.unwrap();
    assert_eq!(
        store.first_touch(ws, c).await.unwrap(),
        Some(call.occurred_at)
    );
    assert_eq!(store.activity(ws, call.id).await.unwrap(), call);

    // The call was really later: the email is the first touch now.
    let later = Activity {
        occurred_at: at(2),
        outcome: None,
        text: Some("Left a voicemail".into()),
        ..call.clone()
    };
    store.edit_activity(ws, &later).await.unwrap();
    assert_eq!(store.activity(ws, call.id).await.unwrap(), later);
    assert_eq!(
        store.first_touch(ws, c).await.unwrap(),
        Some(email.occurred_at)
    );
    // The email was a note to self: no touch, so the call is the first.
    let note = Activity {
        kind: ActivityKind::Note,
        ..email.clone()
    };
    store.edit_activity(ws, &note).await.unwrap();
    assert_eq!(
        store.first_touch(ws, c).await.unwrap(),
        Some(later.occurred_at)
    );
    // Another workspace can neither read, correct nor delete it.
    assert!(matches!(
        store.activity(other, call.id).await.unwrap_err(),
        StoreError::NotFound
    ));
    assert!(matches!(
        store.edit_activity(other, &call).await.unwrap_err(),
        StoreError::NotFound
    ));
    assert!(matches!(
        store.delete_activity(other, call.id).await.unwrap_err(),
        StoreError::NotFound
    ));
    assert_eq!(store.activity(ws, call.id).await.unwrap(), later);
    // Deleted, the call leaves no touch (the note is none).
    store.delete_activity(ws, call.id).await.unwrap();
    assert_eq!(store.first_touch(ws, c).await.unwrap(), None);
    assert!(matches!(
        store.activity(ws, call.id).await.unwrap_err(),
        StoreError::NotFound
    ));
    assert!(matches!(
        store.delete_activity(ws, call.id).await.unwrap_err(),
        StoreError::NotFound
    ));
    assert_eq!(store.activities(ws, c, 10).await.unwrap(), vec![note]);

    // A task's title and text are corrected; its text cleared; deleted, it is gone.
    let mut t = task(Some(c), TaskKind::FollowUp, at(0));
    t.text = Some("Ask about budget".into());
    store.add_task(ws, &t, &[]).await.unwrap();
    let renamed = store
        .patch_task(
            ws,
            t.id,
            &TaskPatch {
                title: Some("Send the quote".into()),
                text: Some(None),
                ..TaskPatch::default()
            },
            Timestamp::now(),
        )
        .await
        .unwrap();
    assert_eq!(
        (renamed.title.as_str(), renamed.text),
        ("Send the quote", None)
    );
    assert_eq!(
        renamed.due_at, t.due_at,
        "what the patch does not name stays"
    );
    assert!(matches!(
        store
            .patch_task(other, t.id, &TaskPatch::default(), Timestamp::now())
            .await
            .unwrap_err(),
        StoreError::NotFound
    ));
    assert!(matches!(
        store.delete_task(other, t.id).await.unwrap_err(),
        StoreError::NotFound
    ));
    store.delete_task(ws, t.id).await.unwrap();
    assert!(matches!(
        store.task(ws, t.id).await.unwrap_err(),
        StoreError::NotFound
    ));

    // A won deal deleted: its tasks go; its activity and its order stay, unlinked.
    let p = super::pipeline::pipeline(&*store, ws).await;
    let deal = super::pipeline::new_deal(&p, c, "900");
    store
        .create_deal(ws, &deal, &p.first_open().name, "test")
        .await
        .unwrap();
    let on_deal = Activity {
        deal_id: Some(deal.id),
        ..activity(c, ActivityKind::Demo, at(1))
    };
    store.add_activity(ws, &on_deal, &[]).await.unwrap();
    let mut deal_task = task(Some(c), TaskKind::FollowUp, at(0));
    deal_task.deal_id = Some(deal.id);
    store.add_task(ws, &deal_task, &[]).await.unwrap();
    super::pipeline::move_to(&*store, ws, &p, &deal, "Won", None).await;
    assert!(matches!(
        store.delete_deal(other, deal.id).await.unwrap_err(),
        StoreError::NotFound
    ));
    store.delete_deal(ws, deal.id).await.unwrap();
    assert!(matches!(
        store.deal(ws, deal.id).await.unwrap_err(),
        StoreError::NotFound
    ));
    assert!(matches!(
        store.task(ws, deal_task.id).await.unwrap_err(),
        StoreError::NotFound
    ));
    assert_eq!(store.activity(ws, on_deal.id).await.unwrap().deal_id, None);
    let orders = store.orders(ws, Some(c), 10).await.unwrap();
    assert_eq!(orders.len(), 1, "the money came in: the order stays");
    assert_eq!(orders[0].deal_id, None);
    assert!(matches!(
        store.delete_deal(ws, deal.id).await.unwrap_err(),
        StoreError::NotFound
    ));

    // A stage moved with a reason keeps it in the history.
    let patch = closer_domain::ContactPatch {
        stage: Some(Stage::Disqualified),
        stage_reason: Some("Bought elsewhere".into()),
        ..closer_domain::ContactPatch::default()
    };
    store
        .patch_contact(ws, c, &patch, "user:test", Timestamp::now())
        .await
        .unwrap();
    let history = store.stage_history(ws, c).await.unwrap();
    let last = history.last().unwrap();
    assert_eq!(last.stage, Stage::Disqualified);
    assert_eq!(last.reason.as_deref(), Some("Bought elsewhere"));
    assert!(
        history[..history.len() - 1]
            .iter()
            .all(|s| s.reason.is_none())
    );
}
