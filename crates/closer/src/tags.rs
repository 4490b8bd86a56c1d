//! `closer tag` and `closer view`: tags put on and taken off records in bulk, the workspace's
//! tags with their counts, and the team's saved views of the lists — through the web app's
//! use cases, as the workspace's operator.

use closer_app::{App, Principal};
use closer_domain::tag::ViewOf;
use closer_store::Tagged;

use crate::cli::{TagOn, ViewCommand};

fn said(e: &closer_web::error::ApiError) -> anyhow::Error {
    let mut said = vec![e.detail.clone()];
    said.extend(
        e.errors
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message)),
    );
    anyhow::anyhow!(said.join("; "))
}

pub async fn tag(
    app: App,
    on: TagOn,
    ids: &[String],
    add: &[String],
    remove: &[String],
    workspace: &str,
) -> anyhow::Result<()> {
    let ws = app.access().workspace_by_slug(workspace).await?.id;
    let principal = Principal::operator(ws);
    let kind = match on {
        TagOn::Contacts => Tagged::Contacts,
        TagOn::Companies => Tagged::Companies,
        TagOn::Deals => Tagged::Deals,
    };
    if add.is_empty() && remove.is_empty() {
        for (tag, n) in app.workspace_tags(&principal, kind).await? {
            outln!("{tag}\t{n}");
        }
        return Ok(());
    }
    let mut parsed = Vec::with_capacity(ids.len());
    for raw in ids {
        parsed.push(
            uuid::Uuid::parse_str(raw.trim())
                .map_err(|_| anyhow::anyhow!("{raw:?} is not a record id"))?,
        );
    }
    app.retag(&principal, kind, &parsed, add, remove).await?;
    outln!("tagged {} records", parsed.len());
    Ok(())
}

fn list_of(raw: &str) -> anyhow::Result<ViewOf> {
    ViewOf::parse(raw).map_err(|e| anyhow::anyhow!("--list: {}", e.message))
}

pub async fn view(app: App, cmd: ViewCommand) -> anyhow::Result<()> {
    match cmd {
        ViewCommand::List { list, workspace } => {
            let ws = app.access().workspace_by_slug(&workspace).await?.id;
            let principal = Principal::operator(ws);
            for v in app.views(&principal, list_of(&list)?).await? {
                let count = closer_web::views::view_count(&app, &principal, &v)
                    .await
                    .map_err(|e| said(&e))?
                    .map_or_else(|| "-".to_owned(), |n| n.to_string());
                outln!("{}\t{}\t{}\t{}", v.id, count, v.name, v.query);
            }
        }
        ViewCommand::Save {
            name,
            query,
            list,
            workspace,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?.id;
            let principal = Principal::operator(ws);
            let v = closer_web::views::save(&app, &principal, list_of(&list)?, &name, &query, true)
                .await
                .map_err(|e| said(&e))?;
            outln!("{}", v.id);
        }
        ViewCommand::Delete { id, workspace } => {
            let ws = app.access().workspace_by_slug(&workspace).await?.id;
            let id = uuid::Uuid::parse_str(id.trim())
                .map_err(|_| anyhow::anyhow!("{id:?} is not a view id"))?;
            app.delete_view(&Principal::operator(ws), id).await?;
            outln!("deleted");
        }
    }
    Ok(())
}
