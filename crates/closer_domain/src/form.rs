//! Lead-capture forms: the public key, and turning a raw submission into a contact draft.
//!
//! A landing page posts whatever fields it has. Known names map to contact fields (several
//! spellings each, as form builders differ); names starting with `_` are closer's control
//! fields and never stored as properties; everything else becomes a custom property.

use serde_json::{Map, Value};

use crate::contact::{MAX_PROPERTIES, MAX_PROPERTY_KEY, MAX_PROPERTY_VALUE_BYTES};
use crate::{Consent, ContactDraft, Email, FieldError, Phone, Region, Timestamp, text};

/// The hidden field bots fill in and people never see. Formspree's name, so existing
/// landing-page templates work unchanged.
pub const HONEYPOT_FIELD: &str = "_gotcha";

/// Most fields one submission may carry.
pub const MAX_FIELDS: usize = 100;

/// A form's public key, as it appears in `/f/{key}`: 8–64 of `A-Za-z0-9_-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FormKey(String);

impl FormKey {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let ok = (8..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::new("form_key", "is not a form key"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for FormKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A submission, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct FormSubmission {
    /// True when the honeypot was filled: answer as if all went well, store nothing.
    pub is_bot: bool,
    pub draft: ContactDraft,
    /// Every field as posted (but the honeypot), kept whole on the `form_submitted` event.
    pub fields: Map<String, Value>,
}

enum Target {
    Email,
    Phone,
    Name,
    FirstName,
    LastName,
    Company,
    JobTitle,
    Consent,
    Control,
    Property,
}

fn target(name: &str) -> Target {
    match name.to_ascii_lowercase().replace('-', "_").as_str() {
        "email" | "e_mail" | "email_address" | "mail" => Target::Email,
        "phone" | "phone_number" | "tel" | "telephone" | "mobile" | "mobile_phone" => Target::Phone,
        "name" | "full_name" | "fullname" | "your_name" => Target::Name,
        "first_name" | "firstname" | "given_name" => Target::FirstName,
        "last_name" | "lastname" | "family_name" | "surname" => Target::LastName,
        "company" | "company_name" | "organization" | "organisation" => Target::Company,
        "job_title" | "jobtitle" | "title" | "position" => Target::JobTitle,
        "consent" | "marketing_consent" | "newsletter" | "opt_in" => Target::Consent,
        _ if name.starts_with('_') => Target::Control,
        _ => Target::Property,
    }
}

fn truthy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "on" | "yes" | "true" | "1" | "y" | "checked"
    )
}

/// Parses a submission given as name/value pairs (both HTML form posts and flattened JSON).
///
/// `consent_source` names where a consent tick came from (the form's name); `region` reads
/// national phone numbers. Collects every field error rather than stopping at the first.
pub fn parse_submission(
    pairs: Vec<(String, Value)>,
    region: Option<Region>,
    consent_source: &str,
    now: Timestamp,
) -> Result<FormSubmission, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut draft = ContactDraft::default();
    let mut fields = Map::new();
    let mut is_bot = false;
    let (mut first, mut last) = (None, None);

    if pairs.len() > MAX_FIELDS {
        return Err(vec![FieldError::new(
            "form",
            format!("a submission may carry at most {MAX_FIELDS} fields"),
        )]);
    }

    for (name, value) in pairs {
        if name == HONEYPOT_FIELD {
            is_bot |= value.as_str().is_some_and(|s| !s.trim().is_empty());
            continue;
        }
        let text_value = match &value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => String::new(),
            Value::Array(_) | Value::Object(_) => {
                errors.push(FieldError::new(
                    &name,
                    "must be a string, number or boolean",
                ));
                continue;
            }
        };
        if name.is_empty()
            || name.chars().count() > MAX_PROPERTY_KEY
            || name.chars().any(char::is_control)
        {
            errors.push(FieldError::new(
                "form",
                format!("field names must be 1 to {MAX_PROPERTY_KEY} printable characters"),
            ));
            continue;
        }
        if text_value.len() > MAX_PROPERTY_VALUE_BYTES {
            errors.push(FieldError::new(
                &name,
                format!("must be at most {MAX_PROPERTY_VALUE_BYTES} bytes"),
            ));
            continue;
        }
        let is_blank = text_value.trim().is_empty();
        match target(&name) {
            Target::Email if !is_blank => match Email::parse(&text_value) {
                Ok(e) if !draft.emails.contains(&e) => draft.emails.push(e),
                Ok(_) => {}
                Err(e) => errors.push(FieldError::new(&name, e.message)),
            },
            Target::Phone if !is_blank => match Phone::parse(&text_value, region) {
                Ok(p) if !draft.phones.contains(&p) => draft.phones.push(p),
                Ok(_) => {}
                Err(e) => errors.push(FieldError::new(&name, e.message)),
            },
            Target::Name => set_text(&mut draft.name, &name, &text_value, &mut errors),
            Target::FirstName => set_text(&mut first, &name, &text_value, &mut errors),
            Target::LastName => set_text(&mut last, &name, &text_value, &mut errors),
            Target::Company => set_text(&mut draft.company, &name, &text_value, &mut errors),
            Target::JobTitle => set_text(&mut draft.job_title, &name, &text_value, &mut errors),
            Target::Consent => {
                draft.consent = Some(Consent {
                    granted: truthy(&text_value),
                    at: now,
                    source: Some(consent_source.to_owned()),
                });
            }
            Target::Property if !is_blank => {
                if draft.properties.len() >= MAX_PROPERTIES && !draft.properties.contains_key(&name)
                {
                    errors.push(FieldError::new(
                        "form",
                        format!("at most {MAX_PROPERTIES} custom fields"),
                    ));
                } else {
                    merge_repeated(&mut draft.properties, &name, value.clone());
                }
            }
            Target::Email | Target::Phone | Target::Property | Target::Control => {}
        }
        if !matches!(target(&name), Target::Control) {
            merge_repeated(&mut fields, &name, value);
        }
    }

    if draft.name.is_none() {
        draft.name = match (first, last) {
            (Some(f), Some(l)) => Some(format!("{f} {l}")),
            (f, l) => f.or(l),
        };
    }
    if !is_bot && !draft.has_identity() && errors.is_empty() {
        errors.push(FieldError::new(
            "email",
            "an email address or a phone number is needed so we can get back to you",
        ));
    }
    if errors.is_empty() || is_bot {
        Ok(FormSubmission {
            is_bot,
            draft,
            fields,
        })
    } else {
        Err(errors)
    }
}

fn set_text(slot: &mut Option<String>, field: &str, raw: &str, errors: &mut Vec<FieldError>) {
    match text::clean(field, raw) {
        Ok(Some(v)) => *slot = Some(v),
        Ok(None) => {}
        Err(e) => errors.push(e),
    }
}

/// A field posted more than once (a checkbox group) keeps every value, as an array.
fn merge_repeated(map: &mut Map<String, Value>, key: &str, value: Value) {
    match map.get_mut(key) {
        None => {
            map.insert(key.to_owned(), value);
        }
        Some(Value::Array(list)) => list.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
    }
}

#[cfg(test)]
mod tests;
