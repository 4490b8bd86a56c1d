//! The one list of migrations: version and name, in order. Each adapter keeps a file
//! `migrations/{version:04}_{name}.sql` per entry in its engine's SQL (they differ in types,
//! triggers and functions), and takes the list with the SQL by `migrations!()` from its
//! `src/` folder, so a migration cannot be added to one engine and forgotten in the other:
//! the build fails on the missing file.

/// `&[(version, name, sql)]`, in order, the SQL read from `../migrations/` next to the file
/// that invokes it.
#[macro_export]
macro_rules! migrations {
    () => {
        &[
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
            (
                15,
                "contact_values",
                include_str!("../migrations/0015_contact_values.sql"),
            ),
            (
                16,
                "companies",
                include_str!("../migrations/0016_companies.sql"),
            ),
            (
                17,
                "external_ids",
                include_str!("../migrations/0017_external_ids.sql"),
            ),
            (
                18,
                "import_jobs",
                include_str!("../migrations/0018_import_jobs.sql"),
            ),
            (
                19,
                "contact_merges",
                include_str!("../migrations/0019_contact_merges.sql"),
            ),
            (
                20,
                "possible_duplicates",
                include_str!("../migrations/0020_possible_duplicates.sql"),
            ),
            (
                21,
                "import_journeys",
                include_str!("../migrations/0021_import_journeys.sql"),
            ),
            (22, "search", include_str!("../migrations/0022_search.sql")),
            (
                23,
                "notifications",
                include_str!("../migrations/0023_notifications.sql"),
            ),
            (
                24,
                "reminders",
                include_str!("../migrations/0024_reminders.sql"),
            ),
            (
                25,
                "tags_and_views",
                include_str!("../migrations/0025_tags_and_views.sql"),
            ),
            (26, "edits", include_str!("../migrations/0026_edits.sql")),
            (
                27,
                "properties",
                include_str!("../migrations/0027_properties.sql"),
            ),
        ]
    };
}
