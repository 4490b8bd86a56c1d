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
    pub rows: Vec<Vec<Cell>>,
}

impl Section {
    fn new(title: impl Into<String>, header: &[&'static str]) -> Self {
        Self {
            title: title.into(),
            header: header.to_vec(),
            rows: Vec::new(),
        }
    }

    fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }
}

/// One value of a table, kept typed so each interface writes it its own way: people read
/// "10.7%", "12 min" and "–"; a spreadsheet gets 0.107, 720 and an empty cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// A count, or money already written as a plain decimal ("41000.00").
    Number(String),
    /// A figure that may be missing (a median of nothing).
    Figure(Option<f64>),
    /// A fraction, shown as a percentage.
    Rate(Option<f64>),
    /// A duration in seconds, shown in the unit that reads best.
    Seconds(Option<i64>),
}

impl Cell {
    fn text(v: impl Into<String>) -> Self {
        Cell::Text(v.into())
    }

    #[allow(clippy::needless_pass_by_value)] // counts: integers, passed by value
    fn count(v: impl ToString) -> Self {
        Cell::Number(v.to_string())
    }

    /// For people: the terminal and the web app.
    pub fn shown(&self) -> String {
        match self {
            Cell::Text(t) | Cell::Number(t) => t.clone(),
            Cell::Figure(v) => v.map_or_else(|| "–".to_owned(), |v| format!("{v}")),
            Cell::Rate(v) => v.map_or_else(|| "–".to_owned(), |v| format!("{:.1}%", v * 100.0)),
            Cell::Seconds(s) => duration(*s),
        }
    }

    /// For a spreadsheet: numbers as numbers, nothing for no value.
    pub fn csv(&self) -> String {
        match self {
            Cell::Text(t) | Cell::Number(t) => t.clone(),
            Cell::Figure(v) | Cell::Rate(v) => v.map(|v| format!("{v}")).unwrap_or_default(),
            Cell::Seconds(s) => s.map(|s| s.to_string()).unwrap_or_default(),
        }
    }

    /// The number a chart draws (0 for no value or text).
    pub fn value(&self) -> f64 {
        match self {
            Cell::Text(_) => 0.0,
            Cell::Number(t) => t.parse().unwrap_or(0.0),
            Cell::Figure(v) | Cell::Rate(v) => v.unwrap_or(0.0),
            #[allow(clippy::cast_precision_loss)] // durations far below 2^52 seconds
            Cell::Seconds(s) => s.map_or(0.0, |s| s as f64),
        }
    }
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown())
    }
}

/// A group as people read it: a channel by its label ("Organic Search"), the API and the
/// stored data keeping its key (`organic_search`).
fn group_name(by: &str, group: &str) -> String {
    match closer_domain::traffic::Channel::parse(group) {
        Some(channel) if by == "channel" => channel.label().to_owned(),
        _ => group.to_owned(),
    }
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

/// The sections as one CSV text, a `section` column first: numbers as numbers (rates as
/// fractions, durations in seconds, said in the header), empty cells for no value, and no
/// cell a live formula (`closer_domain::csv_cell`).
pub fn csv_text(sections: &[Section]) -> Result<String, AppError> {
    let fail = |e: &dyn std::fmt::Display| AppError::Internal(format!("writing CSV: {e}"));
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    for s in sections {
        let mut header = vec!["section".to_owned()];
        for (i, h) in s.header.iter().enumerate() {
            let seconds = s
                .rows
                .iter()
                .any(|r| matches!(r.get(i), Some(Cell::Seconds(_))));
            header.push(if seconds {
                format!("{h} (seconds)")
            } else {
                (*h).to_owned()
            });
        }
        w.write_record(&header).map_err(|e| fail(&e))?;
        for r in &s.rows {
            let row = std::iter::once(neutralise(&s.title).into_owned())
                .chain(r.iter().map(|c| neutralise(&c.csv()).into_owned()));
            w.write_record(row).map_err(|e| fail(&e))?;
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
                Cell::Text(group_name(&r.query.by, &g.group)),
                Cell::text(st.step.to_owned()),
                Cell::count(st.count),
                Cell::Rate(st.conversion),
                Cell::Figure(st.median_days),
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
        let name = group_name(&r.query.by, &g.group);
        deals.row(vec![
            Cell::text(name.clone()),
            Cell::count(g.closed_deals),
            Cell::count(g.won_deals),
            Cell::Rate(g.win_rate),
            Cell::Figure(g.sales_cycle_median_days),
            g.touches_before_win_median
                .map_or(Cell::Figure(None), Cell::count),
        ]);
        for m in &g.revenue {
            revenue.row(vec![
                Cell::text(name.clone()),
                Cell::text(m.currency.clone()),
                Cell::count(m.won_deals),
                Cell::Number(m.total.clone()),
                Cell::Number(m.average_deal_size.clone()),
            ]);
        }
        for t in &g.time_in_stage {
            stages.row(vec![
                Cell::text(name.clone()),
                Cell::text(t.stage.clone()),
                Cell::count(t.stays),
                Cell::Figure(t.median_days),
            ]);
        }
        speed.row(vec![
            Cell::text(name.clone()),
            Cell::count(g.speed_to_lead.leads),
            Cell::Seconds(g.speed_to_lead.median_seconds),
            Cell::Seconds(g.speed_to_lead.p90_seconds),
        ]);
        for f in &g.open_pipeline {
            open.row(vec![
                Cell::text(name.clone()),
                Cell::text(f.category.clone()),
                Cell::text(f.currency.clone()),
                Cell::count(f.deals),
                Cell::Number(f.amount.clone()),
                Cell::Number(f.weighted.clone()),
            ]);
        }
        for l in &g.loss_reasons {
            losses.row(vec![
                Cell::text(name.clone()),
                Cell::text(l.reason.clone()),
                Cell::count(l.deals),
                Cell::Rate(l.share),
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
            Cell::Text(group_name(&r.query.by, &g.group)),
            Cell::count(g.customers),
            Cell::count(g.repeat_customers),
            Cell::Rate(g.repeat_purchase_rate),
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
                Cell::text(c.month.clone()),
                Cell::count(c.customers),
                Cell::count(k),
                Cell::count(active),
                Cell::Rate(*share),
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
            Cell::Text(group_name(&r.query.by, &g.group)),
            Cell::count(g.customers),
            Cell::text(currency.clone()),
            g.average_value
                .clone()
                .map_or(Cell::Figure(None), Cell::Number),
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
        let rows = [
            (
                "expected purchases per customer".to_owned(),
                Cell::Figure(Some(p.expected_purchases)),
            ),
            (
                "probability a customer is still active".to_owned(),
                Cell::Rate(Some(p.probability_alive)),
            ),
            (
                format!("expected value per customer ({currency})"),
                Cell::Number(p.expected_value.clone()),
            ),
            (
                "a new customer's expected purchases".to_owned(),
                Cell::Figure(Some(p.new_customer_expected_purchases)),
            ),
            ("BG/NBD r".to_owned(), Cell::Figure(Some(m.r))),
            ("BG/NBD alpha".to_owned(), Cell::Figure(Some(m.alpha))),
            ("BG/NBD a".to_owned(), Cell::Figure(Some(m.a))),
            ("BG/NBD b".to_owned(), Cell::Figure(Some(m.b))),
            ("Gamma-Gamma p".to_owned(), Cell::Figure(Some(g.p))),
            ("Gamma-Gamma q".to_owned(), Cell::Figure(Some(g.q))),
            ("Gamma-Gamma gamma".to_owned(), Cell::Figure(Some(g.gamma))),
            ("customers fitted on".to_owned(), Cell::count(p.fitted_on)),
        ];
        for (k, v) in rows {
            s.row(vec![Cell::Text(k), v]);
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
            Cell::Text(group_name(r.dimension, &row.group)),
            Cell::count(row.leads),
            Cell::count(row.deals),
            Cell::count(row.won_deals),
            Cell::text(first.map(|m| m.currency.clone()).unwrap_or_default()),
            first.map_or(Cell::Figure(None), |m| Cell::Number(m.amount.clone())),
        ]);
        for m in money {
            s.row(vec![
                Cell::Text(group_name(r.dimension, &row.group)),
                Cell::text(""),
                Cell::text(""),
                Cell::text(""),
                Cell::text(m.currency.clone()),
                Cell::Number(m.amount.clone()),
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
                Cell::Text(group_name(&r.query.by, &g.group)),
                Cell::text(l.step.to_owned()),
                Cell::Rate(Some(l.rate)),
                Cell::Rate(Some(l.target)),
                Cell::text(currency.clone()),
                Cell::Number(l.gain_per_quarter.clone()),
            ]);
        }
    }
    vec![s]
}
