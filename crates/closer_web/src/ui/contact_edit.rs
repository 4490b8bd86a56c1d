//! Adding a contact (`/contacts/new`) and editing one (`/contacts/{id}/edit`) in the app: name,
//! emails and phones (one a line), company, job title, stage and owner, read by the API's own
//! parsers so the messages are the API's, each shown next to its field. A new contact whose
//! email or phone someone already holds is that person, as a form capture decides: the page
//! says so and leads to them. The form carries the contact's `updated_at`
//! as it was read: when someone saved the contact meanwhile, the page shows what they saved
//! beside what this user typed, and nothing is overwritten.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use closer_domain::property::{PropertyDef, PropertyOf};
use closer_domain::{Contact, ContactId, FieldError, Stage};
use maud::{Markup, html};
use serde::Deserialize;

use super::form_notes::{Notes, owner_choice, read_time};
use super::layout::page;
use super::queue::display_name;
use super::session::Signed;
use super::{Failure, UiForm};
use crate::AppState;
use crate::routes::contacts_dto::ContactPatchInput;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/contacts/new", get(new).post(create))
        .route("/contacts/{id}/edit", get(show).post(save))
}

/// The form as posted: every field as text.
#[derive(Deserialize, Default, Clone)]
struct EditForm {
    csrf: String,
    /// The contact's `updated_at` (microseconds since the epoch) when the form was drawn.
    #[serde(default)]
    read_at: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    emails: String,
    #[serde(default)]
    phones: String,
    #[serde(default)]
    company: String,
    #[serde(default)]
    job_title: String,
    #[serde(default)]
    stage: String,
    /// A user's id, or empty for nobody; absent when this user may not assign.
    owner: Option<String>,
    /// Why the stage changes (kept in its history), when it does.
    #[serde(default)]
    stage_reason: String,
    /// E-mail consent: `granted`, `withdrawn`, or empty (none recorded).
    #[serde(default)]
    consent: String,
    /// What the form showed for consent when drawn: a new statement is recorded only when
    /// the choice changed.
    #[serde(default)]
    consent_was: String,
    /// The defined custom properties' fields (`property_fields`).
    #[serde(flatten)]
    props: BTreeMap<String, String>,
}

/// The workspace's defined contact properties, for the form.
async fn contact_defs(st: &AppState, user: &Signed) -> Result<Vec<PropertyDef>, Failure> {
    Ok(st
        .app
        .property_defs(&user.0.principal(), Some(PropertyOf::Contacts))
        .await?)
}

/// The posted values of the defined properties, for the API's input (none drawn: none).
fn posted_properties(defs: &[PropertyDef], f: &EditForm) -> Option<serde_json::Value> {
    let props = super::property_fields::posted(defs, &f.props);
    (!props.is_empty()).then_some(serde_json::Value::Object(props))
}

/// A contact's consent as the form's choice.
fn consent_choice(c: &Contact) -> String {
    match &c.consent {
        None => String::new(),
        Some(x) if x.granted => "granted".into(),
        Some(_) => "withdrawn".into(),
    }
}

impl EditForm {
    /// The consent statement the form makes, if its choice changed: given or withdrawn now,
    /// in the web app.
    fn consent_statement(&self) -> Option<crate::routes::contacts_dto::ConsentInput> {
        let granted = match self.consent.trim() {
            "granted" => true,
            "withdrawn" => false,
            _ => return None,
        };
        (self.consent.trim() != self.consent_was.trim()).then(|| {
            crate::routes::contacts_dto::ConsentInput {
                granted,
                at: None,
                source: Some("web app".into()),
            }
        })
    }
}

impl EditForm {
    /// The form filled from the stored contact.
    fn of(c: &Contact) -> Self {
        let lines = |v: Vec<&str>| v.join("\n");
        Self {
            csrf: String::new(),
            read_at: c.updated_at.unix_micros().to_string(),
            name: c.name.clone().unwrap_or_default(),
            emails: lines(c.emails.iter().map(closer_domain::Email::as_str).collect()),
            phones: lines(c.phones.iter().map(closer_domain::Phone::as_str).collect()),
            company: c.company.clone().unwrap_or_default(),
            job_title: c.job_title.clone().unwrap_or_default(),
            stage: c.stage.as_str().to_owned(),
            owner: Some(c.owner_id.map(|o| o.0.to_string()).unwrap_or_default()),
            stage_reason: String::new(),
            consent: consent_choice(c),
            consent_was: consent_choice(c),
            props: BTreeMap::new(),
        }
    }

    /// The API's patch input: every field set (empty clears), the emails and phones a line
    /// each, the read time as the precondition.
    fn input(&self, defs: &[PropertyDef]) -> Result<ContactPatchInput, FieldError> {
        let text = |v: &str| Some(Some(v.trim().to_owned()).filter(|v| !v.is_empty()));
        let list = |v: &str| {
            Some(Some(
                v.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ))
        };
        let read_at = read_time(&self.read_at)?;
        let owner = owner_choice(self.owner.as_deref())?;
        Ok(ContactPatchInput {
            name: text(&self.name),
            emails: list(&self.emails),
            phones: list(&self.phones),
            company: text(&self.company),
            job_title: text(&self.job_title),
            properties: posted_properties(defs, self),
            stage: Some(self.stage.trim().to_owned()).filter(|s| !s.is_empty()),
            owner_id: owner,
            consent: self.consent_statement().map(Some),
            stage_reason: Some(self.stage_reason.trim().to_owned()).filter(|r| !r.is_empty()),
            if_unchanged_since: Some(read_at.to_string()),
        })
    }
}

/// What the page says besides the form: field errors, or the version someone else saved.
#[derive(Default)]
struct Said {
    errors: Vec<FieldError>,
    theirs: Option<Contact>,
}

async fn show(
    State(st): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
) -> Result<Markup, Failure> {
    let id = ContactId(super::id(&id)?);
    let c = st.app.contacts().contact(&user.0.principal(), id).await?;
    if closer_domain::access::reach(user.0.role, closer_domain::access::Action::EditContacts)
        == closer_domain::access::Reach::Nobody
    {
        return Err(Failure::forbidden("Editing contacts is not for your role."));
    }
    let defs = contact_defs(&st, &user).await?;
    let f = EditForm {
        props: super::property_fields::fields_of(&defs, &c.properties),
        ..EditForm::of(&c)
    };
    form_page(&st, &user, &c, &f, &Said::default()).await
}

async fn save(
    State(st): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    UiForm(f): UiForm<EditForm>,
) -> Result<Response, Failure> {
    user.check_csrf(&f.csrf)?;
    let id = ContactId(super::id(&id)?);
    let principal = user.0.principal();
    let c = st.app.contacts().contact(&principal, id).await?;
    let (st_r, user_r, c_r, f_r) = (&st, &user, &c, &f);
    let refused = move |said: Said| async move {
        let page = form_page(st_r, user_r, c_r, f_r, &said).await?;
        Ok::<_, Failure>((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    let defs = contact_defs(&st, &user).await?;
    let input = match f.input(&defs) {
        Ok(input) => input,
        Err(e) => {
            return refused(Said {
                errors: vec![e],
                theirs: None,
            })
            .await;
        }
    };
    let region = st.app.region(&principal).await?;
    let patch = match input.parse(region) {
        Ok(p) => p,
        Err(errors) => {
            return refused(Said {
                errors,
                theirs: None,
            })
            .await;
        }
    };
    match st
        .app
        .contacts()
        .patch_contact(&principal, id, &patch)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/contacts/{}", id.0)).into_response()),
        Err(closer_app::AppError::Invalid(errors)) => {
            refused(Said {
                errors,
                theirs: None,
            })
            .await
        }
        // Saved by someone else since this form was drawn: theirs beside this one's.
        Err(closer_app::AppError::Stale(_)) => {
            let page = form_page(
                &st,
                &user,
                &c,
                &EditForm {
                    read_at: c.updated_at.unix_micros().to_string(),
                    ..f.clone()
                },
                &Said {
                    errors: Vec::new(),
                    theirs: Some(c.clone()),
                },
            )
            .await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        // The other clash an edit meets: an email or phone someone else holds.
        Err(closer_app::AppError::Conflict(why)) => {
            refused(Said {
                errors: vec![FieldError::new("emails", why)],
                theirs: None,
            })
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn form_page(
    st: &AppState,
    user: &Signed,
    c: &Contact,
    f: &EditForm,
    said: &Said,
) -> Result<Markup, Failure> {
    let ws = user.0.user.workspace_id;
    let assigns = user.0.may_assign();
    let users = if assigns {
        st.app.access().users(ws).await?
    } else {
        Vec::new()
    };
    let name = display_name(c);
    let defs = contact_defs(st, user).await?;
    let content = html! {
        h1 { "Edit " (name) }
        @if let Some(t) = &said.theirs {
            section.conflict role="alert" aria-labelledby="conflict-h" {
                h2 #conflict-h { "Someone saved this contact while you were editing it" }
                p { "Nothing of yours was saved. This is what is stored now; your changes are still in the form below. Save again to put yours over theirs." }
                dl {
                    dt { "Name" } dd { (t.name.as_deref().unwrap_or("—")) }
                    dt { "Emails" } dd { @for e in &t.emails { (e.as_str()) br; } }
                    dt { "Phones" } dd { @for p in &t.phones { (p.as_str()) br; } }
                    dt { "Company" } dd { (t.company.as_deref().unwrap_or("—")) }
                    dt { "Job title" } dd { (t.job_title.as_deref().unwrap_or("—")) }
                    dt { "Stage" } dd { (t.stage.as_str()) }
                }
            }
        }
        @for e in said.errors.iter().filter(|e| e.field == "form") {
            p.error role="alert" { (e.message) }
        }
        form.stacked method="post" action=(format!("/contacts/{}/edit", c.id.0)) novalidate {
            input type="hidden" name="csrf" value=(user.csrf());
            input type="hidden" name="read_at" value=(f.read_at);
            (fields(f, said, &users, assigns, &defs))
            button type="submit" { "Save" }
        }
        p { a href=(format!("/contacts/{}", c.id.0)) { "Back to " (name) } }
    };
    Ok(page(
        &user.0,
        &format!("Edit {name}"),
        "/contacts",
        false,
        &content,
    ))
}

/// The form's fields, each with its label and what was said about it.
fn fields(
    f: &EditForm,
    said: &Said,
    users: &[closer_store::User],
    assigns: bool,
    defs: &[PropertyDef],
) -> Markup {
    let notes = Notes(&said.errors);
    html! {
            label for="edit-name" { "Name" }
            input #edit-name type="text" name="name" value=(f.name) aria-describedby=[notes.described("name")];
            (notes.about("name"))
            label for="edit-emails" { "Emails " span.hint { "(one a line; the first is the main one)" } }
            textarea #edit-emails name="emails" rows="3" aria-describedby=[notes.described("emails")] { (f.emails) }
            (notes.about("emails"))
            label for="edit-phones" { "Phones " span.hint { "(one a line, any formatting)" } }
            textarea #edit-phones name="phones" rows="2" aria-describedby=[notes.described("phones")] { (f.phones) }
            (notes.about("phones"))
            label for="edit-company" { "Company" }
            input #edit-company type="text" name="company" value=(f.company) aria-describedby=[notes.described("company")];
            (notes.about("company"))
            label for="edit-job-title" { "Job title" }
            input #edit-job-title type="text" name="job_title" value=(f.job_title) aria-describedby=[notes.described("job_title")];
            (notes.about("job_title"))
            label for="edit-stage" { "Stage" }
            select #edit-stage name="stage" aria-describedby=[notes.described("stage")] {
                @for s in Stage::ALL {
                    option value=(s.as_str()) selected[s.as_str() == f.stage] { (s.as_str()) }
                }
            }
            (notes.about("stage"))
            label for="edit-stage-reason" { "Why " span.hint { "(when the stage changes: “bought elsewhere”, “no budget this year”)" } }
            input #edit-stage-reason type="text" name="stage_reason" value=(f.stage_reason) maxlength="200" aria-describedby=[notes.described("stage_reason")];
            (notes.about("stage_reason"))
            label for="edit-consent" { "E-mail consent" }
            select #edit-consent name="consent" aria-describedby=[notes.described("consent")] {
                @if f.consent_was.is_empty() { option value="" selected[f.consent.is_empty()] { "None recorded" } }
                option value="granted" selected[f.consent == "granted"] { "Given" }
                option value="withdrawn" selected[f.consent == "withdrawn"] { "Withdrawn" }
            }
            input type="hidden" name="consent_was" value=(f.consent_was);
            (notes.about("consent"))
            @if assigns {
                label for="edit-owner" { "Owner" }
                select #edit-owner name="owner" aria-describedby=[notes.described("owner_id")] {
                    option value="" { "Nobody" }
                    @for u in users {
                        option value=(u.id.0) selected[f.owner.as_deref() == Some(u.id.0.to_string().as_str())] { (u.name) }
                    }
                }
                (notes.about("owner_id"))
            }
            (super::property_fields::inputs(defs, &f.props, &notes))
    }
}

impl EditForm {
    /// The API's create input from the form: the owner the form names, or — for someone who
    /// may not assign — themselves, so the contact they add is theirs.
    fn create_input(
        &self,
        me: closer_domain::UserId,
        assigns: bool,
        defs: &[PropertyDef],
    ) -> Result<crate::routes::contacts_dto::ContactInput, FieldError> {
        let text = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        let list = |v: &str| -> Vec<String> {
            v.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let owner_id = if assigns {
            owner_choice(self.owner.as_deref())?.flatten()
        } else {
            Some(me.0)
        };
        Ok(crate::routes::contacts_dto::ContactInput {
            name: text(&self.name),
            email: None,
            emails: list(&self.emails),
            phone: None,
            phones: list(&self.phones),
            company: text(&self.company),
            job_title: text(&self.job_title),
            properties: posted_properties(defs, self),
            stage: text(&self.stage),
            owner_id,
            consent: self.consent_statement(),
            overwrite: false,
        })
    }
}

async fn new(State(st): State<AppState>, user: Signed) -> Result<Markup, Failure> {
    let f = EditForm {
        stage: Stage::Lead.as_str().to_owned(),
        owner: Some(user.0.user.id.0.to_string()),
        ..EditForm::default()
    };
    new_page(&st, &user, &f, &Said::default(), None).await
}

async fn create(
    State(st): State<AppState>,
    user: Signed,
    UiForm(f): UiForm<EditForm>,
) -> Result<Response, Failure> {
    user.check_csrf(&f.csrf)?;
    let principal = user.0.principal();
    let (st_r, user_r, f_r) = (&st, &user, &f);
    let refused = move |said: Said| async move {
        let page = new_page(st_r, user_r, f_r, &said, None).await?;
        Ok::<_, Failure>((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    let defs = contact_defs(&st, &user).await?;
    let input = match f.create_input(user.0.user.id, user.0.may_assign(), &defs) {
        Ok(input) => input,
        Err(e) => {
            return refused(Said {
                errors: vec![e],
                theirs: None,
            })
            .await;
        }
    };
    if input.emails.is_empty() && input.phones.is_empty() {
        let e = FieldError::new(
            "emails",
            "an email or a phone is needed: a lead is someone you can reach",
        );
        return refused(Said {
            errors: vec![e],
            theirs: None,
        })
        .await;
    }
    let region = st.app.region(&principal).await?;
    let (draft, overwrite) = match input.parse(region) {
        Ok(parsed) => parsed,
        Err(errors) => {
            return refused(Said {
                errors,
                theirs: None,
            })
            .await;
        }
    };
    match st
        .app
        .contacts()
        .upsert_contact(&principal, draft, overwrite)
        .await
    {
        Ok(out) if out.created => {
            Ok(Redirect::to(&format!("/contacts/{}", out.contact.id.0)).into_response())
        }
        // Someone already holds one of these: that is the person (what was empty there is
        // filled in from the form, as a capture would).
        Ok(out) => Ok(
            new_page(&st, &user, &f, &Said::default(), Some(&out.contact))
                .await?
                .into_response(),
        ),
        Err(closer_app::AppError::Invalid(errors)) => {
            refused(Said {
                errors,
                theirs: None,
            })
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn new_page(
    st: &AppState,
    user: &Signed,
    f: &EditForm,
    said: &Said,
    known: Option<&Contact>,
) -> Result<Markup, Failure> {
    let assigns = user.0.may_assign();
    let users = if assigns {
        st.app.access().users(user.0.user.workspace_id).await?
    } else {
        Vec::new()
    };
    let defs = contact_defs(st, user).await?;
    let content = html! {
        h1 { "New contact" }
        @if let Some(c) = known {
            p.notice role="status" {
                "This person is already in closer: "
                a href=(format!("/contacts/{}", c.id.0)) { (display_name(c)) }
                ". An email or phone you gave is theirs; what was empty on their record is filled in from this form."
            }
        }
        form.stacked method="post" action="/contacts/new" novalidate {
            input type="hidden" name="csrf" value=(user.csrf());
            input type="hidden" name="read_at" value="";
            (fields(f, said, &users, assigns, &defs))
            button type="submit" { "Save" }
        }
        p { a href="/contacts" { "Back to the contacts" } }
    };
    Ok(page(&user.0, "New contact", "/contacts", false, &content))
}
