//! Where the two engines' SQL differs, and a statement built once for both: text with the
//! engine's placeholders, and its parameters as typed values each adapter binds its own way
//! (a time is `timestamptz` on PostgreSQL, integer microseconds on SQLite).

use closer_domain::Timestamp;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The `n`th parameter (from 1).
    pub fn placeholder(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => format!("?{n}"),
            Dialect::Postgres => format!("${n}"),
        }
    }

    /// A test that `text` (an expression) contains `needle` (a placeholder) literally —
    /// not LIKE, so a user's `%` and `_` stay plain characters.
    pub fn contains(self, text: &str, needle: &str) -> String {
        match self {
            Dialect::Sqlite => format!("instr({text}, {needle}) > 0"),
            Dialect::Postgres => format!("strpos({text}, {needle}) > 0"),
        }
    }
}

/// A parameter's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Uuid(Uuid),
    Text(String),
    Time(Timestamp),
    Int(i64),
}

/// A statement being built: text and parameters in step.
#[derive(Debug, Clone)]
pub struct Sql {
    pub dialect: Dialect,
    pub text: String,
    pub params: Vec<Param>,
}

impl Sql {
    pub fn new(dialect: Dialect, text: impl Into<String>) -> Self {
        Self {
            dialect,
            text: text.into(),
            params: Vec::new(),
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind(&mut self, value: Param) -> &mut Self {
        self.params.push(value);
        let placeholder = self.dialect.placeholder(self.params.len());
        self.text.push_str(&placeholder);
        self
    }

    /// The placeholder the next `bind` will write, for expressions built around it.
    pub fn next_placeholder(&self) -> String {
        self.dialect.placeholder(self.params.len() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_parameters() {
        for (dialect, want) in [
            (Dialect::Postgres, "a = $1 and b = $2"),
            (Dialect::Sqlite, "a = ?1 and b = ?2"),
        ] {
            let mut sql = Sql::new(dialect, "a = ");
            sql.bind(Param::Int(1))
                .push(" and b = ")
                .bind(Param::Text("x".into()));
            assert_eq!(sql.text, want);
            assert_eq!(sql.params.len(), 2);
        }
        assert_eq!(
            Dialect::Sqlite.contains("search", "?3"),
            "instr(search, ?3) > 0"
        );
    }
}
