//! Tags and saved views in the app: a record's tags shown as chips and edited as one field
//! ("vip, trade show"), tags put on or taken off the contacts ticked in the list, and the
//! contact list's saved views — saved from the filters in use, listed with their counts,
//! deleted by whoever may.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use closer_domain::ContactId;
use closer_domain::tag::{Tag, ViewOf};
use closer_store::Tagged;
use maud::{Markup, html};
use serde::Deserialize;

use super::session::Signed;
use super::{Failure, UiForm};
use crate::AppState;

/// A record's tags, each a chip linking to the contacts holding it.
pub(super) fn chips(tags: &[Tag]) -> Markup {
    html! {
        @if tags.is_empty() {
            span.hint { "none" }
        } @else {
            ul.tags {
                @for t in tags {
                    li { a.tag href=(format!("/contacts?tag={}", urlencode(t.as_str()))) { (t.as_str()) } }
                }
            }
        }
    }
}

/// A deal's or company's tags (their lists have no tag filter yet: no links).
pub(super) fn plain_chips(tags: &[Tag]) -> Markup {
    html! {
        @if tags.is_empty() {
            span.hint { "none" }
        } @else {
            ul.tags { @for t in tags { li { span.tag { (t.as_str()) } } } }
        }
    }
}

/// Percent-encodes a query value.
pub(super) fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The one-field editor of a record's tags.
pub(super) fn tag_form(action: &str, tags: &[Tag], csrf: &str) -> Markup {
    let text = tags.iter().map(Tag::as_str).collect::<Vec<_>>().join(", ");
    html! {
        form.inline method="post" action=(action) {
            input type="hidden" name="csrf" value=(csrf);
            label for="tags" { "Tags " span.hint { "(separated by commas)" } }
            input #tags name="tags" value=(text) maxlength="1300" placeholder="vip, trade show";
            button type="submit" { "Save" }
        }
    }
}

#[derive(Deserialize)]
pub(super) struct TagsForm {
    csrf: String,
    tags: String,
}

/// Makes the contact's tags exactly those typed.
pub(super) async fn save_contact_tags(
    State(st): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    UiForm(f): UiForm<TagsForm>,
) -> Result<Response, Failure> {
    let id = ContactId(super::id(&id)?);
    save(&st, &user, Tagged::Contacts, id.0, &f).await?;
    Ok(Redirect::to(&format!("/contacts/{}", id.0)).into_response())
}

/// Makes the deal's tags exactly those typed.
pub(super) async fn save_deal_tags(
    State(st): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    UiForm(f): UiForm<TagsForm>,
) -> Result<Response, Failure> {
    let id = super::id(&id)?;
    save(&st, &user, Tagged::Deals, id, &f).await?;
    Ok(Redirect::to(&format!("/deals/{id}/edit")).into_response())
}

/// Makes the company's tags exactly those typed.
pub(super) async fn save_company_tags(
    State(st): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    UiForm(f): UiForm<TagsForm>,
) -> Result<Response, Failure> {
    let id = super::id(&id)?;
    save(&st, &user, Tagged::Companies, id, &f).await?;
    Ok(Redirect::to(&format!("/companies/{id}")).into_response())
}

/// The record's tags made exactly those typed (`App::set_tags`).
async fn save(
    st: &AppState,
    user: &Signed,
    kind: Tagged,
    id: uuid::Uuid,
    f: &TagsForm,
) -> Result<(), Failure> {
    user.check_csrf(&f.csrf)?;
    st.app
        .set_tags(&user.0.principal(), kind, id, &f.tags)
        .await?;
    Ok(())
}

/// The list's bulk form, as the tag buttons read it: `csrf`, `tag`, `op` (`add` or
/// `remove`) and the ticked `id`s; the form's other fields (the owner to assign) are not
/// theirs.
pub(super) struct BulkTagForm {
    csrf: String,
    tag: String,
    op: String,
    ids: Vec<String>,
}

impl<'de> Deserialize<'de> for BulkTagForm {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let pairs: Vec<(String, String)> = Deserialize::deserialize(d)?;
        let mut f = BulkTagForm {
            csrf: String::new(),
            tag: String::new(),
            op: String::new(),
            ids: Vec::new(),
        };
        for (k, v) in pairs {
            match k.as_str() {
                "csrf" => f.csrf = v,
                "tag" => f.tag = v,
                "op" => f.op = v,
                "id" => f.ids.push(v),
                _ => {}
            }
        }
        Ok(f)
    }
}

pub(super) async fn bulk_tag(
    State(st): State<AppState>,
    user: Signed,
    UiForm(f): UiForm<BulkTagForm>,
) -> Result<Response, Failure> {
    user.check_csrf(&f.csrf)?;
    if f.ids.is_empty() {
        return Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Tick the contacts to tag first.",
        ));
    }
    let mut ids = Vec::with_capacity(f.ids.len());
    for raw in &f.ids {
        ids.push(super::id(raw)?);
    }
    let tag = vec![f.tag];
    let (add, remove): (&[String], &[String]) = match f.op.as_str() {
        "add" => (&tag, &[]),
        "remove" => (&[], &tag),
        _ => {
            return Err(Failure::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Choose to add the tag or to remove it.",
            ));
        }
    };
    st.app
        .retag(&user.0.principal(), Tagged::Contacts, &ids, add, remove)
        .await?;
    Ok(Redirect::to("/contacts").into_response())
}

#[derive(Deserialize)]
pub(super) struct ViewForm {
    csrf: String,
    name: String,
    query: String,
    #[serde(default)]
    shared: Option<String>,
}

/// Saves the filters in use as a view, and shows it.
pub(super) async fn save_contact_view(
    State(st): State<AppState>,
    user: Signed,
    UiForm(f): UiForm<ViewForm>,
) -> Result<Response, Failure> {
    user.check_csrf(&f.csrf)?;
    let view = crate::routes::tags::save(
        &st.app,
        &user.0.principal(),
        ViewOf::Contacts,
        &f.name,
        &f.query,
        f.shared.is_some(),
    )
    .await?;
    Ok(Redirect::to(&format!("/contacts?{}", view.query)).into_response())
}

pub(super) async fn delete_contact_view(
    State(st): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    UiForm(f): UiForm<super::CsrfForm>,
) -> Result<Response, Failure> {
    user.check_csrf(&f.csrf)?;
    let id = super::id(&id)?;
    st.app.delete_view(&user.0.principal(), id).await?;
    Ok(Redirect::to("/contacts").into_response())
}
