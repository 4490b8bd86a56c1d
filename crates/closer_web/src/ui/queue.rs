//! The sales queue: hot leads first, with how long each has waited and how long since a
//! person touched it; "I'm on it" takes a lead and starts a follow-up clock. A rep sees the
//! unassigned leads and their own; managers and admins see everyone's. `?sort=-value` puts
//! the highest predicted customer value first and shows it.

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use closer_app::{QueueItem, QueueQuery};
use closer_domain::ContactId;
use closer_store::OwnerFilter;
use maud::{Markup, html};

use super::format::duration;
use super::layout::page;
use super::session::Signed;
use super::{CsrfForm, Failure, UiForm};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/queue", get(show))
        .route("/queue/{id}/take", post(take))
}

/// The name a person is shown by: their name, else their email.
pub fn display_name(c: &closer_domain::Contact) -> String {
    c.name
        .clone()
        .or_else(|| c.emails.first().map(|e| e.as_str().to_owned()))
        .unwrap_or_else(|| "(no name)".into())
}

fn rows(user: &Signed, items: &[QueueItem], by_value: bool, empty: &str) -> Markup {
    let me = user.0.user.id;
    html! {
        @if items.is_empty() {
            p.empty { (empty) }
        } @else {
            table.queue {
                thead { tr {
                    th { "Contact" }
                    @if by_value { th.num { "Expected value (52 weeks)" } }
                    th { "Temperature" } th.num { "Engagement" } th.num { "Fit" }
                    th.num { "Waiting" } th.num { "Since a person touched it" } th { "" }
                } }
                tbody {
                    @for i in items {
                        tr data-contact=(i.contact.id.0) {
                            td {
                                a href=(format!("/contacts/{}", i.contact.id.0)) { (display_name(&i.contact)) }
                                @if let Some(c) = &i.contact.company { span.sub { (c) } }
                            }
                            @if by_value { td.num { (i.expected_value.as_deref().unwrap_or("–")) } }
                            td { span class=(format!("temp {}", i.temperature.as_str())) { (i.temperature.as_str()) } }
                            td.num { (format!("{:.0}", i.engagement)) }
                            td.num { (format!("{:.0}", i.fit)) }
                            td.num { span.timer data-since=(i.contact.created_at.unix_micros() / 1000) { (duration(i.waiting_seconds)) } }
                            td.num { (i.since_human_touch_seconds.map_or_else(|| "never".to_owned(), duration)) }
                            td {
                                @if i.contact.owner_id == Some(me) {
                                    span.mine { "Yours" }
                                } @else {
                                    form method="post" action=(format!("/queue/{}/take", i.contact.id.0)) {
                                        input type="hidden" name="csrf" value=(user.csrf());
                                        button type="submit" { "I'm on it" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

async fn queue(
    state: &AppState,
    user: &Signed,
    owner: Option<OwnerFilter>,
    by_value: bool,
) -> Result<Vec<QueueItem>, Failure> {
    let q = QueueQuery {
        limit: 50,
        stage: None,
        owner,
        by_value,
    };
    Ok(state.app.queue().queue(&user.0.principal(), &q).await?.0)
}

/// The order chooser: a plain GET form, so it works without JavaScript.
fn order_form(by_value: bool) -> Markup {
    html! {
        form.filters method="get" action="/queue" {
            label for="sort" { "Order" }
            select id="sort" name="sort" {
                option value="priority" selected[!by_value] { "Hottest first" }
                option value="-value" selected[by_value] { "Highest customer value first" }
            }
            button type="submit" { "Apply" }
        }
    }
}

async fn show(
    State(state): State<AppState>,
    user: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Markup, Failure> {
    if !user.0.role.sells() {
        return Err(Failure::forbidden(
            "The sales queue is for people who sell.",
        ));
    }
    let pairs = super::query_pairs(raw.as_deref());
    let by_value = super::param(&pairs, "sort") == Some("-value");
    let content = if user.0.role.sees_everyone() {
        let all = queue(&state, &user, None, by_value).await?;
        html! {
            h1 { "Sales queue" }
            p.lede {
                @if by_value { "Open leads and prospects, highest predicted customer value first." }
                @else { "Open leads and prospects, hottest first." }
            }
            (order_form(by_value))
            (rows(&user, &all, by_value, "No open leads. New ones appear here as they arrive."))
        }
    } else {
        let free = queue(&state, &user, Some(OwnerFilter::Unassigned), by_value).await?;
        let mine = queue(
            &state,
            &user,
            Some(OwnerFilter::User(user.0.user.id)),
            by_value,
        )
        .await?;
        html! {
            h1 { "Sales queue" }
            (order_form(by_value))
            h2 { "Waiting for someone" }
            (rows(&user, &free, by_value, "No unassigned leads."))
            h2 { "Yours" }
            (rows(&user, &mine, by_value, "None yet: take one above."))
        }
    };
    Ok(page(&user.0, "Queue", "/queue", false, &content))
}

async fn take(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    UiForm(f): UiForm<CsrfForm>,
) -> Result<Response, Failure> {
    user.check_csrf(&f.csrf)?;
    let id = super::id(&id)?;
    state
        .app
        .queue()
        .take_lead(&user.0.principal(), ContactId(id))
        .await?;
    Ok(Redirect::to(&format!("/contacts/{id}")).into_response())
}
