//! `closer report funnel|measures|retention|ltv|attribution|bottleneck`: the business reports
//! in the terminal. Each report becomes a few sections of rows, printed as tables that fit 80
//! columns, as CSV (a `section` column first), or as the API's JSON. Money sits in a column of
//! its own next to its currency, so a spreadsheet can sum it.

use std::fmt::Write;

use closer_app::reports_view::sections;
use closer_app::{App, ReportRequest};

use crate::cli::{BusinessArgs, ReportFormat as Format};
use crate::report::{short, table};

#[derive(Clone, Copy)]
pub enum Business {
    Funnel,
    Measures,
    Retention,
    Ltv,
    Attribution,
    Bottleneck,
}

pub async fn report(app: &App, which: Business, args: BusinessArgs) -> anyhow::Result<()> {
    let ws = app.access().workspace_by_slug(&args.workspace).await?.id;
    let ReportRequest {
        query: q,
        view,
        model,
    } = ReportRequest::parse(
        args.from.as_deref(),
        args.to.as_deref(),
        args.by.as_deref(),
        args.view.as_deref(),
        args.model.as_deref(),
    )
    .map_err(closer_app::AppError::Invalid)?;
    let (json, sections, notes) = match which {
        Business::Funnel => {
            let r = app.reports().funnel_report(ws, &q, view).await?;
            (
                serde_json::to_value(&r)?,
                sections::funnel(&r),
                vec![r.counting.to_owned()],
            )
        }
        Business::Measures => {
            let r = app.reports().measures_report(ws, &q).await?;
            (
                serde_json::to_value(&r)?,
                sections::measures(&r),
                Vec::new(),
            )
        }
        Business::Retention => {
            let r = app.reports().retention_report(ws, &q).await?;
            (
                serde_json::to_value(&r)?,
                sections::retention(&r),
                Vec::new(),
            )
        }
        Business::Ltv => {
            let r = app.reports().ltv_report(ws, &q).await?;
            let notes = r
                .not_enough_data
                .iter()
                .map(|n| format!("Predicted value: {n}"))
                .collect();
            (serde_json::to_value(&r)?, sections::ltv(&r), notes)
        }
        Business::Attribution => {
            let r = app.reports().attribution_report(ws, &q, model).await?;
            (
                serde_json::to_value(&r)?,
                sections::attribution(&r),
                Vec::new(),
            )
        }
        Business::Bottleneck => {
            let r = app.reports().bottleneck_report(ws, &q).await?;
            let mut notes: Vec<String> = r.total.steps.iter().map(|l| l.sentence.clone()).collect();
            notes.extend(r.total.not_enough_data.clone());
            (serde_json::to_value(&r)?, sections::bottleneck(&r), notes)
        }
    };
    match args.format {
        Format::Json => outln!("{}", serde_json::to_string_pretty(&json)?),
        Format::Csv => out!("{}", sections::csv_text(&sections)?),
        Format::Table => {
            let day =
                |t: closer_domain::Timestamp| t.to_string().get(..10).unwrap_or("").to_owned();
            let last = closer_domain::Timestamp::from_unix_micros(q.period.to.unix_micros() - 1)
                .unwrap_or(q.period.to);
            let mut out = format!(
                "{} to {} (UTC), by {}\n\n",
                day(q.period.from),
                day(last),
                q.by.as_string()
            );
            for note in &notes {
                out.push_str(&crate::qualify::wrap(note, ""));
            }
            if !notes.is_empty() {
                out.push('\n');
            }
            for s in &sections {
                let mut t = table(&s.header);
                t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
                    .set_width(80);
                for r in &s.rows {
                    // Long names are cut to keep the table inside 80 columns.
                    t.add_row(r.iter().map(|c| short(&c.shown())).collect::<Vec<_>>());
                }
                let _ = write!(out, "{}\n{t}\n\n", s.title);
            }
            out!("{out}");
        }
    }
    Ok(())
}
