-- closer traffic: tracked sites, sessions, page views and custom events, visitor links
-- (identity stitching) and the daily salts of cookieless visitor ids.
--
-- sessions and traffic_events are the hot tables (tens of thousands of rows a second): no
-- foreign keys there (each would cost a lookup per row), tenancy is carried by workspace_id
-- on every row, and each has only the indexes its read paths need, keyed so that writes
-- touch few pages (see the comments on each).

create table sites (
    id blob primary key,
    workspace_id blob not null references workspaces (id) on delete cascade,
    domain text not null,
    created_at integer not null,
    constraint sites_domain_key unique (domain)
);
create index sites_workspace_idx on sites (workspace_id, domain);

-- Clustered by visitor: "the visitor's latest session" (asked for every hit) is a primary
-- key range, and a visitor's sessions sit together. Ids are time-ordered, so the latest
-- session of a visitor is the one with the greatest id.
create table sessions (
    visitor text not null,
    id blob not null,
    workspace_id blob not null,
    site_id blob not null,
    started_at integer not null,
    last_at integer not null,
    entry_page text not null,
    exit_page text,
    exit_at integer,
    pageviews integer not null default 0,
    events integer not null default 0,
    interactions integer not null default 0,
    channel text not null,
    source text,
    referrer text,
    utm_source text,
    utm_medium text,
    utm_campaign text,
    utm_term text,
    utm_content text,
    click_id text,
    constraint sessions_pkey primary key (visitor, id)
) without rowid;
create index sessions_site_idx on sessions (site_id, started_at);

-- Clustered by site and time: the report's range scans read the table itself, and a batch
-- appends at each site's right edge; no separate site index to maintain.
create table traffic_events (
    site_id blob not null,
    occurred_at integer not null,
    id blob not null,
    workspace_id blob not null,
    session_id blob not null,
    visitor text not null,
    name text not null,
    path text not null,
    props text,
    revenue text,
    currency text,
    constraint traffic_events_pkey primary key (site_id, occurred_at, id)
) without rowid;
-- A contact's timeline and erasure reach events through their visitors' sessions. Session ids
-- are time-ordered, so new entries land at the index's right edge instead of at random
-- places (a visitor-keyed index rewrote a random page per event).
create index traffic_events_session_idx on traffic_events (session_id);

-- A visitor id that became a contact. The primary key means one contact per visitor: a
-- visitor already linked keeps its contact (people are never merged automatically).
create table visitor_links (
    workspace_id blob not null,
    visitor text not null,
    contact_id blob not null references contacts (id) on delete cascade,
    linked_at integer not null,
    constraint visitor_links_pkey primary key (workspace_id, visitor)
);
create index visitor_links_contact_idx on visitor_links (contact_id);

create table tracking_salts (
    day integer primary key,
    salt blob not null
);
