//! `closer-bench import`: `closer import contacts` of a HubSpot-format file (a tenth of its
//! rows repeat an earlier row's email), or with `--entity orders` `closer import orders` of a
//! shop's order history (two to three line items an order, customers buying again), into a
//! fresh database: wall time, rows a second and the resident-memory high-water; then the same
//! file again (nothing changes); then the engine's ceiling on the same machine in the same run
//! — the tables the import wrote copied by the engine into empty twins with the same indexes
//! (`fill_ceiling`).

// Counts and times here are far from the float types' limits.
#![allow(clippy::cast_precision_loss)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};

use crate::Engine;
use crate::server::cli;

/// The tables an import of orders writes (directly or by trigger).
const ORDER_TABLES: [&str; 8] = [
    "orders",
    "order_lines",
    "contacts",
    "contact_identities",
    "contact_stages",
    "events",
    "journeys",
    "contact_values",
];

/// The tables an import of contacts writes (directly or by trigger).
const TABLES: [&str; 7] = [
    "contacts",
    "contact_identities",
    "contact_stages",
    "events",
    "contact_external_ids",
    "journeys",
    "contact_scores",
];

#[derive(clap::Args)]
pub struct ImportArgs {
    /// The `closer` binary (build it with `cargo build --release`).
    #[arg(long, default_value = "target/release/closer")]
    pub closer: PathBuf,
    #[arg(long, value_enum, default_value = "sqlite")]
    pub engine: Engine,
    /// Server for `--engine postgres`; a fresh database is created in it and dropped after.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pub postgres_url: String,
    /// Rows in the file.
    #[arg(long, default_value_t = 1_000_000)]
    pub rows: u64,
    /// What the file holds.
    #[arg(long, value_enum, default_value = "contacts")]
    pub entity: Entity,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Entity {
    Contacts,
    Orders,
}

impl Entity {
    fn as_str(self) -> &'static str {
        match self {
            Entity::Contacts => "contacts",
            Entity::Orders => "orders",
        }
    }
}

/// Writes a shop's order history: closer's order columns, one row per line item, two or
/// three items an order, a customer in every three orders buying again.
fn write_orders(path: &Path, rows: u64) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(
        out,
        "order,email,placed_at,currency,product,quantity,unit_price"
    )?;
    let mut written = 0;
    let mut order = 0u64;
    while written < rows {
        let customer = order - order / 3;
        let day = 1 + order % 28;
        let month = 1 + order / 28 % 12;
        let items = 2 + order % 2;
        for item in 0..items.min(rows - written) {
            writeln!(
                out,
                "#{},{}.{customer}@shop.example,2025-{month:02}-{day:02}T{:02}:{:02}:00Z,EUR,{},{},{}.{:02}",
                10_000 + order,
                FIRST[(customer % 10) as usize].to_lowercase(),
                order % 24,
                order % 60,
                ["Tea", "Cup", "Kettle", "Filter"][((order + item) % 4) as usize],
                1 + item,
                3 + (order + item) % 40,
                (order * 7) % 100,
            )?;
            written += 1;
        }
        order += 1;
    }
    out.flush()?;
    Ok(())
}

const FIRST: [&str; 10] = [
    "Ada",
    "Grace",
    "Alan",
    "Katherine",
    "Edsger",
    "Barbara",
    "Margaret",
    "Hedy",
    "Claude",
    "Donald",
];
const LAST: [&str; 10] = [
    "Lovelace", "Hopper", "Turing", "Johnson", "Dijkstra", "Liskov", "Hamilton", "Lamarr",
    "Shannon", "Knuth",
];
const STAGES: [&str; 6] = [
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
];
const AREAS: [u32; 10] = [201, 212, 213, 312, 415, 617, 646, 702, 713, 801];

/// Writes the file: HubSpot's columns, every tenth row another person's email again.
fn write_file(path: &Path, rows: u64) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(
        out,
        "Record ID,First Name,Last Name,Email,Phone Number,Company Name,Job Title,Lifecycle Stage,Lead Status,Contact owner,Create Date,City,Country/Region,Original Source"
    )?;
    // A fixed linear congruential sequence: the same file every run.
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        seed >> 33
    };
    for i in 0..rows {
        let r = next();
        // Every tenth row repeats an earlier row's person (by email), with its own id.
        let person = if i % 10 == 9 {
            // An earlier row that is a person's first.
            let p = r % i;
            if p % 10 == 9 { p - 1 } else { p }
        } else {
            i
        };
        let (first, last) = (
            FIRST[(person % 10) as usize],
            LAST[(person / 10 % 10) as usize],
        );
        let phone = if person % 2 == 0 {
            format!(
                "+1 {} {} {:04}",
                AREAS[(person % 10) as usize],
                200 + (person / 10) % 800,
                (person / 8_000) % 10_000
            )
        } else {
            String::new()
        };
        let day = 1 + person % 28;
        let month = 1 + person / 28 % 12;
        writeln!(
            out,
            "{},{first},{last},{}.{}.{person}@example.com,{phone},Company {},Engineer,{},NEW,,2024-{month:02}-{day:02} 10:{:02},City {},Country {},Organic Search",
            100_000_000 + i,
            first.to_lowercase(),
            last.to_lowercase(),
            person % 50_000,
            STAGES[(person % 6) as usize],
            person % 60,
            person % 100,
            person % 40,
        )?;
    }
    out.flush()?;
    Ok(())
}

/// One import: (its summary line, wall time, memory high-water in MiB).
fn import(
    closer: &Path,
    url: &str,
    entity: Entity,
    file: &Path,
) -> anyhow::Result<(String, Duration, f64)> {
    let started = Instant::now();
    let mut child = Command::new(closer)
        .args([
            "import",
            entity.as_str(),
            &file.display().to_string(),
            "--quiet",
        ])
        .env("CLOSER_DATABASE_URL", url)
        .env("CLOSER_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("running {}", closer.display()))?;
    let (status, peak) = crate::memory::wait_sampling(&mut child, Duration::from_millis(20))?;
    let elapsed = started.elapsed();
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().context("output")?, &mut out)?;
    ensure!(status.success(), "closer import failed: {out}");
    let summary = out.lines().next().unwrap_or_default().to_owned();
    Ok((summary, elapsed, peak))
}

pub async fn run(args: &ImportArgs) -> anyhow::Result<()> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let name = format!("closer_bench_{}", &id[..12]);
    let file = std::env::temp_dir().join(format!("{name}.csv"));
    let generating = Instant::now();
    match args.entity {
        Entity::Contacts => write_file(&file, args.rows)?,
        Entity::Orders => write_orders(&file, args.rows)?,
    }
    eprintln!(
        "wrote {} rows ({:.0} MiB) in {:.1} s",
        args.rows,
        std::fs::metadata(&file)?.len() as f64 / 1_048_576.0,
        generating.elapsed().as_secs_f64()
    );
    let (url, sqlite_path) = match args.engine {
        Engine::Sqlite => {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            (format!("sqlite://{}", path.display()), Some(path))
        }
        Engine::Postgres => (
            crate::server::create_database(&args.postgres_url, &name).await?,
            None,
        ),
    };
    let result = async {
        cli(&args.closer, &url, &["migrate"])?;
        let first = import(&args.closer, &url, args.entity, &file)?;
        let again = import(&args.closer, &url, args.entity, &file)?;
        let tables: &'static [&'static str] = match args.entity {
            Entity::Contacts => &TABLES,
            Entity::Orders => &ORDER_TABLES,
        };
        let copies = match &sqlite_path {
            Some(path) => {
                let path = path.clone();
                tokio::task::spawn_blocking(move || crate::fill_ceiling::sqlite(&path, tables))
                    .await??
            }
            None => crate::fill_ceiling::postgres(&url, tables).await?,
        };
        anyhow::Ok((first, again, copies))
    }
    .await;
    let _ = std::fs::remove_file(&file);
    if let Some(path) = &sqlite_path {
        for end in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{end}", path.display()));
        }
    } else {
        crate::server::drop_database(&args.postgres_url, &name).await?;
    }
    let (first, again, copies) = result?;
    let ceiling: Duration = copies.iter().map(|c| c.2).sum();
    let engine = match args.engine {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
    };
    println!(
        "### `closer import {}`, {} rows, {engine}\n",
        args.entity.as_str(),
        args.rows
    );
    println!("| run | wall time | rows/s | memory high-water | closer's summary |");
    println!("|---|---|---|---|---|");
    for (label, (summary, took, peak)) in [("first import", &first), ("same file again", &again)] {
        println!(
            "| {label} | **{:.1} s** | {:.0} | {peak:.0} MiB | {summary} |",
            took.as_secs_f64(),
            args.rows as f64 / took.as_secs_f64()
        );
    }
    println!(
        "\nceiling (the engine copying the rows the import wrote into empty twins with the same indexes): **{:.1} s** — the import takes {:.1}× as long ({})",
        ceiling.as_secs_f64(),
        first.1.as_secs_f64() / ceiling.as_secs_f64().max(1e-9),
        copies
            .iter()
            .map(|(t, rows, took)| format!("{t} {rows} in {:.1} s", took.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "\nreproduce: target/release/closer-bench import --engine {engine} --rows {}{}",
        args.rows,
        match args.entity {
            Entity::Contacts => "",
            Entity::Orders => " --entity orders",
        }
    );
    Ok(())
}
