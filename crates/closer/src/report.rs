//! `closer site …` and `closer report …`: tracked sites and reports in the terminal (tables
//! that fit 80 columns) or as JSON.

use std::fmt::Write;

use closer_app::{App, ReportRange, TrafficReport};
use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};

use crate::business::Business;
use crate::cli::{Format, ReportCommand, SiteCommand};

pub async fn site(app: App, cmd: SiteCommand) -> anyhow::Result<()> {
    match cmd {
        SiteCommand::Add {
            domain,
            workspace,
            public_url,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?;
            let site = app.traffic().add_site(ws.id, &domain).await?;
            outln!(
                "tracking {} in workspace {workspace} ({})",
                site.domain,
                site.id
            );
            outln!(
                "put this on every page: {}",
                closer_web::tracking_snippet(&public_url)
            );
        }
        SiteCommand::List { workspace } => {
            let ws = app.access().workspace_by_slug(&workspace).await?;
            for s in app.traffic().list_sites(ws.id).await? {
                outln!("{}\t{}\t{}", s.id, s.domain, s.created_at);
            }
        }
    }
    Ok(())
}

pub async fn report(app: App, cmd: ReportCommand) -> anyhow::Result<()> {
    match cmd {
        ReportCommand::Traffic {
            from,
            to,
            site,
            workspace,
            format,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?;
            let range = ReportRange::parse(from.as_deref(), to.as_deref())
                .map_err(closer_app::AppError::Invalid)?;
            let report = app
                .traffic()
                .traffic_report(ws.id, site.as_deref(), range)
                .await?;
            match format {
                Format::Json => outln!("{}", serde_json::to_string_pretty(&report)?),
                Format::Table => out!("{}", traffic_tables(&report)),
            }
        }
        ReportCommand::Funnel(a) => crate::business::report(&app, Business::Funnel, a).await?,
        ReportCommand::Measures(a) => crate::business::report(&app, Business::Measures, a).await?,
        ReportCommand::Retention(a) => {
            crate::business::report(&app, Business::Retention, a).await?;
        }
        ReportCommand::Ltv(a) => crate::business::report(&app, Business::Ltv, a).await?,
        ReportCommand::Attribution(a) => {
            crate::business::report(&app, Business::Attribution, a).await?;
        }
        ReportCommand::Bottleneck(a) => {
            crate::business::report(&app, Business::Bottleneck, a).await?;
        }
    }
    Ok(())
}

pub(crate) fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_header(header.iter().map(Cell::new));
    for i in 1..header.len() {
        if let Some(col) = t.column_mut(i) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

fn opt(v: Option<f64>, suffix: &str) -> String {
    v.map_or_else(|| "–".to_owned(), |v| format!("{v}{suffix}"))
}

/// Cuts long paths and names so every table fits 80 columns.
pub(crate) fn short(s: &str) -> String {
    if s.chars().count() <= 40 {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(39).collect::<String>())
    }
}

pub fn traffic_tables(r: &TrafficReport) -> String {
    let minute = |t: &closer_domain::Timestamp| {
        let s = t.to_string();
        s.get(..16).unwrap_or(&s).replace('T', " ")
    };
    let mut out = format!(
        "Traffic for {}, {} to {} UTC\n\n",
        r.site
            .as_ref()
            .map_or("all sites".to_owned(), ToString::to_string),
        minute(&r.from),
        minute(&r.to)
    );
    let mut totals = table(&[
        "visitors",
        "sessions",
        "page views",
        "bounce rate",
        "avg. visit",
    ]);
    totals.add_row(vec![
        r.totals.visitors.to_string(),
        r.totals.sessions.to_string(),
        r.totals.pageviews.to_string(),
        opt(r.totals.bounce_rate, " %"),
        opt(r.totals.avg_duration_s, " s"),
    ]);
    let _ = write!(out, "{totals}\n\n");
    for (title, rows) in [
        ("channel", &r.channels),
        ("source", &r.sources),
        ("campaign", &r.campaigns),
    ] {
        let mut t = table(&[title, "visitors", "sessions", "bounce rate", "avg. visit"]);
        for b in rows {
            let name = b
                .label
                .map(str::to_owned)
                .or_else(|| b.name.clone())
                .unwrap_or_else(|| "(none)".into());
            t.add_row(vec![
                short(&name),
                b.metrics.visitors.to_string(),
                b.metrics.sessions.to_string(),
                opt(b.metrics.bounce_rate, " %"),
                opt(b.metrics.avg_duration_s, " s"),
            ]);
        }
        let _ = write!(out, "{t}\n\n");
    }
    for (title, rows) in [("top page", &r.top_pages), ("entry page", &r.entry_pages)] {
        let mut t = table(&[title, "page views", "visitors"]);
        for p in rows {
            t.add_row(vec![
                short(&p.path),
                p.pageviews.to_string(),
                p.visitors.to_string(),
            ]);
        }
        let _ = write!(out, "{t}\n\n");
    }
    let mut series = table(&[
        if r.interval == "hour" { "hour" } else { "day" },
        "visitors",
        "sessions",
        "page views",
    ]);
    for p in &r.series {
        let start = p.start.to_string();
        let label = if r.interval == "hour" {
            start.get(..16).unwrap_or(&start).replace('T', " ")
        } else {
            start.get(..10).unwrap_or(&start).to_owned()
        };
        series.add_row(vec![
            label,
            p.visitors.to_string(),
            p.sessions.to_string(),
            p.pageviews.to_string(),
        ]);
    }
    let _ = writeln!(out, "{series}");
    out
}
