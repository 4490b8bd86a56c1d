//! `AppError`: what a use case can refuse or fail with, in terms an interface can show.
//!
//! Error policy: crates below the binary use `thiserror` types; `StoreError` converts here, and
//! the web crate maps `AppError` to HTTP in one place. `Internal` carries detail for the log
//! only — interfaces show a generic message.

use closer_domain::FieldError;
use closer_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input that parsed but breaks a rule, field by field.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("not found")]
    NotFound,
    /// The contact was merged into another one: it is not here, the person is there.
    #[error("merged into contact {0}")]
    Merged(closer_domain::ContactId),
    /// The request is valid but clashes with stored state; the message says how.
    #[error("{0}")]
    Conflict(String),
    /// An edit made against a record someone saved since it was read (`if_unchanged_since`):
    /// read it again; the message says which record.
    #[error("{0}")]
    Stale(String),
    #[error("missing or invalid credentials")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// Overloaded by design (a full queue, a rate limit): retry shortly. Counted, not logged
    /// per request, so an overload cannot flood the log.
    #[error("busy: {0}")]
    Busy(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(vec![FieldError::new(field, message)])
    }
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        AppError::Invalid(vec![e])
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict { constraint } => match constraint.as_str() {
                closer_store::CONTACT_CHANGED => AppError::Stale(
                    "someone changed this contact since you read it: read it again and make your change to what is there now".into(),
                ),
                closer_store::DEAL_CHANGED => AppError::Stale(
                    "someone changed this deal since you read it: read it again and make your change to what is there now".into(),
                ),
                _ => AppError::Conflict(conflict_message(&constraint)),
            },
            StoreError::Unavailable(m) => AppError::Unavailable(m),
            StoreError::Corrupt(m) | StoreError::Internal(m) => AppError::Internal(m),
        }
    }
}

/// A sentence per named constraint, so a client learns what clashed.
fn conflict_message(constraint: &str) -> String {
    match constraint {
        "workspaces_slug_key" => "a workspace with this slug already exists".into(),
        "users_email_key" => "a user with this email already exists in the workspace".into(),
        "forms_key_key" => "a form with this key already exists".into(),
        closer_store::IDENTITY_CONSTRAINT => {
            "one of these emails or phone numbers already belongs to another contact".into()
        }
        "contacts_owner_fk" => "the owner is not a user of this workspace".into(),
        closer_store::SITE_DOMAIN_CONSTRAINT => {
            "this domain is already tracked (by this or another workspace)".into()
        }
        other => format!("conflicts with existing data ({other})"),
    }
}
