//! `closer report funnel|measures|retention|ltv|attribution|bottleneck`: the business reports
//! in the terminal. Each report becomes a few sections of rows, printed as tables that fit 80
//! columns, as CSV (a `section` column first), or as the API's JSON. Money sits in a column of
//! its own next to its currency, so a spreadsheet can sum it.

use std::fmt::Write;

use closer_app::{App, ReportRequest, View};

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

/// Rows under one heading.
struct Section {
    title: String,
    header: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Section {
    fn new(title: impl Into<String>, header: &[&'static str]) -> Self {
        Self {
            title: title.into(),
            header: header.to_vec(),
            rows: Vec::new(),
        }
    }

    fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_owned(), |v| format!("{:.1}%", v * 100.0))
}

fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_owned(), |v| format!("{v}"))
}

/// Seconds for people: "45 s", "12 min", "3.5 h", "2.1 d".
#[allow(clippy::cast_precision_loss)] // durations far below 2^52 seconds
fn duration(seconds: Option<i64>) -> String {
    match seconds {
        None => "–".to_owned(),
        Some(s) if s < 120 => format!("{s} s"),
        Some(s) if s < 7_200 => format!("{} min", s / 60),
        Some(s) if s < 172_800 => format!("{:.1} h", s as f64 / 3_600.0),
        Some(s) => format!("{:.1} d", s as f64 / 86_400.0),
    }
}

pub async fn report(app: &App, which: Business, args: BusinessArgs) -> anyhow::Result<()> {
    let ws = app.workspace_by_slug(&args.workspace).await?.id;
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
            let r = app.funnel_report(ws, &q, view).await?;
            (serde_json::to_value(&r)?, funnel(&r), Vec::new())
        }
        Business::Measures => {
            let r = app.measures_report(ws, &q).await?;
            (serde_json::to_value(&r)?, measures(&r), Vec::new())
        }
        Business::Retention => {
            let r = app.retention_report(ws, &q).await?;
            (serde_json::to_value(&r)?, retention(&r), Vec::new())
        }
        Business::Ltv => {
            let r = app.ltv_report(ws, &q).await?;
            let notes = r
                .not_enough_data
                .iter()
                .map(|n| format!("Predicted value: {n}"))
                .collect();
            (serde_json::to_value(&r)?, ltv(&r), notes)
        }
        Business::Attribution => {
            let r = app.attribution_report(ws, &q, model).await?;
            (serde_json::to_value(&r)?, attribution(&r), Vec::new())
        }
        Business::Bottleneck => {
            let r = app.bottleneck_report(ws, &q).await?;
            let mut notes: Vec<String> = r.total.steps.iter().map(|l| l.sentence.clone()).collect();
            notes.extend(r.total.not_enough_data.clone());
            (serde_json::to_value(&r)?, bottleneck(&r), notes)
        }
    };
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&json)?),
        Format::Csv => print!("{}", csv_text(&sections)?),
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
                    t.add_row(r.clone());
                }
                let _ = write!(out, "{}\n{t}\n\n", s.title);
            }
            print!("{out}");
        }
    }
    Ok(())
}

fn csv_text(sections: &[Section]) -> anyhow::Result<String> {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    for s in sections {
        let mut header = vec!["section"];
        header.extend(&s.header);
        w.write_record(&header)?;
        for r in &s.rows {
            let mut row = vec![s.title.as_str()];
            row.extend(r.iter().map(String::as_str));
            w.write_record(&row)?;
        }
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

fn funnel(r: &closer_app::FunnelReport) -> Vec<Section> {
    let mut s = Section::new(
        format!(
            "Funnel ({})",
            if r.view == View::Flow {
                "flow"
            } else {
                "cohort"
            }
        ),
        &["group", "step", "count", "conversion", "median days"],
    );
    for g in std::iter::once(&r.total).chain(&r.groups) {
        for st in &g.steps {
            s.row(vec![
                short(&g.group),
                st.step.to_owned(),
                st.count.to_string(),
                pct(st.conversion),
                num(st.median_days),
            ]);
        }
    }
    vec![s]
}

fn measures(r: &closer_app::MeasuresReport) -> Vec<Section> {
    let mut deals = Section::new(
        "Deals closed",
        &[
            "group",
            "closed",
            "won",
            "win rate",
            "cycle days",
            "touches",
        ],
    );
    let mut revenue = Section::new(
        "Revenue",
        &["group", "currency", "won", "revenue", "avg. deal"],
    );
    let mut stages = Section::new("Time in stage", &["group", "stage", "stays", "median days"]);
    let mut speed = Section::new(
        "Speed to lead",
        &["group", "leads touched", "median", "90th pct."],
    );
    let mut open = Section::new(
        "Open pipeline",
        &[
            "group", "forecast", "currency", "deals", "amount", "weighted",
        ],
    );
    let mut losses = Section::new("Loss reasons", &["group", "reason", "deals", "share"]);
    for g in std::iter::once(&r.total).chain(&r.groups) {
        let name = short(&g.group);
        deals.row(vec![
            name.clone(),
            g.closed_deals.to_string(),
            g.won_deals.to_string(),
            pct(g.win_rate),
            num(g.sales_cycle_median_days),
            g.touches_before_win_median
                .map_or_else(|| "–".into(), |t| t.to_string()),
        ]);
        for m in &g.revenue {
            revenue.row(vec![
                name.clone(),
                m.currency.clone(),
                m.won_deals.to_string(),
                m.total.clone(),
                m.average_deal_size.clone(),
            ]);
        }
        for t in &g.time_in_stage {
            stages.row(vec![
                name.clone(),
                short(&t.stage),
                t.stays.to_string(),
                num(t.median_days),
            ]);
        }
        speed.row(vec![
            name.clone(),
            g.speed_to_lead.leads.to_string(),
            duration(g.speed_to_lead.median_seconds),
            duration(g.speed_to_lead.p90_seconds),
        ]);
        for f in &g.open_pipeline {
            open.row(vec![
                name.clone(),
                f.category.clone(),
                f.currency.clone(),
                f.deals.to_string(),
                f.amount.clone(),
                f.weighted.clone(),
            ]);
        }
        for l in &g.loss_reasons {
            losses.row(vec![
                name.clone(),
                short(&l.reason),
                l.deals.to_string(),
                pct(l.share),
            ]);
        }
    }
    vec![deals, revenue, stages, speed, open, losses]
}

fn retention(r: &closer_app::RetentionReport) -> Vec<Section> {
    let mut repeat = Section::new(
        "Repeat customers",
        &["group", "customers", "repeat", "rate"],
    );
    for g in std::iter::once(&r.total).chain(&r.groups) {
        repeat.row(vec![
            short(&g.group),
            g.customers.to_string(),
            g.repeat_customers.to_string(),
            pct(g.repeat_purchase_rate),
        ]);
    }
    // Long form (one row per cohort and month after) keeps any span inside 80 columns.
    let mut cohorts = Section::new(
        "Cohorts: share of each month's new customers ordering k months later",
        &["first order", "customers", "k", "ordering", "share"],
    );
    for c in &r.cohorts {
        for (k, (active, share)) in c.active.iter().zip(&c.retention).enumerate() {
            cohorts.row(vec![
                c.month.clone(),
                c.customers.to_string(),
                k.to_string(),
                active.to_string(),
                pct(*share),
            ]);
        }
    }
    vec![repeat, cohorts]
}

fn ltv(r: &closer_app::LtvReport) -> Vec<Section> {
    let currency = r.currency.clone().unwrap_or_default();
    let mut hist = Section::new(
        "Historical value per customer",
        &["group", "customers", "currency", "average value"],
    );
    for g in std::iter::once(&r.total).chain(&r.groups) {
        hist.row(vec![
            short(&g.group),
            g.customers.to_string(),
            currency.clone(),
            g.average_value.clone().unwrap_or_else(|| "–".into()),
        ]);
    }
    let mut out = vec![hist];
    if let Some(p) = &r.predicted {
        let mut s = Section::new(
            format!("Predicted, next {} weeks", p.horizon_weeks),
            &["measure", "value"],
        );
        let m = &p.purchase_model;
        let g = &p.spend_model;
        for (k, v) in [
            (
                "expected purchases per customer",
                p.expected_purchases.to_string(),
            ),
            (
                "probability a customer is still active",
                pct(Some(p.probability_alive)),
            ),
            (
                "expected value per customer",
                format!("{} {currency}", p.expected_value),
            ),
            (
                "a new customer's expected purchases",
                p.new_customer_expected_purchases.to_string(),
            ),
            (
                "BG/NBD r, alpha, a, b",
                format!("{}, {}, {}, {}", m.r, m.alpha, m.a, m.b),
            ),
            (
                "Gamma-Gamma p, q, gamma",
                format!("{}, {}, {}", g.p, g.q, g.gamma),
            ),
            ("customers fitted on", p.fitted_on.to_string()),
        ] {
            s.row(vec![k.to_owned(), v]);
        }
        out.push(s);
    }
    out
}

fn attribution(r: &closer_app::AttributionReport) -> Vec<Section> {
    let mut s = Section::new(
        format!("Attribution by {} ({})", r.dimension, r.model),
        &[r.dimension, "leads", "deals", "won", "currency", "revenue"],
    );
    for row in r.rows.iter().chain(std::iter::once(&r.total)) {
        // One line per currency: the counts on the first.
        let mut money = row.revenue.iter();
        let first = money.next();
        s.row(vec![
            short(&row.group),
            row.leads.to_string(),
            row.deals.to_string(),
            row.won_deals.to_string(),
            first.map(|m| m.currency.clone()).unwrap_or_default(),
            first.map(|m| m.amount.clone()).unwrap_or_default(),
        ]);
        for m in money {
            s.row(vec![
                short(&row.group),
                String::new(),
                String::new(),
                String::new(),
                m.currency.clone(),
                m.amount.clone(),
            ]);
        }
    }
    vec![s]
}

fn bottleneck(r: &closer_app::BottleneckReport) -> Vec<Section> {
    let currency = r.currency.clone().unwrap_or_default();
    let mut s = Section::new(
        "Steps ranked by what reaching their target adds a quarter",
        &[
            "group",
            "step",
            "now",
            "target",
            "currency",
            "gain a quarter",
        ],
    );
    for g in std::iter::once(&r.total).chain(&r.groups) {
        for l in &g.steps {
            s.row(vec![
                short(&g.group),
                l.step.to_owned(),
                pct(Some(l.rate)),
                pct(Some(l.target)),
                currency.clone(),
                l.gain_per_quarter.clone(),
            ]);
        }
    }
    vec![s]
}
