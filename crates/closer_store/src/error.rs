//! `StoreError`: what a storage port can report, independent of the engine behind it.
//!
//! Adapters map engine errors here: missing rows → `NotFound`; unique, foreign-key and check
//! violations → `Conflict` with the constraint's name (migrations name every constraint);
//! lost connections, pool time-outs and busy databases → `Unavailable`; anything else
//! → `Internal`, whose text is logged by the web layer and never shown to a client.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict on {constraint}")]
    Conflict { constraint: String },
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Internal(String),
}

impl StoreError {
    pub fn is_conflict_on(&self, name: &str) -> bool {
        matches!(self, StoreError::Conflict { constraint } if constraint == name)
    }
}
