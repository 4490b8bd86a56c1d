//! Erasure really erases: after `erase_contact`, the person's email, phone and name are in
//! neither the database file nor its WAL, not even in free space — large records' overflow
//! pages included.

use closer_domain::{
    ContactDraft, Email, EventId, EventKind, NewEvent, Phone, Slug, Timestamp, WorkspaceId,
};
use closer_store::{ContactStore, UpsertContact, Workspace, WorkspaceStore};
use closer_store_sqlite::SqliteStore;
use closer_store_sqlite::testing::TempDb;

fn file_contains(path: &str, needle: &[u8]) -> bool {
    std::fs::read(path).is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erased_personal_data_leaves_no_bytes_behind() {
    let db = TempDb::new();
    let store = SqliteStore::connect(&db.url()).await.unwrap();
    let ws = Workspace {
        id: WorkspaceId::new(),
        slug: Slug::parse("erasure").unwrap(),
        name: "Erasure".into(),
        default_region: None,
        created_at: Timestamp::now(),
    };
    store.create_workspace(&ws).await.unwrap();
    let marker = uuid::Uuid::new_v4().simple().to_string();
    let email = format!("erase-{marker}@example.com");
    let name = format!("Person {marker}");
    // Someone else, so the pages stay in use and hold neighbours' data.
    for i in 0..50 {
        let draft = ContactDraft {
            emails: vec![Email::parse(&format!("keep{i}@example.com")).unwrap()],
            ..ContactDraft::default()
        };
        store
            .upsert_contact(
                ws.id,
                UpsertContact {
                    draft,
                    overwrite: false,
                    event: None,
                    actor: "t".into(),
                    visitor: None,
                    now: Timestamp::now(),
                },
            )
            .await
            .unwrap();
    }
    // Fourteen custom fields of 4 KB: the row spills onto overflow pages, which a delete
    // frees whole (SQLite's `secure_delete = fast` leaves those unzeroed).
    let mut properties = serde_json::Map::new();
    for i in 0..14 {
        let text = format!("field {i} of {marker} ").repeat(4_096 / 50);
        properties.insert(format!("notes_{i}"), text.into());
    }
    let draft = ContactDraft {
        name: Some(name.clone()),
        emails: vec![Email::parse(&email).unwrap()],
        phones: vec![Phone::parse("+1 650 253 0000", None).unwrap()],
        properties,
        ..ContactDraft::default()
    };
    let event = NewEvent {
        id: EventId::new(),
        kind: EventKind::FormSubmitted,
        occurred_at: Timestamp::now(),
        properties: serde_json::json!({"fields": {"email": email, "name": name, "message": format!("note {marker}")}}),
    };
    let c = store
        .upsert_contact(
            ws.id,
            UpsertContact {
                draft,
                overwrite: false,
                event: Some(event),
                actor: "t".into(),
                visitor: None,
                now: Timestamp::now(),
            },
        )
        .await
        .unwrap()
        .contact;
    let path = db.url().trim_start_matches("sqlite://").to_owned();
    let wal = format!("{path}-wal");
    assert!(
        file_contains(&path, marker.as_bytes()) || file_contains(&wal, marker.as_bytes()),
        "the test can see the data before erasure"
    );

    store
        .erase_contact(ws.id, c.id, Timestamp::now())
        .await
        .unwrap();

    for file in [&path, &wal] {
        assert!(
            !file_contains(file, marker.as_bytes()),
            "{file} still holds the erased person's data"
        );
        assert!(
            !file_contains(file, b"+16502530000"),
            "{file} still holds the erased phone"
        );
        assert!(
            !file_contains(file, email.as_bytes()),
            "{file} still holds the erased email"
        );
        assert!(
            !file_contains(file, b"field 3 of "),
            "{file} still holds the erased custom fields"
        );
    }
    assert!(
        file_contains(&path, b"keep7@example.com"),
        "other contacts are untouched"
    );
}
