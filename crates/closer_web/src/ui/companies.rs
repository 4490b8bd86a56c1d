//! Companies: a searchable list with a form to add one, and a company's page — its details
//! with an edit form, its people, deals and orders, and deletion (for whoever may erase).
//! Validation is the API's: the same parsers, the same messages.

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use closer_domain::CompanyId;
use closer_store::{CompanyQuery, Cursor};
use maud::{Markup, html};
use serde::Deserialize;

use super::format::{money, when};
use super::layout::page;
use super::queue::display_name;
use super::session::Signed;
use super::{Failure, UiForm};
use crate::AppState;
use crate::error::ApiError;
use crate::routes::companies::{CompanyInput, CompanyPatchInput};

const PAGE: u32 = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/companies", get(list).post(create))
        .route("/companies/{id}", get(show).post(edit))
        .route("/companies/{id}/delete", post(delete))
        .route("/companies/{id}/tags", post(super::tags::save_company_tags))
        .route("/companies/{id}/people", post(add_person))
        .route(
            "/companies/{id}/people/{contact}/remove",
            post(remove_person),
        )
        .route("/export/{entity}", get(export))
}

/// A workspace export as a download (Settings lists them; the Contacts and Companies pages
/// link theirs): the API's, under the signed-in user's role.
async fn export(
    State(st): State<AppState>,
    user: Signed,
    Path(entity): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, Failure> {
    use closer_app::export::{Entity, Format};
    let entity = Entity::parse(&entity).ok_or_else(Failure::not_found)?;
    let pairs = super::query_pairs(raw.as_deref());
    let (format, mime, ext) = match super::param(&pairs, "format") {
        Some("jsonl") => (Format::Jsonl, "application/x-ndjson", "jsonl"),
        _ => (Format::Csv, "text/csv; charset=utf-8", "csv"),
    };
    let principal = user.0.principal();
    let filters =
        crate::routes::export::view_filters(&st, &principal, entity, super::param(&pairs, "view"))
            .await?;
    Ok(crate::routes::export::download(&st, principal, entity, format, filters, mime, ext).await?)
}

#[derive(Deserialize)]
struct PersonForm {
    csrf: String,
    email: String,
}

/// The add and edit forms' fields, as typed.
#[derive(Deserialize)]
struct CompanyForm {
    csrf: String,
    name: String,
    /// Comma- or space-separated.
    #[serde(default)]
    domains: String,
    #[serde(default)]
    employees: String,
    #[serde(default)]
    industry: String,
    #[serde(default)]
    country: String,
    /// The defined custom properties' fields (`property_fields`).
    #[serde(flatten)]
    props: std::collections::BTreeMap<String, String>,
}

impl CompanyForm {
    fn domains(&self) -> Vec<String> {
        self.domains
            .split([',', ' ', '\n'])
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_owned)
            .collect()
    }

    fn employees(&self) -> Result<Option<u32>, Failure> {
        let raw = self.employees.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        raw.parse().map(Some).map_err(|_| {
            Failure::from(ApiError::invalid(vec![closer_domain::FieldError::new(
                "employees",
                "must be a whole number",
            )]))
        })
    }

    fn text(raw: &str) -> Option<String> {
        let t = raw.trim();
        (!t.is_empty()).then(|| t.to_owned())
    }
}

/// The fields of the add and edit forms, filled with `values` (name, domains, employees,
/// industry, country).
fn fields(values: [&str; 5]) -> Markup {
    let [name, domains, employees, industry, country] = values;
    html! {
        label for="co-name" { "Name" }
        input #co-name name="name" required value=(name);
        label for="co-domains" { "Domains (comma-separated)" }
        input #co-domains name="domains" value=(domains) placeholder="acme.com, acme.io";
        label for="co-employees" { "Employees" }
        input #co-employees name="employees" inputmode="numeric" value=(employees);
        label for="co-industry" { "Industry" }
        input #co-industry name="industry" value=(industry);
        label for="co-country" { "Country" }
        input #co-country name="country" value=(country);
    }
}

async fn list(
    State(st): State<AppState>,
    user: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Markup, Failure> {
    let pairs = super::query_pairs(raw.as_deref());
    let q = super::param(&pairs, "q").map(str::to_owned);
    let after = match super::param(&pairs, "cursor") {
        Some(c) => Some(Cursor::decode(c).ok_or_else(Failure::not_found)?),
        None => None,
    };
    let query = CompanyQuery {
        q: q.clone(),
        limit: PAGE,
        after,
        ..CompanyQuery::default()
    };
    let found = st.app.companies().list(&user.0.principal(), &query).await?;
    let next = found.next.map(|c| {
        let mut p: Vec<(String, String)> = q.iter().map(|q| ("q".into(), q.clone())).collect();
        p.push(("cursor".into(), c.encode()));
        format!(
            "/companies?{}",
            serde_urlencoded::to_string(&p).unwrap_or_default()
        )
    });
    let content = html! {
        h1 { "Companies" }
        form.filters method="get" action="/companies" role="search" {
            label for="q" { "Search" }
            input #q type="search" name="q" value=(q.as_deref().unwrap_or("")) placeholder="name or domain";
            button type="submit" { "Search" }
        }
        @if found.items.is_empty() {
            p.empty { "No companies yet. Add one below: people whose email is at its domain join it." }
        } @else {
            table.companies {
                thead { tr { th { "Name" } th { "Domains" } th.num { "Employees" } th { "Industry" } th { "Country" } } }
                tbody {
                    @for c in &found.items {
                        tr {
                            td { a href=(format!("/companies/{}", c.id.0)) { (c.name) } }
                            td { (c.domains.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")) }
                            td.num { (c.employees.map(|e| e.to_string()).unwrap_or_default()) }
                            td { (c.industry.as_deref().unwrap_or("")) }
                            td { (c.country.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
        @if let Some(next) = next { p { a href=(next) rel="next" { "Next page" } } }
        p { "Download every company: " a href="/export/companies" download { "CSV" } " · " a href="/export/companies?format=jsonl" download { "JSON lines" } }
        section aria-labelledby="new-h" {
            h2 #new-h { "Add a company" }
            form.stack method="post" action="/companies" {
                input type="hidden" name="csrf" value=(user.csrf());
                (fields(["", "", "", "", ""]))
                button type="submit" { "Save" }
            }
        }
    };
    Ok(page(&user.0, "Companies", "/companies", false, &content))
}

async fn create(
    State(st): State<AppState>,
    user: Signed,
    UiForm(f): UiForm<CompanyForm>,
) -> Result<Response, Failure> {
    user.check_csrf(&f.csrf)?;
    let input = CompanyInput {
        name: f.name.clone(),
        domains: f.domains(),
        employees: f.employees()?,
        industry: CompanyForm::text(&f.industry),
        country: CompanyForm::text(&f.country),
        owner_id: None,
        properties: None,
    };
    let draft = input.parse().map_err(ApiError::invalid)?;
    let (company, _) = st
        .app
        .companies()
        .create(&user.0.principal(), draft)
        .await?;
    Ok(Redirect::to(&format!("/companies/{}", company.id.0)).into_response())
}

async fn show(
    State(st): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
) -> Result<Markup, Failure> {
    let id = CompanyId(super::id(&id)?);
    let o = st.app.companies().overview(&user.0.principal(), id).await?;
    let c = &o.company;
    let defs = st
        .app
        .property_defs(
            &user.0.principal(),
            Some(closer_domain::property::PropertyOf::Companies),
        )
        .await?;
    let prop_values = super::property_fields::fields_of(&defs, &c.properties);
    let domains = c
        .domains
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let employees = c.employees.map(|e| e.to_string()).unwrap_or_default();
    let erases = user
        .0
        .principal()
        .may(closer_domain::access::Action::EraseContacts, None);
    let tags = st
        .app
        .tags_of(
            &user.0.principal(),
            closer_store::Tagged::Companies,
            &[id.0],
        )
        .await?
        .remove(&id.0)
        .unwrap_or_default();
    let content = html! {
        h1 { (c.name) }
        p.lede { (domains) @if let Some(i) = &c.industry { " · " (i) } @if let Some(k) = &c.country { " · " (k) } }
        p { "Tags: " (super::tags::plain_chips(&tags)) }
        (super::tags::tag_form(&format!("/companies/{}/tags", id.0), &tags, user.csrf()))
        div.two {
            section aria-labelledby="people-h" {
                h2 #people-h { "People" }
                @if o.people.is_empty() {
                    p.empty { "Nobody yet: people join when their email is at one of the company's domains." }
                } @else {
                    table.people {
                        thead { tr { th { "Name" } th { "Email" } th { "Stage" } th { span.visually-hidden { "Remove" } } } }
                        tbody {
                            @for p in &o.people {
                                tr {
                                    td { a href=(format!("/contacts/{}", p.id.0)) { (display_name(p)) } }
                                    td { (p.emails.first().map(|e| e.as_str().to_owned()).unwrap_or_default()) }
                                    td { (p.stage.as_str()) }
                                    td {
                                        form method="post" action=(format!("/companies/{}/people/{}/remove", c.id.0, p.id.0)) {
                                            input type="hidden" name="csrf" value=(user.csrf());
                                            button type="submit" aria-label=(format!("Remove {} from {}", display_name(p), c.name)) { "Remove" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                form.inline method="post" action=(format!("/companies/{}/people", c.id.0)) {
                    input type="hidden" name="csrf" value=(user.csrf());
                    label for="person-email" { "Add a person by email" }
                    input #person-email type="email" name="email" required;
                    button type="submit" { "Add" }
                }
                h2 { "Deals" }
                @if o.deals.is_empty() { p.empty { "No deals." } } @else {
                    table.deals {
                        thead { tr { th { "Deal" } th.num { "Amount" } th { "Status" } } }
                        tbody {
                            @for d in &o.deals {
                                tr {
                                    td { (d.title) }
                                    td.num { (money(d.currency.as_str(), &d.amount.to_string())) }
                                    td { (d.status.as_str()) }
                                }
                            }
                        }
                    }
                }
                h2 { "Orders" }
                @if o.orders.is_empty() { p.empty { "No orders." } } @else {
                    table.orders {
                        thead { tr { th { "Placed" } th.num { "Total" } } }
                        tbody {
                            @for ord in &o.orders {
                                tr {
                                    td { (when(ord.placed_at)) }
                                    td.num { (money(ord.currency.as_str(), &ord.total.to_string())) }
                                }
                            }
                        }
                    }
                }
            }
            section aria-labelledby="edit-h" {
                h2 #edit-h { "Details" }
                form.stack method="post" action=(format!("/companies/{}", c.id.0)) {
                    input type="hidden" name="csrf" value=(user.csrf());
                    (fields([&c.name, &domains, &employees, c.industry.as_deref().unwrap_or(""), c.country.as_deref().unwrap_or("")]))
                    (super::property_fields::inputs(&defs, &prop_values, &super::form_notes::Notes(&[])))
                    button type="submit" { "Save" }
                }
                @if erases {
                    h2 { "Delete" }
                    (super::confirm::form(&format!("/companies/{}/delete", c.id.0), user.csrf(), &format!("Delete {} (its people and deals stay)", c.name), "Delete"))
                }
            }
        }
    };
    Ok(page(&user.0, &c.name, "/companies", false, &content))
}

async fn edit(
    State(st): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    UiForm(f): UiForm<CompanyForm>,
) -> Result<Response, Failure> {
    user.check_csrf(&f.csrf)?;
    let id = CompanyId(super::id(&id)?);
    let defs = st
        .app
        .property_defs(
            &user.0.principal(),
            Some(closer_domain::property::PropertyOf::Companies),
        )
        .await?;
    let props = super::property_fields::posted(&defs, &f.props);
    let input = CompanyPatchInput {
        properties: (!props.is_empty()).then_some(serde_json::Value::Object(props)),
        name: Some(f.name.clone()),
        domains: Some(f.domains()),
        employees: Some(f.employees()?),
        industry: Some(CompanyForm::text(&f.industry)),
        country: Some(CompanyForm::text(&f.country)),
        ..CompanyPatchInput::default()
    };
    let patch = input.parse().map_err(ApiError::invalid)?;
    st.app
        .companies()
        .patch(&user.0.principal(), id, &patch)
        .await?;
    Ok(Redirect::to(&format!("/companies/{}", id.0)).into_response())
}

async fn delete(
    State(st): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    UiForm(f): UiForm<super::confirm::ConfirmForm>,
) -> Result<Response, Failure> {
    user.check_csrf(&f.csrf)?;
    f.check()?;
    let id = CompanyId(super::id(&id)?);
    st.app.companies().delete(&user.0.principal(), id).await?;
    Ok(Redirect::to("/companies").into_response())
}

/// Puts the contact with this email in the company.
async fn add_person(
    State(st): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    UiForm(f): UiForm<PersonForm>,
) -> Result<Response, Failure> {
    user.check_csrf(&f.csrf)?;
    let id = CompanyId(super::id(&id)?);
    let email = closer_domain::Email::parse(&f.email).map_err(|e| {
        Failure::from(ApiError::invalid(vec![closer_domain::FieldError::new(
            "email", e.message,
        )]))
    })?;
    let principal = user.0.principal();
    let found = st
        .app
        .contacts()
        .list_contacts(
            &principal,
            &closer_store::ContactQuery {
                q: Some(email.as_str().to_owned()),
                limit: 20,
                ..closer_store::ContactQuery::default()
            },
        )
        .await?;
    let person = found
        .items
        .into_iter()
        .find(|c| c.emails.contains(&email))
        .ok_or_else(|| {
            Failure::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                format!("Nobody you can see has the email {email}: add them as a contact first."),
            )
        })?;
    st.app
        .companies()
        .set_contact_company(&principal, person.id, Some(id))
        .await?;
    Ok(Redirect::to(&format!("/companies/{}", id.0)).into_response())
}

/// Takes the contact out of the company.
async fn remove_person(
    State(st): State<AppState>,
    user: Signed,
    Path((id, contact)): Path<(String, String)>,
    UiForm(f): UiForm<super::CsrfForm>,
) -> Result<Response, Failure> {
    user.check_csrf(&f.csrf)?;
    let id = CompanyId(super::id(&id)?);
    let contact = closer_domain::ContactId(super::id(&contact)?);
    st.app
        .companies()
        .set_contact_company(&user.0.principal(), contact, None)
        .await?;
    Ok(Redirect::to(&format!("/companies/{}", id.0)).into_response())
}
