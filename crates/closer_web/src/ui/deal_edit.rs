//! Editing a deal in the app (`/deals/{id}/edit`): title, amount and currency, expected close
//! date and owner, read by the API's own parser so the messages are the API's, each shown
//! next to its field. The form carries the deal's `updated_at` as it was read: when someone
//! saved the deal meanwhile, the page shows what they saved beside what this user typed, and
//! nothing is overwritten.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use closer_domain::FieldError;
use closer_domain::pipeline::{Deal, DealId};
use closer_domain::property::{PropertyDef, PropertyOf};
use maud::{Markup, html};
use serde::Deserialize;

use super::form_notes::{Notes, owner_choice, read_time};
use super::format::money;
use super::layout::page;
use super::session::Signed;
use super::{Failure, UiForm};
use crate::AppState;
use crate::routes::deals_dto::DealPatchInput;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/deals/{id}/edit", get(show).post(save))
        .route("/deals/{id}/tags", post(super::tags::save_deal_tags))
        .route("/deals/{id}/delete", post(delete))
}

/// The form as posted: every field as text.
#[derive(Deserialize, Default, Clone)]
struct DealForm {
    csrf: String,
    /// The deal's `updated_at` (microseconds since the epoch) when the form was drawn.
    #[serde(default)]
    read_at: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    currency: String,
    /// `YYYY-MM-DD`, or empty for none.
    #[serde(default)]
    expected_close: String,
    /// A user's id, or empty for nobody; absent when this user may not assign.
    owner: Option<String>,
    /// The defined custom properties' fields (`property_fields`).
    #[serde(flatten)]
    props: BTreeMap<String, String>,
}

async fn deal_defs(st: &AppState, user: &Signed) -> Result<Vec<PropertyDef>, Failure> {
    Ok(st
        .app
        .property_defs(&user.0.principal(), Some(PropertyOf::Deals))
        .await?)
}

impl DealForm {
    fn of(d: &Deal) -> Self {
        Self {
            csrf: String::new(),
            read_at: d.updated_at.unix_micros().to_string(),
            title: d.title.clone(),
            amount: d.amount.to_string(),
            currency: d.currency.as_str().to_owned(),
            expected_close: d.expected_close.map(|c| c.to_string()).unwrap_or_default(),
            owner: Some(d.owner_id.map(|o| o.0.to_string()).unwrap_or_default()),
            props: BTreeMap::new(),
        }
    }

    /// The API's patch input, with the read time as the precondition.
    fn input(&self, defs: &[PropertyDef]) -> Result<DealPatchInput, FieldError> {
        let read_at = read_time(&self.read_at)?;
        let owner = owner_choice(self.owner.as_deref())?;
        let close = self.expected_close.trim();
        Ok(DealPatchInput {
            title: Some(self.title.clone()),
            amount: Some(serde_json::Value::String(self.amount.trim().to_owned())),
            currency: Some(self.currency.trim().to_ascii_uppercase()),
            expected_close: Some((!close.is_empty()).then(|| close.to_owned())),
            owner_id: owner,
            company: None,
            source: None,
            if_unchanged_since: Some(read_at.to_string()),
            properties: {
                let props = super::property_fields::posted(defs, &self.props);
                (!props.is_empty()).then_some(serde_json::Value::Object(props))
            },
        })
    }
}

async fn show(
    State(st): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
) -> Result<Markup, Failure> {
    let id = DealId(super::id(&id)?);
    let d = st.app.sales().deal(&user.0.principal(), id).await?;
    let defs = deal_defs(&st, &user).await?;
    let f = DealForm {
        props: super::property_fields::fields_of(&defs, &d.properties),
        ..DealForm::of(&d)
    };
    form_page(&st, &user, &d, &f, &[], None).await
}

async fn save(
    State(st): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    UiForm(f): UiForm<DealForm>,
) -> Result<Response, Failure> {
    user.check_csrf(&f.csrf)?;
    let id = DealId(super::id(&id)?);
    let principal = user.0.principal();
    let d = st.app.sales().deal(&principal, id).await?;
    let (st_r, user_r, d_r, f_r) = (&st, &user, &d, &f);
    let refused = move |errors: Vec<FieldError>| async move {
        let page = form_page(st_r, user_r, d_r, f_r, &errors, None).await?;
        Ok::<_, Failure>((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    let defs = deal_defs(&st, &user).await?;
    let patch = match f.input(&defs).map(DealPatchInput::parse) {
        Ok(Ok(patch)) => patch,
        Ok(Err(errors)) => return refused(errors).await,
        Err(e) => return refused(vec![e]).await,
    };
    match st.app.sales().patch_deal(&principal, id, &patch).await {
        Ok(_) => Ok(Redirect::to(&format!("/contacts/{}", d.contact_id.0)).into_response()),
        Err(closer_app::AppError::Invalid(errors)) => refused(errors).await,
        // Saved by someone else since this form was drawn: theirs beside this one's.
        Err(closer_app::AppError::Stale(_)) => {
            let again = DealForm {
                read_at: d.updated_at.unix_micros().to_string(),
                ..f.clone()
            };
            let page = form_page(&st, &user, &d, &again, &[], Some(&d)).await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        // The other clash an edit meets: a closed deal's money is settled.
        Err(closer_app::AppError::Conflict(why)) => {
            refused(vec![FieldError::new("amount", why)]).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn delete(
    State(st): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    UiForm(f): UiForm<super::confirm::ConfirmForm>,
) -> Result<Response, Failure> {
    user.check_csrf(&f.csrf)?;
    f.check()?;
    let id = DealId(super::id(&id)?);
    let principal = user.0.principal();
    let d = st.app.sales().deal(&principal, id).await?;
    st.app.sales().delete_deal(&principal, id).await?;
    Ok(Redirect::to(&format!("/contacts/{}", d.contact_id.0)).into_response())
}

async fn form_page(
    st: &AppState,
    user: &Signed,
    d: &Deal,
    f: &DealForm,
    errors: &[FieldError],
    theirs: Option<&Deal>,
) -> Result<Markup, Failure> {
    let assigns = user.0.may_assign();
    let users = if assigns {
        st.app.access().users(user.0.user.workspace_id).await?
    } else {
        Vec::new()
    };
    let notes = Notes(errors);
    let defs = deal_defs(st, user).await?;
    let tags = st
        .app
        .tags_of(&user.0.principal(), closer_store::Tagged::Deals, &[d.id.0])
        .await?
        .remove(&d.id.0)
        .unwrap_or_default();
    let content = html! {
        h1 { "Edit " (d.title) }
        @if let Some(t) = theirs {
            section.conflict role="alert" aria-labelledby="conflict-h" {
                h2 #conflict-h { "Someone saved this deal while you were editing it" }
                p { "Nothing of yours was saved. This is what is stored now; your changes are still in the form below. Save again to put yours over theirs." }
                dl {
                    dt { "Title" } dd { (t.title) }
                    dt { "Amount" } dd { (money(t.currency.as_str(), &t.amount.to_string())) }
                    dt { "Expected close" } dd { (t.expected_close.map_or_else(|| "—".to_owned(), |c| c.to_string())) }
                }
            }
        }
        @for e in errors.iter().filter(|e| e.field == "form") {
            p.error role="alert" { (e.message) }
        }
        form.stacked method="post" action=(format!("/deals/{}/edit", d.id.0)) novalidate {
            input type="hidden" name="csrf" value=(user.csrf());
            input type="hidden" name="read_at" value=(f.read_at);
            label for="deal-edit-title" { "Title" }
            input #deal-edit-title name="title" value=(f.title) aria-describedby=[notes.described("title")];
            (notes.about("title"))
            label for="deal-edit-amount" { "Amount" }
            input #deal-edit-amount name="amount" inputmode="decimal" value=(f.amount) aria-describedby=[notes.described("amount")];
            (notes.about("amount"))
            label for="deal-edit-currency" { "Currency" }
            input #deal-edit-currency name="currency" value=(f.currency) maxlength="3" size="4" aria-describedby=[notes.described("currency")];
            (notes.about("currency"))
            label for="deal-edit-close" { "Expected close" }
            input #deal-edit-close type="date" name="expected_close" value=(f.expected_close) aria-describedby=[notes.described("expected_close")];
            (notes.about("expected_close"))
            @if assigns {
                label for="deal-edit-owner" { "Owner" }
                select #deal-edit-owner name="owner" aria-describedby=[notes.described("owner_id")] {
                    option value="" { "Nobody" }
                    @for u in &users {
                        option value=(u.id.0) selected[f.owner.as_deref() == Some(u.id.0.to_string().as_str())] { (u.name) }
                    }
                }
                (notes.about("owner_id"))
            }
            (super::property_fields::inputs(&defs, &f.props, &notes))
            button type="submit" { "Save" }
        }
        h2 { "Tags" }
        p { (super::tags::plain_chips(&tags)) }
        (super::tags::tag_form(&format!("/deals/{}/tags", d.id.0), &tags, user.csrf()))
        h2 { "Delete" }
        (super::confirm::form(&format!("/deals/{}/delete", d.id.0), user.csrf(), &format!("Delete {} with its history and tasks (its activities and order stay)", d.title), "Delete deal"))
        p { a href=(format!("/contacts/{}", d.contact_id.0)) { "Back to the contact" } }
    };
    Ok(page(
        &user.0,
        &format!("Edit {}", d.title),
        "/board",
        false,
        &content,
    ))
}
