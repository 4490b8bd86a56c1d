//! Conformance: search. Words match the start of words of a contact's name, emails and
//! company, a company's name and domains, a deal's title — in any order, any case, with or
//! without accents; a phone's start in E.164; the indexes follow edits, deletions and erasure;
//! a rep's reach is their own and unassigned contacts and their own deals; nothing crosses
//! workspaces.

use std::sync::Arc;

use closer_domain::pipeline::{DealId, DealPatch};
use closer_domain::search::SearchQuery;
use closer_domain::{
    Company, CompanyDraft, CompanyId, Contact, ContactDraft, ContactPatch, Phone, Region,
    Timestamp, UserId,
};

use super::contacts::{email, upsert};
use super::pipeline::{new_deal, pipeline};
use super::workspace;
use crate::{SearchHits, SearchReach, SearchRequest, Store, User};

fn everyone(text: &str) -> SearchRequest {
    SearchRequest {
        query: SearchQuery::parse(text, Some(Region::parse("US").unwrap())).unwrap(),
        per_kind: 10,
        contacts: SearchReach::Everyone,
        companies: SearchReach::Everyone,
        deals: SearchReach::Everyone,
    }
}

fn contact_names(hits: &SearchHits) -> Vec<String> {
    hits.contacts
        .iter()
        .map(|c| c.name.clone().unwrap_or_default())
        .collect()
}

#[allow(clippy::too_many_lines)]
pub async fn search_finds_by_word_starts_and_phone(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "search").await;
    let other = workspace(&*store, "search-other").await;
    let person = |name: &str, mail: &str, phone: Option<&str>, company: Option<&str>| {
        upsert(ContactDraft {
            name: Some(name.into()),
            emails: vec![email(mail)],
            phones: phone
                .map(|p| Phone::parse(p, None).unwrap())
                .into_iter()
                .collect(),
            company: company.map(Into::into),
            ..ContactDraft::default()
        })
    };
    let grace = store
        .upsert_contact(
            ws,
            person(
                "Grace Hopper",
                "grace@navy.example",
                Some("+1 415 555 0100"),
                Some("Navy"),
            ),
        )
        .await
        .unwrap()
        .contact;
    let jose = store
        .upsert_contact(ws, person("José Müller", "jm@acme.example", None, None))
        .await
        .unwrap()
        .contact;
    store
        .upsert_contact(
            other,
            person("Grace Elsewhere", "grace@other.example", None, None),
        )
        .await
        .unwrap();

    let find = |text: &'static str| {
        let store = store.clone();
        async move { store.search(ws, &everyone(text)).await.unwrap() }
    };
    assert_eq!(contact_names(&find("gra hop").await), ["Grace Hopper"]);
    assert_eq!(contact_names(&find("HOPPER grace").await), ["Grace Hopper"]);
    assert_eq!(
        contact_names(&find("grace@navy.ex").await),
        ["Grace Hopper"]
    );
    assert_eq!(contact_names(&find("navy").await), ["Grace Hopper"]);
    assert!(
        find("race").await.contacts.is_empty(),
        "starts of words only"
    );
    assert!(find("grace acme").await.contacts.is_empty(), "every word");
    assert_eq!(contact_names(&find("jose mull").await), ["José Müller"]);
    assert_eq!(contact_names(&find("JOSÉ").await), ["José Müller"]);
    // A phone in any notation: national in the region given, with its country code, E.164.
    for typed in [
        "(415) 555-01",
        "415.555.0100",
        "+1 415 555",
        "1-415-555-0100",
    ] {
        assert_eq!(
            contact_names(&find(typed).await),
            ["Grace Hopper"],
            "{typed}"
        );
    }
    assert!(find("415 556").await.contacts.is_empty());

    // Companies by name and domain; deals by title.
    let acme = Company::from_draft(
        CompanyId::new(),
        ws,
        CompanyDraft {
            name: "Acme Rockets".into(),
            domains: closer_domain::company::domains(["acme.example"]).unwrap(),
            ..CompanyDraft::default()
        },
        Timestamp::now(),
    );
    store.create_company(ws, &acme).await.unwrap();
    let p = pipeline(&*store, ws).await;
    let deal = closer_domain::pipeline::Deal {
        title: "Compiler licences".into(),
        ..new_deal(&p, grace.id, "1200")
    };
    store
        .create_deal(ws, &deal, "Qualification", "test")
        .await
        .unwrap();
    let hits = find("rock").await;
    assert_eq!(hits.companies.len(), 1);
    assert_eq!(hits.companies[0].id, acme.id);
    assert_eq!(find("acme.ex").await.companies.len(), 1);
    let hits = find("compil lic").await;
    assert_eq!(
        hits.deals.iter().map(|d| d.id).collect::<Vec<_>>(),
        [deal.id]
    );
    assert!(hits.contacts.is_empty() && hits.companies.is_empty());

    // The indexes follow edits and deletions.
    let rename = ContactPatch {
        name: Some(Some("Amazing Grace".into())),
        ..ContactPatch::default()
    };
    store
        .patch_contact(ws, grace.id, &rename, "test", Timestamp::now())
        .await
        .unwrap();
    assert!(find("hopper").await.contacts.is_empty());
    assert_eq!(contact_names(&find("amaz").await), ["Amazing Grace"]);
    store
        .patch_deal(
            ws,
            deal.id,
            &DealPatch {
                title: Some("Runtime support".into()),
                ..DealPatch::default()
            },
            Timestamp::now(),
        )
        .await
        .unwrap();
    assert!(find("compiler").await.deals.is_empty());
    assert_eq!(find("runtime").await.deals.len(), 1);
    store.delete_company(ws, acme.id).await.unwrap();
    assert!(find("rockets").await.companies.is_empty());
    store
        .erase_contact(ws, jose.id, Timestamp::now())
        .await
        .unwrap();
    assert!(find("jose").await.contacts.is_empty());

    // Reach: a rep's own and unassigned contacts, own deals only; Nobody searches nothing.
    let rep = User {
        id: UserId::new(),
        workspace_id: ws,
        email: email("rep@search.example"),
        name: "Rep".into(),
        role: "rep".into(),
        created_at: Timestamp::now(),
    };
    store.create_user(&rep).await.unwrap();
    let colleague = User {
        id: UserId::new(),
        email: email("colleague@search.example"),
        ..rep.clone()
    };
    store.create_user(&colleague).await.unwrap();
    let owned = |name: &str, mail: &str, owner: UserId| {
        let mut u = person(name, mail, None, None);
        u.draft.owner_id = Some(owner);
        u
    };
    let mine: Contact = store
        .upsert_contact(ws, owned("Grace Mine", "gm@x.example", rep.id))
        .await
        .unwrap()
        .contact;
    store
        .upsert_contact(ws, owned("Grace Theirs", "gt@x.example", colleague.id))
        .await
        .unwrap();
    let my_deal = closer_domain::pipeline::Deal {
        id: DealId::new(),
        title: "Runtime upgrade".into(),
        owner_id: Some(rep.id),
        ..new_deal(&p, mine.id, "10")
    };
    store
        .create_deal(ws, &my_deal, "Qualification", "test")
        .await
        .unwrap();
    let as_rep = |text: &str| SearchRequest {
        contacts: SearchReach::Owner(rep.id),
        companies: SearchReach::Everyone,
        deals: SearchReach::Owner(rep.id),
        ..everyone(text)
    };
    let mut names = contact_names(&store.search(ws, &as_rep("grace")).await.unwrap());
    names.sort();
    assert_eq!(names, ["Amazing Grace", "Grace Mine"], "own and unassigned");
    let deals = store.search(ws, &as_rep("runtime")).await.unwrap().deals;
    assert_eq!(deals.iter().map(|d| d.id).collect::<Vec<_>>(), [my_deal.id]);
    let nobody = SearchRequest {
        contacts: SearchReach::Nobody,
        companies: SearchReach::Nobody,
        deals: SearchReach::Nobody,
        ..everyone("grace")
    };
    let hits = store.search(ws, &nobody).await.unwrap();
    assert!(hits.contacts.is_empty() && hits.companies.is_empty() && hits.deals.is_empty());

    // The newest first, and no more than asked.
    let limited = SearchRequest {
        per_kind: 2,
        ..everyone("grace")
    };
    let names = contact_names(&store.search(ws, &limited).await.unwrap());
    assert_eq!(names, ["Grace Theirs", "Grace Mine"]);
    // The other workspace finds its own only.
    let hits = store.search(other, &everyone("grace")).await.unwrap();
    assert_eq!(contact_names(&hits), ["Grace Elsewhere"]);
}
