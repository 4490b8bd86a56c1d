//! `closer-bench reports`: the business reports at scale. It fills a `demo` workspace with
//! `closer demo --contacts N` (timed: the generation figure), starts closer on it, and times
//! each report for a 12-month range one request at a time over loopback. `--database` reuses
//! a database filled before (its `demo` workspace) instead of generating again.

use anyhow::Context;

use crate::demo::DemoArgs;
use crate::server::cli;
use crate::stats::{Auth, ms, summarize, time_requests};
use crate::{Engine, ServerArgs};

#[derive(clap::Args)]
pub struct ReportsArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub demo: DemoArgs,
    /// Timed requests per report.
    #[arg(long, default_value_t = 20)]
    pub requests: usize,
    /// The day the demo history ends; reports cover the year before it.
    #[arg(long, default_value = "2026-11-01")]
    pub until: String,
    /// Seconds to wait after start before timing, so that the server's start-up report
    /// warmer (dashboards computed in the background) is not timed alongside the reports.
    #[arg(long, default_value_t = 0)]
    pub settle: u64,
}

pub async fn run(args: &ReportsArgs) -> anyhow::Result<()> {
    let (server, filled) = args.demo.start(&args.server, Some(&args.until)).await?;
    let url = server.database_url().to_owned();
    if let Some(filled) = filled {
        println!(
            "`closer demo --contacts {}` on {:?}: {:.1} s — {}",
            args.demo.contacts,
            args.server.engine,
            filled.took.as_secs_f64(),
            filled.said
        );
    }
    let token = cli(
        &args.server.closer,
        &url,
        &["token", "create", "--workspace", "demo"],
    )?
    .trim()
    .to_owned();
    let end = time::Date::parse(
        &args.until,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .context("--until is a date")?;
    let from = end
        .previous_day()
        .context("a day")?
        .replace_year(end.year() - 1)?;
    let to = end.previous_day().context("a day")?;
    let range = format!("from={from}&to={to}");
    let engine = if args.server.engine == Engine::Postgres {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!("\n### Reports on {engine}, a 12-month range ({range})\n");
    println!("| report | p50 ms | p90 ms | max ms | body |\n|---|---|---|---|---|");
    let client = reqwest::Client::new();
    if args.settle > 0 {
        eprintln!("waiting {} s for the server's report warmer", args.settle);
        tokio::time::sleep(std::time::Duration::from_secs(args.settle)).await;
    }
    for (name, extra) in [
        ("funnel", ""),
        ("funnel", "&by=channel"),
        ("funnel", "&view=flow"),
        ("measures", ""),
        ("measures", "&by=owner"),
        ("retention", ""),
        ("ltv", ""),
        ("attribution", ""),
        ("attribution", "&by=campaign&model=position_based"),
        ("bottleneck", "&by=channel"),
    ] {
        let u = format!("{}/api/v1/reports/{name}?{range}{extra}", server.base);
        time_requests(&client, &u, Auth::Bearer(&token), 2).await?;
        let (mut samples, bytes) =
            time_requests(&client, &u, Auth::Bearer(&token), args.requests).await?;
        let s = summarize(&mut samples).context("no samples")?;
        println!(
            "| {name}{} | **{:.0}** | {:.0} | {:.0} | {} KiB |",
            if extra.is_empty() {
                String::new()
            } else {
                format!(" `{extra}`")
            },
            ms(s.p50),
            ms(s.p90),
            ms(s.max),
            crate::stats::kib(bytes)
        );
    }
    if let (Some((rss, peak)), Some(heap)) = (server.memory_mib(), server.heap_mib()) {
        println!(
            "\nserver memory: {heap:.0} MiB its own (anonymous); {rss:.0} MiB resident, {peak:.0} MiB \
             peak, counting the mapped database file once per connection"
        );
    }
    server.stop().await
}
