//! `closer company …`: companies from the terminal, through the same use case as the API,
//! acting as the workspace's operator.

use closer_app::{App, Principal};
use closer_domain::company::{company_name, domains, optional_text};
use closer_domain::{Company, CompanyDraft, CompanyId};
use closer_store::CompanyQuery;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use serde_json::json;

use crate::cli::{CompanyCommand, Format};

fn id(raw: &str) -> anyhow::Result<CompanyId> {
    raw.trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("{raw:?} is not a company id (a UUID)"))
}

fn field<T>(r: Result<T, closer_domain::FieldError>) -> anyhow::Result<T> {
    r.map_err(|e| anyhow::anyhow!("{}: {}", e.field, e.message))
}

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(100)
        .set_header(header.to_vec());
    t
}

fn line(c: &Company) -> Vec<String> {
    vec![
        c.id.to_string(),
        c.name.clone(),
        c.domains
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        c.employees.map(|e| e.to_string()).unwrap_or_default(),
    ]
}

pub async fn company(app: App, cmd: CompanyCommand) -> anyhow::Result<()> {
    match cmd {
        CompanyCommand::Add {
            name,
            domains: raw,
            employees,
            industry,
            country,
            workspace,
            format,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?.id;
            let draft = CompanyDraft {
                name: field(company_name(&name))?,
                domains: field(domains(raw.iter().map(String::as_str)))?,
                employees: field(closer_domain::company::employees(employees))?,
                industry: field(optional_text("industry", industry.as_deref()))?,
                country: field(optional_text("country", country.as_deref()))?,
                ..CompanyDraft::default()
            };
            let (c, created) = app
                .companies()
                .create(&Principal::operator(ws), draft)
                .await?;
            match format {
                Format::Json => outln!(
                    "{}",
                    serde_json::to_string_pretty(&json!({"company": c, "created": created}))?
                ),
                Format::Table if created => outln!("company {} created: {}", c.id, c.name),
                Format::Table => outln!(
                    "company {} ({}) already holds one of these domains: nothing created",
                    c.id,
                    c.name
                ),
            }
        }
        CompanyCommand::List {
            search,
            limit,
            workspace,
            format,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?.id;
            let query = CompanyQuery {
                q: search,
                limit,
                ..CompanyQuery::default()
            };
            let page = app
                .companies()
                .list(&Principal::operator(ws), &query)
                .await?;
            match format {
                Format::Json => outln!("{}", serde_json::to_string_pretty(&page.items)?),
                Format::Table if page.items.is_empty() => outln!("no companies"),
                Format::Table => {
                    let mut t = table(&["id", "name", "domains", "employees"]);
                    for c in &page.items {
                        t.add_row(line(c));
                    }
                    outln!("{t}");
                }
            }
        }
        CompanyCommand::Show {
            id: raw,
            workspace,
            format,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?.id;
            let o = app
                .companies()
                .overview(&Principal::operator(ws), id(&raw)?)
                .await?;
            match format {
                Format::Json => outln!("{}", serde_json::to_string_pretty(&o)?),
                Format::Table => {
                    let mut t = table(&["id", "name", "domains", "employees"]);
                    t.add_row(line(&o.company));
                    outln!("{t}");
                    outln!(
                        "{} people, {} deals, {} orders",
                        o.people.len(),
                        o.deals.len(),
                        o.orders.len()
                    );
                    for p in &o.people {
                        let email = p.emails.first().map_or("", closer_domain::Email::as_str);
                        outln!("  {} {} ({})", p.id, email, p.stage.as_str());
                    }
                }
            }
        }
        CompanyCommand::Delete { id: raw, workspace } => {
            let ws = app.access().workspace_by_slug(&workspace).await?.id;
            app.companies()
                .delete(&Principal::operator(ws), id(&raw)?)
                .await?;
            outln!("company {raw} deleted; its people and deals stay");
        }
    }
    Ok(())
}

/// `closer export ENTITY`: the records to standard output, a page at a time.
pub async fn export(
    app: App,
    entity: crate::cli::ExportEntity,
    format: crate::cli::ExportFormat,
    workspace: &str,
) -> anyhow::Result<()> {
    use std::io::Write;

    use closer_app::export::{Entity, Format as Out};
    let ws = app.access().workspace_by_slug(workspace).await?.id;
    let entity = match entity {
        crate::cli::ExportEntity::Contacts => Entity::Contacts,
        crate::cli::ExportEntity::Companies => Entity::Companies,
        crate::cli::ExportEntity::Deals => Entity::Deals,
        crate::cli::ExportEntity::Activities => Entity::Activities,
        crate::cli::ExportEntity::Tasks => Entity::Tasks,
        crate::cli::ExportEntity::Orders => Entity::Orders,
    };
    let format = match format {
        crate::cli::ExportFormat::Csv => Out::Csv,
        crate::cli::ExportFormat::Jsonl => Out::Jsonl,
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<String>(4);
    let writer = tokio::spawn(async move {
        app.exports()
            .write(&Principal::operator(ws), entity, format, tx)
            .await
    });
    let mut stdout = std::io::stdout().lock();
    while let Some(chunk) = rx.recv().await {
        if stdout.write_all(chunk.as_bytes()).is_err() {
            // The reader went away (`| head`): stop asking for more.
            break;
        }
    }
    drop(rx);
    let _ = stdout.flush();
    writer
        .await
        .map_err(|e| anyhow::anyhow!("the export stopped: {e}"))??;
    Ok(())
}
