use super::*;
use proptest::prelude::*;
use serde_json::json;

fn now() -> Timestamp {
    Timestamp::parse_rfc3339("2026-11-23T10:00:00Z").unwrap()
}

fn later() -> Timestamp {
    Timestamp::parse_rfc3339("2026-11-23T11:00:00Z").unwrap()
}

fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

fn base() -> Contact {
    Contact::from_draft(
        ContactId::new(),
        WorkspaceId::new(),
        ContactDraft {
            name: Some("Ada".into()),
            emails: vec![email("ada@example.com")],
            properties: json!({"plan": "pro"}).as_object().unwrap().clone(),
            ..ContactDraft::default()
        },
        now(),
    )
}

#[test]
fn new_contact_is_a_lead() {
    assert_eq!(base().stage, Stage::Lead);
}

#[test]
fn merge_fills_empty_and_keeps_set_fields() {
    let mut c = base();
    let draft = ContactDraft {
        name: Some("Ada Lovelace".into()),
        company: Some("Analytical".into()),
        emails: vec![email("ada@work.example.com")],
        properties: json!({"plan": "free", "size": 10})
            .as_object()
            .unwrap()
            .clone(),
        ..ContactDraft::default()
    };
    let out = c.merge(&draft, false, later());
    assert!(out.changed);
    assert_eq!(c.name.as_deref(), Some("Ada"), "non-empty name kept");
    assert_eq!(
        c.company.as_deref(),
        Some("Analytical"),
        "empty company filled"
    );
    assert_eq!(
        c.emails,
        vec![email("ada@example.com"), email("ada@work.example.com")]
    );
    assert_eq!(c.properties["plan"], json!("pro"));
    assert_eq!(c.properties["size"], json!(10));
    assert_eq!(c.updated_at, later());
}

#[test]
fn merge_with_overwrite_replaces() {
    let mut c = base();
    let draft = ContactDraft {
        name: Some("Ada Lovelace".into()),
        properties: json!({"plan": "free"}).as_object().unwrap().clone(),
        ..ContactDraft::default()
    };
    c.merge(&draft, true, later());
    assert_eq!(c.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(c.properties["plan"], json!("free"));
}

#[test]
fn merge_of_nothing_new_changes_nothing() {
    let mut c = base();
    let out = c.merge(
        &ContactDraft {
            emails: vec![email("ADA@example.com")],
            ..ContactDraft::default()
        },
        false,
        later(),
    );
    assert!(!out.changed);
    assert_eq!(c.updated_at, now());
}

#[test]
fn merge_moves_stage_forward_only_unless_overwrite() {
    let mut c = base();
    let to_customer = ContactDraft {
        stage: Some(Stage::Customer),
        ..ContactDraft::default()
    };
    let back_to_lead = ContactDraft {
        stage: Some(Stage::Lead),
        ..ContactDraft::default()
    };
    assert_eq!(
        c.merge(&to_customer, false, later()).stage_change,
        Some((Stage::Lead, Stage::Customer))
    );
    assert_eq!(c.merge(&back_to_lead, false, later()).stage_change, None);
    assert_eq!(c.stage, Stage::Customer);
    assert_eq!(
        c.merge(&back_to_lead, true, later()).stage_change,
        Some((Stage::Customer, Stage::Lead))
    );
}

#[test]
fn explicit_consent_always_wins() {
    let mut c = base();
    let granted = Consent {
        granted: true,
        at: now(),
        source: Some("form".into()),
    };
    c.merge(
        &ContactDraft {
            consent: Some(granted),
            ..ContactDraft::default()
        },
        false,
        later(),
    );
    let withdrawn = Consent {
        granted: false,
        at: later(),
        source: Some("api".into()),
    };
    c.merge(
        &ContactDraft {
            consent: Some(withdrawn.clone()),
            ..ContactDraft::default()
        },
        false,
        later(),
    );
    assert_eq!(c.consent, Some(withdrawn));
}

#[test]
fn patch_sets_clears_and_merges_properties() {
    let mut c = base();
    let patch = ContactPatch {
        name: Some(None),
        company: Some(Some("Acme".into())),
        properties: Some(
            json!({"plan": null, "seats": 3})
                .as_object()
                .unwrap()
                .clone(),
        ),
        stage: Some(Stage::Disqualified),
        ..ContactPatch::default()
    };
    let out = c.apply(&patch, later());
    assert_eq!(c.name, None);
    assert_eq!(c.company.as_deref(), Some("Acme"));
    assert!(!c.properties.contains_key("plan"));
    assert_eq!(c.properties["seats"], json!(3));
    assert_eq!(out.stage_change, Some((Stage::Lead, Stage::Disqualified)));
}

#[test]
fn properties_are_bounded() {
    assert!(parse_properties(json!([1]), false).is_err());
    assert!(parse_properties(json!({"a": null}), false).is_err());
    assert!(parse_properties(json!({"a": null}), true).is_ok());
    assert!(parse_properties(json!({"a": "x".repeat(5000)}), false).is_err());
    let many: Map<String, Value> = (0..=MAX_PROPERTIES)
        .map(|i| (i.to_string(), json!(i)))
        .collect();
    assert!(parse_properties(Value::Object(many), false).is_err());
}

proptest! {
    /// Merging the same draft twice is the same as merging it once.
    #[test]
    fn merge_is_idempotent(name in proptest::option::of("[a-z]{1,8}"), company in proptest::option::of("[a-z]{1,8}"),
                           overwrite: bool, extra in proptest::collection::vec("[a-z]{1,6}", 0..3)) {
        let draft = ContactDraft {
            name,
            company,
            emails: extra.iter().map(|l| email(&format!("{l}@example.org"))).collect(),
            ..ContactDraft::default()
        };
        let mut once = base();
        once.merge(&draft, overwrite, later());
        let mut twice = once.clone();
        let out = twice.merge(&draft, overwrite, later());
        prop_assert!(!out.changed);
        prop_assert_eq!(once, twice);
    }

    /// A merge never loses an identity the contact already had.
    #[test]
    fn merge_keeps_identities(locals in proptest::collection::vec("[a-z]{1,6}", 0..12), overwrite: bool) {
        let mut c = base();
        let draft = ContactDraft {
            emails: locals.iter().map(|l| email(&format!("{l}@example.net"))).collect(),
            ..ContactDraft::default()
        };
        c.merge(&draft, overwrite, later());
        prop_assert_eq!(&c.emails[0], &email("ada@example.com"));
        prop_assert!(c.emails.len() <= MAX_IDENTITIES);
    }
}
