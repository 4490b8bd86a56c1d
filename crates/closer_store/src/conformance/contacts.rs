//! Conformance: contact upsert, dedupe, concurrency, patch, erasure and tenancy.

use std::sync::Arc;

use closer_domain::{
    ContactDraft, ContactId, ContactPatch, Email, EventId, EventKind, NewEvent, Phone, Stage,
    Timestamp, UserId,
};
use serde_json::json;

use super::workspace;
use crate::{ContactQuery, IDENTITY_CONSTRAINT, Store, StoreError, UpsertContact, User};

pub(super) fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

pub(super) fn draft(mail: &str) -> ContactDraft {
    ContactDraft {
        emails: vec![email(mail)],
        ..ContactDraft::default()
    }
}

pub(super) fn upsert(draft: ContactDraft) -> UpsertContact {
    UpsertContact {
        draft,
        overwrite: false,
        event: None,
        actor: "test".into(),
        visitor: None,
        now: Timestamp::now(),
    }
}

pub(super) fn form_event() -> NewEvent {
    NewEvent {
        id: EventId::new(),
        kind: EventKind::FormSubmitted,
        occurred_at: Timestamp::now(),
        properties: json!({"form": "demo", "fields": {"email": "ada@example.com"}}),
    }
}

pub async fn upsert_creates_a_lead_with_history_and_event(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "create").await;
    let mut d = draft("ada@example.com");
    d.name = Some("Ada".into());
    d.properties
        .clone_from(json!({"budget": 5000}).as_object().unwrap());
    let mut req = upsert(d);
    req.event = Some(form_event());
    let out = store.upsert_contact(ws, req).await.unwrap();
    assert!(out.created);
    let c = out.contact;
    assert_eq!(c.stage, Stage::Lead);
    assert_eq!(
        store.contact(ws, c.id).await.unwrap(),
        c,
        "read back equals written"
    );
    let history = store.stage_history(ws, c.id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!((history[0].stage, history[0].left_at), (Stage::Lead, None));
    let events = store.contact_events(ws, c.id, 50, None).await.unwrap();
    let kinds: Vec<_> = events.iter().map(|e| e.kind).collect();
    assert!(kinds.contains(&EventKind::FormSubmitted), "{kinds:?}");
    assert!(kinds.contains(&EventKind::StageChanged), "{kinds:?}");
}

pub async fn upsert_dedupes_by_email_and_phone(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "dedupe").await;
    let first = store
        .upsert_contact(ws, upsert(draft("ada@example.com")))
        .await
        .unwrap();
    // Same email, different case, adds a phone and a company.
    let phone = Phone::parse("+1 650 253 0000", None).unwrap();
    let mut again = draft("ADA@example.com");
    again.phones = vec![phone.clone()];
    again.company = Some("Analytical".into());
    again.name = Some("Ada L".into());
    let second = store.upsert_contact(ws, upsert(again)).await.unwrap();
    assert!(!second.created);
    assert_eq!(second.contact.id, first.contact.id);
    assert_eq!(second.contact.company.as_deref(), Some("Analytical"));
    // Now found by phone alone.
    let by_phone = ContactDraft {
        phones: vec![phone],
        job_title: Some("CTO".into()),
        ..ContactDraft::default()
    };
    let third = store.upsert_contact(ws, upsert(by_phone)).await.unwrap();
    assert_eq!(third.contact.id, first.contact.id);
    assert_eq!(third.contact.job_title.as_deref(), Some("CTO"));
    assert_eq!(
        third.contact.name.as_deref(),
        Some("Ada L"),
        "empty name was filled by the second post"
    );
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
    assert_eq!(page.items.len(), 1);
}

pub async fn upsert_overwrite_replaces(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "overwrite").await;
    let mut d = draft("bob@example.com");
    d.name = Some("Bob".into());
    store.upsert_contact(ws, upsert(d)).await.unwrap();
    let mut d = draft("bob@example.com");
    d.name = Some("Robert".into());
    let kept = store.upsert_contact(ws, upsert(d.clone())).await.unwrap();
    assert_eq!(kept.contact.name.as_deref(), Some("Bob"));
    let mut req = upsert(d);
    req.overwrite = true;
    let replaced = store.upsert_contact(ws, req).await.unwrap();
    assert_eq!(replaced.contact.name.as_deref(), Some("Robert"));
    assert_eq!(
        store
            .contact(ws, replaced.contact.id)
            .await
            .unwrap()
            .name
            .as_deref(),
        Some("Robert")
    );
}

pub async fn upsert_keeps_foreign_identities_apart(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "foreign").await;
    let a = store
        .upsert_contact(ws, upsert(draft("a@example.com")))
        .await
        .unwrap()
        .contact;
    let b = store
        .upsert_contact(ws, upsert(draft("b@example.com")))
        .await
        .unwrap()
        .contact;
    // A post naming both: it is for the first match (a), and b's email stays b's.
    let mut both = draft("a@example.com");
    both.emails.push(email("b@example.com"));
    let out = store.upsert_contact(ws, upsert(both)).await.unwrap();
    assert_eq!(out.contact.id, a.id);
    assert_eq!(out.contact.emails, vec![email("a@example.com")]);
    assert_eq!(
        store.contact(ws, b.id).await.unwrap().emails,
        vec![email("b@example.com")]
    );
}

pub async fn concurrent_upserts_of_one_new_email_make_one_contact(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "race").await;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut d = draft("race@example.com");
            d.properties
                .clone_from(json!({ format!("k{i}"): i }).as_object().unwrap());
            store.upsert_contact(ws, upsert(d)).await
        }));
    }
    let mut ids = Vec::new();
    let mut created = 0;
    for t in futures::future::join_all(tasks).await {
        let out = t.unwrap().expect("every concurrent upsert succeeds");
        created += usize::from(out.created);
        ids.push(out.contact.id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one contact for one email");
    assert_eq!(created, 1, "exactly one upsert created it");
    let c = store.contact(ws, ids[0]).await.unwrap();
    assert_eq!(
        c.properties.len(),
        16,
        "no upsert's properties were lost: {:?}",
        c.properties
    );
    assert_eq!(store.stage_history(ws, c.id).await.unwrap().len(), 1);
}

pub async fn concurrent_stage_moves_keep_a_consistent_history(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "moves").await;
    let c = store
        .upsert_contact(ws, upsert(draft("moves@example.com")))
        .await
        .unwrap()
        .contact;
    let stages = [
        Stage::Prospect,
        Stage::Opportunity,
        Stage::Customer,
        Stage::Disqualified,
        Stage::Lead,
    ];
    let mut tasks = Vec::new();
    for i in 0..20 {
        let store = store.clone();
        let patch = ContactPatch {
            stage: Some(stages[i % stages.len()]),
            ..ContactPatch::default()
        };
        tasks.push(tokio::spawn(async move {
            store
                .patch_contact(ws, c.id, &patch, "race", Timestamp::now())
                .await
        }));
    }
    for t in futures::future::join_all(tasks).await {
        t.unwrap().expect("every move succeeds");
    }
    let history = store.stage_history(ws, c.id).await.unwrap();
    let open: Vec<_> = history.iter().filter(|s| s.left_at.is_none()).collect();
    assert_eq!(open.len(), 1, "exactly one open stage: {history:?}");
    let current = store.contact(ws, c.id).await.unwrap().stage;
    assert_eq!(
        open[0].stage, current,
        "the open row is the contact's stage"
    );
    assert_eq!(history.last().unwrap().stage, current);
    for pair in history.windows(2) {
        assert_eq!(
            pair[0].left_at,
            Some(pair[1].entered_at),
            "each row closes when the next opens"
        );
        assert_ne!(pair[0].stage, pair[1].stage, "no-op moves are not recorded");
    }
}

pub async fn patch_changes_fields_and_records_stage_history(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "patch").await;
    let c = store
        .upsert_contact(ws, upsert(draft("pat@example.com")))
        .await
        .unwrap()
        .contact;
    let patch = ContactPatch {
        name: Some(Some("Pat".into())),
        emails: Some(vec![email("pat@new.example.com")]),
        stage: Some(Stage::Prospect),
        properties: Some(json!({"seats": 4}).as_object().unwrap().clone()),
        ..ContactPatch::default()
    };
    let after = store
        .patch_contact(ws, c.id, &patch, "user:1", Timestamp::now())
        .await
        .unwrap();
    assert_eq!(after.name.as_deref(), Some("Pat"));
    assert_eq!(after.stage, Stage::Prospect);
    assert_eq!(store.contact(ws, c.id).await.unwrap(), after);
    // A patch made against the contact as it was before that edit is refused, changing
    // nothing; made against it as it is now, it applies.
    let stale = ContactPatch {
        job_title: Some(Some("Buyer".into())),
        if_unchanged_since: Some(c.updated_at),
        ..ContactPatch::default()
    };
    let err = store
        .patch_contact(ws, c.id, &stale, "user:2", Timestamp::now())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict { constraint } if constraint == crate::CONTACT_CHANGED),
        "{err:?}"
    );
    assert_eq!(store.contact(ws, c.id).await.unwrap(), after);
    let fresh = ContactPatch {
        if_unchanged_since: Some(after.updated_at),
        ..stale
    };
    let after = store
        .patch_contact(ws, c.id, &fresh, "user:2", Timestamp::now())
        .await
        .unwrap();
    assert_eq!(after.job_title.as_deref(), Some("Buyer"));
    // The old email no longer finds the contact; the new one does.
    let old = store
        .upsert_contact(ws, upsert(draft("pat@example.com")))
        .await
        .unwrap();
    assert!(old.created, "the released email makes a new contact");
    let new = store
        .upsert_contact(ws, upsert(draft("pat@new.example.com")))
        .await
        .unwrap();
    assert_eq!(new.contact.id, c.id);
    let history = store.stage_history(ws, c.id).await.unwrap();
    assert_eq!(
        history.iter().map(|s| s.stage).collect::<Vec<_>>(),
        [Stage::Lead, Stage::Prospect]
    );
    assert_eq!(history[1].changed_by, "user:1");
    assert!(history[0].left_at.is_some());
    let missing = store
        .patch_contact(ws, ContactId::new(), &patch, "x", Timestamp::now())
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)));
}

pub async fn patch_conflict_writes_nothing(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "conflict").await;
    let a = store
        .upsert_contact(ws, upsert(draft("a@example.com")))
        .await
        .unwrap()
        .contact;
    let b = store
        .upsert_contact(ws, upsert(draft("b@example.com")))
        .await
        .unwrap()
        .contact;
    let patch = ContactPatch {
        name: Some(Some("Changed".into())),
        emails: Some(vec![email("b@example.com")]),
        stage: Some(Stage::Customer),
        ..ContactPatch::default()
    };
    let err = store
        .patch_contact(ws, a.id, &patch, "x", Timestamp::now())
        .await
        .unwrap_err();
    assert!(err.is_conflict_on(IDENTITY_CONSTRAINT), "{err:?}");
    assert_eq!(
        store.contact(ws, a.id).await.unwrap(),
        a,
        "nothing half-written"
    );
    assert_eq!(store.stage_history(ws, a.id).await.unwrap().len(), 1);
    assert_eq!(store.contact(ws, b.id).await.unwrap(), b);
}

pub async fn bulk_patches_apply_to_all_or_none(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "bulk").await;
    let other = workspace(&*store, "bulk-other").await;
    let mut mine = Vec::new();
    for mail in ["one@example.com", "two@example.com"] {
        mine.push(
            store
                .upsert_contact(ws, upsert(draft(mail)))
                .await
                .unwrap()
                .contact,
        );
    }
    let theirs = store
        .upsert_contact(other, upsert(draft("three@example.com")))
        .await
        .unwrap()
        .contact;
    let renamed = ContactPatch {
        company: Some(Some("Acme".into())),
        ..ContactPatch::default()
    };
    // Another workspace's contact among them: nothing changes, not even the first two.
    let ids = [mine[0].id, mine[1].id, theirs.id];
    let err = store
        .patch_contacts(ws, &ids, &renamed, "x", Timestamp::now())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    for c in &mine {
        assert_eq!(&store.contact(ws, c.id).await.unwrap(), c, "untouched");
    }
    assert_eq!(store.contact(other, theirs.id).await.unwrap(), theirs);
    let done = store
        .patch_contacts(
            ws,
            &[mine[0].id, mine[1].id],
            &renamed,
            "x",
            Timestamp::now(),
        )
        .await
        .unwrap();
    assert_eq!(done.len(), 2);
    for c in &mine {
        let now = store.contact(ws, c.id).await.unwrap();
        assert_eq!(now.company.as_deref(), Some("Acme"));
    }
}

pub async fn owner_must_belong_to_the_workspace(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "owner").await;
    let other = workspace(&*store, "owner-other").await;
    let outsider = User {
        id: UserId::new(),
        workspace_id: other,
        email: email("out@example.com"),
        name: "Out".into(),
        role: "rep".into(),
        created_at: Timestamp::now(),
    };
    store.create_user(&outsider).await.unwrap();
    let mut d = draft("owned@example.com");
    d.owner_id = Some(outsider.id);
    let err = store.upsert_contact(ws, upsert(d)).await.unwrap_err();
    assert!(err.is_conflict_on("contacts_owner_fk"), "{err:?}");
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
    assert!(page.items.is_empty(), "nothing half-written");
}

pub async fn erase_removes_personal_data(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "erase").await;
    let mut req = upsert(draft("gone@example.com"));
    req.event = Some(form_event());
    let c = store.upsert_contact(ws, req).await.unwrap().contact;
    store
        .erase_contact(ws, c.id, Timestamp::now())
        .await
        .unwrap();
    assert!(matches!(
        store.contact(ws, c.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.stage_history(ws, c.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.contact_events(ws, c.id, 10, None).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.erase_contact(ws, c.id, Timestamp::now()).await,
        Err(StoreError::NotFound)
    ));
    // The email is free again: the same person posting later is a new contact.
    let back = store
        .upsert_contact(ws, upsert(draft("gone@example.com")))
        .await
        .unwrap();
    assert!(back.created);
    assert_ne!(back.contact.id, c.id);
}

pub async fn workspaces_never_see_each_other(store: Arc<dyn Store>) {
    let a = workspace(&*store, "tenant-a").await;
    let b = workspace(&*store, "tenant-b").await;
    let in_a = store
        .upsert_contact(a, upsert(draft("shared@example.com")))
        .await
        .unwrap()
        .contact;
    // The same email in b is another person record.
    let in_b = store
        .upsert_contact(b, upsert(draft("shared@example.com")))
        .await
        .unwrap();
    assert!(in_b.created);
    assert_ne!(in_b.contact.id, in_a.id);
    assert!(matches!(
        store.contact(b, in_a.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.stage_history(b, in_a.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.contact_events(b, in_a.id, 10, None).await,
        Err(StoreError::NotFound)
    ));
    let patch = ContactPatch {
        name: Some(Some("x".into())),
        ..ContactPatch::default()
    };
    assert!(matches!(
        store
            .patch_contact(b, in_a.id, &patch, "x", Timestamp::now())
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.erase_contact(b, in_a.id, Timestamp::now()).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.contact(a, in_a.id).await.unwrap(),
        in_a,
        "untouched by b's attempts"
    );
    let listed = store
        .list_contacts(
            b,
            &ContactQuery {
                limit: 50,
                ..ContactQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        listed.items.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![in_b.contact.id]
    );
}

pub async fn failing_write_leaves_concurrent_writes_intact(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "isolation").await;
    // An event already stored: reusing its id makes a write fail at its *last* statement,
    // after its contact, identities and stage rows were written — all of which must go.
    let taken = form_event();
    let mut seed = upsert(draft("seed@example.com"));
    seed.event = Some(taken.clone());
    store.upsert_contact(ws, seed).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..30 {
        let (store, taken) = (store.clone(), taken.clone());
        tasks.push(tokio::spawn(async move {
            let mut req = upsert(draft(&format!("iso{i}@example.com")));
            req.event = Some(if i % 3 == 0 { taken } else { form_event() });
            (i, store.upsert_contact(ws, req).await)
        }));
    }
    for t in futures::future::join_all(tasks).await {
        let (i, result) = t.unwrap();
        if i % 3 == 0 {
            assert!(
                matches!(result, Err(StoreError::Conflict { .. })),
                "write {i} fails: {result:?}"
            );
        } else {
            let c = result.expect("good writes succeed").contact;
            assert_eq!(store.contact(ws, c.id).await.unwrap(), c);
            assert_eq!(
                store
                    .contact_events(ws, c.id, 10, None)
                    .await
                    .unwrap()
                    .len(),
                2,
                "event and stage change kept"
            );
        }
    }
    let page = store
        .list_contacts(
            ws,
            &ContactQuery {
                limit: 100,
                ..ContactQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        page.items.len(),
        21,
        "the seed and the good writes, nothing of the failed ones"
    );
    // A failed write leaves its email free: no orphan identity row claims it.
    let again = store
        .upsert_contact(ws, upsert(draft("iso0@example.com")))
        .await
        .unwrap();
    assert!(again.created);
    assert_eq!(
        store
            .stage_history(ws, again.contact.id)
            .await
            .unwrap()
            .len(),
        1
    );
}

pub async fn concurrent_claims_give_a_contact_one_owner(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "claims").await;
    let other = workspace(&*store, "claims-other").await;
    let mut reps = Vec::new();
    for name in ["ana", "ben"] {
        let u = User {
            id: UserId::new(),
            workspace_id: ws,
            email: email(&format!("{name}@example.com")),
            name: name.into(),
            role: "rep".into(),
            created_at: Timestamp::now(),
        };
        store.create_user(&u).await.unwrap();
        reps.push(u.id);
    }
    let c = store
        .upsert_contact(ws, upsert(draft("claimed@example.com")))
        .await
        .unwrap()
        .contact;
    // Both press "I'm on it" at once: one gets the lead, the other is told it is taken.
    let now = Timestamp::now();
    let claims =
        futures::future::join_all(reps.iter().map(|r| store.claim_contact(ws, c.id, *r, now)))
            .await;
    let taken: Vec<_> = claims.into_iter().map(Result::unwrap).collect();
    assert_eq!(
        taken.iter().filter(|t| **t == crate::Claim::Taken).count(),
        1,
        "{taken:?}"
    );
    assert!(taken.contains(&crate::Claim::OwnedByOther), "{taken:?}");
    let owner = store.contact(ws, c.id).await.unwrap().owner_id.unwrap();
    assert_eq!(
        store.claim_contact(ws, c.id, owner, now).await.unwrap(),
        crate::Claim::AlreadyOwned
    );
    assert!(matches!(
        store.claim_contact(other, c.id, owner, now).await,
        Err(StoreError::NotFound)
    ));
}
