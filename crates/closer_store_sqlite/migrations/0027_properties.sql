-- Custom properties an admin defines for contacts, companies and deals: the type and options
-- that values written to `properties` under that name are checked against. Deals get their
-- own `properties`, as contacts and companies have.
create table property_defs (
    id blob primary key,
    workspace_id blob not null references workspaces (id) on delete cascade,
    of text not null,
    name text not null,
    label text not null,
    kind text not null,
    -- A select's options, a JSON array of texts in the order forms offer them.
    options text not null default '[]',
    created_at integer not null,
    constraint property_defs_of_check check (of in ('contacts', 'companies', 'deals')),
    constraint property_defs_name_key unique (workspace_id, of, name)
);

alter table deals add column properties text not null default '{}';
