//! `closer-bench`: closer's load generator. It starts a `closer` server of its own on a fresh
//! database (SQLite file or PostgreSQL database), drives it over loopback, and prints figures
//! for BENCHMARKS.md with the command that reproduces them. Never linked into `closer`.

mod board;
mod capture;
mod ceiling;
mod demo;
mod export;
mod fill_ceiling;
mod http;
mod import;
mod load;
mod ltv;
mod memory;
mod pages;
mod reports;
mod rescore;
mod server;
mod soak;
mod stats;
mod track;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "closer-bench",
    about = "Load generator for closer (loopback only)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum Engine {
    Sqlite,
    Postgres,
}

#[derive(Subcommand)]
enum Command {
    /// Lead capture through `POST /f/{key}`: peak throughput (closed loop), then latency at a
    /// fixed rate (open loop), then server memory.
    Capture(capture::CaptureArgs),
    /// Tracking through `POST /api/event` (Plausible format): the ceiling (a bare axum
    /// endpoint parsing the same JSON), then closer's accepted and stored rates, memory.
    Track(track::TrackArgs),
    /// `closer rescore` on a seeded SQLite database: contacts with their timelines, wall time
    /// and memory.
    Rescore(rescore::RescoreArgs),
    /// The pipeline board (`GET /api/v1/pipelines/{id}/board`) with 100,000 open deals on
    /// SQLite: latency one request at a time.
    Board(board::BoardArgs),
    /// The business reports on `closer demo` data (default a million leads): generation time,
    /// then each report's latency for a 12-month range.
    Reports(reports::ReportsArgs),
    /// The web app's pages at scale, signed in, one request at a time.
    Pages(pages::PagesArgs),
    /// The ceiling for `closer demo`'s fill: the engine copying a filled database's tables
    /// into empty twins, table by table.
    FillCeiling(fill_ceiling::FillCeilingArgs),
    /// Lifetime value at scale, in-process: a drawn history of a million customers, both
    /// models fitted on every customer, timed.
    Ltv(ltv::LtvArgs),
    /// `closer export` on a filled database: rows, wall time, rows a second, memory.
    Export(export::ExportArgs),
    /// `closer import contacts` of a HubSpot-format file into a fresh database, then the same
    /// file again, then the engine's ceiling for the rows it wrote.
    Import(import::ImportArgs),
    /// Mixed traffic (events, captures, API reads, web pages) at its measured peak, then for
    /// minutes at half of it: no failures, flat memory, every accepted write stored.
    Soak(soak::SoakArgs),
    /// The ceiling server `track` starts (a bare axum endpoint); not for direct use.
    #[command(hide = true)]
    Ceiling {
        #[arg(long)]
        listen: std::net::SocketAddr,
    },
}

/// Where the `closer` binary is, and which engine it runs on.
#[derive(clap::Args, Clone)]
pub struct ServerArgs {
    /// The `closer` binary to start (build it with `cargo build --release`).
    #[arg(long, default_value = "target/release/closer")]
    pub closer: PathBuf,
    #[arg(long, value_enum, default_value = "sqlite")]
    pub engine: Engine,
    /// Server for `--engine postgres`; a fresh database is created in it and dropped after.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pub postgres_url: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Capture(args) => capture::run(args).await,
        Command::Track(args) => track::run(args).await,
        Command::Rescore(args) => rescore::run(&args),
        Command::Board(args) => board::run(&args).await,
        Command::Reports(args) => reports::run(&args).await,
        Command::Pages(args) => pages::run(&args).await,
        Command::FillCeiling(args) => fill_ceiling::run(&args).await,
        Command::Soak(args) => soak::run(args).await,
        Command::Ltv(args) => ltv::run(&args),
        Command::Export(args) => export::run(&args),
        Command::Import(args) => import::run(&args).await,
        Command::Ceiling { listen } => ceiling::serve(listen).await,
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::Cli;

    /// Every `closer-bench` command BENCHMARKS.md names: each line of a code block that runs
    /// it (up to a comment), and each inline code span that starts with it and closes on its
    /// line (a span wrapped over lines of prose is shown whole in a code block).
    fn commands(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut in_block = false;
        for line in text.lines() {
            if line.trim_start().starts_with("```") {
                in_block = !in_block;
                continue;
            }
            if in_block {
                if let Some(at) = line.find("closer-bench ") {
                    let command = &line[at..];
                    let end = command.find('#').unwrap_or(command.len());
                    out.push(command[..end].trim().to_owned());
                }
                continue;
            }
            let mut rest = line;
            while let Some(at) = rest.find("`closer-bench ") {
                let span = &rest[at + 1..];
                let Some(end) = span.find('`') else { break };
                out.push(span[..end].trim().to_owned());
                rest = &span[end..];
            }
        }
        out
    }

    #[test]
    fn every_command_in_benchmarks_md_parses() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../BENCHMARKS.md");
        let text = std::fs::read_to_string(path).expect("BENCHMARKS.md");
        let found = commands(&text);
        assert!(found.len() > 10, "commands found: {found:?}");
        // With `--help` appended, a command's flags and values are checked but arguments it
        // leaves out (shown elsewhere, or named only) are not asked for.
        let bad: Vec<String> = found
            .iter()
            .filter_map(|c| {
                let args = c.split_whitespace().chain(std::iter::once("--help"));
                match Cli::try_parse_from(args) {
                    Err(e) if e.kind() != clap::error::ErrorKind::DisplayHelp => {
                        Some(format!("{c}: {}", e.kind()))
                    }
                    _ => None,
                }
            })
            .collect();
        assert!(
            bad.is_empty(),
            "BENCHMARKS.md names commands closer-bench refuses:\n{}",
            bad.join("\n")
        );
    }
}
