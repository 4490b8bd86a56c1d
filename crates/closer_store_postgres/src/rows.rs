//! Decoding rows into records. PostgreSQL keeps timestamps as `timestamptz` and JSON as `jsonb`.

use closer_domain::{Consent, Contact, ContactId, Stage, Timestamp, UserId, WorkspaceId};
use closer_store::StoreError;
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

/// The column list every contact query selects.
pub(crate) const CONTACT_COLUMNS: &str = "id, workspace_id, name, emails, phones, company, job_title, properties, stage, \
     owner_id, consent_granted, consent_at, consent_source, created_at, updated_at";

pub(crate) fn get<'r, T>(row: &'r PgRow, column: &str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get(column)
        .map_err(|e| StoreError::Corrupt(format!("column {column}: {e}")))
}

pub(crate) fn ts(row: &PgRow, column: &str) -> Result<Timestamp, StoreError> {
    get::<OffsetDateTime>(row, column).map(Timestamp::new)
}

pub(crate) fn ts_opt(row: &PgRow, column: &str) -> Result<Option<Timestamp>, StoreError> {
    Ok(get::<Option<OffsetDateTime>>(row, column)?.map(Timestamp::new))
}

pub(crate) fn json<T: serde::de::DeserializeOwned>(
    row: &PgRow,
    column: &str,
) -> Result<T, StoreError> {
    get::<Json<T>>(row, column).map(|j| j.0)
}

pub(crate) fn stage(raw: &str) -> Result<Stage, StoreError> {
    Stage::parse(raw).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn contact(row: &PgRow) -> Result<Contact, StoreError> {
    let consent = match get::<Option<bool>>(row, "consent_granted")? {
        Some(granted) => Some(Consent {
            granted,
            at: ts(row, "consent_at")?,
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
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}
