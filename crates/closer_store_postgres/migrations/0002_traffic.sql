-- closer traffic: tracked sites, sessions, page views and custom events, visitor links
-- (identity stitching) and the daily salts of cookieless visitor ids.
--
-- sessions and traffic_events are the hot tables (tens of thousands of rows a second): no
-- foreign keys there (each would cost a lookup per row), tenancy is carried by workspace_id
-- on every row, and each has only the indexes its read paths need, keyed so that writes
-- touch few pages (see the comments on each).

create table sites (
    id uuid primary key,
    workspace_id uuid not null references workspaces (id) on delete cascade,
    domain text not null,
    created_at timestamptz not null,
    constraint sites_domain_key unique (domain)
);
create index sites_workspace_idx on sites (workspace_id, domain);

create table sessions (
    id uuid primary key,
    workspace_id uuid not null,
    site_id uuid not null,
    visitor text not null,
    started_at timestamptz not null,
    last_at timestamptz not null,
    entry_page text not null,
    exit_page text,
    exit_at timestamptz,
    pageviews bigint not null default 0,
    events bigint not null default 0,
    interactions bigint not null default 0,
    channel text not null,
    source text,
    referrer text,
    utm_source text,
    utm_medium text,
    utm_campaign text,
    utm_term text,
    utm_content text,
    click_id text
);
create index sessions_site_idx on sessions (site_id, started_at);
-- The latest session of a visitor on a site (is the next hit part of it?). Both equality
-- columns and the order are in the key, so the planner never prefers walking
-- sessions_site_idx backwards (it did on a fresh table, with no statistics: 12 s a batch).
-- Keyed by started_at, which an update never changes, so adding a hit to a session never
-- moves this index's entry.
create index sessions_visitor_idx on sessions (visitor, site_id, started_at);

create table traffic_events (
    id uuid primary key,
    workspace_id uuid not null,
    site_id uuid not null,
    session_id uuid not null,
    visitor text not null,
    name text not null,
    occurred_at timestamptz not null,
    path text not null,
    props jsonb,
    revenue numeric,
    currency text
);
create index traffic_events_site_idx on traffic_events (site_id, occurred_at);
-- A contact's timeline and erasure reach events through their visitors' sessions. Session ids
-- are time-ordered, so new entries land at the index's right edge instead of at random
-- places (a visitor-keyed index rewrote a random page per event).
create index traffic_events_session_idx on traffic_events (session_id);

-- A visitor id that became a contact. The primary key means one contact per visitor: a
-- visitor already linked keeps its contact (people are never merged automatically).
create table visitor_links (
    workspace_id uuid not null,
    visitor text not null,
    contact_id uuid not null references contacts (id) on delete cascade,
    linked_at timestamptz not null,
    constraint visitor_links_pkey primary key (workspace_id, visitor)
);
create index visitor_links_contact_idx on visitor_links (contact_id);

create table tracking_salts (
    day bigint primary key,
    salt bytea not null
);
