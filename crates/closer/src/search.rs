//! `closer search TEXT`: the web app's search box in the terminal — contacts, companies and
//! deals whose words start with those typed (contacts also by a phone number's start), grouped
//! by kind, acting as the workspace's operator.

use closer_app::{App, Principal};
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use serde_json::json;

use crate::cli::Format;

pub async fn search(
    app: App,
    text: &str,
    limit: u32,
    workspace: &str,
    format: Format,
) -> anyhow::Result<()> {
    let ws = app.access().workspace_by_slug(workspace).await?.id;
    let hits = app.search(&Principal::operator(ws), text, limit).await?;
    if format == Format::Json {
        let out = json!({
            "contacts": hits.contacts,
            "companies": hits.companies,
            "deals": hits.deals,
        });
        outln!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    if hits.contacts.is_empty() && hits.companies.is_empty() && hits.deals.is_empty() {
        outln!("nothing matches {text:?}");
        return Ok(());
    }
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(110)
        .set_header(vec!["kind", "id", "name", "details"]);
    for c in &hits.contacts {
        let details: Vec<&str> = c
            .emails
            .iter()
            .map(closer_domain::Email::as_str)
            .take(1)
            .chain(c.phones.iter().map(closer_domain::Phone::as_str).take(1))
            .chain(c.company.as_deref())
            .chain([c.stage.as_str()])
            .collect();
        t.add_row(vec![
            "contact".to_owned(),
            c.id.to_string(),
            c.name.clone().unwrap_or_default(),
            details.join(" · "),
        ]);
    }
    for c in &hits.companies {
        let domains: Vec<String> = c.domains.iter().map(ToString::to_string).collect();
        t.add_row(vec![
            "company".to_owned(),
            c.id.0.to_string(),
            c.name.clone(),
            domains.join(", "),
        ]);
    }
    for d in &hits.deals {
        t.add_row(vec![
            "deal".to_owned(),
            d.id.0.to_string(),
            d.title.clone(),
            format!(
                "{} {} · {}",
                d.amount,
                d.currency.as_str(),
                d.status.as_str()
            ),
        ]);
    }
    outln!("{t}");
    Ok(())
}
