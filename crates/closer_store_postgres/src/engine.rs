//! The kit's `Engine` on PostgreSQL: each statement on the pool, a write in its own implicit
//! transaction.

use async_trait::async_trait;
use closer_store::StoreError;
use closer_store_sql::{Decoder, Dialect, Engine, Sql};

use crate::PostgresStore;
use crate::error::db_err;
use crate::rows::{Cols, query};

#[async_trait]
impl Engine for PostgresStore {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    async fn fetch<T: Send + 'static>(
        &self,
        sql: Sql,
        decode: Decoder<T>,
    ) -> Result<Vec<T>, StoreError> {
        let rows = query(&sql).fetch_all(&self.pool).await.map_err(db_err)?;
        rows.iter().map(|r| decode(&Cols(r))).collect()
    }

    async fn execute(&self, sql: Sql) -> Result<u64, StoreError> {
        let done = query(&sql).execute(&self.pool).await.map_err(db_err)?;
        Ok(done.rows_affected())
    }
}
