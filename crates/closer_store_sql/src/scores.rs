//! Stored scores (`contact_scores`) and tracked sites, from rows of their tables.

use closer_domain::ContactId;
use closer_domain::WorkspaceId;
use closer_domain::qualification::Temperature;
use closer_domain::traffic::{SiteDomain, SiteId};
use closer_store::{ScoreRecord, Site, StoreError};

use crate::{Columns, json_as, required};

/// The columns `score_record` reads.
pub const SCORE_COLUMNS: &str =
    "contact_id, state, engagement, fit, temperature, version, updated_at";

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

pub fn score_record(row: &(impl Columns + ?Sized)) -> Result<ScoreRecord, StoreError> {
    Ok(ScoreRecord {
        contact_id: ContactId(required("contact_id", row.uuid("contact_id")?)?),
        state: json_as(row, "state")?,
        engagement: required("engagement", row.real("engagement")?)?,
        fit: required("fit", row.real("fit")?)?,
        temperature: Temperature::parse(&required("temperature", row.text("temperature")?)?)
            .map_err(corrupt)?,
        version: required("version", row.integer("version")?)?,
        updated_at: required("updated_at", row.timestamp("updated_at")?)?,
    })
}

pub fn site(row: &(impl Columns + ?Sized)) -> Result<Site, StoreError> {
    Ok(Site {
        id: SiteId(required("id", row.uuid("id")?)?),
        workspace_id: WorkspaceId(required("workspace_id", row.uuid("workspace_id")?)?),
        domain: SiteDomain::parse(&required("domain", row.text("domain")?)?).map_err(corrupt)?,
        created_at: required("created_at", row.timestamp("created_at")?)?,
    })
}
