//! Conformance: rules text, score records with their version check, bulk timelines, and the
//! hits tracking reports as belonging to contacts.

use std::sync::Arc;

use closer_domain::qualification::{Activity, ScoreState, Signal, SignalKind, Temperature};
use closer_domain::traffic::{HitKind, Utm};
use closer_domain::{ContactId, EventKind, Stage, Timestamp};

use super::contacts::{draft, form_event, upsert};
use super::traffic::{hit, site, visitor};
use super::workspace;
use crate::{SCORE_VERSION, ScoreRecord, StageMove, Store, StoreError};

pub(super) fn record(contact: ContactId, version: i64, engagement: f64) -> ScoreRecord {
    let state = ScoreState {
        signals: u64::try_from(version).unwrap(),
        activity: Activity {
            visits: 2,
            ..Activity::default()
        },
        ..ScoreState::default()
    };
    ScoreRecord {
        contact_id: contact,
        state,
        engagement,
        fit: 35.5,
        temperature: Temperature::Warm,
        version,
        updated_at: Timestamp::now(),
    }
}

pub async fn rules_and_scores_round_trip(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "rules").await;
    let other = workspace(&*store, "rules-other").await;
    assert_eq!(store.rules_source(ws).await.unwrap(), None);
    store
        .put_rules_source(ws, "# one", Timestamp::now())
        .await
        .unwrap();
    store
        .put_rules_source(ws, "# two", Timestamp::now())
        .await
        .unwrap();
    assert_eq!(
        store.rules_source(ws).await.unwrap().as_deref(),
        Some("# two")
    );
    assert_eq!(store.rules_source(other).await.unwrap(), None);

    let c = store
        .upsert_contact(ws, upsert(draft("scored@example.com")))
        .await
        .unwrap()
        .contact;
    assert_eq!(store.score(ws, c.id).await.unwrap(), None);
    let first = record(c.id, 1, 12.5);
    store.save_score(ws, &first, None).await.unwrap();
    assert_eq!(store.score(ws, c.id).await.unwrap().as_ref(), Some(&first));
    // A second "first" save lost the race.
    let err = store
        .save_score(ws, &record(c.id, 1, 99.0), None)
        .await
        .unwrap_err();
    assert!(err.is_conflict_on(SCORE_VERSION), "{err:?}");
    let second = record(c.id, 2, 20.0);
    store.save_score(ws, &second, Some(1)).await.unwrap();
    // Lists filter by the stored temperature.
    for (t, found) in [(Temperature::Warm, 1), (Temperature::Hot, 0)] {
        let page = store
            .list_contacts(
                ws,
                &crate::ContactQuery {
                    temperature: Some(t),
                    limit: 10,
                    ..crate::ContactQuery::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(page.items.len(), found, "{t:?}");
    }
    // The queue's hot candidates (in a workspace of their own): open contacts stored hot,
    // narrowed by owner.
    let hw = workspace(&*store, "scores-hot").await;
    assert!(store.stored_hot(hw, None, 10).await.unwrap().is_empty());
    let h = store
        .upsert_contact(hw, upsert(draft("hot@example.com")))
        .await
        .unwrap()
        .contact;
    let hot = ScoreRecord {
        temperature: Temperature::Hot,
        ..record(h.id, 1, 40.0)
    };
    store.save_score(hw, &hot, None).await.unwrap();
    assert_eq!(store.stored_hot(hw, None, 10).await.unwrap(), vec![h.id]);
    assert_eq!(
        store
            .stored_hot(hw, Some(crate::OwnerFilter::Unassigned), 10)
            .await
            .unwrap(),
        vec![h.id]
    );
    assert!(
        store
            .stored_hot(
                hw,
                Some(crate::OwnerFilter::User(closer_domain::UserId::new())),
                10
            )
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.stored_hot(ws, None, 10).await.unwrap().is_empty());
    // A stale version is refused and changes nothing.
    let err = store
        .save_score(ws, &record(c.id, 2, 77.0), Some(1))
        .await
        .unwrap_err();
    assert!(err.is_conflict_on(SCORE_VERSION), "{err:?}");
    assert_eq!(store.score(ws, c.id).await.unwrap().as_ref(), Some(&second));

    // Tenancy: another workspace sees nothing and cannot write.
    assert_eq!(store.score(other, c.id).await.unwrap(), None);
    assert!(store.scores(other, &[c.id]).await.unwrap().is_empty());
    let err = store
        .save_score(other, &record(c.id, 1, 1.0), None)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");

    // Bulk: put_scores replaces, skips unknown contacts; scores reads many.
    let d = store
        .upsert_contact(ws, upsert(draft("bulk@example.com")))
        .await
        .unwrap()
        .contact;
    store
        .put_scores(
            ws,
            &[
                record(c.id, 3, 30.0),
                record(d.id, 1, 5.0),
                record(ContactId::new(), 1, 1.0),
            ],
        )
        .await
        .unwrap();
    let mut got = store
        .scores(ws, &[c.id, d.id, ContactId::new()])
        .await
        .unwrap();
    got.sort_by(|a, b| a.engagement.total_cmp(&b.engagement));
    assert_eq!(got.len(), 2);
    assert_eq!((got[0].contact_id, got[1].contact_id), (d.id, c.id));
    assert_eq!(got[1].version, 3, "the stored version (2) plus one");
    assert_eq!(got[0].version, 1, "a new record");

    // Many at once: a stale version is reported back and left alone.
    let lost = store
        .save_scores(
            ws,
            &[
                (record(c.id, 4, 40.0), Some(3)),
                (record(d.id, 9, 90.0), Some(7)),
            ],
        )
        .await
        .unwrap();
    assert_eq!(lost, vec![d.id]);
    assert_eq!(store.score(ws, c.id).await.unwrap().unwrap().version, 4);
    assert_eq!(store.score(ws, d.id).await.unwrap().unwrap().version, 1);
    let lost = store
        .save_scores(other, &[(record(c.id, 5, 1.0), Some(4))])
        .await
        .unwrap();
    assert!(lost.len() <= 1, "another workspace writes nothing");
    assert_eq!(store.score(ws, c.id).await.unwrap().unwrap().version, 4);
    let mut found: Vec<ContactId> = store
        .contacts_by_id(ws, &[c.id, d.id, ContactId::new()])
        .await
        .unwrap()
        .into_iter()
        .map(|x| x.id)
        .collect();
    found.sort();
    let mut want = vec![c.id, d.id];
    want.sort();
    assert_eq!(found, want);
    assert!(
        store
            .contacts_by_id(other, &[c.id])
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.count_contacts(ws).await.unwrap(), 2);
    assert_eq!(store.count_contacts(other).await.unwrap(), 0);
    // Erasure takes the score with it.
    store
        .erase_contact(ws, c.id, Timestamp::now())
        .await
        .unwrap();
    assert_eq!(store.score(ws, c.id).await.unwrap(), None);
}

pub async fn tracked_hits_of_contacts_are_reported_and_timelines_read_in_bulk(
    store: Arc<dyn Store>,
) {
    let ws = workspace(&*store, "timelines").await;
    let s = site(&*store, ws).await;
    let known = visitor("known");
    let anonymous = visitor("anon");
    let mut req = upsert(draft("timeline@example.com"));
    req.visitor = Some(known.clone());
    req.event = Some(form_event());
    let c = store.upsert_contact(ws, req).await.unwrap().contact;
    let plain = store
        .upsert_contact(ws, upsert(draft("plain@example.com")))
        .await
        .unwrap()
        .contact;

    let recorded = store
        .record_hits(
            vec![
                hit(
                    &s,
                    &anonymous,
                    HitKind::Pageview,
                    0,
                    "/",
                    None,
                    &Utm::default(),
                ),
                hit(
                    &s,
                    &known,
                    HitKind::Pageview,
                    1,
                    "/pricing",
                    None,
                    &Utm::default(),
                ),
                hit(
                    &s,
                    &known,
                    HitKind::Custom("Demo Request".into()),
                    2,
                    "/demo",
                    None,
                    &Utm::default(),
                ),
            ]
            .into(),
        )
        .await
        .unwrap();
    assert_eq!(recorded.identified, vec![(1, c.id), (2, c.id)]);

    let all = store.timelines(ws, &[plain.id, c.id]).await.unwrap();
    let (events, plains): (Vec<_>, Vec<_>) = all.into_iter().partition(|e| e.contact_id == c.id);
    assert!(
        plains
            .iter()
            .all(|e| e.contact_id == plain.id && e.kind == EventKind::StageChanged),
        "{plains:?}"
    );
    let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == EventKind::Pageview).count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == EventKind::CustomEvent)
            .count(),
        1,
        "{kinds:?}"
    );
    assert!(kinds.contains(&EventKind::FormSubmitted), "{kinds:?}");
    let times: Vec<Timestamp> = events.iter().map(|e| e.occurred_at).collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "oldest first: {times:?}"
    );
    let demo = events
        .iter()
        .find(|e| e.kind == EventKind::CustomEvent)
        .unwrap();
    assert_eq!(demo.properties["name"], "Demo Request");
    assert_eq!(demo.properties["path"], "/demo");
    // A visitor linked later brings the history recorded before the link.
    let late = visitor("late");
    store
        .record_hits(
            vec![hit(
                &s,
                &late,
                HitKind::Pageview,
                3,
                "/before-link",
                None,
                &Utm::default(),
            )]
            .into(),
        )
        .await
        .unwrap();
    store
        .link_visitor(ws, &late, plain.id, Timestamp::now())
        .await
        .unwrap();
    let plain_events = store.timelines(ws, &[plain.id]).await.unwrap();
    assert!(
        plain_events
            .iter()
            .any(|e| e.properties["path"] == "/before-link"),
        "{plain_events:?}"
    );
    // The rescore read: contacts in id order, page by page, each with its timeline's signals
    // (what `Signal::from_event` makes of `timelines`), whatever way the adapter reads. A
    // contact of another workspace whose id falls between this one's is skipped.
    let between = workspace(&*store, "timelines-between").await;
    let stranger = store
        .upsert_contact(between, upsert(draft("between@example.com")))
        .await
        .unwrap()
        .contact;
    let third = store
        .upsert_contact(ws, upsert(draft("third@example.com")))
        .await
        .unwrap()
        .contact;
    let first = store.scoring_page(ws, None, 1).await.unwrap();
    assert_eq!(first.items.len(), 1);
    assert_eq!(first.next, Some(first.items[0].contact.id));
    let second = store.scoring_page(ws, first.next, 10).await.unwrap();
    assert_eq!(second.next, None);
    let mut inputs: Vec<_> = first.items.into_iter().chain(second.items).collect();
    let order: Vec<ContactId> = inputs.iter().map(|i| i.contact.id).collect();
    let mut expected = vec![c.id, plain.id, third.id];
    expected.sort_by_key(|id| id.0);
    assert_eq!(order, expected);
    let theirs = store.scoring_page(between, None, 10).await.unwrap();
    let theirs: Vec<ContactId> = theirs.items.iter().map(|i| i.contact.id).collect();
    assert_eq!(theirs, vec![stranger.id]);
    inputs.retain(|i| i.contact.id != third.id);
    inputs.sort_by_key(|i| i.contact.id != c.id);
    for input in &inputs {
        let from_timeline: Vec<Signal> = store
            .timelines(ws, &[input.contact.id])
            .await
            .unwrap()
            .iter()
            .filter_map(Signal::from_event)
            .collect();
        assert_eq!(input.signals, from_timeline);
    }
    assert_eq!(inputs[0].signals.len(), 3, "{:?}", inputs[0].signals);
    assert_eq!(
        inputs[0].signals[2].kind,
        SignalKind::Custom("demo request".into())
    );
    assert_eq!(inputs[1].signals.len(), 1, "{:?}", inputs[1].signals);
    assert_eq!(
        inputs[1].contact,
        store.contact(ws, plain.id).await.unwrap()
    );
    assert_eq!(inputs[0].contact, store.contact(ws, c.id).await.unwrap());
    // Erasure removes the copies with the contact.
    store
        .erase_contact(ws, c.id, Timestamp::now())
        .await
        .unwrap();
    assert!(store.timelines(ws, &[c.id]).await.unwrap().is_empty());
    // Another workspace's timelines are empty.
    let other = workspace(&*store, "timelines-other").await;
    assert!(store.timelines(other, &[c.id]).await.unwrap().is_empty());
    let theirs = store.scoring_page(other, None, 10).await.unwrap();
    assert!(theirs.items.is_empty() && theirs.next.is_none());
}

pub async fn rule_moves_apply_only_from_the_expected_stage(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "moves").await;
    let other = workspace(&*store, "moves-other").await;
    let a = store
        .upsert_contact(ws, upsert(draft("a@moves.example")))
        .await
        .unwrap()
        .contact;
    let b = store
        .upsert_contact(ws, upsert(draft("b@moves.example")))
        .await
        .unwrap()
        .contact;
    // A person moved b to customer meanwhile: the rule's move from lead must not undo it.
    let patch = closer_domain::ContactPatch {
        stage: Some(Stage::Customer),
        ..closer_domain::ContactPatch::default()
    };
    store
        .patch_contact(ws, b.id, &patch, "token:person", Timestamp::now())
        .await
        .unwrap();
    let rule = |c: ContactId| StageMove {
        contact: c,
        from: Stage::Lead,
        to: Stage::Prospect,
        actor: "rule:asked for a demo".into(),
    };
    let moved = store
        .move_stages(
            ws,
            &[rule(a.id), rule(b.id), rule(ContactId::new())],
            Timestamp::now(),
        )
        .await
        .unwrap();
    assert_eq!(moved, vec![a.id]);
    assert_eq!(
        store.contact(ws, a.id).await.unwrap().stage,
        Stage::Prospect
    );
    assert_eq!(
        store.contact(ws, b.id).await.unwrap().stage,
        Stage::Customer
    );
    let history = store.stage_history(ws, a.id).await.unwrap();
    assert_eq!(history.last().unwrap().changed_by, "rule:asked for a demo");
    assert!(history[0].left_at.is_some());
    assert_eq!(
        history[0].left_at,
        Some(history.last().unwrap().entered_at),
        "the history has no gap: the lead row ends where the prospect row starts"
    );
    let events = store.contact_events(ws, a.id, 10, None).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == EventKind::StageChanged && e.properties["to"] == "prospect")
    );
    // Another workspace cannot move it.
    let moved = store
        .move_stages(
            other,
            &[StageMove {
                from: Stage::Prospect,
                ..rule(a.id)
            }],
            Timestamp::now(),
        )
        .await
        .unwrap();
    assert!(moved.is_empty());
    assert_eq!(
        store.contact(ws, a.id).await.unwrap().stage,
        Stage::Prospect
    );
}

/// A visitor linked to a contact while one of its hits is being written: whichever commits
/// second, the hit ends up on the contact's timeline.
pub async fn a_hit_racing_its_visitor_link_still_reaches_the_contact(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "link-race").await;
    let tracked = site(&*store, ws).await;
    for round in 0..20 {
        let contact = store
            .upsert_contact(ws, upsert(draft(&format!("racer{round}@example.com"))))
            .await
            .unwrap()
            .contact;
        let who = visitor("racer");
        let raced = hit(
            &tracked,
            &who,
            HitKind::Pageview,
            0,
            "/raced",
            None,
            &Utm::default(),
        );
        let (writer, linker) = (store.clone(), store.clone());
        let recording = tokio::spawn(async move { writer.record_hits(vec![raced].into()).await });
        let linking = tokio::spawn({
            let who = who.clone();
            async move {
                linker
                    .link_visitor(ws, &who, contact.id, Timestamp::now())
                    .await
            }
        });
        recording.await.unwrap().unwrap();
        linking.await.unwrap().unwrap();
        let timeline = store.timelines(ws, &[contact.id]).await.unwrap();
        assert!(
            timeline.iter().any(|e| e.properties["path"] == "/raced"),
            "round {round}: the hit is missing from the contact's timeline: {timeline:?}"
        );
    }
}

/// What a start-up sweep rescores: contacts with no score, or with an event after their
/// score was saved — not those up to date, not another workspace's, not for an event dated
/// after `now`; in id order, page by page.
pub async fn stale_scores_are_those_missing_events(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "stale").await;
    let other = workspace(&*store, "stale-other").await;
    let now = Timestamp::now();
    let hour = std::time::Duration::from_hours(1);
    let new = |mail: &'static str, ws| {
        let store = store.clone();
        async move {
            store
                .upsert_contact(ws, upsert(draft(mail)))
                .await
                .unwrap()
                .contact
                .id
        }
    };
    let unscored = new("unscored@example.com", ws).await;
    let fresh = new("fresh@example.com", ws).await;
    store
        .save_score(ws, &record(fresh, 1, 10.0), None)
        .await
        .unwrap();
    let behind = new("behind@example.com", ws).await;
    let old = ScoreRecord {
        updated_at: Timestamp::new(now.get() - hour),
        ..record(behind, 1, 10.0)
    };
    store.save_score(ws, &old, None).await.unwrap();
    let ahead = {
        let mut req = upsert(draft("ahead@example.com"));
        let mut event = form_event();
        event.occurred_at = Timestamp::new(now.get() + 24 * hour);
        req.event = Some(event);
        store.upsert_contact(ws, req).await.unwrap().contact.id
    };
    store
        .save_score(ws, &record(ahead, 1, 10.0), None)
        .await
        .unwrap();
    new("elsewhere@example.com", other).await;

    let at = Timestamp::now();
    let mut expected = vec![unscored, behind];
    expected.sort_by_key(|c| c.0);
    assert_eq!(
        store.stale_scores(ws, None, at, 10).await.unwrap(),
        expected
    );
    let first = store.stale_scores(ws, None, at, 1).await.unwrap();
    assert_eq!(first, expected[..1]);
    assert_eq!(
        store
            .stale_scores(ws, Some(first[0]), at, 10)
            .await
            .unwrap(),
        expected[1..]
    );
    // Once its time has come, the event dated ahead makes its contact stale too.
    let later = Timestamp::new(now.get() + 48 * hour);
    let stale = store.stale_scores(ws, None, later, 10).await.unwrap();
    assert!(
        stale.contains(&ahead) && !stale.contains(&fresh),
        "{stale:?}"
    );
}
