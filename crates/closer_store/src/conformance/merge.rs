//! Conformance: merging records of one person. Everything the merged-away record held moves
//! to the kept one, in one transaction that writes nothing when a record changed meanwhile;
//! the merged-away id names the survivor; the survivor's journey and deal paths are derived
//! from everything it now holds; every table of contact data is either moved or accounted for.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use closer_domain::contact::merge::plan_merge;
use closer_domain::reports::Breakdown;
use closer_domain::traffic::{HitKind, Utm};
use closer_domain::{EventKind, Phone, Stage, Timestamp};

use super::contacts::{draft, upsert};
use super::pipeline::{move_to, new_deal, pipeline};
use super::reports::call;
use super::traffic::{hit, site, visitor};
use super::workspace;
use crate::{
    ContactMerge, DealQuery, MERGE_LEAVES, MERGE_MOVES, Period, StageMove, Store, StoreError,
    TaskQuery,
};

fn hours(t: Timestamp, h: i64) -> Timestamp {
    let d = Duration::from_hours(h.unsigned_abs());
    Timestamp::new(if h < 0 { t.get() - d } else { t.get() + d })
}

pub async fn every_table_of_contact_data_is_merged_or_left(store: Arc<dyn Store>) {
    let mut found: BTreeSet<String> = store
        .tables_with_contact_column()
        .await
        .unwrap()
        .into_iter()
        .collect();
    found.insert("contacts".into());
    let listed: BTreeSet<String> = MERGE_MOVES
        .iter()
        .chain(MERGE_LEAVES)
        .map(|(t, _)| (*t).to_owned())
        .collect();
    assert_eq!(
        found, listed,
        "a table holding contact data must be in closer_store::MERGE_MOVES (a merge moves its \
         rows) or MERGE_LEAVES (with what a merge does instead)"
    );
}

#[allow(clippy::too_many_lines)]
pub async fn merging_moves_everything_to_the_kept_record(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "merge").await;
    let other = workspace(&*store, "merge-other").await;
    let s = site(&*store, ws).await;
    let base = Timestamp::new(Timestamp::now().get() - Duration::from_hours(10 * 24));
    // One person on two browsers: at work from a search an hour before the newsletter
    // brought them in at home.
    let (at_work, at_home) = (visitor("work"), visitor("home"));
    let spring = Utm {
        source: Some("newsletter".into()),
        medium: Some("email".into()),
        campaign: Some("spring".into()),
        ..Utm::default()
    };
    let mut hits = vec![
        hit(
            &s,
            &at_work,
            HitKind::Pageview,
            0,
            "/",
            Some("google.com"),
            &Utm::default(),
        ),
        hit(
            &s,
            &at_home,
            HitKind::Pageview,
            0,
            "/pricing",
            None,
            &spring,
        ),
    ];
    hits[0].occurred_at = hours(base, -1);
    hits[1].occurred_at = base;
    store.record_hits(hits.into()).await.unwrap();
    // The home address with a phone an hour after the newsletter visit; the work address
    // with a name two hours later.
    let mut d = draft("ada@home.example");
    d.phones = vec![Phone::parse("+44 20 7946 0000", None).unwrap()];
    let mut req = upsert(d);
    req.visitor = Some(at_home.clone());
    req.now = hours(base, 1);
    let home = store.upsert_contact(ws, req).await.unwrap().contact;
    let mut d = draft("ada@work.example");
    d.name = Some("Ada Lovelace".into());
    let mut req = upsert(d);
    req.visitor = Some(at_work.clone());
    req.now = hours(base, 3);
    let work = store.upsert_contact(ws, req).await.unwrap().contact;
    store
        .move_stages(
            ws,
            &[StageMove {
                contact: work.id,
                from: Stage::Lead,
                to: Stage::Prospect,
                actor: "test".into(),
            }],
            hours(base, 4),
        )
        .await
        .unwrap();
    // The home record was called, bought and has a task.
    store
        .add_activity(ws, &call(home.id, hours(base, 2), hours(base, 2)), &[])
        .await
        .unwrap();
    let p = pipeline(&*store, ws).await;
    let deal = new_deal(&p, home.id, "1200");
    store
        .create_deal(ws, &deal, &p.first_open().name, "test")
        .await
        .unwrap();
    move_to(&*store, ws, &p, &deal, "Won", None).await;
    store
        .move_stages(
            ws,
            &[StageMove {
                contact: home.id,
                from: Stage::Lead,
                to: Stage::Customer,
                actor: "test".into(),
            }],
            hours(base, 5),
        )
        .await
        .unwrap();
    let task = super::work::task(
        Some(home.id),
        closer_domain::pipeline::TaskKind::FollowUp,
        hours(base, 48),
    );
    store.add_task(ws, &task, &[]).await.unwrap();

    let feed = store.journey_feed(ws, None).await.unwrap();
    let path_of = |c| {
        let row = feed.rows.iter().find(|r| r.contact == c).unwrap();
        feed.names[row.journey.unwrap().lead_path as usize]
            .clone()
            .unwrap()
    };
    let (work_path, home_path) = (path_of(work.id), path_of(home.id));

    let moves = store.merge_moves(ws, &[home.id]).await.unwrap();
    assert_eq!(moves.identities, 2, "{moves:?}");
    assert_eq!(
        (
            moves.visitors,
            moves.deals,
            moves.activities,
            moves.tasks,
            moves.orders
        ),
        (1, 1, 1, 1, 1),
        "{moves:?}"
    );
    // Lead, and its way to customer (the won deal moves it).
    assert!(moves.stage_history >= 2, "{moves:?}");
    assert!(moves.timeline >= 2 && moves.traffic >= 1, "{moves:?}");
    assert_eq!(
        store.merge_moves(other, &[home.id]).await.unwrap(),
        closer_domain::contact::merge::Moves::default(),
        "another workspace sees nothing to move"
    );

    let keep = store.contact(ws, work.id).await.unwrap();
    let gone = store.contact(ws, home.id).await.unwrap();
    let plan = plan_merge(&keep, std::slice::from_ref(&gone)).unwrap();
    let now = Timestamp::now();
    let mut merged = plan.merged.clone();
    merged.updated_at = now;
    let merge = ContactMerge {
        merged,
        others: vec![home.id],
        read: vec![(keep.id, keep.updated_at), (gone.id, gone.updated_at)],
        stage_from: plan.stage_from(),
        event: plan.event(&[home.id], "test", now),
    };
    // Read before a change: nothing is written.
    let mut stale = merge.clone();
    stale.read[1].1 = hours(gone.updated_at, -1);
    assert!(matches!(
        store.merge_contacts(&stale).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.contact(ws, home.id).await.unwrap(), gone);
    assert_eq!(store.contact(ws, work.id).await.unwrap(), keep);
    assert_eq!(store.merge_moves(ws, &[home.id]).await.unwrap(), moves);

    store.merge_contacts(&merge).await.unwrap();
    assert!(matches!(
        store.contact(ws, home.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.merged_into(ws, home.id).await.unwrap(), Some(work.id));
    assert_eq!(store.merged_into(other, home.id).await.unwrap(), None);
    assert_eq!(store.merged_into(ws, work.id).await.unwrap(), None);
    let kept = store.contact(ws, work.id).await.unwrap();
    assert_eq!(kept, merge.merged);
    assert_eq!(kept.stage, Stage::Customer);
    assert_eq!(
        kept.created_at, home.created_at,
        "known since the earlier record"
    );
    assert_eq!(kept.emails.len(), 2);
    assert_eq!(kept.phones, home.phones);
    assert_eq!(
        store.merge_moves(ws, &[home.id]).await.unwrap(),
        closer_domain::contact::merge::Moves::default(),
        "nothing is left behind"
    );
    // The phone and the home address now find the kept record.
    let mut again = draft("ada@home.example");
    again.phones.clone_from(&home.phones);
    let found = store.upsert_contact(ws, upsert(again)).await.unwrap();
    assert_eq!(found.contact.id, work.id);

    let history = store.stage_history(ws, work.id).await.unwrap();
    assert_eq!(history.len() as u64, moves.stage_history + 2, "{history:?}");
    let open: Vec<_> = history.iter().filter(|s| s.left_at.is_none()).collect();
    assert_eq!(open.len(), 1, "{history:?}");
    assert_eq!(open[0].stage, Stage::Customer);
    let events = store.contact_events(ws, work.id, 100, None).await.unwrap();
    assert!(events.iter().any(|e| e.kind == EventKind::Merged));
    assert!(events.len() as u64 >= moves.timeline + 2, "{events:?}");
    assert_eq!(store.contact_visitors(ws, work.id).await.unwrap().len(), 2);
    let deals = store
        .list_deals(
            ws,
            &DealQuery {
                contact: Some(work.id),
                limit: 10,
                ..DealQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(deals.len(), 1);
    assert_eq!(store.activities(ws, work.id, 10).await.unwrap().len(), 1);
    assert_eq!(store.orders(ws, Some(work.id), 10).await.unwrap().len(), 1);
    let tasks = store
        .list_tasks(
            ws,
            &TaskQuery {
                contact: Some(work.id),
                limit: 10,
                ..TaskQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(tasks.len(), 1);

    // One journey, from the first visit at work, with both browsers' visits before the lead.
    let feed = store.journey_feed(ws, None).await.unwrap();
    assert_eq!(feed.rows.len(), 1, "{feed:?}");
    let row = &feed.rows[0];
    assert_eq!(row.contact, work.id);
    let j = row.journey.unwrap();
    assert_eq!(j.entered_at, hours(base, -1).unix_micros());
    assert_eq!(
        feed.names[j.lead_path as usize].as_deref(),
        Some(format!("{work_path}\u{1e}{home_path}").as_str())
    );
    // The won deal's touches: both browsers' visits and the call.
    let period = Period {
        from: hours(base, -48),
        to: hours(Timestamp::now(), 48),
    };
    let won = store
        .won_deals(ws, period, &Breakdown::Channel)
        .await
        .unwrap();
    assert_eq!(won.len(), 1);
    assert_eq!(won[0].touches, 3);

    // The merged-away record cannot be merged again, nor the survivor into itself.
    let again = ContactMerge {
        read: vec![(work.id, kept.updated_at), (home.id, gone.updated_at)],
        ..merge.clone()
    };
    assert!(matches!(
        store.merge_contacts(&again).await,
        Err(StoreError::NotFound)
    ));
}
