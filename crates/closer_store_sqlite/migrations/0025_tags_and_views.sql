-- Tags on contacts, companies and deals (`closer_domain::tag`), one row per record and tag,
-- gone with the record; and saved views: a named filter of the contact or deal list, its
-- author's own (`owner_id`) or the team's (`owner_id` null).
create table contact_tags (
    contact_id blob not null references contacts (id) on delete cascade,
    workspace_id blob not null references workspaces (id) on delete cascade,
    tag text not null,
    created_at integer not null,
    constraint contact_tags_key primary key (contact_id, tag)
);
create index contact_tags_tag_idx on contact_tags (workspace_id, tag);

create table company_tags (
    company_id blob not null references companies (id) on delete cascade,
    workspace_id blob not null references workspaces (id) on delete cascade,
    tag text not null,
    created_at integer not null,
    constraint company_tags_key primary key (company_id, tag)
);
create index company_tags_tag_idx on company_tags (workspace_id, tag);

create table deal_tags (
    deal_id blob not null references deals (id) on delete cascade,
    workspace_id blob not null references workspaces (id) on delete cascade,
    tag text not null,
    created_at integer not null,
    constraint deal_tags_key primary key (deal_id, tag)
);
create index deal_tags_tag_idx on deal_tags (workspace_id, tag);

create table saved_views (
    id blob primary key,
    workspace_id blob not null references workspaces (id) on delete cascade,
    owner_id blob references users (id) on delete cascade,
    created_by blob references users (id) on delete set null,
    list text not null,
    name text not null,
    query text not null,
    created_at integer not null,
    constraint saved_views_list_check check (list in ('contacts', 'deals'))
);
create index saved_views_workspace_idx on saved_views (workspace_id, list);
