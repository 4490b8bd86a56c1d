//! `Timestamp`: a UTC instant at microsecond precision; and calendar dates as people write them.
//!
//! Both storage engines keep microseconds (PostgreSQL `timestamptz`, SQLite integer
//! microseconds — see docs/adr/0001-storage-encodings.md), so the domain truncates to the same
//! precision up front and a value read back equals the value written.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(#[serde(with = "time::serde::rfc3339")] OffsetDateTime);

impl Timestamp {
    /// Truncates to microseconds and converts to UTC.
    pub fn new(at: OffsetDateTime) -> Self {
        let at = at.to_offset(time::UtcOffset::UTC);
        let micros = at.microsecond();
        Self(
            at.replace_microsecond(micros)
                .expect("microsecond in range"),
        )
    }

    pub fn now() -> Self {
        Self::new(OffsetDateTime::now_utc())
    }

    pub fn from_unix_micros(micros: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
            .ok()
            .map(Self)
    }

    pub fn unix_micros(self) -> i64 {
        i64::try_from(self.0.unix_timestamp_nanos() / 1_000).expect("timestamp fits i64 micros")
    }

    pub fn get(self) -> OffsetDateTime {
        self.0
    }

    /// Parses RFC 3339 (`2026-11-23T10:00:00Z`).
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .ok()
            .map(Self::new)
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self
            .0
            .format(&time::format_description::well_known::Rfc3339)
        {
            Ok(s) => f.write_str(&s),
            Err(_) => write!(f, "{}", self.0),
        }
    }
}

/// A calendar date written `YYYY-MM-DD` (an expected close date, an imported order's day).
pub fn parse_date(field: &str, raw: &str) -> Result<time::Date, crate::FieldError> {
    time::Date::parse(
        raw.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| {
        crate::FieldError::new(
            field,
            format!("{raw:?} is not a date: write it as YYYY-MM-DD"),
        )
    })
}

/// A date as `YYYY-MM-DD`.
pub fn date_text(d: time::Date) -> String {
    d.format(time::macros::format_description!("[year]-[month]-[day]"))
        .expect("a date formats")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micros_round_trip() {
        let t = Timestamp::now();
        assert_eq!(Timestamp::from_unix_micros(t.unix_micros()), Some(t));
    }

    #[test]
    fn rfc3339_is_normalised_to_utc() {
        let t = Timestamp::parse_rfc3339("2026-11-23T12:00:00+02:00").unwrap();
        assert_eq!(t.to_string(), "2026-11-23T10:00:00Z");
    }

    #[test]
    fn dates_are_written_as_people_write_them() {
        let d = parse_date("day", " 2027-03-31 ").unwrap();
        assert_eq!(date_text(d), "2027-03-31");
        for bad in ["31/03/2027", "2027-02-30", "", "2027-3-1"] {
            assert!(parse_date("day", bad).is_err(), "{bad}");
        }
    }
}
