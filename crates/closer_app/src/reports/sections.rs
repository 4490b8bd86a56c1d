//! Every business report as sections of rows — a heading, column names, cells as text — for
//! the interfaces that print tables: the terminal (`closer report`), the web app's report
//! pages and their CSV export. Values are whole (no cutting to fit); money sits in a column of
//! its own next to its currency, so a spreadsheet can sum it.

use closer_domain::csv_cell::neutralise;

use crate::{
    AppError, AttributionReport, BottleneckReport, FunnelReport, LtvReport, MeasuresReport,
    RetentionReport, View,
};

/// Rows under one heading.
pub struct Section {
    pub title: String,
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
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

/// The sections as one CSV text, a `section` column first; no cell is a live formula
/// (`closer_domain::csv_cell`).
pub fn csv_text(sections: &[Section]) -> Result<String, AppError> {
    let fail = |e: &dyn std::fmt::Display| AppError::Internal(format!("writing CSV: {e}"));
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    for s in sections {
        let mut header = vec!["section"];
        header.extend(&s.header);
        w.write_record(&header).map_err(|e| fail(&e))?;
        for r in &s.rows {
            let row = std::iter::once(s.title.as_str())
                .chain(r.iter().map(String::as_str))
                .map(neutralise);
            w.write_record(row.map(std::borrow::Cow::into_owned))
                .map_err(|e| fail(&e))?;
        }
    }
    let bytes = w.into_inner().map_err(|e| fail(&e))?;
    String::from_utf8(bytes).map_err(|e| fail(&e))
}

pub fn funnel(r: &FunnelReport) -> Vec<Section> {
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
                g.group.clone(),
                st.step.to_owned(),
                st.count.to_string(),
                pct(st.conversion),
                num(st.median_days),
            ]);
        }
    }
    vec![s]
}

pub fn measures(r: &MeasuresReport) -> Vec<Section> {
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
        let name = g.group.clone();
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
                t.stage.clone(),
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
                l.reason.clone(),
                l.deals.to_string(),
                pct(l.share),
            ]);
        }
    }
    vec![deals, revenue, stages, speed, open, losses]
}

pub fn retention(r: &RetentionReport) -> Vec<Section> {
    let mut repeat = Section::new(
        "Repeat customers",
        &["group", "customers", "repeat", "rate"],
    );
    for g in std::iter::once(&r.total).chain(&r.groups) {
        repeat.row(vec![
            g.group.clone(),
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

pub fn ltv(r: &LtvReport) -> Vec<Section> {
    let currency = r.currency.clone().unwrap_or_default();
    let mut hist = Section::new(
        "Historical value per customer",
        &["group", "customers", "currency", "average value"],
    );
    for g in std::iter::once(&r.total).chain(&r.groups) {
        hist.row(vec![
            g.group.clone(),
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

pub fn attribution(r: &AttributionReport) -> Vec<Section> {
    let mut s = Section::new(
        format!("Attribution by {} ({})", r.dimension, r.model),
        &[r.dimension, "leads", "deals", "won", "currency", "revenue"],
    );
    for row in r.rows.iter().chain(std::iter::once(&r.total)) {
        // One line per currency: the counts on the first.
        let mut money = row.revenue.iter();
        let first = money.next();
        s.row(vec![
            row.group.clone(),
            row.leads.to_string(),
            row.deals.to_string(),
            row.won_deals.to_string(),
            first.map(|m| m.currency.clone()).unwrap_or_default(),
            first.map(|m| m.amount.clone()).unwrap_or_default(),
        ]);
        for m in money {
            s.row(vec![
                row.group.clone(),
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

pub fn bottleneck(r: &BottleneckReport) -> Vec<Section> {
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
                g.group.clone(),
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
