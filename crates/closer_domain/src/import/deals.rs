//! Reading deal files: Pipedrive's deals export (with its `Person -` and `Organization -`
//! columns), HubSpot's deals export and closer's own — which column is which field, and one
//! row read into what the importer resolves against the workspace (the person, pipeline and
//! stage are named, not known yet), every problem named by its column.

use super::{Fields, Mapping, created_at, lookup, recognise_fields};
use crate::pipeline::{Amount, Currency, DealStatus};
use crate::{Email, FieldError, Phone, Region, Timestamp, text};

/// What one column of a deal file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DealField {
    /// The deal's id in the tool it comes from: importing the same file twice changes nothing.
    ExternalId,
    Title,
    Amount,
    Currency,
    /// A pipeline's name, or (closer's export) its id.
    Pipeline,
    /// A stage's name, or (closer's export) its id.
    Stage,
    Status,
    Owner,
    ExpectedClose,
    CreatedAt,
    /// When it was won or lost.
    ClosedAt,
    LossReason,
    Objection,
    Source,
    /// closer's contact id (the contact's external id once its file was imported elsewhere).
    ContactId,
    Email,
    Phone,
    PersonName,
    Company,
    Skip,
}

const KNOWN: &[(&str, DealField)] = &[
    ("import error", DealField::Skip),
    ("record id", DealField::ExternalId),
    ("id", DealField::ExternalId),
    ("deal - id", DealField::ExternalId),
    ("external id", DealField::ExternalId),
    ("deal - title", DealField::Title),
    ("title", DealField::Title),
    ("deal name", DealField::Title),
    ("deal - value", DealField::Amount),
    ("amount", DealField::Amount),
    ("value", DealField::Amount),
    ("deal - currency", DealField::Currency),
    ("currency", DealField::Currency),
    ("deal - pipeline", DealField::Pipeline),
    ("pipeline", DealField::Pipeline),
    ("pipeline_id", DealField::Pipeline),
    ("deal - stage", DealField::Stage),
    ("deal stage", DealField::Stage),
    ("stage", DealField::Stage),
    ("stage_id", DealField::Stage),
    ("deal - status", DealField::Status),
    ("status", DealField::Status),
    ("deal - owner", DealField::Owner),
    ("deal owner", DealField::Owner),
    ("owner", DealField::Owner),
    ("owner_id", DealField::Owner),
    ("deal - expected close date", DealField::ExpectedClose),
    ("expected_close", DealField::ExpectedClose),
    ("close date", DealField::ExpectedClose),
    ("deal - deal created", DealField::CreatedAt),
    ("create date", DealField::CreatedAt),
    ("created_at", DealField::CreatedAt),
    ("deal - won time", DealField::ClosedAt),
    ("deal - lost time", DealField::ClosedAt),
    ("deal - close time", DealField::ClosedAt),
    ("closed_at", DealField::ClosedAt),
    ("deal - lost reason", DealField::LossReason),
    ("closed lost reason", DealField::LossReason),
    ("loss_reason", DealField::LossReason),
    ("objection", DealField::Objection),
    ("deal - source", DealField::Source),
    ("source", DealField::Source),
    ("contact_id", DealField::ContactId),
    ("person - email", DealField::Email),
    ("email", DealField::Email),
    ("contact email", DealField::Email),
    ("person - phone", DealField::Phone),
    ("phone", DealField::Phone),
    ("person - name", DealField::PersonName),
    ("deal - contact person", DealField::PersonName),
    ("contact name", DealField::PersonName),
    ("person", DealField::PersonName),
    ("organization - name", DealField::Company),
    ("deal - organization", DealField::Company),
    ("company", DealField::Company),
    ("company name", DealField::Company),
];

const FIELDS: Fields<DealField> = Fields {
    kind: "deal",
    id: DealField::ExternalId,
    skip: DealField::Skip,
    builtin: |key| lookup(KNOWN, key),
    extra: |_| DealField::Skip,
    property: None,
    names: "title, amount, currency, pipeline, stage, status, owner, expected_close, created_at, closed_at, loss_reason, objection, source, contact_id, email, phone, person, company, external_id, skip",
};

/// Which field each column of a deal file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealColumns {
    pub fields: Vec<DealField>,
    pub headers: Vec<String>,
}

/// One row read: the deal as the file names it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DealRow {
    pub external_id: Option<String>,
    pub title: String,
    pub amount: Option<Amount>,
    pub currency: Option<Currency>,
    pub pipeline: Option<String>,
    pub stage: Option<String>,
    pub status: Option<DealStatus>,
    pub owner: Option<String>,
    pub expected_close: Option<time::Date>,
    pub created_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub loss_reason: Option<String>,
    pub objection: Option<String>,
    pub source: Option<String>,
    pub contact_id: Option<String>,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub person_name: Option<String>,
    pub company: Option<String>,
}

super::names_person!(DealRow);

impl DealRow {
    /// What finds the deal again when the file is imported twice: its id in the source tool,
    /// else its person, title and creation.
    pub fn key(&self) -> String {
        match &self.external_id {
            Some(x) => format!("id:{x}"),
            None => format!(
                "{}|{}|{}|{}",
                self.contact_id.as_deref().unwrap_or(""),
                self.email.as_ref().map_or("", Email::as_str),
                self.title,
                self.created_at.map(|t| t.to_string()).unwrap_or_default()
            ),
        }
    }
}

/// A status as the tools write it (Pipedrive: open, won, lost; deleted ones are refused).
fn status(raw: &str) -> Result<DealStatus, FieldError> {
    DealStatus::parse(&raw.trim().to_lowercase())
}

/// An amount as the tools write it: thousands separated by commas or spaces are read past.
fn amount(raw: &str) -> Result<Amount, FieldError> {
    let plain: String = raw
        .chars()
        .filter(|c| !matches!(c, ',' | ' ' | '_'))
        .collect();
    Amount::parse("amount", &plain)
}

impl DealColumns {
    /// Recognises a header row; unknown columns are read past (deals have no custom
    /// properties yet). A file without a title column, or naming no person (a contact id,
    /// email or phone), is refused.
    pub fn recognise(headers: &[&str], mapping: &Mapping) -> Result<Self, FieldError> {
        let fields = recognise_fields(headers, &FIELDS, mapping)?;
        if !fields.contains(&DealField::Title) {
            return Err(FieldError::new(
                "header",
                "no column holds the deal's title (Deal - Title, Deal Name, title)",
            ));
        }
        if !fields.iter().any(|f| {
            matches!(
                f,
                DealField::ContactId | DealField::Email | DealField::Phone
            )
        }) {
            return Err(FieldError::new(
                "header",
                "no column names the deal's person (Person - Email, Person - Phone, contact_id): a deal is with someone",
            ));
        }
        Ok(Self {
            fields,
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
        })
    }

    /// Reads one row; every problem is returned, each named by its column's header.
    pub fn read(&self, cells: &[&str], region: Option<Region>) -> Result<DealRow, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut row = DealRow::default();
        let mut title = None;
        for (i, field) in self.fields.iter().enumerate() {
            let cell = cells.get(i).map_or("", |c| c.trim());
            if cell.is_empty() {
                continue;
            }
            let header = &self.headers[i];
            let mut fail = |e: FieldError| errors.push(FieldError::new(header, e.message));
            let mut put = |slot: &mut Option<String>, name: &str| match text::clean(name, cell) {
                Ok(v) => *slot = v,
                Err(e) => fail(e),
            };
            match field {
                DealField::ExternalId => row.external_id = Some(cell.to_owned()),
                DealField::Title => put(&mut title, "title"),
                DealField::Pipeline => put(&mut row.pipeline, "pipeline"),
                DealField::Stage => put(&mut row.stage, "stage"),
                DealField::Owner => put(&mut row.owner, "owner"),
                DealField::LossReason => put(&mut row.loss_reason, "loss_reason"),
                DealField::Objection => put(&mut row.objection, "objection"),
                DealField::Source => put(&mut row.source, "source"),
                DealField::ContactId => put(&mut row.contact_id, "contact_id"),
                DealField::PersonName => put(&mut row.person_name, "name"),
                DealField::Company => put(&mut row.company, "company"),
                DealField::Amount => match amount(cell) {
                    Ok(a) => row.amount = Some(a),
                    Err(e) => fail(e),
                },
                DealField::Currency => match Currency::parse("currency", cell) {
                    Ok(c) => row.currency = Some(c),
                    Err(e) => fail(e),
                },
                DealField::Status => match status(cell) {
                    Ok(s) => row.status = Some(s),
                    Err(e) => fail(e),
                },
                DealField::ExpectedClose => {
                    // A date, or a time whose date is taken.
                    let date = crate::parse_date("expected_close", cell)
                        .or_else(|e| created_at(cell).map(|t| t.get().date()).map_err(|_| e));
                    match date {
                        Ok(d) => row.expected_close = Some(d),
                        Err(e) => fail(e),
                    }
                }
                DealField::CreatedAt => match created_at(cell) {
                    Ok(t) => row.created_at = Some(t),
                    Err(e) => fail(e),
                },
                DealField::ClosedAt => match created_at(cell) {
                    Ok(t) => row.closed_at = Some(t),
                    Err(e) => fail(FieldError::new("closed_at", e.message)),
                },
                DealField::Email => match super::first_email(cell) {
                    Ok(e) => row.email = Some(e),
                    Err(e) => fail(e),
                },
                DealField::Phone => match super::first_phone(cell, region) {
                    Ok(p) => row.phone = Some(p),
                    Err(e) => fail(e),
                },
                DealField::Skip => {}
            }
        }
        match title {
            Some(t) => row.title = t,
            None => errors.push(FieldError::new("title", "is needed: every deal has one")),
        }
        if row.contact_id.is_none() && row.email.is_none() && row.phone.is_none() {
            errors.push(FieldError::new(
                "person",
                "is needed: an email, phone or contact id names who the deal is with",
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
mod tests {
    use super::*;

    #[test]
    fn a_pipedrive_deal_row_is_read() {
        let cols = DealColumns::recognise(
            &[
                "Deal - ID",
                "Deal - Title",
                "Deal - Value",
                "Deal - Currency",
                "Deal - Pipeline",
                "Deal - Stage",
                "Deal - Status",
                "Deal - Owner",
                "Deal - Expected close date",
                "Deal - Deal created",
                "Deal - Won time",
                "Deal - Lost reason",
                "Person - Name",
                "Person - Email",
                "Organization - Name",
                "Deal - Probability",
            ],
            &Mapping::default(),
        )
        .unwrap();
        let row = cols
            .read(
                &[
                    "17",
                    "Engines for Acme",
                    "12,500.50",
                    "eur",
                    "Sales",
                    "Negotiation",
                    "Won",
                    "sam@acme.example",
                    "2024-06-30",
                    "2024-03-01 09:00:00",
                    "2024-06-02 10:00:00",
                    "",
                    "Ada Lovelace",
                    "ada@acme.example",
                    "Acme",
                    "80",
                ],
                None,
            )
            .unwrap();
        assert_eq!(row.key(), "id:17");
        assert_eq!(row.amount.unwrap().to_string(), "12500.50");
        assert_eq!(row.currency.unwrap().as_str(), "EUR");
        assert_eq!(row.status, Some(DealStatus::Won));
        assert_eq!(row.stage.as_deref(), Some("Negotiation"));
        assert_eq!(row.email.unwrap().as_str(), "ada@acme.example");
        assert!(row.closed_at.is_some() && row.created_at.is_some());
        assert_eq!(row.expected_close.unwrap().to_string(), "2024-06-30");
    }

    #[test]
    fn a_deal_needs_a_title_and_a_person() {
        assert!(DealColumns::recognise(&["Deal - Title"], &Mapping::default()).is_err());
        assert!(DealColumns::recognise(&["Person - Email"], &Mapping::default()).is_err());
        let cols = DealColumns::recognise(
            &["Deal - Title", "Person - Email", "Deal - Value"],
            &Mapping::default(),
        )
        .unwrap();
        let errs = cols.read(&["", "", "a lot"], None).unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["Deal - Value", "title", "person"], "{errs:?}");
    }
}
