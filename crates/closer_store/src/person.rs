//! What closer holds about one person, for access and portability requests (GDPR articles 15
//! and 20): the reads an export needs beyond the other ports, and the list of every table
//! that holds contact data with where the export covers it. The conformance suite compares
//! that list with the database's tables, so a new table of contact data cannot be left out.

use async_trait::async_trait;
use closer_domain::traffic::VisitorKey;
use closer_domain::{ContactId, Timestamp, WorkspaceId};

use crate::StoreError;

/// Every table with a `contact_id` column (and `contacts` itself), with the export section
/// that holds its rows, or why it holds none.
pub const CONTACT_TABLES: &[(&str, &str)] = &[
    ("contacts", "contact"),
    (
        "contact_identities",
        "contact (its emails and phones are the identities)",
    ),
    ("contact_stages", "stage_history"),
    ("contact_external_ids", "external_ids"),
    ("contact_tags", "tags"),
    ("contact_scores", "score"),
    ("contact_values", "value"),
    ("contact_traffic", "timeline (tracked events)"),
    ("visitor_links", "visitors"),
    ("events", "timeline"),
    ("activities", "activities"),
    ("tasks", "tasks"),
    ("deals", "deals"),
    ("orders", "orders"),
    (
        "journeys",
        "not exported: funnel dates and first-touch source derived from stage_history, sessions and timeline",
    ),
    (
        "journey_changes",
        "not exported: which contacts' report rows changed, no personal data",
    ),
    (
        "erasures",
        "not exported: the record that a contact was erased, kept without personal data",
    ),
    (
        "notifications",
        "not exported: what closer told its users about the person (deleted with them)",
    ),
    (
        "outbox",
        "not exported: e-mails to closer's users about the person, waiting to be sent (deleted with them)",
    ),
];

/// A first-party or cookieless visitor linked to the contact (identity stitching).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VisitorLink {
    pub visitor: VisitorKey,
    pub linked_at: Timestamp,
}

#[async_trait]
pub trait PersonReads {
    /// The visitors linked to the contact, oldest link first.
    async fn contact_visitors(
        &self,
        ws: WorkspaceId,
        contact: ContactId,
    ) -> Result<Vec<VisitorLink>, StoreError>;

    /// The ids the contact has in the tools it was imported from (`closer import`).
    async fn contact_external_ids(
        &self,
        ws: WorkspaceId,
        contact: ContactId,
    ) -> Result<Vec<String>, StoreError>;

    /// The database's tables that have a `contact_id` column, by name.
    async fn tables_with_contact_column(&self) -> Result<Vec<String>, StoreError>;
}
