//! The kit's `Engine` on PostgreSQL: each statement on the pool, a write in its own implicit
//! transaction.

use async_trait::async_trait;
use closer_store::StoreError;
use closer_store_sql::{Decoder, Dialect, Engine, Sql, Step};

use crate::PostgresStore;
use crate::error::db_err;
use crate::rows::{Cols, query};

// Workspaces, tokens, users, forms, sessions, and the reads of contacts, scores, deals, work
// and traffic: their statements are the kit's, run by this `Engine`.
closer_store_sql::shared_ports!(crate::PostgresStore);

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

    /// A dropped transaction rolls back.
    async fn transaction(&self, steps: Vec<Step>) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        for step in &steps {
            let changed = query(&step.sql)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
            if step.must_change && changed == 0 {
                return Err(StoreError::NotFound);
            }
        }
        tx.commit().await.map_err(db_err)
    }
}
