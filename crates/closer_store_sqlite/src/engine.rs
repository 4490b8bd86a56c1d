//! The kit's `Engine` on SQLite: statements read on the read pool, written by the writer
//! thread (each its own savepoint in the next group commit).

use async_trait::async_trait;
use closer_store::StoreError;
use closer_store_sql::{Decoder, Dialect, Engine, Sql};

use crate::SqliteStore;
use crate::error::rs_err;
use crate::read::{all, params};
use crate::rows::Cols;

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
}
