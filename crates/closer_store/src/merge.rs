//! The merge port: what merging records of one person would move, the merge itself in one
//! transaction, and where a merged-away id went.

use async_trait::async_trait;
use closer_domain::contact::merge::Moves;
use closer_domain::{Contact, ContactId, NewEvent, Timestamp, WorkspaceId};

use crate::StoreError;

/// The tables whose rows a merge moves to the kept record, each with the `Moves` count it is.
pub const MERGE_MOVES: &[(&str, &str)] = &[
    ("contact_identities", "identities"),
    ("contact_external_ids", "external_ids"),
    ("visitor_links", "visitors"),
    ("events", "timeline"),
    ("contact_traffic", "traffic"),
    ("contact_stages", "stage_history"),
    ("deals", "deals"),
    ("activities", "activities"),
    ("tasks", "tasks"),
    ("orders", "orders"),
];

/// The other tables with a contact column, and what a merge does with their rows instead
/// (the conformance suite checks that every such table is in one of the two lists).
pub const MERGE_LEAVES: &[(&str, &str)] = &[
    (
        "contacts",
        "the others are deleted, the kept one takes the merged fields",
    ),
    (
        "contact_scores",
        "the others' go; the kept one is scored again from its whole timeline",
    ),
    (
        "contact_values",
        "the others' go; the values job computes the kept one's again",
    ),
    (
        "contact_tags",
        "the kept record holds every tag any of them held, each once",
    ),
    (
        "journeys",
        "derived again for the kept one from everything it now holds",
    ),
    (
        "journey_changes",
        "marks for the report feed, written by the journeys' triggers",
    ),
    (
        "erasures",
        "records of erased contacts, which cannot be merged",
    ),
    (
        "notifications",
        "follow the person to the kept record (MERGE_FOLLOWS), not counted in the preview",
    ),
    (
        "outbox",
        "follow the person to the kept record (MERGE_FOLLOWS), not counted in the preview",
    ),
];

/// Tables whose rows about the person follow them to the kept record without being part of
/// the preview: what users were told about them, and the e-mails saying it.
pub const MERGE_FOLLOWS: &[&str] = &["notifications", "outbox"];

/// A planned merge (`closer_domain::contact::merge::plan_merge`), ready to write.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactMerge {
    /// The surviving record as planned, `updated_at` the merge's time.
    pub merged: Contact,
    /// The records merged into it, gone afterwards.
    pub others: Vec<ContactId>,
    /// Every record's `updated_at` as the plan read it: the merge writes nothing unless all
    /// are still as read.
    pub read: Vec<(ContactId, Timestamp)>,
    /// The record whose open stage row stays open (the merged stage's).
    pub stage_from: ContactId,
    /// The `merged` event on the surviving record's timeline.
    pub event: NewEvent,
}

#[async_trait]
pub trait MergeStore {
    /// How many rows of `others` a merge would move to the kept record.
    async fn merge_moves(&self, ws: WorkspaceId, others: &[ContactId])
    -> Result<Moves, StoreError>;

    /// In one transaction: writes the merged record, moves every row of the others to it
    /// (identities, external ids, visitors, timeline, traffic, stage history, deals,
    /// activities, tasks, orders), records the `merged` event, deletes the others and
    /// records where each went, and derives the survivor's journey and deals' paths from
    /// everything it now holds. `NotFound`, with nothing written, when a record is gone or
    /// changed since it was read.
    async fn merge_contacts(&self, merge: &ContactMerge) -> Result<(), StoreError>;

    /// The record a merged-away id went into (the latest survivor), if it was merged.
    async fn merged_into(
        &self,
        ws: WorkspaceId,
        id: ContactId,
    ) -> Result<Option<ContactId>, StoreError>;
}
