use super::*;
use serde_json::json;

fn pairs(list: &[(&str, &str)]) -> Vec<(String, Value)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
        .collect()
}

fn now() -> Timestamp {
    Timestamp::parse_rfc3339("2026-11-23T10:00:00Z").unwrap()
}

#[test]
fn maps_known_fields_and_keeps_the_rest_as_properties() {
    let s = parse_submission(
        pairs(&[
            ("Email", "Ada@Example.com"),
            ("first_name", "Ada"),
            ("last_name", "Lovelace"),
            ("company", "Analytical Engines"),
            ("budget", "5k"),
            ("interests", "crm"),
            ("interests", "email"),
            ("consent", "on"),
            ("_visitor_id", "v1"),
            ("_gotcha", ""),
        ]),
        None,
        "Demo request",
        now(),
    )
    .unwrap();
    assert!(!s.is_bot);
    assert_eq!(s.draft.emails[0].as_str(), "ada@example.com");
    assert_eq!(s.draft.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(s.draft.company.as_deref(), Some("Analytical Engines"));
    assert_eq!(s.draft.properties["budget"], json!("5k"));
    assert_eq!(s.draft.properties["interests"], json!(["crm", "email"]));
    assert!(
        !s.draft.properties.contains_key("_visitor_id"),
        "control fields are not properties"
    );
    assert!(!s.fields.contains_key("_gotcha"));
    let consent = s.draft.consent.unwrap();
    assert!(consent.granted);
    assert_eq!(consent.source.as_deref(), Some("Demo request"));
}

#[test]
fn honeypot_marks_a_bot_even_with_invalid_fields() {
    let s = parse_submission(
        pairs(&[("email", "not-an-email"), ("_gotcha", "http://spam")]),
        None,
        "f",
        now(),
    )
    .unwrap();
    assert!(s.is_bot);
}

#[test]
fn needs_an_email_or_a_phone() {
    let errs = parse_submission(pairs(&[("name", "Ada")]), None, "f", now()).unwrap_err();
    assert_eq!(errs[0].field, "email");
}

#[test]
fn collects_every_field_error() {
    let errs = parse_submission(
        pairs(&[("email", "nope"), ("phone", "12"), ("name", "a\u{1b}[31m")]),
        None,
        "f",
        now(),
    )
    .unwrap_err();
    let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["email", "phone", "name"]);
}

#[test]
fn phone_with_workspace_region() {
    let s = parse_submission(
        pairs(&[("tel", "(650) 253-0000")]),
        Some(Region::parse("US").unwrap()),
        "f",
        now(),
    )
    .unwrap();
    assert_eq!(s.draft.phones[0].as_str(), "+16502530000");
}

#[test]
fn nested_values_are_refused() {
    let errs =
        parse_submission(vec![("email".into(), json!(["a@b.co"]))], None, "f", now()).unwrap_err();
    assert_eq!(errs[0].field, "email");
}

#[test]
fn form_keys() {
    assert!(FormKey::parse("abcDEF12_-").is_ok());
    assert!(FormKey::parse("short").is_err());
    assert!(FormKey::parse("has space in it").is_err());
}
