//! The possible-duplicates port: pairs of contacts that may be one person, found as captures
//! and imports are written (an email of one, a phone of the other) and by a scan for the
//! same name at the same company; listed for someone to merge or dismiss.

use async_trait::async_trait;
use closer_domain::contact::duplicates::PossibleDuplicate;
use closer_domain::{ContactId, Timestamp, WorkspaceId};

use crate::StoreError;

#[async_trait]
pub trait DuplicateStore {
    /// Records pairs of the same name at the same company among the contacts changed since
    /// the last scan (all of them the first time), and marks this one.
    async fn scan_duplicates(&self, ws: WorkspaceId, now: Timestamp) -> Result<(), StoreError>;

    /// The pairs nobody merged or dismissed, the latest found first.
    async fn possible_duplicates(
        &self,
        ws: WorkspaceId,
        limit: u32,
    ) -> Result<Vec<PossibleDuplicate>, StoreError>;

    /// "Not the same person": the pair is no longer listed, nor found again. `NotFound` for
    /// a pair that is not recorded (in stored order: `closer_domain::contact::duplicates::pair`).
    async fn dismiss_duplicate(
        &self,
        ws: WorkspaceId,
        pair: (ContactId, ContactId),
        now: Timestamp,
    ) -> Result<(), StoreError>;
}
