//! The `demo` workspace the reports and pages benchmarks run on: a database filled before
//! (`--database`, kept afterwards), or a fresh one filled with `closer demo` first.

use std::time::{Duration, Instant};

use crate::ServerArgs;
use crate::server::{Server, cli};

#[derive(clap::Args)]
pub struct DemoArgs {
    /// Leads `closer demo` generates when no `--database` is given (visitors are about ten
    /// times as many).
    #[arg(long, default_value_t = 1_000_000)]
    pub contacts: u64,
    /// A database already holding a `demo` workspace (kept afterwards); default: a fresh one,
    /// filled and dropped.
    #[arg(long)]
    pub database: Option<String>,
}

/// What a fresh fill took and what `closer demo` said.
pub struct Filled {
    pub took: Duration,
    pub said: String,
}

impl DemoArgs {
    /// Starts closer on the database, filling it first when none was given (the demo's history
    /// ending on `until`, a `YYYY-MM-DD` day, or now).
    pub async fn start(
        &self,
        server: &ServerArgs,
        until: Option<&str>,
    ) -> anyhow::Result<(Server, Option<Filled>)> {
        let started = Server::start_on(server, self.database.as_deref()).await?;
        if self.database.is_some() {
            return Ok((started, None));
        }
        let contacts = self.contacts.to_string();
        let mut demo = vec!["demo", "--contacts", &contacts, "--workspace", "demo"];
        if let Some(day) = until {
            demo.extend(["--until", day]);
        }
        let at = Instant::now();
        let said = cli(&server.closer, started.database_url(), &demo)?;
        let filled = Filled {
            took: at.elapsed(),
            said: said.trim().to_owned(),
        };
        Ok((started, Some(filled)))
    }
}
