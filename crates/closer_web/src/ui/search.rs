//! Search: the box in every page's header (`/` focuses it) and its answers — `/search`, a page
//! of contacts, companies and deals grouped by kind, and `/search/suggest`, the same list as a
//! fragment the script shows under the box as the user types. The search is the API's
//! (`App::search`), with the same reach per role and the same messages.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::routing::get;
use closer_app::AppError;
use closer_store::SearchHits;
use maud::{Markup, html};

use super::Failure;
use super::format::money;
use super::layout::page;
use super::queue::display_name;
use super::session::Signed;
use crate::AppState;

/// Each kind's most on the results page, and as the user types.
const ON_PAGE: u32 = 20;
const AS_YOU_TYPE: u32 = 5;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/search", get(results))
        .route("/search/suggest", get(suggest))
}

/// The search, or the sentence saying what is wrong with the text (`None` for no text).
async fn run(
    st: &AppState,
    user: &Signed,
    q: &str,
    limit: u32,
) -> Result<Option<Result<SearchHits, String>>, Failure> {
    if q.trim().is_empty() {
        return Ok(None);
    }
    match st.app.search(&user.0.principal(), q, limit).await {
        Ok(hits) => Ok(Some(Ok(hits))),
        Err(AppError::Invalid(errors)) => Ok(Some(Err(errors
            .iter()
            .map(|e| format!("The search {}.", e.message))
            .collect::<Vec<_>>()
            .join(" ")))),
        Err(e) => Err(e.into()),
    }
}

fn hits_list(hits: &SearchHits, q: &str) -> Markup {
    let none = hits.contacts.is_empty() && hits.companies.is_empty() && hits.deals.is_empty();
    html! {
        @if none {
            p.empty { "Nothing matches “" (q) "”." }
        }
        @if !hits.contacts.is_empty() {
            section.search-group aria-label="Contacts" {
                h2 { "Contacts" }
                ul {
                    @for c in &hits.contacts {
                        li {
                            a href=(format!("/contacts/{}", c.id.0)) { (display_name(c)) }
                            span.muted {
                                @for e in c.emails.iter().take(1) { " · " (e.as_str()) }
                                @for p in c.phones.iter().take(1) { " · " (p.as_str()) }
                                @if let Some(co) = &c.company { " · " (co) }
                                " · " (c.stage.as_str())
                            }
                        }
                    }
                }
            }
        }
        @if !hits.companies.is_empty() {
            section.search-group aria-label="Companies" {
                h2 { "Companies" }
                ul {
                    @for c in &hits.companies {
                        li {
                            a href=(format!("/companies/{}", c.id.0)) { (c.name) }
                            @if !c.domains.is_empty() {
                                span.muted { " · " (c.domains.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")) }
                            }
                        }
                    }
                }
            }
        }
        @if !hits.deals.is_empty() {
            section.search-group aria-label="Deals" {
                h2 { "Deals" }
                ul {
                    @for d in &hits.deals {
                        li {
                            a href=(format!("/contacts/{}#deals", d.contact_id.0)) { (d.title) }
                            span.muted {
                                " · " (money(d.currency.as_str(), &d.amount.to_string()))
                                " · " (d.status.as_str())
                                @if let Some(co) = &d.company { " · " (co) }
                            }
                        }
                    }
                }
            }
        }
    }
}

async fn results(
    State(st): State<AppState>,
    user: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Markup, Failure> {
    let pairs = super::query_pairs(raw.as_deref());
    let q = super::param(&pairs, "q").unwrap_or("").to_owned();
    let found = run(&st, &user, &q, ON_PAGE).await?;
    let content = html! {
        h1 { "Search" }
        form.filters method="get" action="/search" role="search" {
            label for="search-page-q" { "Name, email, phone, company or domain" }
            input #search-page-q type="search" name="q" value=(q) maxlength="200";
            button type="submit" { "Search" }
        }
        @match &found {
            None => p.lede { "Type the start of a name, an email, a phone number written any way, a company, a domain or a deal's title." },
            Some(Err(message)) => p.error role="alert" { (message) },
            Some(Ok(hits)) => (hits_list(hits, &q)),
        }
    };
    Ok(page(&user.0, "Search", "/search", false, &content))
}

/// The results as a fragment for the header's box, refreshed as the user types.
async fn suggest(
    State(st): State<AppState>,
    user: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Markup, Failure> {
    let pairs = super::query_pairs(raw.as_deref());
    let q = super::param(&pairs, "q").unwrap_or("").to_owned();
    Ok(match run(&st, &user, &q, AS_YOU_TYPE).await? {
        None => html! {},
        Some(Err(message)) => html! { p.error { (message) } },
        Some(Ok(hits)) => html! {
            (hits_list(&hits, &q))
            p { a href=(format!("/search?{}", serde_urlencoded::to_string([("q", &q)]).unwrap_or_default())) { "All results" } }
        },
    })
}
