//! Settings → Properties: the custom properties of contacts, companies and deals — listed by
//! kind, added with a type and options, relabelled, removed behind a ticked box.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use closer_app::AppError;
use closer_app::properties::PropertyRequest;
use closer_domain::FieldError;
use closer_domain::property::{PropertyDef, PropertyOf, PropertyType};
use maud::{Markup, html};
use serde::Deserialize;

use super::super::confirm::ConfirmForm;
use super::super::form_notes::Notes;
use super::super::session::Signed;
use super::super::{Failure, UiForm, id};
use super::actions::{back, checked};
use super::{Drafts, render};
use crate::AppState;

/// The add form as typed, and what was wrong with it, when it was refused.
#[derive(Deserialize, Default, Clone)]
pub(crate) struct PropertyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pub of: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub kind: String,
    /// One option a line.
    #[serde(default)]
    pub options: String,
}

pub(crate) struct PropertyDraft {
    pub form: PropertyForm,
    pub errors: Vec<FieldError>,
}

fn lines(raw: &str) -> Vec<String> {
    raw.lines().map(str::to_owned).collect()
}

/// The section: each kind's properties, then the add form.
pub(super) fn section(defs: &[PropertyDef], draft: Option<&PropertyDraft>, csrf: &str) -> Markup {
    let empty = PropertyForm {
        of: "contacts".into(),
        kind: "text".into(),
        ..PropertyForm::default()
    };
    let (f, errors) = draft.map_or((&empty, &[][..]), |d| (&d.form, &d.errors[..]));
    let notes = Notes(errors);
    html! {
        section #properties aria-labelledby="properties-h" {
            h2 #properties-h { "Properties" }
            p { "Fields of your own on contacts, companies and deals. Forms, the API and imports check each value by its type; reports break down by them (" code { "by=property:NAME" } ")." }
            @for of in PropertyOf::ALL {
                @let mine: Vec<&PropertyDef> = defs.iter().filter(|d| d.of == of).collect();
                h3 { (of.as_str()) }
                @if mine.is_empty() {
                    p.empty { "None yet." }
                } @else {
                    table.properties {
                        thead { tr { th { "Label" } th { "Name" } th { "Type" } th { "Options" } th { "" } } }
                        tbody {
                            @for d in mine {
                                tr {
                                    td { (d.label) } td { code { (d.name) } } td { (d.kind.as_str()) }
                                    td { (d.options.join(", ")) }
                                    td { (super::super::confirm::form(&format!("/settings/properties/{}/delete", d.id), csrf, &format!("Remove {} (values stay on the records)", d.label), "Remove")) }
                                }
                            }
                        }
                    }
                }
            }
            h3 { "Add a property" }
            form.stacked method="post" action="/settings/properties" novalidate {
                input type="hidden" name="csrf" value=(csrf);
                label for="prop-of" { "On" }
                select #prop-of name="of" aria-describedby=[notes.described("of")] {
                    @for of in PropertyOf::ALL {
                        option value=(of.as_str()) selected[f.of == of.as_str()] { (of.as_str()) }
                    }
                }
                (notes.about("of"))
                label for="prop-label" { "Label" }
                input #prop-label name="label" value=(f.label) maxlength="80" aria-describedby=[notes.described("label")];
                (notes.about("label"))
                label for="prop-name" { "Name " span.hint { "(lower-case letters, digits and _; made from the label when empty)" } }
                input #prop-name name="name" value=(f.name) maxlength="40" aria-describedby=[notes.described("name")];
                (notes.about("name"))
                label for="prop-type" { "Type" }
                select #prop-type name="kind" aria-describedby=[notes.described("type")] {
                    @for t in PropertyType::ALL {
                        option value=(t.as_str()) selected[f.kind == t.as_str()] { (t.as_str().replace('_', "-")) }
                    }
                }
                (notes.about("type"))
                label for="prop-options" { "Options " span.hint { "(select and multi-select: one a line)" } }
                textarea #prop-options name="options" rows="3" aria-describedby=[notes.described("options")] { (f.options) }
                (notes.about("options"))
                button type="submit" { "Add property" }
            }
        }
    }
}

pub(super) async fn add_property(
    State(st): State<AppState>,
    user: Signed,
    UiForm(f): UiForm<PropertyForm>,
) -> Result<Response, Failure> {
    checked(&user, &f.csrf)?;
    let mut errors = Vec::new();
    let of = PropertyOf::parse(&f.of).map_err(|e| errors.push(e)).ok();
    let kind = PropertyType::parse(&f.kind)
        .map_err(|e| errors.push(e))
        .ok();
    let result = match (of, kind, errors.is_empty()) {
        (Some(of), Some(kind), true) => {
            let req = PropertyRequest {
                of,
                // Without a name, the label's words make one ("Annual revenue" →
                // annual_revenue).
                name: if f.name.trim().is_empty() {
                    closer_domain::import::property_name(&f.label)
                } else {
                    f.name.clone()
                },
                label: f.label.clone(),
                kind,
                options: lines(&f.options),
            };
            st.app.define_property(&user.0.principal(), req).await
        }
        _ => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(_) => Ok(back("properties")),
        Err(AppError::Invalid(errors)) => {
            let drafts = Drafts {
                properties: Some(PropertyDraft { form: f, errors }),
                ..Drafts::default()
            };
            let page = render(&st, &user, drafts).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn delete_property(
    State(st): State<AppState>,
    user: Signed,
    Path(raw): Path<String>,
    UiForm(f): UiForm<ConfirmForm>,
) -> Result<Response, Failure> {
    checked(&user, &f.csrf)?;
    f.check()?;
    st.app
        .delete_property(&user.0.principal(), id(&raw)?)
        .await?;
    Ok(back("properties"))
}
