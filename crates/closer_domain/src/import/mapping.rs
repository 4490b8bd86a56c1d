//! A mapping file (`--mapping FILE.toml`, the API's `mapping`): which field a column holds,
//! overriding or adding to the headers closer recognises, and which column holds the records'
//! ids. One format for every kind of file: a field is named as closer's own export names its
//! column (`email`, `domains`, `title`, `due_date`…), so the names are checked when the file's
//! kind is known, by `recognise_fields`.

use std::collections::BTreeMap;

use super::{normalise, property_name};
use crate::FieldError;

/// A mapping file's overrides: header (normalised) → field name as written, and the id column.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping {
    columns: BTreeMap<String, String>,
    id_column: Option<String>,
}

impl Mapping {
    /// Reads a mapping file:
    ///
    /// ```toml
    /// id_column = "Legacy ID"
    /// [columns]
    /// "Work Email" = "email"
    /// "Segment" = "property:segment"
    /// "Notes" = "skip"
    /// ```
    ///
    /// Whether a field name fits the file is known once the file's kind is: when its header
    /// is recognised.
    pub fn parse(source: &str) -> Result<Self, FieldError> {
        let table: toml::Table = source.parse().map_err(|e: toml::de::Error| {
            let line = e.span().map_or(1, |at| {
                source[..at.start.min(source.len())].matches('\n').count() + 1
            });
            FieldError::new("mapping", format!("line {line}: {}", e.message()))
        })?;
        let mut mapping = Mapping::default();
        for (key, value) in &table {
            match (key.as_str(), value) {
                ("id_column", toml::Value::String(c)) if !c.trim().is_empty() => {
                    mapping.id_column = Some(normalise(c));
                }
                ("columns", toml::Value::Table(columns)) => {
                    for (header, field) in columns {
                        match field {
                            toml::Value::String(f) if !f.trim().is_empty() => {
                                mapping
                                    .columns
                                    .insert(normalise(header), f.trim().to_owned());
                            }
                            _ => {
                                return Err(FieldError::new(
                                    format!("columns.{header}"),
                                    "must be a field name in quotes (\"email\", \"property:NAME\", \"skip\"…)",
                                ));
                            }
                        }
                    }
                }
                ("id_column", _) => {
                    return Err(FieldError::new(
                        "id_column",
                        "must be a column's header in quotes",
                    ));
                }
                (other, _) => {
                    return Err(FieldError::new(
                        other,
                        "is not a mapping setting (id_column, columns)",
                    ));
                }
            }
        }
        Ok(mapping)
    }

    /// `--id-column`: this column's values are the records' ids.
    #[must_use]
    pub fn with_id_column(mut self, header: &str) -> Self {
        self.id_column = Some(normalise(header));
        self
    }

    /// The field name the mapping gives a column, as written, if it names one.
    pub fn column(&self, header: &str) -> Option<&str> {
        self.columns.get(&normalise(header)).map(String::as_str)
    }

    /// The id column named (normalised), if one is.
    pub fn id_column(&self) -> Option<&str> {
        self.id_column.as_deref()
    }
}

/// The field `table` gives a (normalised) header, for `Fields::builtin`.
pub(crate) fn lookup<F: Clone>(table: &[(&str, F)], key: &str) -> Option<F> {
    table
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, f)| f.clone())
}

/// The fields of one kind of file, as its headers and a mapping name them.
pub(crate) struct Fields<F: 'static> {
    /// The kind, for messages: "contact", "company"…
    pub kind: &'static str,
    pub id: F,
    pub skip: F,
    /// The field a built-in header names (normalised).
    pub builtin: fn(&str) -> Option<F>,
    /// What a column nothing names becomes (a custom property, or read past).
    pub extra: fn(&str) -> F,
    /// A custom property of this name; `None` where the kind keeps none.
    pub property: Option<fn(String) -> F>,
    /// The field names a mapping may use, for the message naming a wrong one.
    pub names: &'static str,
}

impl<F: Clone> Fields<F> {
    /// The field a mapping's name stands for: closer's export column names (spaces or
    /// underscores), `external_id`, `property:NAME`, `skip`.
    fn named(&self, header: &str, name: &str) -> Result<F, FieldError> {
        let wrong = |why: String| FieldError::new(format!("columns.{header}"), why);
        if let Some(p) = name.strip_prefix("property:") {
            let p = property_name(p);
            return match self.property {
                Some(_) if p.is_empty() => Err(wrong("property: needs a name".into())),
                Some(make) => Ok(make(p)),
                None => Err(wrong(format!(
                    "a {} file keeps no custom properties: map the column to a field or \"skip\"",
                    self.kind
                ))),
            };
        }
        match normalise(name).as_str() {
            "skip" => Ok(self.skip.clone()),
            "external_id" | "external id" => Ok(self.id.clone()),
            key => (self.builtin)(key)
                .or_else(|| (self.builtin)(&key.replace('_', " ")))
                .ok_or_else(|| {
                    wrong(format!(
                        "{name:?} is not a field of a {} file ({})",
                        self.kind, self.names
                    ))
                }),
        }
    }
}

/// Which field each header names: the mapping's field where it names one, else the column
/// `id_column` names is the id, else the built-in names (with an id column named, the built-in
/// id names are ordinary columns); the first column holding the id is the id, a later one is
/// `extra`'s, as is a header nothing names. A named id column the file lacks is refused.
pub(crate) fn recognise_fields<F: Clone + PartialEq>(
    headers: &[&str],
    fields: &Fields<F>,
    mapping: &Mapping,
) -> Result<Vec<F>, FieldError> {
    let mut out = Vec::with_capacity(headers.len());
    let mut have_id = false;
    for raw in headers {
        let key = normalise(raw.trim_start_matches('\u{feff}'));
        let mut field = if let Some(name) = mapping.columns.get(&key) {
            fields.named(raw, name)?
        } else if mapping.id_column.as_deref() == Some(key.as_str()) {
            fields.id.clone()
        } else {
            match (fields.builtin)(&key) {
                Some(f) if f == fields.id && mapping.id_column.is_some() => (fields.extra)(raw),
                Some(f) => f,
                None => (fields.extra)(raw),
            }
        };
        if field == fields.id {
            if have_id {
                field = (fields.extra)(raw);
            }
            have_id = true;
        }
        out.push(field);
    }
    if let Some(id) = &mapping.id_column
        && !out.contains(&fields.id)
    {
        return Err(FieldError::new(
            "id_column",
            format!("the file has no column {id:?}"),
        ));
    }
    Ok(out)
}
