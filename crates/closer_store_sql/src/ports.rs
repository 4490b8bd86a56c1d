//! The ports whose statements are the same on every SQL engine, implemented once for an
//! adapter's store by `shared_ports!` over its `Engine`: workspaces, tokens, users, forms,
//! sessions, and the reads of contacts, scores, deals, work and traffic (`*_store.rs`).

/// The names the ports' signatures use, for `shared_ports!`.
#[doc(hidden)]
pub mod names {
    pub use closer_domain::pipeline::{
        Activity, ActivityId, Deal, DealId, LossReason, Order, PipelineId, Task, TaskId,
    };
    pub use closer_domain::{
        Company, CompanyId, Contact, ContactId, Domain, Email, Event, FormId, FormKey, Slug,
        Timestamp, TokenId, UserId, WorkspaceId,
    };
    pub use closer_store::*;
}

/// Implements the shared ports for `$store`, which implements `Engine`.
#[macro_export]
macro_rules! shared_ports {
    ($store:ty) => {
        const _: () = {
            use $crate::ports::names::*;

            #[$crate::async_trait]
            impl ContactReads for $store {
                async fn contact_events(
                    &self,
                    workspace: WorkspaceId,
                    id: ContactId,
                    limit: u32,
                    before: Option<Cursor>,
                ) -> Result<Vec<Event>, StoreError> {
                    $crate::timeline::contact_events(self, workspace, id, limit, before).await
                }
                async fn contact(
                    &self,
                    workspace: WorkspaceId,
                    id: ContactId,
                ) -> Result<Contact, StoreError> {
                    $crate::contacts_store::contact(self, workspace, id).await
                }
                async fn contacts_by_id(
                    &self,
                    workspace: WorkspaceId,
                    ids: &[ContactId],
                ) -> Result<Vec<Contact>, StoreError> {
                    $crate::contacts_store::contacts_by_id(self, workspace, ids).await
                }
                async fn list_contacts(
                    &self,
                    workspace: WorkspaceId,
                    query: &ContactQuery,
                ) -> Result<Page<Contact>, StoreError> {
                    $crate::contacts_store::list_contacts(self, workspace, query).await
                }
                async fn count_matching(
                    &self,
                    workspace: WorkspaceId,
                    query: &ContactQuery,
                    cap: u64,
                ) -> Result<u64, StoreError> {
                    $crate::contacts_store::count_matching(self, workspace, query, cap).await
                }
                async fn count_contacts(&self, workspace: WorkspaceId) -> Result<u64, StoreError> {
                    $crate::contacts_store::count_contacts(self, workspace).await
                }
                async fn stage_history(
                    &self,
                    workspace: WorkspaceId,
                    id: ContactId,
                ) -> Result<Vec<StageSpan>, StoreError> {
                    $crate::contacts_store::stage_history(self, workspace, id).await
                }
            }

            #[$crate::async_trait]
            impl RulesStore for $store {
                async fn rules_source(
                    &self,
                    workspace: WorkspaceId,
                ) -> Result<Option<String>, StoreError> {
                    $crate::scores_store::rules_source(self, workspace).await
                }
                async fn put_rules_source(
                    &self,
                    workspace: WorkspaceId,
                    source: &str,
                    now: Timestamp,
                ) -> Result<(), StoreError> {
                    $crate::scores_store::put_rules_source(self, workspace, source, now).await
                }
            }

            #[$crate::async_trait]
            impl TagStore for $store {
                async fn retag(
                    &self,
                    workspace: WorkspaceId,
                    kind: Tagged,
                    ids: &[uuid::Uuid],
                    add: &[closer_domain::tag::Tag],
                    remove: &[closer_domain::tag::Tag],
                    now: Timestamp,
                ) -> Result<(), StoreError> {
                    $crate::tags_store::retag(self, workspace, kind, ids, add, remove, now).await
                }
                async fn tags_of(
                    &self,
                    workspace: WorkspaceId,
                    kind: Tagged,
                    ids: &[uuid::Uuid],
                ) -> Result<Vec<(uuid::Uuid, closer_domain::tag::Tag)>, StoreError> {
                    $crate::tags_store::tags_of(self, workspace, kind, ids).await
                }
                async fn workspace_tags(
                    &self,
                    workspace: WorkspaceId,
                    kind: Tagged,
                ) -> Result<Vec<(closer_domain::tag::Tag, u64)>, StoreError> {
                    $crate::tags_store::workspace_tags(self, workspace, kind).await
                }
                async fn create_view(&self, view: &SavedView) -> Result<(), StoreError> {
                    $crate::tags_store::create_view(self, view).await
                }
                async fn views(
                    &self,
                    workspace: WorkspaceId,
                    user: Option<UserId>,
                    list: closer_domain::tag::ViewOf,
                ) -> Result<Vec<SavedView>, StoreError> {
                    $crate::tags_store::views(self, workspace, user, list).await
                }
                async fn view(
                    &self,
                    workspace: WorkspaceId,
                    id: uuid::Uuid,
                ) -> Result<SavedView, StoreError> {
                    $crate::tags_store::view(self, workspace, id).await
                }
                async fn delete_view(
                    &self,
                    workspace: WorkspaceId,
                    id: uuid::Uuid,
                ) -> Result<(), StoreError> {
                    $crate::tags_store::delete_view(self, workspace, id).await
                }
            }

            #[$crate::async_trait]
            impl ReminderStore for $store {
                async fn reminders(
                    &self,
                    workspace: WorkspaceId,
                ) -> Result<closer_domain::reminders::Reminders, StoreError> {
                    $crate::reminders_store::reminders(self, workspace).await
                }
                async fn set_reminders(
                    &self,
                    workspace: WorkspaceId,
                    reminders: closer_domain::reminders::Reminders,
                ) -> Result<(), StoreError> {
                    $crate::reminders_store::set_reminders(self, workspace, reminders).await
                }
                async fn untold_tasks(
                    &self,
                    kind: closer_domain::notify::NoticeKind,
                    after: Timestamp,
                    until: Timestamp,
                    limit: u32,
                ) -> Result<Vec<closer_domain::reminders::DueTask>, StoreError> {
                    $crate::reminders_store::untold_tasks(self, kind, after, until, limit).await
                }
                async fn untold_idle_deals(
                    &self,
                    workspace: WorkspaceId,
                    after: Timestamp,
                    until: Timestamp,
                    limit: u32,
                ) -> Result<Vec<closer_domain::reminders::IdleDeal>, StoreError> {
                    $crate::reminders_store::untold_idle_deals(self, workspace, after, until, limit)
                        .await
                }
                async fn untold_digests(
                    &self,
                    workspace: WorkspaceId,
                    day: Timestamp,
                ) -> Result<Vec<UserId>, StoreError> {
                    $crate::reminders_store::untold_digests(self, workspace, day).await
                }
                async fn tasks_due_before(
                    &self,
                    workspace: WorkspaceId,
                    user: UserId,
                    before: Timestamp,
                    limit: u32,
                ) -> Result<Vec<closer_domain::reminders::DueTask>, StoreError> {
                    $crate::reminders_store::tasks_due_before(self, workspace, user, before, limit)
                        .await
                }
                async fn tell_once(
                    &self,
                    mark: &closer_domain::reminders::NoticeMark,
                    notices: &[closer_domain::notify::Notice],
                ) -> Result<bool, StoreError> {
                    $crate::reminders_store::tell_once(self, mark, notices).await
                }
            }

            #[$crate::async_trait]
            impl NotificationStore for $store {
                async fn notifications(
                    &self,
                    workspace: WorkspaceId,
                    user: UserId,
                    unread_only: bool,
                    limit: u32,
                ) -> Result<Vec<closer_domain::notify::Notification>, StoreError> {
                    $crate::notify_store::notifications(self, workspace, user, unread_only, limit)
                        .await
                }
                async fn notification(
                    &self,
                    workspace: WorkspaceId,
                    user: UserId,
                    id: uuid::Uuid,
                ) -> Result<closer_domain::notify::Notification, StoreError> {
                    $crate::notify_store::notification(self, workspace, user, id).await
                }
                async fn unread_count(
                    &self,
                    workspace: WorkspaceId,
                    user: UserId,
                ) -> Result<u64, StoreError> {
                    $crate::notify_store::unread_count(self, workspace, user).await
                }
                async fn mark_read(
                    &self,
                    workspace: WorkspaceId,
                    user: UserId,
                    id: Option<uuid::Uuid>,
                    now: Timestamp,
                ) -> Result<(), StoreError> {
                    $crate::notify_store::mark_read(self, workspace, user, id, now).await
                }
                async fn delivery_choices(
                    &self,
                    workspace: WorkspaceId,
                    user: UserId,
                ) -> Result<
                    Vec<(
                        closer_domain::notify::NoticeKind,
                        closer_domain::notify::Delivery,
                    )>,
                    StoreError,
                > {
                    $crate::notify_store::delivery_choices(self, workspace, user).await
                }
                async fn set_delivery(
                    &self,
                    workspace: WorkspaceId,
                    user: UserId,
                    kind: closer_domain::notify::NoticeKind,
                    delivery: closer_domain::notify::Delivery,
                ) -> Result<(), StoreError> {
                    $crate::notify_store::set_delivery(self, workspace, user, kind, delivery).await
                }
                async fn claim_outbox(
                    &self,
                    now: Timestamp,
                    lease: std::time::Duration,
                    limit: u32,
                ) -> Result<Vec<OutboxItem>, StoreError> {
                    $crate::notify_store::claim_outbox(self, now, lease, limit).await
                }
                async fn outbox_done(
                    &self,
                    id: uuid::Uuid,
                    now: Timestamp,
                ) -> Result<(), StoreError> {
                    $crate::notify_store::outbox_done(self, id, now).await
                }
                async fn outbox_failed(
                    &self,
                    id: uuid::Uuid,
                    error: &str,
                    retry_at: Option<Timestamp>,
                    now: Timestamp,
                ) -> Result<(), StoreError> {
                    $crate::notify_store::outbox_failed(self, id, error, retry_at, now).await
                }
                async fn purge_outbox(&self, before: Timestamp) -> Result<u64, StoreError> {
                    $crate::notify_store::purge_outbox(self, before).await
                }
            }

            #[$crate::async_trait]
            impl SearchStore for $store {
                async fn search(
                    &self,
                    workspace: WorkspaceId,
                    request: &SearchRequest,
                ) -> Result<SearchHits, StoreError> {
                    $crate::search_store::search(self, workspace, request).await
                }
            }

            #[$crate::async_trait]
            impl DuplicateStore for $store {
                async fn scan_duplicates(
                    &self,
                    workspace: WorkspaceId,
                    now: Timestamp,
                ) -> Result<(), StoreError> {
                    $crate::duplicates_store::scan_duplicates(self, workspace, now).await
                }
                async fn possible_duplicates(
                    &self,
                    workspace: WorkspaceId,
                    limit: u32,
                ) -> Result<Vec<closer_domain::contact::duplicates::PossibleDuplicate>, StoreError>
                {
                    $crate::duplicates_store::possible_duplicates(self, workspace, limit).await
                }
                async fn dismiss_duplicate(
                    &self,
                    workspace: WorkspaceId,
                    pair: (ContactId, ContactId),
                    now: Timestamp,
                ) -> Result<(), StoreError> {
                    $crate::duplicates_store::dismiss_duplicate(self, workspace, pair, now).await
                }
            }

            #[$crate::async_trait]
            impl MergeStore for $store {
                async fn merge_moves(
                    &self,
                    workspace: WorkspaceId,
                    others: &[ContactId],
                ) -> Result<closer_domain::contact::merge::Moves, StoreError> {
                    $crate::merge_store::merge_moves(self, workspace, others).await
                }
                async fn merge_contacts(&self, merge: &ContactMerge) -> Result<(), StoreError> {
                    $crate::merge_store::merge_contacts(self, merge).await
                }
                async fn merged_into(
                    &self,
                    workspace: WorkspaceId,
                    id: ContactId,
                ) -> Result<Option<ContactId>, StoreError> {
                    $crate::merge_store::merged_into(self, workspace, id).await
                }
            }

            #[$crate::async_trait]
            impl ImportStore for $store {
                async fn import_known(
                    &self,
                    workspace: WorkspaceId,
                    keys: &BatchKeys,
                ) -> Result<closer_domain::import::plan::Known, StoreError> {
                    $crate::import_store::import_known(self, workspace, keys).await
                }
                async fn write_contact_import(
                    &self,
                    writes: &closer_domain::import::plan::ContactWrites,
                ) -> Result<(), StoreError> {
                    $crate::import_store::write_contact_import(self, writes).await
                }
                async fn existing_orders(
                    &self,
                    workspace: WorkspaceId,
                    ids: &[closer_domain::pipeline::OrderId],
                ) -> Result<Vec<closer_domain::pipeline::OrderId>, StoreError> {
                    $crate::import_store::existing_orders(self, workspace, ids).await
                }
                async fn create_import_job(
                    &self,
                    job: &closer_domain::import::job::ImportJob,
                ) -> Result<(), StoreError> {
                    $crate::import_jobs_store::create_import_job(self, job).await
                }
                async fn report_import_job(
                    &self,
                    job: &closer_domain::import::job::ImportJob,
                ) -> Result<(), StoreError> {
                    $crate::import_jobs_store::report_import_job(self, job).await
                }
                async fn add_import_rejects(
                    &self,
                    workspace: WorkspaceId,
                    job: closer_domain::ImportJobId,
                    rows: &[closer_domain::import::job::Rejected],
                ) -> Result<(), StoreError> {
                    $crate::import_jobs_store::add_import_rejects(self, workspace, job, rows).await
                }
                async fn import_job(
                    &self,
                    workspace: WorkspaceId,
                    id: closer_domain::ImportJobId,
                ) -> Result<closer_domain::import::job::ImportJob, StoreError> {
                    $crate::import_jobs_store::import_job(self, workspace, id).await
                }
                async fn import_jobs(
                    &self,
                    workspace: WorkspaceId,
                    limit: u32,
                ) -> Result<Vec<closer_domain::import::job::ImportJob>, StoreError> {
                    $crate::import_jobs_store::import_jobs(self, workspace, limit).await
                }
                async fn import_rejects(
                    &self,
                    workspace: WorkspaceId,
                    job: closer_domain::ImportJobId,
                    after_line: u64,
                    limit: u32,
                ) -> Result<Vec<closer_domain::import::job::Rejected>, StoreError> {
                    $crate::import_jobs_store::import_rejects(
                        self, workspace, job, after_line, limit,
                    )
                    .await
                }
                async fn forget_import_jobs(&self, before: Timestamp) -> Result<u64, StoreError> {
                    $crate::import_jobs_store::forget_import_jobs(self, before).await
                }
            }

            #[$crate::async_trait]
            impl CompanyStore for $store {
                async fn create_company(
                    &self,
                    workspace: WorkspaceId,
                    company: &Company,
                ) -> Result<(), StoreError> {
                    $crate::companies_store::create_company(self, workspace, company).await
                }
                async fn company(
                    &self,
                    workspace: WorkspaceId,
                    id: CompanyId,
                ) -> Result<Company, StoreError> {
                    $crate::companies_store::company(self, workspace, id).await
                }
                async fn companies_by_id(
                    &self,
                    workspace: WorkspaceId,
                    ids: &[CompanyId],
                ) -> Result<Vec<Company>, StoreError> {
                    $crate::companies_store::companies_by_id(self, workspace, ids).await
                }
                async fn list_companies(
                    &self,
                    workspace: WorkspaceId,
                    query: &CompanyQuery,
                ) -> Result<Page<Company>, StoreError> {
                    $crate::companies_store::list_companies(self, workspace, query).await
                }
                async fn save_company(
                    &self,
                    workspace: WorkspaceId,
                    company: &Company,
                ) -> Result<(), StoreError> {
                    $crate::companies_store::save_company(self, workspace, company).await
                }
                async fn delete_company(
                    &self,
                    workspace: WorkspaceId,
                    id: CompanyId,
                ) -> Result<(), StoreError> {
                    $crate::companies_store::delete_company(self, workspace, id).await
                }
                async fn company_by_domains(
                    &self,
                    workspace: WorkspaceId,
                    domains: &[Domain],
                ) -> Result<Option<CompanyId>, StoreError> {
                    $crate::companies_store::company_by_domains(self, workspace, domains).await
                }
                async fn link_domain(
                    &self,
                    workspace: WorkspaceId,
                    domain: &Domain,
                    company: CompanyId,
                ) -> Result<u64, StoreError> {
                    $crate::companies_store::link_domain(self, workspace, domain, company).await
                }
                async fn link_contact(
                    &self,
                    workspace: WorkspaceId,
                    contact: ContactId,
                    company: CompanyId,
                ) -> Result<bool, StoreError> {
                    $crate::companies_store::link_contact(self, workspace, contact, company).await
                }
                async fn set_contact_company(
                    &self,
                    workspace: WorkspaceId,
                    contact: ContactId,
                    company: Option<CompanyId>,
                ) -> Result<(), StoreError> {
                    $crate::companies_store::set_contact_company(self, workspace, contact, company)
                        .await
                }
                async fn company_of(
                    &self,
                    workspace: WorkspaceId,
                    contact: ContactId,
                ) -> Result<Option<CompanyId>, StoreError> {
                    $crate::companies_store::company_of(self, workspace, contact).await
                }
                async fn company_contacts(
                    &self,
                    workspace: WorkspaceId,
                    company: CompanyId,
                    limit: u32,
                ) -> Result<Vec<Contact>, StoreError> {
                    $crate::companies_store::company_contacts(self, workspace, company, limit).await
                }
                async fn company_deals(
                    &self,
                    workspace: WorkspaceId,
                    company: CompanyId,
                    limit: u32,
                ) -> Result<Vec<Deal>, StoreError> {
                    $crate::companies_store::company_deals(self, workspace, company, limit).await
                }
                async fn company_orders(
                    &self,
                    workspace: WorkspaceId,
                    company: CompanyId,
                    limit: u32,
                ) -> Result<Vec<Order>, StoreError> {
                    $crate::deals_store::company_orders(self, workspace, company, limit).await
                }
            }

            #[$crate::async_trait]
            impl PersonReads for $store {
                async fn contact_visitors(
                    &self,
                    workspace: WorkspaceId,
                    contact: ContactId,
                ) -> Result<Vec<VisitorLink>, StoreError> {
                    $crate::person_store::contact_visitors(self, workspace, contact).await
                }
                async fn contact_external_ids(
                    &self,
                    workspace: WorkspaceId,
                    contact: ContactId,
                ) -> Result<Vec<String>, StoreError> {
                    $crate::person_store::contact_external_ids(self, workspace, contact).await
                }
                async fn tables_with_contact_column(&self) -> Result<Vec<String>, StoreError> {
                    $crate::person_store::tables_with_contact_column(self).await
                }
            }

            #[$crate::async_trait]
            impl ValueStore for $store {
                async fn put_contact_values(
                    &self,
                    workspace: WorkspaceId,
                    currency: &str,
                    values: &[(ContactId, i64)],
                    at: Timestamp,
                ) -> Result<(), StoreError> {
                    $crate::reports_store::put_contact_values(self, workspace, currency, values, at)
                        .await
                }
                async fn contact_values(
                    &self,
                    workspace: WorkspaceId,
                    ids: &[ContactId],
                ) -> Result<Vec<(ContactId, i64)>, StoreError> {
                    $crate::reports_store::contact_values(self, workspace, ids).await
                }
            }

            #[$crate::async_trait]
            impl ScoreReads for $store {
                async fn score(
                    &self,
                    workspace: WorkspaceId,
                    contact: ContactId,
                ) -> Result<Option<ScoreRecord>, StoreError> {
                    $crate::scores_store::score(self, workspace, contact).await
                }
                async fn stored_hot(
                    &self,
                    workspace: WorkspaceId,
                    owner: Option<OwnerFilter>,
                    limit: u32,
                ) -> Result<Vec<ContactId>, StoreError> {
                    $crate::scores_store::stored_hot(self, workspace, owner, limit).await
                }
                async fn stale_scores(
                    &self,
                    workspace: WorkspaceId,
                    after: Option<ContactId>,
                    now: Timestamp,
                    limit: u32,
                ) -> Result<Vec<ContactId>, StoreError> {
                    $crate::scores_store::stale_scores(self, workspace, after, now, limit).await
                }
                async fn scores(
                    &self,
                    workspace: WorkspaceId,
                    contacts: &[ContactId],
                ) -> Result<Vec<ScoreRecord>, StoreError> {
                    $crate::scores_store::scores(self, workspace, contacts).await
                }
            }

            #[$crate::async_trait]
            impl DealReads for $store {
                async fn loss_reasons(
                    &self,
                    workspace: WorkspaceId,
                ) -> Result<Vec<LossReason>, StoreError> {
                    $crate::deals_store::loss_reasons(self, workspace).await
                }
                async fn deal(
                    &self,
                    workspace: WorkspaceId,
                    id: DealId,
                ) -> Result<Deal, StoreError> {
                    $crate::deals_store::deal(self, workspace, id).await
                }
                async fn list_deals(
                    &self,
                    workspace: WorkspaceId,
                    query: &DealQuery,
                ) -> Result<Vec<Deal>, StoreError> {
                    $crate::deals_store::list_deals(self, workspace, query).await
                }
                async fn deal_history(
                    &self,
                    workspace: WorkspaceId,
                    id: DealId,
                ) -> Result<Vec<DealSpan>, StoreError> {
                    $crate::deals_store::deal_history(self, workspace, id).await
                }
                async fn board(
                    &self,
                    workspace: WorkspaceId,
                    pipeline: PipelineId,
                    per_stage: u32,
                    owner: Option<UserId>,
                ) -> Result<Vec<BoardColumn>, StoreError> {
                    $crate::deals_store::board(self, workspace, pipeline, per_stage, owner).await
                }
                async fn deal_order(
                    &self,
                    workspace: WorkspaceId,
                    deal: DealId,
                ) -> Result<Option<Order>, StoreError> {
                    $crate::deals_store::deal_order(self, workspace, deal).await
                }
            }

            #[$crate::async_trait]
            impl PropertyStore for $store {
                async fn property_defs(
                    &self,
                    workspace: WorkspaceId,
                    of: Option<closer_domain::property::PropertyOf>,
                ) -> Result<Vec<closer_domain::property::PropertyDef>, StoreError> {
                    $crate::properties_store::property_defs(self, workspace, of).await
                }
                async fn define_property(
                    &self,
                    workspace: WorkspaceId,
                    def: &closer_domain::property::PropertyDef,
                ) -> Result<(), StoreError> {
                    $crate::properties_store::define_property(self, workspace, def).await
                }
                async fn update_property(
                    &self,
                    workspace: WorkspaceId,
                    def: &closer_domain::property::PropertyDef,
                ) -> Result<(), StoreError> {
                    $crate::properties_store::update_property(self, workspace, def).await
                }
                async fn delete_property(
                    &self,
                    workspace: WorkspaceId,
                    id: uuid::Uuid,
                ) -> Result<(), StoreError> {
                    $crate::properties_store::delete_property(self, workspace, id).await
                }
            }

            #[$crate::async_trait]
            impl WorkEdits for $store {
                async fn activity(
                    &self,
                    workspace: WorkspaceId,
                    id: ActivityId,
                ) -> Result<Activity, StoreError> {
                    $crate::work_edits::activity(self, workspace, id).await
                }
                async fn edit_activity(
                    &self,
                    workspace: WorkspaceId,
                    activity: &Activity,
                ) -> Result<(), StoreError> {
                    $crate::work_edits::edit_activity(self, workspace, activity).await
                }
                async fn delete_activity(
                    &self,
                    workspace: WorkspaceId,
                    id: ActivityId,
                ) -> Result<(), StoreError> {
                    $crate::work_edits::delete_activity(self, workspace, id).await
                }
                async fn delete_task(
                    &self,
                    workspace: WorkspaceId,
                    id: TaskId,
                ) -> Result<(), StoreError> {
                    $crate::work_edits::delete_task(self, workspace, id).await
                }
                async fn delete_deal(
                    &self,
                    workspace: WorkspaceId,
                    id: DealId,
                ) -> Result<(), StoreError> {
                    $crate::work_edits::delete_deal(self, workspace, id).await
                }
            }

            #[$crate::async_trait]
            impl WorkReads for $store {
                async fn activities(
                    &self,
                    workspace: WorkspaceId,
                    contact: ContactId,
                    limit: u32,
                ) -> Result<Vec<Activity>, StoreError> {
                    $crate::work_store::activities(self, workspace, contact, limit).await
                }
                async fn first_touch(
                    &self,
                    workspace: WorkspaceId,
                    contact: ContactId,
                ) -> Result<Option<Timestamp>, StoreError> {
                    $crate::work_store::first_touch(self, workspace, contact).await
                }
                async fn touches(
                    &self,
                    workspace: WorkspaceId,
                    contacts: &[ContactId],
                ) -> Result<Vec<Touches>, StoreError> {
                    $crate::work_store::touches(self, workspace, contacts).await
                }
                async fn task(
                    &self,
                    workspace: WorkspaceId,
                    id: TaskId,
                ) -> Result<Task, StoreError> {
                    $crate::work_store::task(self, workspace, id).await
                }
                async fn list_tasks(
                    &self,
                    workspace: WorkspaceId,
                    query: &TaskQuery,
                ) -> Result<Vec<Task>, StoreError> {
                    $crate::work_store::list_tasks(self, workspace, query).await
                }
                async fn first_contact_load(
                    &self,
                    workspace: WorkspaceId,
                ) -> Result<Vec<(UserId, u64)>, StoreError> {
                    $crate::work_store::first_contact_load(self, workspace).await
                }
                async fn orders(
                    &self,
                    workspace: WorkspaceId,
                    contact: Option<ContactId>,
                    limit: u32,
                ) -> Result<Vec<Order>, StoreError> {
                    $crate::deals_store::orders(self, workspace, contact, limit).await
                }
                async fn orders_after(
                    &self,
                    workspace: WorkspaceId,
                    after: Option<Cursor>,
                    limit: u32,
                ) -> Result<Vec<Order>, StoreError> {
                    $crate::deals_store::orders_after(self, workspace, after, limit).await
                }
                async fn activities_after(
                    &self,
                    workspace: WorkspaceId,
                    after: Option<Cursor>,
                    limit: u32,
                ) -> Result<Vec<Activity>, StoreError> {
                    $crate::work_store::activities_after(self, workspace, after, limit).await
                }
                async fn tasks_after(
                    &self,
                    workspace: WorkspaceId,
                    after: Option<Cursor>,
                    limit: u32,
                ) -> Result<Vec<Task>, StoreError> {
                    $crate::work_store::tasks_after(self, workspace, after, limit).await
                }
            }

            #[$crate::async_trait]
            impl TrafficReads for $store {
                async fn list_sites(
                    &self,
                    workspace: Option<WorkspaceId>,
                ) -> Result<Vec<Site>, StoreError> {
                    $crate::traffic_store::sites(self, workspace).await
                }
                async fn contact_touches(
                    &self,
                    workspace: WorkspaceId,
                    contact: ContactId,
                ) -> Result<Vec<Touch>, StoreError> {
                    $crate::traffic_store::touches(self, workspace, contact).await
                }
                async fn traffic(
                    &self,
                    workspace: WorkspaceId,
                    query: &TrafficQuery,
                ) -> Result<TrafficAggregates, StoreError> {
                    $crate::traffic_store::aggregates(self, workspace, query).await
                }
            }

            #[$crate::async_trait]
            impl SessionStore for $store {
                async fn set_password(
                    &self,
                    ws: WorkspaceId,
                    user: UserId,
                    hash: &str,
                ) -> Result<(), StoreError> {
                    $crate::sessions_store::set_password(self, ws, user, hash).await
                }
                async fn credentials(&self, email: &Email) -> Result<Vec<Credentials>, StoreError> {
                    $crate::sessions_store::credentials(self, email).await
                }
                async fn reserve_sign_in(
                    &self,
                    ws: WorkspaceId,
                    user: UserId,
                    lock_after: u32,
                    now: Timestamp,
                    lock_until: Timestamp,
                ) -> Result<bool, StoreError> {
                    $crate::sessions_store::reserve_sign_in(
                        self, ws, user, lock_after, now, lock_until,
                    )
                    .await
                }
                async fn create_session(&self, session: &WebSession) -> Result<(), StoreError> {
                    $crate::sessions_store::create_session(self, session).await
                }
                async fn session(
                    &self,
                    id: &str,
                    now: Timestamp,
                ) -> Result<Option<(WebSession, User)>, StoreError> {
                    $crate::sessions_store::session(self, id, now).await
                }
                async fn delete_session(&self, id: &str) -> Result<(), StoreError> {
                    $crate::sessions_store::delete_session(self, id).await
                }
                async fn create_invite(&self, invite: &Invite) -> Result<(), StoreError> {
                    $crate::sessions_store::create_invite(self, invite).await
                }
                async fn invite(
                    &self,
                    id: &str,
                    now: Timestamp,
                ) -> Result<Option<User>, StoreError> {
                    $crate::sessions_store::invite(self, id, now).await
                }
                async fn accept_invite(
                    &self,
                    id: &str,
                    password_hash: &str,
                    now: Timestamp,
                ) -> Result<Option<User>, StoreError> {
                    $crate::sessions_store::accept_invite(self, id, password_hash, now).await
                }
            }

            #[$crate::async_trait]
            impl FormStore for $store {
                async fn create_form(&self, form: &Form) -> Result<(), StoreError> {
                    $crate::setup_store::create_form(self, form).await
                }
                async fn form_by_key(&self, key: &FormKey) -> Result<Option<Form>, StoreError> {
                    $crate::setup_store::form_by_key(self, key).await
                }
                async fn form(
                    &self,
                    workspace: WorkspaceId,
                    id: FormId,
                ) -> Result<Form, StoreError> {
                    $crate::setup_store::form(self, workspace, id).await
                }
                async fn list_forms(
                    &self,
                    workspace: WorkspaceId,
                ) -> Result<Vec<Form>, StoreError> {
                    $crate::setup_store::list_forms(self, workspace).await
                }
            }

            #[$crate::async_trait]
            impl WorkspaceStore for $store {
                async fn create_workspace(&self, workspace: &Workspace) -> Result<(), StoreError> {
                    $crate::setup_store::create_workspace(self, workspace).await
                }
                async fn ensure_workspace(
                    &self,
                    workspace: &Workspace,
                ) -> Result<Workspace, StoreError> {
                    $crate::setup_store::ensure_workspace(self, workspace).await
                }
                async fn workspace_by_slug(&self, slug: &Slug) -> Result<Workspace, StoreError> {
                    $crate::setup_store::workspace_by_slug(self, slug).await
                }
                async fn workspace(&self, id: WorkspaceId) -> Result<Workspace, StoreError> {
                    $crate::setup_store::workspace(self, id).await
                }
                async fn list_workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
                    $crate::setup_store::list_workspaces(self).await
                }
            }

            #[$crate::async_trait]
            impl TokenStore for $store {
                async fn create_token(&self, token: &TokenRecord) -> Result<(), StoreError> {
                    $crate::setup_store::create_token(self, token).await
                }
                async fn token_by_hash(
                    &self,
                    hash: &str,
                ) -> Result<Option<TokenRecord>, StoreError> {
                    $crate::setup_store::token_by_hash(self, hash).await
                }
                async fn list_tokens(
                    &self,
                    workspace: WorkspaceId,
                ) -> Result<Vec<TokenRecord>, StoreError> {
                    $crate::setup_store::list_tokens(self, workspace).await
                }
                async fn delete_token(
                    &self,
                    workspace: WorkspaceId,
                    id: TokenId,
                ) -> Result<(), StoreError> {
                    $crate::setup_store::delete_token(self, workspace, id).await
                }
            }

            #[$crate::async_trait]
            impl UserStore for $store {
                async fn create_user(&self, user: &User) -> Result<(), StoreError> {
                    $crate::setup_store::create_user(self, user).await
                }
                async fn user(
                    &self,
                    workspace: WorkspaceId,
                    id: UserId,
                ) -> Result<User, StoreError> {
                    $crate::setup_store::user(self, workspace, id).await
                }
                async fn list_users(
                    &self,
                    workspace: WorkspaceId,
                ) -> Result<Vec<User>, StoreError> {
                    $crate::setup_store::list_users(self, workspace).await
                }
            }
        };
    };
}
