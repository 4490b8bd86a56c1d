//! Settings (admins only): sites with their tracking snippet, forms with their embed snippet,
//! the scoring rules (edited and checked in place), pipelines and their stages, users with
//! invite links, and API tokens. The page shows everything; `actions` takes its forms.

mod actions;
mod properties;

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use closer_domain::{FieldError, UserRole};
use maud::{Markup, html};

use super::Failure;
use super::form_notes::Notes;
use super::format::when;
use super::layout::page;
use super::session::Signed;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings", get(show))
        .route("/settings/sites", post(actions::add_site))
        .route("/settings/forms", post(actions::add_form))
        .route("/settings/users", post(actions::add_user))
        .route("/settings/users/{id}/invite", post(actions::invite))
        .route("/settings/tokens", post(actions::add_token))
        .route("/settings/tokens/{id}/revoke", post(actions::revoke_token))
        .route("/settings/rules", post(actions::put_rules))
        .route("/settings/pipelines/{id}", post(actions::put_pipeline))
        .route("/settings/reminders", post(actions::put_reminders))
        .route("/settings/properties", post(properties::add_property))
        .route(
            "/settings/properties/{id}/delete",
            post(properties::delete_property),
        )
}

/// Settings are for admins; anyone else is told so.
fn admin(user: &Signed) -> Result<(), Failure> {
    if user.0.role.configures() {
        Ok(())
    } else {
        Err(Failure::forbidden("Settings are for admins."))
    }
}

/// The rules editor's text and what was wrong with it, when a change was refused.
pub(super) struct RulesDraft {
    pub source: String,
    pub errors: Vec<String>,
}

/// The reminder settings as typed, and what was wrong with them, when a change was refused.
pub(super) struct ReminderDraft {
    pub idle_deal_days: String,
    pub digest_hour: String,
    pub errors: Vec<FieldError>,
}

/// A refused form's text, shown again in its section.
#[derive(Default)]
pub(super) struct Drafts {
    pub rules: Option<RulesDraft>,
    pub reminders: Option<ReminderDraft>,
    pub properties: Option<properties::PropertyDraft>,
}

async fn show(State(st): State<AppState>, user: Signed) -> Result<Markup, Failure> {
    render(&st, &user, Drafts::default()).await
}

#[allow(clippy::too_many_lines)]
pub(super) async fn render(
    st: &AppState,
    user: &Signed,
    drafts: Drafts,
) -> Result<Markup, Failure> {
    admin(user)?;
    let ws = user.0.user.workspace_id;
    let principal = user.0.principal();
    let app = &st.app;
    let sites = app.traffic().list_sites(ws).await?;
    let forms = app.forms().list_forms(&principal).await?;
    let users = app.access().users(ws).await?;
    let slug = app.access().workspace(ws).await?.slug.to_string();
    let tokens = app.access().list_tokens(&slug).await?;
    let pipelines = app.sales().pipelines(ws).await?;
    let rules = app.scoring().rules(&principal).await?;
    let reminders = app.reminder_settings(&principal).await?;
    let defs = app.property_defs(&principal, None).await?;
    let reminder_draft = drafts.reminders.unwrap_or_else(|| ReminderDraft {
        idle_deal_days: reminders.idle_deal_days.to_string(),
        digest_hour: reminders.digest_hour.to_string(),
        errors: Vec::new(),
    });
    let notes = Notes(&reminder_draft.errors);
    let (source, errors) = match drafts.rules {
        Some(d) => (d.source, d.errors),
        None => (rules.source.clone(), Vec::new()),
    };
    let csrf = user.csrf();
    let public = st.public_url.as_ref();
    let content = html! {
        h1 { "Settings" }
        nav.tabs aria-label="Settings" {
            a href="#sites" { "Sites" } a href="#forms" { "Forms" } a href="#rules" { "Scoring rules" }
            a href="#pipelines" { "Pipelines" } a href="#properties" { "Properties" } a href="#reminders" { "Reminders" }
            a href="#users" { "Users" } a href="#tokens" { "API tokens" }
        }
        section #export aria-labelledby="export-h" {
            h2 #export-h { "Import and export" }
            p { a href="/settings/import" { "Import contacts from a CSV file" } " (HubSpot, Pipedrive or closer exports)." }
            p { "Everything in this workspace, to keep or to take elsewhere. The columns are listed in the README." }
            ul {
                @for e in closer_app::export::Entity::ALL {
                    li {
                        (e.as_str()) ": "
                        a href=(format!("/export/{}", e.as_str())) download { "CSV" }
                        " · "
                        a href=(format!("/export/{}?format=jsonl", e.as_str())) download { "JSON lines" }
                    }
                }
            }
        }
        section #sites aria-labelledby="sites-h" {
            h2 #sites-h { "Sites" }
            p { "Put this tag on every page of a tracked site:" }
            pre { code { (crate::tracking_snippet(public)) } }
            ul { @for s in &sites { li { (s.domain.to_string()) " · since " (when(s.created_at)) } } }
            form.inline method="post" action="/settings/sites" {
                input type="hidden" name="csrf" value=(csrf);
                label for="site-domain" { "Domain" }
                input #site-domain name="domain" required placeholder="www.example.com";
                button type="submit" { "Add site" }
            }
        }
        section #forms aria-labelledby="forms-h" {
            h2 #forms-h { "Forms" }
            @for f in &forms {
                details {
                    summary { (f.name) " · " code { (crate::snippet::action_url(f, public)) } }
                    pre { code { (crate::snippet::form_snippet(f, public)) } }
                }
            }
            form.inline method="post" action="/settings/forms" {
                input type="hidden" name="csrf" value=(csrf);
                label for="form-name" { "Name" }
                input #form-name name="name" required maxlength="200";
                label for="form-redirect" { "Thank-you page " span.hint { "(optional)" } }
                input #form-redirect name="redirect" type="url" placeholder="https://www.example.com/thanks";
                button type="submit" { "Add form" }
            }
        }
        section #rules aria-labelledby="rules-h" {
            h2 #rules-h { "Scoring rules" }
            p.lede { "Points, decay, temperature and the lead → prospect move, as TOML. A change is checked before it replaces the rules in force; run " code { "closer rescore" } " to recompute everyone." }
            @if !errors.is_empty() {
                div.error role="alert" {
                    p { "Not applied — the rules in force are unchanged:" }
                    ul { @for e in &errors { li { (e) } } }
                }
            }
            form.stacked method="post" action="/settings/rules" {
                input type="hidden" name="csrf" value=(csrf);
                label for="rules-source" { "Rules file" }
                textarea #rules-source name="source" rows="18" spellcheck="false" { (source) }
                button type="submit" { "Check and apply" }
            }
        }
        section #pipelines aria-labelledby="pipelines-h" {
            h2 #pipelines-h { "Pipelines" }
            @for p in &pipelines {
                form.stacked method="post" action=(format!("/settings/pipelines/{}", p.id.0)) {
                    input type="hidden" name="csrf" value=(csrf);
                    label for=(format!("pipe-{}", p.id.0)) { "Pipeline name" }
                    input id=(format!("pipe-{}", p.id.0)) name="name" value=(p.name) required;
                    table {
                        caption { "Stages in board order. Clear a name to remove its stage (it must hold no deals); fill the last row to add one." }
                        thead { tr { th { "Stage" } th.num { "Win probability %" } th { "Forecast" } th { "Kind" } } }
                        tbody {
                            @for (i, s) in p.stages.iter().enumerate() {
                                tr {
                                    td {
                                        input type="hidden" name="stage_id" value=(s.id.0);
                                        input name="stage_name" value=(s.name) aria-label=(format!("Stage {} name", i + 1));
                                    }
                                    td.num { input name="stage_probability" value=(s.probability) size="4" inputmode="numeric" aria-label=(format!("Stage {} win probability", i + 1)); }
                                    td { input name="stage_forecast" value=(s.forecast.as_str()) size="10" aria-label=(format!("Stage {} forecast", i + 1)); }
                                    td { input name="stage_kind" value=(s.kind.as_str()) size="6" aria-label=(format!("Stage {} kind", i + 1)); }
                                }
                            }
                            tr {
                                td { input type="hidden" name="stage_id" value=""; input name="stage_name" placeholder="New stage" aria-label="New stage name"; }
                                td.num { input name="stage_probability" size="4" inputmode="numeric" aria-label="New stage win probability"; }
                                td { input name="stage_forecast" size="10" aria-label="New stage forecast"; }
                                td { input name="stage_kind" size="6" value="open" aria-label="New stage kind"; }
                            }
                        }
                    }
                    button type="submit" { "Save pipeline" }
                }
            }
        }
        (properties::section(&defs, drafts.properties.as_ref(), csrf))
        section #reminders aria-labelledby="reminders-h" {
            h2 #reminders-h { "Reminders" }
            p { "Besides hot leads, mentions and tasks given to them, users are told when a task of theirs is due, when it is a day overdue, when a deal they own has had no activity for a while, and each morning which tasks are on their day. Each user chooses how on their " a href="/notifications" { "Notifications" } " page." }
            form.stacked method="post" action="/settings/reminders" {
                input type="hidden" name="csrf" value=(csrf);
                label for="idle-deal-days" { "Days without activity before a deal is idle " span.hint { "(0 turns it off)" } }
                input #idle-deal-days type="number" name="idle_deal_days" min="0" max="365" required value=(reminder_draft.idle_deal_days) aria-describedby=[notes.described("idle_deal_days")];
                (notes.about("idle_deal_days"))
                label for="digest-hour" { "Morning digest from (hour, UTC)" }
                input #digest-hour type="number" name="digest_hour" min="0" max="23" required value=(reminder_draft.digest_hour) aria-describedby=[notes.described("digest_hour")];
                (notes.about("digest_hour"))
                button type="submit" { "Save" }
            }
        }
        section #users aria-labelledby="users-h" {
            h2 #users-h { "Users" }
            table {
                thead { tr { th { "Name" } th { "Email" } th { "Role" } th { "" } } }
                tbody {
                    @for u in &users {
                        tr {
                            td { (u.name) } td { (u.email.as_str()) } td { (u.role) }
                            td {
                                form method="post" action=(format!("/settings/users/{}/invite", u.id.0)) {
                                    input type="hidden" name="csrf" value=(csrf);
                                    button type="submit" { "Invite link" }
                                }
                            }
                        }
                    }
                }
            }
            form.inline method="post" action="/settings/users" {
                input type="hidden" name="csrf" value=(csrf);
                label for="user-email" { "Email" }
                input #user-email type="email" name="email" required;
                label for="user-name" { "Name" }
                input #user-name name="name" required;
                label for="user-role" { "Role" }
                select #user-role name="role" {
                    @for r in UserRole::ALL { option value=(r.as_str()) selected[r == UserRole::Rep] { (r.as_str()) } }
                }
                button type="submit" { "Add user" }
            }
        }
        section #tokens aria-labelledby="tokens-h" {
            h2 #tokens-h { "API tokens" }
            table {
                thead { tr { th { "Label" } th { "Role" } th { "Created" } th { "" } } }
                tbody {
                    @for t in &tokens {
                        tr {
                            td { (t.label.as_deref().unwrap_or("")) } td { (t.role.as_str()) } td { (when(t.created_at)) }
                            td {
                                form method="post" action=(format!("/settings/tokens/{}/revoke", t.id.0)) {
                                    input type="hidden" name="csrf" value=(csrf);
                                    button type="submit" { "Revoke" }
                                }
                            }
                        }
                    }
                }
            }
            form.inline method="post" action="/settings/tokens" {
                input type="hidden" name="csrf" value=(csrf);
                label for="token-label" { "Label" }
                input #token-label name="label" maxlength="200";
                label for="token-role" { "Role" }
                select #token-role name="role" { option value="member" { "member" } option value="admin" { "admin" } }
                button type="submit" { "Create token" }
            }
        }
    };
    Ok(page(&user.0, "Settings", "/settings", false, &content))
}
