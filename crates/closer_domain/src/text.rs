//! Free-text fields (names, companies, titles): trimmed, bounded, no control characters.

use crate::FieldError;

/// Longest free-text value accepted for a contact field, in characters.
pub const MAX_TEXT_CHARS: usize = 500;

/// Trims `raw`; empty becomes `None`. Rejects over-long values and control characters
/// (a name with a NUL or an escape sequence is an attack, not a name).
pub fn clean(field: &str, raw: &str) -> Result<Option<String>, FieldError> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if value.chars().count() > MAX_TEXT_CHARS {
        return Err(FieldError::new(
            field,
            format!("must be at most {MAX_TEXT_CHARS} characters"),
        ));
    }
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(Some(value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_empties() {
        assert_eq!(clean("name", "  Ada  ").unwrap().as_deref(), Some("Ada"));
        assert_eq!(clean("name", "   ").unwrap(), None);
    }

    #[test]
    fn refuses_control_and_length() {
        assert!(clean("name", "a\u{0}b").is_err());
        assert!(clean("name", &"x".repeat(MAX_TEXT_CHARS + 1)).is_err());
        assert!(clean("name", &"é".repeat(MAX_TEXT_CHARS)).is_ok());
    }
}
