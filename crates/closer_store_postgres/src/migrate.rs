//! Embedded migrations. Same version numbers and names as the SQLite adapter (a test in
//! the `closer` crate asserts it); sqlx's migrator records them in `_sqlx_migrations`.

use std::borrow::Cow;

use closer_store::StoreError;
use sqlx::PgPool;
use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

/// `(version, name, sql)`, in order.
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "foundation",
        include_str!("../migrations/0001_foundation.sql"),
    ),
    (2, "traffic", include_str!("../migrations/0002_traffic.sql")),
    (
        3,
        "qualification",
        include_str!("../migrations/0003_qualification.sql"),
    ),
    (
        4,
        "score_index",
        include_str!("../migrations/0004_score_index.sql"),
    ),
    (
        5,
        "pipeline",
        include_str!("../migrations/0005_pipeline.sql"),
    ),
    (6, "reports", include_str!("../migrations/0006_reports.sql")),
    (7, "web", include_str!("../migrations/0007_web.sql")),
    (
        8,
        "journey_updates",
        include_str!("../migrations/0008_journey_updates.sql"),
    ),
    (
        9,
        "deal_paths",
        include_str!("../migrations/0009_deal_paths.sql"),
    ),
    (
        10,
        "report_indexes",
        include_str!("../migrations/0010_report_indexes.sql"),
    ),
    (
        11,
        "journey_feed",
        include_str!("../migrations/0011_journey_feed.sql"),
    ),
    (
        12,
        "deal_feed",
        include_str!("../migrations/0012_deal_feed.sql"),
    ),
    (
        13,
        "order_indexes",
        include_str!("../migrations/0013_order_indexes.sql"),
    ),
    (
        14,
        "capture_write",
        include_str!("../migrations/0014_capture_write.sql"),
    ),
];

pub(crate) async fn run(pool: &PgPool) -> Result<(), StoreError> {
    let migrations = MIGRATIONS
        .iter()
        .map(|(version, name, sql)| {
            Migration::new(
                *version,
                Cow::Borrowed(*name),
                MigrationType::Simple,
                sql.into_sql_str(),
                false,
            )
        })
        .collect();
    Migrator::with_migrations(migrations)
        .run(pool)
        .await
        .map_err(|e| {
            StoreError::Unavailable(format!("migrating the PostgreSQL database failed: {e}"))
        })
}
