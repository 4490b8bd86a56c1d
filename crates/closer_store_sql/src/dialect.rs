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

    /// `column` where SQLite must not use it to pick an index (`+column`): closer runs SQLite
    /// without statistics, and its planner would otherwise walk a workspace-wide index where
    /// the statement's other terms find rows by key. PostgreSQL plans from statistics.
    pub fn unindexed(self, column: &str) -> String {
        match self {
            Dialect::Sqlite => format!("+{column}"),
            Dialect::Postgres => column.to_owned(),
        }
    }

    /// The sum of an integer column as an integer (PostgreSQL sums `bigint` into `numeric`).
    pub fn sum_int(self, column: &str) -> String {
        match self {
            Dialect::Sqlite => format!("sum({column})"),
            Dialect::Postgres => format!("sum({column})::bigint"),
        }
    }

    /// The microseconds from `start` to `end` (SQLite keeps times as integer microseconds).
    pub fn micros_between(self, start: &str, end: &str) -> String {
        match self {
            Dialect::Sqlite => format!("({end} - {start})"),
            Dialect::Postgres => {
                format!("(extract(epoch from ({end} - {start})) * 1000000)::bigint")
            }
        }
    }

    /// The start of the `bucket`-microsecond interval holding `time`, in microseconds.
    pub fn time_bucket(self, time: &str, bucket: i64) -> String {
        match self {
            Dialect::Sqlite => format!("(({time} / {bucket}) * {bucket})"),
            Dialect::Postgres => format!(
                "(floor(extract(epoch from {time}) * 1000000 / {bucket}) * {bucket})::bigint"
            ),
        }
    }

    /// Sets aside (or brings back) the triggers that keep a new contact's journey row, for
    /// the rest of the transaction: a write that makes many people writes their journeys
    /// itself (migration 0021). Either way it ends with the transaction.
    pub fn pause_journeys(self, paused: bool) -> &'static str {
        match (self, paused) {
            (Dialect::Sqlite, true) => "insert into journeys_paused (paused) values (1)",
            (Dialect::Sqlite, false) => "delete from journeys_paused",
            (Dialect::Postgres, true) => "select set_config('closer.journeys_paused', 'on', true)",
            (Dialect::Postgres, false) => {
                "select set_config('closer.journeys_paused', 'off', true)"
            }
        }
    }

    /// A JSON value written from a text parameter: PostgreSQL casts it to `jsonb`, SQLite
    /// keeps JSON as text.
    pub fn json_text(self, placeholder: &str) -> String {
        match self {
            Dialect::Sqlite => placeholder.to_owned(),
            Dialect::Postgres => format!("{placeholder}::jsonb"),
        }
    }

    /// The domain of an email address held in `column` (what follows the `@`), as the
    /// identities' domain index is built.
    pub fn email_domain(self, column: &str) -> String {
        match self {
            Dialect::Sqlite => format!("substr({column}, instr({column}, '@') + 1)"),
            Dialect::Postgres => format!("split_part({column}, '@', 2)"),
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

    /// The visits of an aggregated set of sessions as the journeys and deals keep them: each
    /// `channel 0x1F campaign`, joined by 0x1E in the order of `order`.
    pub fn touch_path(self, channel: &str, campaign: &str, order: &str) -> String {
        let (agg, chr) = match self {
            Dialect::Sqlite => ("group_concat", "char"),
            Dialect::Postgres => ("string_agg", "chr"),
        };
        format!(
            "{agg}({channel} || {chr}(31) || coalesce({campaign}, ''), {chr}(30) order by {order})"
        )
    }
}

/// A parameter's value. The `Maybe…` ones may be NULL and keep their type, which PostgreSQL
/// needs to compare them with a column.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Uuid(Uuid),
    Text(String),
    Time(Timestamp),
    Int(i64),
    Bool(bool),
    MaybeUuid(Option<Uuid>),
    MaybeText(Option<String>),
    MaybeTime(Option<Timestamp>),
    MaybeInt(Option<i64>),
    MaybeBool(Option<bool>),
    /// A list of ids: one array parameter on PostgreSQL, one parameter each on SQLite
    /// (`Sql::bind_ids` writes the matching test).
    Uuids(Vec<Uuid>),
    /// A list of texts, bound as `Uuids` are (`Sql::bind_texts`).
    Texts(Vec<String>),
}

impl From<Uuid> for Param {
    fn from(v: Uuid) -> Self {
        Param::Uuid(v)
    }
}

impl From<String> for Param {
    fn from(v: String) -> Self {
        Param::Text(v)
    }
}

impl From<&str> for Param {
    fn from(v: &str) -> Self {
        Param::Text(v.to_owned())
    }
}

impl From<Timestamp> for Param {
    fn from(v: Timestamp) -> Self {
        Param::Time(v)
    }
}

impl From<i64> for Param {
    fn from(v: i64) -> Self {
        Param::Int(v)
    }
}

impl From<bool> for Param {
    fn from(v: bool) -> Self {
        Param::Bool(v)
    }
}

impl From<Option<Uuid>> for Param {
    fn from(v: Option<Uuid>) -> Self {
        Param::MaybeUuid(v)
    }
}

impl From<Option<String>> for Param {
    fn from(v: Option<String>) -> Self {
        Param::MaybeText(v)
    }
}

impl From<Option<&str>> for Param {
    fn from(v: Option<&str>) -> Self {
        Param::MaybeText(v.map(str::to_owned))
    }
}

impl From<Option<Timestamp>> for Param {
    fn from(v: Option<Timestamp>) -> Self {
        Param::MaybeTime(v)
    }
}

impl From<Option<bool>> for Param {
    fn from(v: Option<bool>) -> Self {
        Param::MaybeBool(v)
    }
}

impl From<Option<i64>> for Param {
    fn from(v: Option<i64>) -> Self {
        Param::MaybeInt(v)
    }
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

    /// A whole statement: `text` numbers its parameters `$1`, `$2`, … (written once, as
    /// PostgreSQL does; SQLite's `?1`, `?2`, … are put in their place), `params` in that order.
    pub fn of(dialect: Dialect, text: &str, params: impl IntoIterator<Item = Param>) -> Self {
        let text = match dialect {
            Dialect::Postgres => text.to_owned(),
            Dialect::Sqlite => numbered_as_sqlite(text),
        };
        Self {
            dialect,
            text,
            params: params.into_iter().collect(),
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

    /// ` = any($n)` (PostgreSQL) or ` in (?n, ?n+1, …)` (SQLite) after a column: a test that
    /// the column is one of `ids` (not empty).
    pub fn bind_ids(&mut self, ids: &[Uuid]) -> &mut Self {
        match self.dialect {
            Dialect::Postgres => self
                .push(" = any(")
                .bind(Param::Uuids(ids.to_vec()))
                .push(")"),
            Dialect::Sqlite => {
                self.push(" in (");
                for (i, id) in ids.iter().enumerate() {
                    if i > 0 {
                        self.push(", ");
                    }
                    self.bind(Param::Uuid(*id));
                }
                self.push(")")
            }
        }
    }

    /// As `bind_ids`, for texts: ` = any($n)` or ` in (?n, …)` (not empty).
    pub fn bind_texts(&mut self, values: &[String]) -> &mut Self {
        match self.dialect {
            Dialect::Postgres => self
                .push(" = any(")
                .bind(Param::Texts(values.to_vec()))
                .push(")"),
            Dialect::Sqlite => {
                self.push(" in (");
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        self.push(", ");
                    }
                    self.bind(Param::Text(v.clone()));
                }
                self.push(")")
            }
        }
    }

    /// The placeholder the next `bind` will write, for expressions built around it.
    pub fn next_placeholder(&self) -> String {
        self.dialect.placeholder(self.params.len() + 1)
    }
}

/// `$n` (a `$` and digits) as `?n`; any other `$` (a JSON path's `$.`) stays.
fn numbered_as_sqlite(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
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

    #[test]
    fn a_statement_is_written_once_with_numbered_parameters() {
        let text = "select json_extract(p, '$.a') from t where a = $1 and b = $12";
        let sqlite = Sql::of(Dialect::Sqlite, text, [Param::Int(1)]);
        assert_eq!(
            sqlite.text,
            "select json_extract(p, '$.a') from t where a = ?1 and b = ?12"
        );
        assert_eq!(Sql::of(Dialect::Postgres, text, []).text, text);
    }
}
