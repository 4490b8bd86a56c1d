//! Reading task files: closer's own tasks export (so a workspace's follow-ups move with it),
//! and plain to-do lists (title, due date, assignee, status, the person's email) — which
//! column is which field, and one row read into a task with every problem named by its
//! column.

use super::{Fields, Mapping, created_at, lookup, recognise_fields};
use crate::pipeline::work::{body, label};
use crate::pipeline::{TaskKind, TaskStatus};
use crate::{Email, FieldError, Phone, Region, Timestamp, text};

/// What one column of a task file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskField {
    ExternalId,
    /// closer's kind: follow_up or first_contact.
    Kind,
    Title,
    Text,
    /// When it is due: a date, a date and time, or RFC 3339.
    DueAt,
    /// open, done or cancelled (completed, not started and to do as other tools write them).
    Status,
    DoneAt,
    CreatedAt,
    /// Who does it: a user's email or name (closer's export: their id).
    Assignee,
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

const KNOWN: &[(&str, TaskField)] = &[
    ("import error", TaskField::Skip),
    ("id", TaskField::ExternalId),
    ("record id", TaskField::ExternalId),
    ("task id", TaskField::ExternalId),
    ("external id", TaskField::ExternalId),
    ("kind", TaskField::Kind),
    ("title", TaskField::Title),
    ("task title", TaskField::Title),
    ("subject", TaskField::Title),
    ("text", TaskField::Text),
    ("note", TaskField::Text),
    ("notes", TaskField::Text),
    ("description", TaskField::Text),
    ("due_at", TaskField::DueAt),
    ("due date", TaskField::DueAt),
    ("due", TaskField::DueAt),
    ("status", TaskField::Status),
    ("task status", TaskField::Status),
    ("done_at", TaskField::DoneAt),
    ("completed at", TaskField::DoneAt),
    ("created_at", TaskField::CreatedAt),
    ("create date", TaskField::CreatedAt),
    ("assignee_id", TaskField::Assignee),
    ("assignee", TaskField::Assignee),
    ("assigned to", TaskField::Assignee),
    ("owner", TaskField::Assignee),
    ("contact_id", TaskField::ContactId),
    ("email", TaskField::Email),
    ("contact email", TaskField::Email),
    ("phone", TaskField::Phone),
    ("person", TaskField::PersonName),
    ("contact name", TaskField::PersonName),
    ("deal_id", TaskField::DealId),
    ("deal", TaskField::DealTitle),
];

const FIELDS: Fields<TaskField> = Fields {
    kind: "task",
    id: TaskField::ExternalId,
    skip: TaskField::Skip,
    builtin: |key| lookup(KNOWN, key),
    extra: |_| TaskField::Skip,
    property: None,
    names: "title, text, due_at, status, done_at, created_at, assignee, kind, contact_id, email, phone, person, deal_id, deal, external_id, skip",
};

/// Which field each column of a task file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskColumns {
    pub fields: Vec<TaskField>,
    pub headers: Vec<String>,
}

/// One row read.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRow {
    pub external_id: Option<String>,
    pub kind: TaskKind,
    pub title: String,
    pub text: Option<String>,
    pub due_at: Timestamp,
    pub status: TaskStatus,
    pub done_at: Option<Timestamp>,
    pub created_at: Option<Timestamp>,
    pub assignee: Option<String>,
    pub contact_id: Option<String>,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub person_name: Option<String>,
    pub deal_id: Option<String>,
    pub deal_title: Option<String>,
}

super::names_person!(TaskRow);

impl TaskRow {
    /// What finds the task again when the file is imported twice: its id in the file, else
    /// its person, title and due time.
    pub fn key(&self) -> String {
        match &self.external_id {
            Some(x) => format!("id:{x}"),
            None => format!(
                "{}|{}|{}|{}",
                self.contact_id.as_deref().unwrap_or(""),
                self.email.as_ref().map_or("", Email::as_str),
                self.title,
                self.due_at
            ),
        }
    }

    /// Whether the row names a person at all (a task may be no one's: "renew the domain").
    pub fn names_person(&self) -> bool {
        self.contact_id.is_some() || self.email.is_some() || self.phone.is_some()
    }
}

/// A status as closer and to-do tools write it.
fn status(raw: &str) -> Result<TaskStatus, FieldError> {
    match raw.trim().to_lowercase().as_str() {
        "open" | "to do" | "todo" | "not started" | "in progress" | "waiting" => {
            Ok(TaskStatus::Open)
        }
        "done" | "completed" | "complete" => Ok(TaskStatus::Done),
        "cancelled" | "canceled" | "deferred" => Ok(TaskStatus::Cancelled),
        _ => Err(FieldError::new(
            "status",
            format!("{raw:?} is not a task status (open, done, cancelled)"),
        )),
    }
}

impl TaskColumns {
    /// Recognises a header row; unknown columns are read past. A file without a title or a
    /// due date is refused.
    pub fn recognise(headers: &[&str], mapping: &Mapping) -> Result<Self, FieldError> {
        let fields = recognise_fields(headers, &FIELDS, mapping)?;
        if !fields.contains(&TaskField::Title) {
            return Err(FieldError::new(
                "header",
                "no column holds the task's title (title, Task Title, subject)",
            ));
        }
        if !fields.contains(&TaskField::DueAt) {
            return Err(FieldError::new(
                "header",
                "no column says when the tasks are due (due_at, Due Date)",
            ));
        }
        Ok(Self {
            fields,
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
        })
    }

    /// Reads one row; every problem is returned, each named by its column's header.
    pub fn read(&self, cells: &[&str], region: Option<Region>) -> Result<TaskRow, Vec<FieldError>> {
        let mut errors = Vec::new();
        let (mut title, mut due_at) = (None, None);
        // A cell that was there but wrong is named once, by its column.
        let (mut title_cell, mut due_cell) = (false, false);
        let mut row = TaskRow {
            external_id: None,
            kind: TaskKind::FollowUp,
            title: String::new(),
            text: None,
            // Set below, or the row is refused.
            due_at: Timestamp::now(),
            status: TaskStatus::Open,
            done_at: None,
            created_at: None,
            assignee: None,
            contact_id: None,
            email: None,
            phone: None,
            person_name: None,
            deal_id: None,
            deal_title: None,
        };
        for (i, field) in self.fields.iter().enumerate() {
            let cell = cells.get(i).map_or("", |c| c.trim());
            if cell.is_empty() {
                continue;
            }
            let header = &self.headers[i];
            title_cell |= *field == TaskField::Title;
            due_cell |= *field == TaskField::DueAt;
            let mut fail = |e: FieldError| errors.push(FieldError::new(header, e.message));
            let time = |name: &str| created_at(cell).map_err(|e| FieldError::new(name, e.message));
            match field {
                TaskField::ExternalId => row.external_id = Some(cell.to_owned()),
                TaskField::Kind => match TaskKind::parse(cell) {
                    Ok(k) => row.kind = k,
                    Err(e) => fail(e),
                },
                TaskField::Title => match label("title", cell, 200) {
                    Ok(v) => title = v,
                    Err(e) => fail(e),
                },
                TaskField::Text => match body("text", cell) {
                    Ok(v) => row.text = v,
                    Err(e) => fail(e),
                },
                TaskField::DueAt => match time("due_at") {
                    Ok(t) => due_at = Some(t),
                    Err(e) => fail(e),
                },
                TaskField::Status => match status(cell) {
                    Ok(s) => row.status = s,
                    Err(e) => fail(e),
                },
                TaskField::DoneAt => match time("done_at") {
                    Ok(t) => row.done_at = Some(t),
                    Err(e) => fail(e),
                },
                TaskField::CreatedAt => match time("created_at") {
                    Ok(t) => row.created_at = Some(t),
                    Err(e) => fail(e),
                },
                TaskField::Assignee => row.assignee = Some(cell.to_owned()),
                TaskField::ContactId => row.contact_id = Some(cell.to_owned()),
                TaskField::DealId => row.deal_id = Some(cell.to_owned()),
                TaskField::DealTitle => match text::clean("deal", cell) {
                    Ok(v) => row.deal_title = v,
                    Err(e) => fail(e),
                },
                TaskField::PersonName => match text::clean("name", cell) {
                    Ok(v) => row.person_name = v,
                    Err(e) => fail(e),
                },
                TaskField::Email => match super::first_email(cell) {
                    Ok(e) => row.email = Some(e),
                    Err(e) => fail(e),
                },
                TaskField::Phone => match super::first_phone(cell, region) {
                    Ok(p) => row.phone = Some(p),
                    Err(e) => fail(e),
                },
                TaskField::Skip => {}
            }
        }
        match title {
            Some(t) => row.title = t,
            None if title_cell => {}
            None => errors.push(FieldError::new("title", "is needed")),
        }
        match due_at {
            Some(t) => row.due_at = t,
            None if due_cell => {}
            None => errors.push(FieldError::new("due_at", "is needed: when the task is due")),
        }
        if row.status != TaskStatus::Done {
            row.done_at = None;
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
    fn closers_task_export_and_a_plain_to_do_list_are_read() {
        let cols = TaskColumns::recognise(
            &[
                "id",
                "kind",
                "title",
                "text",
                "contact_id",
                "deal_id",
                "assignee_id",
                "due_at",
                "status",
                "done_at",
                "created_at",
                "deal",
            ],
            &Mapping::default(),
        )
        .unwrap();
        let row = cols
            .read(
                &[
                    "0193a",
                    "follow_up",
                    "Send the quote",
                    "",
                    "c-1",
                    "",
                    "",
                    "2026-03-02T09:00:00Z",
                    "done",
                    "2026-03-01T17:00:00Z",
                    "2026-02-20T08:00:00Z",
                    "Licence",
                ],
                None,
            )
            .unwrap();
        assert_eq!(row.title, "Send the quote");
        assert_eq!(row.status, TaskStatus::Done);
        assert_eq!(row.done_at.unwrap().to_string(), "2026-03-01T17:00:00Z");
        assert_eq!(row.deal_title.as_deref(), Some("Licence"));
        assert_eq!(row.key(), "id:0193a");

        let plain = TaskColumns::recognise(
            &[
                "Task Title",
                "Due Date",
                "Status",
                "Assigned to",
                "Contact email",
            ],
            &Mapping::default(),
        )
        .unwrap();
        let row = plain
            .read(
                &[
                    "Call back",
                    "2026-04-01",
                    "Not started",
                    "rep@acme.example",
                    "x@y.example",
                ],
                None,
            )
            .unwrap();
        assert_eq!(row.status, TaskStatus::Open);
        assert_eq!(row.due_at.to_string(), "2026-04-01T00:00:00Z");
        assert!(row.names_person());
        let problems = plain
            .read(&["", "soon", "maybe", "", "not-an-email"], None)
            .unwrap_err();
        let named: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(named, ["Due Date", "Status", "Contact email", "title"]);
        assert!(TaskColumns::recognise(&["title"], &Mapping::default()).is_err());
    }
}
