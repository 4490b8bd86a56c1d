//! A capture costs PostgreSQL at most three round trips (statements counted as sqlx logs them;
//! a transaction would add its `COMMIT`): a new person, a known person with news, a known
//! person without, each with a tracked visitor and an event, as a form post brings them.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use closer_domain::traffic::VisitorKey;
use closer_domain::{ContactDraft, Email, EventId, EventKind, NewEvent, Phone, Timestamp};
use closer_store::conformance::workspace;
use closer_store::{ContactReads, ContactStore, UpsertContact};
use closer_store_postgres::testing::test_store;
use tracing_subscriber::layer::{Context, SubscriberExt};

/// Counts the statements sqlx runs (it logs each one under `sqlx::query`).
struct Statements(Arc<AtomicUsize>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Statements {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() == "sqlx::query" {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

fn capture(email: &str, phone: Option<&str>, budget: u32, visitor: &str) -> UpsertContact {
    let mut draft = ContactDraft {
        emails: vec![Email::parse(email).unwrap()],
        phones: phone
            .map(|p| vec![Phone::parse(p, None).unwrap()])
            .unwrap_or_default(),
        ..ContactDraft::default()
    };
    draft
        .properties
        .insert("budget".into(), serde_json::json!(budget));
    UpsertContact {
        draft,
        overwrite: false,
        event: Some(NewEvent {
            id: EventId::new(),
            kind: EventKind::FormSubmitted,
            occurred_at: Timestamp::now(),
            properties: serde_json::json!({"form": "landing"}),
        }),
        actor: "form:landing".into(),
        visitor: Some(VisitorKey::client(visitor).unwrap()),
        now: Timestamp::now(),
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_capture_takes_at_most_three_round_trips() {
    let Some((store, _guard)) = test_store().await else {
        return;
    };
    let ws = workspace(&store, "trips").await;
    // Warm the connections' statement caches, as a running server's are.
    for i in 0..8 {
        store
            .upsert_contact(
                ws,
                capture(&format!("warm{i}@example.com"), None, 1, "visitor-warm"),
            )
            .await
            .unwrap();
    }
    let count = Arc::new(AtomicUsize::new(0));
    let subscriber = tracing_subscriber::registry().with(Statements(count.clone()));
    let _scope = tracing::subscriber::set_default(subscriber);

    let cases = [
        (
            "a new person",
            capture("ada@example.com", None, 5, "visitor-ada1"),
        ),
        (
            "a known person with a new phone and property",
            capture(
                "ada@example.com",
                Some("+1 650 253 0000"),
                9,
                "visitor-ada2",
            ),
        ),
        (
            "a known person with nothing new",
            capture("ada@example.com", None, 9, "visitor-ada2"),
        ),
    ];
    let mut ids = Vec::new();
    for (what, req) in cases {
        let before = count.load(Ordering::SeqCst);
        ids.push(store.upsert_contact(ws, req).await.unwrap().contact.id);
        let trips = count.load(Ordering::SeqCst) - before;
        assert!(
            (1..=3).contains(&trips),
            "{what}: {trips} statements, at most 3 expected"
        );
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one person");
    let ada = store.contact(ws, ids[0]).await.unwrap();
    assert_eq!(ada.phones.len(), 1, "the phone was added");
    assert_eq!(
        ada.properties["budget"], 5,
        "an upsert without overwrite keeps the first budget"
    );
}
