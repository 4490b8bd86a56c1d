//! Conformance: the journey feed. A whole read holds every journey of the workspace and no
//! other's; a read from its mark brings each journey changed since (a stage move, an erasure,
//! a new contact) as it now is, or as removed; applied in turn, the reads rebuild exactly
//! what a whole read says now.

use std::collections::HashMap;
use std::sync::Arc;

use closer_domain::{ContactId, Stage, Timestamp};

use super::contacts::{draft, upsert};
use super::workspace;
use crate::{FeedJourney, JourneyFeed, StageMove, Store};

/// Each contact's journey with its names and ids spelled out: feeds number them each their
/// own way.
type Spelled = (FeedJourney, [Option<String>; 4], [Option<uuid::Uuid>; 2]);

fn spelled(feed: &JourneyFeed, j: FeedJourney) -> Spelled {
    let name = |n: u32| feed.names[n as usize].clone();
    let id = |n: u32| feed.ids[n as usize];
    let numbers_gone = FeedJourney {
        channel: 0,
        source: 0,
        campaign: 0,
        site: 0,
        owner: 0,
        lead_path: 0,
        ..j
    };
    (
        numbers_gone,
        [
            name(j.channel),
            name(j.source),
            name(j.campaign),
            name(j.lead_path),
        ],
        [id(j.site), id(j.owner)],
    )
}

fn apply(into: &mut HashMap<ContactId, Spelled>, feed: &JourneyFeed) {
    for row in &feed.rows {
        match row.journey {
            Some(j) => {
                into.insert(row.contact, spelled(feed, j));
            }
            None => {
                into.remove(&row.contact);
            }
        }
    }
}

fn whole(feed: &JourneyFeed) -> HashMap<ContactId, Spelled> {
    let mut out = HashMap::new();
    apply(&mut out, feed);
    out
}

pub async fn the_journey_feed_brings_every_change_since_its_mark(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "feed").await;
    let other = workspace(&*store, "feed-other").await;
    let mut ids = Vec::new();
    for mail in ["a@feed.example.com", "b@feed.example.com"] {
        let c = store.upsert_contact(ws, upsert(draft(mail))).await.unwrap();
        ids.push(c.contact.id);
    }
    let elsewhere = store
        .upsert_contact(other, upsert(draft("a@feed.example.com")))
        .await
        .unwrap()
        .contact
        .id;

    let first = store.journey_feed(ws, None).await.unwrap();
    let mut kept = whole(&first);
    assert_eq!(kept.len(), 2, "{first:?}");
    assert!(
        !kept.contains_key(&elsewhere),
        "another workspace's journey"
    );
    for id in &ids {
        let (j, _, _) = kept[id];
        assert!(j.reached[1].is_some(), "a new contact is a lead: {j:?}");
    }

    // A stage move, a new contact and an erasure, each in its own write.
    let moved = store
        .move_stages(
            ws,
            &[StageMove {
                contact: ids[0],
                from: Stage::Lead,
                to: Stage::Prospect,
                actor: "test".into(),
            }],
            Timestamp::now(),
        )
        .await
        .unwrap();
    assert_eq!(moved, vec![ids[0]]);
    let third = store
        .upsert_contact(ws, upsert(draft("c@feed.example.com")))
        .await
        .unwrap()
        .contact
        .id;
    store
        .erase_contact(ws, ids[1], Timestamp::now())
        .await
        .unwrap();
    store
        .erase_contact(other, elsewhere, Timestamp::now())
        .await
        .unwrap();

    let next = store.journey_feed(ws, Some(first.mark)).await.unwrap();
    let changed: Vec<ContactId> = next.rows.iter().map(|r| r.contact).collect();
    for id in [ids[0], ids[1], third] {
        assert!(changed.contains(&id), "{id:?} changed: {next:?}");
    }
    assert!(!changed.contains(&elsewhere), "another workspace's change");
    let erased = next.rows.iter().find(|r| r.contact == ids[1]).unwrap();
    assert_eq!(
        erased.journey, None,
        "an erased contact's journey is removed"
    );
    apply(&mut kept, &next);
    let now = store.journey_feed(ws, None).await.unwrap();
    assert_eq!(kept, whole(&now), "the feed rebuilds the table");
    assert_eq!(kept.len(), 2);
    assert!(kept[&ids[0]].0.reached[2].is_some(), "the move to prospect");

    // Nothing changed since: whatever a read from the new mark brings (a change may come
    // twice) leaves the same journeys.
    let again = store.journey_feed(ws, Some(next.mark)).await.unwrap();
    apply(&mut kept, &again);
    assert_eq!(kept, whole(&now));
    assert!(again.mark >= next.mark, "marks never go back");
}
