-- External ids, and the email-domain index led by its domain.
--
-- The ids records have in the tool they were imported from (HubSpot's Record ID, Pipedrive's
-- ID): importing the same file again finds each record by it, so nothing is made twice and a
-- changed row updates its record. Erasing or merging a contact takes its ids with it.
create table contact_external_ids (
    workspace_id uuid not null,
    external_id text not null,
    contact_id uuid not null references contacts (id) on delete cascade,
    constraint contact_external_ids_key primary key (workspace_id, external_id)
);
create index contact_external_ids_contact_idx on contact_external_ids (contact_id);

-- The email-domain index of 0016 leads with the domain, not the workspace: led by the
-- workspace, a planner with stale statistics (a freshly filled table) took it for lookups by
-- email and walked every email of the workspace for each.
drop index contact_identities_domain_idx;
create index contact_identities_domain_idx
    on contact_identities (split_part(value, '@', 2), workspace_id)
    where kind = 'email';
