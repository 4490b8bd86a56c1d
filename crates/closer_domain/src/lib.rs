//! closer's pure domain: validated types (parse, don't validate) and the rules that act on them.
//!
//! Nothing here does I/O, reads the clock or knows about HTTP or SQL: callers pass `now` in.
//! Every type that crosses a crate boundary is built through a `parse`/`new` constructor, so
//! code past the edge never holds an unchecked email, phone, slug or stage.

pub mod access;
pub mod company;
pub mod contact;
pub mod csv_cell;
pub mod demo;
pub mod email;
pub mod event;
pub mod form;
pub mod ids;
pub mod import;
pub mod notify;
pub mod phone;
pub mod pipeline;
pub mod property;
pub mod qualification;
pub mod reminders;
pub mod reports;
pub mod search;
pub mod stage;
pub mod tag;
pub mod text;
pub mod timestamp;
pub mod traffic;
pub mod workspace;

pub use company::{Company, CompanyDraft, CompanyPatch, Domain};
pub use contact::{Consent, Contact, ContactDraft, ContactPatch, MergeOutcome};
pub use email::Email;
pub use event::{Event, EventKind, NewEvent};
pub use form::{FormKey, FormSubmission};
pub use ids::{CompanyId, ContactId, EventId, FormId, ImportJobId, TokenId, UserId, WorkspaceId};
pub use phone::{Phone, Region};
pub use stage::{Advance, Stage};
pub use timestamp::{Timestamp, date_text, parse_date};
pub use workspace::{Role, Slug, UserRole};

/// A field-level validation failure: which input field, and a sentence a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}
