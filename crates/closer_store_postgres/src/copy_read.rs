//! Large report reads on PostgreSQL as binary `COPY (query) TO STDOUT`: one byte stream parsed
//! in a tight loop. Through the regular protocol, every one of a year's million journey rows
//! cost a row message, an async yield and typed lookups, which took more CPU in closer than
//! the query took in PostgreSQL.
//!
//! `COPY` takes no bind parameters. The report queries' `$1`–`$3` (workspace, period) are
//! typed values written into the statement as literals (a UUID and integers, nothing a user
//! typed); `$4`, a property name someone may have typed, travels as a transaction-local
//! setting read back with `current_setting`.

use closer_domain::WorkspaceId;
use closer_store::{Period, StoreError};
use futures::TryStreamExt;
use sqlx::PgPool;
use tracing::instrument::WithSubscriber;

use crate::error::db_err;

/// PGCOPY's signature, then its flags and header extension length (both 32-bit).
const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";
/// The most fields a copied row may have: rows are handed over as a slice of a stack array,
/// not a vector allocated per row (PostgreSQL sends each row as a message of its own).
const MAX_FIELDS: usize = 16;
/// 2000-01-01T00:00:00Z in Unix microseconds: PostgreSQL's epoch for `timestamptz`.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("binary copy: {what}"))
}

/// `sql` (with the report parameters `$1`–`$4`, see `reports::rows`) run as a binary `COPY`,
/// each row's fields (`None`: NULL) handed to `map` as they arrive.
pub(crate) async fn copy_rows<T>(
    pool: &PgPool,
    sql: &str,
    ws: WorkspaceId,
    period: Period,
    prop: Option<&str>,
    mut map: impl FnMut(&[Option<&[u8]>]) -> Result<T, StoreError> + Send,
) -> Result<Vec<T>, StoreError> {
    let at = |micros: i64| format!("(timestamptz 'epoch' + {micros} * interval '1 microsecond')");
    let statement = format!(
        "copy ({}) to stdout (format binary)",
        sql.replace("$4", "nullif(current_setting('closer.prop', true), '')")
            .replace("$1", &format!("'{}'::uuid", ws.0))
            .replace("$2", &at(period.from.unix_micros()))
            .replace("$3", &at(period.to.unix_micros()))
    );
    let mut tx = pool.begin().await.map_err(db_err)?;
    if let Some(prop) = prop {
        sqlx::query("select set_config('closer.prop', $1, true)")
            .bind(prop)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
    }
    let mut out = Vec::new();
    {
        // Opened with no subscriber: sqlx instruments the stream with the span current when
        // it is opened and enters it for each row, which for a request's span costs two
        // subscriber calls per row (about a tenth of a million-row read).
        let mut stream = tx
            .copy_out_raw(&statement)
            .with_subscriber(tracing::subscriber::NoSubscriber::default())
            .await
            .map_err(db_err)?;
        let mut buf: Vec<u8> = Vec::new();
        let mut start = 0;
        let mut header = false;
        let mut ended = false;
        let mut bounds: Vec<Option<(usize, usize)>> = Vec::new();
        while let Some(chunk) = stream.try_next().await.map_err(db_err)? {
            buf.drain(..start);
            start = 0;
            buf.extend_from_slice(&chunk);
            if !header {
                let Some(after) = header_len(&buf)? else {
                    continue;
                };
                start = after;
                header = true;
            }
            while !ended {
                match tuple(&buf[start..], &mut bounds)? {
                    Tuple::Incomplete => break,
                    Tuple::End => ended = true,
                    Tuple::Row(len) => {
                        let mut fields: [Option<&[u8]>; MAX_FIELDS] = [None; MAX_FIELDS];
                        for (field, b) in fields.iter_mut().zip(&bounds) {
                            *field = b.map(|(from, to)| &buf[start + from..start + to]);
                        }
                        out.push(map(&fields[..bounds.len()])?);
                        start += len;
                    }
                }
            }
        }
        if !ended {
            return Err(corrupt("the data ended without its trailer"));
        }
    }
    tx.commit().await.map_err(db_err)?;
    Ok(out)
}

/// The header's length once all of it has arrived.
fn header_len(buf: &[u8]) -> Result<Option<usize>, StoreError> {
    let fixed = SIGNATURE.len() + 8;
    if buf.len() < fixed {
        return Ok(None);
    }
    if &buf[..SIGNATURE.len()] != SIGNATURE {
        return Err(corrupt("no PGCOPY signature"));
    }
    let ext = u32::from_be_bytes(read4(&buf[SIGNATURE.len() + 4..])?) as usize;
    Ok((buf.len() >= fixed + ext).then_some(fixed + ext))
}

enum Tuple {
    Incomplete,
    End,
    /// A whole row of this many bytes; its fields' bounds are in the vector passed in.
    Row(usize),
}

fn read4(b: &[u8]) -> Result<[u8; 4], StoreError> {
    b.get(..4)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| corrupt("short field"))
}

/// The tuple at the start of `b`, if it has arrived whole.
fn tuple(b: &[u8], bounds: &mut Vec<Option<(usize, usize)>>) -> Result<Tuple, StoreError> {
    let Some(count) = b.get(..2) else {
        return Ok(Tuple::Incomplete);
    };
    let count = i16::from_be_bytes([count[0], count[1]]);
    if count == -1 {
        return Ok(Tuple::End);
    }
    let count = usize::try_from(count).map_err(|_| corrupt("negative field count"))?;
    if count > MAX_FIELDS {
        return Err(corrupt("a row with more fields than expected"));
    }
    bounds.clear();
    let mut at = 2;
    for _ in 0..count {
        let Some(len) = b.get(at..at + 4) else {
            return Ok(Tuple::Incomplete);
        };
        let len = i32::from_be_bytes(read4(len)?);
        at += 4;
        if len < 0 {
            bounds.push(None);
            continue;
        }
        let end = at + usize::try_from(len).map_err(|_| corrupt("field length"))?;
        if end > b.len() {
            return Ok(Tuple::Incomplete);
        }
        bounds.push(Some((at, end)));
        at = end;
    }
    Ok(Tuple::Row(at))
}

/// A `text` field.
pub(crate) fn text(f: Option<&[u8]>) -> Result<Option<&str>, StoreError> {
    f.map(|b| std::str::from_utf8(b).map_err(|_| corrupt("text that is not UTF-8")))
        .transpose()
}

/// A `uuid` field.
pub(crate) fn uuid(f: Option<&[u8]>) -> Result<Option<uuid::Uuid>, StoreError> {
    f.map(|b| uuid::Uuid::from_slice(b).map_err(|_| corrupt("uuid size")))
        .transpose()
}

/// An `int8` field.
pub(crate) fn int8(f: Option<&[u8]>) -> Result<Option<i64>, StoreError> {
    f.map(|b| {
        b.try_into()
            .map(i64::from_be_bytes)
            .map_err(|_| corrupt("bigint size"))
    })
    .transpose()
}

/// A `timestamptz` field as Unix microseconds.
pub(crate) fn micros(f: Option<&[u8]>) -> Result<Option<i64>, StoreError> {
    f.map(|b| {
        let raw: [u8; 8] = b.try_into().map_err(|_| corrupt("timestamp size"))?;
        i64::from_be_bytes(raw)
            .checked_add(PG_EPOCH_MICROS)
            .ok_or_else(|| corrupt("timestamp out of range"))
    })
    .transpose()
}

/// A `timestamptz` field that must be there; `what` names it in the error.
pub(crate) fn timestamp(
    f: Option<&[u8]>,
    what: &str,
) -> Result<closer_domain::Timestamp, StoreError> {
    micros(f)?
        .and_then(closer_domain::Timestamp::from_unix_micros)
        .ok_or_else(|| StoreError::Corrupt(format!("{what} without its time")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuples_are_read_whole_or_not_at_all() {
        // Two fields: NULL, then "ab"; then the trailer.
        let mut data = vec![0, 2];
        data.extend((-1i32).to_be_bytes());
        data.extend(2i32.to_be_bytes());
        data.extend(b"ab");
        let whole = data.len();
        data.extend((-1i16).to_be_bytes());
        let mut bounds = Vec::new();
        for cut in 0..whole {
            assert!(matches!(
                tuple(&data[..cut], &mut bounds).unwrap(),
                Tuple::Incomplete
            ));
        }
        let Tuple::Row(len) = tuple(&data, &mut bounds).unwrap() else {
            panic!("a whole row");
        };
        assert_eq!(len, whole);
        assert_eq!(bounds, vec![None, Some((10, 12))]);
        assert!(matches!(
            tuple(&data[len..], &mut bounds).unwrap(),
            Tuple::End
        ));
        assert_eq!(
            micros(Some(&0i64.to_be_bytes())).unwrap(),
            Some(PG_EPOCH_MICROS)
        );
        assert!(micros(Some(&i64::MAX.to_be_bytes())).is_err());
        assert!(micros(Some(b"short")).is_err());
    }
}
