//! Conformance: tags and saved views. Tags go on and off many records at once, all or none;
//! each record's and the workspace's read back; the contact list filters and counts by tag;
//! a merge leaves the kept record with every tag, each once; an erasure takes the person's.
//! Views are the team's or a user's own, listed by name, deleted; nothing crosses workspaces.

use std::sync::Arc;

use closer_domain::contact::merge::plan_merge;
use closer_domain::tag::{Tag, ViewOf};
use closer_domain::{CompanyDraft, Stage, Timestamp, UserId};

use super::contacts::{draft, email, upsert};
use super::pipeline::{new_deal, pipeline};
use super::workspace;
use crate::{ContactMerge, ContactQuery, SavedView, Store, StoreError, Tagged, User};

fn tags(raw: &[&str]) -> Vec<Tag> {
    raw.iter().map(|t| Tag::parse(t).unwrap()).collect()
}

fn shown(list: &[(uuid::Uuid, Tag)], id: uuid::Uuid) -> Vec<String> {
    list.iter()
        .filter(|(r, _)| *r == id)
        .map(|(_, t)| t.to_string())
        .collect()
}

#[allow(clippy::too_many_lines)]
pub async fn tags_and_views_round_trip(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "tags").await;
    let other = workspace(&*store, "tags-other").await;
    let mut ids = Vec::new();
    for mail in ["ada@tags.example", "bob@tags.example", "cy@tags.example"] {
        ids.push(
            store
                .upsert_contact(ws, upsert(draft(mail)))
                .await
                .unwrap()
                .contact
                .id
                .0,
        );
    }
    let (ada, bob, cy) = (ids[0], ids[1], ids[2]);
    let stranger = store
        .upsert_contact(other, upsert(draft("zed@tags.example")))
        .await
        .unwrap()
        .contact
        .id
        .0;
    let now = Timestamp::now();
    let c = Tagged::Contacts;

    store
        .retag(ws, c, &[ada, bob], &tags(&["vip", "trade show"]), &[], now)
        .await
        .unwrap();
    store
        .retag(ws, c, &[ada], &tags(&["vip"]), &tags(&["trade show"]), now)
        .await
        .unwrap();
    let held = store.tags_of(ws, c, &[ada, bob, cy]).await.unwrap();
    assert_eq!(shown(&held, ada), ["vip"]);
    assert_eq!(shown(&held, bob), ["trade show", "vip"]);
    assert!(shown(&held, cy).is_empty());

    // One record of another workspace: nothing is written for any.
    let err = store
        .retag(ws, c, &[cy, stranger], &tags(&["lost"]), &[], now)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    assert!(store.tags_of(ws, c, &[cy]).await.unwrap().is_empty());
    assert!(
        store
            .tags_of(other, c, &[stranger])
            .await
            .unwrap()
            .is_empty()
    );
    let err = store
        .retag(ws, c, &[uuid::Uuid::now_v7()], &tags(&["x"]), &[], now)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");

    let counted = store.workspace_tags(ws, c).await.unwrap();
    let counted: Vec<(String, u64)> = counted
        .into_iter()
        .map(|(t, n)| (t.to_string(), n))
        .collect();
    assert_eq!(
        counted,
        [("trade show".to_owned(), 1), ("vip".to_owned(), 2)]
    );
    assert!(store.workspace_tags(other, c).await.unwrap().is_empty());

    // The list filters and counts by tag, with the other filters.
    let by_tag = |t: &str| ContactQuery {
        tag: Some(Tag::parse(t).unwrap()),
        limit: 50,
        ..ContactQuery::default()
    };
    let listed: Vec<uuid::Uuid> = store
        .list_contacts(ws, &by_tag("VIP"))
        .await
        .unwrap()
        .items
        .iter()
        .map(|c| c.id.0)
        .collect();
    assert_eq!(listed.len(), 2);
    assert!(listed.contains(&ada) && listed.contains(&bob));
    assert_eq!(
        store.count_matching(ws, &by_tag("vip"), 100).await.unwrap(),
        2
    );
    let mut customers = by_tag("vip");
    customers.stage = Some(Stage::Customer);
    assert_eq!(store.count_matching(ws, &customers, 100).await.unwrap(), 0);
    assert_eq!(
        store
            .count_matching(ws, &ContactQuery::default(), 100)
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        store
            .count_matching(other, &by_tag("vip"), 100)
            .await
            .unwrap(),
        0
    );
    // Counting stops one past the cap.
    assert_eq!(
        store
            .count_matching(ws, &ContactQuery::default(), 1)
            .await
            .unwrap(),
        2
    );

    // Deals and companies take tags the same way.
    let p = pipeline(&*store, ws).await;
    let deal = new_deal(&p, closer_domain::ContactId(ada), "500");
    store
        .create_deal(ws, &deal, "Qualification", "test")
        .await
        .unwrap();
    store
        .retag(
            ws,
            Tagged::Deals,
            &[deal.id.0],
            &tags(&["renewal"]),
            &[],
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        shown(
            &store
                .tags_of(ws, Tagged::Deals, &[deal.id.0])
                .await
                .unwrap(),
            deal.id.0
        ),
        ["renewal"]
    );
    let company = closer_domain::Company::from_draft(
        closer_domain::CompanyId::new(),
        ws,
        CompanyDraft {
            name: "Acme".into(),
            ..CompanyDraft::default()
        },
        now,
    );
    store.create_company(ws, &company).await.unwrap();
    store
        .retag(
            ws,
            Tagged::Companies,
            &[company.id.0],
            &tags(&["partner"]),
            &[],
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        store.workspace_tags(ws, Tagged::Companies).await.unwrap()[0]
            .0
            .as_str(),
        "partner"
    );

    // A merge: the kept record holds every tag of both, each once.
    let keep = store
        .contact(ws, closer_domain::ContactId(ada))
        .await
        .unwrap();
    let gone = store
        .contact(ws, closer_domain::ContactId(bob))
        .await
        .unwrap();
    let plan = plan_merge(&keep, std::slice::from_ref(&gone)).unwrap();
    let at = Timestamp::now();
    let mut merged = plan.merged.clone();
    merged.updated_at = at;
    store
        .merge_contacts(&ContactMerge {
            merged,
            others: vec![gone.id],
            read: vec![(keep.id, keep.updated_at), (gone.id, gone.updated_at)],
            stage_from: plan.stage_from(),
            event: plan.event(&[gone.id], "test", at),
        })
        .await
        .unwrap();
    let held = store.tags_of(ws, c, &[ada, bob]).await.unwrap();
    assert_eq!(shown(&held, ada), ["trade show", "vip"]);
    assert!(shown(&held, bob).is_empty());

    // An erasure takes the person's tags.
    store
        .erase_contact(ws, keep.id, Timestamp::now())
        .await
        .unwrap();
    assert!(store.workspace_tags(ws, c).await.unwrap().is_empty());

    // Saved views: the team's and a user's own.
    let rita = User {
        id: UserId::new(),
        workspace_id: ws,
        email: email("rita@tags.example"),
        name: "Rita".into(),
        role: "rep".into(),
        created_at: now,
    };
    store.create_user(&rita).await.unwrap();
    let view = |name: &str, owner: Option<UserId>| SavedView {
        id: uuid::Uuid::now_v7(),
        workspace_id: ws,
        owner_id: owner,
        created_by: Some(rita.id),
        list: ViewOf::Contacts,
        name: name.into(),
        query: "tag=vip".into(),
        created_at: now,
    };
    let team = view("VIPs", None);
    let mine = view("My hot ones", Some(rita.id));
    store.create_view(&team).await.unwrap();
    store.create_view(&mine).await.unwrap();
    let names = |list: Vec<SavedView>| list.into_iter().map(|v| v.name).collect::<Vec<_>>();
    assert_eq!(
        names(
            store
                .views(ws, Some(rita.id), ViewOf::Contacts)
                .await
                .unwrap()
        ),
        ["My hot ones", "VIPs"]
    );
    assert_eq!(
        names(store.views(ws, None, ViewOf::Contacts).await.unwrap()),
        ["VIPs"]
    );
    assert!(
        store
            .views(ws, None, ViewOf::Deals)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .views(other, Some(rita.id), ViewOf::Contacts)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.view(ws, mine.id).await.unwrap(), mine);
    assert!(matches!(
        store.view(other, mine.id).await.unwrap_err(),
        StoreError::NotFound
    ));
    // A user of another workspace cannot own one here.
    let mut foreign = view("Theirs", Some(UserId::new()));
    foreign.id = uuid::Uuid::now_v7();
    assert!(matches!(
        store.create_view(&foreign).await.unwrap_err(),
        StoreError::NotFound
    ));
    store.delete_view(ws, mine.id).await.unwrap();
    assert!(matches!(
        store.delete_view(ws, mine.id).await.unwrap_err(),
        StoreError::NotFound
    ));
    assert!(matches!(
        store.delete_view(other, team.id).await.unwrap_err(),
        StoreError::NotFound
    ));
    assert_eq!(
        names(
            store
                .views(ws, Some(rita.id), ViewOf::Contacts)
                .await
                .unwrap()
        ),
        ["VIPs"]
    );
}
