//! Conformance: notifications and the outbox. A write's notices are written with it or not at
//! all; a user reads, counts and marks their own only; delivery choices round-trip; outbox
//! rows are claimed by one worker at a time, retried when due, done or given up for good, and
//! purged; what was said about a person follows a merge and goes with an erasure.

use std::sync::Arc;
use std::time::Duration;

use closer_domain::contact::merge::plan_merge;
use closer_domain::notify::{Delivery, Notice, NoticeKind};
use closer_domain::pipeline::{
    Activity, ActivityId, ActivityKind, Task, TaskId, TaskKind, TaskStatus,
};
use closer_domain::{ContactId, Timestamp, UserId, WorkspaceId};

use super::contacts::{draft, email, upsert};
use super::workspace;
use crate::{ContactMerge, Store, StoreError, User};

fn notice(ws: WorkspaceId, user: UserId, contact: Option<ContactId>, to: Option<&str>) -> Notice {
    Notice {
        id: uuid::Uuid::now_v7(),
        workspace_id: ws,
        user_id: user,
        contact_id: contact,
        kind: NoticeKind::Mention,
        title: "Ada mentioned you on Grace".into(),
        link: "/contacts/x".into(),
        created_at: Timestamp::now(),
        in_app: true,
        email_to: to.map(Into::into),
        lines: Vec::new(),
    }
}

/// A rep of `ws` with this email.
pub(super) async fn user(store: &dyn Store, ws: WorkspaceId, mail: &str) -> UserId {
    let u = User {
        id: UserId::new(),
        workspace_id: ws,
        email: email(mail),
        name: mail.into(),
        role: "rep".into(),
        created_at: Timestamp::now(),
    };
    store.create_user(&u).await.unwrap();
    u.id
}

fn later(t: Timestamp, secs: u64) -> Timestamp {
    Timestamp::new(t.get() + Duration::from_secs(secs))
}

#[allow(clippy::too_many_lines)]
pub async fn notices_ride_with_their_write_and_the_outbox_is_claimed_once(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "notify").await;
    let other = workspace(&*store, "notify-other").await;
    let rita = user(&*store, ws, "rita@notify.example").await;
    let carl = user(&*store, ws, "carl@notify.example").await;
    let outsider = user(&*store, other, "olga@notify.example").await;
    let grace = store
        .upsert_contact(ws, upsert(draft("grace@navy.example")))
        .await
        .unwrap()
        .contact;
    let now = Timestamp::now();
    let note = Activity {
        id: ActivityId::new(),
        contact_id: grace.id,
        deal_id: None,
        kind: ActivityKind::Note,
        occurred_at: now,
        owner_id: None,
        outcome: None,
        text: Some("@rita call her".into()),
        created_at: now,
    };
    let told = notice(ws, rita, Some(grace.id), Some("rita@notify.example"));
    store
        .add_activity(ws, &note, std::slice::from_ref(&told))
        .await
        .unwrap();
    let listed = store.notifications(ws, rita, false, 10).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, told.id);
    assert_eq!(listed[0].title, told.title);
    assert_eq!(listed[0].read_at, None);
    assert_eq!(store.unread_count(ws, rita).await.unwrap(), 1);
    assert_eq!(
        store.notification(ws, rita, told.id).await.unwrap(),
        listed[0]
    );
    let err = store.notification(ws, carl, told.id).await.unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound),
        "another user's: {err:?}"
    );
    assert_eq!(store.unread_count(ws, carl).await.unwrap(), 0);
    assert!(
        store
            .notifications(other, rita, false, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // A write that fails writes none of its notices.
    let stray = Task {
        id: TaskId::new(),
        kind: TaskKind::FollowUp,
        title: "for nobody".into(),
        text: None,
        contact_id: Some(grace.id),
        deal_id: None,
        assignee_id: Some(outsider),
        due_at: now,
        status: TaskStatus::Open,
        done_at: None,
        created_at: now,
    };
    let lost = notice(ws, carl, Some(grace.id), Some("carl@notify.example"));
    assert!(store.add_task(ws, &stray, &[lost]).await.is_err());
    assert_eq!(store.unread_count(ws, carl).await.unwrap(), 0);

    // Read marks: one's own only; marking again keeps the first time.
    let err = store
        .mark_read(ws, carl, Some(told.id), now)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    store.mark_read(ws, rita, Some(told.id), now).await.unwrap();
    store
        .mark_read(ws, rita, Some(told.id), later(now, 60))
        .await
        .unwrap();
    let listed = store.notifications(ws, rita, false, 10).await.unwrap();
    assert_eq!(listed[0].read_at, Some(now));
    assert!(
        store
            .notifications(ws, rita, true, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let err = store
        .mark_read(ws, rita, Some(uuid::Uuid::now_v7()), now)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound));

    // Delivery choices.
    assert!(store.delivery_choices(ws, rita).await.unwrap().is_empty());
    store
        .set_delivery(ws, rita, NoticeKind::HotLead, Delivery::Email)
        .await
        .unwrap();
    store
        .set_delivery(ws, rita, NoticeKind::HotLead, Delivery::None)
        .await
        .unwrap();
    assert_eq!(
        store.delivery_choices(ws, rita).await.unwrap(),
        [(NoticeKind::HotLead, Delivery::None)]
    );
    let err = store
        .set_delivery(ws, outsider, NoticeKind::HotLead, Delivery::None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound),
        "another workspace's user"
    );

    // The outbox: the e-mail rode with the note; one claim holds it until its lease ends.
    let lease = Duration::from_mins(2);
    let claimed = store.claim_outbox(later(now, 1), lease, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].id, told.id);
    assert_eq!(claimed[0].kind, "email");
    assert_eq!(claimed[0].payload["to"], "rita@notify.example");
    assert_eq!(claimed[0].attempts, 0);
    assert!(
        store
            .claim_outbox(later(now, 2), lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // A worker that stopped: the claim expires, and the row is tried again.
    let again = store
        .claim_outbox(later(now, 200), lease, 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 1);
    store
        .outbox_failed(
            told.id,
            "421 try later",
            Some(later(now, 600)),
            later(now, 201),
        )
        .await
        .unwrap();
    assert!(
        store
            .claim_outbox(later(now, 300), lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let retried = store
        .claim_outbox(later(now, 601), lease, 10)
        .await
        .unwrap();
    assert_eq!(retried.len(), 1);
    store.outbox_done(told.id, later(now, 602)).await.unwrap();
    assert!(
        store
            .claim_outbox(later(now, 9999), lease, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Concurrent workers share the rows, never hold one together.
    let mut ids = Vec::new();
    for _ in 0..6 {
        let n = notice(ws, carl, None, Some("carl@notify.example"));
        ids.push(n.id);
        let note = Activity {
            id: ActivityId::new(),
            ..note.clone()
        };
        store.add_activity(ws, &note, &[n]).await.unwrap();
    }
    let at = later(Timestamp::now(), 1);
    let (a, b) = tokio::join!(
        store.claim_outbox(at, lease, 4),
        store.claim_outbox(at, lease, 4)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut got: Vec<uuid::Uuid> = a.iter().chain(&b).map(|i| i.id).collect();
    got.sort();
    let before = got.len();
    got.dedup();
    assert_eq!(got.len(), before, "a row held by two workers");
    assert!(a.len() + b.len() >= 4, "{} + {}", a.len(), b.len());
    // Given up for good: never claimed again; purged later with the sent ones.
    for item in a.iter().chain(&b) {
        store
            .outbox_failed(item.id, "550 no such user", None, at)
            .await
            .unwrap();
    }
    let rest = store.claim_outbox(later(at, 1), lease, 10).await.unwrap();
    assert_eq!(rest.len() + a.len() + b.len(), 6);
    for item in &rest {
        store.outbox_done(item.id, at).await.unwrap();
    }
    assert_eq!(store.purge_outbox(later(at, 10)).await.unwrap(), 6);
    assert!(
        store
            .claim_outbox(later(at, 99_999), lease, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Erasing the person erases what was said about them.
    store
        .add_activity(
            ws,
            &Activity {
                id: ActivityId::new(),
                ..note.clone()
            },
            &[notice(
                ws,
                carl,
                Some(grace.id),
                Some("carl@notify.example"),
            )],
        )
        .await
        .unwrap();
    let count = |store: Arc<dyn Store>| async move {
        store
            .notifications(ws, carl, false, 50)
            .await
            .unwrap()
            .len()
    };
    assert_eq!(count(store.clone()).await, 7);
    // What was said about a record merged away follows the person to the kept one.
    let ada = store
        .upsert_contact(ws, upsert(draft("ada@navy.example")))
        .await
        .unwrap()
        .contact;
    let about_ada = Activity {
        id: ActivityId::new(),
        contact_id: ada.id,
        ..note.clone()
    };
    store
        .add_activity(
            ws,
            &about_ada,
            &[notice(ws, carl, Some(ada.id), Some("carl@notify.example"))],
        )
        .await
        .unwrap();
    assert_eq!(count(store.clone()).await, 8);
    let keep = store.contact(ws, grace.id).await.unwrap();
    let gone = store.contact(ws, ada.id).await.unwrap();
    let plan = plan_merge(&keep, std::slice::from_ref(&gone)).unwrap();
    let at = Timestamp::now();
    let mut merged = plan.merged.clone();
    merged.updated_at = at;
    let merge = ContactMerge {
        merged,
        others: vec![ada.id],
        read: vec![(keep.id, keep.updated_at), (gone.id, gone.updated_at)],
        stage_from: plan.stage_from(),
        event: plan.event(&[ada.id], "test", at),
    };
    store.merge_contacts(&merge).await.unwrap();
    assert_eq!(count(store.clone()).await, 8, "kept through the merge");
    store
        .erase_contact(ws, grace.id, Timestamp::now())
        .await
        .unwrap();
    assert_eq!(
        count(store.clone()).await,
        6,
        "the notifications about the erased person (and the record merged into them) are gone"
    );
    assert!(
        store
            .claim_outbox(later(Timestamp::now(), 1), lease, 10)
            .await
            .unwrap()
            .is_empty(),
        "and their e-mails"
    );
}
