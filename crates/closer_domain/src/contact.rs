//! Contacts: the person record, its validated inputs, and the merge rules dedupe relies on.
//!
//! Two inputs build or change a contact: a `ContactDraft` (create or upsert — fills what is
//! empty, replaces only when asked to) and a `ContactPatch` (an explicit edit — sets what it
//! names). Both are pure so they are property-tested here and every storage engine applies
//! exactly the same rules inside its own transaction.

pub mod duplicates;
pub mod merge;
pub mod upsert;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{
    CompanyId, ContactId, Email, FieldError, Phone, Stage, Timestamp, UserId, WorkspaceId,
};

/// Most email addresses or phone numbers one contact keeps.
pub const MAX_IDENTITIES: usize = 10;
/// Most custom properties on one contact.
pub const MAX_PROPERTIES: usize = 100;
/// Longest property name.
pub const MAX_PROPERTY_KEY: usize = 100;
/// Largest serialised property value, in bytes.
pub const MAX_PROPERTY_VALUE_BYTES: usize = 4_096;

/// Marketing consent: the person's latest explicit statement, when and where it was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub granted: bool,
    pub at: Timestamp,
    /// Where the statement came from: a form's name, "api", an import file.
    pub source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub id: ContactId,
    pub workspace_id: WorkspaceId,
    pub name: Option<String>,
    /// First is primary.
    pub emails: Vec<Email>,
    /// E.164; first is primary.
    pub phones: Vec<Phone>,
    pub company: Option<String>,
    /// The company record the person belongs to (by their email's domain, or set).
    pub company_id: Option<CompanyId>,
    pub job_title: Option<String>,
    pub properties: Map<String, Value>,
    pub stage: Stage,
    pub owner_id: Option<UserId>,
    pub consent: Option<Consent>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Validated input for creating or upserting a contact. Empty means "not given".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactDraft {
    pub name: Option<String>,
    pub emails: Vec<Email>,
    pub phones: Vec<Phone>,
    pub company: Option<String>,
    pub job_title: Option<String>,
    pub properties: Map<String, Value>,
    pub stage: Option<Stage>,
    pub owner_id: Option<UserId>,
    pub consent: Option<Consent>,
}

/// An explicit edit: `Some(None)` clears a field, `None` leaves it alone. Lists replace whole;
/// properties merge key by key, a `null` value removing the key (JSON Merge Patch, RFC 7396).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactPatch {
    pub name: Option<Option<String>>,
    pub emails: Option<Vec<Email>>,
    pub phones: Option<Vec<Phone>>,
    pub company: Option<Option<String>>,
    pub job_title: Option<Option<String>>,
    pub properties: Option<Map<String, Value>>,
    pub stage: Option<Stage>,
    pub owner_id: Option<Option<UserId>>,
    pub consent: Option<Option<Consent>>,
    /// Why the stage changes, in the mover's words (kept in the stage history); only with a
    /// stage that changes.
    pub stage_reason: Option<String>,
    /// A precondition: the contact as it was read then (its `updated_at`). Someone who saved
    /// it since makes the patch a conflict instead of an overwrite of what they wrote.
    pub if_unchanged_since: Option<Timestamp>,
}

impl ContactPatch {
    /// Whether `stored` is still the contact this patch was made against.
    pub fn still_applies_to(&self, stored: &Contact) -> bool {
        self.if_unchanged_since
            .is_none_or(|read| stored.updated_at == read)
    }
}

/// What a merge or patch changed, so the store writes only what it must.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeOutcome {
    pub changed: bool,
    /// `(from, to)` when the stage moved: the store closes one history row and opens another.
    pub stage_change: Option<(Stage, Stage)>,
}

impl ContactDraft {
    /// A lead is someone who left contact information: an email or a phone.
    pub fn has_identity(&self) -> bool {
        !self.emails.is_empty() || !self.phones.is_empty()
    }
}

impl Contact {
    /// A new contact from a draft; a draft without a stage makes a lead.
    pub fn from_draft(
        id: ContactId,
        workspace_id: WorkspaceId,
        draft: ContactDraft,
        now: Timestamp,
    ) -> Self {
        Self {
            id,
            workspace_id,
            name: draft.name,
            emails: dedup(draft.emails),
            phones: dedup(draft.phones),
            company: draft.company,
            company_id: None,
            job_title: draft.job_title,
            properties: draft.properties,
            stage: draft.stage.unwrap_or(Stage::Lead),
            owner_id: draft.owner_id,
            consent: draft.consent,
            created_at: now,
            updated_at: now,
        }
    }

    /// Folds a draft for the same person into this contact.
    ///
    /// Empty fields are filled; non-empty ones are kept unless `overwrite`. Emails and phones
    /// are unioned (existing first, so the primary stays). An explicit consent statement always
    /// wins — it is the person's latest word. A stage in the draft moves the contact forward
    /// only, unless `overwrite`.
    pub fn merge(&mut self, draft: &ContactDraft, overwrite: bool, now: Timestamp) -> MergeOutcome {
        let before = self.clone();
        fill(&mut self.name, draft.name.as_ref(), overwrite);
        fill(&mut self.company, draft.company.as_ref(), overwrite);
        fill(&mut self.job_title, draft.job_title.as_ref(), overwrite);
        if draft.owner_id.is_some() && (self.owner_id.is_none() || overwrite) {
            self.owner_id = draft.owner_id;
        }
        union(&mut self.emails, &draft.emails);
        union(&mut self.phones, &draft.phones);
        for (key, value) in &draft.properties {
            if overwrite || !self.properties.contains_key(key) {
                self.properties.insert(key.clone(), value.clone());
            }
        }
        if let Some(consent) = &draft.consent {
            self.consent = Some(consent.clone());
        }
        let mut outcome = MergeOutcome::default();
        if let Some(stage) = draft.stage {
            let forward = matches!((self.stage.rank(), stage.rank()), (Some(a), Some(b)) if b > a);
            if stage != self.stage && (overwrite || forward) {
                outcome.stage_change = Some((self.stage, stage));
                self.stage = stage;
            }
        }
        outcome.changed = *self != before;
        if outcome.changed {
            self.updated_at = now;
        }
        outcome
    }

    /// Applies an explicit edit.
    pub fn apply(&mut self, patch: &ContactPatch, now: Timestamp) -> MergeOutcome {
        let before = self.clone();
        if let Some(v) = &patch.name {
            self.name.clone_from(v);
        }
        if let Some(v) = &patch.company {
            self.company.clone_from(v);
        }
        if let Some(v) = &patch.job_title {
            self.job_title.clone_from(v);
        }
        if let Some(v) = &patch.owner_id {
            self.owner_id = *v;
        }
        if let Some(v) = &patch.consent {
            self.consent.clone_from(v);
        }
        if let Some(v) = &patch.emails {
            self.emails = dedup(v.clone());
        }
        if let Some(v) = &patch.phones {
            self.phones = dedup(v.clone());
        }
        if let Some(props) = &patch.properties {
            for (key, value) in props {
                if value.is_null() {
                    self.properties.remove(key);
                } else {
                    self.properties.insert(key.clone(), value.clone());
                }
            }
        }
        let mut outcome = MergeOutcome::default();
        if let Some(stage) = patch.stage
            && stage != self.stage
        {
            outcome.stage_change = Some((self.stage, stage));
            self.stage = stage;
        }
        outcome.changed = *self != before;
        if outcome.changed {
            self.updated_at = now;
        }
        outcome
    }
}

/// Checks a custom-properties object: bounded count, key length and value size. `null` values
/// are allowed only where they mean "remove" (`allow_null`, in a patch).
pub fn parse_properties(value: Value, allow_null: bool) -> Result<Map<String, Value>, FieldError> {
    let Value::Object(map) = value else {
        return Err(FieldError::new("properties", "must be a JSON object"));
    };
    if map.len() > MAX_PROPERTIES {
        return Err(FieldError::new(
            "properties",
            format!("must have at most {MAX_PROPERTIES} keys"),
        ));
    }
    for (key, value) in &map {
        let field = format!("properties.{key}");
        if key.is_empty() || key.chars().count() > MAX_PROPERTY_KEY {
            return Err(FieldError::new(
                "properties",
                format!("property names must be 1 to {MAX_PROPERTY_KEY} characters"),
            ));
        }
        if key.chars().any(char::is_control) {
            return Err(FieldError::new(
                "properties",
                "property names must not contain control characters",
            ));
        }
        if value.is_null() && !allow_null {
            return Err(FieldError::new(field, "must not be null"));
        }
        if value.to_string().len() > MAX_PROPERTY_VALUE_BYTES {
            return Err(FieldError::new(
                field,
                format!("must be at most {MAX_PROPERTY_VALUE_BYTES} bytes as JSON"),
            ));
        }
    }
    Ok(map)
}

/// Checks the size of an email or phone list.
pub fn check_identity_count<T>(field: &str, list: &[T]) -> Result<(), FieldError> {
    if list.len() > MAX_IDENTITIES {
        return Err(FieldError::new(
            field,
            format!("must hold at most {MAX_IDENTITIES} values"),
        ));
    }
    Ok(())
}

fn fill(slot: &mut Option<String>, value: Option<&String>, overwrite: bool) {
    if let Some(v) = value
        && (slot.is_none() || overwrite)
    {
        *slot = Some(v.clone());
    }
}

fn union<T: PartialEq + Clone>(list: &mut Vec<T>, more: &[T]) {
    for item in more {
        if !list.contains(item) && list.len() < MAX_IDENTITIES {
            list.push(item.clone());
        }
    }
}

fn dedup<T: PartialEq>(list: Vec<T>) -> Vec<T> {
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

#[cfg(test)]
mod tests;
