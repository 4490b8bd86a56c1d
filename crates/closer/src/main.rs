//! `closer`: the binary. Parses the command line, sets up logging, runs the command.

// First, so every module below can use `out!` and `outln!`.
#[macro_use]
mod out;

mod activities;
mod business;
mod cli;
mod commands;
mod companies;
mod contact_edit;
mod import;
mod lists;
mod merge;
mod notifications;
mod properties;
mod qualify;
mod report;
mod search;
mod sell;
mod store;
mod tags;
mod task_edit;
mod telemetry;

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    telemetry::init();
    match commands::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of our output stopped reading (`| head -1`): nothing more to say.
        Err(e) if out::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", commands::describe(&e));
            ExitCode::FAILURE
        }
    }
}
