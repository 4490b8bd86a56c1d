//! `closer-bench export`: times `closer export` on a filled database (a `closer demo`
//! workspace, say): rows written, wall time, rows a second and the resident-memory
//! high-water, for CSV and JSON lines.

// Counts and times here are far from the float types' limits.
#![allow(clippy::cast_precision_loss)]

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};

#[derive(clap::Args)]
pub struct ExportArgs {
    /// The `closer` binary (build it with `cargo build --release`).
    #[arg(long, default_value = "target/release/closer")]
    pub closer: PathBuf,
    /// A filled database, like `sqlite:///tmp/demo100k.db` from `closer demo`.
    #[arg(long)]
    pub database: String,
    #[arg(long, default_value = "demo")]
    pub workspace: String,
    /// contacts, companies, deals, activities, tasks or orders.
    #[arg(long, default_value = "contacts")]
    pub entity: String,
    /// Runs per format; the median is reported.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
}

/// One export: (lines written, bytes, wall time, memory high-water in MiB).
fn once(args: &ExportArgs, format: &str) -> anyhow::Result<(u64, u64, Duration, f64)> {
    let started = Instant::now();
    let mut child = Command::new(&args.closer)
        .args([
            "export",
            &args.entity,
            "--workspace",
            &args.workspace,
            "--format",
            format,
        ])
        .env("CLOSER_DATABASE_URL", &args.database)
        .env("CLOSER_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("running {}", args.closer.display()))?;
    let mut stdout = child.stdout.take().context("the export's output")?;
    // Read in a thread while this one samples the memory.
    let reader = std::thread::spawn(move || -> std::io::Result<(u64, u64)> {
        let mut buf = vec![0u8; 1 << 16];
        let (mut lines, mut bytes) = (0u64, 0u64);
        loop {
            let n = stdout.read(&mut buf)?;
            if n == 0 {
                return Ok((lines, bytes));
            }
            bytes += n as u64;
            // A plain count is fast enough at 64 KiB a read; not worth a crate.
            #[allow(clippy::naive_bytecount)]
            let newlines = buf[..n].iter().filter(|b| **b == b'\n').count();
            lines += newlines as u64;
        }
    });
    let (status, peak) = crate::memory::wait_sampling(&mut child, Duration::from_millis(20))?;
    let elapsed = started.elapsed();
    ensure!(status.success(), "closer export failed");
    let (lines, bytes) = reader
        .join()
        .map_err(|_| anyhow::anyhow!("the reader thread failed"))??;
    Ok((lines, bytes, elapsed, peak))
}

pub fn run(args: &ExportArgs) -> anyhow::Result<()> {
    println!("### `closer export {}` ({})\n", args.entity, args.database);
    println!(
        "| format | rows | size | wall time, median of {} (min–max) | rows/s | memory high-water |",
        args.runs
    );
    println!("|---|---|---|---|---|---|");
    for format in ["csv", "jsonl"] {
        let mut runs = Vec::new();
        for _ in 0..args.runs.max(1) {
            runs.push(once(args, format)?);
        }
        runs.sort_by_key(|r| r.2);
        let (lines, bytes, median, _) = runs[runs.len() / 2];
        let peak = runs.iter().map(|r| r.3).fold(0.0, f64::max);
        // CSV's first line is the header.
        let rows = if format == "csv" {
            lines.saturating_sub(1)
        } else {
            lines
        };
        println!(
            "| {format} | {rows} | {:.1} MiB | **{:.2} s** ({:.2}–{:.2}) | {:.0} | {peak:.1} MiB |",
            bytes as f64 / 1_048_576.0,
            median.as_secs_f64(),
            runs[0].2.as_secs_f64(),
            runs[runs.len() - 1].2.as_secs_f64(),
            rows as f64 / median.as_secs_f64(),
        );
    }
    Ok(())
}
