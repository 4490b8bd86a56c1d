//! Conformance: customer values kept for sorting — replaced whole, read back, listed highest
//! first a page at a time with the list's filters, kept per workspace, gone with an erased
//! contact.

use std::sync::Arc;

use closer_domain::{ContactId, Stage, Timestamp};

use super::contacts::{draft, upsert};
use super::workspace;
use crate::{ContactQuery, ContactSort, Store};

pub async fn customer_values_sort_lists_and_stay_in_their_workspace(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "values").await;
    let other = workspace(&*store, "values-other").await;
    let mut ids = Vec::new();
    for (i, stage) in [
        Stage::Customer,
        Stage::Customer,
        Stage::Lead,
        Stage::Customer,
    ]
    .into_iter()
    .enumerate()
    {
        let mut d = draft(&format!("buyer{i}@example.com"));
        d.stage = Some(stage);
        ids.push(
            store
                .upsert_contact(ws, upsert(d))
                .await
                .unwrap()
                .contact
                .id,
        );
    }
    let stranger = store
        .upsert_contact(other, upsert(draft("stranger@example.com")))
        .await
        .unwrap()
        .contact
        .id;
    let now = Timestamp::now();
    // Two share a value: the id breaks the tie, so pages neither skip nor repeat them.
    let values = vec![
        (ids[0], 50_000),
        (ids[1], 1_200_000),
        (ids[2], 50_000),
        (ids[3], 7),
        (ContactId::new(), 9_999_999), // erased meanwhile: skipped, not an error
    ];
    store
        .put_contact_values(ws, "EUR", &values, now)
        .await
        .unwrap();
    store
        .put_contact_values(other, "EUR", &[(stranger, 5)], now)
        .await
        .unwrap();

    let mut read = store.contact_values(ws, &ids).await.unwrap();
    read.sort();
    let mut want: Vec<_> = values[..4].to_vec();
    want.sort();
    assert_eq!(read, want);
    assert!(
        store
            .contact_values(ws, &[stranger])
            .await
            .unwrap()
            .is_empty()
    );

    // Highest first, two at a time: every valued contact once, in order.
    let mut q = ContactQuery {
        sort: ContactSort::ValueDesc,
        limit: 2,
        ..ContactQuery::default()
    };
    let mut seen = Vec::new();
    loop {
        let page = store.list_contacts(ws, &q).await.unwrap();
        seen.extend(page.items.iter().map(|c| c.id));
        match page.next {
            Some(next) => {
                assert!(
                    next.value.is_some(),
                    "a value page's cursor carries the value"
                );
                q.after = Some(next);
            }
            None => break,
        }
    }
    let (low, high) = if ids[0].0 < ids[2].0 {
        (ids[0], ids[2])
    } else {
        (ids[2], ids[0])
    };
    assert_eq!(seen, vec![ids[1], high, low, ids[3]]);

    // The list's filters hold under this sort too.
    let customers = store
        .list_contacts(
            ws,
            &ContactQuery {
                stage: Some(Stage::Customer),
                sort: ContactSort::ValueDesc,
                limit: 10,
                ..ContactQuery::default()
            },
        )
        .await
        .unwrap();
    let got: Vec<_> = customers.items.iter().map(|c| c.id).collect();
    assert_eq!(
        got,
        vec![ids[1], ids[0], ids[3]],
        "the lead is filtered out"
    );

    // Replaced whole: a value not in the new set is gone.
    store
        .put_contact_values(ws, "EUR", &[(ids[3], 10)], now)
        .await
        .unwrap();
    assert_eq!(
        store.contact_values(ws, &ids).await.unwrap(),
        vec![(ids[3], 10)]
    );
    // Erasing the contact erases its value.
    store.erase_contact(ws, ids[3], now).await.unwrap();
    assert!(store.contact_values(ws, &ids).await.unwrap().is_empty());
    // The other workspace kept its own.
    assert_eq!(
        store.contact_values(other, &[stranger]).await.unwrap(),
        vec![(stranger, 5)]
    );
}
