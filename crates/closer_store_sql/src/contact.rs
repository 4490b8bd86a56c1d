//! The contact record, from a row of `CONTACT_COLUMNS`.

use closer_domain::{Consent, Contact, ContactId, Stage, UserId, WorkspaceId};
use closer_store::StoreError;

use crate::{Columns, json_as, required};

/// The column list every contact query selects.
pub const CONTACT_COLUMNS: &str = "id, workspace_id, name, emails, phones, company, company_id, job_title, properties, stage, \
     owner_id, consent_granted, consent_at, consent_source, created_at, updated_at";

pub fn contact(row: &(impl Columns + ?Sized)) -> Result<Contact, StoreError> {
    let consent = match row.boolean("consent_granted")? {
        Some(granted) => Some(Consent {
            granted,
            at: required("consent_at", row.timestamp("consent_at")?)?,
            source: row.text("consent_source")?,
        }),
        None => None,
    };
    let stage = required("stage", row.text("stage")?)?;
    Ok(Contact {
        id: ContactId(required("id", row.uuid("id")?)?),
        workspace_id: WorkspaceId(required("workspace_id", row.uuid("workspace_id")?)?),
        name: row.text("name")?,
        emails: json_as(row, "emails")?,
        phones: json_as(row, "phones")?,
        company: row.text("company")?,
        company_id: row.uuid("company_id")?.map(closer_domain::CompanyId),
        job_title: row.text("job_title")?,
        properties: json_as(row, "properties")?,
        stage: Stage::parse(&stage).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        owner_id: row.uuid("owner_id")?.map(UserId),
        consent,
        created_at: required("created_at", row.timestamp("created_at")?)?,
        updated_at: required("updated_at", row.timestamp("updated_at")?)?,
    })
}
