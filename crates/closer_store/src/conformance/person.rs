//! Conformance: a person's export covers every table of contact data, and the visitors linked
//! to a contact read back.

use std::collections::BTreeSet;
use std::sync::Arc;

use closer_domain::Timestamp;
use closer_domain::traffic::VisitorKey;

use super::contacts::{draft, upsert};
use super::workspace;
use crate::{CONTACT_TABLES, Store};

pub async fn every_table_of_contact_data_is_in_the_export_list(store: Arc<dyn Store>) {
    let mut found: BTreeSet<String> = store
        .tables_with_contact_column()
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert!(found.contains("events"), "the catalogue is read: {found:?}");
    found.insert("contacts".into());
    let listed: BTreeSet<String> = CONTACT_TABLES
        .iter()
        .map(|(t, _)| (*t).to_owned())
        .collect();
    assert_eq!(
        found, listed,
        "a table holding contact data must be in closer_store::CONTACT_TABLES with the export \
         section that covers it"
    );

    let ws = workspace(&*store, "person").await;
    let c = store
        .upsert_contact(ws, upsert(draft("ada@example.com")))
        .await
        .unwrap()
        .contact;
    let visitor = VisitorKey::client("0123456789abcdef0123456789abcdef").unwrap();
    store
        .link_visitor(ws, &visitor, c.id, Timestamp::now())
        .await
        .unwrap();
    let links = store.contact_visitors(ws, c.id).await.unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].visitor, visitor);
    let other = workspace(&*store, "person-other").await;
    assert!(
        store
            .contact_visitors(other, c.id)
            .await
            .unwrap()
            .is_empty()
    );
}
