//! Reading a contact file on a thread of its own, a batch of rows at a time: each row read
//! into a contact or rejected with every reason, cells as the file has them (a quote closer's
//! export put before formula-like cells taken off). The channel's bound keeps memory flat
//! whatever the file's size.

use std::io::Read;

use closer_domain::import::job::Rejected;
use closer_domain::import::{ContactColumns, ContactRow, Mapping};
use closer_domain::property::{PropertyDef, typed};
use closer_domain::{FieldError, Region, csv_cell};
use tokio::sync::mpsc;

/// Rows a batch holds: one lookup and one transaction each.
pub(super) const BATCH: usize = 5000;

/// Consecutive rows of the file.
#[derive(Debug, Default)]
pub(super) struct Batch {
    pub rows: Vec<(u64, ContactRow)>,
    pub rejected: Vec<Rejected>,
    /// Bytes of the file read so far.
    pub bytes: u64,
}

/// What the reader sends: the header, then batches; or why it stopped.
#[derive(Debug)]
pub(super) enum Sent {
    Header(Vec<String>),
    Batch(Batch),
    Failed(FieldError),
}

/// Reads the file onto `tx`, the values of the workspace's defined contact properties
/// (`defs`) checked as the API checks them. Runs on a blocking thread.
pub(super) fn read_contacts(
    input: impl Read,
    mapping: &Mapping,
    region: Option<Region>,
    defs: &[PropertyDef],
    tx: &mpsc::Sender<Sent>,
) {
    if let Err(e) = read_into(input, mapping, region, defs, tx) {
        let _ = tx.blocking_send(Sent::Failed(e));
    }
}

fn read_into(
    input: impl Read,
    mapping: &Mapping,
    region: Option<Region>,
    defs: &[PropertyDef],
    tx: &mpsc::Sender<Sent>,
) -> Result<(), FieldError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(input);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| FieldError::new("file", format!("cannot read the header: {e}")))?
        .iter()
        .map(str::to_owned)
        .collect();
    let refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    let columns = ContactColumns::recognise(&refs, mapping)?;
    if tx.blocking_send(Sent::Header(headers.clone())).is_err() {
        return Ok(());
    }
    let mut batch = Batch::default();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                return Err(FieldError::new(
                    "file",
                    format!("line {line}: {}", csv_problem(&e)),
                ));
            }
        }
        let line = record.position().map_or(0, csv::Position::line);
        let cells: Vec<&str> = record.iter().map(csv_cell::restore).collect();
        let typed = columns.read(&cells, region).and_then(|mut row| {
            if !defs.is_empty() && !row.draft.properties.is_empty() {
                let mut props = typed(defs, &row.draft.properties)?;
                props.retain(|_, v| !v.is_null());
                row.draft.properties = props;
            }
            Ok(row)
        });
        match typed {
            Ok(row) => batch.rows.push((line, row)),
            Err(problems) => {
                let raw: Vec<String> = record.iter().map(str::to_owned).collect();
                batch.rejected.push(Rejected::of(line, &raw, &problems));
            }
        }
        if batch.rows.len() + batch.rejected.len() >= BATCH {
            batch.bytes = reader.position().byte();
            if tx
                .blocking_send(Sent::Batch(std::mem::take(&mut batch)))
                .is_err()
            {
                return Ok(());
            }
        }
    }
    batch.bytes = reader.position().byte();
    let _ = tx.blocking_send(Sent::Batch(batch));
    Ok(())
}

pub(super) fn csv_problem(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "is not UTF-8 text (save the file as CSV UTF-8)".into(),
        other => format!("{other:?}"),
    }
}
