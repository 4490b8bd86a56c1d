//! Report pages: each business report of the API (funnel, measures, retention, lifetime value,
//! attribution, bottleneck) for a period and breakdown, as tables, with a chart where a
//! picture says more, and the same tables as CSV.

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use closer_app::reports_view::sections::{self, Cell, Section};
use closer_app::{App, ReportRequest};
use closer_domain::WorkspaceId;
use maud::{Markup, html};
use serde_json::json;

use super::format::when;
use super::layout::page;
use super::session::Signed;
use super::{Failure, param, query_pairs};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/reports",
            get(|| async { axum::response::Redirect::to("/reports/funnel") }),
        )
        .route("/reports/{name}", get(show))
}

/// `(path segment, title)` of each report.
const REPORTS: [(&str, &str); 6] = [
    ("funnel", "Funnel"),
    ("measures", "Success measures"),
    ("retention", "Retention"),
    ("ltv", "Lifetime value"),
    ("attribution", "Attribution"),
    ("bottleneck", "What to fix first"),
];

const BREAKDOWNS: [&str; 7] = [
    "",
    "channel",
    "source",
    "campaign",
    "site",
    "owner",
    "property:",
];

/// A report page's computed parts: its tables, the sentences above them and its chart.
pub struct ReportPage {
    sections: Vec<Section>,
    notes: Vec<String>,
    chart: Option<serde_json::Value>,
    computed_at: closer_domain::Timestamp,
}

/// Report pages by workspace and request (`name?query`), kept like the dashboard: a year of
/// a large workspace is hundreds of milliseconds to compute, and its figures change only
/// when a contact, deal or order does (see `closer_app::reports_view::ReportCache`).
pub type ReportPages = closer_app::reports_view::ReportCache<(WorkspaceId, String), ReportPage>;

/// A report's sections, notes and chart, computed for the request.
async fn compute(
    app: &App,
    ws: WorkspaceId,
    name: &str,
    req: &ReportRequest,
) -> Result<ReportPage, closer_app::AppError> {
    let q = &req.query;
    let (sections, notes, chart) = match name {
        "funnel" => {
            let r = app.reports().funnel_report(ws, q, req.view).await?;
            let chart = json!({
                "type": "bar", "label": "People",
                "labels": r.total.steps.iter().map(|s| s.step).collect::<Vec<_>>(),
                "values": r.total.steps.iter().map(|s| s.count).collect::<Vec<_>>(),
            });
            (
                sections::funnel(&r),
                vec![r.counting.to_owned()],
                Some(chart),
            )
        }
        "measures" => (
            sections::measures(&app.reports().measures_report(ws, q).await?),
            Vec::new(),
            None,
        ),
        "retention" => (
            sections::retention(&app.reports().retention_report(ws, q).await?),
            Vec::new(),
            None,
        ),
        "ltv" => {
            let r = app.reports().ltv_report(ws, q).await?;
            let notes = r
                .not_enough_data
                .iter()
                .map(|n| format!("Predicted value: {n}"))
                .collect();
            (sections::ltv(&r), notes, None)
        }
        "attribution" => {
            let r = app.reports().attribution_report(ws, q, req.model).await?;
            let s = sections::attribution(&r);
            // The leads credited to each channel or campaign, as bars.
            let chart = s.first().map(|leads| {
                json!({
                    "type": "bar", "label": "Credited",
                    "labels": leads.rows.iter().map(|r| r.first().map(Cell::shown).unwrap_or_default()).collect::<Vec<_>>(),
                    "values": leads.rows.iter().map(|r| r.get(1).map_or(0.0, Cell::value)).collect::<Vec<_>>(),
                })
            });
            (s, Vec::new(), chart)
        }
        "bottleneck" => {
            let r = app.reports().bottleneck_report(ws, q).await?;
            let mut notes: Vec<String> = r.total.steps.iter().map(|l| l.sentence.clone()).collect();
            notes.extend(r.total.not_enough_data.clone());
            (sections::bottleneck(&r), notes, None)
        }
        _ => return Err(closer_app::AppError::NotFound),
    };
    Ok(ReportPage {
        sections,
        notes,
        chart,
        computed_at: closer_domain::Timestamp::now(),
    })
}

/// The request a page's parameters make ("the last 90 days" ends now).
fn request_of(p: &[(String, String)]) -> Result<ReportRequest, closer_app::AppError> {
    ReportRequest::parse(
        param(p, "from"),
        param(p, "to"),
        param(p, "by"),
        param(p, "view"),
        param(p, "model"),
    )
    .map_err(closer_app::AppError::Invalid)
}

/// The page from the cache (see `ReportPages`), computed if it must be, waiting for it at most
/// `wait` (`None` past that: it is being computed). The kept computation parses the parameters
/// again each time it runs, so a refresh of a relative period counts up to its own moment.
async fn cached(
    st: &AppState,
    ws: WorkspaceId,
    name: &str,
    p: Vec<(String, String)>,
    version: String,
    wait: std::time::Duration,
) -> Result<Option<closer_app::reports_view::Cached<ReportPage>>, closer_app::AppError> {
    let key = (
        ws,
        format!(
            "{name}?{}",
            serde_urlencoded::to_string(&p).unwrap_or_default()
        ),
    );
    let (app, name) = (st.app.clone(), name.to_owned());
    st.report_pages
        .fetch_within(ws, key, version, wait, move || {
            let (app, name, p) = (app.clone(), name.clone(), p.clone());
            async move { compute(&app, ws, &name, &request_of(&p)?).await }
        })
        .await
}

/// Computes each report's default page (the last 90 days, in total) for `ws`, so the first
/// views after a start do not wait. Run by the server's warmer.
pub async fn warm(st: &AppState, ws: WorkspaceId) {
    for (name, _) in REPORTS {
        let version = match st.app.reports().data_version(ws).await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %e, "warming report pages failed");
                return;
            }
        };
        // The warmer has all the time it needs.
        let wait = std::time::Duration::from_hours(1);
        if let Err(e) = cached(st, ws, name, Vec::new(), version, wait).await {
            tracing::warn!(error = %e, report = name, "warming a report page failed");
        }
    }
}

fn controls(name: &str, p: &[(String, String)]) -> Markup {
    let by = param(p, "by").unwrap_or("");
    let by_choice = if by.starts_with("property:") {
        "property:"
    } else {
        by
    };
    html! {
        form.filters method="get" action=(format!("/reports/{name}")) {
            label for="from" { "From" }
            input #from type="date" name="from" value=(param(p, "from").unwrap_or(""));
            label for="to" { "To" }
            input #to type="date" name="to" value=(param(p, "to").unwrap_or(""));
            label for="by" { "By" }
            select #by name="by" {
                @for b in BREAKDOWNS {
                    option value=(b) selected[b == by_choice] { @if b.is_empty() { "total" } @else { (b.trim_end_matches(':')) } }
                }
            }
            label for="prop" { "Property " span.hint { "(for by property)" } }
            input #prop name="prop" size="12" value=(by.strip_prefix("property:").unwrap_or(""));
            @if name == "funnel" {
                label for="view" { "View" }
                select #view name="view" {
                    @for v in ["cohort", "flow"] { option value=(v) selected[param(p, "view") == Some(v)] { (v) } }
                }
            }
            @if name == "attribution" {
                label for="model" { "Model" }
                select #model name="model" {
                    @for m in ["linear", "first_touch", "last_touch", "position_based"] {
                        option value=(m) selected[param(p, "model") == Some(m)] { (m.replace('_', " ")) }
                    }
                }
            }
            button type="submit" { "Show" }
        }
    }
}

async fn show(
    State(st): State<AppState>,
    user: Signed,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, Failure> {
    let (name, csv) = match name.strip_suffix(".csv") {
        Some(n) => (n.to_owned(), true),
        None => (name, false),
    };
    let Some((_, title)) = REPORTS.iter().find(|(n, _)| *n == name) else {
        return Err(Failure::not_found());
    };
    let mut p = query_pairs(raw.as_deref());
    // "By property" names the property in a field of its own.
    let prop = param(&p, "prop").map(str::to_owned);
    if let (Some(i), Some(prop)) = (
        p.iter().position(|(k, v)| k == "by" && v == "property:"),
        prop,
    ) {
        p[i].1 = format!("property:{prop}");
    }
    p.retain(|(k, _)| k != "prop");
    let known = ["from", "to", "by", "view", "model"];
    if let Some((k, _)) = p.iter().find(|(k, _)| !known.contains(&k.as_str())) {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            format!("Reports take no {k:?}."),
        ));
    }
    let req = request_of(&p)?;
    let ws = user.0.user.workspace_id;
    // Refused at once, not left to a computation the page may not wait for.
    st.app.reports().check_query(ws, &req.query).await?;
    let query = serde_urlencoded::to_string(&p).unwrap_or_default();
    if csv {
        // A download is always computed now: a file is not marked as being refreshed.
        let fresh = compute(&st.app, ws, &name, &req).await?;
        let text = sections::csv_text(&fresh.sections)?;
        let file = format!("attachment; filename=\"closer-{name}.csv\"");
        return Ok((
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/csv; charset=utf-8"),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    HeaderValue::from_str(&file).unwrap_or(HeaderValue::from_static("attachment")),
                ),
            ],
            text,
        )
            .into_response());
    }
    let version = st.app.reports().data_version(ws).await?;
    let Some(computed) = cached(&st, ws, &name, p.clone(), version, st.page_wait).await? else {
        let content = html! {
            h1 { (title) }
            (controls(&name, &p))
            (super::computing())
        };
        return Ok(page(&user.0, title, "/reports", false, &content).into_response());
    };
    let refreshing = matches!(computed, closer_app::reports_view::Cached::Refreshing(_));
    let ReportPage {
        sections: secs,
        notes,
        chart,
        computed_at,
    } = computed.value();
    let content = html! {
        h1 { (title) }
        nav.tabs aria-label="Reports" {
            @for (n, t) in REPORTS {
                a href=(format!("/reports/{n}?{query}")) aria-current=[(n == name).then_some("page")] { (t) }
            }
        }
        p.lede role="status" {
            "Figures as of " (when(*computed_at))
            @if refreshing { " — newer figures are being computed: reload in a moment." }
            @else { "; visitor counts may lag a few minutes." }
        }
        (controls(&name, &p))
        p { a.button href=(format!("/reports/{name}.csv?{query}")) download { "Download CSV" } }
        @for n in notes { p.headline { (n) } }
        @if let Some(c) = chart {
            canvas.chart data-chart=(c.to_string()) role="img" aria-label=(format!("{title} as a chart; the table below has the figures")) {}
        }
        @for s in secs {
            section {
                h2 { (s.title) }
                @if s.rows.is_empty() {
                    p.empty { "Nothing in this period." }
                } @else {
                    table {
                        thead { tr { @for h in &s.header { th { (h) } } } }
                        tbody {
                            @for r in &s.rows {
                                tr { @for c in r { td { (c) } } }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(&user.0, title, "/reports", true, &content).into_response())
}
