//! Decoding rows into records. SQLite keeps timestamps as integer microseconds and JSON as text.

use closer_domain::{Consent, Contact, ContactId, Stage, Timestamp, UserId, WorkspaceId};
use closer_store::StoreError;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

/// The column list every contact query selects, in `contact` order.
pub(crate) const CONTACT_COLUMNS: &str = "id, workspace_id, name, emails, phones, company, job_title, properties, stage, \
     owner_id, consent_granted, consent_at, consent_source, created_at, updated_at";

pub(crate) fn ts(micros: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_unix_micros(micros)
        .ok_or_else(|| StoreError::Corrupt(format!("timestamp {micros} out of range")))
}

pub(crate) fn get<'r, T>(row: &'r SqliteRow, column: &str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
{
    row.try_get(column)
        .map_err(|e| StoreError::Corrupt(format!("column {column}: {e}")))
}

pub(crate) fn json<T: serde::de::DeserializeOwned>(
    row: &SqliteRow,
    column: &str,
) -> Result<T, StoreError> {
    let text: String = get(row, column)?;
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("column {column}: {e}")))
}

pub(crate) fn stage(raw: &str) -> Result<Stage, StoreError> {
    Stage::parse(raw).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn contact(row: &SqliteRow) -> Result<Contact, StoreError> {
    let consent = match get::<Option<bool>>(row, "consent_granted")? {
        Some(granted) => Some(Consent {
            granted,
            at: ts(get(row, "consent_at")?)?,
            source: get(row, "consent_source")?,
        }),
        None => None,
    };
    Ok(Contact {
        id: ContactId(get(row, "id")?),
        workspace_id: WorkspaceId(get(row, "workspace_id")?),
        name: get(row, "name")?,
        emails: json(row, "emails")?,
        phones: json(row, "phones")?,
        company: get(row, "company")?,
        job_title: get(row, "job_title")?,
        properties: json(row, "properties")?,
        stage: stage(&get::<String>(row, "stage")?)?,
        owner_id: get::<Option<Uuid>>(row, "owner_id")?.map(UserId),
        consent,
        created_at: ts(get(row, "created_at")?)?,
        updated_at: ts(get(row, "updated_at")?)?,
    })
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("plain data serialises")
}
