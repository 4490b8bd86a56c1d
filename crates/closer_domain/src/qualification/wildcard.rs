//! `*` patterns for page paths, form names, property values and job titles: `*` matches any
//! run of characters, everything else itself, case-insensitively. Rules are written by people
//! who are not programmers, so there is deliberately nothing else (no `?`, classes or escapes).

/// A checked pattern, kept with the text it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    raw: String,
    parts: Vec<String>,
}

impl Pattern {
    pub fn new(raw: &str) -> Self {
        Self {
            raw: raw.to_owned(),
            parts: raw.to_lowercase().split('*').map(str::to_owned).collect(),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// `"*"` alone means "present and not empty".
    pub fn matches(&self, text: &str) -> bool {
        let text = text.to_lowercase();
        let (first, rest) = self
            .parts
            .split_first()
            .expect("split yields one part at least");
        let Some(mut tail) = text.strip_prefix(first.as_str()) else {
            return false;
        };
        let Some((last, middle)) = rest.split_last() else {
            return tail.is_empty();
        };
        for part in middle {
            match tail.find(part.as_str()) {
                Some(at) => tail = &tail[at + part.len()..],
                None => return false,
            }
        }
        if self.raw == "*" {
            return !text.is_empty();
        }
        tail.ends_with(last.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Pattern;

    #[test]
    fn stars_match_any_run_and_case_is_ignored() {
        let cases = [
            ("/pricing*", "/pricing", true),
            ("/pricing*", "/Pricing/teams", true),
            ("/pricing*", "/about/pricing", false),
            ("*head of*", "Head of Sales", true),
            ("*ceo*", "CTO", false),
            ("a*b*c", "abc", true),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "acb", false),
            ("ab*ba", "aba", false),
            ("exact", "exact", true),
            ("exact", "exactly", false),
            ("*", "", false),
            ("*", "x", true),
        ];
        for (pattern, text, want) in cases {
            assert_eq!(
                Pattern::new(pattern).matches(text),
                want,
                "{pattern:?} on {text:?}"
            );
        }
    }
}
