//! Conformance: companies — stored with their domains, one company per domain even under
//! concurrent creations, contacts linked by their email's domain, edits, deletion that
//! unlinks, lists, and workspaces kept apart.

use std::sync::Arc;

use closer_domain::company::domains;
use closer_domain::{Company, CompanyDraft, CompanyId, Timestamp, WorkspaceId};
use serde_json::json;

use super::contacts::{draft, upsert};
use super::workspace;
use crate::{COMPANY_DOMAIN, CompanyQuery, Store, StoreError};

fn company(ws: WorkspaceId, name: &str, ds: &[&str]) -> Company {
    Company::from_draft(
        CompanyId::new(),
        ws,
        CompanyDraft {
            name: name.into(),
            domains: domains(ds.iter().copied()).unwrap(),
            employees: Some(40),
            industry: Some("Tools".into()),
            properties: json!({"tier": "gold"}).as_object().unwrap().clone(),
            ..CompanyDraft::default()
        },
        Timestamp::now(),
    )
}

pub async fn companies_hold_their_domains_and_their_people(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "companies").await;
    let other = workspace(&*store, "companies-other").await;
    // People first: the company finds them by their email's domain when it is created.
    let ada = store
        .upsert_contact(ws, upsert(draft("ada@acme.com")))
        .await
        .unwrap()
        .contact;
    let bob = store
        .upsert_contact(ws, upsert(draft("bob@gmail.com")))
        .await
        .unwrap()
        .contact;
    let elsewhere = store
        .upsert_contact(other, upsert(draft("eve@acme.com")))
        .await
        .unwrap()
        .contact;
    let acme = company(ws, "Acme", &["acme.com", "acme.io"]);
    store.create_company(ws, &acme).await.unwrap();
    let read = store.company(ws, acme.id).await.unwrap();
    assert_eq!(read, acme, "stored as given, domains in order");
    assert_eq!(store.company_of(ws, ada.id).await.unwrap(), Some(acme.id));
    assert_eq!(store.company_of(ws, bob.id).await.unwrap(), None);
    assert_eq!(
        store.company_of(other, elsewhere.id).await.unwrap(),
        None,
        "another workspace's people stay apart"
    );
    assert_eq!(
        store.contact(ws, ada.id).await.unwrap().company_id,
        Some(acme.id)
    );
    // One domain, one company: a second company naming it writes nothing.
    let copy = company(ws, "Acme again", &["beta.example", "acme.io"]);
    match store.create_company(ws, &copy).await {
        Err(StoreError::Conflict { constraint }) => assert_eq!(constraint, COMPANY_DOMAIN),
        other => panic!("expected a domain conflict, got {other:?}"),
    }
    assert!(matches!(
        store.company(ws, copy.id).await,
        Err(StoreError::NotFound)
    ));
    let beta = domains(["beta.example"]).unwrap();
    assert_eq!(store.company_by_domains(ws, &beta).await.unwrap(), None);
    let io = domains(["beta.example", "acme.io"]).unwrap();
    assert_eq!(
        store.company_by_domains(ws, &io).await.unwrap(),
        Some(acme.id)
    );
    // Another workspace may hold the same domain.
    store
        .create_company(other, &company(other, "Acme", &["acme.com"]))
        .await
        .unwrap();
    assert!(matches!(
        store.company(other, acme.id).await,
        Err(StoreError::NotFound)
    ));

    // A person can be put in a company by hand (a free-mail address names none), and out.
    store
        .set_contact_company(ws, bob.id, Some(acme.id))
        .await
        .unwrap();
    assert_eq!(store.company_of(ws, bob.id).await.unwrap(), Some(acme.id));
    store.set_contact_company(ws, bob.id, None).await.unwrap();
    assert_eq!(store.company_of(ws, bob.id).await.unwrap(), None);
    assert!(matches!(
        store
            .set_contact_company(other, bob.id, Some(acme.id))
            .await,
        Err(StoreError::NotFound)
    ));
    // A later person links by one call; a person with a company keeps it.
    let cy = store
        .upsert_contact(ws, upsert(draft("cy@acme.io")))
        .await
        .unwrap()
        .contact;
    assert!(store.link_contact(ws, cy.id, acme.id).await.unwrap());
    assert!(!store.link_contact(ws, cy.id, acme.id).await.unwrap());
    let people: Vec<_> = store
        .company_contacts(ws, acme.id, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(people, vec![cy.id, ada.id], "newest first");

    // An edit saves fields and domains whole, and links people at a new domain.
    let dee = store
        .upsert_contact(ws, upsert(draft("dee@acme.net")))
        .await
        .unwrap()
        .contact;
    let mut edited = read.clone();
    edited.name = "Acme Inc".into();
    edited.domains = domains(["acme.com", "acme.net"]).unwrap();
    edited.employees = None;
    edited.updated_at = Timestamp::now();
    store.save_company(ws, &edited).await.unwrap();
    assert_eq!(store.company(ws, acme.id).await.unwrap(), edited);
    assert_eq!(store.company_of(ws, dee.id).await.unwrap(), Some(acme.id));
    // acme.io is free again.
    let io_co = company(ws, "IO", &["acme.io"]);
    store.create_company(ws, &io_co).await.unwrap();
    let mut both: Vec<_> = store
        .companies_by_id(ws, &[io_co.id, acme.id, CompanyId::new()])
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.id, c.domains.len()))
        .collect();
    both.sort();
    let mut want = vec![(io_co.id, 1), (acme.id, 2)];
    want.sort();
    assert_eq!(both, want, "the known ones, with their domains");
    assert!(
        store
            .companies_by_id(other, &[acme.id])
            .await
            .unwrap()
            .is_empty()
    );
    // Taking a domain another company holds fails whole.
    let mut grab = store.company(ws, io_co.id).await.unwrap();
    grab.domains = domains(["acme.io", "acme.com"]).unwrap();
    assert!(matches!(
        store.save_company(ws, &grab).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(
        store.company(ws, io_co.id).await.unwrap().domains,
        domains(["acme.io"]).unwrap()
    );

    // Lists: newest first, searchable by name and domain, a page at a time.
    let page = store
        .list_companies(
            ws,
            &CompanyQuery {
                limit: 1,
                ..CompanyQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].id, io_co.id);
    let rest = store
        .list_companies(
            ws,
            &CompanyQuery {
                limit: 10,
                after: page.next,
                ..CompanyQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        rest.items.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![acme.id]
    );
    assert!(rest.next.is_none());
    let found = store
        .list_companies(
            ws,
            &CompanyQuery {
                q: Some("ACME.NET".into()),
                limit: 10,
                ..CompanyQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1);
    assert_eq!(found.items[0].domains.len(), 2, "with its domains");

    // Deleting the company unlinks its people, who stay.
    store.delete_company(ws, acme.id).await.unwrap();
    assert_eq!(store.company_of(ws, ada.id).await.unwrap(), None);
    assert!(store.contact(ws, ada.id).await.is_ok());
    assert!(matches!(
        store.delete_company(ws, acme.id).await,
        Err(StoreError::NotFound)
    ));
    // The freed domain can name a new company.
    store
        .create_company(ws, &company(ws, "Acme reborn", &["acme.com"]))
        .await
        .unwrap();
}

pub async fn concurrent_creations_naming_one_domain_make_one_company(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "companies-race").await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let c = company(ws, &format!("Race {i}"), &["race.example"]);
            store.create_company(ws, &c).await
        }));
    }
    let mut created = 0;
    for t in futures::future::join_all(tasks).await {
        match t.unwrap() {
            Ok(()) => created += 1,
            Err(StoreError::Conflict { constraint }) => assert_eq!(constraint, COMPANY_DOMAIN),
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(created, 1);
    let all = store
        .list_companies(
            ws,
            &CompanyQuery {
                limit: 50,
                ..CompanyQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(all.items.len(), 1);
}
