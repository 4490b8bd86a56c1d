//! Conformance: listing contacts — filters, search, sorting and keyset pages.

use std::collections::HashSet;
use std::sync::Arc;

use closer_domain::{ContactDraft, ContactPatch, Stage, Timestamp, UserId};

use super::contacts::{draft, email, upsert};
use super::workspace;
use crate::{ContactQuery, ContactSort, OwnerFilter, Store, User};

fn at(rfc: &str) -> Timestamp {
    Timestamp::parse_rfc3339(rfc).unwrap()
}

pub async fn list_filters(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "filters").await;
    let rep = User {
        id: UserId::new(),
        workspace_id: ws,
        email: email("rep@acme.example.com"),
        name: "Rep".into(),
        role: "rep".into(),
        created_at: Timestamp::now(),
    };
    store.create_user(&rep).await.unwrap();
    let rows = [
        (
            "ada@example.com",
            Some("Ada Lovelace"),
            Some("Analytical"),
            Stage::Lead,
            None,
            "2026-01-10T00:00:00Z",
        ),
        (
            "bob@example.com",
            Some("Bob"),
            Some("Acme Corp"),
            Stage::Prospect,
            Some(rep.id),
            "2026-02-10T00:00:00Z",
        ),
        (
            "cy@acme.example.com",
            None,
            None,
            Stage::Customer,
            Some(rep.id),
            "2026-03-10T00:00:00Z",
        ),
    ];
    for (mail, name, company, stage, owner, created) in rows {
        let d = ContactDraft {
            name: name.map(Into::into),
            company: company.map(Into::into),
            stage: Some(stage),
            owner_id: owner,
            ..draft(mail)
        };
        let mut req = upsert(d);
        req.now = at(created);
        store.upsert_contact(ws, req).await.unwrap();
    }
    let emails = |q: ContactQuery| {
        let store = store.clone();
        async move {
            let page = store
                .list_contacts(ws, &ContactQuery { limit: 50, ..q })
                .await
                .unwrap();
            let mut list: Vec<String> =
                page.items.iter().map(|c| c.emails[0].to_string()).collect();
            list.sort();
            list
        }
    };
    assert_eq!(
        emails(ContactQuery {
            stage: Some(Stage::Prospect),
            ..ContactQuery::default()
        })
        .await,
        ["bob@example.com"]
    );
    assert_eq!(
        emails(ContactQuery {
            owner: Some(OwnerFilter::User(rep.id)),
            ..ContactQuery::default()
        })
        .await,
        ["bob@example.com", "cy@acme.example.com"]
    );
    assert_eq!(
        emails(ContactQuery {
            owner: Some(OwnerFilter::Unassigned),
            ..ContactQuery::default()
        })
        .await,
        ["ada@example.com"]
    );
    assert_eq!(
        emails(ContactQuery {
            created_from: Some(at("2026-02-01T00:00:00Z")),
            created_to: Some(at("2026-03-01T00:00:00Z")),
            ..ContactQuery::default()
        })
        .await,
        ["bob@example.com"],
        "created range is [from, to)"
    );
    // q matches name, email and company, case-insensitively.
    assert_eq!(
        emails(ContactQuery {
            q: Some("LOVELACE".into()),
            ..ContactQuery::default()
        })
        .await,
        ["ada@example.com"]
    );
    assert_eq!(
        emails(ContactQuery {
            q: Some("acme".into()),
            ..ContactQuery::default()
        })
        .await,
        ["bob@example.com", "cy@acme.example.com"]
    );
    // LIKE wildcards in q are literal.
    assert!(
        emails(ContactQuery {
            q: Some("%".into()),
            ..ContactQuery::default()
        })
        .await
        .is_empty()
    );
    assert!(
        emails(ContactQuery {
            q: Some("_".into()),
            ..ContactQuery::default()
        })
        .await
        .is_empty()
    );
}

pub async fn list_pages_cover_every_row_once(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "pages").await;
    // Several rows share a created time, so the id must break ties.
    let same = at("2026-05-01T00:00:00Z");
    for i in 0..23 {
        let mut req = upsert(draft(&format!("p{i}@example.com")));
        req.now = if i % 3 == 0 { same } else { Timestamp::now() };
        store.upsert_contact(ws, req).await.unwrap();
    }
    for sort in [
        ContactSort::CreatedDesc,
        ContactSort::CreatedAsc,
        ContactSort::UpdatedDesc,
        ContactSort::UpdatedAsc,
    ] {
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = store
                .list_contacts(
                    ws,
                    &ContactQuery {
                        limit: 5,
                        sort,
                        after,
                        ..ContactQuery::default()
                    },
                )
                .await
                .unwrap();
            assert!(page.items.len() <= 5);
            seen.extend(page.items.iter().map(|c| {
                (
                    if sort.by_updated() {
                        c.updated_at
                    } else {
                        c.created_at
                    },
                    c.id,
                )
            }));
            match page.next {
                Some(cursor) => after = Some(cursor),
                None => break,
            }
        }
        let unique: HashSet<_> = seen.iter().map(|(_, id)| *id).collect();
        assert_eq!(unique.len(), 23, "{sort:?}: every row once");
        assert_eq!(seen.len(), 23, "{sort:?}: no row twice");
        let mut sorted = seen.clone();
        sorted.sort();
        if sort.descending() {
            sorted.reverse();
        }
        assert_eq!(seen, sorted, "{sort:?}: in order");
    }
}

pub async fn list_sorts_by_updated(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "updated").await;
    let mut first = upsert(draft("first@example.com"));
    first.now = at("2026-01-01T00:00:00Z");
    let first = store.upsert_contact(ws, first).await.unwrap().contact;
    let mut second = upsert(draft("second@example.com"));
    second.now = at("2026-01-02T00:00:00Z");
    store.upsert_contact(ws, second).await.unwrap();
    let patch = ContactPatch {
        name: Some(Some("Touched".into())),
        ..ContactPatch::default()
    };
    store
        .patch_contact(ws, first.id, &patch, "x", at("2026-01-03T00:00:00Z"))
        .await
        .unwrap();
    let page = store
        .list_contacts(
            ws,
            &ContactQuery {
                limit: 10,
                sort: ContactSort::UpdatedDesc,
                ..ContactQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.items[0].id, first.id, "recently updated first");
    let page = store
        .list_contacts(
            ws,
            &ContactQuery {
                limit: 10,
                ..ContactQuery::default()
            },
        )
        .await
        .unwrap();
    assert_ne!(
        page.items[0].id, first.id,
        "newest created first by default"
    );
}

/// The further filters: score ranges, the first touch's source and campaign, a custom
/// property's value (a checkbox as yes/no, a multi-select by any option), and activity since
/// or idle since — each alone and together, and counted as listed.
pub async fn lists_filter_by_scores_sources_properties_and_activity(store: Arc<dyn Store>) {
    use closer_domain::pipeline::{Activity, ActivityId, ActivityKind};
    use closer_domain::traffic::{HitKind, Utm};
    use serde_json::json;
    let ws = workspace(&*store, "more-filters").await;
    let s = super::traffic::site(&*store, ws).await;
    let ad = super::traffic::visitor("ad");
    let utm = Utm {
        source: Some("google".into()),
        medium: Some("cpc".into()),
        campaign: Some("spring".into()),
        ..Utm::default()
    };
    let mut h = super::traffic::hit(&s, &ad, HitKind::Pageview, 0, "/", None, &utm);
    h.occurred_at = Timestamp::new(Timestamp::now().get() - std::time::Duration::from_mins(10));
    store.record_hits(vec![h].into()).await.unwrap();
    let mut made = Vec::new();
    for (mail, props, engagement) in [
        (
            "a@example.com",
            json!({"vip": true, "tools": ["Excel", "Slack"], "plan": "Gold"}),
            70.0,
        ),
        (
            "b@example.com",
            json!({"vip": false, "tools": ["Slack"], "plan": "silver"}),
            20.0,
        ),
        ("c@example.com", json!({"plan": "Gold"}), 5.0),
    ] {
        let mut d = draft(mail);
        d.properties = props.as_object().cloned().unwrap();
        let mut req = upsert(d);
        if mail.starts_with('a') {
            req.visitor = Some(ad.clone());
        }
        let c = store.upsert_contact(ws, req).await.unwrap().contact;
        let rec = crate::ScoreRecord {
            fit: engagement / 2.0,
            ..super::qualification::record(c.id, 1, engagement)
        };
        store.save_score(ws, &rec, None).await.unwrap();
        made.push(c.id);
    }
    // B was called an hour ago; A was called two days ago.
    for (who, hours) in [(made[1], 1u64), (made[0], 48)] {
        let call = Activity {
            id: ActivityId::new(),
            contact_id: who,
            deal_id: None,
            kind: ActivityKind::Call,
            occurred_at: Timestamp::new(
                Timestamp::now().get() - std::time::Duration::from_hours(hours),
            ),
            owner_id: None,
            outcome: None,
            text: None,
            created_at: Timestamp::now(),
        };
        store.add_activity(ws, &call, &[]).await.unwrap();
    }
    let day_ago = Timestamp::new(Timestamp::now().get() - std::time::Duration::from_hours(24));
    let prop = |n: &str, v: &str| Some((n.to_owned(), v.to_owned()));
    let range = |min: Option<f64>, max: Option<f64>| crate::ScoreRange { min, max };
    let cases: Vec<(&str, ContactQuery, Vec<usize>)> = vec![
        (
            "engagement ≥ 20",
            ContactQuery {
                engagement: range(Some(20.0), None),
                ..ContactQuery::default()
            },
            vec![0, 1],
        ),
        (
            "engagement 10–50",
            ContactQuery {
                engagement: range(Some(10.0), Some(50.0)),
                ..ContactQuery::default()
            },
            vec![1],
        ),
        (
            "fit ≤ 10",
            ContactQuery {
                fit: range(None, Some(10.0)),
                ..ContactQuery::default()
            },
            vec![1, 2],
        ),
        (
            "source",
            ContactQuery {
                source: Some(closer_domain::traffic::source_name("google")),
                ..ContactQuery::default()
            },
            vec![0],
        ),
        (
            "campaign",
            ContactQuery {
                campaign: Some("spring".into()),
                ..ContactQuery::default()
            },
            vec![0],
        ),
        (
            "campaign none",
            ContactQuery {
                campaign: Some("autumn".into()),
                ..ContactQuery::default()
            },
            vec![],
        ),
        (
            "checkbox yes",
            ContactQuery {
                property: prop("vip", "yes"),
                ..ContactQuery::default()
            },
            vec![0],
        ),
        (
            "checkbox no",
            ContactQuery {
                property: prop("vip", "No"),
                ..ContactQuery::default()
            },
            vec![1],
        ),
        (
            "an option",
            ContactQuery {
                property: prop("tools", "slack"),
                ..ContactQuery::default()
            },
            vec![0, 1],
        ),
        (
            "text, any case",
            ContactQuery {
                property: prop("plan", "gold"),
                ..ContactQuery::default()
            },
            vec![0, 2],
        ),
        (
            "active since",
            ContactQuery {
                active_from: Some(day_ago),
                ..ContactQuery::default()
            },
            vec![1],
        ),
        (
            "idle since",
            ContactQuery {
                active_to: Some(day_ago),
                ..ContactQuery::default()
            },
            vec![0, 2],
        ),
        (
            "together",
            ContactQuery {
                property: prop("plan", "GOLD"),
                engagement: range(Some(50.0), None),
                ..ContactQuery::default()
            },
            vec![0],
        ),
    ];
    for (what, mut q, want) in cases {
        q.limit = 10;
        let mut got: Vec<_> = store
            .list_contacts(ws, &q)
            .await
            .unwrap()
            .items
            .iter()
            .map(|c| c.id)
            .collect();
        got.sort();
        let mut want: Vec<_> = want.into_iter().map(|i| made[i]).collect();
        want.sort();
        assert_eq!(got, want, "{what}");
        assert_eq!(
            store.count_matching(ws, &q, 100).await.unwrap(),
            want.len() as u64,
            "{what}: counted"
        );
    }
}
