//! Merging another record of the same person into a contact, from its page: find the other
//! record (by email, name or id), read the preview — every field's surviving value and why,
//! and what moves — and merge. The merged-away record's page then leads to the survivor.
//! And the possible duplicates, each with its merge preview a click away, or dismissed.

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use closer_app::merge::MergePreview;
use closer_domain::contact::merge::Why;
use closer_domain::{Contact, ContactId};
use closer_store::ContactQuery;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use super::layout::page;
use super::queue::display_name;
use super::session::Signed;
use super::{Failure, UiForm, param, query_pairs};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/contacts/{id}/merge", get(show).post(merge))
        .route("/contacts/duplicates", get(duplicates))
        .route("/contacts/duplicates/dismiss", post(dismiss))
}

#[derive(Deserialize)]
struct DismissForm {
    csrf: String,
    a: String,
    b: String,
}

async fn duplicates(State(state): State<AppState>, user: Signed) -> Result<Markup, Failure> {
    let pairs = state
        .app
        .contacts()
        .duplicates(&user.0.principal(), 100)
        .await?;
    let person = |c: &Contact| {
        html! {
            a href=(format!("/contacts/{}", c.id.0)) { (display_name(c)) }
            @if let Some(e) = c.emails.first() { br; small { (e.as_str()) } }
            @if let Some(p) = c.phones.first() { br; small { (p.as_str()) } }
        }
    };
    let content = html! {
        h1 { "Possible duplicates" }
        p.lede { "Records that may be one person: one form or import row named an email or phone of each, or the same name at the same company. Merging keeps the older record and moves the other's history to it." }
        @if pairs.is_empty() { p.empty { "No possible duplicates." } }
        @else {
            table {
                thead { tr { th { "Keep" } th { "Other" } th { "Why" } th { "Found" } th { "" } } }
                tbody {
                    @for p in &pairs {
                        tr {
                            td { (person(&p.keep)) }
                            td { (person(&p.other)) }
                            td { (p.reason.describe()) }
                            td { (super::format::when(p.found_at)) }
                            td {
                                a href=(format!("/contacts/{}/merge?other={}", p.keep.id.0, p.other.id.0)) { "Preview merge" }
                                form.inline method="post" action="/contacts/duplicates/dismiss" {
                                    input type="hidden" name="csrf" value=(user.csrf());
                                    input type="hidden" name="a" value=(p.keep.id.0);
                                    input type="hidden" name="b" value=(p.other.id.0);
                                    button type="submit" { "Not the same person" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(
        &user.0,
        "Possible duplicates",
        "/contacts",
        false,
        &content,
    ))
}

async fn dismiss(
    State(state): State<AppState>,
    user: Signed,
    UiForm(f): UiForm<DismissForm>,
) -> Result<Response, Failure> {
    user.check_csrf(&f.csrf)?;
    let (a, b) = (ContactId(super::id(&f.a)?), ContactId(super::id(&f.b)?));
    state
        .app
        .contacts()
        .dismiss_duplicate(&user.0.principal(), a, b)
        .await?;
    Ok(Redirect::to("/contacts/duplicates").into_response())
}

#[derive(Deserialize)]
struct MergeForm {
    csrf: String,
    from: String,
}

/// The records `text` may mean: the one its id names, or those whose name, email or
/// company holds it (the contact itself left out).
async fn candidates(
    state: &AppState,
    user: &Signed,
    keep: ContactId,
    text: &str,
) -> Result<Vec<Contact>, Failure> {
    let principal = user.0.principal();
    if let Ok(id) = uuid::Uuid::parse_str(text) {
        return Ok(vec![
            state
                .app
                .contacts()
                .contact(&principal, ContactId(id))
                .await?,
        ]);
    }
    let page = state
        .app
        .contacts()
        .list_contacts(
            &principal,
            &ContactQuery {
                q: Some(text.to_owned()),
                limit: 10,
                ..ContactQuery::default()
            },
        )
        .await?;
    Ok(page.items.into_iter().filter(|c| c.id != keep).collect())
}

fn why(w: Why, from: ContactId, keep: ContactId) -> String {
    let other = if from == keep {
        "this record"
    } else {
        "the other record"
    };
    match w {
        Why::Kept => "kept from this record".to_owned(),
        Why::FilledFromOther => format!("filled from {other}"),
        Why::Combined => "both records' together".to_owned(),
        Why::Furthest => format!("the furthest stage, from {other}"),
        Why::Newer => format!("the newer statement, from {other}"),
        Why::Earliest => format!("the earliest, from {other}"),
    }
}

fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => closer_domain::Timestamp::parse_rfc3339(s)
            .map_or_else(|| s.clone(), super::format::when),
        Value::Object(o) if o.is_empty() => "—".to_owned(),
        Value::Null => "—".to_owned(),
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

fn preview_markup(user: &Signed, p: &MergePreview) -> Markup {
    let keep = p.keep.id;
    let m = p.moves;
    let moves = [
        (m.identities, "emails and phones"),
        (m.visitors, "tracked visitors"),
        (m.timeline, "timeline events"),
        (m.traffic, "tracked page views and events"),
        (m.stage_history, "stage history entries"),
        (m.deals, "deals"),
        (m.activities, "activities"),
        (m.tasks, "tasks"),
        (m.orders, "orders"),
        (m.external_ids, "ids from other tools"),
    ];
    html! {
        section aria-labelledby="preview-h" {
            h2 #preview-h { "What the merged record keeps" }
            table {
                thead { tr { th { "Field" } th { "Value" } th { "Why" } } }
                tbody {
                    @for f in &p.plan.fields {
                        tr { td { (f.field.replace('_', " ")) } td { (shown(&f.value)) } td { (why(f.why, f.from, keep)) } }
                    }
                }
            }
            h2 { "What moves to this record" }
            ul.moves {
                @for (n, what) in moves {
                    @if n > 0 { li { (n) " " (what) } }
                }
            }
            @for o in &p.others {
                form.inline method="post" action=(format!("/contacts/{}/merge", keep.0)) {
                    input type="hidden" name="csrf" value=(user.csrf());
                    input type="hidden" name="from" value=(o.id.0);
                    p { (display_name(o)) " is removed: its page and id lead here afterwards." }
                    button type="submit" { "Merge" }
                }
            }
        }
    }
}

async fn show(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, Failure> {
    let keep = ContactId(super::id(&id)?);
    let principal = user.0.principal();
    let contact = state.app.contacts().contact(&principal, keep).await?;
    let pairs = query_pairs(raw.as_deref());
    let other = param(&pairs, "other");
    let name = display_name(&contact);
    let found = match other {
        Some(text) => candidates(&state, &user, keep, text).await?,
        None => Vec::new(),
    };
    let preview = match found.as_slice() {
        [one] => Some(
            state
                .app
                .contacts()
                .merge_preview(&principal, keep, &[one.id])
                .await?,
        ),
        _ => None,
    };
    let content = html! {
        h1 { "Merge into " (name) }
        p.lede { "Another record of the same person is merged into this one: its details fill what this one lacks, and its whole history moves here." }
        form.inline method="get" action=(format!("/contacts/{}/merge", keep.0)) {
            label for="merge-other" { "The other record (email, name or id)" }
            input #merge-other name="other" value=(other.unwrap_or("")) required maxlength="200";
            button type="submit" { "Preview" }
        }
        @if let Some(text) = other {
            @match found.len() {
                0 => { p.empty role="status" { "No other contact matches “" (text) "”." } }
                1 => {}
                _ => {
                    p role="status" { "Several contacts match; pick one:" }
                    ul {
                        @for c in &found {
                            li { a href=(format!("/contacts/{}/merge?other={}", keep.0, c.id.0)) { (display_name(c)) }
                                 @if let Some(e) = c.emails.first() { " · " (e.as_str()) } }
                        }
                    }
                }
            }
        }
        @if let Some(p) = &preview { (preview_markup(&user, p)) }
        p { a href=(format!("/contacts/{}", keep.0)) { "Back to " (name) } }
    };
    Ok(page(&user.0, &format!("Merge into {name}"), "", false, &content).into_response())
}

async fn merge(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    UiForm(f): UiForm<MergeForm>,
) -> Result<Response, Failure> {
    user.check_csrf(&f.csrf)?;
    let keep = ContactId(super::id(&id)?);
    let from = ContactId(super::id(&f.from)?);
    state
        .app
        .contacts()
        .merge_contacts(&user.0.principal(), keep, &[from])
        .await?;
    Ok(Redirect::to(&format!("/contacts/{}", keep.0)).into_response())
}
