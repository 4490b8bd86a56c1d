//! The kit's `Engine` on SQLite: statements read on the read pool, written by the writer
//! thread (each its own savepoint in the next group commit).

use async_trait::async_trait;
use closer_store::StoreError;
use closer_store_sql::{Decoder, Dialect, Engine, Sql, Step};

use crate::SqliteStore;
use crate::error::rs_err;
use crate::read::{all, params};
use crate::rows::Cols;

// Workspaces, tokens, users, forms, sessions, and the reads of contacts, scores, deals, work
// and traffic: their statements are the kit's, run by this `Engine`.
closer_store_sql::shared_ports!(crate::SqliteStore);

#[async_trait]
impl Engine for SqliteStore {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    async fn fetch<T: Send + 'static>(
        &self,
        sql: Sql,
        decode: Decoder<T>,
    ) -> Result<Vec<T>, StoreError> {
        self.read(move |c| all(c, &sql.text, params(&sql), |r| decode(&Cols(r))))
            .await
    }

    async fn execute(&self, sql: Sql) -> Result<u64, StoreError> {
        self.writer
            .write(move |c| {
                c.prepare_cached(&sql.text)
                    .and_then(|mut s| s.execute(params(&sql)))
                    .map(|n| n as u64)
                    .map_err(rs_err)
            })
            .await
    }

    /// One job of the writer: a failed step rolls back the job's savepoint.
    async fn transaction(&self, steps: Vec<Step>) -> Result<(), StoreError> {
        self.writer
            .write(move |c| {
                for step in &steps {
                    let changed = c
                        .prepare_cached(&step.sql.text)
                        .and_then(|mut s| s.execute(params(&step.sql)))
                        .map_err(rs_err)?;
                    if step.must_change && changed == 0 {
                        return Err(StoreError::NotFound);
                    }
                }
                Ok(())
            })
            .await
    }
}
