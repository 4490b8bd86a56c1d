//! Conformance: what the reports read. `journeys` and `visitor_days` follow every write
//! (tracking, capture with a visitor, stage moves, deals, orders, owner changes, erasure), and
//! each report read groups, filters by period and stays inside its workspace.

use std::sync::Arc;
use std::time::Duration;

use closer_domain::pipeline::{
    ActivityId, ActivityKind, Amount, Currency, Order, OrderId, OrderLine, OrderSource,
};
use closer_domain::reports::Breakdown;
use closer_domain::traffic::{HitKind, Utm};
use closer_domain::{Stage, Timestamp};
use serde_json::json;

use super::contacts::{draft, upsert};
use super::pipeline::{move_to, new_deal, pipeline};
use super::traffic::{hit, site, visitor};
use super::workspace;
use crate::{ConversionKind, Period, StageMove, Store};

fn hours_after(t: Timestamp, hours: u64) -> Timestamp {
    Timestamp::new(t.get() + Duration::from_hours(hours))
}

/// A call with `contact` made at `at`, logged at `logged`.
pub(super) fn call(
    contact: closer_domain::ContactId,
    at: Timestamp,
    logged: Timestamp,
) -> closer_domain::pipeline::Activity {
    closer_domain::pipeline::Activity {
        id: ActivityId::new(),
        contact_id: contact,
        deal_id: None,
        kind: ActivityKind::Call,
        occurred_at: at,
        owner_id: None,
        outcome: None,
        text: None,
        created_at: logged,
    }
}

pub async fn journeys_follow_every_write_and_reports_read_them(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "reports").await;
    let other = workspace(&*store, "reports-other").await;
    let s = site(&*store, ws).await;
    // Ten days ago: a visit from a campaign, and an anonymous visitor who never comes back.
    let base = Timestamp::new(Timestamp::now().get() - Duration::from_hours(10 * 24));
    let lead = visitor("reported");
    let spring = Utm {
        source: Some("newsletter".into()),
        medium: Some("email".into()),
        campaign: Some("spring".into()),
        ..Utm::default()
    };
    let mut hits = vec![
        hit(&s, &lead, HitKind::Pageview, 0, "/", None, &spring),
        hit(
            &s,
            &visitor("anonymous"),
            HitKind::Pageview,
            0,
            "/",
            Some("google.com"),
            &Utm::default(),
        ),
    ];
    for h in &mut hits {
        h.occurred_at = base;
    }
    store.record_hits(hits.into()).await.unwrap();
    let mut versions = vec![store.data_version(ws).await.unwrap()];
    let other_version = store.data_version(other).await.unwrap();

    // An hour later they leave their details; a rep calls an hour after that.
    let mut d = draft("reported@example.com");
    d.properties
        .clone_from(json!({"plan": "pro"}).as_object().unwrap());
    let mut req = upsert(d);
    req.visitor = Some(lead.clone());
    req.now = hours_after(base, 1);
    let contact = store.upsert_contact(ws, req).await.unwrap().contact;
    versions.push(store.data_version(ws).await.unwrap());
    let first_call = call(contact.id, hours_after(base, 2), hours_after(base, 2));
    store.add_activity(ws, &first_call, &[]).await.unwrap();
    let to_prospect = StageMove {
        contact: contact.id,
        from: Stage::Lead,
        to: Stage::Prospect,
        actor: "test".into(),
    };
    store
        .move_stages(ws, &[to_prospect], hours_after(base, 3))
        .await
        .unwrap();
    // Sold today, and a second order after it.
    let p = pipeline(&*store, ws).await;
    let deal = new_deal(&p, contact.id, "1200");
    store
        .create_deal(ws, &deal, &p.first_open().name, "test")
        .await
        .unwrap();
    versions.push(store.data_version(ws).await.unwrap());
    let won = move_to(&*store, ws, &p, &deal, "Won", None).await;
    versions.push(store.data_version(ws).await.unwrap());
    let again = Timestamp::now();
    let order = Order {
        id: OrderId::new(),
        contact_id: contact.id,
        deal_id: None,
        currency: Currency::USD,
        lines: vec![OrderLine {
            product: "Refill".into(),
            quantity: 1,
            unit_price: Amount::parse("amount", "300").unwrap(),
        }],
        total: Amount::parse("amount", "300").unwrap(),
        source: OrderSource::Api,
        placed_at: again,
        created_at: again,
    };
    store.add_order(ws, &order, "test").await.unwrap();
    versions.push(store.data_version(ws).await.unwrap());
    // Every business write changed the data version; another workspace's did not move.
    for pair in versions.windows(2) {
        assert_ne!(pair[0], pair[1], "{versions:?}");
    }
    assert_eq!(store.data_version(other).await.unwrap(), other_version);

    let period = Period {
        from: Timestamp::new(base.get() - Duration::from_hours(24)),
        to: Timestamp::new(Timestamp::now().get() + Duration::from_hours(24)),
    };
    let rows = store
        .journeys(ws, period, &Breakdown::Channel)
        .await
        .unwrap();
    assert_eq!(rows.rows.len(), 1, "{rows:?}");
    let j = &rows.rows[0];
    assert_eq!(rows.group(j), Some("email"));
    // Contact lists filter by that first-touch channel.
    for (channel, found) in [
        (closer_domain::traffic::Channel::Email, 1),
        (closer_domain::traffic::Channel::Direct, 0),
    ] {
        let page = store
            .list_contacts(
                ws,
                &crate::ContactQuery {
                    channel: Some(channel),
                    limit: 10,
                    ..crate::ContactQuery::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(page.items.len(), found, "{channel:?}");
    }
    assert_eq!(
        j.reached[0],
        Some(base.unix_micros()),
        "the first visit, brought by the link"
    );
    assert_eq!(j.reached[1], Some(hours_after(base, 1).unix_micros()));
    assert_eq!(j.reached[2], Some(hours_after(base, 3).unix_micros()));
    assert!(
        j.reached[3].is_some() && j.reached[4].is_some(),
        "opportunity and customer: {j:?}"
    );
    assert_eq!(
        j.reached[5],
        Some(again.unix_micros()),
        "the second order makes a repeat customer"
    );
    let by_campaign = store
        .journeys(ws, period, &Breakdown::Campaign)
        .await
        .unwrap();
    assert_eq!(by_campaign.group(&by_campaign.rows[0]), Some("spring"));
    assert!(store.has_property(ws, "plan").await.unwrap());
    assert!(!store.has_property(ws, "colour").await.unwrap());
    let by_plan = store
        .journeys(ws, period, &Breakdown::Property("plan".into()))
        .await
        .unwrap();
    assert_eq!(by_plan.group(&by_plan.rows[0]), Some("pro"));
    // Outside the period: nothing.
    let before = Period {
        from: Timestamp::new(base.get() - Duration::from_hours(5 * 24)),
        to: Timestamp::new(base.get() - Duration::from_hours(24)),
    };
    assert!(
        store
            .journeys(ws, before, &Breakdown::Total)
            .await
            .unwrap()
            .rows
            .is_empty()
    );

    let mut visitors = store
        .new_visitors(ws, period, &Breakdown::Channel)
        .await
        .unwrap();
    visitors.sort_by(|a, b| a.group.cmp(&b.group));
    let counts: Vec<_> = visitors
        .iter()
        .map(|v| (v.group.as_deref(), v.visitors))
        .collect();
    assert_eq!(counts, [(Some("email"), 1), (Some("organic_search"), 1)]);
    let total = store
        .new_visitors(ws, period, &Breakdown::Owner)
        .await
        .unwrap();
    assert_eq!(total.len(), 1, "owners cannot split anonymous traffic");
    assert_eq!(total[0].visitors, 2);

    let closed = store
        .won_deals(ws, period, &Breakdown::Total)
        .await
        .unwrap();
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].amount_units, won.amount.units());
    assert_eq!(
        closed[0].touches, 2,
        "one visit and one call before the win"
    );
    assert!(
        store
            .open_deals(ws, &Breakdown::Total)
            .await
            .unwrap()
            .is_empty()
    );
    let stays = store
        .stage_stays(ws, period, &Breakdown::Total)
        .await
        .unwrap();
    assert_eq!(stays.len(), 1);
    assert_eq!(&*stays[0].stage, p.first_open().name);
    // Split, each stay carries its deal's group: the contact's channel and property, and
    // the deal's owner (this deal has none).
    for (by, group) in [
        (Breakdown::Channel, Some("email")),
        (Breakdown::Property("plan".into()), Some("pro")),
        (Breakdown::Owner, None),
    ] {
        let split = store.stage_stays(ws, period, &by).await.unwrap();
        assert_eq!(split.len(), 1, "{by:?}");
        assert_eq!(split[0].group.as_deref(), group, "{by:?}");
        assert_eq!(split[0].seconds, stays[0].seconds, "{by:?}");
    }
    let responses = store
        .lead_responses(ws, period, &Breakdown::Total)
        .await
        .unwrap();
    assert_eq!(responses.len(), 1);
    assert_eq!(responses[0].seconds, 3_600);
    let orders = store
        .orders_until(ws, period.to, &Breakdown::Channel)
        .await
        .unwrap();
    assert_eq!(orders.len(), 2);
    assert!(orders[0].placed_at <= orders[1].placed_at);
    assert_eq!(orders[1].group.as_deref(), Some("email"));
    // The bottleneck's sums, made by the database, agree with the rows they sum.
    assert_eq!(
        store.won_totals(ws, period).await.unwrap(),
        [crate::WonTotal {
            currency: "USD".into(),
            deals: 1,
            amount_units: i128::from(won.amount.units()),
        }]
    );
    assert_eq!(
        store.repeat_total(ws, period.to, "USD").await.unwrap(),
        crate::RepeatTotal {
            customers: 1,
            after_first_units: i128::from(orders[1].total_units),
        },
        "{orders:?}"
    );
    assert_eq!(
        store.repeat_total(ws, period.to, "EUR").await.unwrap(),
        crate::RepeatTotal::default()
    );
    assert_eq!(
        store
            .repeat_total(ws, orders[1].placed_at, "USD")
            .await
            .unwrap(),
        crate::RepeatTotal::default(),
        "one order before the second: no repeat yet"
    );
    assert!(store.won_totals(other, period).await.unwrap().is_empty());
    assert_eq!(
        store.repeat_total(other, period.to, "USD").await.unwrap(),
        crate::RepeatTotal::default()
    );

    let paths = store
        .conversion_paths(ws, period, &crate::ALL_CONVERSIONS)
        .await
        .unwrap();
    let kinds: Vec<_> = paths.iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds,
        [
            ConversionKind::Lead,
            ConversionKind::Deal,
            ConversionKind::Won
        ]
    );
    for path in &paths {
        assert_eq!(
            path.touches,
            [("email".to_owned(), Some("spring".to_owned()))]
        );
    }
    assert!(paths.iter().all(|p| p.conversions == 1), "{paths:?}");
    assert_eq!(
        paths[2].value,
        Some(("USD".to_owned(), i128::from(won.amount.units())))
    );

    // Another workspace sees none of it.
    assert!(
        store
            .journeys(other, period, &Breakdown::Total)
            .await
            .unwrap()
            .rows
            .is_empty()
    );
    assert!(
        store
            .new_visitors(other, period, &Breakdown::Total)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .won_deals(other, period, &Breakdown::Total)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .orders_until(other, period.to, &Breakdown::Total)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .conversion_paths(other, period, &crate::ALL_CONVERSIONS)
            .await
            .unwrap()
            .is_empty()
    );

    // A second deal, lost: counted per group and reason, never among the won.
    let second = new_deal(&p, contact.id, "800");
    store
        .create_deal(ws, &second, &p.first_open().name, "test")
        .await
        .unwrap();
    move_to(&*store, ws, &p, &second, "Lost", Some("price")).await;
    for (by, group) in [
        (Breakdown::Total, None),
        (Breakdown::Channel, Some("email")),
        (Breakdown::Property("plan".into()), Some("pro")),
        (Breakdown::Owner, None),
    ] {
        assert_eq!(
            store.lost_deals(ws, period, &by).await.unwrap(),
            [crate::LostDeals {
                group: group.map(str::to_owned),
                loss_reason: Some("price".into()),
                deals: 1,
            }],
            "{by:?}"
        );
    }
    assert_eq!(
        store
            .won_deals(ws, period, &Breakdown::Total)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .lost_deals(other, period, &Breakdown::Total)
            .await
            .unwrap()
            .is_empty()
    );

    // Erasure takes the journey with the contact.
    store
        .erase_contact(ws, contact.id, Timestamp::now())
        .await
        .unwrap();
    assert!(
        store
            .journeys(ws, period, &Breakdown::Total)
            .await
            .unwrap()
            .rows
            .is_empty()
    );
    assert!(
        store
            .orders_until(ws, period.to, &Breakdown::Total)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A deal keeps its paths and touches (migration 0009): a visitor linked after the deal was
/// opened and won still brings the visits from before, and an activity logged later with an
/// earlier time counts toward the win.
pub async fn deal_paths_follow_late_links_and_activities(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "deal-paths").await;
    let s = site(&*store, ws).await;
    let base = Timestamp::new(Timestamp::now().get() - Duration::from_hours(5 * 24));
    let late = visitor("linked-late");
    let spring = Utm {
        campaign: Some("spring".into()),
        ..Utm::default()
    };
    let mut h = hit(&s, &late, HitKind::Pageview, 0, "/", None, &spring);
    h.occurred_at = base;
    store.record_hits(vec![h].into()).await.unwrap();
    // Captured without a visitor, sold at once.
    let mut req = upsert(draft("late@example.com"));
    req.now = hours_after(base, 1);
    let contact = store.upsert_contact(ws, req).await.unwrap().contact;
    let p = pipeline(&*store, ws).await;
    let deal = new_deal(&p, contact.id, "500");
    store
        .create_deal(ws, &deal, &p.first_open().name, "test")
        .await
        .unwrap();
    move_to(&*store, ws, &p, &deal, "Won", None).await;
    // After a bulk fill the demo refreshes the planner's statistics: it must not fail.
    store.refresh_statistics().await.unwrap();
    let period = Period {
        from: base,
        to: Timestamp::new(Timestamp::now().get() + Duration::from_hours(1)),
    };
    let touches = |paths: &[crate::ConversionPath], kind| {
        paths
            .iter()
            .filter(|p| p.kind == kind)
            .map(|p| (p.conversions, p.touches.len()))
            .collect::<Vec<_>>()
    };
    let before = store
        .conversion_paths(ws, period, &crate::ALL_CONVERSIONS)
        .await
        .unwrap();
    assert_eq!(
        touches(&before, ConversionKind::Won),
        [(1, 0)],
        "{before:?}"
    );
    let closed = store
        .won_deals(ws, period, &Breakdown::Total)
        .await
        .unwrap();
    assert_eq!(closed[0].touches, 0);

    // The same person comes back through a form with their visitor id.
    let mut again = upsert(draft("late@example.com"));
    again.visitor = Some(late.clone());
    again.now = Timestamp::now();
    store.upsert_contact(ws, again).await.unwrap();
    let after = store
        .conversion_paths(ws, period, &crate::ALL_CONVERSIONS)
        .await
        .unwrap();
    assert_eq!(touches(&after, ConversionKind::Deal), [(1, 1)], "{after:?}");
    assert_eq!(touches(&after, ConversionKind::Won), [(1, 1)], "{after:?}");
    // A call made before the win, logged afterwards.
    let late_call = call(contact.id, hours_after(base, 2), Timestamp::now());
    store.add_activity(ws, &late_call, &[]).await.unwrap();
    let closed = store
        .won_deals(ws, period, &Breakdown::Total)
        .await
        .unwrap();
    assert_eq!(closed[0].touches, 2, "the late visit and the late call");

    // The call corrected to after the win no longer counts; back before it, it does again;
    // deleted, it is gone from the count.
    let won_touches = || async {
        store
            .won_deals(ws, period, &Breakdown::Total)
            .await
            .unwrap()[0]
            .touches
    };
    let mut moved = late_call.clone();
    moved.occurred_at = Timestamp::now();
    store.edit_activity(ws, &moved).await.unwrap();
    assert_eq!(won_touches().await, 1, "the call moved after the win");
    store.edit_activity(ws, &late_call).await.unwrap();
    assert_eq!(won_touches().await, 2, "the call moved back");
    store.delete_activity(ws, late_call.id).await.unwrap();
    assert_eq!(won_touches().await, 1, "the call deleted");
}

/// A breakdown by a property reads its stored type the same on every engine: a checkbox as
/// yes or no, a multi-select as its options joined, text and numbers as written.
pub async fn property_breakdowns_read_each_type_alike(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "typed-groups").await;
    for (mail, props) in [
        (
            "a@example.com",
            json!({"vip": true, "tools": ["Excel", "Slack"], "seats": 40}),
        ),
        (
            "b@example.com",
            json!({"vip": false, "tools": ["Slack"], "seats": 2.5}),
        ),
        ("c@example.com", json!({"vip": true})),
    ] {
        let mut d = draft(mail);
        d.properties = props.as_object().cloned().unwrap();
        store.upsert_contact(ws, upsert(d)).await.unwrap();
    }
    let period = Period {
        from: Timestamp::new(Timestamp::now().get() - Duration::from_hours(1)),
        to: Timestamp::new(Timestamp::now().get() + Duration::from_hours(1)),
    };
    let groups = |name: &'static str| {
        let store = store.clone();
        async move {
            let j = store
                .journeys(ws, period, &Breakdown::Property(name.into()))
                .await
                .unwrap();
            let mut g: Vec<Option<String>> = j
                .rows
                .iter()
                .map(|r| j.group(r).map(str::to_owned))
                .collect();
            g.sort();
            g
        }
    };
    let s = |v: &str| Some(v.to_owned());
    assert_eq!(groups("vip").await, [s("no"), s("yes"), s("yes")]);
    assert_eq!(groups("tools").await, [None, s("Excel, Slack"), s("Slack")]);
    assert_eq!(groups("seats").await, [None, s("2.5"), s("40")]);
}
