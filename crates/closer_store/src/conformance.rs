//! The conformance suite: one set of behavioural tests every storage adapter must pass.
//!
//! Adapters run it from their own tests with `closer_store::conformance_tests!(factory)`, where
//! `factory` is an async fn returning `Option<Fixture>` (`None` = backend unavailable, already
//! reported). This suite is what makes runtime-bound SQL safe: every store method is exercised
//! here on every engine.

mod bulk;
mod companies;
mod contacts;
mod contacts_list;
mod duplicates;
mod imports;
mod journey_feed;
mod merge;
mod notify;
mod person;
mod pipeline;
mod qualification;
mod reminders;
mod reports;
mod search;
mod sessions;
mod setup;
mod tags;
mod traffic;
mod values;
mod work;

pub use bulk::*;
pub use companies::*;
pub use contacts::*;
pub use contacts_list::*;
pub use duplicates::*;
pub use imports::*;
pub use journey_feed::*;
pub use merge::*;
pub use notify::*;
pub use person::*;
pub use pipeline::*;
pub use qualification::*;
pub use reminders::*;
pub use reports::*;
pub use search::*;
pub use sessions::*;
pub use setup::*;
pub use tags::*;
pub use traffic::*;
pub use values::*;
pub use work::*;

use std::any::Any;
use std::sync::Arc;

use closer_domain::{Slug, Timestamp, WorkspaceId};

use crate::{Store, Workspace};

/// A store under test and whatever keeps its database alive (dropped after the test).
pub struct Fixture {
    pub store: Arc<dyn Store>,
    pub guard: Box<dyn Any + Send>,
}

/// A fresh workspace with a unique slug.
pub async fn workspace(store: &dyn Store, prefix: &str) -> WorkspaceId {
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let ws = Workspace {
        id: WorkspaceId::new(),
        slug: Slug::parse(&format!("{prefix}-{}", &suffix[..12])).unwrap(),
        name: prefix.to_owned(),
        default_region: None,
        created_at: Timestamp::now(),
    };
    store.create_workspace(&ws).await.unwrap();
    ws.id
}

/// Generates one `#[tokio::test]` per conformance case for an adapter.
#[macro_export]
macro_rules! conformance_tests {
    ($factory:path) => {
        $crate::conformance_tests!(@each $factory;
            workspaces_round_trip, tokens_round_trip, users_round_trip, forms_round_trip,
            upsert_creates_a_lead_with_history_and_event, upsert_dedupes_by_email_and_phone,
            upsert_overwrite_replaces, upsert_keeps_foreign_identities_apart,
            concurrent_upserts_of_one_new_email_make_one_contact,
            concurrent_stage_moves_keep_a_consistent_history, failing_write_leaves_concurrent_writes_intact,
            patch_changes_fields_and_records_stage_history, patch_conflict_writes_nothing, bulk_patches_apply_to_all_or_none,
            owner_must_belong_to_the_workspace, erase_removes_personal_data,
            workspaces_never_see_each_other, list_filters, list_pages_cover_every_row_once,
            list_sorts_by_updated, sites_round_trip, hits_become_sessions_and_aggregates,
            a_visitor_becomes_a_contact_with_their_history, daily_salts_are_shared_and_rotated,
            every_channel_with_visitors_is_in_the_breakdown,
            a_late_hit_moves_the_session_start, rules_and_scores_round_trip,
            stale_scores_are_those_missing_events,
            tracked_hits_of_contacts_are_reported_and_timelines_read_in_bulk,
            rule_moves_apply_only_from_the_expected_stage,
            pipelines_default_once_and_edits_keep_deals,
            a_deal_goes_from_open_to_won_with_an_order_and_history,
            concurrent_moves_of_a_deal_keep_every_history_row,
            activities_tasks_and_orders_round_trip,
            corrections_and_deletions_keep_what_follows,
            properties_are_defined_once_and_deals_keep_theirs,
            property_breakdowns_read_each_type_alike,
            lists_filter_by_scores_sources_properties_and_activity,
            a_hit_racing_its_visitor_link_still_reaches_the_contact,
            journeys_follow_every_write_and_reports_read_them, deal_paths_follow_late_links_and_activities,
            the_journey_feed_brings_every_change_since_its_mark,
            sign_in_state_and_sessions_round_trip, concurrent_claims_give_a_contact_one_owner,
            a_bulk_load_leaves_what_the_row_paths_leave, purchases_keep_their_revenue,
            customer_values_sort_lists_and_stay_in_their_workspace,
            companies_hold_their_domains_and_their_people,
            concurrent_creations_naming_one_domain_make_one_company,
            an_import_batch_is_written_whole_or_not_at_all,
            import_jobs_report_their_progress_and_keep_their_rejected_rows,
            every_table_of_contact_data_is_in_the_export_list,
            every_table_of_contact_data_is_merged_or_left,
            merging_moves_everything_to_the_kept_record,
            possible_duplicates_are_recorded_found_and_dismissed,
            search_finds_by_word_starts_and_phone,
            notices_ride_with_their_write_and_the_outbox_is_claimed_once,
            reminders_are_told_once_per_moment,
            tags_and_views_round_trip);
    };
    (@each $factory:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(fixture) = $factory().await else { return };
                $crate::conformance::$name(fixture.store.clone()).await;
                drop(fixture);
            }
        )*
    };
}
