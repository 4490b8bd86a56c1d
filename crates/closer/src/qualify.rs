//! `closer rules …`, `closer contact explain` and `closer rescore`: qualification from the
//! terminal.

use std::fmt::Write;

use closer_app::{App, Qualification};
use closer_domain::ContactId;
use closer_domain::Timestamp;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{ContactCommand, Format, RulesCommand};

pub async fn rules(app: App, cmd: RulesCommand) -> anyhow::Result<()> {
    match cmd {
        RulesCommand::Show { workspace } => {
            let ws = app.access().workspace_by_slug(&workspace).await?;
            out!("{}", app.scoring().workspace_rules(ws.id).await?.source);
        }
        RulesCommand::Apply { file, workspace } => {
            let ws = app.access().workspace_by_slug(&workspace).await?;
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let rules = app.scoring().apply_rules(ws.id, &text).await?;
            outln!(
                "rules applied to workspace {workspace}: {} engagement and {} fit rules",
                rules.engagement.len(),
                rules.fit.len()
            );
            outln!("run `closer rescore --workspace {workspace}` to recompute every contact");
        }
    }
    Ok(())
}

pub async fn contact(app: App, cmd: ContactCommand) -> anyhow::Result<()> {
    match cmd {
        ContactCommand::List {
            stage,
            temperature,
            sort,
            limit,
            workspace,
            format,
        } => {
            let filters = crate::lists::ContactFilters {
                stage,
                temperature,
                sort,
                limit,
            };
            crate::lists::contacts(&app, &workspace, filters, format).await?;
        }
        ContactCommand::Erase {
            ids,
            yes,
            workspace,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?;
            let contacts = ids
                .iter()
                .map(|id| contact_id(id))
                .collect::<anyhow::Result<Vec<_>>>()?;
            if !yes {
                anyhow::bail!(
                    "erasing a person deletes everything closer holds about them and cannot be \
                     undone: add --yes to confirm"
                );
            }
            let n = app
                .contacts()
                .erase_contacts(&closer_app::Principal::operator(ws.id), &contacts)
                .await?;
            outln!("{n} contact{} erased", if n == 1 { "" } else { "s" });
        }
        ContactCommand::Export { id, workspace } => {
            let ws = app.access().workspace_by_slug(&workspace).await?;
            let export = app
                .contacts()
                .export(&closer_app::Principal::operator(ws.id), contact_id(&id)?)
                .await?;
            outln!("{}", serde_json::to_string_pretty(&export)?);
        }
        ContactCommand::Merge {
            keep,
            others,
            dry_run,
            workspace,
            format,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?;
            let principal = closer_app::Principal::operator(ws.id);
            let keep = contact_id(&keep)?;
            let others = others
                .iter()
                .map(|o| contact_id(o))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let contacts = app.contacts();
            let preview = if dry_run {
                contacts.merge_preview(&principal, keep, &others).await?
            } else {
                contacts.merge_contacts(&principal, keep, &others).await?
            };
            crate::merge::print(&preview, dry_run, format)?;
        }
        ContactCommand::Edit {
            id,
            name,
            emails,
            phones,
            company,
            job_title,
            stage,
            stage_reason,
            owner,
            consent,
            properties,
            workspace,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?;
            let principal = closer_app::Principal::operator(ws.id);
            let id = contact_id(&id)?;
            let edit = crate::contact_edit::Edit {
                name,
                emails,
                phones,
                company,
                job_title,
                stage,
                stage_reason,
                owner,
                consent,
                properties,
            };
            let patch = edit.patch(&app, &principal).await?;
            let c = app.contacts().patch_contact(&principal, id, &patch).await?;
            crate::contact_edit::print(&c)?;
        }
        ContactCommand::Bulk {
            ids,
            owner,
            stage,
            workspace,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?;
            let principal = closer_app::Principal::operator(ws.id);
            let ids = ids
                .iter()
                .map(|id| contact_id(id))
                .collect::<Result<Vec<_>, _>>()?;
            let edit = crate::contact_edit::Edit {
                name: None,
                emails: Vec::new(),
                phones: Vec::new(),
                company: None,
                job_title: None,
                stage,
                stage_reason: None,
                owner,
                consent: None,
                properties: Vec::new(),
            };
            let patch = edit.patch(&app, &principal).await?;
            app.contacts()
                .update_contacts(&principal, &ids, patch.owner_id, patch.stage)
                .await?;
            outln!("changed {} contacts", ids.len());
        }
        ContactCommand::Duplicates {
            limit,
            workspace,
            format,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?;
            let pairs = app
                .contacts()
                .duplicates(&closer_app::Principal::operator(ws.id), limit)
                .await?;
            crate::merge::print_duplicates(&pairs, format)?;
        }
        ContactCommand::NotDuplicates { a, b, workspace } => {
            let ws = app.access().workspace_by_slug(&workspace).await?;
            app.contacts()
                .dismiss_duplicate(
                    &closer_app::Principal::operator(ws.id),
                    contact_id(&a)?,
                    contact_id(&b)?,
                )
                .await?;
            outln!("contacts {a} and {b} are no longer listed as possible duplicates");
        }
        ContactCommand::Company {
            id,
            company,
            workspace,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?;
            let company = match company.trim() {
                "none" => None,
                raw => Some(raw.parse().map_err(|_| {
                    anyhow::anyhow!("{raw:?} is not a company id (a UUID) or none")
                })?),
            };
            let c = app
                .companies()
                .set_contact_company(
                    &closer_app::Principal::operator(ws.id),
                    contact_id(&id)?,
                    company,
                )
                .await?;
            match c.company_id {
                Some(co) => outln!("contact {} is now in company {co}", c.id),
                None => outln!("contact {} is in no company", c.id),
            }
        }
        ContactCommand::Explain {
            id,
            workspace,
            format,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?;
            let id = contact_id(&id)?;
            let q = app.scoring().explain_contact(ws.id, id).await?;
            match format {
                Format::Json => outln!("{}", serde_json::to_string_pretty(&q)?),
                Format::Table => out!("{}", explain_text(&q)),
            }
        }
        ContactCommand::Value {
            id,
            workspace,
            format,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?;
            let id = contact_id(&id)?;
            let v = app
                .reports()
                .customer_value(&closer_app::Principal::operator(ws.id), id)
                .await?;
            match format {
                Format::Json => outln!("{}", serde_json::to_string_pretty(&v)?),
                Format::Table => out!("{}", value_text(&v)),
            }
        }
    }
    Ok(())
}

fn contact_id(raw: &str) -> anyhow::Result<ContactId> {
    Ok(ContactId(raw.trim().parse().map_err(|_| {
        anyhow::anyhow!("{raw:?} is not a contact id (a UUID)")
    })?))
}

fn value_text(v: &closer_app::CustomerValue) -> String {
    use std::fmt::Write as _;
    let currency = v.currency.as_deref().unwrap_or("");
    let mut out = format!("Orders so far: {}", v.orders);
    if let Some(s) = &v.spent {
        let _ = write!(out, ", {s} {currency}");
    }
    out.push('\n');
    if let (Some(e), Some(a), Some(x)) =
        (v.expected_purchases, v.probability_alive, &v.expected_value)
    {
        let _ = writeln!(
            out,
            "Next {} weeks: {e:.2} purchases expected, worth {x} {currency}",
            v.horizon_weeks
        );
        let _ = writeln!(out, "Still a customer: {:.0}% likely", a * 100.0);
    }
    if let Some(why) = &v.not_enough_data {
        out.push_str(&wrap(&format!("No prediction: {why}"), ""));
    }
    let _ = write!(out, "Fitted on {} customers", v.fitted_on);
    if let Some(t) = v.fitted_at {
        let _ = write!(out, " at {t}");
    }
    out.push('\n');
    out
}

/// Words wrapped to 80 columns, each line after `indent`.
pub(crate) fn wrap(text: &str, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::from(indent);
    for word in text.split_whitespace() {
        if line.len() > indent.len() && line.chars().count() + 1 + word.chars().count() > 80 {
            out.push_str(&line);
            out.push('\n');
            line = String::from(indent);
        }
        if line.len() > indent.len() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(80)
        .set_header(header.to_vec());
    t
}

/// `2026-11-23 22:04`: minutes are enough on a terminal.
fn short(t: Timestamp) -> String {
    let s = t.to_string();
    s.get(..16).map_or(s.clone(), |p| p.replace('T', " "))
}

fn num(v: f64) -> Cell {
    Cell::new(format!("{v:.1}")).set_alignment(CellAlignment::Right)
}

/// The explanation as text that fits 80 columns.
fn explain_text(q: &Qualification) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "contact {}", q.contact_id);
    let _ = write!(
        out,
        "{}",
        wrap(
            &format!(
                "stage: {} (set by {})",
                q.stage,
                q.stage_set_by.as_deref().unwrap_or("-")
            ),
            ""
        )
    );
    if let Some(reason) = &q.prospect_reason {
        let _ = write!(out, "{}", wrap(&format!("specific interest: {reason}"), ""));
    }
    let _ = writeln!(out, "temperature: {}", q.temperature.temperature.as_str());
    let _ = write!(out, "{}", wrap(&q.temperature.reason, "  "));
    let _ = writeln!(
        out,
        "activity: {} visit(s), {} page view(s), longest visit {:.0} s",
        q.activity.visits, q.activity.pageviews, q.activity.longest_visit_seconds
    );
    let _ = writeln!(out, "\nfit {:.0}/100", q.fit.score);
    if !q.fit.contributions.is_empty() {
        let mut t = table(&["rule", "field", "value", "points"]);
        for c in &q.fit.contributions {
            t.add_row(vec![
                Cell::new(&c.rule),
                Cell::new(&c.field),
                Cell::new(&c.value),
                num(c.points),
            ]);
        }
        let _ = writeln!(out, "{t}");
    }
    let _ = writeln!(
        out,
        "\nengagement {:.0}/100 (points halve every {} days)",
        q.engagement, q.half_life_days
    );
    if !q.engagement_rules.is_empty() {
        let mut t = table(&["rule", "matches", "points", "worth now", "last"]);
        for l in &q.engagement_rules {
            t.add_row(vec![
                Cell::new(&l.rule),
                Cell::new(l.matches).set_alignment(CellAlignment::Right),
                num(l.points),
                num(l.value),
                Cell::new(l.last_matched_at.map(short).unwrap_or_default()),
            ]);
        }
        let _ = writeln!(out, "{t}");
    }
    if !q.recent.is_empty() {
        let _ = writeln!(out, "\nlatest contributions");
        let mut t = table(&["when", "rule", "points", "worth now", "note"]);
        for r in &q.recent {
            t.add_row(vec![
                Cell::new(short(r.at)),
                Cell::new(&r.rule),
                num(r.points),
                num(r.value),
                Cell::new(r.note.as_deref().unwrap_or("")),
            ]);
        }
        let _ = writeln!(out, "{t}");
    }
    if !q.touches.is_empty() {
        let _ = writeln!(out, "\ntouches before each stage");
        let mut t = table(&["stage", "entered", "by", "touches", "channels"]);
        for s in &q.touches {
            let channels: Vec<String> = s
                .by_channel
                .iter()
                .map(|(c, n)| format!("{c} {n}"))
                .collect();
            t.add_row(vec![
                Cell::new(s.stage),
                Cell::new(short(s.entered_at)),
                Cell::new(&s.changed_by),
                Cell::new(s.touches).set_alignment(CellAlignment::Right),
                Cell::new(channels.join(", ")),
            ]);
        }
        let _ = writeln!(out, "{t}");
    }
    out
}

pub async fn rescore(app: App, workspace: &str, quiet: bool) -> anyhow::Result<()> {
    let ws = app.access().workspace_by_slug(workspace).await?;
    let total = app.scoring().count_contacts(ws.id).await?;
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {pos}/{len} contacts, {msg} [{elapsed_precise}, {eta} left]",
        )
        .expect("a valid template"),
    );
    let started = std::time::Instant::now();
    let done = app
        .scoring()
        .rescore(ws.id, |p| {
            bar.set_position(p.contacts);
            bar.set_message(format!("{} events", p.events));
        })
        .await?;
    bar.finish_and_clear();
    outln!(
        "rescored {} contacts ({} events) in {:.1} s; {} became prospects",
        done.contacts,
        done.events,
        started.elapsed().as_secs_f64(),
        done.promoted
    );
    Ok(())
}
