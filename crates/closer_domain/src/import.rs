//! Reading the contact files other tools export: which column is which field, recognised by
//! its header as HubSpot, Pipedrive and closer write it (case and spacing aside), changed or
//! added by a mapping file, unknown columns kept as custom properties; and one row read into
//! a contact draft, every problem named by its column. Pure: the importer streams rows through
//! it, so memory does not grow with the file.

pub mod activities;
pub mod companies;
pub mod deals;
pub mod job;
mod mapping;
pub mod plan;
pub mod tasks;

pub use mapping::Mapping;
pub(crate) use mapping::{Fields, lookup, recognise_fields};

use serde_json::{Map, Value};

use crate::contact::MAX_PROPERTY_KEY;
use crate::{ContactDraft, Email, FieldError, Phone, Region, Stage, Timestamp, text};

/// What one column of a contact file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactField {
    /// The record's id in the tool it comes from (HubSpot `Record ID`, Pipedrive `ID`): what
    /// makes importing the same file twice change nothing.
    ExternalId,
    FirstName,
    LastName,
    /// A whole name (Pipedrive `Person - Name`, closer's `name`).
    Name,
    Email,
    Phone,
    Company,
    JobTitle,
    /// A lifecycle stage, HubSpot's or closer's.
    Stage,
    /// The owner's email (or name) in the source tool.
    Owner,
    /// When the record was created there: kept as the contact's creation time.
    CreatedAt,
    /// Marketing consent: `granted` or `refused` (closer's export), with when and where.
    Consent,
    ConsentAt,
    ConsentSource,
    /// A JSON object of custom properties (closer's export).
    Properties,
    /// Kept as a custom property of this name.
    Property(String),
    /// Read past.
    Skip,
}

/// The last column of the file `closer import` writes the rejected rows to: why each was
/// rejected. Importing that file again reads past it.
pub const ERROR_COLUMN: &str = "Import error";

/// The built-in header names, normalised (`normalise`), for each field.
const KNOWN: &[(&str, ContactField)] = &[
    ("import error", ContactField::Skip),
    ("record id", ContactField::ExternalId),
    ("id", ContactField::ExternalId),
    ("person - id", ContactField::ExternalId),
    ("external id", ContactField::ExternalId),
    ("first name", ContactField::FirstName),
    ("firstname", ContactField::FirstName),
    ("person - first name", ContactField::FirstName),
    ("last name", ContactField::LastName),
    ("lastname", ContactField::LastName),
    ("person - last name", ContactField::LastName),
    ("name", ContactField::Name),
    ("full name", ContactField::Name),
    ("person - name", ContactField::Name),
    ("email", ContactField::Email),
    ("email address", ContactField::Email),
    ("e-mail", ContactField::Email),
    ("emails", ContactField::Email),
    ("person - email", ContactField::Email),
    ("phone", ContactField::Phone),
    ("phone number", ContactField::Phone),
    ("mobile phone number", ContactField::Phone),
    ("phones", ContactField::Phone),
    ("person - phone", ContactField::Phone),
    ("company", ContactField::Company),
    ("company name", ContactField::Company),
    ("organization - name", ContactField::Company),
    ("person - organization", ContactField::Company),
    ("job title", ContactField::JobTitle),
    ("job_title", ContactField::JobTitle),
    ("person - job title", ContactField::JobTitle),
    ("lifecycle stage", ContactField::Stage),
    ("stage", ContactField::Stage),
    ("contact owner", ContactField::Owner),
    ("owner", ContactField::Owner),
    ("person - owner", ContactField::Owner),
    ("create date", ContactField::CreatedAt),
    ("created at", ContactField::CreatedAt),
    ("created_at", ContactField::CreatedAt),
    ("person - person created", ContactField::CreatedAt),
    ("consent", ContactField::Consent),
    ("consent_at", ContactField::ConsentAt),
    ("consent_source", ContactField::ConsentSource),
    ("properties", ContactField::Properties),
    ("owner_id", ContactField::Owner),
    // closer's export: the company follows from the email's domain; times of change are
    // the importing workspace's own.
    ("company_id", ContactField::Skip),
    ("updated_at", ContactField::Skip),
];

/// Columns kept as properties under closer's names (the ones the shipped fit rules read).
const PROPERTIES: &[(&str, &str)] = &[
    ("country/region", "country"),
    ("country", "country"),
    ("city", "city"),
    ("lead status", "lead_status"),
    ("original source", "original_source"),
    ("number of employees", "company_size"),
    ("company size", "company_size"),
    ("industry", "industry"),
];

/// The person a row of a deal, activity or task file is about, as its cells name them.
pub trait NamesPerson {
    /// closer's contact id, or the id a contact file gave them.
    fn contact_id(&self) -> Option<&str>;
    fn email(&self) -> Option<&Email>;
    fn phone(&self) -> Option<&Phone>;
    fn person_name(&self) -> Option<&str>;

    /// The person as a new contact, for when nobody holds them.
    fn person_draft(&self) -> ContactDraft {
        ContactDraft {
            name: self.person_name().map(str::to_owned),
            emails: self.email().cloned().into_iter().collect(),
            phones: self.phone().cloned().into_iter().collect(),
            ..ContactDraft::default()
        }
    }
}

/// Implements `NamesPerson` for a row with `contact_id`, `email`, `phone` and `person_name`.
macro_rules! names_person {
    ($row:ty) => {
        impl $crate::import::NamesPerson for $row {
            fn contact_id(&self) -> Option<&str> {
                self.contact_id.as_deref()
            }
            fn email(&self) -> Option<&$crate::Email> {
                self.email.as_ref()
            }
            fn phone(&self) -> Option<&$crate::Phone> {
                self.phone.as_ref()
            }
            fn person_name(&self) -> Option<&str> {
                self.person_name.as_deref()
            }
        }
    };
}
pub(crate) use names_person;

/// The first of a cell's emails (the tools list several with `;` or `,`).
pub(crate) fn first_email(cell: &str) -> Result<Email, FieldError> {
    Email::parse(cell.split([';', ',']).next().unwrap_or(""))
}

/// The first of a cell's phone numbers.
pub(crate) fn first_phone(cell: &str, region: Option<Region>) -> Result<Phone, FieldError> {
    Phone::parse(cell.split([';', ',']).next().unwrap_or(""), region)
}

/// A header as compared: trimmed, lower case, inner white space single.
pub fn normalise(header: &str) -> String {
    header
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The property name an unknown column is kept under: lower case, letters and digits, the
/// rest as single underscores (`Country/Region` → `country_region`, `Lead Status` →
/// `lead_status`).
pub fn property_name(header: &str) -> String {
    let mut out = String::new();
    for c in normalise(header).chars() {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_');
    out.chars().take(MAX_PROPERTY_KEY).collect()
}

/// Which field each column of a file holds, in the file's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactColumns {
    pub fields: Vec<ContactField>,
    pub headers: Vec<String>,
}

impl ContactColumns {
    /// Recognises a header row. The mapping wins over the built-in names; the first column
    /// named as an id is the id (others are kept as properties); unknown columns become
    /// properties. A file without an email or phone column is refused: no row of it could
    /// be found or deduped.
    pub fn recognise(headers: &[&str], mapping: &Mapping) -> Result<Self, FieldError> {
        let fields = recognise_fields(headers, &FIELDS, mapping)?;
        if !fields
            .iter()
            .any(|f| matches!(f, ContactField::Email | ContactField::Phone))
        {
            return Err(FieldError::new(
                "header",
                "no column holds an email or a phone (Email, Phone Number…): a contact is found and deduped by them",
            ));
        }
        Ok(Self {
            fields,
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
        })
    }
}

const FIELDS: Fields<ContactField> = Fields {
    kind: "contact",
    id: ContactField::ExternalId,
    skip: ContactField::Skip,
    builtin,
    extra: |raw| ContactField::Property(property_name(raw)),
    property: Some(ContactField::Property),
    names: "name, first_name, last_name, email, phone, company, job_title, stage, owner, created_at, consent, consent_at, consent_source, properties, property:NAME, external_id, skip",
};

fn builtin(key: &str) -> Option<ContactField> {
    // Pipedrive adds a label to some columns: "Person - Email - Work".
    let base = key.split(" - ").take(2).collect::<Vec<_>>().join(" - ");
    KNOWN
        .iter()
        .find(|(k, _)| *k == key || *k == base)
        .map(|(_, f)| f.clone())
        .or_else(|| {
            PROPERTIES
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, p)| ContactField::Property((*p).to_owned()))
        })
}

/// A lifecycle stage as HubSpot or closer writes it: subscriber, lead and marketing-qualified
/// lead are leads; sales-qualified leads are prospects; evangelists are customers; "other" is
/// a lead.
pub fn stage(raw: &str) -> Result<Stage, FieldError> {
    let key: String = raw
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    Ok(match key.as_str() {
        "subscriber" | "lead" | "marketingqualifiedlead" | "mql" | "other" => Stage::Lead,
        "salesqualifiedlead" | "sql" | "prospect" => Stage::Prospect,
        "opportunity" => Stage::Opportunity,
        "customer" | "evangelist" => Stage::Customer,
        "disqualified" => Stage::Disqualified,
        _ => {
            return Err(FieldError::new(
                "stage",
                format!(
                    "{raw:?} is not a lifecycle stage (lead, marketing qualified lead, sales qualified lead, opportunity, customer…)"
                ),
            ));
        }
    })
}

/// A consent cell: `granted` or `refused` (closer's export), or yes/no, true/false.
fn consent_word(raw: &str) -> Result<bool, FieldError> {
    match raw.trim().to_lowercase().as_str() {
        "granted" | "yes" | "true" | "1" | "opted in" => Ok(true),
        "refused" | "no" | "false" | "0" | "opted out" => Ok(false),
        _ => Err(FieldError::new(
            "consent",
            format!("{raw:?} is not a consent (granted or refused)"),
        )),
    }
}

/// A creation time as the tools write it: RFC 3339, `YYYY-MM-DD HH:MM[:SS]` (UTC), or a date.
pub fn created_at(raw: &str) -> Result<Timestamp, FieldError> {
    let raw = raw.trim();
    if let Some(t) = Timestamp::parse_rfc3339(raw) {
        return Ok(t);
    }
    let with_t = raw.replacen(' ', "T", 1);
    for candidate in [format!("{with_t}Z"), format!("{with_t}:00Z")] {
        if let Some(t) = Timestamp::parse_rfc3339(&candidate) {
            return Ok(t);
        }
    }
    if let Ok(d) = crate::parse_date("created_at", raw) {
        return Ok(Timestamp::new(d.midnight().assume_utc()));
    }
    Err(FieldError::new(
        "created_at",
        format!("{raw:?} is not a date or time (2026-03-01, 2026-03-01 14:05, RFC 3339)"),
    ))
}

/// One row read into a contact.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactRow {
    pub external_id: Option<String>,
    pub draft: ContactDraft,
    /// The owner as the file names them (an email or a name), to match with the users.
    pub owner: Option<String>,
    pub created_at: Option<Timestamp>,
}

impl ContactColumns {
    /// Reads one row (its cells in the header's order). Every problem is returned, each
    /// named by its column's header; a row without an email or phone is one.
    pub fn read(
        &self,
        cells: &[&str],
        region: Option<Region>,
    ) -> Result<ContactRow, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut row = ContactRow {
            external_id: None,
            draft: ContactDraft::default(),
            owner: None,
            created_at: None,
        };
        let (mut first, mut last) = (None::<String>, None::<String>);
        let mut properties = Map::new();
        let (mut consent, mut consent_at, mut consent_source) = (None, None, None);
        for (i, field) in self.fields.iter().enumerate() {
            let cell = cells.get(i).map_or("", |c| c.trim());
            if cell.is_empty() {
                continue;
            }
            let header = &self.headers[i];
            let mut fail = |e: FieldError| errors.push(FieldError::new(header, e.message));
            let text = |field: &str| text::clean(field, cell);
            match field {
                ContactField::ExternalId => row.external_id = Some(cell.to_owned()),
                ContactField::FirstName => match text("first_name") {
                    Ok(v) => first = v,
                    Err(e) => fail(e),
                },
                ContactField::LastName => match text("last_name") {
                    Ok(v) => last = v,
                    Err(e) => fail(e),
                },
                ContactField::Name => match text("name") {
                    Ok(v) => row.draft.name = v,
                    Err(e) => fail(e),
                },
                ContactField::Email => {
                    for part in cell
                        .split([';', ','])
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                    {
                        match Email::parse(part) {
                            Ok(e) if !row.draft.emails.contains(&e) => row.draft.emails.push(e),
                            Ok(_) => {}
                            Err(e) => fail(e),
                        }
                    }
                }
                ContactField::Phone => {
                    for part in cell
                        .split([';', ','])
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                    {
                        match Phone::parse(part, region) {
                            Ok(p) if !row.draft.phones.contains(&p) => row.draft.phones.push(p),
                            Ok(_) => {}
                            Err(e) => fail(e),
                        }
                    }
                }
                ContactField::Company => match text("company") {
                    Ok(v) => row.draft.company = v,
                    Err(e) => fail(e),
                },
                ContactField::JobTitle => match text("job_title") {
                    Ok(v) => row.draft.job_title = v,
                    Err(e) => fail(e),
                },
                ContactField::Stage => match stage(cell) {
                    Ok(s) => row.draft.stage = Some(s),
                    Err(e) => fail(e),
                },
                ContactField::Owner => row.owner = Some(cell.to_owned()),
                ContactField::CreatedAt => match created_at(cell) {
                    Ok(t) => row.created_at = Some(t),
                    Err(e) => fail(e),
                },
                ContactField::Consent => match consent_word(cell) {
                    Ok(v) => consent = Some(v),
                    Err(e) => fail(e),
                },
                ContactField::ConsentAt => match created_at(cell) {
                    Ok(t) => consent_at = Some(t),
                    Err(e) => fail(e),
                },
                ContactField::ConsentSource => match text("consent_source") {
                    Ok(v) => consent_source = v,
                    Err(e) => fail(e),
                },
                ContactField::Properties => match serde_json::from_str::<Value>(cell) {
                    Ok(Value::Object(map)) => {
                        for (k, v) in map {
                            properties.entry(k).or_insert(v);
                        }
                    }
                    _ => fail(FieldError::new("properties", "must be a JSON object")),
                },
                ContactField::Property(name) => match text(name) {
                    Ok(Some(v)) => {
                        properties.insert(name.clone(), Value::String(v));
                    }
                    Ok(None) => {}
                    Err(e) => fail(e),
                },
                ContactField::Skip => {}
            }
        }
        if row.draft.name.is_none() {
            row.draft.name = match (first, last) {
                (Some(f), Some(l)) => Some(format!("{f} {l}")),
                (Some(f), None) => Some(f),
                (None, Some(l)) => Some(l),
                (None, None) => None,
            };
        }
        match (consent, consent_at) {
            (Some(granted), Some(at)) => {
                row.draft.consent = Some(crate::contact::Consent {
                    granted,
                    at,
                    source: consent_source,
                });
            }
            (Some(_), None) => errors.push(FieldError::new(
                "consent_at",
                "is needed with consent: when the person said so",
            )),
            (None, _) => {}
        }
        if let Err(e) = crate::contact::check_identity_count("emails", &row.draft.emails) {
            errors.push(e);
        }
        match crate::contact::parse_properties(Value::Object(properties), false) {
            Ok(p) => row.draft.properties = p,
            Err(e) => errors.push(e),
        }
        if !row.draft.has_identity() && errors.is_empty() {
            errors.push(FieldError::new(
                "row",
                "has no email or phone: nothing to find or make the contact by",
            ));
        }
        if errors.is_empty() {
            Ok(row)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests;
