//! `closer contact merge` and `closer contact duplicates`: a merge (or its preview) as a
//! table of fields and the rows that move, possible duplicates as a table; or as JSON.

use closer_app::duplicates::DuplicatePair;
use closer_app::merge::MergePreview;
use closer_domain::contact::merge::Why;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use serde_json::{Value, json};

use crate::cli::Format;

pub fn print(p: &MergePreview, dry_run: bool, format: Format) -> anyhow::Result<()> {
    let merged: Vec<String> = p.others.iter().map(|c| c.id.to_string()).collect();
    if format == Format::Json {
        let doc = json!({
            "dry_run": dry_run,
            "contact": p.keep.id.to_string(),
            "merged": merged,
            "fields": p.plan.fields,
            "moves": p.moves,
        });
        outln!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(["field", "value", "why"]);
    for f in &p.plan.fields {
        let value = match &f.value {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        let why = match f.why {
            Why::Kept => "kept".to_owned(),
            Why::FilledFromOther => format!("filled from {}", f.from),
            Why::Combined => "combined".to_owned(),
            Why::Furthest => format!("furthest, from {}", f.from),
            Why::Newer => format!("newer, from {}", f.from),
            Why::Earliest => format!("earliest, from {}", f.from),
        };
        table.add_row([f.field.to_owned(), value, why]);
    }
    let m = p.moves;
    let moves = [
        (m.identities, "emails and phones"),
        (m.external_ids, "external ids"),
        (m.visitors, "visitors"),
        (m.timeline, "timeline events"),
        (m.traffic, "tracked events"),
        (m.stage_history, "stage history rows"),
        (m.deals, "deals"),
        (m.activities, "activities"),
        (m.tasks, "tasks"),
        (m.orders, "orders"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect::<Vec<_>>();
    let moves = if moves.is_empty() {
        "nothing else".to_owned()
    } else {
        moves.join(", ")
    };
    if dry_run {
        outln!(
            "dry run, nothing written: merging {} into contact {} would give",
            merged.join(", "),
            p.keep.id
        );
    } else {
        outln!("merged {} into contact {}", merged.join(", "), p.keep.id);
    }
    outln!("{table}");
    let verb = if dry_run { "would move" } else { "moved" };
    outln!("{verb} to contact {}: {moves}", p.keep.id);
    Ok(())
}

fn who(c: &closer_domain::Contact) -> String {
    let mail = c.emails.first().map(closer_domain::Email::as_str);
    let phone = c.phones.first().map(closer_domain::Phone::as_str);
    match (&c.name, mail.or(phone)) {
        (Some(n), Some(m)) => format!("{n} <{m}>"),
        (Some(n), None) => n.clone(),
        (None, Some(m)) => m.to_owned(),
        (None, None) => "(no name)".to_owned(),
    }
}

pub fn print_duplicates(pairs: &[DuplicatePair], format: Format) -> anyhow::Result<()> {
    if format == Format::Json {
        let doc: Vec<Value> = pairs
            .iter()
            .map(|p| {
                json!({
                    "keep": p.keep.id.to_string(),
                    "other": p.other.id.to_string(),
                    "reason": p.reason.as_str(),
                    "found_at": p.found_at.to_string(),
                })
            })
            .collect();
        outln!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    if pairs.is_empty() {
        outln!("no possible duplicates");
        return Ok(());
    }
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(["keep", "other", "why", "merge with"]);
    for p in pairs {
        table.add_row([
            format!("{}\n{}", who(&p.keep), p.keep.id),
            format!("{}\n{}", who(&p.other), p.other.id),
            p.reason.describe().to_owned(),
            format!("closer contact merge {} {}", p.keep.id, p.other.id),
        ]);
    }
    outln!("{table}");
    Ok(())
}
