//! Tags: short labels a team puts on contacts, companies and deals ("vip", "trade show 2026")
//! to find them again, filter lists and act on them together. A tag is compared as written
//! in lower case with its spaces collapsed: "Trade  Show" and "trade show" are one tag.
//! Saved views: a named filter of the contact or deal list, for its author or the team.

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// Most tags one record holds.
pub const MAX_TAGS: usize = 30;
/// Longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Tag(String);

impl Tag {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let words: Vec<&str> = raw.split_whitespace().collect();
        let text = words.join(" ").to_lowercase();
        if text.is_empty() {
            return Err(FieldError::new("tags", "a tag cannot be empty"));
        }
        if text.chars().count() > MAX_TAG_CHARS {
            return Err(FieldError::new(
                "tags",
                format!("{raw:?} is longer than {MAX_TAG_CHARS} characters"),
            ));
        }
        if let Some(bad) = text
            .chars()
            .find(|c| !(c.is_alphanumeric() || " -_.&+/:#'".contains(*c)))
        {
            return Err(FieldError::new(
                "tags",
                format!(
                    "{raw:?}: {bad:?} cannot be in a tag (letters, digits, spaces and - _ . & + / : # ' can)"
                ),
            ));
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Tag {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Tag> for String {
    fn from(t: Tag) -> Self {
        t.0
    }
}

impl std::fmt::Display for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Tags as typed (a list, or one text with commas), each once, in the order given; every
/// mistake named with its place (`tags[1]`).
pub fn parse_tags<S: AsRef<str>>(raw: &[S]) -> Result<Vec<Tag>, Vec<FieldError>> {
    let mut tags: Vec<Tag> = Vec::new();
    let mut errors = Vec::new();
    for (i, r) in raw.iter().enumerate() {
        match Tag::parse(r.as_ref()) {
            Ok(t) if !tags.contains(&t) => tags.push(t),
            Ok(_) => {}
            Err(e) => errors.push(FieldError::new(format!("tags[{i}]"), e.message)),
        }
    }
    if tags.len() > MAX_TAGS {
        errors.push(FieldError::new(
            "tags",
            format!("at most {MAX_TAGS} tags at once"),
        ));
    }
    if errors.is_empty() {
        Ok(tags)
    } else {
        Err(errors)
    }
}

/// `vip, trade show` as typed in one field: split at commas, blanks dropped.
pub fn split_typed(text: &str) -> Vec<&str> {
    text.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect()
}

/// What a saved view lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ViewOf {
    Contacts,
    Deals,
}

impl ViewOf {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Contacts => "contacts",
            Self::Deals => "deals",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw {
            "contacts" => Ok(Self::Contacts),
            "deals" => Ok(Self::Deals),
            other => Err(FieldError::new(
                "of",
                format!("{other:?} is not a list; use contacts or deals"),
            )),
        }
    }
}

/// A saved view's name: 1 to 80 characters, spaces collapsed.
pub fn view_name(raw: &str) -> Result<String, FieldError> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() || name.chars().count() > 80 {
        return Err(FieldError::new("name", "must be 1 to 80 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(FieldError::new(
            "name",
            "must not contain control characters",
        ));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_compared_as_written_in_lower_case() {
        assert_eq!(
            Tag::parse("  Trade   Show ").unwrap().as_str(),
            "trade show"
        );
        assert_eq!(Tag::parse("VIP").unwrap(), Tag::parse("vip").unwrap());
        assert_eq!(Tag::parse("Über-Kunde").unwrap().as_str(), "über-kunde");
        assert!(Tag::parse("   ").is_err());
        assert!(view_name("VIPs\u{0}").is_err(), "a NUL is no name");
        assert_eq!(view_name("  My   VIPs ").unwrap(), "My VIPs");
        assert!(Tag::parse(&"x".repeat(41)).is_err());
        assert!(Tag::parse(&"é".repeat(40)).is_ok());
        let e = Tag::parse("a<b").unwrap_err();
        assert!(e.message.contains("'<'"), "{}", e.message);
    }

    #[test]
    fn lists_of_tags_are_checked_whole() {
        let tags = parse_tags(&split_typed("vip, Trade show,, VIP ,")).unwrap();
        let shown: Vec<&str> = tags.iter().map(Tag::as_str).collect();
        assert_eq!(shown, ["vip", "trade show"]);
        let errors = parse_tags(&["ok", "", "b>"]).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["tags[1]", "tags[2]"]);
        let many: Vec<String> = (0..31).map(|i| format!("t{i}")).collect();
        assert!(parse_tags(&many).is_err());
    }

    #[test]
    fn views() {
        assert_eq!(view_name("  Hot  leads ").unwrap(), "Hot leads");
        assert!(view_name(" ").is_err());
        assert_eq!(ViewOf::parse("deals").unwrap(), ViewOf::Deals);
        assert!(ViewOf::parse("orders").is_err());
    }
}
