//! Conformance: possible duplicates. A capture naming one contact's email and another's
//! phone goes to the first, leaves the second as it was and records the pair; so does an
//! import row; the scan finds the same name at the same company once; a dismissed pair is
//! not listed nor found again; a pair goes with either contact; nothing crosses workspaces.

use std::collections::HashSet;
use std::sync::Arc;

use closer_domain::company::domains;
use closer_domain::contact::duplicates::{DuplicateReason, pair};
use closer_domain::import::plan::{ImportRow, plan_contacts};
use closer_domain::{Company, CompanyDraft, CompanyId, ContactDraft, Phone, Timestamp};

use super::contacts::{draft, email, upsert};
use super::workspace;
use crate::{BatchKeys, Store, StoreError};

fn phone(raw: &str) -> Phone {
    Phone::parse(raw, None).unwrap()
}

#[allow(clippy::too_many_lines)]
pub async fn possible_duplicates_are_recorded_found_and_dismissed(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "dupes").await;
    let other = workspace(&*store, "dupes-other").await;
    let by_email = store
        .upsert_contact(ws, upsert(draft("ada@work.example")))
        .await
        .unwrap()
        .contact;
    let by_phone = store
        .upsert_contact(
            ws,
            upsert(ContactDraft {
                phones: vec![phone("+44 20 7946 0000")],
                ..ContactDraft::default()
            }),
        )
        .await
        .unwrap()
        .contact;
    // A form names both.
    let mut both = draft("ada@work.example");
    both.phones = vec![phone("+44 20 7946 0000")];
    let out = store.upsert_contact(ws, upsert(both)).await.unwrap();
    assert_eq!(out.contact.id, by_email.id);
    assert!(
        out.contact.phones.is_empty(),
        "the phone stays with its holder"
    );
    assert_eq!(
        store.contact(ws, by_phone.id).await.unwrap(),
        by_phone,
        "the other record is left as it was"
    );
    let listed = store.possible_duplicates(ws, 50).await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(
        (listed[0].a, listed[0].b),
        pair(by_email.id, by_phone.id).unwrap()
    );
    assert_eq!(listed[0].reason, DuplicateReason::SharedIdentity);
    // The same form again records nothing new.
    let mut both = draft("ada@work.example");
    both.phones = vec![phone("+44 20 7946 0000")];
    store.upsert_contact(ws, upsert(both)).await.unwrap();
    assert_eq!(store.possible_duplicates(ws, 50).await.unwrap().len(), 1);
    assert!(
        store
            .possible_duplicates(other, 50)
            .await
            .unwrap()
            .is_empty()
    );

    // An import row naming two people's email and phone.
    let grace = store
        .upsert_contact(ws, upsert(draft("grace@navy.example")))
        .await
        .unwrap()
        .contact;
    let grace_phone = store
        .upsert_contact(
            ws,
            upsert(ContactDraft {
                phones: vec![phone("+1 202 555 0143")],
                ..ContactDraft::default()
            }),
        )
        .await
        .unwrap()
        .contact;
    let mut row = draft("grace@navy.example");
    row.phones = vec![phone("+1 202 555 0143")];
    let keys = BatchKeys {
        external_ids: Vec::new(),
        emails: vec![email("grace@navy.example").as_str().to_owned()],
        phones: vec![phone("+1 202 555 0143").as_str().to_owned()],
        domains: vec!["navy.example".into()],
    };
    let known = store.import_known(ws, &keys).await.unwrap();
    let plan = plan_contacts(
        ws,
        "import:test.csv",
        vec![ImportRow {
            line: 2,
            external_id: None,
            draft: row,
            created_at: None,
        }],
        known,
        &HashSet::new(),
        Timestamp::now(),
    );
    let grace_pair = pair(grace.id, grace_phone.id).unwrap();
    assert_eq!(plan.writes.duplicates, vec![grace_pair]);
    store.write_contact_import(&plan.writes).await.unwrap();
    let listed = store.possible_duplicates(ws, 50).await.unwrap();
    assert!(
        listed.iter().any(|d| (d.a, d.b) == grace_pair),
        "{listed:?}"
    );

    // The same name at the same company, found by the scan.
    let co = Company::from_draft(
        CompanyId::new(),
        ws,
        CompanyDraft {
            name: "Engines".into(),
            domains: domains(["engines.example"]).unwrap(),
            ..CompanyDraft::default()
        },
        Timestamp::now(),
    );
    let named = |mail: &'static str, name: &'static str| {
        let store = store.clone();
        async move {
            let mut d = draft(mail);
            d.name = Some(name.into());
            store.upsert_contact(ws, upsert(d)).await.unwrap().contact
        }
    };
    let charles = named("charles@engines.example", "Charles Babbage").await;
    let again = named("c.babbage@engines.example", "  charles babbage ").await;
    let someone = named("someone@engines.example", "Someone Else").await;
    store.create_company(ws, &co).await.unwrap();
    let domain = closer_domain::Domain::parse("engines.example").unwrap();
    store.link_domain(ws, &domain, co.id).await.unwrap();
    store.scan_duplicates(ws, Timestamp::now()).await.unwrap();
    store.scan_duplicates(ws, Timestamp::now()).await.unwrap();
    let name_pair = pair(charles.id, again.id).unwrap();
    let listed = store.possible_duplicates(ws, 50).await.unwrap();
    let found: Vec<_> = listed
        .iter()
        .filter(|d| d.reason == DuplicateReason::NameAtCompany)
        .collect();
    assert_eq!(found.len(), 1, "{listed:?}");
    assert_eq!((found[0].a, found[0].b), name_pair);
    assert!(
        !listed
            .iter()
            .any(|d| d.a == someone.id || d.b == someone.id),
        "{listed:?}"
    );
    store
        .scan_duplicates(other, Timestamp::now())
        .await
        .unwrap();
    assert!(
        store
            .possible_duplicates(other, 50)
            .await
            .unwrap()
            .is_empty()
    );

    // Dismissed: not listed, not found again when one of them changes.
    store
        .dismiss_duplicate(ws, name_pair, Timestamp::now())
        .await
        .unwrap();
    assert!(matches!(
        store
            .dismiss_duplicate(ws, name_pair, Timestamp::now())
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .dismiss_duplicate(other, grace_pair, Timestamp::now())
            .await,
        Err(StoreError::NotFound)
    ));
    named("charles@engines.example", "Charles Babbage").await;
    store.scan_duplicates(ws, Timestamp::now()).await.unwrap();
    let listed = store.possible_duplicates(ws, 50).await.unwrap();
    assert!(
        !listed.iter().any(|d| (d.a, d.b) == name_pair),
        "{listed:?}"
    );

    // A pair goes with either of its contacts.
    store
        .erase_contact(ws, by_phone.id, Timestamp::now())
        .await
        .unwrap();
    let listed = store.possible_duplicates(ws, 50).await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!((listed[0].a, listed[0].b), grace_pair);
}
