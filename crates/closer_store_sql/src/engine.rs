//! What a store written once needs from its engine: run a built statement and decode its
//! rows, or run it as one write. Each adapter implements `Engine` for its store (SQLite: the
//! read pool and the writer thread; PostgreSQL: the pool), and the store methods whose SQL the
//! engines share are generic functions over it (`setup_store.rs`, …) that the adapters' port
//! implementations call.
//!
//! Statements that must run together in one transaction, and those whose SQL differs, stay in
//! the adapters.

use async_trait::async_trait;
use closer_store::StoreError;

use crate::{Columns, Dialect, Sql};

/// One statement of a `transaction`.
#[derive(Debug, Clone)]
pub struct Step {
    pub sql: Sql,
    /// The transaction is rolled back (`NotFound`) unless this statement changes a row.
    pub must_change: bool,
}

impl Step {
    pub fn any(sql: Sql) -> Self {
        Self {
            sql,
            must_change: false,
        }
    }

    pub fn must_change(sql: Sql) -> Self {
        Self {
            sql,
            must_change: true,
        }
    }
}

/// Decodes one row (the kit's decoders, `workspace`, `deal`, …, fit).
pub type Decoder<T> = fn(&dyn Columns) -> Result<T, StoreError>;

#[async_trait]
pub trait Engine: Send + Sync {
    fn dialect(&self) -> Dialect;

    /// Every row of `sql`, each decoded by `decode`, read in one snapshot.
    async fn fetch<T: Send + 'static>(
        &self,
        sql: Sql,
        decode: Decoder<T>,
    ) -> Result<Vec<T>, StoreError>;

    /// Runs `sql` as one write (its own transaction); how many rows it changed.
    async fn execute(&self, sql: Sql) -> Result<u64, StoreError>;

    /// Runs `steps` in order as one transaction. `NotFound`, with nothing written, when a
    /// step that must change a row changes none.
    async fn transaction(&self, steps: Vec<Step>) -> Result<(), StoreError>;

    /// `Sql::of` in this engine's dialect.
    fn sql(&self, text: &str, params: impl IntoIterator<Item = crate::Param> + Send) -> Sql
    where
        Self: Sized,
    {
        Sql::of(self.dialect(), text, params)
    }

    /// The first row of `sql`, if any.
    async fn fetch_optional<T: Send + 'static>(
        &self,
        sql: Sql,
        decode: Decoder<T>,
    ) -> Result<Option<T>, StoreError> {
        Ok(self.fetch(sql, decode).await?.into_iter().next())
    }

    /// The first row of `sql`; `NotFound` when there is none.
    async fn fetch_one<T: Send + 'static>(
        &self,
        sql: Sql,
        decode: Decoder<T>,
    ) -> Result<T, StoreError> {
        self.fetch_optional(sql, decode)
            .await?
            .ok_or(StoreError::NotFound)
    }
}
