-- Custom properties an admin defines for contacts, companies and deals: the type and options
-- that values written to `properties` under that name are checked against. Deals get their
-- own `properties`, as contacts and companies have.
create table property_defs (
    id uuid primary key,
    workspace_id uuid not null references workspaces (id) on delete cascade,
    of text not null,
    name text not null,
    label text not null,
    kind text not null,
    -- A select's options, a JSON array of texts in the order forms offer them.
    options jsonb not null default '[]',
    created_at timestamptz not null,
    constraint property_defs_of_check check (of in ('contacts', 'companies', 'deals')),
    constraint property_defs_name_key unique (workspace_id, of, name)
);

alter table deals add column properties jsonb not null default '{}';
