//! The import port: what the store holds of the people a batch of imported rows names, and
//! the batch's planned writes (`closer_domain::import::plan`) in one transaction.

use async_trait::async_trait;
use closer_domain::WorkspaceId;
use closer_domain::import::plan::{ContactWrites, Known};

use crate::StoreError;

/// What a batch names: external ids, normalised emails and phones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchKeys {
    pub external_ids: Vec<String>,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    /// The domains of the emails, for the companies they name.
    pub domains: Vec<String>,
}

#[async_trait]
pub trait ImportStore {
    /// Who holds each of the keys, and those contacts as stored, read in one snapshot.
    async fn import_known(&self, ws: WorkspaceId, keys: &BatchKeys) -> Result<Known, StoreError>;

    /// Writes a batch in one transaction: new contacts with their identities, first stage
    /// row and `stage_changed` event (at their creation time); changed contacts, each only if
    /// it is still as read (`NotFound` otherwise, with nothing written); stage moves; external
    /// ids; and the company link of every contact written that has none, by its emails'
    /// domains. `Conflict` (nothing written) when an email, phone or external id was taken
    /// meanwhile: the caller reads and plans the batch again.
    async fn write_contact_import(&self, writes: &ContactWrites) -> Result<(), StoreError>;
}
