//! Conformance: a bulk load (`BulkStore`) leaves what the row-at-a-time operations leave. One
//! lead's history — visits, capture, a call, qualification, a won deal, a repeat order — is
//! written both ways into two workspaces, and every report read agrees; afterwards the row
//! paths' triggers still run, a second load into the filled workspace is refused, and a third
//! workspace saw nothing.

use std::sync::Arc;
use std::time::Duration;

use closer_domain::pipeline::{
    Activity, ActivityKind, Amount, Currency, Deal, DealId, DealStatus, Order, OrderId, OrderLine,
    OrderSource, Pipeline, default_loss_reasons, plan_move,
};
use closer_domain::reports::Breakdown;
use closer_domain::traffic::{HitKind, Utm, VisitorKey};
use closer_domain::{Contact, ContactId, Stage, Timestamp, WorkspaceId};

use super::contacts::{draft, upsert};
use super::pipeline::pipeline;
use super::reports::call;
use super::traffic::{hit, site, visitor};
use super::workspace;
use crate::{
    BULK_NOT_EMPTY, DealMove, DealStageRow, PeopleLoad, Period, Site, StageMove, StageRow, Store,
    StoreError,
};
use closer_domain::contact::upsert::stage_event;

/// The story's moments, from its first visit.
struct Times {
    visits: [Timestamp; 3],
    lead: Timestamp,
    call: Timestamp,
    prospect: Timestamp,
    deal: Timestamp,
    won: Timestamp,
    repeat: Timestamp,
}

fn times() -> Times {
    let base = Timestamp::new(Timestamp::now().get() - Duration::from_hours(20 * 24));
    let at = |hours: u64| Timestamp::new(base.get() + Duration::from_hours(hours));
    Times {
        visits: [
            base,
            Timestamp::new(base.get() + Duration::from_mins(1)),
            at(48),
        ],
        lead: at(49),
        call: at(51),
        prospect: at(72),
        deal: at(96),
        won: at(200),
        repeat: at(300),
    }
}

fn hits_of(s: &Site, who: &VisitorKey, t: &Times) -> Vec<closer_domain::traffic::Hit> {
    let spring = Utm {
        campaign: Some("spring".into()),
        source: Some("newsletter".into()),
        medium: Some("email".into()),
        ..Utm::default()
    };
    t.visits
        .iter()
        .enumerate()
        .map(|(i, at)| {
            let utm = if i == 2 {
                Utm::default()
            } else {
                spring.clone()
            };
            let mut h = hit(s, who, HitKind::Pageview, 0, "/", None, &utm);
            h.occurred_at = *at;
            h
        })
        .collect()
}

fn order(contact: ContactId, deal: Option<DealId>, units: &str, at: Timestamp) -> Order {
    let amount = Amount::parse("amount", units).unwrap();
    Order {
        id: OrderId::new(),
        contact_id: contact,
        deal_id: deal,
        currency: Currency::USD,
        lines: vec![OrderLine {
            product: "Plan".into(),
            quantity: 1,
            unit_price: amount,
        }],
        total: amount,
        source: if deal.is_some() {
            OrderSource::Deal
        } else {
            OrderSource::Api
        },
        placed_at: at,
        created_at: at,
    }
}

/// A demo logged on the deal: written after the deal it names.
fn on_deal(contact: ContactId, deal: DealId, at: Timestamp) -> Activity {
    Activity {
        deal_id: Some(deal),
        kind: ActivityKind::Demo,
        ..call(contact, at, at)
    }
}

fn deal(p: &Pipeline, contact: ContactId, at: Timestamp) -> Deal {
    Deal {
        id: DealId::new(),
        pipeline_id: p.id,
        stage_id: p.first_open().id,
        status: DealStatus::Open,
        contact_id: contact,
        company: None,
        company_id: None,
        title: "Plan".into(),
        amount: Amount::parse("amount", "1200").unwrap(),
        currency: Currency::USD,
        expected_close: None,
        owner_id: None,
        source: None,
        loss: None,
        closed_at: None,
        created_at: at,
        updated_at: at,
        properties: serde_json::Map::new(),
    }
}

/// The story through the row-at-a-time operations.
async fn row_by_row(store: &dyn Store, ws: WorkspaceId, t: &Times) -> ContactId {
    let s = site(store, ws).await;
    let who = visitor("bulk-rows");
    store
        .record_hits(hits_of(&s, &who, t).into())
        .await
        .unwrap();
    let mut req = upsert(draft("story@example.com"));
    req.visitor = Some(who);
    req.now = t.lead;
    let contact = store.upsert_contact(ws, req).await.unwrap().contact;
    store
        .add_activity(ws, &call(contact.id, t.call, t.call), &[])
        .await
        .unwrap();
    let to_prospect = StageMove {
        contact: contact.id,
        from: Stage::Lead,
        to: Stage::Prospect,
        actor: "test".into(),
    };
    store
        .move_stages(ws, &[to_prospect], t.prospect)
        .await
        .unwrap();
    let p = pipeline(store, ws).await;
    let d = deal(&p, contact.id, t.deal);
    store
        .create_deal(ws, &d, &p.first_open().name, "test")
        .await
        .unwrap();
    store
        .add_activity(ws, &on_deal(contact.id, d.id, t.deal), &[])
        .await
        .unwrap();
    let won = p.stage_named("Won").unwrap();
    let plan = plan_move(&d, &p, won, None, None, &default_loss_reasons(), t.won).unwrap();
    let mv = DealMove {
        deal: d.id,
        plan,
        stage_name: won.name.clone(),
        actor: "test".into(),
        order: Some(order(contact.id, Some(d.id), "1200", t.won)),
        amount: None,
    };
    store.move_deal(ws, &mv, t.won).await.unwrap();
    store
        .add_order(ws, &order(contact.id, None, "300", t.repeat), "test")
        .await
        .unwrap();
    contact.id
}

/// The same story as rows for `load_people`.
async fn bulk(store: &dyn Store, ws: WorkspaceId, t: &Times) -> PeopleLoad {
    let s = site(store, ws).await;
    let who = visitor("bulk-load");
    store
        .record_new_traffic(hits_of(&s, &who, t).into())
        .await
        .unwrap();
    let p = pipeline(store, ws).await;
    let mut contact = Contact::from_draft(ContactId::new(), ws, draft("story@example.com"), t.lead);
    let id = contact.id;
    contact.stage = Stage::Customer;
    contact.updated_at = t.won;
    let span = |stage, from, to: Option<Timestamp>| StageRow {
        contact: id,
        stage,
        entered_at: from,
        left_at: to,
        changed_by: "test".into(),
    };
    let mut d = deal(&p, id, t.deal);
    let won = p.stage_named("Won").unwrap();
    d.stage_id = won.id;
    d.status = DealStatus::Won;
    d.closed_at = Some(t.won);
    d.updated_at = t.won;
    PeopleLoad {
        contacts: vec![contact],
        stages: vec![
            span(Stage::Lead, t.lead, Some(t.prospect)),
            span(Stage::Prospect, t.prospect, Some(t.deal)),
            span(Stage::Opportunity, t.deal, Some(t.won)),
            span(Stage::Customer, t.won, None),
        ],
        events: vec![
            (id, stage_event(None, Stage::Lead, "test", t.lead)),
            (
                id,
                stage_event(Some(Stage::Lead), Stage::Prospect, "test", t.prospect),
            ),
            (
                id,
                stage_event(Some(Stage::Prospect), Stage::Opportunity, "test", t.deal),
            ),
            (
                id,
                stage_event(Some(Stage::Opportunity), Stage::Customer, "test", t.won),
            ),
        ],
        links: vec![(who, id, t.lead)],
        activities: vec![call(id, t.call, t.call), on_deal(id, d.id, t.deal)],
        deal_stages: vec![
            DealStageRow {
                deal: d.id,
                stage_id: p.first_open().id,
                stage_name: p.first_open().name.clone(),
                entered_at: t.deal,
                left_at: Some(t.won),
                changed_by: "test".into(),
            },
            DealStageRow {
                deal: d.id,
                stage_id: won.id,
                stage_name: won.name.clone(),
                entered_at: t.won,
                left_at: None,
                changed_by: "test".into(),
            },
        ],
        orders: vec![
            order(id, Some(d.id), "1200", t.won),
            order(id, None, "300", t.repeat),
        ],
        deals: vec![d],
    }
}

/// A period around the whole story.
fn period_of_story() -> Period {
    Period {
        from: Timestamp::new(Timestamp::now().get() - Duration::from_hours(60 * 24)),
        to: Timestamp::new(Timestamp::now().get() + Duration::from_hours(1)),
    }
}

/// Everything the reports read of a workspace, with its own ids left out.
async fn read(store: &dyn Store, ws: WorkspaceId) -> String {
    let period = Period {
        from: Timestamp::new(Timestamp::now().get() - Duration::from_hours(60 * 24)),
        to: Timestamp::now(),
    };
    let by = Breakdown::Channel;
    let orders: Vec<_> = store
        .orders_until(ws, period.to, &by)
        .await
        .unwrap()
        .into_iter()
        .map(|o| (o.group, o.placed_at, o.total_units))
        .collect();
    [
        format!("{:?}", store.journeys(ws, period, &by).await.unwrap()),
        format!("{:?}", store.new_visitors(ws, period, &by).await.unwrap()),
        format!("{:?}", store.won_deals(ws, period, &by).await.unwrap()),
        format!("{:?}", store.lost_deals(ws, period, &by).await.unwrap()),
        format!("{:?}", store.stage_stays(ws, period, &by).await.unwrap()),
        format!("{:?}", store.lead_responses(ws, period, &by).await.unwrap()),
        format!("{orders:?}"),
        format!(
            "{:?}",
            store
                .conversion_paths(ws, period, &crate::ALL_CONVERSIONS)
                .await
                .unwrap()
        ),
    ]
    .join("\n")
}

pub async fn a_bulk_load_leaves_what_the_row_paths_leave(store: Arc<dyn Store>) {
    let t = times();
    let rows = workspace(&*store, "bulk-rows").await;
    let loaded = workspace(&*store, "bulk-load").await;
    let untouched = workspace(&*store, "bulk-other").await;
    let written = row_by_row(&*store, rows, &t).await;
    let people = Arc::new(bulk(&*store, loaded, &t).await);
    store.load_people(loaded, people.clone()).await.unwrap();

    let expected = read(&*store, rows).await;
    assert!(expected.contains("spring"), "{expected}");
    assert_eq!(read(&*store, loaded).await, expected);
    // The contact's own history and timeline (events, visits, activities, orders) too.
    let id = people.contacts[0].id;
    let spans = |h: Vec<crate::StageSpan>| {
        h.into_iter()
            .map(|s| (s.stage, s.entered_at, s.left_at))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        spans(store.stage_history(loaded, id).await.unwrap()),
        spans(store.stage_history(rows, written).await.unwrap())
    );
    // Entries at the same moment may come in either order (their ids were made apart).
    let timeline = |e: Vec<closer_domain::Event>| {
        let mut t: Vec<_> = e
            .into_iter()
            .map(|e| (e.occurred_at, format!("{:?}", e.kind)))
            .collect();
        t.sort();
        t
    };
    let of_rows = timeline(store.contact_events(rows, written, 50, None).await.unwrap());
    assert!(of_rows.len() >= 8, "{of_rows:?}");
    assert_eq!(
        timeline(store.contact_events(loaded, id, 50, None).await.unwrap()),
        of_rows
    );

    // The workspace is no longer empty: a second load is refused and writes nothing.
    let sites = store.list_sites(Some(loaded)).await.unwrap();
    let traffic = |ws| {
        let store = store.clone();
        async move {
            let q = crate::TrafficQuery {
                site: None,
                from: period_of_story().from,
                to: period_of_story().to,
                bucket: crate::Bucket::Day,
                limit: 10,
            };
            let all = store.traffic(ws, &q).await.unwrap().totals;
            let by_site = store
                .new_visitors(ws, period_of_story(), &Breakdown::Site)
                .await
                .unwrap();
            (all, by_site)
        }
    };
    let before = traffic(loaded).await;
    assert_eq!(before.0.sessions, 2, "{before:?}");
    let again = Arc::new(bulk(&*store, loaded, &t).await);
    match store.load_people(loaded, again).await {
        Err(StoreError::Conflict { constraint }) => assert_eq!(constraint, BULK_NOT_EMPTY),
        other => panic!("a second load: {other:?}"),
    }
    assert_eq!(store.count_contacts(loaded).await.unwrap(), 1);
    // Its traffic was stored first, on a site of its own: discarding that site takes all of
    // it back, and leaves the first load's site and visits as they were.
    let second = store.list_sites(Some(loaded)).await.unwrap();
    let extra: Vec<_> = second.iter().filter(|s| !sites.contains(s)).collect();
    assert_eq!(extra.len(), 1, "{second:?}");
    assert_ne!(
        traffic(loaded).await,
        before,
        "the second load's traffic is there"
    );
    store.discard_site(loaded, extra[0].id).await.unwrap();
    assert_eq!(store.list_sites(Some(loaded)).await.unwrap(), sites);
    assert_eq!(traffic(loaded).await, before);
    // The triggers are back: a lead captured the usual way has a journey.
    store
        .upsert_contact(loaded, upsert(draft("later@example.com")))
        .await
        .unwrap();
    let period = Period {
        from: Timestamp::new(Timestamp::now().get() - Duration::from_hours(60 * 24)),
        to: Timestamp::new(Timestamp::now().get() + Duration::from_hours(1)),
    };
    let journeys = store
        .journeys(loaded, period, &Breakdown::Total)
        .await
        .unwrap();
    assert_eq!(journeys.rows.len(), 2);
    assert_eq!(store.count_contacts(untouched).await.unwrap(), 0);
    assert!(
        store
            .journeys(untouched, period, &Breakdown::Total)
            .await
            .unwrap()
            .rows
            .is_empty()
    );
}
