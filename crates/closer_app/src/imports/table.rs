//! A whole file of a kind that stays small — companies, deals, activities (a CRM holds a few
//! thousand, rarely more than a hundred thousand): read at once, each row with its line and
//! cells as the file has them, so every row can be checked before anything is written.

use std::io::Read;
use std::sync::Arc;

use closer_domain::{FieldError, csv_cell};

use super::{ImportReport, ImportSummary, Rejected, Source};
use crate::AppError;

/// Most rows such a file may hold.
pub(super) const MAX_ROWS: usize = 500_000;

pub(super) struct Table {
    pub headers: Vec<String>,
    /// (line, cells as the file has them).
    pub rows: Vec<(u64, Vec<String>)>,
    pub bytes: u64,
}

impl Table {
    /// A row's cells for reading: a quote closer's export put before formula-like cells
    /// taken off.
    pub fn cells(raw: &[String]) -> Vec<&str> {
        raw.iter().map(|c| csv_cell::restore(c)).collect()
    }
}

pub(super) fn read_table(input: impl Read) -> Result<Table, FieldError> {
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
    if headers.iter().all(|h| h.trim().is_empty()) {
        return Err(FieldError::new(
            "file",
            "is empty: the first line must name the columns",
        ));
    }
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                let why = super::read::csv_problem(&e);
                return Err(FieldError::new("file", format!("line {line}: {why}")));
            }
        }
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(FieldError::new(
                "file",
                format!("holds more than {MAX_ROWS} rows: split it"),
            ));
        }
        let line = record.position().map_or(0, csv::Position::line);
        rows.push((line, record.iter().map(str::to_owned).collect()));
    }
    Ok(Table {
        headers,
        bytes: reader.position().byte(),
        rows,
    })
}

/// Reads a whole file on a blocking thread.
pub(super) async fn read_whole(source: Arc<dyn Source>) -> Result<Table, AppError> {
    tokio::task::spawn_blocking(move || {
        let input = source
            .open()
            .map_err(|e| AppError::invalid("file", format!("cannot be read: {e}")))?;
        read_table(input).map_err(AppError::from)
    })
    .await
    .map_err(|e| AppError::Internal(format!("the file reader stopped: {e}")))?
}

impl Table {
    /// Every row read by `read`, in the file's order; a row it refuses is counted and
    /// reported with every problem.
    pub fn read_rows<R>(
        &self,
        summary: &mut ImportSummary,
        report: &mut dyn ImportReport,
        read: impl Fn(&[&str]) -> Result<R, Vec<FieldError>>,
    ) -> Vec<(u64, &[String], R)> {
        let mut rows = Vec::with_capacity(self.rows.len());
        for (line, raw) in &self.rows {
            match read(&Self::cells(raw)) {
                Ok(row) => rows.push((*line, raw.as_slice(), row)),
                Err(problems) => {
                    summary.rejected += 1;
                    report.rejected(&Rejected::of(*line, raw, &problems));
                }
            }
        }
        rows
    }
}
