-- closer qualification: each workspace's rules file (absent: the shipped defaults) and each
-- contact's score record. The record holds the incremental engagement state as JSON (see
-- closer_domain::qualification::engagement) so a new event costs one read and one write.

create table qualification_rules (
    workspace_id uuid primary key references workspaces (id) on delete cascade,
    source text not null,
    updated_at timestamptz not null
);

create table contact_scores (
    contact_id uuid primary key references contacts (id) on delete cascade,
    workspace_id uuid not null,
    state jsonb not null,
    engagement double precision not null,
    fit double precision not null,
    temperature text not null,
    version bigint not null,
    updated_at timestamptz not null,
    constraint contact_scores_temperature_check check (temperature in ('cold', 'warm', 'hot'))
);
create index contact_scores_workspace_idx on contact_scores (workspace_id);

-- The tracked events of identified visitors, copied under their contact and clustered by it:
-- rescoring and a contact's timeline read one contact's events as one range instead of
-- seeking through sessions and the site-clustered traffic_events event by event. Filled when
-- a visitor is linked (its history so far) and by the tracking writer (hits of linked
-- visitors); deleted with the contact.
create table contact_traffic (
    contact_id uuid not null references contacts (id) on delete cascade,
    occurred_at timestamptz not null,
    id uuid not null,
    workspace_id uuid not null,
    name text not null,
    path text not null,
    props jsonb,
    constraint contact_traffic_pkey primary key (contact_id, occurred_at, id)
);
