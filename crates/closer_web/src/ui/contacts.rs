//! Contacts: a searchable, filterable list (stage, temperature, owner, channel, tag), a page
//! at a time; saved views of it (the team's and one's own, with their counts); assigning,
//! tagging and untagging many at once. The filters are the API's (`GET /api/v1/contacts`),
//! read by the same parser. A rep lists their own contacts or the unassigned ones.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use closer_domain::qualification::Temperature;
use closer_domain::traffic::Channel;
use closer_domain::{ContactId, Stage, UserId};
use closer_store::User;
use maud::{Markup, html};

use super::format::when;
use super::layout::page;
use super::queue::display_name;
use super::session::Signed;
use super::{Failure, UiForm};
use crate::AppState;
use crate::routes::contacts::ListParams;

const PAGE: u32 = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/contacts", get(show))
        .route("/contacts/assign", post(assign))
        .route("/contacts/tag", post(super::tags::bulk_tag))
        .route("/contacts/stage", post(bulk_stage))
        .route("/contacts/erase", post(bulk_erase))
        .route("/contacts/views", post(super::tags::save_contact_view))
        .route(
            "/contacts/views/{id}/delete",
            post(super::tags::delete_contact_view),
        )
}

fn select(id: &str, label: &str, options: &[(String, String)], chosen: &str) -> Markup {
    html! {
        label for=(id) { (label) }
        select id=(id) name=(id) {
            option value="" selected[chosen.is_empty()] { "Any" }
            @for (v, text) in options {
                option value=(v) selected[chosen == v] { (text) }
            }
        }
    }
}

fn owner_name(users: &[User], id: Option<UserId>) -> String {
    match id {
        None => "unassigned".into(),
        Some(id) => users
            .iter()
            .find(|u| u.id == id)
            .map_or_else(|| "?".into(), |u| u.name.clone()),
    }
}

/// The list's further filters: (parameter, label, input type, hint).
const MORE_FILTERS: [(&str, &str, &str, &str); 10] = [
    (
        "source",
        "First-touch source",
        "text",
        "(google, newsletter…)",
    ),
    ("campaign", "First-touch campaign", "text", ""),
    ("fit_min", "Fit at least", "number", ""),
    ("fit_max", "Fit at most", "number", ""),
    ("engagement_min", "Engagement at least", "number", ""),
    ("engagement_max", "Engagement at most", "number", ""),
    (
        "property",
        "Property",
        "text",
        "(name:value, like plan:gold)",
    ),
    ("created_from", "Arrived from", "date", ""),
    (
        "active_from",
        "Active since",
        "date",
        "(an activity logged on or after)",
    ),
    (
        "active_to",
        "Idle since",
        "date",
        "(nothing logged on or after)",
    ),
];

async fn show(
    State(st): State<AppState>,
    user: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Markup, Failure> {
    let mut pairs = super::query_pairs(raw.as_deref());
    // The filters as chosen, before a rep's are narrowed to theirs: what a saved view keeps.
    let chosen: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, v)| !v.is_empty() && k != "cursor" && k != "limit")
        .cloned()
        .collect();
    let chosen = serde_urlencoded::to_string(&chosen).unwrap_or_default();
    let me = user.0.user.id;
    let everyone = user.0.role.sees_everyone();
    if !everyone {
        // A rep: their own by default, or the unassigned ones.
        let owner = super::param(&pairs, "owner").unwrap_or("").to_owned();
        pairs.retain(|(k, _)| k != "owner");
        let mine = me.0.to_string();
        pairs.push(("owner".into(), if owner == "none" { owner } else { mine }));
    }
    pairs.retain(|(k, _)| k != "limit");
    // The page offers newest first or highest value first; "" is the form's default.
    pairs.retain(|(k, v)| k != "sort" || v == "-value");
    let encoded = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    let params: ListParams = serde_urlencoded::from_str(&encoded).map_err(|e| {
        Failure::new(
            StatusCode::BAD_REQUEST,
            format!("These filters cannot be read: {e}."),
        )
    })?;
    let more_open = MORE_FILTERS
        .iter()
        .any(|(name, ..)| super::param(&pairs, name).is_some());
    let mut query = params.parse().map_err(Failure::from)?;
    query.limit = PAGE;
    let ws = user.0.user.workspace_id;
    let found = st
        .app
        .contacts()
        .list_contacts(&user.0.principal(), &query)
        .await?;
    let users = st.app.access().users(ws).await?;
    let by_value = query.sort == closer_store::ContactSort::ValueDesc;
    let values = if by_value {
        let ids: Vec<ContactId> = found.items.iter().map(|c| c.id).collect();
        st.app.contacts().values(&user.0.principal(), &ids).await?
    } else {
        std::collections::HashMap::new()
    };
    let bulk = user.0.may_assign();
    let edits =
        closer_domain::access::reach(user.0.role, closer_domain::access::Action::EditContacts)
            != closer_domain::access::Reach::Nobody;
    let erases =
        closer_domain::access::reach(user.0.role, closer_domain::access::Action::EraseContacts)
            != closer_domain::access::Reach::Nobody;
    let ticks = bulk || edits;
    let principal = user.0.principal();
    let ids: Vec<uuid::Uuid> = found.items.iter().map(|c| c.id.0).collect();
    let tags = st
        .app
        .tags_of(&principal, closer_store::Tagged::Contacts, &ids)
        .await?;
    let known_tags: Vec<(String, String)> = st
        .app
        .workspace_tags(&principal, closer_store::Tagged::Contacts)
        .await?
        .into_iter()
        .map(|(t, n)| (t.to_string(), format!("{t} ({n})")))
        .collect();
    let mut views = Vec::new();
    for v in st
        .app
        .views(&principal, closer_domain::tag::ViewOf::Contacts)
        .await?
    {
        // A view whose filters no longer read (a user deleted since) counts nothing.
        let count = match crate::routes::tags::contact_filters(&v.query) {
            Ok(q) => st.app.contacts().count_contacts(&principal, &q).await.ok(),
            Err(_) => None,
        };
        let deletable = closer_app::App::may_delete_view(&principal, &v);
        views.push((v, count, deletable));
    }
    let csrf = user.csrf();

    let stages: Vec<(String, String)> = Stage::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), s.as_str().to_owned()))
        .collect();
    let temps: Vec<(String, String)> = [Temperature::Hot, Temperature::Warm, Temperature::Cold]
        .iter()
        .map(|t| (t.as_str().to_owned(), t.as_str().to_owned()))
        .collect();
    let channels: Vec<(String, String)> = Channel::ALL
        .iter()
        .map(|c| (c.as_str().to_owned(), c.as_str().replace('_', " ")))
        .collect();
    let mut owners: Vec<(String, String)> = vec![("none".into(), "Unassigned".into())];
    if everyone {
        owners.extend(users.iter().map(|u| (u.id.0.to_string(), u.name.clone())));
    } else {
        owners.push((me.0.to_string(), "Mine".into()));
    }
    let next = found.next.map(|c| {
        let mut p: Vec<(String, String)> = pairs
            .iter()
            .filter(|(k, _)| k != "cursor")
            .cloned()
            .collect();
        p.push(("cursor".into(), c.encode()));
        format!(
            "/contacts?{}",
            serde_urlencoded::to_string(&p).unwrap_or_default()
        )
    });
    let content = html! {
        h1 { "Contacts" }
        @if edits {
            p.actions { a href="/contacts/new" { "New contact" } }
        }
        nav.views aria-label="Saved views" {
            h2 { "Views" }
            ul {
                li { a href="/contacts" aria-current=[chosen.is_empty().then_some("page")] { "All contacts" } }
                @for (v, count, deletable) in &views {
                    li {
                        a href=(format!("/contacts?{}", v.query)) aria-current=[(v.query == chosen).then_some("page")] {
                            (v.name)
                            @if let Some(n) = count { " " span.count { (n) } }
                        }
                        @if v.owner_id.is_none() { " " span.hint { "team" } }
                        " " a href=(format!("/export/contacts?view={}", v.id)) download aria-label=(format!("Download the view {} as CSV", v.name)) { "CSV" }
                        @if *deletable {
                            form.inline method="post" action=(format!("/contacts/views/{}/delete", v.id)) {
                                input type="hidden" name="csrf" value=(csrf);
                                button.quiet type="submit" aria-label=(format!("Delete the view {}", v.name)) { "Delete" }
                            }
                        }
                    }
                }
            }
            @if !chosen.is_empty() {
                form.inline method="post" action="/contacts/views" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="query" value=(chosen);
                    label for="view-name" { "Save these filters as" }
                    input #view-name name="name" required maxlength="80" placeholder="Hot leads from ads";
                    label { input type="checkbox" name="shared" value="yes"; " for the whole team" }
                    button type="submit" { "Save view" }
                }
            }
        }
        form.filters method="get" action="/contacts" role="search" {
            label for="q" { "Search" }
            input #q type="search" name="q" value=(super::param(&pairs, "q").unwrap_or("")) placeholder="name, email or company";
            (select("stage", "Stage", &stages, super::param(&pairs, "stage").unwrap_or("")))
            (select("temperature", "Temperature", &temps, super::param(&pairs, "temperature").unwrap_or("")))
            (select("owner", "Owner", &owners, super::param(&pairs, "owner").unwrap_or("")))
            (select("channel", "Channel", &channels, super::param(&pairs, "channel").unwrap_or("")))
            (select("tag", "Tag", &known_tags, super::param(&pairs, "tag").unwrap_or("")))
            details.more-filters open[more_open] {
                summary { "More filters" }
                @for (name, label, kind, hint) in MORE_FILTERS {
                    label for=(name) { (label) @if !hint.is_empty() { " " span.hint { (hint) } } }
                    input #(name) type=(kind) name=(name) value=(super::param(&pairs, name).unwrap_or("")) step=[(kind == "number").then_some("any")] min=[(kind == "number").then_some("0")];
                }
            }
            label for="sort" { "Order" }
            select #sort name="sort" {
                option value="" selected[!by_value] { "Newest first" }
                option value="-value" selected[by_value] { "Highest customer value first" }
            }
            button type="submit" { "Filter" }
        }
        form method="post" action="/contacts/assign" {
            input type="hidden" name="csrf" value=(csrf);
            @if found.items.is_empty() {
                p.empty { "No contacts match." }
            } @else {
                table.contacts {
                    thead { tr {
                        @if ticks { th { span.visually-hidden { "Select" } } }
                        th { "Name" } th { "Company" } th { "Stage" } th { "Owner" } th { "Tags" } th { "Arrived" }
                        @if by_value { th.num { "Expected value (52 weeks)" } }
                    } }
                    tbody {
                        @for c in &found.items {
                            tr {
                                @if ticks {
                                    td { input type="checkbox" name="id" value=(c.id.0) aria-label=(format!("Select {}", display_name(c))); }
                                }
                                td { a href=(format!("/contacts/{}", c.id.0)) { (display_name(c)) } }
                                td { (c.company.as_deref().unwrap_or("")) }
                                td { (c.stage.as_str()) }
                                td { (owner_name(&users, c.owner_id)) }
                                td { (super::tags::chips(tags.get(&c.id.0).map_or(&[][..], Vec::as_slice))) }
                                td { (when(c.created_at)) }
                                @if by_value { td.num { (values.get(&c.id).map_or("–", String::as_str)) } }
                            }
                        }
                    }
                }
            }
            @if bulk && !found.items.is_empty() {
                div.inline {
                    label for="assign-to" { "Assign the selected to" }
                    select #assign-to name="owner" {
                        option value="none" { "nobody (unassign)" }
                        @for u in &users { option value=(u.id.0) { (u.name) } }
                    }
                    button type="submit" { "Assign" }
                }
            }
            @if ticks && !found.items.is_empty() {
                div.inline {
                    label for="bulk-tag" { "Tag the selected" }
                    input #bulk-tag name="tag" maxlength="40" placeholder="vip" list="known-tags";
                    datalist #known-tags { @for (t, _) in &known_tags { option value=(t) {} } }
                    button type="submit" formaction="/contacts/tag" name="op" value="add" { "Add tag" }
                    button type="submit" formaction="/contacts/tag" name="op" value="remove" { "Remove tag" }
                }
                div.inline {
                    label for="bulk-stage" { "Move the selected to" }
                    select #bulk-stage name="to_stage" {
                        @for s in Stage::ALL { option value=(s.as_str()) { (s.as_str()) } }
                    }
                    button type="submit" formaction="/contacts/stage" { "Change stage" }
                }
            }
            @if erases && !found.items.is_empty() {
                div.inline.danger {
                    label { input type="checkbox" name="confirm" value="yes"; " Erase the selected people: everything closer holds about them, with no undo" }
                    button.danger type="submit" formaction="/contacts/erase" { "Erase" }
                }
            }
        }
        @if let Some(next) = next {
            p { a href=(next) rel="next" { "Next page" } }
        }
        p { "Download every contact you can see: " a href="/export/contacts" download { "CSV" } " · " a href="/export/contacts?format=jsonl" download { "JSON lines" } }
        p { a href="/contacts/duplicates" { "Possible duplicates" } ": records that may be one person, to merge or dismiss" }
    };
    Ok(page(&user.0, "Contacts", "/contacts", false, &content))
}

/// `csrf`, `owner` (a user id or `none`) and any number of `id`s.
struct AssignForm {
    csrf: String,
    owner: String,
    ids: Vec<String>,
}

impl<'de> serde::Deserialize<'de> for AssignForm {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let pairs: Vec<(String, String)> = serde::Deserialize::deserialize(d)?;
        let mut f = AssignForm {
            csrf: String::new(),
            owner: String::new(),
            ids: Vec::new(),
        };
        for (k, v) in pairs {
            match k.as_str() {
                "csrf" => f.csrf = v,
                "owner" => f.owner = v,
                "id" => f.ids.push(v),
                // The same form's other fields are the tag and stage buttons'.
                "tag" | "to_stage" => {}
                other => {
                    return Err(serde::de::Error::unknown_field(
                        other,
                        &["csrf", "owner", "id", "tag", "to_stage"],
                    ));
                }
            }
        }
        Ok(f)
    }
}

async fn assign(
    State(st): State<AppState>,
    user: Signed,
    UiForm(f): UiForm<AssignForm>,
) -> Result<Response, Failure> {
    user.check_csrf(&f.csrf)?;
    // Who may assign is the use case's to decide (the role table).
    let owner = match f.owner.as_str() {
        "none" => None,
        raw => Some(UserId(uuid::Uuid::parse_str(raw).map_err(|_| {
            Failure::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Choose whom to assign them to.",
            )
        })?)),
    };
    let mut ids = Vec::with_capacity(f.ids.len());
    for raw in &f.ids {
        ids.push(ContactId(super::id(raw)?));
    }
    st.app
        .contacts()
        .assign_contacts(&user.0.principal(), &ids, owner)
        .await?;
    Ok(Redirect::to("/contacts").into_response())
}

/// The list's bulk form, as the stage button reads it: `csrf`, `to_stage` and the ticked
/// `id`s (the owner and tag fields are the other buttons').
struct StageForm {
    csrf: String,
    stage: String,
    ids: Vec<String>,
}

impl<'de> serde::Deserialize<'de> for StageForm {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let pairs: Vec<(String, String)> = serde::Deserialize::deserialize(d)?;
        let mut f = StageForm {
            csrf: String::new(),
            stage: String::new(),
            ids: Vec::new(),
        };
        for (k, v) in pairs {
            match k.as_str() {
                "csrf" => f.csrf = v,
                "to_stage" => f.stage = v,
                "id" => f.ids.push(v),
                _ => {}
            }
        }
        Ok(f)
    }
}

/// The ticked `id`s, the CSRF token and the confirming box.
struct EraseForm {
    csrf: String,
    confirm: bool,
    ids: Vec<String>,
}

impl<'de> serde::Deserialize<'de> for EraseForm {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let pairs: Vec<(String, String)> = serde::Deserialize::deserialize(d)?;
        let mut f = EraseForm {
            csrf: String::new(),
            confirm: false,
            ids: Vec::new(),
        };
        for (k, v) in pairs {
            match k.as_str() {
                "csrf" => f.csrf = v,
                "confirm" => f.confirm = v == "yes",
                "id" => f.ids.push(v),
                _ => {}
            }
        }
        Ok(f)
    }
}

/// Erases the ticked people (admins), once the box says so.
async fn bulk_erase(
    State(st): State<AppState>,
    user: Signed,
    UiForm(f): UiForm<EraseForm>,
) -> Result<Response, Failure> {
    user.check_csrf(&f.csrf)?;
    if !f.confirm {
        return Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Tick the box to confirm the erasure.",
        ));
    }
    if f.ids.is_empty() {
        return Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Tick the people to erase first.",
        ));
    }
    let mut ids = Vec::with_capacity(f.ids.len());
    for raw in &f.ids {
        ids.push(ContactId(super::id(raw)?));
    }
    st.app
        .contacts()
        .erase_contacts(&user.0.principal(), &ids)
        .await?;
    Ok(Redirect::to("/contacts").into_response())
}

async fn bulk_stage(
    State(st): State<AppState>,
    user: Signed,
    UiForm(f): UiForm<StageForm>,
) -> Result<Response, Failure> {
    user.check_csrf(&f.csrf)?;
    if f.ids.is_empty() {
        return Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Tick the contacts to move first.",
        ));
    }
    let stage = Stage::parse(&f.stage).map_err(closer_app::AppError::from)?;
    let mut ids = Vec::with_capacity(f.ids.len());
    for raw in &f.ids {
        ids.push(ContactId(super::id(raw)?));
    }
    st.app
        .contacts()
        .update_contacts(&user.0.principal(), &ids, None, Some(stage))
        .await?;
    Ok(Redirect::to("/contacts").into_response())
}
