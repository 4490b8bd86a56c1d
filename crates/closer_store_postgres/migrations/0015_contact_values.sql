-- Each customer's expected value over the next 52 weeks, from the workspace's latest
-- lifetime-value fit: what the contact list and the queue sort by. `value` is in 1/10,000 of
-- the fit's currency (the one most orders are in). Rewritten whole when the fit is made
-- again; a contact without a row has no predicted value.
create table contact_values (
    contact_id uuid primary key references contacts (id) on delete cascade,
    workspace_id uuid not null,
    value bigint not null,
    currency text not null,
    computed_at timestamptz not null
);
create index contact_values_rank_idx on contact_values (workspace_id, value desc, contact_id desc);
