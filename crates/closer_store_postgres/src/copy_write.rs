//! Bulk writes on PostgreSQL as binary `COPY table (columns) FROM STDIN`: rows encoded here in
//! PostgreSQL's binary format and sent as one stream — no statement, bind or plan per row, and
//! no text for the server to parse.

use closer_domain::Timestamp;
use closer_store::StoreError;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::error::db_err;

/// PGCOPY's signature, then its flags and header extension length (both 32-bit, zero).
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// 2000-01-01T00:00:00Z in Unix microseconds: PostgreSQL's epoch for `timestamptz`.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;
/// 2000-01-01's Julian day: PostgreSQL's epoch for `date`.
const PG_EPOCH_JULIAN_DAY: i32 = 2_451_545;
/// Bytes buffered before they are sent.
const FLUSH_AT: usize = 4 << 20;

/// One `COPY … FROM STDIN (FORMAT binary)` in progress: `row` starts a row, the typed methods
/// append its fields in the statement's column order.
pub(crate) struct CopyIn<'c> {
    copy: sqlx::postgres::PgCopyIn<&'c mut PgConnection>,
    buf: Vec<u8>,
    fields: i16,
}

impl<'c> CopyIn<'c> {
    /// Starts copying into `target` (`table (col, …)`), each row of `fields` fields.
    pub(crate) async fn start(
        conn: &'c mut PgConnection,
        target: &str,
        fields: i16,
    ) -> Result<Self, StoreError> {
        let copy = conn
            .copy_in_raw(&format!("copy {target} from stdin (format binary)"))
            .await
            .map_err(db_err)?;
        let mut buf = Vec::with_capacity(FLUSH_AT + 4096);
        buf.extend_from_slice(HEADER);
        Ok(Self { copy, buf, fields })
    }

    /// Starts the next row, sending what is buffered once there is enough of it.
    pub(crate) async fn row(&mut self) -> Result<&mut Self, StoreError> {
        if self.buf.len() >= FLUSH_AT {
            let full = std::mem::replace(&mut self.buf, Vec::with_capacity(FLUSH_AT + 4096));
            self.copy.send(full).await.map_err(db_err)?;
        }
        self.buf.extend_from_slice(&self.fields.to_be_bytes());
        Ok(self)
    }

    fn field(&mut self, bytes: &[u8]) -> &mut Self {
        // A field longer than 2 GiB cannot be a column closer writes.
        let len = i32::try_from(bytes.len()).unwrap_or(i32::MAX);
        self.buf.extend_from_slice(&len.to_be_bytes());
        self.buf.extend_from_slice(bytes);
        self
    }

    pub(crate) fn null(&mut self) -> &mut Self {
        self.buf.extend_from_slice(&(-1i32).to_be_bytes());
        self
    }

    pub(crate) fn uuid(&mut self, u: Uuid) -> &mut Self {
        self.field(u.as_bytes())
    }

    pub(crate) fn opt_uuid(&mut self, u: Option<Uuid>) -> &mut Self {
        match u {
            Some(u) => self.uuid(u),
            None => self.null(),
        }
    }

    pub(crate) fn text(&mut self, s: &str) -> &mut Self {
        self.field(s.as_bytes())
    }

    pub(crate) fn opt_text(&mut self, s: Option<&str>) -> &mut Self {
        match s {
            Some(s) => self.text(s),
            None => self.null(),
        }
    }

    /// A `jsonb` field: format version 1, then the JSON text.
    pub(crate) fn jsonb(&mut self, json: &str) -> &mut Self {
        let len = i32::try_from(json.len() + 1).unwrap_or(i32::MAX);
        self.buf.extend_from_slice(&len.to_be_bytes());
        self.buf.push(1);
        self.buf.extend_from_slice(json.as_bytes());
        self
    }

    pub(crate) fn int8(&mut self, v: i64) -> &mut Self {
        self.field(&v.to_be_bytes())
    }

    pub(crate) fn int4(&mut self, v: i32) -> &mut Self {
        self.field(&v.to_be_bytes())
    }

    pub(crate) fn boolean(&mut self, v: bool) -> &mut Self {
        self.field(&[u8::from(v)])
    }

    pub(crate) fn ts(&mut self, t: Timestamp) -> &mut Self {
        self.int8(t.unix_micros() - PG_EPOCH_MICROS)
    }

    pub(crate) fn opt_ts(&mut self, t: Option<Timestamp>) -> &mut Self {
        match t {
            Some(t) => self.ts(t),
            None => self.null(),
        }
    }

    /// A `date` field: days since 2000-01-01.
    pub(crate) fn date(&mut self, d: time::Date) -> &mut Self {
        self.int4(d.to_julian_day() - PG_EPOCH_JULIAN_DAY)
    }

    /// Sends the rest and the trailer; the rows copied.
    pub(crate) async fn finish(mut self) -> Result<u64, StoreError> {
        self.buf.extend_from_slice(&(-1i16).to_be_bytes());
        self.copy.send(self.buf).await.map_err(db_err)?;
        self.copy.finish().await.map_err(db_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_and_dates_count_from_postgres_epoch() {
        let day = time::Date::from_calendar_date(2000, time::Month::January, 1).unwrap();
        assert_eq!(day.to_julian_day(), PG_EPOCH_JULIAN_DAY);
        assert_eq!(
            PG_EPOCH_MICROS,
            day.midnight().assume_utc().unix_timestamp() * 1_000_000
        );
    }
}
