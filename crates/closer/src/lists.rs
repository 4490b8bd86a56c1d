//! `closer contact list` and `closer queue`: the web app's contact list and sales queue in the
//! terminal, through the same use cases and filters, acting as the workspace's operator.

use closer_app::{App, Principal, QueueQuery};
use closer_domain::qualification::Temperature;
use closer_domain::{Contact, Stage};
use closer_store::{ContactQuery, ContactSort};
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use serde_json::json;

use crate::cli::{ContactOrder, Format, QueueOrder};

/// What `closer contact list` filters and sorts by.
pub struct ContactFilters {
    pub stage: Option<String>,
    pub temperature: Option<String>,
    pub sort: ContactOrder,
    pub limit: u32,
}

fn name(c: &Contact) -> String {
    c.name
        .clone()
        .or_else(|| c.emails.first().map(|e| e.as_str().to_owned()))
        .unwrap_or_else(|| "(no name)".into())
}

fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(100)
        .set_header(header.to_vec());
    table
}

pub async fn contacts(
    app: &App,
    workspace: &str,
    f: ContactFilters,
    format: Format,
) -> anyhow::Result<()> {
    let ws = app.access().workspace_by_slug(workspace).await?.id;
    let principal = Principal::operator(ws);
    let by_value = f.sort == ContactOrder::Value;
    let query = ContactQuery {
        stage: f
            .stage
            .as_deref()
            .map(Stage::parse)
            .transpose()
            .map_err(|e| anyhow::anyhow!("--stage: {}", e.message))?,
        temperature: f
            .temperature
            .as_deref()
            .map(Temperature::parse)
            .transpose()
            .map_err(|e| anyhow::anyhow!("--temperature: {}", e.message))?,
        sort: if by_value {
            ContactSort::ValueDesc
        } else {
            ContactSort::CreatedDesc
        },
        limit: f.limit,
        ..ContactQuery::default()
    };
    let page = app.contacts().list_contacts(&principal, &query).await?;
    let ids: Vec<_> = page.items.iter().map(|c| c.id).collect();
    let values = if by_value {
        app.contacts().values(&principal, &ids).await?
    } else {
        std::collections::HashMap::new()
    };
    match format {
        Format::Json => {
            let items: Vec<_> = page
                .items
                .iter()
                .map(|c| json!({ "contact": c, "expected_value": values.get(&c.id) }))
                .collect();
            outln!("{}", serde_json::to_string_pretty(&items)?);
        }
        Format::Table if page.items.is_empty() => {
            outln!(
                "{}",
                if by_value {
                    "no contacts with a predicted value (customers' orders give one)"
                } else {
                    "no contacts match"
                }
            );
        }
        Format::Table => {
            let mut header = vec!["id", "name", "stage", "arrived"];
            if by_value {
                header.push("expected value (52 weeks)");
            }
            let mut t = table(&header);
            for c in &page.items {
                let mut row = vec![
                    c.id.to_string(),
                    name(c),
                    c.stage.as_str().to_owned(),
                    c.created_at.to_string(),
                ];
                if by_value {
                    row.push(values.get(&c.id).cloned().unwrap_or_default());
                }
                t.add_row(row);
            }
            outln!("{t}");
        }
    }
    Ok(())
}

pub async fn queue(
    app: App,
    sort: QueueOrder,
    limit: u32,
    workspace: &str,
    format: Format,
) -> anyhow::Result<()> {
    let ws = app.access().workspace_by_slug(workspace).await?.id;
    let by_value = sort == QueueOrder::Value;
    let query = QueueQuery {
        limit,
        stage: None,
        owner: None,
        by_value,
    };
    let (items, truncated) = app.queue().queue(&Principal::operator(ws), &query).await?;
    match format {
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&json!({ "items": items, "truncated": truncated }))?
        ),
        Format::Table if items.is_empty() => outln!("no open leads or prospects"),
        Format::Table => {
            let mut header = vec!["id", "name", "temperature", "engagement", "fit"];
            if by_value {
                header.push("expected value (52 weeks)");
            }
            let mut t = table(&header);
            for i in &items {
                let mut row = vec![
                    i.contact.id.to_string(),
                    name(&i.contact),
                    i.temperature.as_str().to_owned(),
                    format!("{:.0}", i.engagement),
                    format!("{:.0}", i.fit),
                ];
                if by_value {
                    row.push(i.expected_value.clone().unwrap_or_default());
                }
                t.add_row(row);
            }
            outln!("{t}");
            if truncated {
                outln!("(the queue ordered the newest open contacts only; see the README)");
            }
        }
    }
    Ok(())
}
