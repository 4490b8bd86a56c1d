//! Reading activity files: Pipedrive's activities export and closer's own. A done activity
//! is a call, email, meeting, demo or note that happened; one not done yet is a follow-up
//! task due when the file says. Every problem of a row is named by its column.

use super::{Fields, Mapping, created_at, lookup, recognise_fields};
use crate::pipeline::ActivityKind;
use crate::pipeline::work::{body, label};
use crate::{Email, FieldError, Phone, Region, Timestamp, text};

/// What one column of an activity file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityField {
    ExternalId,
    /// Pipedrive's type (call, meeting, email, lunch, task, deadline) or closer's kind.
    Kind,
    Subject,
    Note,
    Outcome,
    /// Done or not: an activity that is not done is a task.
    Done,
    DueDate,
    DueTime,
    /// When it happened (closer's `occurred_at`, Pipedrive's time marked as done).
    OccurredAt,
    CreatedAt,
    Owner,
    ContactId,
    Email,
    Phone,
    PersonName,
    /// closer's deal id.
    DealId,
    /// The title of one of the person's deals.
    DealTitle,
    Skip,
}

const KNOWN: &[(&str, ActivityField)] = &[
    ("import error", ActivityField::Skip),
    ("activity - id", ActivityField::ExternalId),
    ("record id", ActivityField::ExternalId),
    ("id", ActivityField::ExternalId),
    ("external id", ActivityField::ExternalId),
    ("activity - type", ActivityField::Kind),
    ("activity type", ActivityField::Kind),
    ("type", ActivityField::Kind),
    ("kind", ActivityField::Kind),
    ("activity - subject", ActivityField::Subject),
    ("subject", ActivityField::Subject),
    ("activity - note", ActivityField::Note),
    ("note", ActivityField::Note),
    ("notes", ActivityField::Note),
    ("text", ActivityField::Note),
    ("outcome", ActivityField::Outcome),
    ("call outcome", ActivityField::Outcome),
    ("activity - done", ActivityField::Done),
    ("done", ActivityField::Done),
    ("activity - due date", ActivityField::DueDate),
    ("due date", ActivityField::DueDate),
    ("activity - due time", ActivityField::DueTime),
    ("due time", ActivityField::DueTime),
    ("activity - marked as done time", ActivityField::OccurredAt),
    ("occurred_at", ActivityField::OccurredAt),
    ("activity date", ActivityField::OccurredAt),
    ("activity - add time", ActivityField::CreatedAt),
    ("created_at", ActivityField::CreatedAt),
    ("create date", ActivityField::CreatedAt),
    ("activity - assigned to user", ActivityField::Owner),
    ("activity - owner", ActivityField::Owner),
    ("owner", ActivityField::Owner),
    ("owner_id", ActivityField::Owner),
    ("contact_id", ActivityField::ContactId),
    ("person - email", ActivityField::Email),
    ("email", ActivityField::Email),
    ("person - phone", ActivityField::Phone),
    ("phone", ActivityField::Phone),
    ("person - name", ActivityField::PersonName),
    ("activity - contact person", ActivityField::PersonName),
    ("person", ActivityField::PersonName),
    ("deal_id", ActivityField::DealId),
    ("deal - title", ActivityField::DealTitle),
    ("deal", ActivityField::DealTitle),
    ("activity - deal", ActivityField::DealTitle),
];

const FIELDS: Fields<ActivityField> = Fields {
    kind: "activity",
    id: ActivityField::ExternalId,
    skip: ActivityField::Skip,
    builtin: |key| lookup(KNOWN, key),
    extra: |_| ActivityField::Skip,
    property: None,
    names: "kind, subject, note, outcome, done, due_date, due_time, occurred_at, created_at, owner, contact_id, email, phone, person, deal_id, deal, external_id, skip",
};

/// Which field each column of an activity file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityColumns {
    pub fields: Vec<ActivityField>,
    pub headers: Vec<String>,
}

/// One row read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ActivityRow {
    pub external_id: Option<String>,
    pub kind: Option<ActivityKind>,
    pub subject: Option<String>,
    pub note: Option<String>,
    pub outcome: Option<String>,
    /// Not done: a task to do by `due`.
    pub done: bool,
    pub due: Option<Timestamp>,
    pub occurred_at: Option<Timestamp>,
    pub created_at: Option<Timestamp>,
    pub owner: Option<String>,
    pub contact_id: Option<String>,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub person_name: Option<String>,
    pub deal_id: Option<String>,
    pub deal_title: Option<String>,
}

super::names_person!(ActivityRow);

impl ActivityRow {
    /// What finds the record again when the file is imported twice.
    pub fn key(&self) -> String {
        match &self.external_id {
            Some(x) => format!("id:{x}"),
            None => format!(
                "{}|{}|{}|{}|{}",
                self.contact_id.as_deref().unwrap_or(""),
                self.email.as_ref().map_or("", Email::as_str),
                self.kind.map_or("", ActivityKind::as_str),
                self.subject.as_deref().unwrap_or(""),
                self.when().map(|t| t.to_string()).unwrap_or_default()
            ),
        }
    }

    /// When it happened (done) or is due (not done).
    pub fn when(&self) -> Option<Timestamp> {
        if self.done {
            self.occurred_at.or(self.due).or(self.created_at)
        } else {
            self.due.or(self.created_at)
        }
    }

    /// The activity's text: the subject, then the note.
    pub fn text(&self) -> Option<String> {
        match (&self.subject, &self.note) {
            (Some(s), Some(n)) => Some(format!("{s}\n\n{n}")),
            (Some(s), None) => Some(s.clone()),
            (None, n) => n.clone(),
        }
    }
}

/// A type as Pipedrive or closer writes it: lunch is a meeting; a task, deadline or anything
/// else done is a note.
fn kind(raw: &str) -> ActivityKind {
    match raw.trim().to_lowercase().as_str() {
        "call" | "phone call" => ActivityKind::Call,
        "email" | "e-mail" => ActivityKind::Email,
        "meeting" | "lunch" => ActivityKind::Meeting,
        "demo" => ActivityKind::Demo,
        _ => ActivityKind::Note,
    }
}

fn done(raw: &str) -> Result<bool, FieldError> {
    match raw.trim().to_lowercase().as_str() {
        "done" | "yes" | "true" | "1" | "completed" => Ok(true),
        "not done" | "to do" | "no" | "false" | "0" | "open" => Ok(false),
        _ => Err(FieldError::new(
            "done",
            format!("{raw:?} is neither done nor not done"),
        )),
    }
}

impl ActivityColumns {
    /// Recognises a header row; unknown columns are read past. A file naming no person, or
    /// with no date to place the activities at, is refused.
    pub fn recognise(headers: &[&str], mapping: &Mapping) -> Result<Self, FieldError> {
        let fields = recognise_fields(headers, &FIELDS, mapping)?;
        if !fields.iter().any(|f| {
            matches!(
                f,
                ActivityField::ContactId | ActivityField::Email | ActivityField::Phone
            )
        }) {
            return Err(FieldError::new(
                "header",
                "no column names the activity's person (Person - Email, Person - Phone, contact_id)",
            ));
        }
        if !fields.iter().any(|f| {
            matches!(
                f,
                ActivityField::OccurredAt | ActivityField::DueDate | ActivityField::CreatedAt
            )
        }) {
            return Err(FieldError::new(
                "header",
                "no column dates the activities (Activity - Due date, Activity - Add time, occurred_at)",
            ));
        }
        Ok(Self {
            fields,
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
        })
    }

    /// Reads one row; every problem is returned, each named by its column's header.
    pub fn read(
        &self,
        cells: &[&str],
        region: Option<Region>,
    ) -> Result<ActivityRow, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut row = ActivityRow {
            done: true,
            ..ActivityRow::default()
        };
        let (mut due_date, mut due_time) = (None::<String>, None::<String>);
        for (i, field) in self.fields.iter().enumerate() {
            let cell = cells.get(i).map_or("", |c| c.trim());
            if cell.is_empty() {
                continue;
            }
            let header = &self.headers[i];
            let mut fail = |e: FieldError| errors.push(FieldError::new(header, e.message));
            let time = |name: &str| created_at(cell).map_err(|e| FieldError::new(name, e.message));
            match field {
                ActivityField::ExternalId => row.external_id = Some(cell.to_owned()),
                ActivityField::Kind => row.kind = Some(kind(cell)),
                ActivityField::Subject => match label("subject", cell, 200) {
                    Ok(v) => row.subject = v,
                    Err(e) => fail(e),
                },
                ActivityField::Note => match body("note", cell) {
                    Ok(v) => row.note = v,
                    Err(e) => fail(e),
                },
                ActivityField::Outcome => match label("outcome", cell, 200) {
                    Ok(v) => row.outcome = v,
                    Err(e) => fail(e),
                },
                ActivityField::Done => match done(cell) {
                    Ok(d) => row.done = d,
                    Err(e) => fail(e),
                },
                ActivityField::DueDate => due_date = Some(cell.to_owned()),
                ActivityField::DueTime => due_time = Some(cell.to_owned()),
                ActivityField::OccurredAt => match time("occurred_at") {
                    Ok(t) => row.occurred_at = Some(t),
                    Err(e) => fail(e),
                },
                ActivityField::CreatedAt => match time("created_at") {
                    Ok(t) => row.created_at = Some(t),
                    Err(e) => fail(e),
                },
                ActivityField::Owner => row.owner = Some(cell.to_owned()),
                ActivityField::ContactId => row.contact_id = Some(cell.to_owned()),
                ActivityField::DealId => row.deal_id = Some(cell.to_owned()),
                ActivityField::DealTitle => match text::clean("deal", cell) {
                    Ok(v) => row.deal_title = v,
                    Err(e) => fail(e),
                },
                ActivityField::PersonName => match text::clean("name", cell) {
                    Ok(v) => row.person_name = v,
                    Err(e) => fail(e),
                },
                ActivityField::Email => match super::first_email(cell) {
                    Ok(e) => row.email = Some(e),
                    Err(e) => fail(e),
                },
                ActivityField::Phone => match super::first_phone(cell, region) {
                    Ok(p) => row.phone = Some(p),
                    Err(e) => fail(e),
                },
                ActivityField::Skip => {}
            }
        }
        if let Some(date) = due_date {
            let raw = match &due_time {
                Some(t) => format!("{date} {t}"),
                None => date,
            };
            match created_at(&raw) {
                Ok(t) => row.due = Some(t),
                Err(e) => errors.push(FieldError::new("due", e.message)),
            }
        }
        if row.contact_id.is_none() && row.email.is_none() && row.phone.is_none() {
            errors.push(FieldError::new(
                "person",
                "is needed: an email, phone or contact id names who the activity was with",
            ));
        }
        if row.when().is_none() && errors.is_empty() {
            errors.push(FieldError::new(
                "date",
                "is needed: when it happened, or is due",
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
    fn pipedrive_activities_are_done_or_to_do() {
        let cols = ActivityColumns::recognise(
            &[
                "Activity - ID",
                "Activity - Subject",
                "Activity - Type",
                "Activity - Done",
                "Activity - Due date",
                "Activity - Due time",
                "Activity - Note",
                "Activity - Marked as done time",
                "Person - Email",
                "Deal - Title",
            ],
            &Mapping::default(),
        )
        .unwrap();
        let done = cols
            .read(
                &[
                    "1",
                    "Intro call",
                    "Call",
                    "Done",
                    "2024-03-01",
                    "10:30",
                    "Keen",
                    "2024-03-01 10:45:00",
                    "ada@x.example",
                    "Licence",
                ],
                None,
            )
            .unwrap();
        assert!(done.done);
        assert_eq!(done.kind, Some(ActivityKind::Call));
        assert_eq!(done.when().unwrap().to_string(), "2024-03-01T10:45:00Z");
        assert_eq!(done.text().as_deref(), Some("Intro call\n\nKeen"));
        assert_eq!(done.deal_title.as_deref(), Some("Licence"));
        let todo = cols
            .read(
                &[
                    "2",
                    "Send contract",
                    "Task",
                    "Not done",
                    "2030-01-02",
                    "",
                    "",
                    "",
                    "ada@x.example",
                    "",
                ],
                None,
            )
            .unwrap();
        assert!(!todo.done);
        assert_eq!(todo.when().unwrap().to_string(), "2030-01-02T00:00:00Z");
        let errs = cols
            .read(
                &["3", "", "Call", "maybe", "soon", "", "", "", "", ""],
                None,
            )
            .unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["Activity - Done", "due", "person"], "{errs:?}");
    }
}
