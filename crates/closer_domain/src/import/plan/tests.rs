use super::*;
use crate::{Email, Phone};

fn ws() -> WorkspaceId {
    WorkspaceId(uuid::Uuid::from_u128(1))
}

fn at(day: u32) -> Timestamp {
    Timestamp::parse_rfc3339(&format!("2026-03-{day:02}T10:00:00Z")).unwrap()
}

fn row(line: u64, email: &str, name: &str) -> ImportRow {
    ImportRow {
        line,
        external_id: None,
        draft: ContactDraft {
            name: Some(name.to_owned()),
            emails: vec![Email::parse(email).unwrap()],
            ..ContactDraft::default()
        },
        created_at: None,
    }
}

/// What a store would answer after writing `writes` over `stored`.
fn stored_after(mut stored: Known, writes: &ContactWrites) -> Known {
    stored.add_written(writes);
    stored
}

#[test]
fn rows_of_one_person_make_one_contact_and_the_first_row_sets_the_fields() {
    let rows = vec![
        row(2, "ada@example.com", "Ada Lovelace"),
        row(3, "grace@example.com", "Grace Hopper"),
        row(4, "ADA@example.com", "A. Lovelace"),
    ];
    let touched = HashSet::new();
    let plan = plan_contacts(ws(), "import", rows, Known::default(), &touched, at(1));
    assert_eq!(plan.writes.inserts.len(), 2);
    assert!(matches!(plan.outcomes[0], RowOutcome::Created(_)));
    assert!(matches!(plan.outcomes[2], RowOutcome::Merged(id) if id == plan.outcomes[0].contact()));
    assert_eq!(plan.writes.inserts[0].name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(plan.writes.identities.len(), 2);
}

#[test]
fn importing_the_same_rows_again_changes_nothing() {
    let rows = || {
        let mut phone = row(3, "ada@example.com", "Ada L.");
        phone.draft.phones = vec![Phone::parse("+44 20 7946 0018", None).unwrap()];
        let mut with_id = row(4, "grace@example.com", "Grace");
        with_id.external_id = Some("hs-7".into());
        with_id.draft.stage = Some(Stage::Customer);
        vec![row(2, "ada@example.com", "Ada Lovelace"), phone, with_id]
    };
    let first = plan_contacts(
        ws(),
        "import",
        rows(),
        Known::default(),
        &HashSet::new(),
        at(1),
    );
    let stored = stored_after(Known::default(), &first.writes);
    let again = plan_contacts(ws(), "import", rows(), stored, &HashSet::new(), at(2));
    assert!(again.writes.is_empty(), "{:?}", again.writes);
    assert!(matches!(again.outcomes[0], RowOutcome::Unchanged(_)));
    assert!(matches!(again.outcomes[1], RowOutcome::Merged(_)));
    assert!(matches!(again.outcomes[2], RowOutcome::Unchanged(_)));
}

#[test]
fn a_changed_row_updates_its_record_found_by_its_external_id() {
    let mut first = row(2, "grace@example.com", "Grace");
    first.external_id = Some("7".into());
    let plan = plan_contacts(
        ws(),
        "import",
        vec![first],
        Known::default(),
        &HashSet::new(),
        at(1),
    );
    let stored = stored_after(Known::default(), &plan.writes);
    let id = plan.outcomes[0].contact();
    // The email changed in the source tool: the id still finds the record.
    let mut changed = row(2, "grace@navy.mil", "Grace Hopper");
    changed.external_id = Some("7".into());
    let plan = plan_contacts(
        ws(),
        "import",
        vec![changed],
        stored,
        &HashSet::new(),
        at(2),
    );
    assert_eq!(plan.outcomes, vec![RowOutcome::Updated(id)]);
    let update = &plan.writes.updates[0];
    assert_eq!(update.contact.name.as_deref(), Some("Grace Hopper"));
    assert_eq!(update.read_updated_at, at(1));
    assert_eq!(
        plan.writes.identities,
        vec![(id, IdentityKind::Email, "grace@navy.mil".to_owned())]
    );
}

#[test]
fn another_persons_phone_is_not_moved_and_the_stage_never_goes_back() {
    let a = Contact::from_draft(
        ContactId::new(),
        ws(),
        row(0, "a@example.com", "A").draft,
        at(1),
    );
    let mut b = Contact::from_draft(ContactId::new(), ws(), ContactDraft::default(), at(1));
    b.stage = Stage::Customer;
    b.phones = vec![Phone::parse("+44 20 7946 0018", None).unwrap()];
    let mut known = Known::default();
    known
        .identities
        .insert((IdentityKind::Email, "a@example.com".into()), a.id);
    known
        .identities
        .insert((IdentityKind::Phone, "+442079460018".into()), b.id);
    known.contacts.insert(a.id, a.clone());
    known.contacts.insert(b.id, b.clone());
    let mut both = row(2, "a@example.com", "A");
    both.draft.phones = b.phones.clone();
    let mut back = ImportRow {
        line: 3,
        external_id: None,
        draft: ContactDraft {
            phones: b.phones.clone(),
            stage: Some(Stage::Lead),
            ..ContactDraft::default()
        },
        created_at: None,
    };
    back.draft.name = None;
    let plan = plan_contacts(
        ws(),
        "import",
        vec![both, back],
        known,
        &HashSet::new(),
        at(2),
    );
    assert_eq!(
        plan.outcomes,
        vec![RowOutcome::Unchanged(a.id), RowOutcome::Unchanged(b.id)]
    );
    // Nothing changes but the pair, recorded as a possible duplicate.
    assert_eq!(
        plan.writes.duplicates,
        vec![crate::contact::duplicates::pair(a.id, b.id).unwrap()]
    );
    let mut rest = plan.writes.clone();
    rest.duplicates.clear();
    assert!(rest.is_empty());
}

#[test]
fn a_new_record_keeps_the_files_creation_time() {
    let mut r = row(2, "old@example.com", "Old");
    r.created_at = Some(at(1));
    let plan = plan_contacts(
        ws(),
        "import",
        vec![r],
        Known::default(),
        &HashSet::new(),
        at(5),
    );
    assert_eq!(plan.writes.inserts[0].created_at, at(1));
    assert_eq!(plan.writes.inserts[0].updated_at, at(5));
}
