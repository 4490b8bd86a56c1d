//! Conformance: sites, hits in sessions, the traffic aggregates, stitching and erasure.

use std::sync::Arc;

use closer_domain::traffic::channel::classify;
use closer_domain::traffic::{Hit, HitKind, Props, SiteDomain, SiteId, Utm, VisitorKey};
use closer_domain::{EventKind, Timestamp, WorkspaceId};

use super::contacts::{draft, upsert};
use super::workspace;
use crate::{Bucket, Link, Site, Store, StoreError, TrafficQuery};

/// 2026-12-27T00:00:00Z: fixed, so hour buckets are predictable.
const T0: i64 = 1_798_329_600_000_000;

pub(super) fn at(minutes: i64) -> Timestamp {
    Timestamp::from_unix_micros(T0 + minutes * 60_000_000).unwrap()
}

pub(super) async fn site(store: &dyn Store, ws: WorkspaceId) -> Site {
    let domain = format!(
        "s{}.example.com",
        &uuid::Uuid::new_v4().simple().to_string()[..10]
    );
    let site = Site {
        id: SiteId::new(),
        workspace_id: ws,
        domain: SiteDomain::parse(&domain).unwrap(),
        created_at: Timestamp::now(),
    };
    store.create_site(&site).await.unwrap();
    site
}

pub(super) fn visitor(name: &str) -> VisitorKey {
    VisitorKey::client(&format!("{name}-{}", uuid::Uuid::new_v4().simple())).unwrap()
}

pub(super) fn hit(
    site: &Site,
    who: &VisitorKey,
    kind: HitKind,
    minute: i64,
    path: &str,
    referrer: Option<&str>,
    utm: &Utm,
) -> Hit {
    Hit {
        workspace_id: site.workspace_id,
        site_id: site.id,
        visitor: who.clone(),
        kind,
        occurred_at: at(minute),
        path: path.into(),
        attribution: classify(referrer, utm, None),
        props: Props::new(),
        revenue: None,
        interactive: true,
    }
}

fn query(site: Option<&Site>) -> TrafficQuery {
    TrafficQuery {
        site: site.map(|s| s.id),
        from: at(0),
        to: at(24 * 60),
        bucket: Bucket::Hour,
        limit: 10,
    }
}

pub async fn sites_round_trip(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "sites").await;
    let s = site(&*store, ws).await;
    assert_eq!(store.list_sites(Some(ws)).await.unwrap(), vec![s.clone()]);
    assert!(store.list_sites(None).await.unwrap().contains(&s));
    let other = workspace(&*store, "sites-other").await;
    let dup = Site {
        id: SiteId::new(),
        workspace_id: other,
        ..s.clone()
    };
    let err = store.create_site(&dup).await.unwrap_err();
    assert!(err.is_conflict_on(crate::SITE_DOMAIN_CONSTRAINT), "{err:?}");
    assert!(store.list_sites(Some(other)).await.unwrap().is_empty());
}

pub async fn hits_become_sessions_and_aggregates(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "traffic").await;
    let s = site(&*store, ws).await;
    let (a, b) = (visitor("a"), visitor("b"));
    let paid = Utm {
        source: Some("google".into()),
        medium: Some("cpc".into()),
        campaign: Some("spring".into()),
        ..Utm::default()
    };
    let recorded = store
        .record_hits(
            vec![
                hit(&s, &a, HitKind::Pageview, 0, "/", Some("google.com"), &paid),
                hit(
                    &s,
                    &a,
                    HitKind::Pageview,
                    5,
                    "/pricing",
                    None,
                    &Utm::default(),
                ),
                hit(
                    &s,
                    &a,
                    HitKind::Engagement,
                    9,
                    "/pricing",
                    None,
                    &Utm::default(),
                ),
                // 61 minutes later: a new session, direct.
                hit(&s, &a, HitKind::Pageview, 70, "/", None, &Utm::default()),
                hit(
                    &s,
                    &b,
                    HitKind::Pageview,
                    3,
                    "/blog",
                    Some("news.ycombinator.com"),
                    &Utm::default(),
                ),
                hit(
                    &s,
                    &b,
                    HitKind::Custom("Signup".into()),
                    4,
                    "/blog",
                    None,
                    &Utm::default(),
                ),
            ]
            .into(),
        )
        .await
        .unwrap();
    assert_eq!((recorded.events, recorded.new_sessions), (5, 3));
    // A later batch continues b's session.
    let more = store
        .record_hits(
            vec![hit(
                &s,
                &b,
                HitKind::Pageview,
                20,
                "/pricing",
                None,
                &Utm::default(),
            )]
            .into(),
        )
        .await
        .unwrap();
    assert_eq!((more.events, more.new_sessions), (1, 0));

    let r = store.traffic(ws, &query(Some(&s))).await.unwrap();
    assert_eq!(
        (r.totals.visitors, r.totals.sessions, r.totals.pageviews),
        (2, 3, 5)
    );
    // a's second session (one page view) bounced; b's has a signup and two pages.
    assert_eq!(r.totals.bounces, 1);
    assert_eq!(r.totals.duration_micros, (9 + 17) * 60_000_000);
    let page = |p: &str| {
        r.pages
            .iter()
            .find(|x| x.path == p)
            .map(|x| (x.pageviews, x.visitors))
    };
    assert_eq!(
        (page("/"), page("/pricing"), page("/blog")),
        (Some((2, 1)), Some((2, 2)), Some((1, 1)))
    );
    let channel = |c: &str| {
        r.channels
            .iter()
            .find(|x| x.key.as_deref() == Some(c))
            .map(|x| x.totals.sessions)
    };
    assert_eq!(
        (
            channel("paid_search"),
            channel("direct"),
            channel("organic_social")
        ),
        (Some(1), Some(1), Some(1))
    );
    assert!(
        r.sources
            .iter()
            .any(|x| x.key.as_deref() == Some("Hacker News"))
    );
    assert!(
        r.campaigns
            .iter()
            .any(|x| x.key.as_deref() == Some("spring") && x.totals.visitors == 1)
    );
    let hours: Vec<(i64, i64)> = r
        .series
        .iter()
        .map(|x| {
            (
                (x.bucket_start.unix_micros() - T0) / 3_600_000_000,
                x.totals.sessions,
            )
        })
        .collect();
    assert_eq!(hours, [(0, 2), (1, 1)]);
    assert_eq!(r.entry_pages.iter().map(|p| p.pageviews).sum::<i64>(), 3);

    // All of the workspace's sites, and nothing outside the range or the workspace.
    assert_eq!(
        store.traffic(ws, &query(None)).await.unwrap().totals,
        r.totals
    );
    let late = TrafficQuery {
        from: at(24 * 60),
        to: at(48 * 60),
        ..query(Some(&s))
    };
    assert_eq!(store.traffic(ws, &late).await.unwrap().totals.sessions, 0);
    let other = workspace(&*store, "traffic-other").await;
    assert_eq!(
        store
            .traffic(other, &query(Some(&s)))
            .await
            .unwrap()
            .totals
            .sessions,
        0
    );
}

pub async fn a_visitor_becomes_a_contact_with_their_history(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "stitch").await;
    let s = site(&*store, ws).await;
    let v = visitor("lead");
    let social = Utm {
        source: Some("linkedin".into()),
        campaign: Some("launch".into()),
        ..Utm::default()
    };
    store
        .record_hits(
            vec![
                hit(&s, &v, HitKind::Pageview, 0, "/", None, &social),
                hit(
                    &s,
                    &v,
                    HitKind::Pageview,
                    90,
                    "/pricing",
                    Some("google.com"),
                    &Utm::default(),
                ),
            ]
            .into(),
        )
        .await
        .unwrap();
    let mut req = upsert(draft("stitched@example.com"));
    req.visitor = Some(v.clone());
    let contact = store.upsert_contact(ws, req).await.unwrap().contact;
    // An event after identification goes straight to the contact.
    store
        .record_hits(
            vec![hit(
                &s,
                &v,
                HitKind::Custom("Demo requested".into()),
                95,
                "/demo",
                None,
                &Utm::default(),
            )]
            .into(),
        )
        .await
        .unwrap();

    let timeline = store
        .contact_events(ws, contact.id, 50, None)
        .await
        .unwrap();
    let kinds: Vec<EventKind> = timeline.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == EventKind::Pageview).count(),
        2,
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
    let demo = timeline
        .iter()
        .find(|e| e.kind == EventKind::CustomEvent)
        .unwrap();
    assert_eq!(demo.properties["name"], "Demo requested");
    assert_eq!(demo.properties["site"], s.domain.as_str());
    // Timeline pages cover every row once.
    let first = store.contact_events(ws, contact.id, 2, None).await.unwrap();
    let cursor = crate::Cursor::new(first[1].occurred_at, first[1].id.0);
    let rest = store
        .contact_events(ws, contact.id, 50, Some(cursor))
        .await
        .unwrap();
    assert_eq!(first.len() + rest.len(), timeline.len());

    let touches = store.contact_touches(ws, contact.id).await.unwrap();
    assert_eq!(touches.len(), 2);
    assert_eq!(
        (
            touches[0].channel.as_str(),
            touches[0].source.as_deref(),
            touches[0].campaign.as_deref()
        ),
        ("organic_social", Some("LinkedIn"), Some("launch"))
    );
    assert_eq!(touches[1].channel.as_str(), "organic_search");

    // The guard rail: the visitor is taken, so another contact cannot claim it.
    let other = store
        .upsert_contact(ws, upsert(draft("someone-else@example.com")))
        .await
        .unwrap()
        .contact;
    assert_eq!(
        store
            .link_visitor(ws, &v, other.id, Timestamp::now())
            .await
            .unwrap(),
        Link::Other(contact.id)
    );
    assert_eq!(
        store
            .link_visitor(ws, &v, contact.id, Timestamp::now())
            .await
            .unwrap(),
        Link::Already
    );
    let mut again = upsert(draft("someone-else@example.com"));
    again.visitor = Some(v.clone());
    store.upsert_contact(ws, again).await.unwrap();
    assert!(
        store
            .contact_touches(ws, other.id)
            .await
            .unwrap()
            .is_empty()
    );
    // A second device of the same person links too.
    let phone = visitor("phone");
    store
        .record_hits(
            vec![hit(
                &s,
                &phone,
                HitKind::Pageview,
                200,
                "/",
                None,
                &Utm::default(),
            )]
            .into(),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .link_visitor(ws, &phone, contact.id, Timestamp::now())
            .await
            .unwrap(),
        Link::Linked
    );
    assert_eq!(
        store.contact_touches(ws, contact.id).await.unwrap().len(),
        3
    );

    // Another workspace cannot link to this contact.
    let foreign = workspace(&*store, "stitch-other").await;
    let err = store
        .link_visitor(foreign, &visitor("x"), contact.id, Timestamp::now())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");

    // Erasure takes the tracked history with it.
    store
        .erase_contact(ws, contact.id, Timestamp::now())
        .await
        .unwrap();
    let r = store
        .traffic(
            ws,
            &TrafficQuery {
                to: at(48 * 60),
                ..query(Some(&s))
            },
        )
        .await
        .unwrap();
    assert_eq!(
        r.totals.sessions, 0,
        "every session of an erased contact's visitors is gone"
    );
    assert!(
        store
            .contact_touches(ws, contact.id)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn daily_salts_are_shared_and_rotated(store: Arc<dyn Store>) {
    let day = 20_000;
    let a = store.daily_salt(day).await.unwrap();
    assert_eq!(a.len(), 32);
    assert_eq!(
        store.daily_salt(day).await.unwrap(),
        a,
        "one salt per day, whoever asks"
    );
    let b = store.daily_salt(day + 1).await.unwrap();
    assert_ne!(a, b);
}

/// A hit that arrives late, dated before its session's stored start (a server's batch, a
/// delayed beacon), moves the start back in the next batch; later hits do not move it.
pub async fn a_late_hit_moves_the_session_start(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "late").await;
    let s = site(&*store, ws).await;
    let v = visitor("late");
    let page = |minute| {
        hit(
            &s,
            &v,
            HitKind::Pageview,
            minute,
            "/",
            None,
            &Utm::default(),
        )
    };
    store.record_hits(vec![page(10)].into()).await.unwrap();
    store.record_hits(vec![page(20)].into()).await.unwrap();
    store.record_hits(vec![page(4)].into()).await.unwrap();
    let r = store.traffic(ws, &query(Some(&s))).await.unwrap();
    assert_eq!((r.totals.sessions, r.totals.pageviews), (1, 3));
    assert_eq!(
        r.totals.duration_micros,
        16 * 60_000_000,
        "from minute 4 to minute 20"
    );
    let hours: Vec<i64> = r
        .series
        .iter()
        .map(|x| x.bucket_start.unix_micros())
        .collect();
    assert_eq!(hours, [T0], "the session starts in the first hour");
}

/// A purchase's revenue is kept exactly (a decimal, never a float) and reaches the contact's
/// timeline, whether its hits came one by one (`record_hits`) or in a bulk load of new
/// visitors (`record_new_traffic`, which on PostgreSQL writes such hits row by row: its
/// binary copy does not encode `numeric`).
pub async fn purchases_keep_their_revenue(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "revenue").await;
    let s = site(&*store, ws).await;
    let hits_of = |who: &VisitorKey, amount: &str| {
        let mut purchase = hit(
            &s,
            who,
            HitKind::Custom("Purchase".into()),
            5,
            "/checkout",
            None,
            &Utm::default(),
        );
        purchase.revenue = Some(closer_domain::traffic::Revenue {
            amount: amount.into(),
            currency: "EUR".into(),
        });
        vec![
            hit(&s, who, HitKind::Pageview, 0, "/", None, &Utm::default()),
            purchase,
        ]
    };
    let one_by_one = visitor("row");
    let bulk = visitor("bulk");
    store
        .record_hits(hits_of(&one_by_one, "49.90").into())
        .await
        .unwrap();
    store
        .record_new_traffic(hits_of(&bulk, "1234567.05").into())
        .await
        .unwrap();
    for (who, email, amount) in [
        (&one_by_one, "row@example.com", "49.90"),
        (&bulk, "bulk@example.com", "1234567.05"),
    ] {
        let mut req = upsert(draft(email));
        req.visitor = Some(who.clone());
        let contact = store.upsert_contact(ws, req).await.unwrap().contact;
        let timeline = store
            .contact_events(ws, contact.id, 50, None)
            .await
            .unwrap();
        let purchase = timeline
            .iter()
            .find(|e| e.kind == EventKind::CustomEvent)
            .unwrap_or_else(|| panic!("{email}: {timeline:?}"));
        assert_eq!(purchase.properties["name"], "Purchase", "{email}");
        assert_eq!(purchase.properties["revenue"], amount, "{email}");
        assert_eq!(purchase.properties["currency"], "EUR", "{email}");
        assert_eq!(
            timeline
                .iter()
                .filter(|e| e.kind == EventKind::Pageview)
                .count(),
            1,
            "{email}"
        );
    }
    let q = TrafficQuery {
        site: Some(s.id),
        ..query(None)
    };
    let totals = store.traffic(ws, &q).await.unwrap().totals;
    assert_eq!(totals.sessions, 2, "{totals:?}");
}

pub async fn every_channel_with_visitors_is_in_the_breakdown(store: Arc<dyn Store>) {
    use closer_domain::traffic::channel::Channel;
    let ws = workspace(&*store, "channels").await;
    let s = site(&*store, ws).await;
    let hits: Vec<Hit> = Channel::ALL
        .iter()
        .enumerate()
        .map(|(i, channel)| {
            let who = visitor(channel.as_str());
            let mut h = hit(&s, &who, HitKind::Pageview, 10, "/", None, &Utm::default());
            h.attribution.channel = *channel;
            h.occurred_at = at(10 + i64::try_from(i).unwrap());
            h
        })
        .collect();
    store.record_hits(hits.into()).await.unwrap();
    // Fewer rows than channels for pages, sources and campaigns: channels are all listed.
    let q = TrafficQuery {
        limit: 3,
        ..query(Some(&s))
    };
    let r = store.traffic(ws, &q).await.unwrap();
    let mut listed: Vec<&str> = r.channels.iter().filter_map(|c| c.key.as_deref()).collect();
    listed.sort_unstable();
    let mut all: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
    all.sort_unstable();
    assert_eq!(listed, all);
    assert_eq!(
        r.channels.iter().map(|c| c.totals.visitors).sum::<i64>(),
        r.totals.visitors,
        "the channel rows add up to the totals"
    );
}
