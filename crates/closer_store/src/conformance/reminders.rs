//! Conformance: reminders. The scans find what is owed a reminder in their window and not yet
//! told for its moment (open, assigned tasks by due time; owned open deals by their last
//! activity; users without the day's digest); `tell_once` writes a mark and its notices
//! together, once — again only when the moment changed (a rescheduled task, a deal active and
//! idle again), and for exactly one of two concurrent tellers. Settings round-trip.

use std::sync::Arc;
use std::time::Duration;

use closer_domain::notify::{Notice, NoticeKind};
use closer_domain::pipeline::{Activity, ActivityId, ActivityKind, TaskKind, TaskStatus};
use closer_domain::reminders::{NoticeMark, Reminders};
use closer_domain::{ContactId, Timestamp, UserId, WorkspaceId};

use super::contacts::{draft, upsert};
use super::notify::user;
use super::pipeline::{new_deal, pipeline};
use super::work::task;
use super::workspace;
use crate::{Store, StoreError, TaskPatch};

fn ago(now: Timestamp, secs: u64) -> Timestamp {
    Timestamp::new(now.get() - Duration::from_secs(secs))
}

fn after(now: Timestamp, secs: u64) -> Timestamp {
    Timestamp::new(now.get() + Duration::from_secs(secs))
}

fn notice(ws: WorkspaceId, to: UserId, kind: NoticeKind, contact: Option<ContactId>) -> Notice {
    Notice {
        id: uuid::Uuid::now_v7(),
        workspace_id: ws,
        user_id: to,
        contact_id: contact,
        kind,
        title: format!("{} reminder", kind.as_str()),
        link: "/tasks".into(),
        created_at: Timestamp::now(),
        in_app: true,
        email_to: Some("rita@remind.example".into()),
        lines: vec!["- 09:00: Call back".into()],
    }
}

fn mark(ws: WorkspaceId, kind: NoticeKind, subject: uuid::Uuid, at: Timestamp) -> NoticeMark {
    NoticeMark {
        workspace_id: ws,
        kind,
        subject,
        told_for: at,
    }
}

#[allow(clippy::too_many_lines)]
pub async fn reminders_are_told_once_per_moment(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "remind").await;
    let other = workspace(&*store, "remind-other").await;
    let rita = user(&*store, ws, "rita@remind.example").await;
    let carl = user(&*store, ws, "carl@remind.example").await;
    let olga = user(&*store, other, "olga@remind.example").await;
    let grace = store
        .upsert_contact(ws, upsert(draft("grace@remind.example")))
        .await
        .unwrap()
        .contact
        .id;
    let now = Timestamp::now();

    // Settings: the defaults, then a change read back; a workspace that is not there.
    assert_eq!(store.reminders(ws).await.unwrap(), Reminders::default());
    let chosen = Reminders::new(3, 9).unwrap();
    store.set_reminders(ws, chosen).await.unwrap();
    assert_eq!(store.reminders(ws).await.unwrap(), chosen);
    assert_eq!(store.reminders(other).await.unwrap(), Reminders::default());
    let err = store
        .set_reminders(WorkspaceId::new(), chosen)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");

    // Tasks: only open, assigned ones due inside the window.
    let mut due = task(Some(grace), TaskKind::FollowUp, ago(now, 600));
    due.assignee_id = Some(rita);
    let mut later_on = task(Some(grace), TaskKind::FollowUp, after(now, 3600));
    later_on.assignee_id = Some(rita);
    let mut old = task(None, TaskKind::FollowUp, ago(now, 20 * 86_400));
    old.assignee_id = Some(rita);
    let nobodys = task(Some(grace), TaskKind::FollowUp, ago(now, 300));
    let mut done = task(Some(grace), TaskKind::FollowUp, ago(now, 300));
    done.assignee_id = Some(carl);
    done.status = TaskStatus::Done;
    done.done_at = Some(now);
    let mut elsewhere = task(None, TaskKind::FollowUp, ago(now, 120));
    elsewhere.assignee_id = Some(olga);
    for (w, t) in [
        (ws, &due),
        (ws, &later_on),
        (ws, &old),
        (ws, &nobodys),
        (ws, &done),
        (other, &elsewhere),
    ] {
        store.add_task(w, t, &[]).await.unwrap();
    }
    let window = |kind| {
        let store = store.clone();
        async move {
            store
                .untold_tasks(kind, ago(now, 7 * 86_400), now, 100)
                .await
                .unwrap()
                .into_iter()
                .filter(|t| t.workspace_id == ws || t.workspace_id == other)
                .map(|t| t.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(window(NoticeKind::TaskDue).await, [due.id, elsewhere.id]);
    let found = store
        .untold_tasks(NoticeKind::TaskDue, ago(now, 86_400), now, 100)
        .await
        .unwrap();
    let mine = found.iter().find(|t| t.id == due.id).unwrap();
    assert_eq!(
        (mine.assignee, mine.contact_id, mine.due_at, &*mine.title),
        (rita, Some(grace), due.due_at, "Call back")
    );

    // Told once: the mark and its notice together; the second time writes nothing.
    let first = mark(ws, NoticeKind::TaskDue, due.id.0, due.due_at);
    let told = notice(ws, rita, NoticeKind::TaskDue, Some(grace));
    assert!(
        store
            .tell_once(&first, std::slice::from_ref(&told))
            .await
            .unwrap()
    );
    assert!(
        !store
            .tell_once(&first, &[notice(ws, rita, NoticeKind::TaskDue, None)])
            .await
            .unwrap()
    );
    let listed = store.notifications(ws, rita, false, 10).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].id, listed[0].kind),
        (told.id, NoticeKind::TaskDue)
    );
    assert_eq!(window(NoticeKind::TaskDue).await, [elsewhere.id]);
    // The overdue kind has its own mark.
    assert_eq!(
        window(NoticeKind::TaskOverdue).await,
        [due.id, elsewhere.id]
    );

    // Rescheduled, the task is owed its reminder again, for the new time.
    let moved = ago(now, 60);
    store
        .patch_task(
            ws,
            due.id,
            &TaskPatch {
                due_at: Some(moved),
                ..TaskPatch::default()
            },
            now,
        )
        .await
        .unwrap();
    assert_eq!(window(NoticeKind::TaskDue).await, [elsewhere.id, due.id]);
    let again = mark(ws, NoticeKind::TaskDue, due.id.0, moved);
    assert!(store.tell_once(&again, &[]).await.unwrap());
    assert_eq!(window(NoticeKind::TaskDue).await, [elsewhere.id]);

    // Two processes telling the same thing: one writes, the other finds it told.
    let shared = mark(other, NoticeKind::TaskDue, elsewhere.id.0, elsewhere.due_at);
    let tellers: Vec<_> = (0..2)
        .map(|_| {
            let store = store.clone();
            let shared = shared.clone();
            tokio::spawn(async move {
                let n = notice(other, olga, NoticeKind::TaskDue, None);
                store.tell_once(&shared, &[n]).await.unwrap()
            })
        })
        .collect();
    let mut wrote = 0;
    for t in tellers {
        wrote += u32::from(t.await.unwrap());
    }
    assert_eq!(wrote, 1);
    assert_eq!(store.unread_count(other, olga).await.unwrap(), 1);

    // The digest's list: the user's open tasks due before the day's end, earliest first.
    let listed: Vec<_> = store
        .tasks_due_before(ws, rita, after(now, 60), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(listed, [old.id, due.id]);
    let capped = store
        .tasks_due_before(ws, rita, after(now, 7200), 1)
        .await
        .unwrap();
    assert_eq!(capped.len(), 1);

    // Digests: each user once a day.
    let day = ago(now, 3600);
    let owed = store.untold_digests(ws, day).await.unwrap();
    assert_eq!(owed, [rita, carl]);
    assert!(
        store
            .tell_once(&mark(ws, NoticeKind::Digest, rita.0, day), &[])
            .await
            .unwrap()
    );
    assert_eq!(store.untold_digests(ws, day).await.unwrap(), [carl]);
    let next_day = after(day, 86_400);
    assert_eq!(
        store.untold_digests(ws, next_day).await.unwrap(),
        [rita, carl]
    );
    assert_eq!(store.untold_digests(other, day).await.unwrap(), [olga]);

    // Idle deals: owned and open, by their last activity.
    let p = pipeline(&*store, ws).await;
    let mut deal = new_deal(&p, grace, "1200");
    deal.owner_id = Some(rita);
    store
        .create_deal(ws, &deal, "Qualification", "test")
        .await
        .unwrap();
    let unowned = new_deal(&p, grace, "300");
    store
        .create_deal(ws, &unowned, "Qualification", "test")
        .await
        .unwrap();
    let idle = |until: Timestamp| {
        let store = store.clone();
        async move {
            store
                .untold_idle_deals(ws, ago(now, 30 * 86_400), until, 10)
                .await
                .unwrap()
        }
    };
    let found = idle(after(now, 3600)).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].id, found[0].owner, found[0].contact_id),
        (deal.id, rita, grace)
    );
    assert_eq!(found[0].last_active, deal.updated_at);
    assert!(idle(ago(now, 3600)).await.is_empty(), "active since");
    // A call logged on the contact is the deal's latest activity.
    let call_at = after(now, 120);
    let logged = Activity {
        id: ActivityId::new(),
        contact_id: grace,
        deal_id: None,
        kind: ActivityKind::Call,
        occurred_at: call_at,
        owner_id: Some(rita),
        outcome: None,
        text: None,
        created_at: now,
    };
    store.add_activity(ws, &logged, &[]).await.unwrap();
    let found = idle(after(now, 3600)).await;
    assert_eq!(found[0].last_active, call_at);
    assert!(
        store
            .tell_once(
                &mark(ws, NoticeKind::DealIdle, deal.id.0, call_at),
                &[notice(ws, rita, NoticeKind::DealIdle, Some(grace))]
            )
            .await
            .unwrap()
    );
    assert!(idle(after(now, 3600)).await.is_empty(), "told");
    // Active again, then idle again: owed again.
    let mut second = logged.clone();
    second.id = ActivityId::new();
    second.occurred_at = after(now, 240);
    store.add_activity(ws, &second, &[]).await.unwrap();
    assert_eq!(idle(after(now, 3600)).await.len(), 1);

    // Nothing crossed workspaces.
    assert_eq!(store.unread_count(ws, carl).await.unwrap(), 0);
    assert_eq!(store.unread_count(ws, rita).await.unwrap(), 2);
}
