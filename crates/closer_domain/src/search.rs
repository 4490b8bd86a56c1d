//! What a search box's text looks for: the words it holds, each matched as the start of a word
//! of a name, email, company or domain ("gra hop" finds Grace Hopper), and — when it reads as
//! (part of) a phone number in any notation — the E.164 prefixes the number can stand for.

use crate::{FieldError, Region};

/// A parsed search: at least one word or one phone prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    words: Vec<String>,
    phone_prefixes: Vec<String>,
}

/// Longer text than this is not something typed into a search box.
pub const MAX_QUERY_CHARS: usize = 200;
/// Words past this many add nothing a person can tell apart; they are refused, not dropped.
pub const MAX_WORDS: usize = 8;
/// A phone number's start needs this many digits before it narrows anything down.
const MIN_PHONE_DIGITS: usize = 3;

impl SearchQuery {
    /// Reads `raw`; national phone numbers are read in `region` (the workspace's default
    /// country) as well as as they were typed.
    pub fn parse(raw: &str, region: Option<Region>) -> Result<Self, FieldError> {
        let raw = raw.trim();
        if raw.chars().count() > MAX_QUERY_CHARS {
            return Err(FieldError::new(
                "q",
                format!("must be at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        // Words split where the full-text indexes split them: at anything not a letter or a
        // digit, so `grace@example.com` is `grace example com` on both sides.
        let words: Vec<String> = raw
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        if words.len() > MAX_WORDS {
            return Err(FieldError::new(
                "q",
                format!("must have at most {MAX_WORDS} words"),
            ));
        }
        let phone_prefixes = phone_prefixes(raw, region);
        if words.is_empty() && phone_prefixes.is_empty() {
            return Err(FieldError::new(
                "q",
                "must contain a letter or a digit to search for",
            ));
        }
        Ok(Self {
            words,
            phone_prefixes,
        })
    }

    /// The lower-cased words, each to match the start of a word.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// E.164 prefixes (`+1415555`) a phone identity may start with; empty unless the text
    /// reads as a phone number.
    pub fn phone_prefixes(&self) -> &[String] {
        &self.phone_prefixes
    }
}

/// The E.164 starts `raw` can mean if it is written the way phone numbers are: digits with
/// spaces, dashes, dots, slashes or brackets, `+` or `00` for an international number. A
/// number without either is read as typed with a country code and, in `region`, as a
/// national number without its trunk zeros (`0171 234` in Germany: `+49171234`).
fn phone_prefixes(raw: &str, region: Option<Region>) -> Vec<String> {
    let phone_like = raw
        .chars()
        .all(|c| c.is_ascii_digit() || " +-./()".contains(c));
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    if !phone_like || digits.len() < MIN_PHONE_DIGITS || raw.rfind('+').is_some_and(|i| i > 0) {
        return Vec::new();
    }
    if raw.starts_with('+') {
        return vec![format!("+{digits}")];
    }
    if let Some(rest) = digits.strip_prefix("00") {
        return vec![format!("+{rest}")];
    }
    let mut prefixes = vec![format!("+{digits}")];
    if let Some(code) = region.and_then(Region::calling_code) {
        let national = format!("+{code}{}", digits.trim_start_matches('0'));
        if !prefixes.contains(&national) {
            prefixes.push(national);
        }
    }
    prefixes
}

/// The first string after every string that starts with `prefix`, for a range scan:
/// `value >= prefix and value < prefix_end(prefix)`. Only for ASCII prefixes (E.164).
pub fn prefix_end(prefix: &str) -> String {
    let mut bytes = prefix.as_bytes().to_vec();
    while let Some(last) = bytes.pop() {
        if last < 0x7f {
            bytes.push(last + 1);
            break;
        }
    }
    String::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us() -> Option<Region> {
        Region::parse("US").ok()
    }

    #[test]
    fn words_split_where_the_indexes_split() {
        let q = SearchQuery::parse("  Grace@Example.com  Hop ", None).unwrap();
        assert_eq!(q.words(), ["grace", "example", "com", "hop"]);
        assert!(q.phone_prefixes().is_empty());
        let q = SearchQuery::parse("José Müller", None).unwrap();
        assert_eq!(q.words(), ["josé", "müller"]);
    }

    #[test]
    fn a_phone_in_any_notation() {
        let q = SearchQuery::parse("(415) 555-01", us()).unwrap();
        assert_eq!(q.phone_prefixes(), ["+41555501", "+141555501"]);
        let q = SearchQuery::parse("+1 415 555", us()).unwrap();
        assert_eq!(q.phone_prefixes(), ["+1415555"]);
        let q = SearchQuery::parse("0049 171 234", None).unwrap();
        assert_eq!(q.phone_prefixes(), ["+49171234"]);
        let de = Some(Region::parse("DE").unwrap());
        let q = SearchQuery::parse("0171/234", de).unwrap();
        assert_eq!(q.phone_prefixes(), ["+0171234", "+49171234"]);
        // Without a region a national number is only read as if it had its country code.
        let q = SearchQuery::parse("415.555", None).unwrap();
        assert_eq!(q.phone_prefixes(), ["+415555"]);
    }

    #[test]
    fn not_a_phone() {
        for raw in ["41", "acme 415", "415+555", "1-800-FLOWERS"] {
            let q = SearchQuery::parse(raw, us()).unwrap();
            assert!(q.phone_prefixes().is_empty(), "{raw}");
        }
    }

    #[test]
    fn refused_with_the_reason() {
        assert!(
            SearchQuery::parse("", None)
                .unwrap_err()
                .message
                .contains("letter")
        );
        assert!(SearchQuery::parse(" -- @ ", None).is_err());
        let long = "a".repeat(MAX_QUERY_CHARS + 1);
        assert!(
            SearchQuery::parse(&long, None)
                .unwrap_err()
                .message
                .contains("200")
        );
        let many = "a b c d e f g h i";
        assert!(
            SearchQuery::parse(many, None)
                .unwrap_err()
                .message
                .contains("8 words")
        );
    }

    #[test]
    fn prefix_ends() {
        assert_eq!(prefix_end("+1415"), "+1416");
        assert_eq!(prefix_end("+1419"), "+141:");
        assert!("+14159999" < prefix_end("+1415").as_str());
    }
}
