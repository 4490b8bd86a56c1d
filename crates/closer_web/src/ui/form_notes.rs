//! What the app's edit forms share: each mistake shown next to its field (a list field's
//! lines by number), the read time an edit carries as its precondition, and the owner a
//! form chose.

use closer_domain::{FieldError, Timestamp};
use maud::{Markup, html};

/// The mistakes of a posted form, to show beside their fields.
pub(super) struct Notes<'a>(pub &'a [FieldError]);

impl Notes<'_> {
    /// The messages about `field`: its own, and its lines' (`emails[1]`: the second line),
    /// each with its line.
    pub fn of(&self, field: &str) -> Vec<String> {
        self.0
            .iter()
            .filter_map(|e| {
                if e.field == field {
                    return Some(e.message.clone());
                }
                let line: usize = e
                    .field
                    .strip_prefix(field)?
                    .strip_prefix('[')?
                    .strip_suffix(']')?
                    .parse()
                    .ok()?;
                Some(format!("line {}: {}", line + 1, e.message))
            })
            .collect()
    }

    /// The note after `field`'s input (`id="FIELD-error"`), if there is anything to say.
    pub fn about(&self, field: &str) -> Markup {
        let messages = self.of(field);
        html! {
            @if !messages.is_empty() {
                span.field-error id=(format!("{field}-error")) role="alert" { (messages.join("; ")) }
            }
        }
    }

    /// The input's `aria-describedby`, when it has a note.
    pub fn described(&self, field: &str) -> Option<String> {
        (!self.of(field).is_empty()).then(|| format!("{field}-error"))
    }
}

/// The record's `updated_at` a form was drawn with (microseconds since the epoch).
pub(super) fn read_time(raw: &str) -> Result<Timestamp, FieldError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .and_then(Timestamp::from_unix_micros)
        .ok_or_else(|| FieldError::new("form", "was not drawn by closer: open it again"))
}

/// The owner a form chose: absent (the user may not assign), nobody (empty), or a user.
pub(super) fn owner_choice(raw: Option<&str>) -> Result<Option<Option<uuid::Uuid>>, FieldError> {
    match raw.map(str::trim) {
        None => Ok(None),
        Some("") => Ok(Some(None)),
        Some(id) => uuid::Uuid::parse_str(id)
            .map(|u| Some(Some(u)))
            .map_err(|_| FieldError::new("owner_id", "is not one of the workspace's users")),
    }
}

/// What a record was when its form was drawn, for records without an `updated_at` (tasks,
/// activities): a digest of every field. Saving compares it with the record as stored now,
/// so a change someone made meanwhile is shown instead of overwritten.
pub(super) fn fingerprint(record: &impl std::fmt::Debug) -> String {
    use std::hash::{Hash, Hasher};
    // SipHash with fixed keys: the same record gives the same digest in every process.
    let mut h = std::hash::DefaultHasher::new();
    format!("{record:?}").hash(&mut h);
    format!("{:016x}", h.finish())
}
