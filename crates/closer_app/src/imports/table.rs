//! A file of one record per row — companies, deals, activities — read on a thread of its own a
//! chunk of rows at a time, each row with its line and cells as the file has them. The
//! channel's bound keeps memory flat whatever the file's size; an importer that must check
//! every row before writing any reads the file twice (`Pass`).

use std::io::Read;
use std::sync::Arc;

use closer_domain::{FieldError, csv_cell};
use tokio::sync::mpsc;

use super::{ImportOptions, ImportReport, ImportSummary, Rejected, Source};
use crate::AppError;

/// Rows a chunk holds: one lookup of the people they name each.
const CHUNK: usize = 2000;

/// Consecutive non-empty rows of the file.
pub(super) struct Chunk {
    /// (line, cells as the file has them).
    pub rows: Vec<(u64, Vec<String>)>,
    /// Bytes of the file read so far.
    pub bytes: u64,
}

enum Sent {
    Header(Vec<String>),
    Chunk(Chunk),
}

/// A file being read: its header, then its chunks.
pub(super) struct Chunks {
    pub headers: Vec<String>,
    /// Dropped with the file: a reader blocked on the full channel sees it closed and stops.
    rx: mpsc::Receiver<Result<Sent, FieldError>>,
}

impl Chunks {
    /// Opens the file and reads its header (refusing an empty one).
    pub async fn open(source: Arc<dyn Source>) -> Result<Self, AppError> {
        let (tx, mut rx) = mpsc::channel(2);
        tokio::task::spawn_blocking(move || match source.open() {
            Ok(input) => {
                if let Err(e) = read_into(input, &tx) {
                    let _ = tx.blocking_send(Err(e));
                }
            }
            Err(e) => {
                let _ =
                    tx.blocking_send(Err(FieldError::new("file", format!("cannot be read: {e}"))));
            }
        });
        match rx.recv().await {
            Some(Ok(Sent::Header(headers))) => Ok(Self { headers, rx }),
            Some(Err(e)) => Err(e.into()),
            Some(Ok(Sent::Chunk(_))) | None => {
                Err(AppError::Internal("the file reader stopped".into()))
            }
        }
    }

    /// The next chunk, `None` at the end of the file.
    pub async fn next(&mut self) -> Result<Option<Chunk>, AppError> {
        match self.rx.recv().await {
            Some(Ok(Sent::Chunk(chunk))) => Ok(Some(chunk)),
            Some(Err(e)) => Err(e.into()),
            Some(Ok(Sent::Header(_))) => Err(AppError::Internal("a second header".into())),
            None => Ok(None),
        }
    }

    /// The header's cells as `recognise` takes them.
    pub fn header_refs(&self) -> Vec<&str> {
        self.headers.iter().map(String::as_str).collect()
    }
}

fn read_into(
    input: impl Read,
    tx: &mpsc::Sender<Result<Sent, FieldError>>,
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
    if headers.iter().all(|h| h.trim().is_empty()) {
        return Err(FieldError::new(
            "file",
            "is empty: the first line must name the columns",
        ));
    }
    if tx.blocking_send(Ok(Sent::Header(headers))).is_err() {
        return Ok(());
    }
    let mut rows = Vec::with_capacity(CHUNK);
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
        let line = record.position().map_or(0, csv::Position::line);
        rows.push((line, record.iter().map(str::to_owned).collect()));
        if rows.len() == CHUNK {
            let chunk = Chunk {
                rows: std::mem::replace(&mut rows, Vec::with_capacity(CHUNK)),
                bytes: reader.position().byte(),
            };
            if tx.blocking_send(Ok(Sent::Chunk(chunk))).is_err() {
                return Ok(());
            }
        }
    }
    let chunk = Chunk {
        rows,
        bytes: reader.position().byte(),
    };
    let _ = tx.blocking_send(Ok(Sent::Chunk(chunk)));
    Ok(())
}

impl Chunk {
    /// Every row read by `read`, in the file's order, counted; a row it refuses is counted
    /// and reported with every problem.
    pub fn read_rows<R>(
        &self,
        summary: &mut ImportSummary,
        report: &mut dyn ImportReport,
        read: impl Fn(&[&str]) -> Result<R, Vec<FieldError>>,
    ) -> Vec<(u64, &[String], R)> {
        summary.rows += self.rows.len() as u64;
        let mut rows = Vec::with_capacity(self.rows.len());
        for (line, raw) in &self.rows {
            let cells: Vec<&str> = raw.iter().map(|c| csv_cell::restore(c)).collect();
            match read(&cells) {
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

/// One reading of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pass {
    /// Read, look up and count every row, write nothing: the check of a file that imports
    /// nothing if a row is invalid.
    Check,
    /// As `Check`, for a dry run.
    DryRun,
    /// Write the valid rows (invalid ones may be lost).
    Write,
    /// Write a file `Check` found valid.
    WriteChecked,
}

impl Pass {
    /// The passes an import makes: a dry run reads once; an import that may lose invalid
    /// rows writes as it reads; any other checks the whole file before writing any of it.
    pub fn for_options(options: &ImportOptions) -> &'static [Pass] {
        if options.dry_run {
            &[Pass::DryRun]
        } else if options.continue_on_error {
            &[Pass::Write]
        } else {
            &[Pass::Check, Pass::WriteChecked]
        }
    }

    /// Whether this pass writes nothing.
    pub fn dry(self) -> bool {
        matches!(self, Pass::Check | Pass::DryRun)
    }

    /// Whether this pass reports the file's header (the first does).
    pub fn reports_header(self) -> bool {
        self != Pass::WriteChecked
    }

    /// The import's summary when this pass ends it: the last pass, or a check that found
    /// invalid rows (its counts cleared: nothing was imported).
    pub fn finish(self, summary: ImportSummary) -> Option<ImportSummary> {
        match self {
            Pass::Check if summary.rejected == 0 => None,
            Pass::Check => Some(ImportSummary {
                rows: summary.rows,
                rejected: summary.rejected,
                owners_not_set: summary.owners_not_set,
                ..ImportSummary::default()
            }),
            Pass::DryRun | Pass::Write | Pass::WriteChecked => Some(summary),
        }
    }
}
