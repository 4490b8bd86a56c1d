//! The search port: contacts, companies and deals whose words start with every word typed
//! (`closer_domain::search::SearchQuery`), or contacts with a phone starting with what was
//! typed, found through full-text indexes the writes keep (FTS5 on SQLite, a GIN index of
//! `tsvector`s on PostgreSQL).

use async_trait::async_trait;
use closer_domain::pipeline::Deal;
use closer_domain::search::SearchQuery;
use closer_domain::{Company, Contact, UserId, WorkspaceId};

use crate::StoreError;

/// Which records of a kind a search may return, as the role table reaches them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchReach {
    /// None of them: the kind is not searched.
    Nobody,
    Everyone,
    /// Those `UserId` owns; for contacts also the unassigned ones (the queue's, which any
    /// seller may open).
    Owner(UserId),
}

/// One search: the query, how many of each kind at most, and how far each kind reaches.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub query: SearchQuery,
    pub per_kind: u32,
    pub contacts: SearchReach,
    pub companies: SearchReach,
    pub deals: SearchReach,
}

/// What a search found, by kind: contacts whose phone starts with the number typed first,
/// then the latest added first.
#[derive(Debug, Clone, Default)]
pub struct SearchHits {
    pub contacts: Vec<Contact>,
    pub companies: Vec<Company>,
    pub deals: Vec<Deal>,
}

#[async_trait]
pub trait SearchStore {
    async fn search(
        &self,
        ws: WorkspaceId,
        request: &SearchRequest,
    ) -> Result<SearchHits, StoreError>;
}
