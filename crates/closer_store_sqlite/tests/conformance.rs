//! The storage conformance suite on SQLite.

use std::sync::Arc;

use closer_store::conformance::Fixture;
use closer_store_sqlite::testing::temp_store;

async fn fixture() -> Option<Fixture> {
    let (store, guard) = temp_store().await;
    Some(Fixture {
        store: Arc::new(store),
        guard: Box::new(guard),
    })
}

closer_store::conformance_tests!(fixture);
