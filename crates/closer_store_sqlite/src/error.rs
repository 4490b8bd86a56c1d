//! Maps SQLite's errors (through rusqlite) to `StoreError`.
//!
//! SQLite's messages name columns, not constraints ("UNIQUE constraint failed: forms.key"), and
//! say nothing about which foreign key failed; the tables below translate them to the
//! constraint names the migrations declare, so both adapters report the same names.

use closer_store::StoreError;

const UNIQUE: &[(&str, &str)] = &[
    ("workspaces.slug", "workspaces_slug_key"),
    ("api_tokens.hash", "api_tokens_hash_key"),
    ("users.workspace_id, users.email", "users_email_key"),
    (
        "contact_identities.workspace_id, contact_identities.kind, contact_identities.value",
        "contact_identities_value_key",
    ),
    ("forms.key", "forms_key_key"),
    ("sites.domain", "sites_domain_key"),
    (
        "company_domains.workspace_id, company_domains.domain",
        "company_domains_domain_key",
    ),
    (
        "pipelines.workspace_id, pipelines.name",
        "pipelines_name_key",
    ),
    (
        "contact_external_ids.workspace_id, contact_external_ids.external_id",
        "contact_external_ids_key",
    ),
    (
        "property_defs.workspace_id, property_defs.of, property_defs.name",
        "property_defs_name_key",
    ),
];

/// Maps an error where no foreign key can fail.
#[allow(clippy::needless_pass_by_value)]
pub(crate) fn rs_err(e: rusqlite::Error) -> StoreError {
    rs_err_fk("foreign_key")(e)
}

/// Maps a rusqlite error where the one foreign key that can fail is `fk`.
pub(crate) fn rs_err_fk(fk: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| match &e {
        rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound,
        rusqlite::Error::SqliteFailure(_, Some(msg)) => from_message(msg, fk, &e),
        rusqlite::Error::SqliteFailure(f, None)
            if matches!(
                f.code,
                rusqlite::ErrorCode::DatabaseBusy
                    | rusqlite::ErrorCode::DatabaseLocked
                    | rusqlite::ErrorCode::CannotOpen
            ) =>
        {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Internal(e.to_string()),
    }
}

/// Translates SQLite's message text, which is the same whichever library carried it.
fn from_message(msg: &str, fk: &str, e: &dyn std::fmt::Display) -> StoreError {
    if let Some(cols) = msg.strip_prefix("UNIQUE constraint failed: ") {
        let name = UNIQUE
            .iter()
            .find(|(c, _)| *c == cols)
            .map_or(cols, |(_, n)| *n);
        StoreError::Conflict {
            constraint: name.to_owned(),
        }
    } else if msg.starts_with("FOREIGN KEY constraint failed") {
        StoreError::Conflict {
            constraint: fk.to_owned(),
        }
    } else if let Some(rest) = msg.strip_prefix("CHECK constraint failed: ") {
        StoreError::Conflict {
            constraint: rest.to_owned(),
        }
    } else if msg.contains("database is locked") || msg.contains("database is busy") {
        StoreError::Unavailable(msg.to_owned())
    } else {
        StoreError::Internal(e.to_string())
    }
}
