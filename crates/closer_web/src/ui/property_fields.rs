//! The inputs of a record's defined custom properties in its edit form, each the input its
//! type calls for (a number field, a date picker, a select, checkboxes, a URL field…), and the
//! posted form read back into the raw values the app checks (`properties.NAME` errors shown
//! beside their input).
//!
//! Field names: `prop.NAME` holds the value; a multi-select's options are `prop.NAME.N`
//! (one checkbox each, so no field repeats); `drawn.NAME` says the form drew the property, so
//! an unticked checkbox means "no" and an emptied field clears it.

use std::collections::BTreeMap;

use closer_domain::property::{PropertyDef, PropertyType};
use maud::{Markup, html};
use serde_json::{Map, Value};

use super::form_notes::Notes;

/// The form's fields for `defs` as the stored `props` fill them.
pub(super) fn fields_of(
    defs: &[PropertyDef],
    props: &Map<String, Value>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for d in defs {
        let v = props.get(&d.name);
        match d.kind {
            PropertyType::MultiSelect => {
                let chosen: Vec<&str> = v
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                for (i, o) in d.options.iter().enumerate() {
                    if chosen.contains(&o.as_str()) {
                        out.insert(format!("prop.{}.{i}", d.name), o.clone());
                    }
                }
            }
            PropertyType::Checkbox => {
                if v == Some(&Value::Bool(true)) {
                    out.insert(format!("prop.{}", d.name), "true".into());
                }
            }
            _ => {
                out.insert(format!("prop.{}", d.name), d.form_text(v));
            }
        }
    }
    out
}

/// The raw values a posted form gives the properties it drew (the app checks them by type).
pub(super) fn posted(defs: &[PropertyDef], form: &BTreeMap<String, String>) -> Map<String, Value> {
    let mut out = Map::new();
    for d in defs {
        if !form.contains_key(&format!("drawn.{}", d.name)) {
            continue;
        }
        let key = format!("prop.{}", d.name);
        let value = match d.kind {
            PropertyType::MultiSelect => Value::Array(
                (0..d.options.len())
                    .filter_map(|i| form.get(&format!("{key}.{i}")))
                    .map(|o| Value::String(o.clone()))
                    .collect(),
            ),
            PropertyType::Checkbox => Value::Bool(form.contains_key(&key)),
            _ => Value::String(form.get(&key).cloned().unwrap_or_default()),
        };
        out.insert(d.name.clone(), value);
    }
    out
}

/// The inputs, labelled, each followed by what was said about it.
pub(super) fn inputs(
    defs: &[PropertyDef],
    values: &BTreeMap<String, String>,
    notes: &Notes,
) -> Markup {
    html! {
        @for d in defs {
            @let key = format!("prop.{}", d.name);
            @let field = format!("properties.{}", d.name);
            @let id = format!("prop-{}", d.name);
            @let value = values.get(&key).map_or("", String::as_str);
            input type="hidden" name=(format!("drawn.{}", d.name)) value="1";
            @match d.kind {
                PropertyType::Checkbox => {
                    label.check for=(id) {
                        input #(id) type="checkbox" name=(key) value="true" checked[value == "true"] aria-describedby=[notes.described(&field)];
                        " " (d.label)
                    }
                }
                PropertyType::MultiSelect => {
                    fieldset.choices aria-describedby=[notes.described(&field)] {
                        legend { (d.label) }
                        @for (i, o) in d.options.iter().enumerate() {
                            @let opt_key = format!("{key}.{i}");
                            label.check {
                                input type="checkbox" name=(opt_key) value=(o) checked[values.contains_key(&opt_key)];
                                " " (o)
                            }
                        }
                    }
                }
                PropertyType::Select => {
                    label for=(id) { (d.label) }
                    select #(id) name=(key) aria-describedby=[notes.described(&field)] {
                        option value="" { "—" }
                        @for o in &d.options {
                            option value=(o) selected[value == o] { (o) }
                        }
                    }
                }
                PropertyType::Text => {
                    label for=(id) { (d.label) }
                    input #(id) type="text" name=(key) value=(value) maxlength="1000" aria-describedby=[notes.described(&field)];
                }
                PropertyType::Number => {
                    label for=(id) { (d.label) }
                    input #(id) type="text" inputmode="decimal" name=(key) value=(value) aria-describedby=[notes.described(&field)];
                }
                PropertyType::Money => {
                    label for=(id) { (d.label) " " span.hint { "(an amount, like 1200.50)" } }
                    input #(id) type="text" inputmode="decimal" name=(key) value=(value) aria-describedby=[notes.described(&field)];
                }
                PropertyType::Date => {
                    label for=(id) { (d.label) }
                    input #(id) type="date" name=(key) value=(value) aria-describedby=[notes.described(&field)];
                }
                PropertyType::Url => {
                    label for=(id) { (d.label) }
                    input #(id) type="url" name=(key) value=(value) aria-describedby=[notes.described(&field)];
                }
            }
            (notes.about(&field))
        }
    }
}

/// A stored value as a page shows it: a list's items joined, a checkbox as yes or no.
pub(super) fn display(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// What a page calls a property: its label when defined, else its name.
pub(super) fn label_of<'a>(defs: &'a [PropertyDef], name: &'a str) -> &'a str {
    defs.iter()
        .find(|d| d.name == name)
        .map_or(name, |d| d.label.as_str())
}
