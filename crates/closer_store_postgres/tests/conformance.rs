//! The storage conformance suite on PostgreSQL (skipped loudly when unreachable, except in CI).

use std::sync::Arc;

use closer_store::conformance::Fixture;
use closer_store_postgres::testing::test_store;

async fn fixture() -> Option<Fixture> {
    let (store, guard) = test_store().await?;
    Some(Fixture {
        store: Arc::new(store),
        guard: Box::new(guard),
    })
}

closer_store::conformance_tests!(fixture);
