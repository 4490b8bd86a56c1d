//! The dashboard: the step to fix first, the success measures against the period before,
//! the funnel, leads and revenue over time, and the channels — for a period and a channel.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::routing::get;
use closer_app::Dashboard;
use maud::{Markup, html};
use serde_json::json;

use super::Failure;
use super::format::{count, days, duration, money, percent, when};
use super::layout::page;
use super::session::Signed;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(show))
}

/// The periods the filter offers, in days.
pub(crate) const PERIODS: [u32; 4] = [7, 30, 90, 365];

/// A change as `+12.0%` (or nothing without a period before to compare with).
fn change(c: &closer_app::reports_view::Change) -> Markup {
    let Some(x) = c.change else {
        return html! { span.change { "nothing to compare with before" } };
    };
    let class = if x >= 0.0 { "up" } else { "down" };
    html! { span class=(format!("change {class}")) { (format!("{:+.1}%", x * 100.0)) " vs. the period before" } }
}

fn card(label: &str, value: &str, c: &closer_app::reports_view::Change) -> Markup {
    html! {
        div.card {
            h3 { (label) }
            p.figure { (value) }
            (change(c))
        }
    }
}

/// A count carried as `f64` (the change maths), back to a whole number.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // counts, never negative
fn whole(v: f64) -> String {
    count(v.max(0.0).round() as u64)
}

/// The period and channel to show: `channels` are those there are to choose from (none known
/// while the figures are first computed: then only the chosen one is offered).
fn filters(chosen_days: u32, channel: Option<&str>, channels: &[String]) -> Markup {
    let unlisted = channel.filter(|c| !channels.iter().any(|k| k == c));
    html! {
        form.filters method="get" action="/" {
            label for="days" { "Period" }
            select #days name="days" {
                @for p in PERIODS {
                    option value=(p) selected[p == chosen_days] { "Last " (p) " days" }
                }
            }
            label for="channel" { "Channel" }
            select #channel name="channel" {
                option value="" selected[channel.is_none()] { "All channels" }
                @for c in channels.iter().map(String::as_str).chain(unlisted) {
                    option value=(c) selected[channel == Some(c)] { (c) }
                }
            }
            button type="submit" { "Show" }
        }
    }
}

fn body(d: &Dashboard, chosen_days: u32, refreshing: bool) -> Markup {
    let currency = d.currency.as_deref().unwrap_or("USD");
    let funnel_chart = json!({
        "type": "bar",
        "label": "People",
        "labels": d.funnel.iter().map(|s| s.step).collect::<Vec<_>>(),
        "values": d.funnel.iter().map(|s| s.count).collect::<Vec<_>>(),
    });
    let series_chart = json!({
        "type": "line",
        "labels": d.series.iter().map(|b| b.start.get().date().to_string()).collect::<Vec<_>>(),
        "series": [
            {"label": "Leads", "values": d.series.iter().map(|b| b.leads).collect::<Vec<_>>()},
            {"label": format!("Won revenue ({currency})"), "values": d.series.iter().map(|b| b.revenue.parse::<f64>().unwrap_or(0.0)).collect::<Vec<_>>(), "axis": "y1"},
        ],
    });
    html! {
        h1 { "Dashboard" }
        p.lede role="status" {
            "Figures as of " (when(d.period.to))
            @if refreshing { " — newer figures are being computed: reload in a moment." }
            @else { "; visitor counts may lag a few minutes." }
        }
        (filters(chosen_days, d.channel.as_deref(), &d.channels))
        @if let Some(h) = &d.headline {
            p.headline role="status" { strong { "Fix first: " } (h) }
        }
        section.cards aria-label="Success measures" {
            (card("Leads", &whole(d.leads.now), &d.leads))
            (card("Won deals", &whole(d.won_deals.now), &d.won_deals))
            (card("Revenue", &money(currency, &format!("{:.2}", d.revenue.now)), &d.revenue))
            (card("Average deal", &money(currency, &format!("{:.2}", d.average_deal.now)), &d.average_deal))
            (card("Win rate", &percent(Some(d.win_rate.now)), &d.win_rate))
            div.card {
                h3 { "Speed to lead (median)" }
                p.figure { (d.speed_to_lead_median_seconds.map_or_else(|| "–".to_owned(), duration)) }
                span.change { "lead to first call or email" }
            }
        }
        div.two {
            section aria-labelledby="funnel-h" {
                h2 #funnel-h { "Funnel" }
                canvas.chart data-chart=(funnel_chart.to_string()) role="img" aria-label="The funnel as bars, from visitors to repeat customers" {}
                table {
                    thead { tr { th { "Step" } th.num { "People" } th.num { "Converted" } th.num { "Median time" } } }
                    tbody {
                        @for s in &d.funnel {
                            tr {
                                td { (s.step) }
                                td.num { (count(s.count)) }
                                td.num { (percent(s.conversion)) }
                                td.num { (days(s.median_days)) }
                            }
                        }
                    }
                }
            }
            section aria-labelledby="time-h" {
                h2 #time-h { "Leads and revenue over time" }
                canvas.chart data-chart=(series_chart.to_string()) role="img" aria-label="Leads and won revenue per period" {}
            }
        }
        section aria-labelledby="channels-h" {
            h2 #channels-h { "Channels" }
            table {
                thead { tr { th { "Channel" } th.num { "Visitors" } th.num { "Leads" } th.num { "Visitor → lead" } th.num { "Customers" } } }
                tbody {
                    @for r in &d.by_channel {
                        tr {
                            td { a href=(format!("/?days={chosen_days}&channel={}", urlencode(&r.channel))) { (r.channel) } }
                            td.num { (count(r.visitors)) }
                            td.num { (count(r.leads)) }
                            td.num { (percent(r.visitor_to_lead)) }
                            td.num { (count(r.customers)) }
                        }
                    }
                }
            }
        }
    }
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn show(
    State(state): State<AppState>,
    user: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Markup, Failure> {
    let pairs = super::query_pairs(raw.as_deref());
    if let Some((k, _)) = pairs.iter().find(|(k, _)| k != "days" && k != "channel") {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            format!("The dashboard takes no {k:?}: filter by days and channel."),
        ));
    }
    let chosen = match super::param(&pairs, "days") {
        None => 90,
        Some(raw) => raw
            .parse()
            .ok()
            .filter(|d| PERIODS.contains(d))
            .ok_or_else(|| {
                Failure::new(
                    StatusCode::BAD_REQUEST,
                    format!("{raw:?} is not a period: use 7, 30, 90 or 365 days."),
                )
            })?,
    };
    let channel = super::param(&pairs, "channel");
    let Some(cached) = state
        .app
        .reports()
        .dashboard_within(user.0.user.workspace_id, chosen, state.page_wait)
        .await?
    else {
        let content = html! {
            h1 { "Dashboard" }
            (super::computing())
            (filters(chosen, channel, &[]))
        };
        return Ok(page(&user.0, "Dashboard", "/", false, &content));
    };
    let refreshing = matches!(cached, closer_app::reports_view::Cached::Refreshing(_));
    let d = &cached.value().view(channel);
    Ok(page(
        &user.0,
        "Dashboard",
        "/",
        true,
        &body(d, chosen, refreshing),
    ))
}
